//! Checks of the TLS section: certificates, stores, options (versions, cipher suites, curves,
//! client authentication), and the domains and options routers name.

use super::*;

const TLS_VERSIONS: &[&str] = &["VersionTLS12", "VersionTLS13"];
const OLD_TLS_VERSIONS: &[&str] = &["VersionTLS10", "VersionTLS11"];
/// Go cipher suite names that rustls implements.
const CIPHER_SUITES: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];
/// Go cipher suite names that Traefik accepts and rustls does not implement.
const LEGACY_CIPHER_SUITES: &[&str] = &[
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_FALLBACK_SCSV",
];
const CURVES: &[&str] = &["CurveP256", "CurveP384", "X25519", "secp256r1", "secp384r1", "x25519"];
const CLIENT_AUTH_TYPES: &[&str] = &[
    "NoClientCert",
    "RequestClientCert",
    "RequireAnyClientCert",
    "VerifyClientCertIfGiven",
    "RequireAndVerifyClientCert",
];

impl Validator {
    pub(super) fn tls_option_ref(&mut self, path: &str, name: &str, tls: &TlsConfig) {
        let exists = name == "default" || tls.options.contains_key(name);
        self.reference(path.to_owned(), "TLS options", name, exists);
    }

    pub(super) fn domains(&mut self, path: &str, domains: &[Domain]) {
        for (i, d) in domains.iter().enumerate() {
            if d.main.trim().is_empty() && d.sans.is_empty() {
                self.err(format!("{path}[{i}]"), "a domain needs `main` or `sans`");
            }
            for name in std::iter::once(&d.main).chain(&d.sans) {
                if !name.is_ascii() {
                    self.err(
                        format!("{path}[{i}]"),
                        format!("invalid domain {name:?}: non-ASCII characters are not allowed, use punycode"),
                    );
                }
            }
        }
    }

    pub(super) fn tls(&mut self, tls: &TlsConfig) {
        for (i, cert) in tls.certificates.iter().enumerate() {
            let path = format!("tls.certificates[{i}]");
            self.certificate(&path, &cert.cert_file, &cert.key_file);
            for (j, store) in cert.stores.iter().enumerate() {
                if store != "default" {
                    self.err(
                        format!("{path}.stores[{j}]"),
                        format!("unknown TLS store {store:?}: only `default` exists"),
                    );
                }
            }
        }
        for (name, opts) in &tls.options {
            self.tls_options(&format!("tls.options.{name}"), opts);
        }
        for (name, store) in &tls.stores {
            let path = format!("tls.stores.{name}");
            if name != "default" {
                self.err(path.clone(), "only the `default` TLS store exists");
            }
            if let Some(cert) = &store.default_certificate {
                self.certificate(&format!("{path}.defaultCertificate"), &cert.cert_file, &cert.key_file);
            }
        }
    }

    pub(super) fn certificate(&mut self, path: &str, cert: &FileOrContent, key: &FileOrContent) {
        if cert.is_empty() {
            self.err(format!("{path}.certFile"), "a certificate (file path or PEM) is required");
        }
        if key.is_empty() {
            self.err(format!("{path}.keyFile"), "a private key (file path or PEM) is required");
        }
    }

    pub(super) fn tls_options(&mut self, path: &str, o: &TlsOptions) {
        let version = |v: &Option<String>| v.as_deref().and_then(|v| TLS_VERSIONS.iter().position(|k| *k == v));
        for (key, value) in [("minVersion", &o.min_version), ("maxVersion", &o.max_version)] {
            let Some(v) = value.as_deref() else { continue };
            if OLD_TLS_VERSIONS.contains(&v) {
                self.err(format!("{path}.{key}"), format!("{v} is not supported by traefikee (TLS 1.0 and 1.1 are disabled): use VersionTLS12 or VersionTLS13"));
            } else if !TLS_VERSIONS.contains(&v) {
                self.err(
                    format!("{path}.{key}"),
                    format!("unknown TLS version {v:?}, expected VersionTLS12 or VersionTLS13"),
                );
            }
        }
        if let (Some(min), Some(max)) = (version(&o.min_version), version(&o.max_version)) {
            if min > max {
                self.err(format!("{path}.minVersion"), "is above maxVersion");
            }
        }
        for (i, suite) in o.cipher_suites.iter().enumerate() {
            if LEGACY_CIPHER_SUITES.contains(&suite.as_str()) {
                self.err(
                    format!("{path}.cipherSuites[{i}]"),
                    format!("{suite} is not supported by traefikee's TLS stack"),
                );
            } else if !CIPHER_SUITES.contains(&suite.as_str()) {
                self.err(format!("{path}.cipherSuites[{i}]"), format!("unknown cipher suite {suite:?}"));
            }
        }
        for (i, curve) in o.curve_preferences.iter().enumerate() {
            if !CURVES.contains(&curve.as_str()) {
                self.err(
                    format!("{path}.curvePreferences[{i}]"),
                    format!("unsupported curve {curve:?}, expected one of {}", CURVES.join(", ")),
                );
            }
        }
        if let Some(ca) = &o.client_auth {
            if let Some(t) = ca.client_auth_type.as_deref() {
                if !CLIENT_AUTH_TYPES.contains(&t) {
                    self.err(
                        format!("{path}.clientAuth.clientAuthType"),
                        format!("unknown client auth type {t:?}, expected one of {}", CLIENT_AUTH_TYPES.join(", ")),
                    );
                } else if matches!(t, "VerifyClientCertIfGiven" | "RequireAndVerifyClientCert")
                    && ca.ca_files.is_empty()
                {
                    self.err(format!("{path}.clientAuth.caFiles"), format!("{t} needs at least one CA"));
                }
            }
        }
        for (i, proto) in o.alpn_protocols.iter().enumerate() {
            if proto.is_empty() || proto.len() > 255 {
                self.err(format!("{path}.alpnProtocols[{i}]"), "must be 1 to 255 bytes long");
            }
        }
    }
}
