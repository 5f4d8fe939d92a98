//! Every case of mrp_backoff.json: single waits t(n) (exact rational, its float, its floor, the
//! matter.js floor) and the totals over 5 transmissions (exact min/max, matter.js max, and the
//! connectedhomeip fixed-point min/max), Matter 1.3 §4.12.2.1.

mod common;

use std::time::Duration;

use paseo_core::mrp::chip_compat::{chip_sdk_backoff_ms, chip_sdk_total_ms};
use paseo_core::mrp::params::MRP_MAX_TRANSMISSIONS;
use paseo_core::mrp::{BackoffSchedule, ExactMillis, JitterFraction, retransmission_timeout};
use serde_json::Value;

fn u64_field(case: &Value, field: &str) -> u64 {
    case[field]
        .as_u64()
        .unwrap_or_else(|| panic!("field {field} missing or not an integer in {case}"))
}

fn f64_field(case: &Value, field: &str) -> f64 {
    case[field]
        .as_f64()
        .unwrap_or_else(|| panic!("field {field} missing or not a number in {case}"))
}

fn str_field<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing or not a string in {case}"))
}

fn base_of(case: &Value) -> (u32, Duration) {
    let ms = u64_field(case, "base_interval_ms");
    let ms32 = u32::try_from(ms).unwrap_or_else(|_| panic!("base {ms} exceeds u32"));
    (ms32, Duration::from_millis(ms))
}

/// The vector's jitter in [0, 1] as an exact k / 2^32 fraction (1 is the max-jitter mode).
fn jitter_of(case: &Value) -> JitterFraction {
    let j = f64_field(case, "jitter");
    if j == 1.0 {
        return JitterFraction::MAX;
    }
    let scaled = j * JitterFraction::DENOMINATOR as f64;
    assert!(
        (0.0..JitterFraction::DENOMINATOR as f64).contains(&scaled) && scaled.fract() == 0.0,
        "jitter {j} is not k / 2^32"
    );
    JitterFraction::from_u32(scaled as u32)
}

/// The exact value as a float, correctly rounded like the vector's `backoff_ms`.
fn as_f64(t: ExactMillis) -> f64 {
    let (numer, denom) = t.ratio();
    numer as f64 / denom as f64
}

fn check_single(at: &str, case: &Value) {
    let (base_ms, base) = base_of(case);
    let n = u8::try_from(u64_field(case, "n")).unwrap_or_else(|_| panic!("{at}: n too large"));
    let jitter = jitter_of(case);
    let t = retransmission_timeout(base, n, jitter)
        .unwrap_or_else(|e| panic!("{at}: unexpected error {e}"));

    assert_eq!(
        t.to_string(),
        str_field(case, "backoff_ms_exact"),
        "{at}: exact"
    );
    assert_eq!(as_f64(t), f64_field(case, "backoff_ms"), "{at}: float");
    assert_eq!(
        t.floor_millis(),
        u64_field(case, "backoff_ms_floor"),
        "{at}: floor"
    );
    assert_eq!(
        t.floor_millis(),
        u64_field(case, "matterjs_ms"),
        "{at}: matter.js"
    );
    assert_eq!(
        t.to_duration_whole_millis(),
        Duration::from_millis(u64_field(case, "matterjs_ms")),
        "{at}: matter.js duration"
    );

    // The same wait through the schedule helper.
    let schedule = BackoffSchedule::uniform(base, jitter).unwrap();
    assert_eq!(schedule.waits()[usize::from(n)], t, "{at}: schedule");

    // The vector gives the CHIP value only for r = 0 / r = 255 (jitter 0 / 1), null otherwise.
    if !case["chip_sdk_ms_fixed_point"].is_null() {
        let r = match jitter {
            JitterFraction::ZERO => 0,
            JitterFraction::MAX => u8::MAX,
            other => panic!("{at}: CHIP value given for jitter {other:?}"),
        };
        assert_eq!(
            chip_sdk_backoff_ms(base_ms, n, r),
            u64_field(case, "chip_sdk_ms_fixed_point"),
            "{at}: CHIP"
        );
    }
}

fn check_total(at: &str, case: &Value) {
    let (base_ms, base) = base_of(case);
    assert_eq!(
        u64_field(case, "transmissions"),
        MRP_MAX_TRANSMISSIONS as u64,
        "{at}: transmissions"
    );
    let min = BackoffSchedule::minimum(base).unwrap();
    let max = BackoffSchedule::maximum(base).unwrap();

    assert_eq!(
        min.total().to_string(),
        str_field(case, "min_total_ms_exact"),
        "{at}"
    );
    assert_eq!(
        max.total().to_string(),
        str_field(case, "max_total_ms_exact"),
        "{at}"
    );
    assert_eq!(as_f64(min.total()), f64_field(case, "min_total_ms"), "{at}");
    assert_eq!(as_f64(max.total()), f64_field(case, "max_total_ms"), "{at}");
    assert_eq!(
        max.whole_millis_total(),
        u64_field(case, "matterjs_max_total_ms"),
        "{at}: matter.js max total"
    );
    assert_eq!(
        chip_sdk_total_ms(base_ms, 0),
        u64_field(case, "chip_sdk_min_total_ms"),
        "{at}: CHIP min total"
    );
    assert_eq!(
        chip_sdk_total_ms(base_ms, u8::MAX),
        u64_field(case, "chip_sdk_max_total_ms"),
        "{at}: CHIP max total"
    );
}

#[test]
fn every_mrp_backoff_case_matches() {
    let cases = common::cases("mrp_backoff.json");
    let (mut singles, mut totals) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        let at = format!("case {i} ({})", case["description"].as_str().unwrap_or("?"));
        match str_field(case, "kind") {
            "single" => {
                check_single(&at, case);
                singles += 1;
            }
            "total" => {
                check_total(&at, case);
                totals += 1;
            }
            other => panic!("{at}: unknown kind {other}"),
        }
    }
    assert!(
        singles > 0 && totals > 0,
        "{singles} singles, {totals} totals"
    );
}
