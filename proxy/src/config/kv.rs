//! Dynamic configuration from a key-value store, in Traefik v3's layout.
//!
//! Traefik's KV providers (etcd, Consul, Redis, ZooKeeper) read every key under a root
//! (`traefik` by default) and decode the tree with paerser, the same decoder as its labels:
//! `traefik/http/routers/web/rule`, `traefik/http/routers/web/entrypoints/0`,
//! `traefik/http/services/app/loadbalancer/servers/0/url`. Every value is a string; the
//! decoder converts it to the type of the field it fills (bool, integer, duration), numbered
//! keys are list items, and a list of strings may also be one comma-separated value.
//!
//! Here the keys become a tree and a serde deserializer walks it, so the model, its checks
//! and its messages are the file provider's; keys match case-insensitively as everywhere
//! else. An error names the store key (`traefik/http/routers/web/priority`).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::dynamic::DynamicConfig;
use super::keycase::CaseInsensitive;

/// Why a key tree is not a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct KvError {
    /// The store key at fault (or the root).
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

/// The most keys one tree may hold; a store that holds more is refused rather than loaded.
pub const MAX_KV_KEYS: usize = 1_000_000;
/// The deepest key; the decoder recurses once per level.
const MAX_KV_DEPTH: usize = 32;

/// Decodes the keys under `root` (pairs of full key and value) into a dynamic configuration.
/// Keys outside `root/` are ignored; an empty tree is an empty configuration.
pub fn from_kv<'a>(root: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<DynamicConfig, KvError> {
    let root = root.trim_matches('/');
    let tree = tree(root, pairs)?;
    let node = Node::Branch(tree);
    serde_path_to_error::deserialize(CaseInsensitive(NodeDe(&node))).map_err(|e| {
        let path = store_key(root, &e.path().to_string());
        KvError { key: path, message: e.into_inner().0 }
    })
}

#[derive(Debug)]
enum Node<'a> {
    Leaf(&'a str),
    Branch(BTreeMap<&'a str, Node<'a>>),
}

fn tree<'a>(
    root: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<BTreeMap<&'a str, Node<'a>>, KvError> {
    let mut top = BTreeMap::new();
    for (count, (key, value)) in pairs.into_iter().enumerate() {
        if count >= MAX_KV_KEYS {
            return Err(KvError { key: root.into(), message: format!("more than {MAX_KV_KEYS} keys") });
        }
        let Some(rest) = key.trim_start_matches('/').strip_prefix(root).and_then(|r| r.strip_prefix('/')) else {
            continue;
        };
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            continue;
        }
        if parts.len() > MAX_KV_DEPTH {
            return Err(KvError { key: key.into(), message: format!("deeper than {MAX_KV_DEPTH} levels") });
        }
        insert(&mut top, &parts, value).map_err(|message| KvError { key: key.into(), message })?;
    }
    Ok(top)
}

fn insert<'a>(map: &mut BTreeMap<&'a str, Node<'a>>, parts: &[&'a str], value: &'a str) -> Result<(), String> {
    let (first, rest) = parts.split_first().expect("not empty");
    if rest.is_empty() {
        return match map.get(first) {
            // A "directory" key with no value beside its children (etcd and Consul tools write them).
            Some(Node::Branch(_)) if value.is_empty() => Ok(()),
            Some(Node::Branch(_)) => Err("this key has both a value and keys under it".into()),
            _ => {
                map.insert(first, Node::Leaf(value));
                Ok(())
            }
        };
    }
    let entry = map.entry(first).or_insert_with(|| Node::Branch(BTreeMap::new()));
    if let Node::Leaf(v) = entry {
        if !v.is_empty() {
            return Err(format!("a parent key ({first}) has a value; a key is either a value or holds keys"));
        }
        *entry = Node::Branch(BTreeMap::new());
    }
    match entry {
        Node::Branch(children) => insert(children, rest, value),
        Node::Leaf(_) => unreachable!("replaced above"),
    }
}

/// `http.routers.web.entryPoints[0]` (serde_path_to_error's path) as the store key
/// `traefik/http/routers/web/entryPoints/0`.
fn store_key(root: &str, path: &str) -> String {
    if path.is_empty() || path == "." {
        return root.to_string();
    }
    let mut out = String::from(root);
    for part in path.split('.') {
        match part.split_once('[') {
            Some((name, index)) => {
                if !name.is_empty() {
                    out.push('/');
                    out.push_str(name);
                }
                for i in index.split('[') {
                    out.push('/');
                    out.push_str(i.trim_end_matches(']'));
                }
            }
            None => {
                out.push('/');
                out.push_str(part);
            }
        }
    }
    out
}

/// The decoder's error: a message; the key comes from the path.
#[derive(Debug)]
struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

struct NodeDe<'n, 'a: 'n>(&'n Node<'a>);

