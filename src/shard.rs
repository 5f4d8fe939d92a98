//! Sharded sweeps: which seeds of a range one of N machines runs.
//!
//! Shard `K/N` (K is 0-based, as Kubernetes' `JOB_COMPLETION_INDEX` and a GitHub Actions
//! matrix index are) holds the seeds `s` of `A..B` with `(s - A) mod N == K`: round-robin, so
//! every shard gets seeds from the whole range and shards of one sweep are about equally long.
//! Every scenario swept runs at every seed of the shard.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// One of `count` disjoint slices of a seed range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index, below `count`.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

/// Why a `K/N` argument is not a shard.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not of the form `K/N` with two numbers.
    #[error("`{0}` is not a shard (e.g. `0/4`: the first of 4, 0-based)")]
    Syntax(String),
    /// `N` is 0.
    #[error("shard `{0}`: the number of shards must be at least 1")]
    NoShards(String),
    /// `K` is not below `N`.
    #[error("shard `{0}`: the index is 0-based, so it must be below the number of shards")]
    IndexTooLarge(String),
}

impl Shard {
    /// The whole range as one shard.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N`.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(text.to_owned());
        let (k, n) = text.split_once('/').ok_or_else(syntax)?;
        let index: u64 = k.trim().parse().map_err(|_| syntax())?;
        let count: u64 = n.trim().parse().map_err(|_| syntax())?;
        if count == 0 {
            return Err(ShardError::NoShards(text.to_owned()));
        }
        if index >= count {
            return Err(ShardError::IndexTooLarge(text.to_owned()));
        }
        Ok(Shard { index, count })
    }

    /// Whether `seed` of `range` belongs to this shard.
    pub fn holds(&self, range: &Range<u64>, seed: u64) -> bool {
        // `count` is at least 1 for a parsed shard; a zero count holds nothing.
        range.contains(&seed)
            && (seed - range.start)
                .checked_rem(self.count)
                .is_some_and(|r| r == self.index)
    }

    /// The seeds of `range` in this shard, ascending.
    pub fn seeds(&self, range: &Range<u64>) -> Vec<u64> {
        // `step_by` needs a usize; a shard count beyond usize::MAX leaves only the first seed
        // of the range to shard 0 (and none to the others), like the modulo rule.
        let step = usize::try_from(self.count).unwrap_or(usize::MAX);
        range
            .start
            .checked_add(self.index)
            .map(|first| (first..range.end).step_by(step.max(1)).collect())
            .unwrap_or_default()
    }

    /// Whether this is the whole range.
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_zero_based_k_of_n() {
        assert_eq!(Shard::parse("0/4"), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        assert!(matches!(
            Shard::parse("4/4"),
            Err(ShardError::IndexTooLarge(_))
        ));
        assert!(matches!(Shard::parse("0/0"), Err(ShardError::NoShards(_))));
        assert!(matches!(Shard::parse("1"), Err(ShardError::Syntax(_))));
        assert!(matches!(Shard::parse("a/2"), Err(ShardError::Syntax(_))));
        assert_eq!(Shard::parse("1/3").map(|s| s.to_string()), Ok("1/3".into()));
    }

    #[test]
    fn round_robin_from_the_start_of_the_range() {
        let shard = Shard { index: 1, count: 3 };
        assert_eq!(shard.seeds(&(10..20)), vec![11, 14, 17]);
        assert!(shard.holds(&(10..20), 14));
        assert!(!shard.holds(&(10..20), 15));
        assert!(!shard.holds(&(10..20), 20));
        assert_eq!(
            Shard { index: 4, count: 5 }.seeds(&(0..3)),
            Vec::<u64>::new()
        );
    }

    /// The shards of a range are disjoint, cover it, and agree with `holds` (every small
    /// range and shard count, exhaustively).
    #[test]
    fn shards_partition_the_range() {
        for start in [0u64, 1, 7, 100, u64::MAX - 40] {
            for len in 1u64..40 {
                let range = start..start + len;
                for count in 1u64..12 {
                    let mut all: Vec<u64> = Vec::new();
                    for index in 0..count {
                        let shard = Shard { index, count };
                        let seeds = shard.seeds(&range);
                        assert!(seeds.iter().all(|s| shard.holds(&range, *s)));
                        let held = range.clone().filter(|s| shard.holds(&range, *s)).count();
                        assert_eq!(held, seeds.len(), "{range:?} {shard}");
                        all.extend(seeds);
                    }
                    all.sort_unstable();
                    assert_eq!(
                        all,
                        range.clone().collect::<Vec<u64>>(),
                        "{range:?} /{count}"
                    );
                }
            }
        }
    }
}
