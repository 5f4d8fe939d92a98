//! Message counters and replay protection (Matter 1.3 §4.6).
//!
//! Two halves:
//! * [`MessageCounter`]: the counter a node stamps on the messages it sends (Matter 1.3 §4.6).
//! * [`ReceptionState`]: the per-peer window that decides whether a received counter is new or
//!   a duplicate/replay (Matter 1.3 §4.6: encrypted unicast without rollover,
//!   group and unencrypted with).
//!
//! The receive side is split into [`ReceptionState::check`] (no state change) and
//! [`ReceptionState::commit`] so a caller can verify a counter, decrypt and process the message,
//! and only then record the counter: a forged packet that fails authentication must not move
//! the window.

use rand_core::RngCore;
use thiserror::Error;

/// Number of counters below the maximum that the receive window remembers
/// (`MSG_COUNTER_WINDOW_SIZE`, Matter 1.3 §4.6).
pub const MSG_COUNTER_WINDOW_SIZE: u32 = 32;

/// Mask applied to a random `u32` to choose a counter's initial value: the first message carries
/// `(rand32 & 0x0FFF_FFFF) + 1`, a value in `[1, 2^28]` (Matter 1.3 §4.6, CHIP style).
const RANDOM_INITIAL_MASK: u32 = 0x0FFF_FFFF;

/// Half of the 32-bit counter space: with rollover, a counter is "ahead" of the maximum when
/// `(counter - max) mod 2^32` lies in `1 .. 2^31` (Matter 1.3 §4.6).
const HALF_COUNTER_SPACE: u32 = 1 << 31;

/// Errors of the message counter module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CounterError {
    /// A secure session counter has handed out `0xFFFF_FFFF`; it never wraps, so the session
    /// must be closed and re-established (Matter 1.3 §4.6).
    #[error("secure session message counter exhausted; the session must be re-established")]
    Exhausted,
    /// An explicit initial value of 0 was given: paseo never sends counter 0 (matter.js treats
    /// counter 0 on a fresh secure session as a duplicate: `protocol/MessageReceptionState.ts`).
    #[error("message counter initial value must not be 0")]
    ZeroInitialValue,
    /// The received counter was already seen, is the current maximum, or lies behind the
    /// window in a mode that drops such counters.
    #[error("message counter {counter} is a duplicate")]
    Duplicate {
        /// The rejected counter.
        counter: u32,
    },
}

/// Which outbound counter a [`MessageCounter`] is; decides what happens at `0xFFFF_FFFF`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterKind {
    /// One per secure unicast (PASE/CASE) session; never rolls over.
    SecureSession,
    /// One per node, shared by all unsecured sessions; rolls over.
    GlobalUnencrypted,
    /// One per node for group data messages and another for group control messages; rolls over.
    /// The caller persists it (for example by saving [`MessageCounter::peek`] and restoring it
    /// with [`MessageCounter::with_initial`]).
    GlobalGroup,
}

impl CounterKind {
    /// Whether the counter continues past `0xFFFF_FFFF` instead of becoming exhausted.
    pub const fn rolls_over(self) -> bool {
        !matches!(self, CounterKind::SecureSession)
    }
}

/// An outbound message counter.
///
/// Each message takes the next value: the counter remembers the last value it handed out and
/// increments before use (Matter 1.3 §4.6), so the first message carries the initial value
/// itself. Counter 0 is never handed out: initial values are at least 1, and a rolling counter
/// goes from `0xFFFF_FFFF` straight to 1 (a receiver with rollover sees an increase of 2, which
/// is still "ahead"). Retransmissions reuse their counter; they must not call
/// [`take_next`](Self::take_next) again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCounter {
    kind: CounterKind,
    /// Value the next message will carry; `None` once a secure session counter is exhausted.
    next: Option<u32>,
    /// Value most recently handed out; `None` before the first message.
    current: Option<u32>,
}

impl MessageCounter {
    /// A counter whose first value is random in `[1, 2^28]`: `(rng.next_u32() & 0x0FFF_FFFF) + 1`.
    pub fn random<R: RngCore + ?Sized>(kind: CounterKind, rng: &mut R) -> Self {
        // The mask leaves at most 2^28 - 1, so adding 1 cannot overflow.
        let first = (rng.next_u32() & RANDOM_INITIAL_MASK) + 1;
        Self {
            kind,
            next: Some(first),
            current: None,
        }
    }

