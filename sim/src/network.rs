//! The impairments we own: per directed link (from node → to node) loss, duplication, latency
//! range and a reordering window, plus partitions (two-way and one-way), all changeable while
//! the simulation runs and all drawn from a per-link ChaCha derived from the run's seed.
//!
//! Where they are applied: in the *sender's* socket ([`crate::io::SimSocket::send_to`]), at the
//! moment the node hands a datagram over. The fate of every copy (dropped, or delivered at
//! `now + delay`) is decided there, from the link's own RNG, and the datagram travels through
//! turmoil with its delivery time in a small envelope; the receiver's socket holds it until
//! then. Why not turmoil's link settings: turmoil draws latency in whole milliseconds from one
//! shared RNG and an exponential curve, drops whole links rather than datagrams, cannot
//! duplicate, and its partitions are invisible to our trace. Deciding at the sender keeps every
//! decision on a stream that only that link's traffic consumes (adding a node never shifts
//! another link's draws) and lets the trace say exactly what the network did.

use std::collections::BTreeMap;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};

use crate::seed;

/// What a link does to datagrams.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Impairments {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram that is not lost arrives twice (the copy has its own delay).
    pub duplicate: f64,
    /// Smallest one-way delay.
    pub latency_min: Duration,
    /// Largest one-way delay (before the reordering window).
    pub latency_max: Duration,
    /// Extra delay drawn uniformly from `[0, reorder)`: datagrams overtake each other.
    pub reorder: Duration,
}

impl Impairments {
    /// A perfect link with a fixed one-way delay.
    pub const fn perfect(latency: Duration) -> Self {
        Impairments {
            loss: 0.0,
            duplicate: 0.0,
            latency_min: latency,
            latency_max: latency,
            reorder: Duration::ZERO,
        }
    }

    /// This link with loss, duplication and reordering removed (the liveness phase keeps
    /// latency: a healed network is still a network).
    pub fn healed(self) -> Self {
        Impairments {
            loss: 0.0,
            duplicate: 0.0,
            reorder: Duration::ZERO,
            ..self
        }
    }

    /// Checks ranges: probabilities in [0, 1], `latency_min <= latency_max`.
    pub fn validate(&self) -> Result<(), NetworkError> {
        for (name, p) in [("loss", self.loss), ("duplicate", self.duplicate)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(NetworkError::Probability { name, value: p });
            }
        }
        if self.latency_min > self.latency_max {
            return Err(NetworkError::LatencyRange {
                min: self.latency_min,
                max: self.latency_max,
            });
        }
        Ok(())
    }
}

impl Default for Impairments {
    /// A perfect link with 1 ms of delay.
    fn default() -> Self {
        Impairments::perfect(Duration::from_millis(1))
    }
}

/// Bad impairment settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    /// A probability outside [0, 1].
    #[error("{name} probability {value} is outside [0, 1]")]
    Probability {
        /// Which one.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// `latency_min > latency_max`.
    #[error("latency range {min:?}..{max:?} is empty")]
    LatencyRange {
        /// Minimum.
        min: Duration,
        /// Maximum.
        max: Duration,
    },
}

/// Why the network dropped a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropReason {
    /// Random loss.
    Loss,
    /// The directed link is partitioned.
    Partition,
    /// The receiving host is down (crashed and not restarted).
    HostDown,
    /// The destination is no simulated node.
    NoRoute,
}

impl DropReason {
    /// The word used in trace lines.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::HostDown => "host down",
            DropReason::NoRoute => "no route",
        }
    }
}

/// What happens to one datagram: dropped, or delivered once or more after these delays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Nothing arrives.
    Dropped(DropReason),
    /// One copy per delay (two when duplicated).
    Delivered(Vec<Duration>),
}

/// One directed link's settings and random stream.
struct Link {
    /// `None`: the network's default.
    impairments: Option<Impairments>,
    partitioned: bool,
    rng: ChaCha20Rng,
}

/// All links of the simulated network, by (from, to) node index.
pub struct Network {
    seed: u64,
    names: Vec<String>,
    default: Impairments,
    links: BTreeMap<(usize, usize), Link>,
}

impl Network {
    /// A network with no nodes yet.
    pub fn new(seed: u64, default: Impairments) -> Self {
        Network {
            seed,
            names: Vec::new(),
            default,
            links: BTreeMap::new(),
        }
    }

    /// Registers node `name`; its index is the order of registration.
    pub fn add_node(&mut self, name: &str) -> usize {
        self.names.push(name.to_owned());
        self.names.len() - 1
    }

    fn link(&mut self, from: usize, to: usize) -> &mut Link {
        let seed = self.seed;
        let names = &self.names;
        self.links.entry((from, to)).or_insert_with(|| {
            let name = |i: usize| names.get(i).map_or("?", String::as_str);
            Link {
                impairments: None,
                partitioned: false,
                rng: seed::link_rng(seed, name(from), name(to)),
            }
        })
    }

    /// The impairments every link without its own uses.
    pub fn set_default(&mut self, impairments: Impairments) {
        self.default = impairments;
    }

    /// The default impairments.
    pub fn default_impairments(&self) -> Impairments {
        self.default
    }

    /// Gives the directed link `from → to` its own impairments (`None`: back to the default).
    pub fn set_link(&mut self, from: usize, to: usize, impairments: Option<Impairments>) {
        self.link(from, to).impairments = impairments;
    }

