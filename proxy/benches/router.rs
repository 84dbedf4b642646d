//! Router lookup cost with 10, 1,000 and 10,000 routers: one host per router, and one host
//! with a distinct path prefix per router. With the index, both should stay flat.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use traefikee_proxy::router::{HttpRoute, HttpRouterIndex};
use traefikee_proxy::rule::{parse_http_rule, SimpleRequest};

fn index(rules: impl Iterator<Item = String>) -> HttpRouterIndex<usize> {
    HttpRouterIndex::new(rules.enumerate().map(|(i, rule)| {
        let rule = parse_http_rule(&rule).expect("benchmark rule");
        HttpRoute::new(format!("router-{i}"), vec!["web".to_owned()], rule, 0, i)
    }))
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup");
    for n in [10usize, 1_000, 10_000] {
        let by_host = index((0..n).map(|i| format!("Host(`host{i}.example.com`)")));
        let last_host = SimpleRequest::new("GET", &format!("host{}.example.com", n - 1), "/index.html");
        group.bench_with_input(BenchmarkId::new("host_rules", n), &n, |b, _| {
            b.iter(|| by_host.lookup("web", black_box(&last_host)).map(|m| m.map(|m| *m.value)))
        });

        let by_path = index((0..n).map(|i| format!("Host(`api.example.com`) && PathPrefix(`/svc{i}/`)")));
        let last_path = SimpleRequest::new("GET", "api.example.com", &format!("/svc{}/items/42", n - 1));
        group.bench_with_input(BenchmarkId::new("path_rules", n), &n, |b, _| {
            b.iter(|| by_path.lookup("web", black_box(&last_path)).map(|m| m.map(|m| *m.value)))
        });

        let miss = SimpleRequest::new("GET", "unknown.example.org", "/nothing");
        group.bench_with_input(BenchmarkId::new("no_match", n), &n, |b, _| {
            b.iter(|| by_path.lookup("web", black_box(&miss)).map(|m| m.map(|m| *m.value)))
        });
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
