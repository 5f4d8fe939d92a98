//! Running a scenario whose device is `peer: matterjs`: the steps go to
//! [`paseo_sim::interop::script`] (real loopback UDP, the wall clock, a fresh matter.js
//! device) and come back as the simulator's [`RunReport`], judged like a simulated run.
//! Real time is not deterministic: the seed fixes our node, the fabric and the relay's
//! streams, not the order in which datagrams race (docs/INTEROP.md).

use std::time::Duration;

use paseo_sim::interop::peer::MatterJsPeer;
use paseo_sim::interop::script::{ScriptConfig, run_script};
use paseo_sim::{EndReason, Impairments, RunReport};

use crate::run::{Run, Verdict, judge_steps, verdict};
use crate::scenario::Scenario;
use crate::scenario::real_peer::MATTERJS_PASSCODE;

/// Runs `scenario` (whose device is matter.js) at `seed`.
pub fn run(scenario: &Scenario, seed: u64) -> Run {
    let internal = |why: String, peer_log: Option<String>| Run {
        seed,
        report: None,
        steps: Vec::new(),
        verdict: Verdict::Internal(why),
        peer_log,
    };
    let Some(config) = script_config(scenario, seed) else {
        return internal("the scenario has no real peer".into(), None);
    };
    if !MatterJsPeer::installed(&MatterJsPeer::script_dir()) {
        return internal(
            format!(
                "matter.js is not installed: run `npm ci --no-audit --no-fund` in {}",
                MatterJsPeer::script_dir().display()
            ),
            None,
        );
    }
    let script = run_script(&config, &scenario.actions);
    let end = match &script.error {
        Some(why) => EndReason::HostError(why.clone()),
        None if !script.violations.is_empty() => EndReason::Violation,
        None => EndReason::Quiet,
    };
    let report = RunReport {
        seed,
        scenario: scenario.name.clone(),
        replay: scenario.replay_command(seed),
        trace: script.trace,
        violations: script.violations,
        end,
        ended_at: script.ended_at,
        stats: script.stats,
        actions: script.actions,
        steps: 0,
        messages: (0, 0),
    };
    let steps = judge_steps(scenario, &report);
    let verdict = verdict(&report, &steps);
    Run {
        seed,
        report: Some(report),
        steps,
        verdict,
        peer_log: Some(script.peer_log),
    }
}

/// What the script needs, from the checked scenario.
pub fn script_config(scenario: &Scenario, seed: u64) -> Option<ScriptConfig> {
    let peer = scenario.real_peer.as_ref()?;
    let ours = scenario.nodes.iter().find(|n| n.name == peer.ours)?;
    let device = scenario.nodes.iter().find(|n| n.name == peer.device)?;
    let link = |from: &str, to: &str| -> Impairments {
        scenario
            .links
            .iter()
            .find(|(f, t, _)| f == from && t == to)
            .map_or(scenario.network, |(_, _, imp)| *imp)
    };
    let log_level = std::env::var("PASEO_PEER_LOG_LEVEL").unwrap_or_else(|_| {
        // matter.js says what it did with a CloseSession only at debug level.
        if peer.closes { "debug" } else { "info" }.to_owned()
    });
    Some(ScriptConfig {
        ours: peer.ours.clone(),
        device: peer.device.clone(),
        node_config: ours.spec.config.clone(),
        controller_node_id: ours.spec.node_id.0,
        device_node_id: device.spec.node_id.0,
        device_passcode: MATTERJS_PASSCODE,
        fabrics: scenario.fabrics.clone(),
        to_device: link(&peer.ours, &peer.device),
        to_us: link(&peer.device, &peer.ours),
        seed,
        time_limit: scenario.time_limit.max(Duration::from_secs(1)),
        log_level,
    })
}