    /// The impairments in force on `from → to`.
    pub fn impairments(&self, from: usize, to: usize) -> Impairments {
        self.links
            .get(&(from, to))
            .and_then(|l| l.impairments)
            .unwrap_or(self.default)
    }

    /// Cuts (`true`) or repairs (`false`) the directed link `from → to`.
    pub fn set_partitioned(&mut self, from: usize, to: usize, partitioned: bool) {
        self.link(from, to).partitioned = partitioned;
    }

    /// Whether `from → to` is cut.
    pub fn is_partitioned(&self, from: usize, to: usize) -> bool {
        self.links.get(&(from, to)).is_some_and(|l| l.partitioned)
    }

    /// Liveness phase: every partition repaired, every link (and the default) stripped of loss,
    /// duplication and reordering.
    pub fn heal_all(&mut self) {
        self.default = self.default.healed();
        for link in self.links.values_mut() {
            link.partitioned = false;
            link.impairments = link.impairments.map(Impairments::healed);
        }
    }

    /// Decides the fate of one datagram on `from → to`. Draws happen in a fixed order (loss,
    /// duplicate, then one delay per copy) and only on that link's stream.
    pub fn decide(&mut self, from: usize, to: usize) -> Fate {
        let default = self.default;
        let link = self.link(from, to);
        if link.partitioned {
            return Fate::Dropped(DropReason::Partition);
        }
        let imp = link.impairments.unwrap_or(default);
        if chance(&mut link.rng, imp.loss) {
            return Fate::Dropped(DropReason::Loss);
        }
        let copies = if chance(&mut link.rng, imp.duplicate) {
            2
        } else {
            1
        };
        let delays = (0..copies).map(|_| delay(&mut link.rng, &imp)).collect();
        Fate::Delivered(delays)
    }
}

/// `true` with probability `p` (no draw when `p` is 0, so a perfect link consumes nothing).
fn chance(rng: &mut ChaCha20Rng, p: f64) -> bool {
    if p <= 0.0 {
        return false;
    }
    // 53 random bits: a uniform double in [0, 1).
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    unit < p
}

/// Uniform in `[0, span]` microseconds (no draw for an empty span).
fn uniform_micros(rng: &mut ChaCha20Rng, span: u64) -> u64 {
    if span == 0 {
        return 0;
    }
    rng.next_u64() % (span + 1)
}

fn delay(rng: &mut ChaCha20Rng, imp: &Impairments) -> Duration {
    let min = micros(imp.latency_min);
    let span = micros(imp.latency_max).saturating_sub(min);
    let base = min + uniform_micros(rng, span);
    let reorder = micros(imp.reorder);
    let extra = if reorder == 0 {
        0
    } else {
        uniform_micros(rng, reorder - 1)
    };
    Duration::from_micros(base.saturating_add(extra))
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(imp: Impairments) -> Network {
        let mut n = Network::new(9, imp);
        n.add_node("a");
        n.add_node("b");
        n
    }

    #[test]
    fn partitions_are_directed() {
        let mut n = net(Impairments::default());
        n.set_partitioned(0, 1, true);
        assert_eq!(n.decide(0, 1), Fate::Dropped(DropReason::Partition));
        assert!(matches!(n.decide(1, 0), Fate::Delivered(_)));
        n.heal_all();
        assert!(matches!(n.decide(0, 1), Fate::Delivered(_)));
    }

    #[test]
    fn loss_rate_is_close_to_the_setting_and_delays_stay_in_range() {
        let imp = Impairments {
            loss: 0.2,
            duplicate: 0.1,
            latency_min: Duration::from_millis(5),
            latency_max: Duration::from_millis(10),
            reorder: Duration::from_millis(3),
        };
        let mut n = net(imp);
        let (mut lost, mut dup) = (0, 0);
        for _ in 0..10_000 {
            match n.decide(0, 1) {
                Fate::Dropped(reason) => {
                    assert_eq!(reason, DropReason::Loss);
                    lost += 1;
                }
                Fate::Delivered(delays) => {
                    if delays.len() == 2 {
                        dup += 1;
                    }
                    for d in delays {
                        assert!(d >= Duration::from_millis(5) && d < Duration::from_millis(13));
                    }
                }
            }
        }
        assert!((1_800..2_200).contains(&lost), "lost {lost}");
        assert!((600..1_000).contains(&dup), "duplicated {dup}");
    }

    #[test]
    fn same_seed_same_fates_and_links_do_not_share_streams() {
        let imp = Impairments {
            loss: 0.5,
            ..Impairments::default()
        };
        let run = |interleave: bool| {
            let mut n = net(imp);
            (0..50)
                .map(|_| {
                    if interleave {
                        n.decide(1, 0);
                    }
                    n.decide(0, 1)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(false), run(false));
        // Traffic on b → a does not change what happens on a → b.
        assert_eq!(run(false), run(true));
    }

    #[test]
    fn bad_settings_are_typed_errors() {
        let imp = Impairments {
            loss: 1.5,
            ..Impairments::default()
        };
        assert!(matches!(
            imp.validate(),
            Err(NetworkError::Probability { name: "loss", .. })
        ));
        let imp = Impairments {
            latency_min: Duration::from_millis(2),
            latency_max: Duration::from_millis(1),
            ..Impairments::default()
        };
        assert!(matches!(
            imp.validate(),
            Err(NetworkError::LatencyRange { .. })
        ));
    }
}
