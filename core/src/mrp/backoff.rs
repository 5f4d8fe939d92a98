//! Retransmission timeout t(n) in exact arithmetic (Matter 1.3 §4.12.2.1).
//!
//! `t(n) = base × 1.1 × 1.6^max(0, n − 1) × (1 + jitter × 0.25)`, with `jitter` in `[0, 1)` drawn
//! from the caller's RNG, or exactly 1 in "max jitter" mode.
//!
//! Representation: a jitter fraction is `k / 2^32` (`k` from a `u32` draw, or `k = 2^32` for
//! max jitter), and every timeout is an integer count of `1 / ExactMillis::UNITS_PER_MILLI` ms.
//! That unit is chosen so the formula is always an integer in it for any whole-nanosecond base,
//! any `n < MRP_MAX_TRANSMISSIONS` and any jitter fraction: nothing is rounded until a caller
//! asks for a rounded form, sums are exact, and results equal the exact rationals of
//! mrp_backoff.json. Rounded forms: [`ExactMillis::floor_millis`] (whole ms, floor — what
//! matter.js does) and [`ExactMillis::to_duration`] (floor to the nanosecond).

use core::fmt;
use core::time::Duration;

use rand_core::RngCore;

use super::MrpError;
use super::params::{
    MRP_BACKOFF_BASE, MRP_BACKOFF_JITTER, MRP_BACKOFF_MARGIN, MRP_BACKOFF_THRESHOLD,
    MRP_MAX_TRANSMISSIONS, check_interval,
};

/// Largest backoff exponent: the last transmission is `n = MRP_MAX_TRANSMISSIONS − 1`.
const MAX_EXPONENT: u32 = MRP_MAX_TRANSMISSIONS as u32 - 1 - MRP_BACKOFF_THRESHOLD as u32;

const NANOS_PER_MILLI: u128 = 1_000_000;
const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// A jitter fraction `k / 2^32` in `[0, 1]`: the random part of the backoff factor
/// `1 + fraction × MRP_BACKOFF_JITTER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct JitterFraction {
    /// `k`, at most `2^32`.
    numer: u64,
}

impl JitterFraction {
    /// Denominator of every jitter fraction.
    pub const DENOMINATOR: u64 = 1 << 32;
    /// No jitter: the shortest possible wait.
    pub const ZERO: Self = Self { numer: 0 };
    /// "Max jitter" mode: fraction exactly 1, backoff factor exactly 1.25, for worst-case
    /// timing (matter.js `calculateMaximum`). Never produced by [`draw`](Self::draw).
    pub const MAX: Self = Self {
        numer: Self::DENOMINATOR,
    };

    /// The fraction `k / 2^32`, in `[0, 1)`.
    pub const fn from_u32(k: u32) -> Self {
        Self { numer: k as u64 }
    }

    /// Draws a fraction in `[0, 1)` from one `next_u32` of the caller's seeded RNG.
    pub fn draw<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        Self::from_u32(rng.next_u32())
    }

    /// The numerator `k` over [`DENOMINATOR`](Self::DENOMINATOR).
    pub const fn numerator(self) -> u64 {
        self.numer
    }
}

/// An exact duration in milliseconds, stored as an integer count of
/// `1 / UNITS_PER_MILLI` ms (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ExactMillis {
    units: u128,
}

impl ExactMillis {
    /// Units per millisecond: the product of every denominator in the formula (ns per ms,
    /// margin, base^MAX_EXPONENT, jitter constant, jitter fraction).
    pub const UNITS_PER_MILLI: u128 = NANOS_PER_MILLI
        * MRP_BACKOFF_MARGIN.denom as u128
        * (MRP_BACKOFF_BASE.denom as u128).pow(MAX_EXPONENT)
        * MRP_BACKOFF_JITTER.denom as u128
        * JitterFraction::DENOMINATOR as u128;

    /// Units per nanosecond (`UNITS_PER_MILLI` is a multiple of a million).
    const UNITS_PER_NANO: u128 = Self::UNITS_PER_MILLI / NANOS_PER_MILLI;

    /// Zero milliseconds.
    pub const ZERO: Self = Self { units: 0 };

    /// The value from its raw unit count.
    pub const fn from_units(units: u128) -> Self {
        Self { units }
    }

    /// The raw unit count.
    pub const fn units(self) -> u128 {
        self.units
    }

