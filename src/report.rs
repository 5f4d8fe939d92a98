//! What `paseo run` and `paseo replay` print: a header (scenario, seed), the trace, every
//! step's outcome and a verdict line; or one JSON object. The text is also what the snapshot
//! suite pins, so it holds nothing that varies between runs of one seed.

use std::fmt::Write as _;

use paseo_core::time::Instant;
use serde_json::{Value, json};

use crate::run::{Run, Verdict};
use crate::scenario::{Expected, Scenario};

/// How much of a run to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Header, steps and verdict.
    Summary,
    /// Also the trace.
    Trace,
}

/// The human-readable report of a run.
pub fn text(scenario: &Scenario, run: &Run, detail: Detail) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} ({})", scenario.name, scenario.path);
    let _ = writeln!(out, "  {}", scenario.description);
    let _ = writeln!(out, "seed {}", run.seed);
    if let (Detail::Trace, Some(report)) = (detail, &run.report) {
        let _ = writeln!(
            out,
            "\n-- trace: time (ms)  node  arrow  peer  what : decision"
        );
        out.push_str(&report.trace.text());
    }
    if !run.steps.is_empty() {
        let _ = writeln!(out, "\n-- steps");
        for s in &run.steps {
            let mark = if s.as_expected { "ok  " } else { "FAIL" };
            let at = s.finished_us.map_or_else(String::new, |us| {
                format!(" @ {} ms", Instant::from_micros(us))
            });
            let wanted = match s.check.expected {
                Expected::Ok => "",
                Expected::Failed => " [expected to fail]",
                Expected::Any => " [any outcome]",
            };
            let _ = writeln!(
                out,
                "{mark} line {:>3}  {}{wanted}: {}{at}",
                s.check.line,
                s.check.description,
                s.status()
            );
        }
    }
    if let Some(report) = &run.report
        && !report.violations.is_empty()
    {
        let _ = writeln!(out, "\n-- oracle violations");
        for v in &report.violations {
            let _ = writeln!(out, "{v}");
            if let Some(d) = &v.datagram {
                let _ = writeln!(out, "  datagram {d}");
            }
        }
    }
    out.push('\n');
    out.push_str(&verdict_lines(scenario, run));
    out
}

/// The verdict line; on failure each reason and the replay command.
pub fn verdict_lines(scenario: &Scenario, run: &Run) -> String {
    let mut out = String::new();
    let facts = run.report.as_ref().map_or_else(String::new, |r| {
        let sent = r
            .trace
            .records
            .iter()
            .filter(|x| x.kind == paseo_sim::trace::RecordKind::Tx)
            .count();
        format!(
            " ({} at {} ms, {sent} datagrams, {} of {} messages delivered)",
            serde_json::to_value(&r.end)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "ended".to_owned()),
            r.ended_at,
            r.messages.1,
            r.messages.0
        )
    });
    let _ = writeln!(
        out,
        "{} seed={} scenario={}{facts}",
        run.verdict.word(),
        run.seed,
        scenario.name
    );
    for reason in run.verdict.reasons() {
        let _ = writeln!(out, "  {reason}");
    }
    if !matches!(run.verdict, Verdict::Pass | Verdict::Skipped(_)) {
        let _ = writeln!(out, "replay: {}", scenario.replay_command(run.seed));
    }
    out
}

/// The JSON report of a run.
pub fn json(scenario: &Scenario, run: &Run) -> Value {
    let steps: Vec<Value> = run
        .steps
        .iter()
        .map(|s| {
            json!({
                "line": s.check.line,
                "label": s.check.label,
                "step": s.check.description,
                "expected": format!("{:?}", s.check.expected).to_lowercase(),
                "outcome": s.outcome.clone().flatten(),
                "status": s.status(),
                "finished_us": s.finished_us,
                "as_expected": s.as_expected,
            })
        })
        .collect();
    json!({
        "scenario": scenario.name,
        "file": scenario.path,
        "seed": run.seed,
        "verdict": run.verdict.word(),
        "exit_code": run.verdict.exit_code(),
        "reasons": run.verdict.reasons(),
        "replay": (!matches!(run.verdict, Verdict::Pass | Verdict::Skipped(_)))
            .then(|| scenario.replay_command(run.seed)),
        "steps": steps,
        "violations": run.report.as_ref().map(|r| r.violations.clone()),
        "end": run.report.as_ref().map(|r| r.end.clone()),
        "ended_us": run.report.as_ref().map(|r| r.ended_at.as_micros()),
        "trace_hash": run.report.as_ref().map(|r| r.trace_hash()),
    })
}
