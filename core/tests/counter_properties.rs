//! Property tests for message counters (Matter 1.3 §4.6): replay protection of the
//! encrypted unicast window and uniqueness/exhaustion of the outbound secure session counter.

use std::collections::BTreeSet;

use paseo_core::session::counter::{
    CounterError, CounterKind, CounterVerdict, CounterWindow, MSG_COUNTER_WINDOW_SIZE,
    MessageCounter, ReceptionMode, ReceptionState,
};
use proptest::prelude::*;

/// A counter sequence that mostly stays near a moving point, so the window, reordering and
/// duplicates are exercised, with occasional far jumps.
fn counter_sequence() -> impl Strategy<Value = (u32, Vec<u32>)> {
    let start = prop_oneof![0..200u32, (u32::MAX - 200)..=u32::MAX, any::<u32>()];
    let step = prop_oneof![
        8 => -40i64..=40,
        1 => -5000i64..=5000,
        1 => any::<u32>().prop_map(i64::from),
    ];
    (start, prop::collection::vec(step, 1..200)).prop_map(|(start, steps)| {
        let mut at = i64::from(start);
        let counters = steps
            .into_iter()
            .map(|d| {
                at = (at + d).clamp(0, i64::from(u32::MAX));
                // clamp keeps `at` inside u32.
                u32::try_from(at).unwrap_or(u32::MAX)
            })
            .collect();
        (start, counters)
    })
}

fn unicast_from(max_counter: u32, bitmap: u32) -> ReceptionState {
    ReceptionState::synchronized(
        ReceptionMode::EncryptedUnicast,
        CounterWindow {
            max_counter,
            bitmap,
        },
    )
}

proptest! {
    /// Encrypted unicast: a counter is accepted at most once, and every accepted counter stays a
    /// duplicate for the rest of the sequence (replays are always rejected).
    #[test]
    fn unicast_never_accepts_a_counter_twice(
        (start, counters) in counter_sequence(),
        bitmap in any::<u32>(),
    ) {
        let mut state = unicast_from(start, bitmap);
        let mut accepted = BTreeSet::new();
        for &c in &counters {
            let verdict = state.check(c);
            if verdict == CounterVerdict::New {
                prop_assert!(!accepted.contains(&c), "counter {c} accepted twice");
                prop_assert_eq!(state.commit(c), Ok(()));
                accepted.insert(c);
                prop_assert_eq!(state.check(c), CounterVerdict::Duplicate);
            } else {
                prop_assert_eq!(state.commit(c), Err(CounterError::Duplicate { counter: c }));
            }
        }
        for &c in &accepted {
            prop_assert_eq!(state.check(c), CounterVerdict::Duplicate, "replay of {} accepted", c);
        }
    }

    /// Encrypted unicast: the maximum never decreases and anything more than 32 below it is
    /// rejected without changing the state.
    #[test]
    fn unicast_rejects_counters_behind_the_window(
        max_counter in (MSG_COUNTER_WINDOW_SIZE + 1)..=u32::MAX,
        bitmap in any::<u32>(),
        behind in any::<u32>(),
    ) {
        let oldest_in_window = max_counter - MSG_COUNTER_WINDOW_SIZE;
        let counter = behind % oldest_in_window; // < max - 32
        let mut state = unicast_from(max_counter, bitmap);
        let before = state.clone();
        prop_assert_eq!(state.check(counter), CounterVerdict::Duplicate);
        prop_assert_eq!(state.commit(counter), Err(CounterError::Duplicate { counter }));
        prop_assert_eq!(state, before);
    }

    /// Encrypted unicast: the maximum is monotonic over any sequence.
    #[test]
    fn unicast_max_never_decreases((start, counters) in counter_sequence()) {
        let mut state = unicast_from(start, 0);
        let mut max = start;
        for c in counters {
            let _ = state.commit(c);
            let now = state.max_counter().unwrap_or(0);
            prop_assert!(now >= max);
            prop_assert_eq!(now, max.max(c));
            max = now;
        }
    }

    /// Outbound secure session counter: strictly increasing, never repeats, never 0, and fails
    /// exactly after handing out 0xFFFFFFFF (and keeps failing).
    #[test]
    fn secure_counter_is_unique_and_exhausts_exactly(distance in 0u32..3000) {
        let initial = u32::MAX - distance;
        let mut counter = MessageCounter::with_initial(CounterKind::SecureSession, initial)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut previous: Option<u32> = None;
        let mut handed_out = 0u64;
        loop {
            match counter.take_next() {
                Ok(v) => {
                    prop_assert_ne!(v, 0);
                    if let Some(p) = previous {
                        prop_assert!(v > p, "{v} after {p}");
                    }
                    previous = Some(v);
                    handed_out += 1;
                    prop_assert!(handed_out <= u64::from(distance) + 1, "did not exhaust");
                }
                Err(e) => {
                    prop_assert_eq!(e, CounterError::Exhausted);
                    break;
                }
            }
        }
        prop_assert_eq!(handed_out, u64::from(distance) + 1);
        prop_assert_eq!(previous, Some(u32::MAX));
        prop_assert_eq!(counter.take_next(), Err(CounterError::Exhausted));
    }

    /// Rolling counters never hand out 0 and never repeat within 2^32 - 1 messages (checked on
    /// a window around the wrap).
    #[test]
    fn rolling_counters_skip_zero_across_the_wrap(distance in 0u32..1000, extra in 0u32..1000) {
        for kind in [CounterKind::GlobalUnencrypted, CounterKind::GlobalGroup] {
            let mut counter = MessageCounter::with_initial(kind, u32::MAX - distance)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut seen = BTreeSet::new();
            for _ in 0..(u64::from(distance) + 1 + u64::from(extra)) {
                let v = counter.take_next().map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_ne!(v, 0);
                prop_assert!(seen.insert(v), "{v} repeated");
            }
        }
    }

    /// A seeded random counter starts in [1, 2^28] and the same seed gives the same start.
    #[test]
    fn random_initial_value_is_in_range_and_deterministic(seed in any::<u64>()) {
        use rand_chacha::ChaCha20Rng;
        use rand_core::SeedableRng;
        let a = MessageCounter::random(CounterKind::SecureSession, &mut ChaCha20Rng::seed_from_u64(seed));
        let b = MessageCounter::random(CounterKind::SecureSession, &mut ChaCha20Rng::seed_from_u64(seed));
        let first = a.peek().unwrap_or(0);
        prop_assert!((1..=1u32 << 28).contains(&first), "{first} out of range");
        prop_assert_eq!(a, b);
    }
}
