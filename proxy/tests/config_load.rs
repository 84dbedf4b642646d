//! Loading Traefik file-provider configuration: the full feature set, error wording with key
//! paths and lines, semantic validation, and round trips.

use std::io::Write as _;

use traefikee_proxy::config::{
    load_document, load_dynamic, load_file, load_static, ConfigDocument, ConfigError, Format, GoDuration,
    MiddlewareKind,
};

const FULL: &str = include_str!("fixtures/full.yaml");

fn parse_error(text: &str, format: Format) -> String {
    match load_document(text, format) {
        Err(ConfigError::Parse(e)) => e.to_string(),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

fn validation_errors(text: &str, format: Format) -> Vec<String> {
    match load_document(text, format) {
        Err(ConfigError::Invalid(e)) => e.0.iter().map(ToString::to_string).collect(),
        other => panic!("expected validation errors, got {other:?}"),
    }
}

fn assert_has(errors: &[String], needle: &str) {
    assert!(errors.iter().any(|e| e.contains(needle)), "no error contains {needle:?}: {errors:#?}");
}

#[test]
fn full_feature_file_loads() {
    let doc = load_document(FULL, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let eps = &doc.static_config.entry_points;
    assert_eq!(eps.len(), 3);
    assert_eq!(eps["postgres"].listen_address(), "0.0.0.0:5432");
    let transport = eps["websecure"].transport.as_ref().expect("transport");
    let timeouts = transport.responding_timeouts.as_ref().expect("timeouts");
    assert_eq!(timeouts.read_timeout, Some(GoDuration::from_secs(30)));
    assert_eq!(timeouts.write_timeout, Some(GoDuration::from_secs(0)));
    assert_eq!(timeouts.idle_timeout, Some(GoDuration::from_secs(180)));
    let life = transport.life_cycle.as_ref().expect("lifeCycle");
    assert_eq!(life.request_accept_grace_timeout, Some(GoDuration::from_secs(5)));
    assert_eq!(life.grace_time_out, Some(GoDuration::from_secs(90)));

    let http = &doc.dynamic.http;
    assert_eq!(http.routers.len(), 2);
    assert!(http.routers["web"].tls.is_some(), "`tls: {{}}` enables TLS");
    let api = http.services["api"].load_balancer.as_ref().expect("loadBalancer");
    assert!(!api.pass_host_header());
    assert_eq!(api.servers[1].weight(), 1);
    assert!(http.services["v1"].load_balancer.as_ref().is_some_and(|lb| lb.pass_host_header()));
    let canary = http.services["canary"].weighted.as_ref().expect("weighted");
    assert!(canary.sticky.as_ref().is_some_and(|s| s.cookie.is_some()), "`cookie: {{}}` enables the cookie");
    assert_eq!(http.middlewares.len(), 16);
    assert!(http.middlewares.values().all(|m| m.kind().is_some()));
    assert!(
        matches!(http.middlewares["strip-v1"].kind(), Some(MiddlewareKind::StripPrefix(s)) if s.prefixes == ["/v1"])
    );
    assert_eq!(doc.dynamic.tcp.routers.len(), 2);
    assert!(doc.dynamic.tls.certificates[1].cert_file.is_inline_pem());
    assert!(!doc.dynamic.tls.certificates[0].cert_file.is_inline_pem());
}

#[test]
fn round_trips_through_every_format() {
    let doc = load_document(FULL, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    for format in [Format::Yaml, Format::Toml, Format::Json] {
        let text = doc.to_text(format).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let again = load_document(&text, format).unwrap_or_else(|e| panic!("{format:?}: {e}\n{text}"));
        assert_eq!(again, doc, "{format:?} round trip\n{text}");
    }
}

#[test]
fn yaml_and_toml_agree() {
    let yaml = r#"
http:
  routers:
    web:
      rule: "Host(`example.com`)"
      service: app
      entryPoints: [web]
  services:
    app:
      loadBalancer:
        servers:
          - url: http://127.0.0.1:8080
        healthCheck:
          path: /ping
          interval: 15
"#;
    let toml = r#"
[http.routers.web]
  rule = "Host(`example.com`)"
  service = "app"
  entryPoints = ["web"]
[http.services.app.loadBalancer]
  [[http.services.app.loadBalancer.servers]]
    url = "http://127.0.0.1:8080"
  [http.services.app.loadBalancer.healthCheck]
    path = "/ping"
    interval = "15s"
"#;
    let a = load_dynamic(yaml, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let b = load_dynamic(toml, Format::Toml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b);
}

#[test]
fn unknown_keys_name_the_path_and_line() {
    let yaml = "http:\n  routers:\n    web:\n      rule: Host(`a`)\n      service: s\n      foo: 1\n";
    let err = parse_error(yaml, Format::Yaml);
    assert!(err.starts_with("http.routers.web.foo: unknown field \"foo\" (line 6)"), "{err}");

    let toml = "[http.routers.web]\nrule = \"Host(`a`)\"\nfoo = 1\n";
    let err = parse_error(toml, Format::Toml);
    assert!(err.starts_with("http.routers.web.foo: unknown field \"foo\" (line 3)"), "{err}");

    // Paths use the documented spelling whatever the case in the file.
    let err = parse_error("HTTP:\n  Routers:\n    web:\n      RULE: Host(`a`)\n      Foo: 1\n", Format::Yaml);
    assert!(err.starts_with("http.routers.web.Foo: unknown field \"Foo\" (line 5)"), "{err}");

    let err = parse_error("http:\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://a\n            wieght: 2\n", Format::Yaml);
    assert!(
        err.starts_with("http.services.s.loadBalancer.servers[0].wieght: unknown field \"wieght\" (line 7)"),
        "{err}"
    );

    let err = parse_error("{\"http\": {\"middlewares\": {\"m\": {\"stripPrefix\": {\"prefix\": []}}}}}", Format::Json);
    assert!(err.starts_with("http.middlewares.m.stripPrefix.prefix: unknown field \"prefix\""), "{err}");

    let err = parse_error("nope: 1\n", Format::Yaml);
    assert!(err.starts_with("nope: unknown field \"nope\" (line 1)"), "{err}");
}

#[test]
fn keys_match_whatever_their_case_as_in_traefik() {
    let camel = "entryPoints:\n  web:\n    address: ':80'\n    forwardedHeaders:\n      trustedIPs: [10.0.0.1]\nhttp:\n  routers:\n    Web:\n      entryPoints: [web]\n      rule: Host(`a`)\n      service: Svc\n  services:\n    Svc:\n      loadBalancer:\n        passHostHeader: false\n        servers: [{url: 'http://a'}]\n  middlewares:\n    h:\n      headers:\n        forceSTSHeader: true\n";
    let other = "entrypoints:\n  web:\n    ADDRESS: ':80'\n    forwardedheaders:\n      trustedips: [10.0.0.1]\nHttp:\n  Routers:\n    Web:\n      EntryPoints: [web]\n      Rule: Host(`a`)\n      service: Svc\n  services:\n    Svc:\n      loadbalancer:\n        passhostheader: false\n        Servers: [{URL: 'http://a'}]\n  middlewares:\n    h:\n      headers:\n        forcestsheader: true\n";
    let a = load_document(camel, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let b = load_document(other, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b);
    // Names (map keys) keep their case: `Web` and `Svc` are still what the router refers to.
    assert!(a.dynamic.http.routers.contains_key("Web"));
    let toml = "[Http.Routers.r]\nRule = \"Host(`a`)\"\nService = \"s\"\n[Http.services.s.LoadBalancer]\n[[Http.services.s.LoadBalancer.servers]]\nurl = \"http://a\"\n";
    load_document(toml, Format::Toml).unwrap_or_else(|e| panic!("{e}"));
    let json = r#"{"HTTP": {"routers": {"r": {"RULE": "Host(`a`)", "Service": "s"}}, "Services": {"s": {"loadbalancer": {"servers": [{"Url": "http://a"}]}}}}}"#;
    load_document(json, Format::Json).unwrap_or_else(|e| panic!("{e}"));
    // The same key twice in two spellings is refused.
    let err = parse_error("http:\n  routers:\n    r:\n      rule: Host(`a`)\n      RULE: Host(`b`)\n", Format::Yaml);
    assert!(err.contains("duplicate field `rule`"), "{err}");
    // The specific refusals keep working.
    let err = parse_error("http:\n  routers:\n    r:\n      TLS:\n        certresolver: le\n", Format::Yaml);
    assert!(err.starts_with("http.routers.r.tls.certResolver: `certResolver` (ACME)"), "{err}");
}

#[test]
fn known_but_unimplemented_keys_say_so() {
    let cases: &[(&str, Format, &str)] = &[
        (
            "http:\n  routers:\n    web:\n      rule: Host(`a`)\n      tls:\n        certResolver: le\n",
            Format::Yaml,
            "http.routers.web.tls.certResolver: `certResolver` (ACME) is not implemented by traefikee (line 6)",
        ),
        (
            "[http.routers.web.tls]\ncertResolver = \"le\"\n",
            Format::Toml,
            "http.routers.web.tls.certResolver: `certResolver` (ACME)",
        ),
        (
            "http:\n  routers:\n    web:\n      tls:\n        options: x\n        domains: []\n        certResolver: le\n",
            Format::Yaml,
            "http.routers.web.tls.certResolver: `certResolver` (ACME) is not implemented by traefikee (line 7)",
        ),
        ("[http.routers.web.tls]\noptions = \"x\"\n\ncertResolver = \"le\"\n", Format::Toml, "(line 4)"),
        (
            "certificatesResolvers:\n  le:\n    acme: {}\n",
            Format::Yaml,
            "certificatesResolvers: `certificatesResolvers` (ACME)",
        ),
        (
            "entryPoints:\n  web:\n    address: ':80'\n    http:\n      tls:\n        certResolver: le\n",
            Format::Yaml,
            "entryPoints.web.http.tls.certResolver: `certResolver` (ACME)",
        ),
        ("providers:\n  docker: {}\n", Format::Yaml, "providers.docker: this provider is not implemented by traefikee"),
        (
            "http:\n  services:\n    s:\n      loadBalancer:\n        serversTransport: t\n",
            Format::Yaml,
            "http.services.s.loadBalancer.serversTransport: `serversTransport` is not implemented",
        ),
        (
            "http:\n  services:\n    s:\n      mirroring:\n        service: x\n",
            Format::Yaml,
            "http.services.s.mirroring: this service type is not implemented",
        ),
        (
            "http:\n  middlewares:\n    m:\n      ipWhiteList:\n        sourceRange: [1.2.3.4]\n",
            Format::Yaml,
            "use `ipAllowList`",
        ),
        (
            "http:\n  middlewares:\n    m:\n      digestAuth:\n        users: [a]\n",
            Format::Yaml,
            "http.middlewares.m.digestAuth: this middleware is not implemented",
        ),
        (
            "http:\n  middlewares:\n    m:\n      rateLimit:\n        redis:\n          endpoints: [x]\n",
            Format::Yaml,
            "http.middlewares.m.rateLimit.redis: a Redis-backed",
        ),
        ("udp:\n  routers: {}\n", Format::Yaml, "udp: UDP routing is not implemented"),
        (
            "tls:\n  stores:\n    default:\n      defaultGeneratedCert:\n        resolver: le\n",
            Format::Yaml,
            "tls.stores.default.defaultGeneratedCert: `defaultGeneratedCert` (ACME)",
        ),
    ];
    for (text, format, expected) in cases {
        let err = parse_error(text, *format);
        assert!(err.contains(expected), "got {err:?}, expected {expected:?}");
    }
}

/// Issue 13 (found by `fuzz_config_loader`): a JSON document followed by anything else
/// loaded as the first document alone; `{"http": {}} {"tcp": {}}` dropped the second.
#[test]
fn text_after_a_json_document_is_refused() {
    for text in [r#"{"http": {}} {"tcp": {}}"#, "{}\n]", "{} x"] {
        let err = parse_error(text, Format::Json);
        assert!(err.contains("trailing characters"), "{text}: {err}");
    }
    let err = parse_error("{\"http\": {}}\n\n{}", Format::Json);
    assert!(err.contains("line 3"), "{err}");
    load_document("{\"http\": {}}\n \t\n", Format::Json).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_name_defined_twice_is_refused() {
    let yaml = "http:\n  middlewares:\n    a: {addPrefix: {prefix: /a}}\n    a: {addPrefix: {prefix: /b}}\n";
    let err = parse_error(yaml, Format::Yaml);
    assert!(err.starts_with("http.middlewares.a: this name is defined twice (line 4)"), "{err}");
    let json = r#"{"http": {"routers": {"r": {}, "r": {}}}}"#;
    let err = parse_error(json, Format::Json);
    assert!(err.starts_with("http.routers.r: this name is defined twice"), "{err}");
    let toml = "[http.middlewares.a.addPrefix]\nprefix = \"/a\"\n[http.middlewares.a.addPrefix]\nprefix = \"/b\"\n";
    assert!(parse_error(toml, Format::Toml).contains("duplicate key"));
    // An empty section is an empty map.
    load_document("http:\n  routers:\n  services:\n", Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn rule_syntax_v2_is_refused() {
    let yaml = "http:\n  routers:\n    web:\n      rule: Host(`a`)\n      ruleSyntax: v2\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://a'}]\n";
    let errors = validation_errors(yaml, Format::Yaml);
    assert_eq!(errors, ["http.routers.web.ruleSyntax: only the v3 rule syntax is implemented by traefikee: rewrite the rule in v3 syntax"]);
}

#[test]
fn validation_reports_everything_at_once() {
    let yaml = r#"
entryPoints:
  web:
    address: ":80"
  dup:
    address: "0.0.0.0:80"
  bad:
    address: "nowhere"
http:
  routers:
    r1:
      rule: Host(`a`) && Pathh(`/`)
      service: missing
      middlewares: [nope]
      entryPoints: [web, websecure]
      tls:
        options: ghost
    r2:
      service: s
    r3:
      rule: Host(`a`)
      service: api@internal
      priority: 9223372036854775000
  services:
    s:
      loadBalancer:
        servers: []
    u:
      loadBalancer:
        servers:
          - url: "10.0.0.1:80"
          - url: ftp://host
          - url: http://ok
            weight: -1
    both:
      loadBalancer:
        servers: [{url: "http://a"}]
      weighted:
        services: [{name: s}]
    none: {}
    w1:
      weighted:
        services: [{name: w2}]
    w2:
      weighted:
        services: [{name: w1}, {name: ghost}]
  middlewares:
    empty: {}
    two:
      addPrefix: {prefix: /a}
      stripPrefix: {prefixes: [/b]}
    c1:
      chain: {middlewares: [c2]}
    c2:
      chain: {middlewares: [c1]}
    badre:
      replacePathRegex: {regex: "(", replacement: x}
    users:
      basicAuth: {users: ["alice:plaintext", "bob"]}
    ips:
      ipAllowList: {sourceRange: ["10.0.0.0/33"]}
tcp:
  routers:
    t:
      rule: HostSNI(`a.com`)
      service: ghost
  services:
    ts:
      loadBalancer:
        servers: [{address: "no-port"}]
tls:
  options:
    old:
      minVersion: VersionTLS10
      cipherSuites: [TLS_RSA_WITH_RC4_128_SHA, NOPE]
  stores:
    other: {}
"#;
    let errors = validation_errors(yaml, Format::Yaml);
    for needle in [
        "entryPoints.web.address: \":80\" conflicts with entry point \"dup\"",
        "entryPoints.bad.address: invalid address \"nowhere\"",
        "http.routers.r1.rule: invalid rule at byte 13: unknown matcher `Pathh`",
        "http.routers.r1.service: unknown service \"missing\"",
        "http.routers.r1.middlewares[0]: unknown middleware \"nope\"",
        "http.routers.r1.entryPoints[1]: unknown entry point \"websecure\"",
        "http.routers.r1.tls.options: unknown TLS options \"ghost\"",
        "http.routers.r2.rule: a rule is required",
        "http.routers.r3.service: \"api@internal\": this internal service is not implemented by traefikee",
        "http.routers.r3.priority: the router priority 9223372036854775000 exceeds",
        "http.services.s.loadBalancer.servers: at least one server is required",
        "http.services.u.loadBalancer.servers[0].url: invalid URL",
        "http.services.u.loadBalancer.servers[1].url: unsupported scheme \"ftp\"",
        "http.services.u.loadBalancer.servers[2].weight: must not be negative",
        "http.services.both: a service can have only one of",
        "http.services.none: a service needs one of",
        "http.services.w2.weighted.services[1].name: unknown service \"ghost\"",
        "http.services.w1.weighted.services: reference cycle: w1 -> w2 -> w1",
        "http.middlewares.empty: a middleware needs exactly one type",
        "http.middlewares.two: a middleware can have only one type, found addPrefix, stripPrefix",
        "http.middlewares.c1.chain.middlewares: reference cycle: c1 -> c2 -> c1",
        "http.middlewares.badre.replacePathRegex.regex: invalid regular expression",
        "http.middlewares.users.basicAuth.users[0]: unsupported password hash for user \"alice\"",
        "http.middlewares.users.basicAuth.users[1]: expected user:hash",
        "http.middlewares.ips.ipAllowList.sourceRange[0]: \"10.0.0.0/33\" is neither an IP nor a CIDR",
        "tcp.routers.t.rule: a HostSNI matcher other than HostSNI(`*`) needs `tls`",
        "tcp.routers.t.service: unknown TCP service \"ghost\"",
        "tcp.services.ts.loadBalancer.servers[0].address: invalid address \"no-port\"",
        "tls.options.old.minVersion: VersionTLS10 is not supported",
        "tls.options.old.cipherSuites[0]: TLS_RSA_WITH_RC4_128_SHA is not supported",
        "tls.options.old.cipherSuites[1]: unknown cipher suite \"NOPE\"",
        "tls.stores.other: only the `default` TLS store exists",
    ] {
        assert_has(&errors, needle);
    }
    assert_eq!(errors.len(), 32, "{errors:#?}");
}

#[test]
fn static_checks() {
    let cases: &[(&str, &str)] = &[
        ("entryPoints:\n  web:\n    address: ':80/udp'\n", "entryPoints.web.address: UDP entry points are not implemented"),
        ("entryPoints:\n  web:\n    address: ':http'\n", "entryPoints.web.address: invalid port \"http\""),
        ("entryPoints:\n  web: {}\n", "entryPoints.web.address: an address such as \":80\" is required"),
        ("entryPoints:\n  web:\n    address: ':80'\n    http:\n      redirections:\n        entryPoint:\n          to: nowhere\n", "unknown entry point \"nowhere\""),
        ("entryPoints:\n  web:\n    address: ':80'\n    http:\n      redirections:\n        entryPoint:\n          to: web\n", "cannot redirect to itself"),
        ("entryPoints:\n  web:\n    address: ':80'\n    forwardedHeaders:\n      trustedIPs: [nope]\n", "entryPoints.web.forwardedHeaders.trustedIPs[0]"),
        ("entryPoints:\n  web:\n    address: ':80'\n    transport:\n      respondingTimeouts:\n        readTimeout: -1s\n", "readTimeout: must not be negative"),
        ("providers:\n  file: {}\n", "providers.file: set `filename` or `directory`"),
        ("providers:\n  file:\n    filename: a\n    directory: b\n", "set only one of"),
    ];
    for (text, needle) in cases {
        let err = load_static(text, Format::Yaml).expect_err(text).to_string();
        assert!(err.contains(needle), "{err:?} should contain {needle:?}");
    }
    // Redirection to a port is fine.
    let ok = "entryPoints:\n  web:\n    address: ':80'\n    http:\n      redirections:\n        entryPoint:\n          to: ':443'\n";
    load_static(ok, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn durations_accept_traefik_forms() {
    for (value, secs_millis) in
        [("10", 10_000), ("\"10\"", 10_000), ("10s", 10_000), ("1m30s", 90_000), ("100ms", 100), ("1.5s", 1_500)]
    {
        let text = format!("entryPoints:\n  web:\n    address: ':80'\n    transport:\n      respondingTimeouts:\n        idleTimeout: {value}\n");
        let config = load_static(&text, Format::Yaml).unwrap_or_else(|e| panic!("{value}: {e}"));
        let idle = config.entry_points["web"]
            .transport
            .as_ref()
            .and_then(|t| t.responding_timeouts.as_ref())
            .and_then(|t| t.idle_timeout);
        assert_eq!(idle.map(|d| d.as_nanos() / 1_000_000), Some(secs_millis), "{value}");
    }
    let err = load_static(
        "entryPoints:\n  web:\n    address: ':80'\n    transport:\n      lifeCycle:\n        graceTimeOut: 1.5\n",
        Format::Yaml,
    )
    .expect_err("float")
    .to_string();
    assert!(err.contains("entryPoints.web.transport.lifeCycle.graceTimeOut"), "{err}");
}

#[test]
fn empty_documents_are_empty_configurations() {
    for (text, format) in [("", Format::Yaml), ("# nothing\n", Format::Yaml), ("", Format::Toml), ("{}", Format::Json)]
    {
        assert_eq!(load_document(text, format).unwrap_or_else(|e| panic!("{e}")), ConfigDocument::default());
    }
}

#[test]
fn load_file_picks_the_format_by_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = dir.path().join("conf.yml");
    std::fs::File::create(&yaml).and_then(|mut f| f.write_all(FULL.as_bytes())).expect("write");
    let doc = load_file(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let toml = dir.path().join("conf.TOML");
    std::fs::write(&toml, doc.to_text(Format::Toml).expect("toml")).expect("write");
    assert_eq!(load_file(&toml).unwrap_or_else(|e| panic!("{e}")), doc);
    let unknown = dir.path().join("conf.ini");
    std::fs::write(&unknown, "").expect("write");
    assert!(matches!(load_file(&unknown), Err(ConfigError::UnknownFormat { .. })));
    assert!(matches!(load_file(&dir.path().join("missing.yaml")), Err(ConfigError::Io { .. })));
}

#[test]
fn dynamic_alone_does_not_check_entry_points() {
    let yaml = "http:\n  routers:\n    web:\n      rule: Host(`a`)\n      service: s\n      entryPoints: [anything]\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://a'}]\n";
    load_dynamic(yaml, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let err = load_dynamic("entryPoints: {}\n", Format::Yaml).expect_err("static key in dynamic").to_string();
    assert!(err.starts_with("entryPoints: unknown field"), "{err}");
}

#[test]
fn option_checks_of_services_middlewares_and_tls() {
    let yaml = r#"
http:
  services:
    hc:
      loadBalancer:
        servers: [{url: "http://a"}]
        healthCheck:
          path: health
          interval: 0s
          scheme: ftp
          status: 99
        sticky:
          cookie:
            name: "bad name"
            sameSite: sometimes
    empty-weighted:
      weighted:
        services: []
  middlewares:
    h:
      headers:
        customRequestHeaders:
          "Bad Header": x
        accessControlAllowOriginListRegex: ["("]
        stsSeconds: -1
    c:
      compress:
        excludedContentTypes: [a/b]
        includedContentTypes: [c/d]
        encodings: [deflate]
    r:
      retry:
        attempts: 0
    i:
      inFlightReq: {}
    rs:
      redirectScheme:
        scheme: https
        port: "99999"
    fa:
      forwardAuth:
        address: "not a url"
    sp:
      stripPrefix:
        prefixes: []
    rl:
      rateLimit:
        average: -5
        sourceCriterion:
          ipStrategy:
            ipv6Subnet: 200
    ch:
      chain:
        middlewares: []
tcp:
  services:
    a:
      weighted:
        services: [{name: b}]
    b:
      weighted:
        services: [{name: a, weight: -2}]
tls:
  certificates:
    - certFile: ""
      keyFile: /k.pem
      stores: [other]
  options:
    o:
      minVersion: VersionTLS13
      maxVersion: VersionTLS12
      curvePreferences: [CurveP521]
      alpnProtocols: [""]
      clientAuth:
        clientAuthType: RequireAndVerifyClientCert
"#;
    let errors = validation_errors(yaml, Format::Yaml);
    for needle in [
        "http.services.hc.loadBalancer.healthCheck.path: must start with /",
        "http.services.hc.loadBalancer.healthCheck.interval: must be greater than zero",
        "http.services.hc.loadBalancer.healthCheck.scheme: invalid scheme \"ftp\"",
        "http.services.hc.loadBalancer.healthCheck.status: invalid HTTP status 99",
        "http.services.hc.loadBalancer.sticky.cookie.sameSite: invalid value \"sometimes\"",
        "http.services.hc.loadBalancer.sticky.cookie.name: invalid cookie name \"bad name\"",
        "http.services.empty-weighted.weighted.services: at least one service is required",
        "http.middlewares.h.headers.customRequestHeaders.Bad Header: invalid header name",
        "http.middlewares.h.headers.accessControlAllowOriginListRegex[0]: invalid regular expression",
        "http.middlewares.h.headers.stsSeconds: must not be negative",
        "http.middlewares.c.compress: `excludedContentTypes` and `includedContentTypes` are mutually exclusive",
        "http.middlewares.c.compress.encodings[0]: unknown encoding \"deflate\"",
        "http.middlewares.r.retry.attempts: must be greater than zero",
        "http.middlewares.i.inFlightReq.amount: must be greater than zero",
        "http.middlewares.rs.redirectScheme.port: invalid port \"99999\"",
        "http.middlewares.fa.forwardAuth.address: invalid address \"not a url\"",
        "http.middlewares.sp.stripPrefix.prefixes: at least one prefix is required",
        "http.middlewares.rl.rateLimit.average: must not be negative",
        "http.middlewares.rl.rateLimit.sourceCriterion.ipStrategy.ipv6Subnet: invalid IPv6 subnet 200",
        "http.middlewares.ch.chain.middlewares: at least one middleware is required",
        "tcp.services.b.weighted.services[0].weight: must not be negative",
        "tcp.services.a.weighted.services: reference cycle: a -> b -> a",
        "tls.certificates[0].certFile: a certificate (file path or PEM) is required",
        "tls.certificates[0].stores[0]: unknown TLS store \"other\"",
        "tls.options.o.minVersion: is above maxVersion",
        "tls.options.o.curvePreferences[0]: unsupported curve \"CurveP521\"",
        "tls.options.o.alpnProtocols[0]: must be 1 to 255 bytes long",
        "tls.options.o.clientAuth.caFiles: RequireAndVerifyClientCert needs at least one CA",
    ] {
        assert_has(&errors, needle);
    }
    assert_eq!(errors.len(), 28, "{errors:#?}");
}