    /// A counter whose first value is `initial` (for deterministic scenarios, e.g. starting near
    /// `2^32 - 1` to exercise exhaustion, or restoring a persisted group counter).
    pub fn with_initial(kind: CounterKind, initial: u32) -> Result<Self, CounterError> {
        if initial == 0 {
            return Err(CounterError::ZeroInitialValue);
        }
        Ok(Self {
            kind,
            next: Some(initial),
            current: None,
        })
    }

    /// The kind this counter was created as.
    pub fn kind(&self) -> CounterKind {
        self.kind
    }

    /// Hands out the counter value for the next message.
    ///
    /// A secure session counter returns [`CounterError::Exhausted`] once `0xFFFF_FFFF` has been
    /// used, and keeps returning it; rolling counters never fail.
    pub fn take_next(&mut self) -> Result<u32, CounterError> {
        let value = self.next.ok_or(CounterError::Exhausted)?;
        self.next = if self.kind.rolls_over() {
            // Wrap modulo 2^32 but skip 0 (see the type documentation).
            Some(value.checked_add(1).unwrap_or(1))
        } else {
            value.checked_add(1)
        };
        self.current = Some(value);
        Ok(value)
    }

    /// The value [`take_next`](Self::take_next) would return, or `None` if exhausted.
    pub fn peek(&self) -> Option<u32> {
        self.next
    }

    /// The value most recently handed out, or `None` before the first message.
    pub fn current(&self) -> Option<u32> {
        self.current
    }

    /// Whether a secure session counter has no values left.
    pub fn is_exhausted(&self) -> bool {
        self.next.is_none()
    }
}

/// How a [`ReceptionState`] treats counters (Matter 1.3 §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceptionMode {
    /// Secure unicast session: no rollover; anything behind the window is a duplicate.
    EncryptedUnicast,
    /// Group session (encrypted): rollover; behind the window is a duplicate.
    Group,
    /// Unsecured session: rollover; behind the window is accepted as new and restarts the
    /// window there (the peer has probably rebooted with a new random counter).
    Unencrypted,
}

impl ReceptionMode {
    const fn rolls_over(self) -> bool {
        !matches!(self, ReceptionMode::EncryptedUnicast)
    }
}

/// The synchronized part of a receive state: the largest counter seen and which of the 32
/// counters below it were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterWindow {
    /// Largest counter accepted so far (modulo 2^32 in rollover modes).
    pub max_counter: u32,
    /// Bit `k` (value `1 << k`) set means counter `max_counter - 1 - k` was already received.
    pub bitmap: u32,
}

/// Outcome of checking a received counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterVerdict {
    /// Not seen before: process the message, then [`commit`](ReceptionState::commit) it.
    New,
    /// Seen before or too old: do not deliver again (still ack it if `R = 1`, Matter 1.3 §4.6).
    Duplicate,
}

/// Where a counter falls relative to the window (the classification of Matter 1.3 §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// No window yet: trust on first use.
    Unsynchronized,
    /// Ahead of the maximum by `increase` (at least 1).
    Future { increase: u32 },
    /// Equal to the maximum.
    Max,
    /// `offset` (1..=32) below the maximum.
    InWindow { offset: u32 },
    /// More than 32 below the maximum (or, with rollover, at least 2^31 behind).
    BehindWindow,
}

/// Receive-side duplicate detection for one peer (Matter 1.3 §4.6).
///
/// Differs from matter.js on trust-first: matter.js starts the bitmap at all ones when it first
/// synchronizes, so counters just below the first one are rejected there; here (as in
/// connectedhomeip `PeerMessageCounter`) the bitmap starts empty and they are accepted
/// (message_counter.json description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceptionState {
    mode: ReceptionMode,
    window: Option<CounterWindow>,
}

impl ReceptionState {
    /// State for a new secure unicast session: synchronized at `max_counter = 0` with an empty
    /// bitmap (Matter 1.3 §4.6, CHIP `SetCounter(kInitialSyncValue)`), so counter 0 is a
    /// duplicate and every counter from 1 up is new.
    pub fn encrypted_unicast() -> Self {
        Self::synchronized(
            ReceptionMode::EncryptedUnicast,
            CounterWindow {
                max_counter: 0,
                bitmap: 0,
            },
        )
    }

