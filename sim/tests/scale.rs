//! Scale: one controller and 100 devices on pairing-free sessions, each exchanging a few
//! messages, and the commissioning fleet of the scale curve at 200 devices. Functional only:
//! wall time is measured by `cargo run --release -p paseo-sim --example scale_curve`
//! (docs/PERFORMANCE.md), never by a test.

mod common;

use std::time::Duration;

use paseo_core::session::SessionKind;
use paseo_sim::{Action, NodeSpec, Outcome, seed};

const DEVICES: usize = 100;

#[test]
fn a_controller_with_one_hundred_devices() {
    let mut sim = common::simulation(60, "a_controller_with_one_hundred_devices");
    sim.add_node("ctrl", common::controller(1, DEVICES + 8))
        .unwrap();
    for i in 0..DEVICES {
        sim.add_node(&format!("dev{i:03}"), NodeSpec::new(100 + i as u64))
            .unwrap();
    }
    let ms = Duration::from_millis;
    for i in 0..DEVICES {
        let dev = format!("dev{i:03}");
        sim.at(ms(0), Action::install("ctrl", &dev));
        sim.at(
            ms(5 + (i as u64 % 10)),
            Action::exchange("ctrl", &dev, 3, true),
        );
        sim.at(
            ms(5 + (i as u64 % 7)),
            Action::exchange(&dev, "ctrl", 2, true),
        );
    }
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(30)));

    let exchanged = report
        .outcomes()
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Exchanged { .. }))
        .count();
    // 200 exchanges plus 200 liveness probes.
    assert_eq!(exchanged, 4 * DEVICES);
    assert_eq!(report.messages, (7 * DEVICES, 7 * DEVICES));
    assert_eq!(
        sim.node_view("ctrl", |n| n.sessions().sessions().count()),
        Some(DEVICES)
    );
    eprintln!(
        "scale: 1 controller + {DEVICES} devices, {} virtual ms, {} turmoil steps, {} trace records",
        report.ended_at,
        report.steps,
        report.trace.records.len(),
    );
}

/// The fleet scenario the scale curve measures (`sim/examples/scale_curve.rs`), at a size a
/// debug test run affords: every device commissioned (PASE, fabric, CASE, PASE closed) and
/// exchanging over CASE. Not timed: the curve's numbers come from the release example.
#[test]
fn two_hundred_devices_are_commissioned_and_exchange_over_case() {
    const FLEET: usize = 200;
    let mut sim = paseo_sim::scale::fleet(seed::seed_from_env(5), FLEET).unwrap();
    let report = common::run_ok(&mut sim, paseo_sim::scale::options());
    let outcomes = report.outcomes();
    assert!(
        outcomes.iter().all(|(_, o)| o.is_ok()),
        "{:?}",
        outcomes.iter().find(|(_, o)| !o.is_ok())
    );
    // Two exchanges per device (to it and from it), each of its own action.
    let exchanges = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Exchanged { .. }))
        .count();
    assert_eq!(exchanges, 2 * FLEET);
    let per_device = paseo_sim::scale::MESSAGES_TO_DEVICE + paseo_sim::scale::MESSAGES_FROM_DEVICE;
    let sent = FLEET * per_device as usize;
    assert_eq!(report.messages, (sent, sent));
    let case_sessions = |name: &str| {
        sim.node_view(name, |n| {
            n.sessions()
                .sessions()
                .filter(|s| s.kind() == SessionKind::Case)
                .count()
        })
    };
    assert_eq!(case_sessions(paseo_sim::scale::COMMISSIONER), Some(FLEET));
    for i in [0, FLEET / 2, FLEET - 1] {
        let dev = paseo_sim::scale::device_name(i);
        assert_eq!(case_sessions(&dev), Some(1), "{dev}");
        assert_eq!(
            sim.node_view(&dev, |n| n.sessions().sessions().count()),
            Some(1),
            "{dev}: the PASE session was closed"
        );
    }
}
