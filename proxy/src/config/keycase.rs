//! Case-insensitive configuration keys, as in Traefik.
//!
//! Traefik's file provider decodes YAML, TOML and JSON into a tree and fills its structs by
//! comparing each key with the Go field name using `strings.EqualFold` (paerser,
//! `parser/nodes_metadata.go`, `findTypedField`), so `entrypoints`, `EntryPoints` and
//! `entryPoints` all work. To load such files unchanged we wrap the format's deserializer:
//! whenever a struct is deserialized, a key that equals one of its field names ignoring ASCII
//! case is replaced by that name before serde sees it. Map keys (router, service names...) are
//! left alone. Everything else is passed through untouched, so errors, paths and line numbers
//! are the format's own.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// A deserializer that matches struct keys case-insensitively; see the module docs.
pub(crate) struct CaseInsensitive<D>(pub D);

macro_rules! forward {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Wrap(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for CaseInsensitive<D> {
    type Error = D::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, StructVisitor { inner: visitor, fields })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Passes a visitor through, wrapping whatever nested deserializer it is handed.
struct Wrap<V>(V);

/// Like [`Wrap`], for a struct: its map keys are matched against `fields`.
struct StructVisitor<V> {
    inner: V,
    fields: &'static [&'static str],
}

macro_rules! forward_visits {
    ($field:tt) => {
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.$field.expecting(f)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            self.$field.visit_bool(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.$field.visit_i64(v)
        }
        fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
            self.$field.visit_i128(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            self.$field.visit_u64(v)
        }
        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
            self.$field.visit_u128(v)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            self.$field.visit_f64(v)
        }
        fn visit_char<E: de::Error>(self, v: char) -> Result<Self::Value, E> {
            self.$field.visit_char(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            self.$field.visit_str(v)
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            self.$field.visit_borrowed_str(v)
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            self.$field.visit_string(v)
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
            self.$field.visit_bytes(v)
        }
        fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
            self.$field.visit_borrowed_bytes(v)
        }
        fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
            self.$field.visit_byte_buf(v)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.$field.visit_none()
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.$field.visit_unit()
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            self.$field.visit_some(CaseInsensitive(d))
        }
        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            self.$field.visit_newtype_struct(CaseInsensitive(d))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            self.$field.visit_seq(SeqWrap(seq))
        }
        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            self.$field.visit_enum(EnumWrap(data))
        }
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;
    forward_visits!(0);

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(MapWrap { inner: map, fields: None })
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for StructVisitor<V> {
    type Value = V::Value;
    forward_visits!(inner);

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(MapWrap { inner: map, fields: Some(self.fields) })
    }
}

struct SeqWrap<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for SeqWrap<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(SeedWrap(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct MapWrap<A> {
    inner: A,
    fields: Option<&'static [&'static str]>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for MapWrap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        match self.fields {
            Some(fields) => self.inner.next_key_seed(KeySeed { seed, fields }),
            None => self.inner.next_key_seed(SeedWrap(seed)),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(SeedWrap(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct EnumWrap<A>(A);

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for EnumWrap<A> {
    type Error = A::Error;
    type Variant = VariantWrap<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(seed)?;
        Ok((value, VariantWrap(variant)))
    }
}

struct VariantWrap<A>(A);

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for VariantWrap<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(SeedWrap(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, StructVisitor { inner: visitor, fields })
    }
}

struct SeedWrap<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for SeedWrap<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(CaseInsensitive(deserializer))
    }
}

/// Deserializes a struct key, replacing it by the field name it matches ignoring case.
struct KeySeed<S> {
    seed: S,
    fields: &'static [&'static str],
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> KeySeed<S> {
    fn canonical<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        if self.fields.contains(&key) {
            return key;
        }
        self.fields.iter().copied().find(|f| f.eq_ignore_ascii_case(key)).unwrap_or(key)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for KeySeed<S> {
    type Value = S::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Value, E> {
        let key = self.canonical(v).to_owned();
        self.seed.deserialize(key.into_deserializer())
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<S::Value, E> {
        self.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<S::Value, E> {
        self.visit_str(&v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Value, E> {
        self.seed.deserialize(v.into_deserializer())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<S::Value, E> {
        self.seed.deserialize(v.into_deserializer())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<S::Value, E> {
        self.seed.deserialize(v.into_deserializer())
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<S::Value, E> {
        match std::str::from_utf8(v) {
            Ok(s) => self.visit_str(s),
            Err(_) => self.seed.deserialize(de::value::BytesDeserializer::new(v)),
        }
    }
}
