//! The HTTP router: picks the router that serves a request without trying every rule.
//!
//! Traefik keeps one list of routes per entry point sorted by priority and tries them in
//! order (`pkg/muxer/http/mux.go`). We return the same route but only evaluate candidates.
//! Every rule is reduced to alternatives, each an optional exact host and an optional path or
//! path prefix that the request must have for that way of matching
//! (``(Host(`a`) && PathPrefix(`/x`)) || Host(`b`)`` gives `a` + `/x…` and `b` + any path);
//! a rule without such a requirement (no host, `HostRegexp`, a negated `Host`...) lands in a
//! catch-all bucket. A lookup reads the buckets of the request host and the catch-all bucket,
//! walks a path radix tree in each, and evaluates the collected candidates in priority order
//! until one matches. The reduction is conservative (a candidate may fail its rule, a
//! non-candidate never matches), which the tests check against a linear scan, and bounded
//! (a conjunction of large disjunctions keeps one side), so indexing stays linear in the rule.
//!
//! Order: higher priority first; the priority is the explicit one, or the rule length when it is
//! absent or 0 (Traefik: "priority: 0 means that the default rules length sorting is used").
//! Traefik leaves the order of equal priorities unspecified (map iteration, unstable sort); we
//! break ties by router name so that every proxy of a cluster answers the same way.

mod path_tree;
mod tables;

use std::collections::HashMap;

use path_tree::{PathKind, PathTree};

pub use tables::{HttpRoutingTables, RouteBuildError, RouteTarget};

use crate::rule::{fold_host, wildcard_form, HttpCtx, HttpMatcher, InvalidPath, Node, RequestView, Rule};

/// One HTTP router to put in the index.
#[derive(Debug, Clone)]
pub struct HttpRoute<T> {
    /// Router name, unique in the index; breaks priority ties.
    pub name: String,
    /// Entry points the router serves.
    pub entry_points: Vec<String>,
    /// The compiled rule.
    pub rule: Rule,
    /// Effective priority (see [`HttpRoute::new`]).
    pub priority: i64,
    /// What the caller wants back on a match (a handler, a router id...).
    pub value: T,
}

impl<T> HttpRoute<T> {
    /// A route whose priority is `priority`, or the rule length when `priority` is 0, as in
    /// Traefik.
    pub fn new(name: impl Into<String>, entry_points: Vec<String>, rule: Rule, priority: i64, value: T) -> Self {
        let priority = if priority == 0 { rule.default_priority() } else { priority };
        HttpRoute { name: name.into(), entry_points, rule, priority, value }
    }
}

/// The router chosen for a request.
#[derive(Debug, PartialEq, Eq)]
pub struct RouteMatch<'a, T> {
    /// Router name.
    pub name: &'a str,
    /// Effective priority.
    pub priority: i64,
    /// The route's value.
    pub value: &'a T,
}

impl<T> Clone for RouteMatch<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RouteMatch<'_, T> {}

/// HTTP routers indexed by entry point, host and path.
#[derive(Debug)]
pub struct HttpRouterIndex<T> {
    /// Sorted by (priority descending, name); the position is the rank.
    routes: Vec<HttpRoute<T>>,
    entry_points: HashMap<String, EntryPointIndex>,
}

#[derive(Debug, Default)]
struct EntryPointIndex {
    by_host: HashMap<String, Bucket>,
    any_host: Bucket,
}

#[derive(Debug, Default)]
struct Bucket {
    paths: PathTree,
    /// Routers with no path requirement, sorted.
    any_path: Vec<u32>,
}

impl Bucket {
    fn insert(&mut self, path: Option<&(PathKind, String)>, rank: u32) {
        match path {
            None => {
                if self.any_path.last() != Some(&rank) {
                    self.any_path.push(rank);
                }
            }
            Some((kind, key)) => self.paths.insert(key.as_bytes(), *kind, rank),
        }
    }

    fn collect<'a>(&'a self, path: &[u8], out: &mut Vec<&'a [u32]>) {
        if !self.any_path.is_empty() {
            out.push(&self.any_path);
        }
        self.paths.collect(path, out);
    }
}

