//! MRP constants and the per-node parameters SII/SAI/SAT (Matter 1.3 §4.12.8).

use core::time::Duration;

use super::MrpError;
use super::activity::is_peer_active;
use super::backoff::{ExactMillis, JitterFraction, retransmission_timeout};

/// An exact non-negative rational constant `numer / denom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// Numerator.
    pub numer: u32,
    /// Denominator (never 0 for the constants below).
    pub denom: u32,
}

/// MRP_MAX_TRANSMISSIONS: total transmissions of a reliable message (1 initial + 4 retries).
pub const MRP_MAX_TRANSMISSIONS: usize = 5;
/// MRP_BACKOFF_BASE = 1.6, the exponential base.
pub const MRP_BACKOFF_BASE: Ratio = Ratio { numer: 8, denom: 5 };
/// MRP_BACKOFF_JITTER = 0.25, the largest random extra fraction.
pub const MRP_BACKOFF_JITTER: Ratio = Ratio { numer: 1, denom: 4 };
/// MRP_BACKOFF_MARGIN = 1.1, the safety margin multiplier.
pub const MRP_BACKOFF_MARGIN: Ratio = Ratio {
    numer: 11,
    denom: 10,
};
/// MRP_BACKOFF_THRESHOLD: transmissions before exponential backoff starts.
pub const MRP_BACKOFF_THRESHOLD: u8 = 1;
/// MRP_STANDALONE_ACK_TIMEOUT: longest an ack waits for a piggyback opportunity.
pub const MRP_STANDALONE_ACK_TIMEOUT: Duration = Duration::from_millis(200);

/// Default SESSION_IDLE_INTERVAL (SII).
pub const DEFAULT_IDLE_INTERVAL: Duration = Duration::from_millis(500);
/// Default SESSION_ACTIVE_INTERVAL (SAI).
pub const DEFAULT_ACTIVE_INTERVAL: Duration = Duration::from_millis(300);
/// Default SESSION_ACTIVE_THRESHOLD (SAT).
pub const DEFAULT_ACTIVE_THRESHOLD: Duration = Duration::from_millis(4000);

/// Upper limit of SII and SAI: one hour.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);
/// Upper limit of SAT: a u16 of milliseconds in the session-parameter struct (Matter 1.3 §4.12.8).
pub const MAX_ACTIVE_THRESHOLD: Duration = Duration::from_millis(u16::MAX as u64);

/// A node's advertised MRP timing (SII, SAI, SAT). The values that govern our retransmissions
/// are the **peer's** (Matter 1.3 §4.12.8). Always within the limits above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MrpParameters {
    idle_interval: Duration,
    active_interval: Duration,
    active_threshold: Duration,
}

impl MrpParameters {
    /// The defaults used when a session-parameter field is absent: 500 / 300 / 4000 ms.
    pub const DEFAULT: Self = Self {
        idle_interval: DEFAULT_IDLE_INTERVAL,
        active_interval: DEFAULT_ACTIVE_INTERVAL,
        active_threshold: DEFAULT_ACTIVE_THRESHOLD,
    };

    /// Validated parameters: intervals at most one hour, threshold at most 65535 ms.
    pub fn new(
        idle_interval: Duration,
        active_interval: Duration,
        active_threshold: Duration,
    ) -> Result<Self, MrpError> {
        check_interval("idle interval", idle_interval)?;
        check_interval("active interval", active_interval)?;
        if active_threshold > MAX_ACTIVE_THRESHOLD {
            return Err(MrpError::ActiveThresholdTooLong {
                millis: active_threshold.as_millis(),
            });
        }
        Ok(Self {
            idle_interval,
            active_interval,
            active_threshold,
        })
    }

    /// Validated parameters from whole milliseconds (as carried in the session-parameter
    /// struct, where SII/SAI are u32 and SAT a u16).
    pub fn from_millis(
        idle_interval_ms: u32,
        active_interval_ms: u32,
        active_threshold_ms: u32,
    ) -> Result<Self, MrpError> {
        Self::new(
            Duration::from_millis(idle_interval_ms.into()),
            Duration::from_millis(active_interval_ms.into()),
            Duration::from_millis(active_threshold_ms.into()),
        )
    }

    /// SESSION_IDLE_INTERVAL: base retransmission interval while the peer is idle.
    pub fn idle_interval(&self) -> Duration {
        self.idle_interval
    }