    /// An unsynchronized state: the first counter received is trusted and becomes the maximum
    /// with an empty bitmap (group trust-first, unsecured sessions).
    pub fn trust_first(mode: ReceptionMode) -> Self {
        Self { mode, window: None }
    }

    /// A state synchronized to a known window (restored state, tests, MCSP).
    pub fn synchronized(mode: ReceptionMode, window: CounterWindow) -> Self {
        Self {
            mode,
            window: Some(window),
        }
    }

    /// The mode this state applies.
    pub fn mode(&self) -> ReceptionMode {
        self.mode
    }

    /// The current window, or `None` while waiting for a trusted first counter.
    pub fn window(&self) -> Option<CounterWindow> {
        self.window
    }

    /// Largest counter accepted so far, if synchronized.
    pub fn max_counter(&self) -> Option<u32> {
        self.window.map(|w| w.max_counter)
    }

    /// The seen-bitmap below the maximum, if synchronized.
    pub fn bitmap(&self) -> Option<u32> {
        self.window.map(|w| w.bitmap)
    }

    /// Decides whether `counter` is new, without changing the state.
    pub fn check(&self, counter: u32) -> CounterVerdict {
        self.verdict(self.classify(counter))
    }

    /// Records `counter` as received if it is new; returns [`CounterError::Duplicate`] and leaves
    /// the state untouched otherwise. Call it only after the message authenticated.
    pub fn commit(&mut self, counter: u32) -> Result<(), CounterError> {
        let position = self.classify(counter);
        if self.verdict(position) == CounterVerdict::Duplicate {
            return Err(CounterError::Duplicate { counter });
        }
        let restart = CounterWindow {
            max_counter: counter,
            bitmap: 0,
        };
        self.window = Some(match (self.window, position) {
            (Some(w), Position::Future { increase }) => CounterWindow {
                max_counter: counter,
                bitmap: if increase > MSG_COUNTER_WINDOW_SIZE {
                    0
                } else {
                    // increase is in 1..=32: shifting by 32 clears the bitmap (checked_shl
                    // gives None), and the old maximum lands on bit increase - 1 (0..=31).
                    w.bitmap.checked_shl(increase).unwrap_or(0) | (1 << (increase - 1))
                },
            },
            (Some(w), Position::InWindow { offset }) => CounterWindow {
                max_counter: w.max_counter,
                // offset is in 1..=32 (see classify), so the shift is in 0..=31.
                bitmap: w.bitmap | (1 << (offset - 1)),
            },
            // Unsynchronized: trust on first use. BehindWindow is only new in unencrypted mode:
            // restart the window at this counter (Matter 1.3 §4.6).
            _ => restart,
        });
        Ok(())
    }

    fn classify(&self, counter: u32) -> Position {
        let Some(w) = self.window else {
            return Position::Unsynchronized;
        };
        let increase = counter.wrapping_sub(w.max_counter);
        let ahead = if self.mode.rolls_over() {
            (1..HALF_COUNTER_SPACE).contains(&increase)
        } else {
            counter > w.max_counter
        };
        if ahead {
            return Position::Future { increase };
        }
        if counter == w.max_counter {
            return Position::Max;
        }
        // Not ahead and not equal: the counter is behind. Without rollover counter < max, so
        // the subtraction is exact; with rollover it is the distance modulo 2^32.
        let offset = w.max_counter.wrapping_sub(counter);
        if offset <= MSG_COUNTER_WINDOW_SIZE {
            Position::InWindow { offset }
        } else {
            Position::BehindWindow
        }
    }

