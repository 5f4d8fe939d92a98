//! One controller and 100 devices on pairing-free sessions, each exchanging a few messages.
//! Prints the wall time (the number goes in reports; it is not asserted, CI machines vary).

mod common;

use std::time::Duration;

use paseo_sim::{Action, NodeSpec, Outcome};

const DEVICES: usize = 100;

#[test]
fn a_controller_with_one_hundred_devices() {
    // REAL TIME: wall-clock measurement of the run, printed only.
    let started = std::time::Instant::now();
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
    let wall = started.elapsed();

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
        "scale: 1 controller + {DEVICES} devices, {} virtual ms, {} turmoil steps, {} trace records, wall {:?} ({:?}/step)",
        report.ended_at,
        report.steps,
        report.trace.records.len(),
        wall,
        wall / u32::try_from(report.steps.max(1)).unwrap_or(u32::MAX),
    );
}