    /// SESSION_ACTIVE_INTERVAL: base retransmission interval while the peer is active.
    pub fn active_interval(&self) -> Duration {
        self.active_interval
    }

    /// SESSION_ACTIVE_THRESHOLD: how long after activity the node counts as active.
    pub fn active_threshold(&self) -> Duration {
        self.active_threshold
    }

    /// The backoff base: SAI if the peer is active, else SII (Matter 1.3 §4.12.2.1).
    pub fn base_interval(&self, peer_active: bool) -> Duration {
        if peer_active {
            self.active_interval
        } else {
            self.idle_interval
        }
    }

    /// Whether a peer with these parameters is active, `since_last_rx` after the last message
    /// received from it (Matter 1.3 §4.12.2.1).
    pub fn is_active(&self, since_last_rx: Duration) -> bool {
        is_peer_active(since_last_rx, self.active_threshold)
    }

    /// The wait after transmission `n` (0 = initial send) toward a peer with these parameters
    /// (Matter 1.3 §4.12.2.1). Fails only for `n` ≥ [`MRP_MAX_TRANSMISSIONS`].
    pub fn retransmission_timeout(
        &self,
        peer_active: bool,
        n: u8,
        jitter: JitterFraction,
    ) -> Result<ExactMillis, MrpError> {
        retransmission_timeout(self.base_interval(peer_active), n, jitter)
    }
}

impl Default for MrpParameters {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Rejects an SII/SAI (or backoff base) above one hour.
pub(crate) fn check_interval(which: &'static str, interval: Duration) -> Result<(), MrpError> {
    if interval > MAX_INTERVAL {
        return Err(MrpError::IntervalTooLong {
            which,
            millis: interval.as_millis(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_session_parameter_defaults() {
        let p = MrpParameters::default();
        assert_eq!(p.idle_interval(), Duration::from_millis(500));
        assert_eq!(p.active_interval(), Duration::from_millis(300));
        assert_eq!(p.active_threshold(), Duration::from_millis(4000));
        assert_eq!(MrpParameters::from_millis(500, 300, 4000), Ok(p));
    }

    #[test]
    fn limits_are_inclusive() {
        assert!(MrpParameters::from_millis(3_600_000, 3_600_000, 65_535).is_ok());
        assert!(MrpParameters::from_millis(0, 0, 0).is_ok());
    }

    #[test]
    fn intervals_above_one_hour_are_rejected() {
        assert_eq!(
            MrpParameters::from_millis(3_600_001, 300, 4000),
            Err(MrpError::IntervalTooLong {
                which: "idle interval",
                millis: 3_600_001
            })
        );
        assert_eq!(
            MrpParameters::from_millis(500, u32::MAX, 4000),
            Err(MrpError::IntervalTooLong {
                which: "active interval",
                millis: u32::MAX.into()
            })
        );
        // One nanosecond over the hour is still over.
        assert!(
            MrpParameters::new(
                MAX_INTERVAL + Duration::from_nanos(1),
                DEFAULT_ACTIVE_INTERVAL,
                DEFAULT_ACTIVE_THRESHOLD
            )
            .is_err()
        );
    }

    #[test]
    fn threshold_above_u16_millis_is_rejected() {
        assert_eq!(
            MrpParameters::from_millis(500, 300, 65_536),
            Err(MrpError::ActiveThresholdTooLong { millis: 65_536 })
        );
    }

    #[test]
    fn base_interval_follows_peer_activity() {
        let p = MrpParameters::from_millis(700, 200, 1000).unwrap();
        assert_eq!(p.base_interval(true), Duration::from_millis(200));
        assert_eq!(p.base_interval(false), Duration::from_millis(700));
        assert!(p.is_active(Duration::from_millis(999)));
        assert!(!p.is_active(Duration::from_millis(1000)));
    }

    #[test]
    fn constants_are_the_spec_values() {
        let as_f64 = |r: Ratio| f64::from(r.numer) / f64::from(r.denom);
        assert_eq!(as_f64(MRP_BACKOFF_BASE), 1.6);
        assert_eq!(as_f64(MRP_BACKOFF_JITTER), 0.25);
        assert_eq!(as_f64(MRP_BACKOFF_MARGIN), 1.1);
        assert_eq!(MRP_MAX_TRANSMISSIONS, 5);
        assert_eq!(MRP_BACKOFF_THRESHOLD, 1);
        assert_eq!(MRP_STANDALONE_ACK_TIMEOUT, Duration::from_millis(200));
    }
}