impl<'n, 'a: 'n> NodeDe<'n, 'a> {
    fn leaf(&self, expected: &str) -> Result<&'a str, DeError> {
        match self.0 {
            Node::Leaf(v) => Ok(v),
            Node::Branch(_) => Err(DeError(format!("expected {expected}, found keys under this one"))),
        }
    }

    fn number<T: std::str::FromStr>(&self, what: &str) -> Result<T, DeError> {
        let v = self.leaf(what)?;
        v.trim().parse().map_err(|_| DeError(format!("invalid value {v:?}: expected {what}")))
    }

    /// The children as a list: numbered keys in order.
    fn items(map: &'n BTreeMap<&'a str, Node<'a>>) -> Result<Vec<&'n Node<'a>>, DeError> {
        let mut numbered = Vec::with_capacity(map.len());
        for (k, v) in map {
            let i: usize =
                k.parse().map_err(|_| DeError(format!("expected a list (keys 0, 1, ...), found the key {k:?}")))?;
            numbered.push((i, v));
        }
        numbered.sort_by_key(|(i, _)| *i);
        Ok(numbered.into_iter().map(|(_, v)| v).collect())
    }
}

/// Go's `strconv.ParseBool`, which paerser uses.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

macro_rules! numbers {
    ($($method:ident $visit:ident $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            visitor.$visit(self.number::<$ty>($what)?)
        }
    )*};
}

impl<'de, 'n, 'a: 'n> Deserializer<'de> for NodeDe<'n, 'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            // A "folder" key with nothing under it (Consul's UI makes them): nothing there.
            Node::Leaf("") => visitor.visit_unit(),
            Node::Leaf(v) => visitor.visit_str(v),
            Node::Branch(map) if !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok()) => {
                self.deserialize_seq(visitor)
            }
            Node::Branch(_) => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let v = self.leaf("true or false")?;
        visitor
            .visit_bool(parse_bool(v).ok_or_else(|| DeError(format!("invalid value {v:?}: expected true or false")))?)
    }

    numbers! {
        deserialize_i8 visit_i8 i8, "an integer";
        deserialize_i16 visit_i16 i16, "an integer";
        deserialize_i32 visit_i32 i32, "an integer";
        deserialize_i64 visit_i64 i64, "an integer";
        deserialize_u8 visit_u8 u8, "a non-negative integer";
        deserialize_u16 visit_u16 u16, "a non-negative integer";
        deserialize_u32 visit_u32 u32, "a non-negative integer";
        deserialize_u64 visit_u64 u64, "a non-negative integer";
        deserialize_f32 visit_f32 f32, "a number";
        deserialize_f64 visit_f64 f64, "a number";
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_str(self.leaf("a character")?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_str(self.leaf("a value")?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_bytes(self.leaf("a value")?.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            // paerser splits a single value on commas where a list is expected.
            Node::Leaf(v) => {
                let items: Vec<&str> = v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
                visitor.visit_seq(Items(items.into_iter().map(Item::Str).collect::<Vec<_>>().into_iter()))
            }
            Node::Branch(map) => {
                let items = Self::items(map)?;
                visitor.visit_seq(Items(items.into_iter().map(Item::Node).collect::<Vec<_>>().into_iter()))
            }
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Node::Branch(map) => visitor.visit_map(Entries { iter: map.iter(), value: None }),
            // A section enabled by a bare key (`.../tls` = `true`), as Traefik's `allowEmpty`.
            Node::Leaf(v) if v.is_empty() || parse_bool(v) == Some(true) => {
                visitor.visit_map(Entries { iter: BTreeMap::new().iter(), value: None })
            }
            Node::Leaf(v) => Err(DeError(format!("invalid value {v:?}: expected keys under this one"))),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let v = self.leaf("a value")?;
        visitor.visit_enum(v.into_deserializer())
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

enum Item<'n, 'a: 'n> {
    Str(&'a str),
    Node(&'n Node<'a>),
}

struct Items<'n, 'a: 'n, I: Iterator<Item = Item<'n, 'a>>>(I);

impl<'de, 'n, 'a: 'n, I: Iterator<Item = Item<'n, 'a>>> SeqAccess<'de> for Items<'n, 'a, I> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.0.next() {
            None => Ok(None),
            Some(Item::Node(node)) => seed.deserialize(NodeDe(node)).map(Some),
            Some(Item::Str(s)) => seed.deserialize(NodeDe(&Node::Leaf(s))).map(Some),
        }
    }
}

struct Entries<'n, 'a: 'n> {
    iter: std::collections::btree_map::Iter<'n, &'a str, Node<'a>>,
    value: Option<&'n Node<'a>>,
}

