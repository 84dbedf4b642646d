//! `http.middlewares.<name>`: exactly one middleware kind per entry, with Traefik v3's option
//! names (`pkg/config/dynamic/middlewares.go`, middleware reference pages).
//!
//! The entry is a struct of optional kinds, as in Traefik, so that a document with zero or two
//! kinds still loads and is reported by validation with the other errors; [`Middleware::kind`]
//! gives the engine the single kind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::duration::GoDuration;
use super::unsupported::{self as hint, Unsupported};

macro_rules! middleware_kinds {
    ($($(#[$doc:meta])* $field:ident $(($rename:literal))? : $ty:ident => $variant:ident,)*) => {
        /// One middleware definition; see the module docs.
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct Middleware {
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none" $(, rename = $rename)?)]
                pub $field: Option<$ty>,
            )*
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub digest_auth: Option<Unsupported<hint::MiddlewareKind>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub errors: Option<Unsupported<hint::MiddlewareKind>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub buffering: Option<Unsupported<hint::MiddlewareKind>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub circuit_breaker: Option<Unsupported<hint::MiddlewareKind>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing, rename = "passTLSClientCert")]
            pub pass_tls_client_cert: Option<Unsupported<hint::MiddlewareKind>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub content_type: Option<Unsupported<hint::MiddlewareKind>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub grpc_web: Option<Unsupported<hint::MiddlewareKind>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub encoded_characters: Option<Unsupported<hint::MiddlewareKind>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub plugin: Option<Unsupported<hint::Plugins>>,
            #[doc(hidden)]
            #[serde(default, skip_serializing)]
            pub ip_white_list: Option<Unsupported<hint::IpWhiteList>>,
        }

        /// The single kind of a well-formed [`Middleware`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum MiddlewareKind<'a> {
            $(
                #[allow(missing_docs)]
                $variant(&'a $ty),
            )*
        }

        impl Middleware {
            /// The kinds set, by their Traefik names.
            pub fn kind_names(&self) -> Vec<&'static str> {
                let mut names = Vec::new();
                $(
                    if self.$field.is_some() {
                        names.push(middleware_kinds!(@name $field $($rename)?));
                    }
                )*
                names
            }

            /// The kind, when exactly one is set.
            pub fn kind(&self) -> Option<MiddlewareKind<'_>> {
                let mut found = None;
                $(
                    if let Some(v) = &self.$field {
                        if found.is_some() {
                            return None;
                        }
                        found = Some(MiddlewareKind::$variant(v));
                    }
                )*
                found
            }
        }
    };
    (@name $field:ident $rename:literal) => { $rename };
    (@name $field:ident) => { camel(stringify!($field)) };
}

/// Names here are short and lower-case enough that a const table would be overkill.
fn camel(snake: &'static str) -> &'static str {
    match snake {
        "add_prefix" => "addPrefix",
        "strip_prefix" => "stripPrefix",
        "strip_prefix_regex" => "stripPrefixRegex",
        "replace_path" => "replacePath",
        "replace_path_regex" => "replacePathRegex",
        "redirect_scheme" => "redirectScheme",
        "redirect_regex" => "redirectRegex",
        "basic_auth" => "basicAuth",
        "ip_allow_list" => "ipAllowList",
        "rate_limit" => "rateLimit",
        "in_flight_req" => "inFlightReq",
        "forward_auth" => "forwardAuth",
        other => other,
    }
}

middleware_kinds! {
    /// Prepends a prefix to the path.
    add_prefix: AddPrefix => AddPrefix,
    /// Removes path prefixes.
    strip_prefix: StripPrefix => StripPrefix,
    /// Removes path prefixes matching regexps.
    strip_prefix_regex: StripPrefixRegex => StripPrefixRegex,
    /// Replaces the path.
    replace_path: ReplacePath => ReplacePath,
    /// Rewrites the path with a regexp.
    replace_path_regex: ReplacePathRegex => ReplacePathRegex,
    /// Redirects to another scheme.
    redirect_scheme: RedirectScheme => RedirectScheme,
    /// Redirects with a regexp.
    redirect_regex: RedirectRegex => RedirectRegex,
    /// Custom and security headers, CORS.
    headers: Headers => Headers,
    /// HTTP basic authentication.
    basic_auth: BasicAuth => BasicAuth,
    /// Allows client IPs.
    ip_allow_list: IpAllowList => IpAllowList,
    /// Token bucket rate limiting.
    rate_limit: RateLimit => RateLimit,
    /// Limits simultaneous requests.
    in_flight_req: InFlightReq => InFlightReq,
    /// Retries on network errors.
    retry: Retry => Retry,
    /// Compresses responses.
    compress: Compress => Compress,
    /// Applies other middlewares in order.
    chain: Chain => Chain,
    /// Delegates authentication.
    forward_auth: ForwardAuth => ForwardAuth,
}

/// `addPrefix`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddPrefix {
    /// The prefix.
    #[serde(default)]
    pub prefix: String,
}

/// `stripPrefix`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StripPrefix {
    /// Prefixes to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
    /// Deprecated in Traefik: keep a `/` when the whole path was stripped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_slash: Option<bool>,
}

/// `stripPrefixRegex`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StripPrefixRegex {
    /// Regexps matching prefixes to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
}

/// `replacePath`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplacePath {
    /// The new path.
    #[serde(default)]
    pub path: String,
}

/// `replacePathRegex`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplacePathRegex {
    /// Regexp on the path.
    #[serde(default)]
    pub regex: String,
    /// Replacement, with `$1`-style groups.
    #[serde(default)]
    pub replacement: String,
}

