//! Routing tables built from a document follow Traefik's entry point defaults, entry point
//! TLS/middlewares inheritance and redirections.

use traefikee_proxy::config::{load_document, Format};
use traefikee_proxy::router::{HttpRoutingTables, RouteTarget};
use traefikee_proxy::rule::SimpleRequest;

const FULL: &str = include_str!("fixtures/full.yaml");

#[test]
fn full_fixture_tables() {
    let doc = load_document(FULL, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let tables = HttpRoutingTables::from_document(&doc).unwrap_or_else(|e| panic!("{e}"));

    // Plain HTTP on `web` is redirected, whatever the host and path...
    let req = SimpleRequest::new("GET", "example.com", "/anything");
    let hit = tables.plain.lookup("web", &req).expect("path").expect("redirect route");
    assert_eq!(hit.name, "web-to-websecure");
    assert_eq!(hit.priority, i64::MAX - 1);
    assert!(
        matches!(hit.value, RouteTarget::Redirect { to, scheme, permanent: true, .. } if to == "websecure" && scheme == "https")
    );
    // ...but not a request without a host.
    assert!(tables.plain.lookup("web", &SimpleRequest::new("GET", "", "/")).expect("path").is_none());

    // Every router on `websecure` inherits its TLS: nothing is served in plain HTTP there.
    assert!(tables
        .plain
        .lookup("websecure", &SimpleRequest::new("GET", "api.example.com", "/v1"))
        .expect("path")
        .is_none());

    let api = tables.tls.lookup("websecure", &SimpleRequest::new("GET", "api.example.com", "/v1/users")).expect("path");
    let api = api.expect("api router");
    assert_eq!((api.name, api.priority), ("api", 100));
    match api.value {
        RouteTarget::Router { router, service, middlewares, tls } => {
            assert_eq!((router.as_str(), service.as_str()), ("api", "api"));
            assert_eq!(middlewares, &["secure-headers", "strip-v1", "auth", "limit"]);
            assert_eq!(tls.as_ref().and_then(|t| t.options.as_deref()), Some("modern"));
        }
        other => panic!("unexpected target {other:?}"),
    }

    // `web` names no entry point: it serves the `asDefault` one only.
    let www = SimpleRequest::new("GET", "www.example.com", "/");
    assert_eq!(tables.tls.lookup("websecure", &www).expect("path").map(|m| m.name), Some("web"));
    assert!(tables.tls.lookup("web", &www).expect("path").is_none());
    assert!(tables
        .tls
        .lookup("websecure", &SimpleRequest::new("GET", "www.example.com", "/admin/x"))
        .expect("path")
        .is_none());
}

#[test]
fn entry_point_models_split_routers() {
    let yaml = r#"
entryPoints:
  a:
    address: ":8001"
  b:
    address: ":8002"
    http:
      middlewares: [m]
http:
  routers:
    r:
      rule: PathPrefix(`/`)
      service: s
      middlewares: [n]
  services:
    s:
      loadBalancer:
        servers: [{url: "http://127.0.0.1:9000"}]
  middlewares:
    m:
      addPrefix: {prefix: /m}
    n:
      addPrefix: {prefix: /n}
"#;
    let doc = load_document(yaml, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let tables = HttpRoutingTables::from_document(&doc).unwrap_or_else(|e| panic!("{e}"));
    let req = SimpleRequest::new("GET", "h", "/x");
    // No entry point is `asDefault`: the router serves all of them.
    let on_a = tables.plain.lookup("a", &req).expect("path").expect("route on a");
    let on_b = tables.plain.lookup("b", &req).expect("path").expect("route on b");
    assert_eq!(on_a.name, "r");
    assert_eq!(on_b.name, "b-r");
    let middlewares = |t: &RouteTarget| match t {
        RouteTarget::Router { middlewares, .. } => middlewares.clone(),
        RouteTarget::Redirect { .. } => Vec::new(),
    };
    assert_eq!(middlewares(on_a.value), ["n"]);
    assert_eq!(middlewares(on_b.value), ["m", "n"]);
    assert!(tables.tls.is_empty());
}
