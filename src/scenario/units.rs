//! Scalars of the scenario language with their own syntax: durations (`200ms`, `1.5s`),
//! latency ranges (`5ms..20ms`), percentages (`30%`) and count bounds (`3`, `2..5`, `>=1`,
//! `<=4`). Each parses in its `Deserialize`, so a bad value is reported at its line and column.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A non-negative virtual duration written with a unit: `us`, `ms`, `s`, `m` (`250ms`,
/// `1.5s`, `2m`). A bare number is refused: the unit is never guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub Duration);

/// Parses `text` as a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!("negative duration `{t}`: durations are at least 0"));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("duration `{t}` has no unit: write e.g. `{t}ms` or `{t}s`"))?;
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{t}` is not a duration (e.g. `200ms`, `1.5s`)"))?;
    let micros_per_unit = match unit.trim() {
        "us" | "µs" => 1.0,
        "ms" => 1_000.0,
        "s" => 1_000_000.0,
        "m" | "min" => 60_000_000.0,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` in `{t}` (use us, ms, s or m)"
            ));
        }
    };
    let micros = (value * micros_per_unit).round();
    // One year bounds every scenario and keeps the float exact in u64 microseconds.
    if !micros.is_finite() || micros > 365.0 * 24.0 * 3600.0 * 1e6 {
        return Err(format!("duration `{t}` is too long (at most a year)"));
    }
    Ok(Duration::from_micros(micros as u64))
}

/// A value that is a string in YAML, with what it should look like.
struct StrVisitor(&'static str);

impl Visitor<'_> for StrVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Err(E::custom(format!(
            "`{v}` needs a unit here: expected {}",
            self.0
        )))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Err(E::custom(format!(
            "`{v}` needs a unit here: expected {}",
            self.0
        )))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Err(E::custom(format!(
            "`{v}` needs a unit here: expected {}",
            self.0
        )))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = d.deserialize_any(StrVisitor("a duration such as `200ms` or `1.5s`"))?;
        parse_duration(&text).map(Dur).map_err(de::Error::custom)
    }
}

/// A one-way latency: one duration (`10ms`) or a range (`5ms..20ms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// Smallest delay.
    pub min: Duration,
    /// Largest delay.
    pub max: Duration,
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = d.deserialize_any(StrVisitor("a latency such as `10ms` or `5ms..20ms`"))?;
        let parsed = match text.split_once("..") {
            Some((lo, hi)) => parse_duration(lo).and_then(|min| {
                let max = parse_duration(hi)?;
                if min > max {
                    Err(format!(
                        "latency range `{text}` is empty (minimum above maximum)"
                    ))
                } else {
                    Ok(Latency { min, max })
                }
            }),
            None => parse_duration(&text).map(|d| Latency { min: d, max: d }),
        };
        parsed.map_err(de::Error::custom)
    }
}

/// A probability written as a percentage from `0%` to `100%` (`30%`, `2.5%`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percent(pub f64);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = d.deserialize_any(StrVisitor("a percentage such as `30%`"))?;
        let t = text.trim();
        let Some(number) = t.strip_suffix('%') else {
            return Err(de::Error::custom(format!(
                "`{t}` is not a percentage: write it with a % sign, e.g. `30%`"
            )));
        };
        let value: f64 = number
            .trim()
            .parse()
            .map_err(|_| de::Error::custom(format!("`{t}` is not a percentage (e.g. `30%`)")))?;
        if !(0.0..=100.0).contains(&value) {
            return Err(de::Error::custom(format!(
                "percentage `{t}` is out of range (0% to 100%)"
            )));
        }
        Ok(Percent(value / 100.0))
    }
}

/// Bounds on a count: `3` (exactly), `2..5` (inclusive), `>=1`, `<=4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// Smallest allowed.
    pub min: u64,
    /// Largest allowed.
    pub max: Option<u64>,
}

/// Parses a count bound.
pub fn parse_count(text: &str) -> Result<Count, String> {
    let t = text.trim();
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{t}` is not a count (e.g. `3`, `2..5`, `>=1`, `<=4`)"))
    };
    if let Some(rest) = t.strip_prefix(">=") {
        return Ok(Count {
            min: number(rest)?,
            max: None,
        });
    }
    if let Some(rest) = t.strip_prefix("<=") {
        return Ok(Count {
            min: 0,
            max: Some(number(rest)?),
        });
    }
    if let Some((lo, hi)) = t.split_once("..") {
        let (min, max) = (number(lo)?, number(hi)?);
        if min > max {
            return Err(format!("count range `{t}` is empty"));
        }
        return Ok(Count {
            min,
            max: Some(max),
        });
    }
    let n = number(t)?;
    Ok(Count {
        min: n,
        max: Some(n),
    })
}

struct CountVisitor;

impl Visitor<'_> for CountVisitor {
    type Value = Count;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a count such as `3`, `2..5`, `>=1` or `<=4`")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
        Ok(Count {
            min: v,
            max: Some(v),
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
        u64::try_from(v)
            .map(|v| Count {
                min: v,
                max: Some(v),
            })
            .map_err(|_| E::custom(format!("count {v} is negative")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
        parse_count(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CountVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit_and_are_never_negative() {
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert!(parse_duration("-5ms").unwrap_err().contains("negative"));
        assert!(parse_duration("5").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("5h")
                .unwrap_err()
                .contains("unknown duration unit")
        );
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn counts_take_four_forms() {
        assert_eq!(
            parse_count("3"),
            Ok(Count {
                min: 3,
                max: Some(3)
            })
        );
        assert_eq!(
            parse_count("2..5"),
            Ok(Count {
                min: 2,
                max: Some(5)
            })
        );
        assert_eq!(parse_count(">=1"), Ok(Count { min: 1, max: None }));
        assert_eq!(
            parse_count("<=4"),
            Ok(Count {
                min: 0,
                max: Some(4)
            })
        );
        assert!(parse_count("5..2").is_err());
        assert!(parse_count("many").is_err());
    }

    #[test]
    fn percentages_need_a_sign_and_stay_in_range() {
        let p = |y: &str| serde_saphyr::from_str::<Percent>(y).map_err(|e| e.to_string());
        assert_eq!(p("30%"), Ok(Percent(0.3)));
        assert!(p("0.3").unwrap_err().contains("percentage"));
        assert!(p("130%").unwrap_err().contains("out of range"));
    }
}