    /// Exact sum, `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.units.checked_add(other.units).map(Self::from_units)
    }

    /// The value as a reduced fraction `(numerator, denominator)` of milliseconds.
    pub fn ratio(self) -> (u128, u128) {
        let g = gcd(self.units, Self::UNITS_PER_MILLI);
        // g divides UNITS_PER_MILLI, which is non-zero, so g ≥ 1.
        (self.units / g, Self::UNITS_PER_MILLI / g)
    }

    /// Whole milliseconds, rounded down: matter.js's `Math.floor` of the formula.
    pub fn floor_millis(self) -> u64 {
        // u128::MAX / UNITS_PER_MILLI < 2^64, so this always fits.
        u64::try_from(self.units / Self::UNITS_PER_MILLI).unwrap_or(u64::MAX)
    }

    /// As a [`Duration`], rounded down to the nanosecond (exact whenever the value is a whole
    /// number of nanoseconds, e.g. whole-ms bases with jitter 0, 1/2 or 1).
    pub fn to_duration(self) -> Duration {
        let nanos = self.units / Self::UNITS_PER_NANO;
        let secs = u64::try_from(nanos / NANOS_PER_SECOND).unwrap_or(u64::MAX);
        // The remainder is below 10^9, so it fits in u32.
        let subsec = u32::try_from(nanos % NANOS_PER_SECOND).unwrap_or(0);
        Duration::new(secs, subsec)
    }

    /// As a [`Duration`] of whole milliseconds, rounded down (matter.js timer value).
    pub fn to_duration_whole_millis(self) -> Duration {
        Duration::from_millis(self.floor_millis())
    }
}

/// Shown as the reduced fraction of milliseconds, `"330"` or `"1485/4"` (the notation of
/// mrp_backoff.json).
impl fmt::Display for ExactMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ratio() {
            (numer, 1) => write!(f, "{numer}"),
            (numer, denom) => write!(f, "{numer}/{denom}"),
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The wait after transmission `n` (0 = initial send) before the next transmission, for a
/// base interval `base` (peer's SAI if active, else SII) and the caller's jitter fraction.
///
/// Errors: `n` ≥ MRP_MAX_TRANSMISSIONS, or `base` above one hour.
pub fn retransmission_timeout(
    base: Duration,
    n: u8,
    jitter: JitterFraction,
) -> Result<ExactMillis, MrpError> {
    if usize::from(n) >= MRP_MAX_TRANSMISSIONS {
        return Err(MrpError::TransmissionOutOfRange {
            n,
            max: MRP_MAX_TRANSMISSIONS,
        });
    }
    check_interval("base interval", base)?;
    Ok(wait(base, n, jitter))
}

/// `t(n)` for a checked `base` (≤ 1 h) and `n < MRP_MAX_TRANSMISSIONS`.
fn wait(base: Duration, n: u8, jitter: JitterFraction) -> ExactMillis {
    let exponent = u32::from(n.saturating_sub(MRP_BACKOFF_THRESHOLD)).min(MAX_EXPONENT);
    let margin = MRP_BACKOFF_MARGIN.numer as u128;
    // 1.6^e over the common denominator 5^MAX_EXPONENT: 8^e × 5^(MAX_EXPONENT − e).
    let growth = (MRP_BACKOFF_BASE.numer as u128).pow(exponent)
        * (MRP_BACKOFF_BASE.denom as u128).pow(MAX_EXPONENT - exponent);
    // (1 + k/2^32 × 1/4) over the denominator 4 × 2^32: 4 × 2^32 + k.
    let jitter_factor = MRP_BACKOFF_JITTER.denom as u128 * JitterFraction::DENOMINATOR as u128
        + MRP_BACKOFF_JITTER.numer as u128 * jitter.numerator() as u128;
    // No overflow: base ≤ 3.6e12 ns, margin 11, growth ≤ 8^3 = 512, jitter_factor ≤ 5 × 2^32
    // < 2.2e10, so the product is < 4.5e26, far below u128::MAX ≈ 3.4e38.
    ExactMillis::from_units(base.as_nanos() * margin * growth * jitter_factor)
}

/// The waits after each of the MRP_MAX_TRANSMISSIONS transmissions of one reliable message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffSchedule {
    waits: [ExactMillis; MRP_MAX_TRANSMISSIONS],
}

