//! No input makes the rule parser, the matchers, the router, the configuration loader or the
//! ClientHello reader panic: the cargo-fuzz targets of `fuzz/` (same checks, in
//! `fuzz/checks/`) run for a bounded time on the stable toolchain (`traefikee-fuzzkit`:
//! seeds mutated for `TRAEFIKEE_FUZZ_SECS`, regression cases from `fuzz/regressions`), plus
//! a router index built from thousands of mutated rules and pathological shapes.

#[path = "../../fuzz/checks/client_hello.rs"]
mod client_hello;
#[path = "../../fuzz/checks/config_loader.rs"]
mod config_loader;
#[path = "../../fuzz/checks/rule_parser.rs"]
mod rule_parser;

use traefikee_fuzzkit::Target;
use traefikee_proxy::config::{load_document, Format};
use traefikee_proxy::router::{HttpRoute, HttpRouterIndex};
use traefikee_proxy::rule::{parse_http_rule, parse_tcp_rule, ConnInfo, SimpleRequest};
use traefikee_proxy::tls::client_hello::parse_hello;

const FULL: &str = include_str!("fixtures/full.yaml");

const RULE_SEEDS: &[&str] = &[
    "Host(`example.com`) && PathPrefix(`/api`)",
    "(Host(`a.com`) || Host(`*.b.com`)) && !Path(`/x`)",
    r"HostRegexp(`^[a-z]+\.example\.com$`) || PathRegexp(`\.(png|jpg)$`)",
    "Header(`X-A`, \"\\x41\\u00e9\") && Query(`q`) && QueryRegexp(`r`, `^(a|b)$`)",
    "Method(`GET`) && ClientIP(`10.0.0.0/8`) || ClientIP(`::1`)",
    "HostSNI(`*.example.com`) && ALPN(`h2`) || HostSNIRegexp(`^x`)",
    r"PathRegexp(`\Qa.b\E[[:alpha:]\d-]{2,3}(?i:x)\101`)",
    "Host(`a`) /* c */ &&\n Path(`/`) // end",
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const TOKENS: &[&str] = &[
    "`",
    "\"",
    "(",
    ")",
    "&&",
    "||",
    "!",
    ",",
    "\\",
    "\n",
    " ",
    "\t",
    "Host",
    "Path(",
    "PathPrefix(`/",
    "*",
    "%",
    "%2F",
    "%zz",
    "{",
    "}",
    "[",
    "]",
    ":",
    "-",
    "0",
    "\u{0}",
    "\u{feff}",
    "é",
    "\\x",
    "\\u",
    "\\777",
    "/*",
    "*/",
    "//",
    "(?",
    "\\Q",
    "\\E",
    "{1001}",
    "[[:",
    "'",
    "~",
    "#",
    ": ",
    "- ",
    "[[",
    "]]",
    "=",
    "{}",
    "null",
    "-1",
    "1e999",
    "9999999999999999999999",
    "\"\\u",
    "\r\n",
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 => bytes.splice(at..at, rng.pick(TOKENS).bytes()).for_each(drop),
            1 => {
                let end = (at + rng.below(8)).min(bytes.len());
                bytes.drain(at..end);
            }
            2 => bytes.truncate(at),
            3 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] = (rng.next() & 0x7f) as u8;
            }
            _ => {
                let end = (at + rng.below(16)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy).for_each(drop);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn requests(rng: &mut Rng) -> Vec<SimpleRequest> {
    let hosts = ["example.com", "A.COM:80", "[::1]:443", "", "x.b.com.", "::1", "a:b:c", "é.com"];
    let paths = ["/", "/api/x", "/%41%2F", "/a%", "/a%zz", "/a b{", "*", ""];
    (0..4)
        .map(|_| {
            let method = *rng.pick(&["GET", "get", "POST"]);
            let host = *rng.pick(&hosts);
            let path = *rng.pick(&paths);
            SimpleRequest::new(method, host, path).header("X-A", "A\u{e9}").client_ip([10, 0, 0, 1].into())
        })
        .collect()
}

#[test]
fn rules_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut routes = Vec::new();
    for i in 0..4000 {
        let seed = *rng.pick(RULE_SEEDS);
        let input = mutate(&mut rng, seed);
        if let Ok(rule) = parse_http_rule(&input) {
            for req in requests(&mut rng) {
                rule.matches(&req);
            }
            routes.push(HttpRoute::new(format!("r{i}"), vec!["web".to_owned()], rule, (rng.next() % 7) as i64 - 3, ()));
        }
        if let Ok(rule) = parse_tcp_rule(&input) {
            rule.matches(&ConnInfo { server_name: "A.example.com", client_ip: None, alpn_protocols: &["h2"] });
            rule.default_priority();
        }
    }
    assert!(routes.len() > 100, "the mutations should keep some rules valid ({})", routes.len());
    let index = HttpRouterIndex::new(routes);
    for req in requests(&mut rng).iter().chain(&requests(&mut rng)) {
        let _ = index.lookup("web", req);
    }
}

#[test]
fn fuzz_rule_parser() {
    Target::new("rule_parser")
        .text()
        .seeds(RULE_SEEDS.iter().copied())
        .dictionary(TOKENS)
        .max_len(4096)
        .expect_accepted(8)
        .run(rule_parser::check);
}

