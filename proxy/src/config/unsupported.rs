//! Traefik keys that traefikee knows but does not implement.
//!
//! Such a key is declared as a field of type `Option<Unsupported<Hint>>`: absent (or null) it is
//! `None`; present, deserialization fails with the hint's message, so the loader reports the
//! full key path with a specific explanation instead of a generic "unknown field". It is never
//! serialized.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Explains why a key is refused.
pub trait Hint {
    /// The message, e.g. "`certResolver` (ACME) is not implemented by traefikee".
    const MESSAGE: &'static str;
}

/// A known Traefik key that traefikee refuses; see the module docs.
pub struct Unsupported<H>(PhantomData<H>);

impl<H> fmt::Debug for Unsupported<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Unsupported")
    }
}
impl<H> Clone for Unsupported<H> {
    fn clone(&self) -> Self {
        Unsupported(PhantomData)
    }
}
impl<H> PartialEq for Unsupported<H> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<H> Eq for Unsupported<H> {}

impl<'de, H: Hint> Deserialize<'de> for Unsupported<H> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Refuse(H::MESSAGE).deserialize(deserializer)? {}
    }
}

/// Fails on whatever value it is given, from inside the value's visitor so that the format
/// reports the value's own position (serde_yaml marks errors with the node being visited).
pub(crate) struct Refuse(pub &'static str);

impl<'de> DeserializeSeed<'de> for Refuse {
    type Value = std::convert::Infallible;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

macro_rules! refuse_scalars {
    ($($method:ident($ty:ty)),*) => {$(
        fn $method<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> {
            Err(E::custom(self.0))
        }
    )*};
}

impl<'de> Visitor<'de> for Refuse {
    type Value = std::convert::Infallible;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    refuse_scalars!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str),
        visit_bytes(&[u8])
    );

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom(self.0))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(E::custom(self.0))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(self.0))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(self.0))
    }
}

macro_rules! hints {
    ($($name:ident => $msg:expr;)*) => {$(
        #[doc = concat!("Hint: ", $msg)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {}
        impl Hint for $name {
            const MESSAGE: &'static str = $msg;
        }
    )*};
}

hints! {
    CertResolver => "`certResolver` (ACME) is not implemented by traefikee";
    CertificatesResolvers => "`certificatesResolvers` (ACME) is not implemented by traefikee";
    DefaultGeneratedCert => "`defaultGeneratedCert` (ACME) is not implemented by traefikee; set `defaultCertificate`";
    ServersTransport => "`serversTransport` is not implemented by traefikee yet: servers are reached with default transport settings";
    ServersTransports => "`serversTransports` are not implemented by traefikee yet";
    OtherProvider => "this provider is not implemented by traefikee: the file provider (`traefikee deploy`), etcd, Consul and Redis are";
    KvOption => "this KV provider option is not implemented by traefikee";
    Udp => "UDP routing is not implemented by traefikee";
    TcpMiddlewares => "TCP middlewares are not implemented by traefikee";
    ServiceKind => "this service type is not implemented by traefikee: use `loadBalancer` or `weighted`";
    MiddlewareKind => "this middleware is not implemented by traefikee";
    IpWhiteList => "`ipWhiteList` is deprecated in Traefik v3 and not implemented by traefikee: use `ipAllowList`";
    Plugins => "plugins are not implemented by traefikee";
    RedisRateLimit => "a Redis-backed `rateLimit` is not implemented by traefikee";
    Observability => "per-router and per-entry-point `observability` settings are not implemented by traefikee";
    StaticSection => "this static configuration section is not implemented by traefikee";
    EntryPointOption => "this entry point option is not implemented by traefikee";
    HealthCheckOption => "this health check option is not implemented by traefikee";
    ParentRefs => "multi-layer routing (`parentRefs`) is not implemented by traefikee";
    LoadBalancerOption => "this load balancer option is not implemented by traefikee";
    AccessLogFields => "`accessLog.fields` is not implemented by traefikee: every default field is logged";
    MetricsBackend => "only the `prometheus` metrics backend is implemented by traefikee";
    HeaderLabels => "`headerLabels` is not implemented by traefikee";
}