impl BackoffSchedule {
    /// The schedule for base interval `base`, with `jitters[n]` used for the wait after
    /// transmission `n`. Fails if `base` is above one hour.
    pub fn new(
        base: Duration,
        jitters: [JitterFraction; MRP_MAX_TRANSMISSIONS],
    ) -> Result<Self, MrpError> {
        check_interval("base interval", base)?;
        let mut waits = [ExactMillis::ZERO; MRP_MAX_TRANSMISSIONS];
        for ((n, slot), jitter) in (0u8..).zip(waits.iter_mut()).zip(jitters) {
            *slot = wait(base, n, jitter);
        }
        Ok(Self { waits })
    }

    /// The same jitter fraction for every wait.
    pub fn uniform(base: Duration, jitter: JitterFraction) -> Result<Self, MrpError> {
        Self::new(base, [jitter; MRP_MAX_TRANSMISSIONS])
    }

    /// The shortest schedule (jitter 0).
    pub fn minimum(base: Duration) -> Result<Self, MrpError> {
        Self::uniform(base, JitterFraction::ZERO)
    }

    /// The longest schedule (max jitter, factor 1.25 on every wait).
    pub fn maximum(base: Duration) -> Result<Self, MrpError> {
        Self::uniform(base, JitterFraction::MAX)
    }

    /// A schedule whose jitter fractions are drawn from `rng` in order n = 0, 1, … (one
    /// `next_u32` each). Nothing is drawn if `base` is rejected.
    pub fn draw<R: RngCore + ?Sized>(base: Duration, rng: &mut R) -> Result<Self, MrpError> {
        check_interval("base interval", base)?;
        let jitters = core::array::from_fn(|_| JitterFraction::draw(rng));
        Self::new(base, jitters)
    }

    /// The wait after each transmission, index = n.
    pub fn waits(&self) -> &[ExactMillis; MRP_MAX_TRANSMISSIONS] {
        &self.waits
    }

    /// Time from the initial send until each wait expires; the last entry is when the message
    /// is reported as failed.
    pub fn deadlines(&self) -> [ExactMillis; MRP_MAX_TRANSMISSIONS] {
        let mut elapsed = ExactMillis::ZERO;
        self.waits.map(|w| {
            // Each wait is < 4.5e26 units (see `wait`), so five of them cannot overflow.
            elapsed = ExactMillis::from_units(elapsed.units + w.units);
            elapsed
        })
    }

    /// Total time from the initial send until failure (sum of all waits).
    pub fn total(&self) -> ExactMillis {
        let [.., last] = self.deadlines();
        last
    }

    /// Each wait floored to whole milliseconds, as matter.js arms its timers.
    pub fn whole_millis_waits(&self) -> [u64; MRP_MAX_TRANSMISSIONS] {
        self.waits.map(ExactMillis::floor_millis)
    }

