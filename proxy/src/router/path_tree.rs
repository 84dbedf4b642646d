//! A radix tree over path bytes holding, at each node, the routers that require the path to
//! equal or to start with that node's key. A lookup walks the request path once and collects
//! the routers of every prefix on the way, so its cost depends on the path length, not on the
//! number of routers.

/// Router ranks; lower ranks are tried first. Kept sorted and without duplicates.
pub(super) type Ranks = Vec<u32>;

#[derive(Debug, Default)]
pub(super) struct PathTree {
    root: PathNode,
}

#[derive(Debug, Default)]
struct PathNode {
    label: Vec<u8>,
    /// Sorted by the first byte of their labels, which are distinct.
    children: Vec<PathNode>,
    prefix: Ranks,
    exact: Ranks,
}

/// How a router constrains the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum PathKind {
    Exact,
    Prefix,
}

fn push_rank(ranks: &mut Ranks, rank: u32) {
    if ranks.last() != Some(&rank) {
        debug_assert!(ranks.last().is_none_or(|&last| last < rank), "ranks must be inserted in order");
        ranks.push(rank);
    }
}

impl PathTree {
    /// Records that router `rank` needs the path to be (or start with) `key`. Ranks must be
    /// inserted in ascending order.
    pub(super) fn insert(&mut self, key: &[u8], kind: PathKind, rank: u32) {
        let mut node = &mut self.root;
        let mut key = key;
        loop {
            if key.is_empty() {
                match kind {
                    PathKind::Exact => push_rank(&mut node.exact, rank),
                    PathKind::Prefix => push_rank(&mut node.prefix, rank),
                }
                return;
            }
            let slot = node.children.binary_search_by_key(&key[0], |c| c.label[0]);
            let index = match slot {
                Err(at) => {
                    node.children.insert(at, PathNode { label: key.to_vec(), ..PathNode::default() });
                    at
                }
                Ok(at) => {
                    let child = &mut node.children[at];
                    let common = child.label.iter().zip(key).take_while(|(a, b)| a == b).count();
                    if common < child.label.len() {
                        let tail = child.label.split_off(common);
                        let grand = PathNode {
                            label: tail,
                            children: std::mem::take(&mut child.children),
                            prefix: std::mem::take(&mut child.prefix),
                            exact: std::mem::take(&mut child.exact),
                        };
                        child.children.push(grand);
                    }
                    at
                }
            };
            let child = &mut node.children[index];
            key = &key[child.label.len()..];
            node = child;
        }
    }

    /// Appends to `out` the rank lists of every router whose path constraint `path` can meet.
    pub(super) fn collect<'a>(&'a self, path: &[u8], out: &mut Vec<&'a [u32]>) {
        let mut node = &self.root;
        let mut rest = path;
        loop {
            if !node.prefix.is_empty() {
                out.push(&node.prefix);
            }
            let Some(&first) = rest.first() else {
                if !node.exact.is_empty() {
                    out.push(&node.exact);
                }
                return;
            };
            let Ok(at) = node.children.binary_search_by_key(&first, |c| c.label[0]) else { return };
            let child = &node.children[at];
            match rest.strip_prefix(child.label.as_slice()) {
                Some(after) => {
                    rest = after;
                    node = child;
                }
                None => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(tree: &PathTree, path: &str) -> Vec<u32> {
        let mut lists = Vec::new();
        tree.collect(path.as_bytes(), &mut lists);
        let mut all: Vec<u32> = lists.concat();
        all.sort_unstable();
        all
    }

    #[test]
    fn prefixes_and_exact_paths() {
        let mut tree = PathTree::default();
        tree.insert(b"/api", PathKind::Prefix, 0);
        tree.insert(b"/apix", PathKind::Exact, 1);
        tree.insert(b"/", PathKind::Prefix, 2);
        tree.insert(b"/ap", PathKind::Exact, 3);
        tree.insert(b"/b", PathKind::Prefix, 4);
        assert_eq!(collect(&tree, "/apix"), vec![0, 1, 2]);
        assert_eq!(collect(&tree, "/apixy"), vec![0, 2]);
        assert_eq!(collect(&tree, "/ap"), vec![2, 3]);
        assert_eq!(collect(&tree, "/a"), vec![2]);
        assert_eq!(collect(&tree, "/bc"), vec![2, 4]);
        assert_eq!(collect(&tree, "x"), Vec::<u32>::new());
    }
}
