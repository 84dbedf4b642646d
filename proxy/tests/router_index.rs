//! The router index must pick exactly the route a linear scan over all routes, sorted by
//! priority (then name), would pick.

use proptest::prelude::*;
use traefikee_proxy::router::{HttpRoute, HttpRouterIndex};
use traefikee_proxy::rule::{parse_http_rule, RequestView, SimpleRequest};

const HOSTS: &[&str] = &["a.com", "b.com", "A.com", "a.com.", "*.a.com", "x.a.com", "c.org", "*"];
const PATHS: &[&str] = &["/", "/api", "/api/", "/api/v1", "/apix", "/b", "/b/c", "/a%2Fb", "/a b"];
const ENTRY_POINTS: &[&str] = &["web", "websecure"];

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(HOSTS).prop_map(|h| format!("Host(`{h}`)")),
        3 => prop::sample::select(PATHS).prop_map(|p| format!("PathPrefix(`{p}`)")),
        3 => prop::sample::select(PATHS).prop_map(|p| format!("Path(`{p}`)")),
        1 => Just(r"HostRegexp(`^[ab]\.com$`)".to_owned()),
        1 => Just(r"PathRegexp(`^/api/v[0-9]`)".to_owned()),
        1 => prop::sample::select(&["GET", "POST"][..]).prop_map(|m| format!("Method(`{m}`)")),
        1 => Just("Header(`X-A`, `1`)".to_owned()),
        1 => Just("Query(`q`, `1`)".to_owned()),
        1 => Just("ClientIP(`10.0.0.0/8`)".to_owned()),
    ]
}

fn rule() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} || {b})")),
            inner.clone().prop_map(|a| format!("!({a})")),
            (inner.clone(), inner.clone(), inner).prop_map(|(a, b, c)| format!("({a} || {b}) && {c}")),
        ]
    })
}

#[derive(Debug, Clone)]
struct RouteSpec {
    rule: String,
    priority: i64,
    entry_points: Vec<String>,
}

fn route() -> impl Strategy<Value = RouteSpec> {
    (rule(), prop_oneof![3 => Just(0i64), 1 => -3i64..40], prop::sample::subsequence(ENTRY_POINTS, 1..=2)).prop_map(
        |(rule, priority, eps)| RouteSpec {
            rule,
            priority,
            entry_points: eps.iter().map(|e| (*e).to_owned()).collect(),
        },
    )
}

fn request() -> impl Strategy<Value = SimpleRequest> {
    let host = prop::sample::select(
        &["a.com", "A.COM:8080", "a.com.", "b.com", "x.a.com", "y.a.com", "x.y.a.com", "c.org", ""][..],
    );
    let path = prop::sample::select(
        &["/", "/api", "/api/", "/api/v1/x", "/apix", "/b", "/b/c", "/a%2Fb", "/a%20b", "/zzz"][..],
    );
    let query = prop::sample::select(&["", "?q=1", "?q=2"][..]);
    (host, path, query, prop::bool::ANY, prop::bool::ANY, prop::bool::ANY).prop_map(
        |(h, p, q, post, header, internal)| {
            let mut r = SimpleRequest::new(if post { "POST" } else { "GET" }, h, &format!("{p}{q}"));
            if header {
                r = r.header("X-A", "1");
            }
            r.client_ip(if internal { [10, 1, 2, 3].into() } else { [192, 0, 2, 1].into() })
        },
    )
}

fn naive<'a>(routes: &'a [HttpRoute<()>], ep: &str, req: &dyn RequestView) -> Option<&'a str> {
    let mut sorted: Vec<&HttpRoute<()>> = routes.iter().filter(|r| r.entry_points.iter().any(|e| e == ep)).collect();
    sorted.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.name.cmp(&b.name)));
    sorted.into_iter().find(|r| r.rule.matches(req)).map(|r| r.name.as_str())
}

fn build(specs: &[RouteSpec]) -> Vec<HttpRoute<()>> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let rule = parse_http_rule(&s.rule).unwrap_or_else(|e| panic!("generated rule {}: {e}", s.rule));
            HttpRoute::new(format!("r{i:02}"), s.entry_points.clone(), rule, s.priority, ())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn index_agrees_with_linear_scan(specs in prop::collection::vec(route(), 1..40), reqs in prop::collection::vec(request(), 1..25)) {
        let routes = build(&specs);
        let index = HttpRouterIndex::new(routes.clone());
        for req in &reqs {
            for ep in ENTRY_POINTS.iter().chain(&["other"]) {
                let expected = naive(&routes, ep, req);
                let got = index.lookup(ep, req).expect("valid path").map(|m| m.name);
                prop_assert_eq!(got, expected, "entry point {} request {:?}", ep, req);
            }
        }
    }
}