    /// Sum of the floored waits: the matter.js total (e.g. 4229 ms for 300 ms at max jitter).
    pub fn whole_millis_total(&self) -> u64 {
        // Each floored wait is < 2^64 / 5 (it is < 4.5e26 / UNITS_PER_MILLI ≈ 2.1e7), so the
        // sum cannot overflow.
        self.whole_millis_waits().iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const ACTIVE: Duration = Duration::from_millis(300);
    const IDLE: Duration = Duration::from_millis(500);

    fn ms(numer: u128, denom: u128) -> ExactMillis {
        ExactMillis::from_units(numer * ExactMillis::UNITS_PER_MILLI / denom)
    }

    /// The min/max times the Matter 1.3 §4.12.2.1 formula gives for an active peer (base 300 ms).
    #[test]
    fn active_peer_window_matches_spec_table() {
        let table = [
            (ms(330, 1), ms(825, 2)),
            (ms(330, 1), ms(825, 2)),
            (ms(528, 1), ms(660, 1)),
            (ms(4224, 5), ms(1056, 1)),
            (ms(33792, 25), ms(8448, 5)),
        ];
        let min = BackoffSchedule::minimum(ACTIVE).unwrap();
        let max = BackoffSchedule::maximum(ACTIVE).unwrap();
        for (n, (lo, hi)) in table.into_iter().enumerate() {
            assert_eq!(min.waits()[n], lo, "min n={n}");
            assert_eq!(max.waits()[n], hi, "max n={n}");
        }
    }

    /// With an idle peer (base 500 ms) every time is 5/3 of the active one (Matter 1.3 §4.12.2.1),
    /// exactly, for any jitter.
    #[test]
    fn idle_schedule_is_five_thirds_of_active() {
        for jitter in [
            JitterFraction::ZERO,
            JitterFraction::from_u32(12345),
            JitterFraction::MAX,
        ] {
            let active = BackoffSchedule::uniform(ACTIVE, jitter).unwrap();
            let idle = BackoffSchedule::uniform(IDLE, jitter).unwrap();
            for (a, i) in active.waits().iter().zip(idle.waits()) {
                assert_eq!(a.units() * 5, i.units() * 3);
            }
        }
    }

    #[test]
    fn cumulative_schedules_for_default_intervals() {
        for base in [ACTIVE, IDLE] {
            let none = BackoffSchedule::minimum(base).unwrap();
            let half = BackoffSchedule::uniform(base, JitterFraction::from_u32(1 << 31)).unwrap();
            let max = BackoffSchedule::maximum(base).unwrap();
            for (label, s) in [("jitter 0", none), ("jitter 1/2", half), ("jitter 1", max)] {
                let waits: Vec<String> = s.waits().iter().map(|w| w.to_string()).collect();
                let deadlines: Vec<String> = s.deadlines().iter().map(|d| d.to_string()).collect();
                println!(
                    "base {} ms {label}: waits {waits:?} deadlines {deadlines:?} total {} \
                     ({} ms floored per wait)",
                    base.as_millis(),
                    s.total(),
                    s.whole_millis_total()
                );
                // Deadlines are the running sums of the waits.
                let mut running = ExactMillis::ZERO;
                for (w, d) in s.waits().iter().zip(s.deadlines()) {
                    running = running.checked_add(*w).unwrap();
                    assert_eq!(running, d);
                }
                assert_eq!(s.total(), running);
            }
            assert!(none.total() < half.total() && half.total() < max.total());
            // Max jitter is exactly 1.25 × no jitter.
            assert_eq!(none.total().units() * 5, max.total().units() * 4);
        }
    }

    #[test]
    fn transmission_beyond_the_last_is_rejected() {
        assert_eq!(
            retransmission_timeout(ACTIVE, 5, JitterFraction::ZERO),
            Err(MrpError::TransmissionOutOfRange { n: 5, max: 5 })
        );
        assert!(retransmission_timeout(ACTIVE, 4, JitterFraction::ZERO).is_ok());
    }

    #[test]
    fn base_above_one_hour_is_rejected() {
        let too_long = Duration::from_millis(3_600_001);
        assert!(retransmission_timeout(too_long, 0, JitterFraction::ZERO).is_err());
        assert!(BackoffSchedule::maximum(too_long).is_err());
        // The largest base at max jitter still computes (no overflow).
        let hour = BackoffSchedule::maximum(Duration::from_secs(3600)).unwrap();
        assert_eq!(
            hour.total(),
            BackoffSchedule::maximum(ACTIVE)
                .unwrap()
                .total()
                .scale(12_000)
        );
    }

    impl ExactMillis {
        fn scale(self, k: u128) -> Self {
            Self::from_units(self.units() * k)
        }
    }

    #[test]
    fn rounding_forms() {
        let t = ms(33792, 25); // 1351.68 ms
        assert_eq!(t.floor_millis(), 1351);
        assert_eq!(t.to_duration(), Duration::from_micros(1_351_680));
        assert_eq!(t.to_duration_whole_millis(), Duration::from_millis(1351));
        assert_eq!(t.to_string(), "33792/25");
        assert_eq!(ms(660, 1).to_string(), "660");
        // A jitter of 1/2^32 is not a whole number of nanoseconds: floor to the nanosecond.
        let tiny = retransmission_timeout(ACTIVE, 0, JitterFraction::from_u32(1)).unwrap();
        assert!(tiny > ms(330, 1));
        assert_eq!(tiny.to_duration(), Duration::from_millis(330));
    }

    #[test]
    fn drawn_jitter_is_deterministic_and_below_max() {
        let a = BackoffSchedule::draw(ACTIVE, &mut ChaCha20Rng::seed_from_u64(7)).unwrap();
        let b = BackoffSchedule::draw(ACTIVE, &mut ChaCha20Rng::seed_from_u64(7)).unwrap();
        assert_eq!(a, b);
        let min = BackoffSchedule::minimum(ACTIVE).unwrap();
        let max = BackoffSchedule::maximum(ACTIVE).unwrap();
        for n in 0..MRP_MAX_TRANSMISSIONS {
            assert!(min.waits()[n] <= a.waits()[n] && a.waits()[n] < max.waits()[n]);
        }
        assert!(JitterFraction::from_u32(u32::MAX) < JitterFraction::MAX);
    }
}
