//! Cycles among chained middlewares and weighted services, each reported once.

use std::collections::BTreeMap;

use super::*;

impl Validator {
    /// Reports each cycle of `edges` once, at the first member (in name order) of the cycle.
    pub(super) fn cycles(&mut self, section: &str, field: &str, edges: &BTreeMap<&str, Vec<&str>>) {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            New,
            Active,
            Done,
        }
        let mut state: BTreeMap<&str, State> = edges.keys().map(|k| (*k, State::New)).collect();
        let mut found: Vec<Vec<&str>> = Vec::new();
        for &start in edges.keys() {
            if state.get(start) != Some(&State::New) {
                continue;
            }
            // Iterative depth-first search: a deep chain must not exhaust the stack.
            let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
            state.insert(start, State::Active);
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let targets = edges.get(node).map(Vec::as_slice).unwrap_or_default();
                if let Some(&target) = targets.get(*next) {
                    *next += 1;
                    match state.get(target).copied() {
                        Some(State::New) => {
                            state.insert(target, State::Active);
                            stack.push((target, 0));
                        }
                        Some(State::Active) => {
                            let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                            let mut cycle: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                            cycle.push(target);
                            found.push(cycle);
                        }
                        _ => {}
                    }
                } else {
                    state.insert(node, State::Done);
                    stack.pop();
                }
            }
        }
        for cycle in found {
            let first = cycle.first().copied().unwrap_or_default();
            self.err(format!("{section}.{first}.{field}"), format!("reference cycle: {}", cycle.join(" -> ")));
        }
    }
}

/// The graph of `items` where each names the items `targets` gives.
fn edges<'a, T>(
    items: &'a BTreeMap<String, T>,
    targets: impl Fn(&'a T) -> Vec<&'a str>,
) -> BTreeMap<&'a str, Vec<&'a str>> {
    items.iter().map(|(name, item)| (name.as_str(), targets(item))).collect()
}

pub(super) fn chain_edges(middlewares: &BTreeMap<String, Middleware>) -> BTreeMap<&str, Vec<&str>> {
    edges(middlewares, |mw| mw.chain.iter().flat_map(|c| c.middlewares.iter().map(String::as_str)).collect())
}

pub(super) fn weighted_edges(services: &BTreeMap<String, Service>) -> BTreeMap<&str, Vec<&str>> {
    edges(services, |s| s.weighted.iter().flat_map(|w| w.services.iter().map(|ws| ws.name.as_str())).collect())
}

pub(super) fn tcp_weighted_edges(services: &BTreeMap<String, TcpService>) -> BTreeMap<&str, Vec<&str>> {
    edges(services, |s| s.weighted.iter().flat_map(|w| w.services.iter().map(|ws| ws.name.as_str())).collect())
}