    fn verdict(&self, position: Position) -> CounterVerdict {
        match position {
            Position::Unsynchronized | Position::Future { .. } => CounterVerdict::New,
            Position::Max => CounterVerdict::Duplicate,
            Position::InWindow { offset } => {
                let seen = self
                    .window
                    .is_some_and(|w| w.bitmap & (1 << (offset - 1)) != 0);
                if seen {
                    CounterVerdict::Duplicate
                } else {
                    CounterVerdict::New
                }
            }
            Position::BehindWindow => match self.mode {
                ReceptionMode::Unencrypted => CounterVerdict::New,
                ReceptionMode::EncryptedUnicast | ReceptionMode::Group => CounterVerdict::Duplicate,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RNG that always yields the same word, to pin the initial-value arithmetic.
    struct FixedRng(u32);

    impl RngCore for FixedRng {
        fn next_u32(&mut self) -> u32 {
            self.0
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.0)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    #[test]
    fn random_initial_value_spans_one_to_two_pow_28() {
        let low = MessageCounter::random(CounterKind::SecureSession, &mut FixedRng(0xF000_0000));
        assert_eq!(low.peek(), Some(1));
        let high = MessageCounter::random(CounterKind::SecureSession, &mut FixedRng(u32::MAX));
        assert_eq!(high.peek(), Some(1 << 28));
    }

    #[test]
    fn first_message_carries_initial_value_then_increments() {
        let mut counter = MessageCounter::with_initial(CounterKind::SecureSession, 7).unwrap();
        assert_eq!(counter.current(), None);
        assert_eq!(counter.take_next(), Ok(7));
        assert_eq!(counter.current(), Some(7));
        assert_eq!(counter.peek(), Some(8));
        assert_eq!(counter.take_next(), Ok(8));
    }

    #[test]
    fn zero_initial_value_is_rejected() {
        for kind in [
            CounterKind::SecureSession,
            CounterKind::GlobalUnencrypted,
            CounterKind::GlobalGroup,
        ] {
            assert_eq!(
                MessageCounter::with_initial(kind, 0),
                Err(CounterError::ZeroInitialValue)
            );
        }
    }

    #[test]
    fn secure_session_counter_exhausts_instead_of_wrapping() {
        let mut counter =
            MessageCounter::with_initial(CounterKind::SecureSession, u32::MAX - 1).unwrap();
        assert_eq!(counter.take_next(), Ok(u32::MAX - 1));
        assert_eq!(counter.take_next(), Ok(u32::MAX));
        assert!(counter.is_exhausted());
        assert_eq!(counter.peek(), None);
        assert_eq!(counter.take_next(), Err(CounterError::Exhausted));
        assert_eq!(counter.take_next(), Err(CounterError::Exhausted));
        assert_eq!(counter.current(), Some(u32::MAX));
    }

    #[test]
    fn rolling_counters_wrap_and_skip_zero() {
        for kind in [CounterKind::GlobalUnencrypted, CounterKind::GlobalGroup] {
            let mut counter = MessageCounter::with_initial(kind, u32::MAX).unwrap();
            assert_eq!(counter.take_next(), Ok(u32::MAX));
            assert_eq!(counter.take_next(), Ok(1));
            assert_eq!(counter.take_next(), Ok(2));
            assert!(!counter.is_exhausted());
        }
    }

    #[test]
    fn fresh_unicast_state_rejects_zero_and_accepts_one() {
        let state = ReceptionState::encrypted_unicast();
        assert_eq!(state.max_counter(), Some(0));
        assert_eq!(state.check(0), CounterVerdict::Duplicate);
        assert_eq!(state.check(1), CounterVerdict::New);
    }

    #[test]
    fn check_does_not_change_state_and_rejected_commit_leaves_it() {
        let mut state = ReceptionState::encrypted_unicast();
        let before = state.clone();
        assert_eq!(state.check(5), CounterVerdict::New);
        assert_eq!(state, before);
        state.commit(5).unwrap();
        let after_five = state.clone();
        assert_eq!(state.commit(5), Err(CounterError::Duplicate { counter: 5 }));
        assert_eq!(state, after_five);
    }

    #[test]
    fn future_counter_exactly_window_size_ahead_keeps_old_max_on_top_bit() {
        let mut state = ReceptionState::synchronized(
            ReceptionMode::EncryptedUnicast,
            CounterWindow {
                max_counter: 100,
                bitmap: u32::MAX,
            },
        );
        state.commit(132).unwrap();
        assert_eq!(state.bitmap(), Some(0x8000_0000));
        state.commit(165).unwrap();
        assert_eq!(state.bitmap(), Some(0));
    }

    #[test]
    fn trust_first_synchronizes_on_first_commit_only() {
        let mut state = ReceptionState::trust_first(ReceptionMode::Group);
        assert_eq!(state.window(), None);
        assert_eq!(state.check(0), CounterVerdict::New);
        state.commit(0x10).unwrap();
        assert_eq!(
            state.window(),
            Some(CounterWindow {
                max_counter: 0x10,
                bitmap: 0
            })
        );
        assert_eq!(state.check(0x10), CounterVerdict::Duplicate);
    }
}
