//! Durations as Traefik reads them (`paerser/types.Duration`): a bare integer is a number of
//! seconds, anything else goes through Go's `time.ParseDuration` ("10s", "1m30s", "1.5h",
//! "100ms"). Written back in Go's `Duration.String()` form.

use std::fmt;
use std::time::Duration as StdDuration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A signed duration in nanoseconds, as Go's `time.Duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration(i64);

const NANOS_PER_SECOND: i64 = 1_000_000_000;

impl GoDuration {
    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        GoDuration(nanos)
    }

    /// A duration of `secs` seconds (saturating).
    pub const fn from_secs(secs: i64) -> Self {
        GoDuration(secs.saturating_mul(NANOS_PER_SECOND))
    }

    /// Nanoseconds, possibly negative.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whether the duration is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The duration as a `std` one; `None` if negative.
    pub fn to_std(self) -> Option<StdDuration> {
        u64::try_from(self.0).ok().map(StdDuration::from_nanos)
    }

    /// Parses a duration the way Traefik does: integer seconds, or Go's duration syntax.
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Ok(secs) = s.parse::<i64>() {
            return secs
                .checked_mul(NANOS_PER_SECOND)
                .map(GoDuration)
                .ok_or_else(|| format!("duration {s:?} overflows"));
        }
        parse_go_duration(s).map(GoDuration)
    }
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`.
fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("invalid duration {orig:?} (expected e.g. \"10s\", \"1m30s\", \"100ms\" or seconds)");
    let overflow = || format!("duration {orig:?} overflows");
    let mut s = orig;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix('-') {
        neg = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        let first = s.as_bytes()[0];
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut value: u64 = 0;
        for b in s[..int_len].bytes() {
            value = value.checked_mul(10).and_then(|v| v.checked_add(u64::from(b - b'0'))).ok_or_else(overflow)?;
            if value > LIMIT {
                return Err(overflow());
            }
        }
        s = &s[int_len..];
        let (mut frac, mut scale, mut frac_len) = (0u64, 1f64, 0usize);
        if let Some(rest) = s.strip_prefix('.') {
            s = rest;
            frac_len = s.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflowed = false;
            for b in s[..frac_len].bytes() {
                if overflowed {
                    continue;
                }
                match frac.checked_mul(10).and_then(|v| v.checked_add(u64::from(b - b'0'))) {
                    Some(v) if v <= LIMIT => {
                        frac = v;
                        scale *= 10.0;
                    }
                    _ => overflowed = true,
                }
            }
            s = &s[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let unit_len = s.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("missing unit in duration {orig:?}"));
        }
        let unit: u64 = match &s[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            other => return Err(format!("unknown unit {other:?} in duration {orig:?}")),
        };
        s = &s[unit_len..];
        if value > LIMIT / unit {
            return Err(overflow());
        }
        value *= unit;
        if frac > 0 {
            value += (frac as f64 * (unit as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(overflow());
            }
        }
        total = total.checked_add(value).filter(|t| *t <= LIMIT).ok_or_else(overflow)?;
    }
    if neg {
        return Ok(if total == LIMIT { i64::MIN } else { -(total as i64) });
    }
    i64::try_from(total).map_err(|_| overflow())
}

impl fmt::Display for GoDuration {
    /// Go's `Duration.String()`: "1h2m3.5s", "1.5ms", "0s".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let u = self.0.unsigned_abs();
        let sign = if neg { "-" } else { "" };
        if u == 0 {
            return f.write_str("0s");
        }
        if u < 1_000_000_000 {
            let (unit, per) = match u {
                0..1_000 => ("ns", 1),
                1_000..1_000_000 => ("\u{b5}s", 1_000),
                _ => ("ms", 1_000_000),
            };
            return write!(f, "{sign}{}{unit}", fixed(u, per));
        }
        let hours = u / 3_600_000_000_000;
        let minutes = (u / 60_000_000_000) % 60;
        let secs = fixed(u % 60_000_000_000, 1_000_000_000);
        if hours > 0 {
            write!(f, "{sign}{hours}h{minutes}m{secs}s")
        } else if minutes > 0 {
            write!(f, "{sign}{minutes}m{secs}s")
        } else {
            write!(f, "{sign}{secs}s")
        }
    }
}

/// `value / per` with the fractional digits that are not zero.
fn fixed(value: u64, per: u64) -> String {
    let whole = value / per;
    let frac = value % per;
    if frac == 0 {
        return whole.to_string();
    }
    let width = per.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = GoDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"10s\", \"1m30s\" or a number of seconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoDuration, E> {
                v.checked_mul(NANOS_PER_SECOND).map(GoDuration).ok_or_else(|| E::custom("duration overflows"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoDuration, E> {
                let v = i64::try_from(v).map_err(|_| E::custom("duration overflows"))?;
                self.visit_i64(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoDuration, E> {
                GoDuration::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::GoDuration;

    #[test]
    fn parses_like_traefik() {
        let p = |s: &str| GoDuration::parse(s).map(GoDuration::as_nanos);
        assert_eq!(p("10"), Ok(10_000_000_000));
        assert_eq!(p("10s"), Ok(10_000_000_000));
        assert_eq!(p("1m30s"), Ok(90_000_000_000));
        assert_eq!(p("100ms"), Ok(100_000_000));
        assert_eq!(p("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(p("-2s"), Ok(-2_000_000_000));
        assert_eq!(p("0"), Ok(0));
        assert_eq!(p(".5s"), Ok(500_000_000));
        assert_eq!(p("3\u{b5}s"), Ok(3_000));
        for bad in ["", "s", "10x", "1.5", ".s", "-", "1e3s", "9999999999999999999s", "10 s"] {
            assert!(p(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn formats_like_go() {
        let f = |n: i64| GoDuration::from_nanos(n).to_string();
        assert_eq!(f(0), "0s");
        assert_eq!(f(90_000_000_000), "1m30s");
        assert_eq!(f(100_000_000), "100ms");
        assert_eq!(f(1_500_000), "1.5ms");
        assert_eq!(f(3_600_000_000_000), "1h0m0s");
        assert_eq!(f(1_500_000_000), "1.5s");
        assert_eq!(f(-2_000_000_000), "-2s");
        assert_eq!(f(1), "1ns");
    }
}