#[test]
fn pathological_rules_are_refused_or_accepted_without_panic() {
    let deep_parens = format!("{}Host(`a`){}", "(".repeat(10_000), ")".repeat(10_000));
    let many_nots = format!("{}Host(`a`)", "!".repeat(100_000));
    let long_chain = vec!["Host(`a`)"; 50_000].join(" && ");
    let long_or = vec!["Path(`/x`)"; 50_000].join(" || ");
    for input in [deep_parens.as_str(), &many_nots, &long_chain, &long_or, "\u{feff}Host(`a`)", "Host(`a`)\u{feff}"] {
        let _ = parse_http_rule(input);
        let _ = parse_tcp_rule(input);
    }
    let chain = parse_http_rule(&long_chain).expect("a long conjunction is a valid rule");
    assert!(chain.matches(&SimpleRequest::new("GET", "a", "/")));
    // Indexing a rule with tens of thousands of alternatives stays fast (no quadratic dedup).
    let distinct_or = (0..50_000).map(|i| format!("Host(`h{i}`) && Path(`/p{i}`)")).collect::<Vec<_>>().join(" || ");
    let rule = parse_http_rule(&distinct_or).expect("valid");
    let index = HttpRouterIndex::new([HttpRoute::new("big", vec!["web".to_owned()], rule, 0, ())]);
    let hit = index.lookup("web", &SimpleRequest::new("GET", "h49999", "/p49999")).expect("path");
    assert_eq!(hit.map(|m| m.name), Some("big"));
    assert!(parse_http_rule(&deep_parens).is_err());
    let huge_regex = format!("PathRegexp(`{}`)", "(a{1000}){1000}".repeat(3));
    assert!(parse_http_rule(&huge_regex).is_err());
}

#[test]
fn fuzz_config_loader() {
    let doc = load_document(FULL, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let mut seeds = Vec::new();
    for (selector, format) in [(0u8, Format::Yaml), (1, Format::Toml), (2, Format::Json)] {
        let text =
            if format == Format::Yaml { FULL.to_owned() } else { doc.to_text(format).expect("the fixture converts") };
        seeds.push([&[selector][..], text.as_bytes()].concat());
    }
    seeds.push(b"\x02{\"entryPoints\":{\"web\":{\"address\":\":80\"}}}".to_vec());
    seeds.push(b"\x00tcp:\n  routers:\n    t:\n      rule: HostSNI(`*`)\n      service: s\n".to_vec());
    Target::new("config_loader")
        .header(1)
        .text()
        .json()
        .seeds(seeds)
        .dictionary(TOKENS)
        .dictionary(RULE_SEEDS)
        .expect_accepted(5)
        .run(config_loader::check);
}

#[test]
fn pathological_configurations_are_refused() {
    let nested_yaml = format!("http:\n  routers:\n    a: {}{}", "[".repeat(5_000), "]".repeat(5_000));
    let nested_toml = format!("a = {}{}", "[".repeat(5_000), "]".repeat(5_000));
    let nested_json = format!("{{\"http\": {}{}}}", "[".repeat(5_000), "]".repeat(5_000));
    assert!(load_document(&nested_yaml, Format::Yaml).is_err());
    assert!(load_document(&nested_toml, Format::Toml).is_err());
    assert!(load_document(&nested_json, Format::Json).is_err());
    let anchors =
        "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: &d [*c, *c]\nhttp: {routers: {r: {entryPoints: *d}}}\n";
    assert!(load_document(anchors, Format::Yaml).is_err());
}

#[test]
fn a_client_hello_is_read() {
    let record = hello_record(b"a.example.com", &[b"h2"], &[]);
    let hello = parse_hello(&record).expect("valid hello");
    assert_eq!(hello.server_name.as_deref(), Some("a.example.com"));
    assert_eq!(hello.alpn, vec!["h2".to_owned()]);
}

/// A ClientHello record (TLS 1.2 framing, one cipher suite) with the SNI, ALPN and other
/// extensions given.
fn hello_record(server_name: &[u8], alpn: &[&[u8]], extra: &[(u16, &[u8])]) -> Vec<u8> {
    let mut ext = Vec::new();
    let mut push = |kind: u16, data: &[u8]| {
        ext.extend_from_slice(&kind.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend_from_slice(data);
    };
    if !server_name.is_empty() {
        let mut names = vec![0u8];
        names.extend_from_slice(&(server_name.len() as u16).to_be_bytes());
        names.extend_from_slice(server_name);
        push(0, &[&(names.len() as u16).to_be_bytes()[..], &names].concat());
    }
    if !alpn.is_empty() {
        let list: Vec<u8> = alpn.iter().flat_map(|p| [&[p.len() as u8][..], p].concat()).collect();
        push(16, &[&(list.len() as u16).to_be_bytes()[..], &list].concat());
    }
    for (kind, data) in extra {
        push(*kind, data);
    }
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut handshake = vec![1, 0];
    handshake.extend_from_slice(&(body.len() as u16).to_be_bytes());
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 3, 1];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

#[test]
fn fuzz_client_hello() {
    let plain = hello_record(b"a.example.com", &[b"h2"], &[]);
    // The same hello split over two records, as some clients send a large one.
    let mut split = plain[..5].to_vec();
    split[3..5].copy_from_slice(&10u16.to_be_bytes());
    split.extend_from_slice(&plain[5..15]);
    split.extend_from_slice(&[0x16, 3, 1]);
    split.extend_from_slice(&((plain.len() - 15) as u16).to_be_bytes());
    split.extend_from_slice(&plain[15..]);
    let seeds = vec![
        plain,
        split,
        hello_record(b"", &[], &[]),
        hello_record(b"X.Example.COM", &[b"h2", b"http/1.1", b""], &[(0x0a0a, b""), (43, &[2, 3, 4]), (51, &[0; 36])]),
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(),
    ];
    Target::new("client_hello")
        .seeds(seeds)
        .dictionary([&[0x16u8, 3, 1][..], &[0, 0], &[0, 16], &[0xff, 0xff], &[0x13, 0x01]])
        .max_len(16 << 10)
        .expect_accepted(4)
        .run(client_hello::check);
}
