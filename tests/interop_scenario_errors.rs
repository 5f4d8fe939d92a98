//! Real-peer scenarios (`peer: matterjs` / `peer: any`) reject at plan time, with file, line
//! and column, every step and key a real device cannot take; nothing is silently ignored.

use paseo::scenario::{self, Diagnostic};

const HEADER: &str = "name: t\ndescription: d\nrequires: [case]\nfabrics:\n  - {name: home}\n";

fn nodes(peer: &str) -> String {
    format!(
        "nodes:\n  - {{name: ctrl, role: commissioner, fabrics: [home]}}\n  - {{name: dev, role: device, peer: {peer}}}\n"
    )
}

/// The single diagnostic of a scenario with `steps` (that must fail to load).
fn only_error(peer: &str, steps: &str) -> Diagnostic {
    let text = format!("{HEADER}{}steps:\n{steps}", nodes(peer));
    let err = scenario::parse("bad.yaml", &text).expect_err("the scenario must be rejected");
    assert_eq!(err.diagnostics.len(), 1, "{}", err.render());
    err.diagnostics[0].clone()
}

#[test]
fn the_supported_steps_plan_and_mark_the_scenario_real() {
    let steps = "  - pair: {commissioner: ctrl, device: dev, passcode: 20202022, outcome: failed}\n  - commission: {commissioner: ctrl, device: dev, fabric: home}\n  - resume: {initiator: ctrl, responder: dev, fabric: home}\n  - close: {node: ctrl, peer: dev}\n  - set_network: {loss: 20%}\n  - wait: 10ms\n  - restart: dev\n  - exchange: {from: ctrl, to: dev}\n  - expect:\n      sessions: [{node: ctrl, peer: dev}]\n      datagrams: {node: dev, sent: \">=1\"}\n";
    let text = format!("{HEADER}{}steps:\n{steps}", nodes("matterjs"));
    let s = scenario::parse("ok.yaml", &text).unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(s.runs_real_peer());
    let text = format!("{HEADER}{}steps:\n{steps}", nodes("any"));
    let s = scenario::parse("ok.yaml", &text).unwrap_or_else(|e| panic!("{}", e.render()));
    assert!(!s.runs_real_peer(), "`peer: any` runs in the simulator");
    assert_eq!(s.real_peer.map(|p| p.device), Some("dev".to_owned()));
}

#[test]
fn a_crash_of_the_real_device_is_rejected_where_it_is_written() {
    let d = only_error("matterjs", "  - wait: 1ms\n  - crash: dev\n");
    assert_eq!((d.line, d.column), (11, 5), "{d:?}");
    assert!(
        d.message
            .contains("`crash` cannot be used with a matter.js device"),
        "{d:?}"
    );
    assert!(d.help.as_deref().unwrap_or("").contains("restart"), "{d:?}");
}

#[test]
fn partitions_and_parallel_steps_are_rejected() {
    let d = only_error("matterjs", "  - partition: {from: ctrl, to: dev}\n");
    assert_eq!(d.line, 10);
    assert!(d.message.contains("partition/heal"), "{d:?}");
    assert!(
        d.help.as_deref().unwrap_or("").contains("loss: 100%"),
        "{d:?}"
    );
    let d = only_error("any", "  - parallel: [{wait: 1ms}]\n");
    assert!(d.message.contains("`parallel` cannot be used"), "{d:?}");
}

#[test]
fn the_device_table_cannot_be_expected() {
    let d = only_error(
        "matterjs",
        "  - expect:\n      sessions: [{between: [ctrl, dev]}]\n",
    );
    assert!(d.message.contains("between"), "{d:?}");
    let d = only_error(
        "matterjs",
        "  - expect:\n      events: [{node: dev, event: session-opened}]\n",
    );
    assert_eq!((d.line, d.column), (11, 23), "{d:?}");
    assert!(d.message.contains("must be our node `ctrl`"), "{d:?}");
}

#[test]
fn device_keys_a_real_device_does_not_take_are_rejected() {
    let text = format!(
        "{HEADER}nodes:\n  - {{name: ctrl, role: commissioner, fabrics: [home]}}\n  - {{name: dev, role: device, peer: matterjs, passcode: 12345678}}\nsteps:\n  - wait: 1ms\n"
    );
    let err = scenario::parse("bad.yaml", &text).expect_err("rejected");
    let d = &err.diagnostics[0];
    assert_eq!(d.line, 8, "{d:?}");
    assert!(d.message.contains("passcode is 20202021"), "{d:?}");
    let text = format!(
        "{HEADER}nodes:\n  - {{name: ctrl, role: commissioner, fabrics: [home]}}\n  - {{name: dev, role: device, peer: matterjs, faults: [forget_ack]}}\n  - {{name: other, role: device}}\nsteps:\n  - wait: 1ms\n"
    );
    let err = scenario::parse("bad.yaml", &text).expect_err("rejected");
    let all = err.render();
    assert!(all.contains("`faults` cannot be set"), "{all}");
    assert!(all.contains("exactly two nodes"), "{all}");
}

#[test]
fn only_the_device_restarts_and_only_our_node_initiates() {
    let d = only_error("matterjs", "  - restart: ctrl\n");
    assert!(
        d.message.contains("only the device can be restarted"),
        "{d:?}"
    );
    let d = only_error(
        "matterjs",
        "  - commission: {commissioner: ctrl, device: dev, fabric: home}\n  - case: {initiator: dev, responder: ctrl, fabric: home}\n",
    );
    assert_eq!((d.line, d.column), (11, 23), "{d:?}");
    assert!(d.message.contains("initiator must be our node"), "{d:?}");
}

/// `PASEO_MATTERJS_DIR` names the peer directory at run time; a directory without the peer is
/// an error that names the variable and the directory (never a silent fallback, never a PASS).
/// No device starts: the lookup fails before.
#[test]
fn a_wrong_matterjs_dir_is_an_error_naming_it() {
    let missing = std::env::temp_dir().join(format!("paseo-no-peer-{}", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args(["run", "--quiet", "scenarios/interop/matterjs-pase.yaml"])
        .env("PASEO_MATTERJS_DIR", &missing)
        .env_remove("PASEO_SKIP_INTEROP")
        .output()
        .expect("paseo runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("PASS"), "{text}");
    assert!(text.contains("PASEO_MATTERJS_DIR"), "{text}");
    assert!(text.contains(&missing.display().to_string()), "{text}");
}