impl<T> HttpRouterIndex<T> {
    /// Builds the index. Routes with the same name are all kept; ties keep input order.
    pub fn new(routes: impl IntoIterator<Item = HttpRoute<T>>) -> Self {
        let mut routes: Vec<HttpRoute<T>> = routes.into_iter().collect();
        routes.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.name.cmp(&b.name)));
        let mut entry_points: HashMap<String, EntryPointIndex> = HashMap::new();
        for (rank, route) in routes.iter().enumerate() {
            let rank = u32::try_from(rank).unwrap_or(u32::MAX);
            let alternatives = alternatives(&route.rule.root, false);
            let mut seen_eps: Vec<&str> = Vec::new();
            for ep in &route.entry_points {
                if seen_eps.contains(&ep.as_str()) {
                    continue;
                }
                seen_eps.push(ep);
                let index = entry_points.entry(ep.clone()).or_default();
                for alt in &alternatives {
                    match &alt.host {
                        None => index.any_host.insert(alt.path.as_ref(), rank),
                        Some(key) => {
                            // A trailing dot on either side still matches (see `Host`), so a
                            // host is filed under its spelling with and without one.
                            index.by_host.entry(key.clone()).or_default().insert(alt.path.as_ref(), rank);
                            if let Some(stripped) = key.strip_suffix('.') {
                                index.by_host.entry(stripped.to_owned()).or_default().insert(alt.path.as_ref(), rank);
                            }
                        }
                    }
                }
            }
        }
        HttpRouterIndex { routes, entry_points }
    }

    /// The same index with every route's value converted by `f` (in the order routes are
    /// tried); the first error stops the conversion.
    pub fn try_map<U, E>(self, mut f: impl FnMut(&HttpRoute<T>) -> Result<U, E>) -> Result<HttpRouterIndex<U>, E> {
        let mut routes = Vec::with_capacity(self.routes.len());
        for route in self.routes {
            let value = f(&route)?;
            routes.push(HttpRoute {
                name: route.name,
                entry_points: route.entry_points,
                rule: route.rule,
                priority: route.priority,
                value,
            });
        }
        Ok(HttpRouterIndex { routes, entry_points: self.entry_points })
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether the index holds no route.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The routes in the order they are tried.
    pub fn routes(&self) -> &[HttpRoute<T>] {
        &self.routes
    }

    /// The highest-priority route of `entry_point` whose rule matches the request, if any.
    /// A path that is not a valid percent-encoding is an error (Traefik answers 400).
    pub fn lookup(&self, entry_point: &str, req: &dyn RequestView) -> Result<Option<RouteMatch<'_, T>>, InvalidPath> {
        let ctx = HttpCtx::new(req);
        let Some(path) = ctx.path.as_deref() else { return Err(InvalidPath) };
        let Some(index) = self.entry_points.get(entry_point) else { return Ok(None) };

        let mut lists: Vec<&[u32]> = Vec::with_capacity(8);
        if !ctx.host.is_empty() {
            let host = fold_host(&ctx.host);
            let mut keys: Vec<String> = Vec::with_capacity(4);
            for domain in std::iter::once(host.as_ref()).chain(host.strip_suffix('.')) {
                for key in [domain.to_owned(), wildcard_form(domain)] {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
            for key in &keys {
                if let Some(bucket) = index.by_host.get(key) {
                    bucket.collect(path, &mut lists);
                }
            }
        }
        index.any_host.collect(path, &mut lists);

        let mut cursors = vec![0usize; lists.len()];
        loop {
            let mut best: Option<(usize, u32)> = None;
            for (i, list) in lists.iter().enumerate() {
                if let Some(&rank) = list.get(cursors[i]) {
                    if best.is_none_or(|(_, r)| rank < r) {
                        best = Some((i, rank));
                    }
                }
            }
            let Some((_, rank)) = best else { return Ok(None) };
            // Skip this rank in every list that holds it.
            for (i, list) in lists.iter().enumerate() {
                if list.get(cursors[i]) == Some(&rank) {
                    cursors[i] += 1;
                }
            }
            let Some(route) = self.routes.get(rank as usize) else { return Ok(None) };
            if route.rule.matches_ctx(&ctx) {
                return Ok(Some(RouteMatch { name: &route.name, priority: route.priority, value: &route.value }));
            }
        }
    }
}

/// One way a rule can match: the request host must be this host (or any, `None`) and its
/// path must equal or start with this key (or any). A rule implies the disjunction of its
/// alternatives; the index files the rule under every alternative.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Alternative {
    host: Option<String>,
    path: Option<(PathKind, String)>,
}

impl Alternative {
    const ANY: Alternative = Alternative { host: None, path: None };

    fn is_any(&self) -> bool {
        self.host.is_none() && self.path.is_none()
    }

    /// Both hold: keep a constraint from either side (keeping one of two is sound).
    fn and(&self, other: &Alternative) -> Alternative {
        Alternative {
            host: self.host.clone().or_else(|| other.host.clone()),
            path: self.path.clone().or_else(|| other.path.clone()),
        }
    }
}

/// Above this many alternatives a conjunction keeps one side instead of the product.
const MAX_PRODUCT: usize = 64;

/// The alternatives of a rule node in negation normal form (`negated`: under an odd number of
/// `!`). A negated matcher constrains nothing.
fn alternatives(node: &Node<HttpMatcher>, negated: bool) -> Vec<Alternative> {
    match node {
        Node::Leaf(m) if !negated => vec![match m {
            HttpMatcher::Host(key) => Alternative { host: Some(key.0.clone()), path: None },
            HttpMatcher::Path(p) => Alternative { host: None, path: Some((PathKind::Exact, p.clone())) },
            HttpMatcher::PathPrefix(p) => Alternative { host: None, path: Some((PathKind::Prefix, p.clone())) },
            _ => Alternative::ANY,
        }],
        Node::Leaf(_) => vec![Alternative::ANY],
        Node::Not(inner) => alternatives(inner, !negated),
        Node::All(terms) if !negated => conjunction(terms.iter().map(|t| alternatives(t, false))),
        Node::All(terms) => disjunction(terms.iter().map(|t| alternatives(t, true))),
        Node::Any(terms) if !negated => disjunction(terms.iter().map(|t| alternatives(t, false))),
        Node::Any(terms) => conjunction(terms.iter().map(|t| alternatives(t, true))),
    }
}

fn disjunction(terms: impl Iterator<Item = Vec<Alternative>>) -> Vec<Alternative> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for alt in terms.flatten() {
        if alt.is_any() {
            return vec![Alternative::ANY];
        }
        if seen.insert(alt.clone()) {
            out.push(alt);
        }
    }
    out
}

fn conjunction(terms: impl Iterator<Item = Vec<Alternative>>) -> Vec<Alternative> {
    let mut acc = vec![Alternative::ANY];
    for term in terms {
        if term.iter().all(Alternative::is_any) {
            continue;
        }
        if acc.iter().all(Alternative::is_any) {
            acc = term;
        } else if acc.len() * term.len() <= MAX_PRODUCT {
            acc = acc.iter().flat_map(|a| term.iter().map(move |b| a.and(b))).collect();
        } else if term.len() < acc.len() {
            // The conjunction implies either side: keep the one with fewer alternatives.
            acc = term;
        }
    }
    acc
}
