//! Property tests for the MRP backoff (Matter 1.3 §4.12.2.1): bounds, monotonicity and the
//! rounding forms of the exact representation.

use std::time::Duration;

use paseo_core::mrp::params::{MAX_INTERVAL, MRP_MAX_TRANSMISSIONS};
use paseo_core::mrp::{BackoffSchedule, ExactMillis, JitterFraction, retransmission_timeout};
use proptest::prelude::*;

fn base_interval() -> impl Strategy<Value = Duration> {
    let max_nanos = u64::try_from(MAX_INTERVAL.as_nanos()).unwrap_or(u64::MAX);
    prop_oneof![
        (0u64..=3_600_000).prop_map(Duration::from_millis),
        (0u64..=max_nanos).prop_map(Duration::from_nanos),
    ]
}

proptest! {
    /// Any jitter lies between the jitter-0 and max-jitter waits; larger jitter never shortens
    /// a wait; later transmissions never wait less.
    #[test]
    fn waits_are_bounded_and_monotonic(base in base_interval(), k1 in any::<u32>(), k2 in any::<u32>()) {
        let (lo, hi) = (k1.min(k2), k1.max(k2));
        let min = BackoffSchedule::minimum(base).unwrap();
        let max = BackoffSchedule::maximum(base).unwrap();
        let a = BackoffSchedule::uniform(base, JitterFraction::from_u32(lo)).unwrap();
        let b = BackoffSchedule::uniform(base, JitterFraction::from_u32(hi)).unwrap();
        for n in 0..MRP_MAX_TRANSMISSIONS {
            prop_assert!(min.waits()[n] <= a.waits()[n]);
            prop_assert!(a.waits()[n] <= b.waits()[n]);
            prop_assert!(b.waits()[n] <= max.waits()[n]);
            if n > 0 {
                prop_assert!(a.waits()[n - 1] <= a.waits()[n]);
            }
        }
        // Max jitter is exactly 1.25 × no jitter.
        prop_assert_eq!(min.total().units() * 5, max.total().units() * 4);
    }

    /// The rounded forms never exceed the exact value and are less than one unit below it.
    #[test]
    fn rounding_is_floor(base in base_interval(), n in 0u8..5, k in any::<u32>()) {
        let t = retransmission_timeout(base, n, JitterFraction::from_u32(k)).unwrap();
        let floor_ms = u128::from(t.floor_millis()) * ExactMillis::UNITS_PER_MILLI;
        prop_assert!(floor_ms <= t.units() && t.units() < floor_ms + ExactMillis::UNITS_PER_MILLI);
        let units_per_nano = ExactMillis::UNITS_PER_MILLI / 1_000_000;
        let floor_ns = t.to_duration().as_nanos() * units_per_nano;
        prop_assert!(floor_ns <= t.units() && t.units() < floor_ns + units_per_nano);
        prop_assert_eq!(t.to_duration_whole_millis(), Duration::from_millis(t.floor_millis()));
    }

    /// The schedule helper and the single-wait function agree.
    #[test]
    fn schedule_matches_single_waits(base in base_interval(), ks in any::<[u32; 5]>()) {
        let jitters = ks.map(JitterFraction::from_u32);
        let schedule = BackoffSchedule::new(base, jitters).unwrap();
        for (n, (w, j)) in (0u8..).zip(schedule.waits().iter().zip(jitters)) {
            prop_assert_eq!(*w, retransmission_timeout(base, n, j).unwrap());
        }
    }
}
