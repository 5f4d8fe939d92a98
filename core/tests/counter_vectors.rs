//! Replays every scenario of message_counter.json (receive-side duplicate detection,
//! Matter 1.3 §4.6) and asserts the decision, max counter and bitmap after each step.

mod common;

use paseo_core::session::counter::{
    CounterError, CounterVerdict, CounterWindow, ReceptionMode, ReceptionState,
};
use serde_json::Value;

fn mode_of(case: &Value) -> ReceptionMode {
    match case["mode"].as_str() {
        Some("encrypted_unicast") => ReceptionMode::EncryptedUnicast,
        Some("group") => ReceptionMode::Group,
        Some("unencrypted") => ReceptionMode::Unencrypted,
        other => panic!("unknown mode {other:?} in {case}"),
    }
}

fn u32_field(value: &Value, field: &str) -> u32 {
    let n = value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("field {field} missing or not an integer in {value}"));
    u32::try_from(n).unwrap_or_else(|_| panic!("field {field} exceeds u32 in {value}"))
}

/// Bitmaps are 8 hex digits, most significant first.
fn bitmap_field(value: &Value, field: &str) -> u32 {
    let s = value[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing or not a string in {value}"));
    assert_eq!(s.len(), 8, "bitmap {s} is not 8 hex digits");
    u32::from_str_radix(s, 16).unwrap_or_else(|e| panic!("bitmap {s} is not hex: {e}"))
}

fn initial_state(case: &Value) -> ReceptionState {
    let mode = mode_of(case);
    let initial = &case["initial"];
    if initial.is_null() {
        return ReceptionState::trust_first(mode);
    }
    ReceptionState::synchronized(
        mode,
        CounterWindow {
            max_counter: u32_field(initial, "max_message_counter"),
            bitmap: bitmap_field(initial, "bitmap"),
        },
    )
}

#[test]
fn every_message_counter_scenario_matches_step_by_step() {
    let cases = common::cases("message_counter.json");
    let mut steps_checked = 0;
    for (ci, case) in cases.iter().enumerate() {
        let name = case["description"].as_str().unwrap_or("?");
        let mut state = initial_state(case);
        let steps = case["steps"]
            .as_array()
            .unwrap_or_else(|| panic!("case {ci} has no steps"));
        assert!(!steps.is_empty(), "case {ci} has no steps");
        for (si, step) in steps.iter().enumerate() {
            let at = format!("case {ci} ({name}) step {si}");
            let counter = u32_field(step, "counter");
            let expected = match step["decision"].as_str() {
                Some("accept") => CounterVerdict::New,
                Some("duplicate") => CounterVerdict::Duplicate,
                other => panic!("{at}: unknown decision {other:?}"),
            };

            let before = state.clone();
            assert_eq!(state.check(counter), expected, "{at}: check({counter})");
            assert_eq!(state, before, "{at}: check changed the state");

            let committed = state.commit(counter);
            match expected {
                CounterVerdict::New => assert_eq!(committed, Ok(()), "{at}: commit"),
                CounterVerdict::Duplicate => {
                    assert_eq!(committed, Err(CounterError::Duplicate { counter }), "{at}");
                    assert_eq!(state, before, "{at}: rejected commit changed the state");
                }
            }

            assert_eq!(
                state.max_counter(),
                Some(u32_field(step, "max_after")),
                "{at}: max counter"
            );
            assert_eq!(
                state.bitmap(),
                Some(bitmap_field(step, "bitmap_after")),
                "{at}: bitmap (got {:08x?})",
                state.bitmap()
            );
            steps_checked += 1;
        }
    }
    assert!(steps_checked > 0);
}

/// Every mode named by the description appears, so a silently skipped mode would fail here.
#[test]
fn vectors_cover_all_modes_and_trust_first() {
    let cases = common::cases("message_counter.json");
    for mode in [
        ReceptionMode::EncryptedUnicast,
        ReceptionMode::Group,
        ReceptionMode::Unencrypted,
    ] {
        assert!(cases.iter().any(|c| mode_of(c) == mode), "{mode:?} missing");
    }
    assert!(cases.iter().any(|c| c["initial"].is_null()));
}
