//! The real-peer scenarios (`scenarios/interop/*.yaml`, `peer: matterjs`): each runs against
//! a fresh matter.js device over loopback, must pass, and its redacted report matches
//! `snapshots/interop/<name>.snap` (times, counters, ids, acks and retransmissions removed:
//! `paseo::interop_run::redacted_lines`; under loss only the sorted set of distinct lines,
//! since retransmissions and late answers interleave differently on every run).
//!
//! `PASEO_SKIP_INTEROP=1` skips them; without `node_modules` they run `npm ci` first (as
//! `sim/tests/interop_matterjs.rs` does). Every device is stopped by the run itself (and
//! killed by its handle's Drop on a panic).

use std::path::Path;

use paseo::interop_run::{self, Redaction};
use paseo::run::{self, Verdict};
use paseo::scenario;
use paseo_sim::interop::peer::MatterJsPeer;

fn interop_enabled() -> bool {
    if std::env::var("PASEO_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("interop scenarios: skipped (PASEO_SKIP_INTEROP=1)");
        return false;
    }
    let dir = MatterJsPeer::script_dir();
    if !MatterJsPeer::installed(&dir) {
        eprintln!(
            "installing the pinned matter.js packages: npm ci in {}",
            dir.display()
        );
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status();
        eprintln!("npm ci: {status:?}");
    }
    assert!(
        MatterJsPeer::installed(&dir),
        "matter.js is not installed and `npm ci` in {} did not install it (or set PASEO_SKIP_INTEROP=1)",
        dir.display()
    );
    true
}

/// A failure 20 % loss may legitimately cause: MRP gave up (five transmissions or their acks
/// lost, probability ~0.36^5 per message) or an answer never came.
fn lost_to_the_network(run: &run::Run) -> bool {
    let reasons = run.verdict.reasons().join("\n");
    matches!(run.verdict, Verdict::Expectation(_))
        && [
            "not acknowledged",
            "timed out",
            "DeliveryFailed",
            "exchange closed before",
        ]
        .iter()
        .any(|r| reasons.contains(r))
}

#[test]
fn every_interop_scenario_passes_against_matterjs_and_matches_its_snapshot() {
    let files = scenario::files(Path::new("scenarios/interop")).expect("scenarios/interop/");
    assert!(files.len() >= 6, "{} interop scenarios", files.len());
    // Every file parses and is a real-peer scenario, even when the runs are skipped.
    let scenarios: Vec<_> = files
        .iter()
        .map(|f| scenario::load(f).unwrap_or_else(|e| panic!("{}", e.render())))
        .collect();
    for s in &scenarios {
        assert!(
            s.runs_real_peer(),
            "{} has no `peer: matterjs` node",
            s.name
        );
    }
    if !interop_enabled() {
        return;
    }
    for s in &scenarios {
        let lossy = interop_run::is_lossy(s);
        let mode = if lossy {
            Redaction::DistinctSorted
        } else {
            Redaction::Trace
        };
        let mut run = run::run(s, s.seed);
        for retry in 1..3 {
            if !(lossy && lost_to_the_network(&run)) {
                break;
            }
            eprintln!(
                "{}: lost to the network at seed {}, trying seed {}:\n{}",
                s.name,
                run.seed,
                s.seed + retry,
                run.verdict.reasons().join("\n")
            );
            run = run::run(s, s.seed + retry);
        }
        let full = paseo::report::text(s, &run, paseo::report::Detail::Trace);
        assert_eq!(
            run.verdict,
            Verdict::Pass,
            "{full}\n-- matter.js log\n{}",
            run.peer_log.as_deref().unwrap_or_default()
        );
        let redacted = interop_run::redacted_report(s, &run, mode);
        insta::with_settings!({
            snapshot_path => "../snapshots/interop",
            prepend_module_to_snapshot => false,
            description => s.description.clone(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(s.name.clone(), redacted);
        });
    }
}

#[test]
fn redaction_drops_what_timing_decides_and_keeps_the_flow() {
    use paseo_core::time::Instant;
    use paseo_sim::trace::{RecordKind, Trace, TraceRecord};
    let record =
        |ms: u64, kind: RecordKind, node: &str, subject: &str, decision: &str| TraceRecord {
            at: Instant::from_micros(ms * 1000),
            node: node.into(),
            kind,
            peer: "dev".into(),
            header: None,
            subject: subject.into(),
            decision: decision.into(),
            wire: None,
        };
    let trace = Trace {
        records: vec![
            record(1, RecordKind::Event, "ctrl", "s=34406", "session opened"),
            record(2, RecordKind::Net, "ctrl", "", "dropped by network (loss)"),
            record(3, RecordKind::Event, "ctrl", "s34406/x3586i c=9", "acked"),
            record(4, RecordKind::Action, "ctrl", "", "timing PASE 183.138 ms"),
            record(5, RecordKind::Event, "ctrl", "s=34407", "session opened"),
            record(
                6,
                RecordKind::Event,
                "ctrl",
                "s=34406",
                "session closed (local)",
            ),
        ],
    };
    let lines = interop_run::redacted_lines(&trace, Redaction::Trace);
    assert_eq!(
        lines,
        [
            "ctrl ** dev : session opened",
            "ctrl ** dev : session opened",
            "ctrl ** dev : session closed (local)"
        ]
    );
    let set = interop_run::redacted_lines(&trace, Redaction::DistinctSorted);
    assert_eq!(
        set,
        [
            "ctrl ** dev : session closed (local)",
            "ctrl ** dev : session opened"
        ]
    );
}
