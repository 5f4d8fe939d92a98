//! The real-peer scenarios (`scenarios/interop/*.yaml`, `peer: matterjs`): each runs against
//! a fresh matter.js device over loopback, must pass, and its redacted report matches
//! `snapshots/interop/<name>.snap` (times, counters, ids, acks and retransmissions removed:
//! `paseo::interop_run::redacted_lines`; under loss only the sorted set of distinct lines,
//! since retransmissions and late answers interleave differently on every run).
//!
//! `PASEO_SKIP_INTEROP=1` marks them ignored; without `node_modules` they run `npm ci` first
//! (under the file lock of `paseo_sim::interop::install`, shared with the other test
//! binaries). Every device is stopped by the run itself (and killed by its handle's Drop on a
//! panic).
//!
//! One test per file, named after it (`cargo test --test interop_scenarios pase_lossy`; a dash
//! in the filter is read as an underscore), on the libtest-mimic harness (`harness = false`).
//! They run one at a time unless `--test-threads` says otherwise: each starts a Node.js
//! device on the real clock, and lossy runs are timing-sensitive.

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use paseo::interop_run::{self, Redaction};
use paseo::run::{self, Verdict};
use paseo::scenario::{self, Scenario};
use paseo_sim::interop::install;

/// At least this many real-peer scenarios are in `scenarios/interop/`.
const MIN_INTEROP: usize = 6;

fn skipped() -> bool {
    std::env::var("PASEO_SKIP_INTEROP").is_ok_and(|v| v == "1")
}

/// Installs the pinned packages if they are missing; fails (rather than skips) when that is
/// impossible.
fn ensure_matterjs() -> Result<(), Failed> {
    install::find_script_dir()
        .and_then(|dir| install::ensure_node_modules(&dir))
        .map_err(|why| format!("{why} (or set PASEO_SKIP_INTEROP=1)").into())
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

fn passes_against_matterjs_and_matches_its_snapshot(s: &Scenario) -> Result<(), Failed> {
    ensure_matterjs()?;
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
    if run.verdict != Verdict::Pass {
        return Err(format!(
            "{full}\n-- matter.js log\n{}",
            run.peer_log.as_deref().unwrap_or_default()
        )
        .into());
    }
    let redacted = interop_run::redacted_report(s, &run, mode);
    insta::with_settings!({
        snapshot_path => "../snapshots/interop",
        prepend_module_to_snapshot => false,
        description => s.description.clone(),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(s.name.clone(), redacted);
    });
    Ok(())
}

/// Every file parses and is a real-peer scenario, even when the runs are skipped; one run per
/// file.
fn trials() -> Vec<Trial> {
    let files = match scenario::files(Path::new("scenarios/interop")) {
        Ok(files) => files,
        Err(e) => {
            let why = format!("scenarios/interop/ is not readable: {e}");
            return vec![Trial::test("library::is_readable", move || Err(why.into()))];
        }
    };
    let count = files.len();
    let mut trials = vec![
        Trial::test("library::has_the_interop_scenarios", move || {
            if count >= MIN_INTEROP {
                Ok(())
            } else {
                Err(format!("{count} interop scenarios").into())
            }
        }),
        Trial::test(
            "redaction_drops_what_timing_decides_and_keeps_the_flow",
            redaction_drops_what_timing_decides_and_keeps_the_flow,
        ),
    ];
    for file in files {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '.'], "_"))
            .unwrap_or_default();
        let s = match scenario::load(&file) {
            Ok(s) => s,
            Err(e) => {
                let rendered = e.render();
                trials.push(Trial::test(format!("{stem}::loads"), move || {
                    Err(rendered.into())
                }));
                continue;
            }
        };
        let name = s.name.clone();
        let real_peer = s.runs_real_peer();
        trials.push(Trial::test(
            format!("{stem}::is_a_real_peer_scenario"),
            move || {
                if real_peer {
                    Ok(())
                } else {
                    Err(format!("{name} has no `peer: matterjs` node").into())
                }
            },
        ));
        let run = Trial::test(
            format!("{stem}::passes_against_matterjs_and_matches_its_snapshot"),
            move || passes_against_matterjs_and_matches_its_snapshot(&s),
        );
        trials.push(run.with_ignored_flag(skipped()));
    }
    trials
}

fn main() -> std::process::ExitCode {
    let mut args = Arguments::from_args();
    args.filter = args.filter.map(|f| f.replace('-', "_"));
    args.skip = args.skip.iter().map(|f| f.replace('-', "_")).collect();
    if args.test_threads.is_none() {
        args.test_threads = Some(1);
    }
    if skipped() {
        eprintln!("interop scenarios: runs ignored (PASEO_SKIP_INTEROP=1)");
    }
    libtest_mimic::run(&args, trials()).exit_code()
}

fn redaction_drops_what_timing_decides_and_keeps_the_flow() -> Result<(), Failed> {
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
    Ok(())
}