impl<'de, 'n, 'a: 'n> MapAccess<'de> for Entries<'n, 'a> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            None => Ok(None),
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(NodeDe(&Node::Leaf(k))).map(Some)
            }
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DeError> {
        let v = self.value.take().ok_or_else(|| DeError("a value without its key".into()))?;
        seed.deserialize(NodeDe(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<DynamicConfig, KvError> {
        from_kv("traefik", pairs.iter().copied())
    }

    #[test]
    fn traefiks_layout_decodes_into_the_model() {
        let c = load(&[
            ("traefik/http/routers/web/rule", "Host(`a.example`)"),
            ("traefik/http/routers/web/entrypoints/0", "web"),
            ("traefik/http/routers/web/entrypoints/1", "websecure"),
            ("traefik/http/routers/web/service", "app"),
            ("traefik/http/routers/web/priority", "42"),
            ("traefik/http/routers/web/middlewares/0", "strip"),
            ("traefik/http/routers/web/tls", "true"),
            ("traefik/http/services/app/loadbalancer/servers/0/url", "http://127.0.0.1:8001"),
            ("traefik/http/services/app/loadbalancer/servers/1/url", "http://127.0.0.1:8002"),
            ("traefik/http/services/app/loadbalancer/passhostheader", "false"),
            ("traefik/http/middlewares/strip/stripprefix/prefixes", "/a,/b"),
            ("traefik/tcp/routers/db/rule", "HostSNI(`*`)"),
            ("traefik/tcp/routers/db/service", "db"),
            ("traefik/tcp/services/db/loadbalancer/servers/0/address", "127.0.0.1:5432"),
            ("other/http/routers/ignored/rule", "Host(`b`)"),
        ])
        .unwrap();
        let web = &c.http.routers["web"];
        assert_eq!(web.rule.as_deref(), Some("Host(`a.example`)"));
        assert_eq!(web.entry_points, ["web", "websecure"]);
        assert_eq!(web.priority, Some(42));
        assert!(web.tls.is_some());
        let lb = c.http.services["app"].load_balancer.as_ref().unwrap();
        assert_eq!(lb.servers.len(), 2);
        assert_eq!(lb.servers[1].url, "http://127.0.0.1:8002");
        assert!(!lb.pass_host_header());
        let strip = c.http.middlewares["strip"].strip_prefix.as_ref().unwrap();
        assert_eq!(strip.prefixes, ["/a", "/b"]);
        assert_eq!(c.tcp.routers["db"].service.as_deref(), Some("db"));
        assert_eq!(c.http.routers.len(), 1);
    }

    #[test]
    fn list_items_follow_their_numbers_not_the_text_order() {
        let c = load(&[
            ("traefik/http/routers/r/entrypoints/10", "c"),
            ("traefik/http/routers/r/entrypoints/2", "b"),
            ("traefik/http/routers/r/entrypoints/0", "a"),
        ])
        .unwrap();
        assert_eq!(c.http.routers["r"].entry_points, ["a", "b", "c"]);
    }

    #[test]
    fn a_bad_tree_names_the_key() {
        let err = load(&[("traefik/http/routers/web/colour", "red")]).unwrap_err();
        assert_eq!(err.key, "traefik/http/routers/web/colour", "{err}");
        assert!(err.message.contains("colour"), "{err}");

        let err = load(&[("traefik/http/routers/web/priority", "high")]).unwrap_err();
        assert_eq!(err.key, "traefik/http/routers/web/priority", "{err}");
        assert!(err.message.contains("\"high\"") && err.message.contains("integer"), "{err}");

        let err = load(&[("traefik/http/routers/web/entrypoints/x", "web")]).unwrap_err();
        assert!(err.key.starts_with("traefik/http/routers/web/entry"), "{err}");

        let err =
            load(&[("traefik/http/routers/web", "x"), ("traefik/http/routers/web/rule", "Host(`a`)")]).unwrap_err();
        assert_eq!(err.key, "traefik/http/routers/web/rule", "{err}");
    }

    #[test]
    fn an_empty_store_is_an_empty_configuration() {
        assert_eq!(load(&[]).unwrap(), DynamicConfig::default());
        // Directory keys with no value are ignored.
        let c = load(&[("traefik/", ""), ("traefik/http/", ""), ("traefik/http/routers/r/service", "s")]).unwrap();
        assert_eq!(c.http.routers["r"].service.as_deref(), Some("s"));
    }

    #[test]
    fn an_empty_folder_key_is_an_empty_section() {
        let c = load(&[("traefik/http/routers/", ""), ("traefik/http/services/", "")]).unwrap();
        assert!(c.http.routers.is_empty() && c.http.services.is_empty());
    }

    #[test]
    fn another_root_and_durations() {
        let c = from_kv(
            "/prod/",
            [
                ("prod/http/services/s/loadbalancer/servers/0/url", "http://127.0.0.1:1"),
                ("prod/http/services/s/loadbalancer/healthcheck/path", "/health"),
                ("prod/http/services/s/loadbalancer/healthcheck/interval", "5s"),
            ],
        )
        .unwrap();
        let hc = c.http.services["s"].load_balancer.as_ref().unwrap().health_check.as_ref().unwrap();
        assert_eq!(hc.interval.unwrap().as_nanos(), 5_000_000_000);
    }
}
