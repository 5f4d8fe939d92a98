//! The scale scenario: one commissioner and `devices` devices, every device commissioned (PASE,
//! joins the fabric, CASE, PASE closed) and then exchanging reliable messages with the
//! commissioner over its CASE session — all devices at once, so the virtual duration does not
//! grow with the fleet and wall time per node shows what the simulator costs per node.
//!
//! Built here so that the functional test (`sim/tests/scale.rs`), the curve example
//! (`sim/examples/scale_curve.rs`) and the docs run the very same scenario.

use std::time::Duration;

use crate::sim::{Action, RunOptions, SimConfig, SimError, Simulation};
use crate::world::{Commissioning, NodeSpec};

/// The commissioner's name.
pub const COMMISSIONER: &str = "ctrl";
/// The fabric every node ends up on.
pub const FABRIC: u8 = 1;
/// Reliable messages the commissioner sends each device over CASE.
pub const MESSAGES_TO_DEVICE: u32 = 2;
/// Reliable messages each device sends the commissioner over CASE.
pub const MESSAGES_FROM_DEVICE: u32 = 1;

/// Device `i`'s name (`dev0000`, …).
pub fn device_name(i: usize) -> String {
    format!("dev{i:04}")
}

/// A simulation of the fleet, nothing run yet. Device `i` starts commissioning at
/// `i mod 10` ms, so ten start in each of the first ten milliseconds whatever the fleet size.
pub fn fleet(seed: u64, devices: usize) -> Result<Simulation, SimError> {
    let mut sim = Simulation::new(seed, SimConfig::named(&format!("scale_{devices}")));
    sim.add_fabric(FABRIC, false)?;
    let mut ctrl = NodeSpec::new(1);
    // During commissioning a device holds a PASE and a CASE session with the commissioner.
    ctrl.config.limits.max_sessions = 2 * devices + 8;
    ctrl.config.max_unsecured_sessions = 2 * devices + 8;
    // Every pairing starts within the first 10 ms: the commissioner runs them all at once.
    ctrl.config.max_pending_handshakes = devices + 8;
    sim.add_node(COMMISSIONER, ctrl)?;
    for i in 0..devices {
        let mut spec = NodeSpec::new(100 + i as u64);
        spec.commissioning = Some(Commissioning::with_passcode(20202021));
        sim.add_node(&device_name(i), spec)?;
    }
    sim.at(
        Duration::ZERO,
        Action::JoinFabric {
            node: COMMISSIONER.into(),
            fabric: FABRIC,
        },
    );
    for i in 0..devices {
        let dev = device_name(i);
        let case = Some(paseo_core::session::SessionKind::Case);
        let steps = vec![
            Action::Commission {
                commissioner: COMMISSIONER.into(),
                device: dev.clone(),
                passcode: None,
                fabric: FABRIC,
            },
            Action::Exchange {
                from: COMMISSIONER.into(),
                to: dev.clone(),
                messages: MESSAGES_TO_DEVICE,
                reliable: true,
                kind: case,
            },
            Action::Exchange {
                from: dev,
                to: COMMISSIONER.into(),
                messages: MESSAGES_FROM_DEVICE,
                reliable: true,
                kind: case,
            },
        ];
        let start = Duration::from_millis(1 + (i % 10) as u64);
        sim.at(start, Action::Sequence(steps));
    }
    Ok(sim)
}

/// How the fleet runs: up to 60 virtual seconds of work, then a liveness phase without
/// probes (every exchange is already checked by its action).
pub fn options() -> RunOptions {
    RunOptions {
        limit: Duration::from_secs(60),
        liveness: Some(Duration::from_secs(60)),
        probes: false,
    }
}