#[test]
fn many_hosts_and_paths() {
    let mut routes = Vec::new();
    for i in 0..2000 {
        let rule = format!("Host(`h{}.example.com`) && PathPrefix(`/svc{}`)", i % 50, i);
        routes.push(HttpRoute::new(
            format!("r{i}"),
            vec!["web".to_owned()],
            parse_http_rule(&rule).expect("rule"),
            0,
            i,
        ));
    }
    routes.push(HttpRoute::new(
        "catch-all",
        vec!["web".to_owned()],
        parse_http_rule("PathPrefix(`/`)").expect("rule"),
        1,
        9999,
    ));
    let index = HttpRouterIndex::new(routes.clone());
    for (host, path, want) in [
        ("h7.example.com", "/svc7/x", Some("r7")),
        ("h7.example.com", "/svc1007", Some("r1007")),
        // `/svc1007` also starts with `/svc100`; the longer rule wins, as in Traefik.
        ("h7.example.com:443", "/svc10070", Some("r1007")),
        ("h8.example.com", "/svc7", Some("catch-all")),
        ("nowhere", "/", Some("catch-all")),
    ] {
        let req = SimpleRequest::new("GET", host, path);
        assert_eq!(index.lookup("web", &req).expect("path").map(|m| m.name), want, "{host}{path}");
        assert_eq!(
            naive(
                &routes
                    .iter()
                    .map(|r| HttpRoute::new(r.name.clone(), r.entry_points.clone(), r.rule.clone(), r.priority, ()))
                    .collect::<Vec<_>>(),
                "web",
                &req
            ),
            want
        );
    }
    assert!(index.lookup("web", &SimpleRequest::new("GET", "h", "/bad%zz")).is_err());
    assert_eq!(index.lookup("nope", &SimpleRequest::new("GET", "h", "/")).expect("path"), None);
}

#[test]
fn explicit_priority_and_ties() {
    let mk = |name: &str, rule: &str, prio: i64| {
        HttpRoute::new(name, vec!["web".to_owned()], parse_http_rule(rule).expect("rule"), prio, ())
    };
    // Traefik's documentation example: the longer HostRegexp wins by default...
    let regexp = r"HostRegexp(`[a-z]+\.traefik\.com`)";
    let index = HttpRouterIndex::new(vec![mk("Router-1", regexp, 0), mk("Router-2", "Host(`foobar.traefik.com`)", 0)]);
    let req = SimpleRequest::new("GET", "foobar.traefik.com", "/");
    assert_eq!(index.lookup("web", &req).expect("path").map(|m| m.name), Some("Router-1"));
    // ...and explicit priorities reverse it.
    let index = HttpRouterIndex::new(vec![mk("Router-1", regexp, 1), mk("Router-2", "Host(`foobar.traefik.com`)", 2)]);
    assert_eq!(index.lookup("web", &req).expect("path").map(|m| (m.name, m.priority)), Some(("Router-2", 2)));
    // Equal priorities: the name decides.
    let index = HttpRouterIndex::new(vec![mk("b", "Host(`x`)", 5), mk("a", "Host(`y`) || Host(`x`)", 5)]);
    let req = SimpleRequest::new("GET", "x", "/");
    assert_eq!(index.lookup("web", &req).expect("path").map(|m| m.name), Some("a"));
    // Negative priorities are allowed and sort last.
    let index = HttpRouterIndex::new(vec![mk("low", "PathPrefix(`/`)", -1), mk("high", "PathPrefix(`/x`)", 0)]);
    assert_eq!(index.lookup("web", &SimpleRequest::new("GET", "h", "/y")).expect("path").map(|m| m.name), Some("low"));
}

#[test]
fn large_disjunctions_and_their_products() {
    // Each side has 20 alternatives: the 400-way product is above the index's limit, so it
    // keeps one side; the answer must not change.
    let hosts = (0..20).map(|i| format!("Host(`h{i}.com`)")).collect::<Vec<_>>().join(" || ");
    let paths = (0..20).map(|i| format!("PathPrefix(`/p{i}/`)")).collect::<Vec<_>>().join(" || ");
    let specs = [
        format!("({hosts}) && ({paths})"),
        format!("({paths}) && ({hosts})"),
        "(Host(`h3.com`) || Host(`x.com`)) && (Path(`/p3/a`) || PathPrefix(`/q`))".to_owned(),
        "!(Host(`h1.com`) || PathPrefix(`/p1/`)) && Method(`GET`)".to_owned(),
    ];
    let routes: Vec<HttpRoute<()>> = specs
        .iter()
        .enumerate()
        .map(|(i, r)| HttpRoute::new(format!("r{i}"), vec!["web".to_owned()], parse_http_rule(r).expect("rule"), 0, ()))
        .collect();
    let index = HttpRouterIndex::new(routes.clone());
    for h in ["h0.com", "h1.com", "h3.com", "h19.com", "x.com", "y.com"] {
        for p in ["/p0/a", "/p1/", "/p3/a", "/p19/z", "/q", "/p20/", "/"] {
            let req = SimpleRequest::new("GET", h, p);
            assert_eq!(index.lookup("web", &req).expect("path").map(|m| m.name), naive(&routes, "web", &req), "{h}{p}");
        }
    }
}