/// `redirectScheme`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectScheme {
    /// Target scheme.
    #[serde(default)]
    pub scheme: String,
    /// Target port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// 301/308 instead of 302/307.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
}

/// `redirectRegex`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectRegex {
    /// Regexp on the full URL.
    #[serde(default)]
    pub regex: String,
    /// Target URL, with `$1`-style groups.
    #[serde(default)]
    pub replacement: String,
    /// 301/308 instead of 302/307.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
}

/// `headers`: custom headers, CORS and security headers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Headers {
    /// Headers set on the request; an empty value removes the header.
    #[serde(default, deserialize_with = "super::dynamic::unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_request_headers: BTreeMap<String, String>,
    /// Headers set on the response; an empty value removes the header.
    #[serde(default, deserialize_with = "super::dynamic::unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_response_headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control_allow_credentials: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_allow_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_allow_methods: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_allow_origin_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_allow_origin_list_regex: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_expose_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control_max_age: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_vary_header: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts_proxy_headers: Vec<String>,
    #[serde(default, deserialize_with = "super::dynamic::unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub ssl_proxy_headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts_include_subdomains: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts_preload: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "forceSTSHeader")]
    pub force_sts_header: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_deny: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_frame_options_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type_nosniff: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_xss_filter: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "customBrowserXSSValue")]
    pub custom_browser_xss_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_security_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_security_policy_report_only: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_development: Option<bool>,
    /// Deprecated in Traefik v3 (use `permissionsPolicy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_policy: Option<String>,
    /// Deprecated in Traefik v3 (use `redirectScheme`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_redirect: Option<bool>,
    /// Deprecated in Traefik v3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_temporary_redirect: Option<bool>,
    /// Deprecated in Traefik v3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_host: Option<String>,
    /// Deprecated in Traefik v3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_force_host: Option<bool>,
}

/// `basicAuth`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicAuth {
    /// `user:hash` entries (bcrypt, apr1 MD5, SHA1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// An htpasswd file with more entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users_file: Option<String>,
    /// Realm of the challenge (default `traefik`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// Remove the `Authorization` header before forwarding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_header: Option<bool>,
    /// Request header that receives the user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_field: Option<String>,
}

/// `ipStrategy`: which IP of the request is checked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpStrategy {
    /// Use the `depth`-th IP from the right of `X-Forwarded-For`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<i64>,
    /// Skip these IPs in `X-Forwarded-For`, from the right.
    #[serde(default, rename = "excludedIPs", skip_serializing_if = "Vec::is_empty")]
    pub excluded_ips: Vec<String>,
    /// Group IPv6 clients by this prefix length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_subnet: Option<i64>,
}

/// `ipAllowList`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpAllowList {
    /// Allowed IPs and CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_range: Vec<String>,
    /// Which IP to check.
    #[serde(
        default,
        deserialize_with = "super::dynamic::present_means_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip_strategy: Option<IpStrategy>,
    /// Status of refusals (default 403).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_status_code: Option<u16>,
}

/// `sourceCriterion` of `rateLimit` and `inFlightReq`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceCriterion {
    /// Group by client IP.
    #[serde(
        default,
        deserialize_with = "super::dynamic::present_means_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip_strategy: Option<IpStrategy>,
    /// Group by the value of this request header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_header_name: Option<String>,
    /// Group by request host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_host: Option<bool>,
}

/// `rateLimit`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per `period` on average; 0 means no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<i64>,
    /// Period of `average` (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<GoDuration>,
    /// Bucket size (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<i64>,
    /// How requests are grouped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_criterion: Option<SourceCriterion>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub redis: Option<Unsupported<hint::RedisRateLimit>>,
}

/// `inFlightReq`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InFlightReq {
    /// Maximum simultaneous requests per source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// How requests are grouped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_criterion: Option<SourceCriterion>,
}

/// `retry`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retry {
    /// Number of attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<i64>,
    /// First backoff interval (exponential after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_interval: Option<GoDuration>,
}

/// `compress`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Compress {
    /// Content types never compressed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_content_types: Vec<String>,
    /// Content types compressed (exclusive with `excludedContentTypes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_content_types: Vec<String>,
    /// Smallest body compressed (default 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_response_body_bytes: Option<i64>,
    /// Encodings offered, in preference order (default gzip, br, zstd).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encodings: Vec<String>,
    /// Encoding used when the client accepts any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_encoding: Option<String>,
}

/// `chain`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Chain {
    /// Middleware names, applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
}

/// `forwardAuth`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForwardAuth {
    /// Authentication server URL.
    #[serde(default)]
    pub address: String,
    /// TLS to the authentication server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
    /// Pass the client's `X-Forwarded-*` headers along.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_forward_header: Option<bool>,
    /// Response headers copied to the forwarded request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_response_headers: Vec<String>,
    /// Regexp of response headers copied to the forwarded request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_response_headers_regex: Option<String>,
    /// Request headers sent to the authentication server (default: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_request_headers: Vec<String>,
    /// Cookies of the authentication response added to the final response.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_auth_cookies_to_response: Vec<String>,
    /// Request header receiving the authenticated user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_field: Option<String>,
    /// Send the request body to the authentication server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_body: Option<bool>,
    /// Largest body forwarded (default unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_size: Option<i64>,
    /// Keep a relative `Location` of the authentication response as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preserve_location_header: Option<bool>,
}

/// `forwardAuth.tls`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientTls {
    /// CA certificate (path or PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// Client certificate (path or PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    /// Client key (path or PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Skip server certificate verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_skip_verify: Option<bool>,
    /// Present a client certificate only if asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_optional: Option<bool>,
}
