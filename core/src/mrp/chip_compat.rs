//! connectedhomeip's fixed-point MRP backoff (`ReliableMessageMgr::GetBackoff`), for predicting
//! the timing of a CHIP peer and for cross-implementation tolerances (Matter 1.3 §4.12.2.1,
//! connectedhomeip `src/messaging/ReliableMessageMgr.cpp`). paseo's own timers use
//! [`super::backoff`]; this is a comparison model only.
//!
//! CHIP truncates at each step: `base × 1127 / 1024`, then `× 16^e / 10^e` with
//! `e = min(max(0, n − 1), 4)`, then `× (1024 + r) / 1024` with `r` a random byte, so its
//! largest jitter factor is 1279/1024 rather than 1.25. The ICD fast-polling term and the
//! configurable sender boost are taken as 0 (as in mrp_backoff.json).

use super::params::MRP_MAX_TRANSMISSIONS;

const MARGIN_NUMER: u64 = 1127;
const MARGIN_DENOM: u64 = 1024;
const BASE_NUMER: u64 = 16;
const BASE_DENOM: u64 = 10;
const MAX_EXPONENT: u8 = 4;
const JITTER_DENOM: u64 = 1024;

/// CHIP's wait in whole ms after transmission `n` for a base interval of `base_ms` and a
/// jitter byte `r` (255 is CHIP's "compute max possible" value).
pub fn chip_sdk_backoff_ms(base_ms: u32, n: u8, r: u8) -> u64 {
    let exponent = u32::from(n.saturating_sub(1).min(MAX_EXPONENT));
    let with_margin = u64::from(base_ms) * MARGIN_NUMER / MARGIN_DENOM;
    // No overflow: with_margin < 2^33, 16^4 = 2^16, jitter factor < 2^11.
    let grown = with_margin * BASE_NUMER.pow(exponent) / BASE_DENOM.pow(exponent);
    grown * (JITTER_DENOM + u64::from(r)) / JITTER_DENOM
}

/// Sum of CHIP's waits over all MRP_MAX_TRANSMISSIONS transmissions with the same jitter byte.
pub fn chip_sdk_total_ms(base_ms: u32, r: u8) -> u64 {
    (0u8..)
        .take(MRP_MAX_TRANSMISSIONS)
        .map(|n| chip_sdk_backoff_ms(base_ms, n, r))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mrp::backoff::BackoffSchedule;
    use core::time::Duration;

    /// CHIP's margin 1127/1024 is slightly above 1.1 (larger bases come out longer), its
    /// truncations and 1279/1024 jitter cap shorter; either way it stays within the ±1 %
    /// tolerance of connectedhomeip `src/messaging/ReliableMessageMgr.cpp`.
    #[test]
    fn chip_is_within_one_percent_of_the_exact_formula() {
        for base in [300u32, 500, 1000, 3_600_000] {
            let exact_min = BackoffSchedule::minimum(Duration::from_millis(base.into())).unwrap();
            let exact_max = BackoffSchedule::maximum(Duration::from_millis(base.into())).unwrap();
            for n in 0..MRP_MAX_TRANSMISSIONS {
                let lo = exact_min.waits()[n].floor_millis();
                let hi = exact_max.waits()[n].floor_millis();
                let n = u8::try_from(n).unwrap();
                let chip_lo = chip_sdk_backoff_ms(base, n, 0);
                let chip_hi = chip_sdk_backoff_ms(base, n, u8::MAX);
                assert!(
                    chip_lo.abs_diff(lo) <= lo / 100 + 1,
                    "{base} {n}: {chip_lo} vs {lo}"
                );
                assert!(
                    chip_hi.abs_diff(hi) <= hi / 100 + 1,
                    "{base} {n}: {chip_hi} vs {hi}"
                );
            }
        }
    }

    #[test]
    fn exponent_is_capped_at_four() {
        assert_eq!(
            chip_sdk_backoff_ms(300, 5, 0),
            chip_sdk_backoff_ms(300, 200, 0)
        );
        assert!(chip_sdk_backoff_ms(300, 5, 0) > chip_sdk_backoff_ms(300, 4, 0));
    }
}
