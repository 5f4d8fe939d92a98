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
    let dir = match MatterJsPeer::script_dir() {
        Ok(dir) => dir,
        Err(why) => return internal(why.to_string(), None),
    };
    if !MatterJsPeer::installed(&dir) {
        return internal(
            format!(
                "matter.js is not installed: run `npm ci --no-audit --no-fund` in {}",
                dir.display()
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
    let messages = message_counts(&script.trace, &peer_name(scenario));
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
        messages,
        time_limit_reached: None,
        keylog: script.keylog,
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

fn peer_name(scenario: &Scenario) -> String {
    scenario
        .real_peer
        .as_ref()
        .map_or_else(String::new, |p| p.ours.clone())
}

/// Application messages (any protocol but Secure Channel) exchanged by our node `ours`, and
/// how many were delivered: each one our node sent (first transmissions), delivered when the
/// device acknowledged its counter; each one our node received and delivered. What the
/// simulator counts through both nodes' applications, counted here from our side of the wire.
pub fn message_counts(trace: &paseo_sim::trace::Trace, ours: &str) -> (usize, usize) {
    use paseo_sim::trace::RecordKind;
    let app = |r: &paseo_sim::trace::TraceRecord| {
        r.header
            .as_ref()
            .and_then(|h| h.exchange.as_ref())
            .is_some_and(|x| x.protocol != "SC")
    };
    let acked: std::collections::BTreeSet<String> = trace
        .records
        .iter()
        .filter(|r| r.node == ours && r.kind == RecordKind::Event && r.decision == "acked")
        .filter_map(|r| r.subject.rsplit(' ').next().map(str::to_owned))
        .collect();
    let (mut sent, mut delivered) = (0, 0);
    for r in trace.records.iter().filter(|r| r.node == ours && app(r)) {
        match r.kind {
            RecordKind::Tx if r.decision == "sent" => {
                sent += 1;
                let counter = r.header.as_ref().map(|h| format!("c={}", h.counter));
                if counter.is_some_and(|c| acked.contains(&c)) {
                    delivered += 1;
                }
            }
            RecordKind::Rx if r.decision == "delivered" => {
                sent += 1;
                delivered += 1;
            }
            _ => {}
        }
    }
    (sent, delivered)
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

/// How much of a real-peer trace survives redaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redaction {
    /// Every line that does not depend on timing, in order.
    Trace,
    /// Each such line once, sorted, received datagrams only when delivered: under loss,
    /// retransmissions, late answers (to a session already released) and the flow interleave
    /// differently on every run, so only the set of what happened is stable.
    DistinctSorted,
}

/// The trace of a real-peer run without what varies from run to run: times, message
/// counters, session and exchange ids, flags and acknowledged counters (`s=`, `c=`, `x=`,
/// `a=`), event subjects (ids), and whole lines that only timing decides: the network's
/// drops and duplications, retransmissions, duplicates received, standalone acks, `acked`
/// and `exchange closed` events (their place depends on when an ack races a reply), and
/// wall-clock `timing` notes; the device's stop is kept without saying whether it was clean.
pub fn redacted_lines(trace: &paseo_sim::trace::Trace, mode: Redaction) -> Vec<String> {
    use paseo_sim::trace::RecordKind;
    let mut out: Vec<String> = Vec::new();
    for r in &trace.records {
        let skip = match r.kind {
            RecordKind::Net => true,
            RecordKind::Tx => r.decision.starts_with("retransmit"),
            RecordKind::Rx => r.decision.eq_ignore_ascii_case("duplicate"),
            RecordKind::Event => {
                r.decision.starts_with("acked") || r.decision.starts_with("exchange closed")
            }
            RecordKind::Action => r.decision.starts_with("timing "),
        };
        let what = r.header.as_ref().map(|h| {
            h.text()
                .split(' ')
                .filter(|t| {
                    !(t.starts_with("s=")
                        || t.starts_with("c=")
                        || t.starts_with("x=")
                        || t.starts_with("a=")
                        || is_flags(t))
                })
                .collect::<Vec<_>>()
                .join(" ")
        });
        if skip || what.as_deref().is_some_and(|w| w.contains("StandaloneAck")) {
            continue;
        }
        let line = match what {
            Some(w) => format!(
                "{} {} {} {w} : {}",
                r.node,
                r.kind.arrow(),
                r.peer,
                r.decision
            ),
            None => format!("{} {} {} : {}", r.node, r.kind.arrow(), r.peer, r.decision),
        };
        // Whether a stop was clean depends on how loaded the machine is (SIGKILL after the
        // grace period): the snapshot keeps only that the device was stopped.
        let line = if r.kind == RecordKind::Action && r.decision.starts_with("stopped (") {
            format!("{} {} {} : stopped", r.node, r.kind.arrow(), r.peer)
        } else {
            line
        };
        if mode == Redaction::DistinctSorted
            && (out.contains(&line) || (r.kind == RecordKind::Rx && r.decision != "delivered"))
        {
            continue;
        }
        out.push(line);
    }
    if mode == Redaction::DistinctSorted {
        out.sort();
    }
    out
}

/// `I-R`, `IA-`, `-A-`, …: the exchange flags of a header summary.
fn is_flags(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() == 3
        && matches!(b.first(), Some(b'I' | b'-'))
        && matches!(b.get(1), Some(b'A' | b'-'))
        && matches!(b.get(2), Some(b'R' | b'-'))
}

/// The redacted report of a real-peer run (what the interop snapshots pin): the redacted
/// trace, each step's outcome without its time, and the verdict word.
pub fn redacted_report(scenario: &Scenario, run: &Run, mode: Redaction) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} ({})", scenario.name, scenario.path);
    let _ = writeln!(out, "  {}", scenario.description);
    let what = match mode {
        Redaction::Trace => "trace",
        Redaction::DistinctSorted => "distinct lines, sorted",
    };
    let _ = writeln!(
        out,
        "\n-- {what}, redacted (no times, counters, ids, acks, retransmissions, network decisions)"
    );
    if let Some(report) = &run.report {
        for line in redacted_lines(&report.trace, mode) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out, "\n-- steps");
    for s in &run.steps {
        let _ = writeln!(out, "{}", s.line(false));
    }
    let _ = writeln!(out, "\n{} scenario={}", run.verdict.word(), scenario.name);
    out
}

/// Whether the scenario impairs the network anywhere (then the trace order is not stable).
pub fn is_lossy(scenario: &Scenario) -> bool {
    let lossy = |i: &Impairments| i.loss > 0.0 || i.duplicate > 0.0 || !i.reorder.is_zero();
    lossy(&scenario.network)
        || scenario.links.iter().any(|(_, _, i)| lossy(i))
        || scenario.actions.iter().any(action_impairs)
}

fn action_impairs(action: &paseo_sim::Action) -> bool {
    use paseo_sim::Action;
    match action {
        Action::SetNetwork { impairments, .. } => {
            impairments.loss > 0.0 || impairments.duplicate > 0.0
        }
        Action::Labelled { action, .. } => action_impairs(action),
        Action::Sequence(a) | Action::Parallel(a) => a.iter().any(action_impairs),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use paseo_core::time::Instant;
    use paseo_sim::trace::{ExchangeSummary, HeaderSummary, RecordKind, Trace, TraceRecord};

    use super::message_counts;

    fn datagram(kind: RecordKind, counter: u32, protocol: &str, decision: &str) -> TraceRecord {
        TraceRecord {
            at: Instant::ZERO,
            node: "ctrl".into(),
            kind,
            peer: "dev".into(),
            header: Some(HeaderSummary {
                session_id: 1,
                counter,
                exchange: Some(ExchangeSummary {
                    exchange_id: 1,
                    initiator: true,
                    reliable: true,
                    ack: None,
                    protocol: protocol.into(),
                    opcode: "X".into(),
                }),
                opaque: None,
            }),
            subject: String::new(),
            decision: decision.into(),
            wire: None,
        }
    }

    #[test]
    fn counts_app_messages_both_ways_and_acks() {
        let mut acked = datagram(RecordKind::Event, 0, "IM", "acked");
        acked.header = None;
        acked.subject = "s1/x1i c=10".into();
        let trace = Trace {
            records: vec![
                datagram(RecordKind::Tx, 10, "IM", "sent"),
                datagram(RecordKind::Tx, 10, "IM", "retransmit 1"),
                acked,
                datagram(RecordKind::Tx, 11, "IM", "sent"), // never acked
                datagram(RecordKind::Tx, 12, "SC", "sent"), // not an app message
                datagram(RecordKind::Rx, 50, "IM", "delivered"),
                datagram(RecordKind::Rx, 50, "IM", "duplicate"),
            ],
        };
        assert_eq!(message_counts(&trace, "ctrl"), (3, 2));
        assert_eq!(message_counts(&trace, "dev"), (0, 0));
    }
}
