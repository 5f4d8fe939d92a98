//! Message Reliability Protocol (Matter 1.3 §4.12): the peer's timing parameters, the
//! retransmission backoff formula in exact arithmetic, and the peer active/idle test.
//!
//! Nothing here reads a clock: durations and jitter come from the caller (jitter drawn from the
//! scenario's seeded RNG with [`JitterFraction::draw`]).

pub mod activity;
pub mod backoff;
pub mod chip_compat;
pub mod params;
pub mod reliability;

pub use activity::is_peer_active;
pub use backoff::{BackoffSchedule, ExactMillis, JitterFraction, retransmission_timeout};
pub use params::{MRP_MAX_TRANSMISSIONS, MRP_STANDALONE_ACK_TIMEOUT, MrpParameters};

use thiserror::Error;

/// Errors of the MRP module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MrpError {
    /// SESSION_IDLE_INTERVAL or SESSION_ACTIVE_INTERVAL (or a backoff base interval) above one
    /// hour (Matter 1.3 §4.12.8).
    #[error("{which} of {millis} ms exceeds the 3600000 ms limit")]
    IntervalTooLong {
        /// Which interval: "idle interval", "active interval" or "base interval".
        which: &'static str,
        /// The rejected value in whole milliseconds.
        millis: u128,
    },
    /// SESSION_ACTIVE_THRESHOLD above 65535 ms: it is a u16 of milliseconds on the wire.
    #[error("active threshold of {millis} ms exceeds the 65535 ms limit")]
    ActiveThresholdTooLong {
        /// The rejected value in whole milliseconds.
        millis: u128,
    },
    /// A backoff was asked for transmission `n` ≥ MRP_MAX_TRANSMISSIONS: there is no wait after
    /// a transmission that is never sent.
    #[error("transmission {n} is beyond the {max} transmissions MRP allows")]
    TransmissionOutOfRange {
        /// The requested transmission number (0 = initial send).
        n: u8,
        /// MRP_MAX_TRANSMISSIONS.
        max: usize,
    },
}
