//! Weighted round robin as Traefik does it: earliest deadline first. Each child has a deadline;
//! a pick takes the child with the earliest one and pushes it back by `1 / weight`, so over
//! any window children are picked in proportion to their weights, interleaved rather than in
//! bursts. Children with a weight of 0 never take part; children marked down are skipped (and
//! their turn passes), and come back where the schedule is.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Mutex;

#[derive(Debug)]
struct Slot {
    deadline: f64,
    /// Insertion order, to break ties the same way on every proxy.
    seq: usize,
    index: usize,
}

impl PartialEq for Slot {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Slot {}
impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Slot {
    /// Reversed: `BinaryHeap` is a max-heap and we want the earliest deadline on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.deadline.total_cmp(&self.deadline).then_with(|| other.seq.cmp(&self.seq))
    }
}

#[derive(Debug)]
struct Schedule {
    heap: BinaryHeap<Slot>,
}

/// The balancer over children `0..n` with their weights and health.
#[derive(Debug)]
pub(crate) struct Wrr {
    schedule: Mutex<Schedule>,
    weights: Vec<f64>,
    up: Vec<AtomicBool>,
    up_count: AtomicUsize,
    /// Child index by name and by the hash of the name (the sticky cookie's value).
    by_key: HashMap<String, usize>,
}

/// Traefik's sticky cookie value for a child: FNV-1 64-bit of its name, in lower-case hex.
pub(crate) fn sticky_value(name: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        hash ^= u64::from(b);
    }
    format!("{hash:x}")
}

impl Wrr {
    /// A balancer over children named `names` with `weights` (negative counts as 0).
    pub(crate) fn new(children: &[(String, i64)]) -> Self {
        let mut heap = BinaryHeap::new();
        let mut weights = Vec::with_capacity(children.len());
        let mut by_key = HashMap::new();
        let mut up = Vec::with_capacity(children.len());
        let mut up_count = 0;
        for (index, (name, weight)) in children.iter().enumerate() {
            let w = if *weight > 0 { *weight as f64 } else { 0.0 };
            weights.push(w);
            let active = w > 0.0;
            up.push(AtomicBool::new(active));
            if active {
                up_count += 1;
                heap.push(Slot { deadline: 1.0 / w, seq: index, index });
                by_key.insert(name.clone(), index);
                by_key.insert(sticky_value(name), index);
            }
        }
        Wrr { schedule: Mutex::new(Schedule { heap }), weights, up, up_count: AtomicUsize::new(up_count), by_key }
    }

    /// The next child in rotation, `None` when none is up.
    pub(crate) fn next(&self) -> Option<usize> {
        if self.up_count.load(AtomicOrdering::Acquire) == 0 {
            return None;
        }
        let mut schedule = self.schedule.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: every child is visited at most once per round.
        for _ in 0..=schedule.heap.len() {
            let mut slot = schedule.heap.pop()?;
            let index = slot.index;
            slot.deadline += 1.0 / self.weights.get(index).copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
            schedule.heap.push(slot);
            if self.is_up(index) {
                return Some(index);
            }
        }
        None
    }

    /// The child a sticky cookie value designates, if it exists and is up.
    pub(crate) fn sticky(&self, value: &str) -> Option<usize> {
        self.by_key.get(value).copied().filter(|&i| self.is_up(i))
    }

    /// Whether child `index` is in rotation.
    pub(crate) fn is_up(&self, index: usize) -> bool {
        self.up.get(index).is_some_and(|u| u.load(AtomicOrdering::Acquire))
    }

    /// Marks child `index` up or down; returns whether it changed.
    pub(crate) fn set_up(&self, index: usize, up: bool) -> bool {
        if self.weights.get(index).is_none_or(|w| *w <= 0.0) {
            return false;
        }
        let Some(flag) = self.up.get(index) else { return false };
        let was = flag.swap(up, AtomicOrdering::AcqRel);
        if was != up {
            if up {
                self.up_count.fetch_add(1, AtomicOrdering::AcqRel);
            } else {
                self.up_count.fetch_sub(1, AtomicOrdering::AcqRel);
            }
        }
        was != up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picks(wrr: &Wrr, n: usize) -> Vec<usize> {
        (0..n).filter_map(|_| wrr.next()).collect()
    }

    #[test]
    fn follows_the_weights_interleaved() {
        let wrr = Wrr::new(&[("a".into(), 3), ("b".into(), 1)]);
        let seq = picks(&wrr, 8);
        assert_eq!(seq.iter().filter(|&&i| i == 0).count(), 6);
        // Never more than three a's in a row.
        assert!(!seq.windows(4).any(|w| w.iter().all(|&i| i == 0)), "{seq:?}");
        let even = Wrr::new(&[("a".into(), 1), ("b".into(), 1), ("c".into(), 1)]);
        assert_eq!(picks(&even, 6), vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn zero_weight_and_down_children_are_skipped() {
        let wrr = Wrr::new(&[("a".into(), 0), ("b".into(), 1), ("c".into(), 1)]);
        assert!(!picks(&wrr, 10).contains(&0));
        assert!(wrr.set_up(1, false));
        assert_eq!(picks(&wrr, 3), vec![2, 2, 2]);
        wrr.set_up(2, false);
        assert_eq!(wrr.next(), None);
        wrr.set_up(1, true);
        assert_eq!(wrr.next(), Some(1));
    }

    #[test]
    fn sticky_values_are_fnv1_hashes() {
        // FNV-1 64 of the empty string is the offset basis.
        assert_eq!(sticky_value(""), "cbf29ce484222325");
        let wrr = Wrr::new(&[("http://a".into(), 1), ("http://b".into(), 1)]);
        assert_eq!(wrr.sticky(&sticky_value("http://b")), Some(1));
        assert_eq!(wrr.sticky("http://a"), Some(0));
        assert_eq!(wrr.sticky("nope"), None);
    }
}
