//! What the HTML viewer shows, as one serializable value (inlined into the page as JSON):
//! the run's verdict and steps, the nodes, every datagram flight with its decoded headers,
//! events, session lifetimes, exchanges and the marks for oracle violations and failed steps.
//! Times are virtual microseconds.

use std::collections::BTreeMap;

use paseo_sim::trace::{HeaderSummary, RecordKind, TraceRecord};
use serde::Serialize;

use super::flights::{Fate, Flight, flights};
use crate::decode;
use crate::report;
use crate::run::{Run, Verdict};
use crate::scenario::Scenario;

/// Everything the page draws.
#[derive(Debug, Serialize)]
pub struct View {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file.
    pub file: String,
    /// Scenario description.
    pub description: String,
    /// The seed.
    pub seed: u64,
    /// Verdict word (`PASS`, `FAIL (…)`…).
    pub verdict: String,
    /// Whether the run passed (or was skipped).
    pub passed: bool,
    /// The verdict line(s) as `paseo run` prints them (facts, reasons, replay command).
    pub verdict_text: String,
    /// Virtual time at the end.
    pub end_us: u64,
    /// Node names, in order of first appearance.
    pub nodes: Vec<String>,
    /// Datagram flights (the arrows).
    pub flights: Vec<FlightView>,
    /// Events and actions (dots and lines on the lanes).
    pub events: Vec<EventView>,
    /// Session lifetimes (bars).
    pub sessions: Vec<SessionView>,
    /// Exchanges, by key.
    pub exchanges: Vec<ExchangeView>,
    /// Oracle violations and failed steps (red).
    pub marks: Vec<Mark>,
    /// Every step with its outcome.
    pub steps: Vec<StepView>,
}

/// One arrow.
#[derive(Debug, Serialize)]
pub struct FlightView {
    /// Sender.
    pub from: String,
    /// Receiver.
    pub to: String,
    /// When it was sent (its arrival time if no sending is on record).
    pub sent_us: u64,
    /// When it arrived, or when the network dropped it.
    pub end_us: Option<u64>,
    /// What became of it.
    pub fate: Fate,
    /// The sender's decision (`sent`, `retransmit N`).
    pub tx: Option<String>,
    /// The network's decisions.
    pub net: Vec<String>,
    /// The receiver's decision.
    pub rx: Option<String>,
    /// Short label: `SC/Pake1`, or the session and counter when the payload is encrypted.
    pub label: String,
    /// The trace's header summary (from the receiver's side when it could read more).
    pub header: Option<HeaderSummary>,
    /// Session filter key (see [`SessionView::key`]); `unsecured` for session 0.
    pub session: Option<String>,
    /// Exchange filter key (see [`ExchangeView::key`]).
    pub exchange: Option<String>,
    /// Source and destination addresses.
    pub addresses: Option<String>,
    /// The datagram, hex.
    pub hex: String,
    /// `paseo decode` of the datagram (message header; protocol header when unsecured).
    pub decoded: String,
    /// Whether an oracle violation names this datagram.
    pub violation: bool,
}

/// A dot (event) or a line (action) on a lane.
#[derive(Debug, Serialize)]
pub struct EventView {
    /// When.
    pub at_us: u64,
    /// Where (`sim` for the whole network).
    pub node: String,
    /// `event` or `action`.
    pub kind: &'static str,
    /// Its trace line.
    pub text: String,
}

/// One node's side of a session, from opening to closing.
#[derive(Debug, Serialize)]
pub struct SessionView {
    /// The node.
    pub node: String,
    /// The peer.
    pub peer: String,
    /// The node's session id.
    pub id: u16,
    /// The peer's session id.
    pub peer_id: u16,
    /// `opened` or `resumed`.
    pub how: String,
    /// Opened at.
    pub from_us: u64,
    /// Closed at (`None`: open at the end).
    pub to_us: Option<u64>,
    /// Why it closed.
    pub closed: Option<String>,
    /// Filter key shared by both sides: `<node> s=<id> / <node> s=<id>`, nodes by name.
    pub key: String,
}

/// An exchange: the datagrams between two nodes under one exchange id.
#[derive(Debug, Serialize)]
pub struct ExchangeView {
    /// Filter key: `x<id> <node>-<node>`.
    pub key: String,
    /// Label of its first datagram.
    pub first: String,
    /// First and last datagram times.
    pub from_us: u64,
    /// Last datagram time.
    pub to_us: u64,
    /// Number of flights.
    pub flights: usize,
}

/// Something that went wrong, drawn in red.
#[derive(Debug, Serialize)]
pub struct Mark {
    /// When.
    pub at_us: u64,
    /// Where, if at a node.
    pub node: Option<String>,
    /// `violation` or `step`.
    pub kind: &'static str,
    /// What.
    pub text: String,
    /// The flight it is about.
    pub flight: Option<usize>,
}

/// A step and its outcome.
#[derive(Debug, Serialize)]
pub struct StepView {
    /// Line in the scenario file.
    pub line: u64,
    /// What it does.
    pub description: String,
    /// Its outcome.
    pub status: String,
    /// Whether that is what the scenario expects.
    pub ok: bool,
    /// When it finished.
    pub finished_us: Option<u64>,
}

/// Builds the view of `run` of `scenario`.
pub fn view(scenario: &Scenario, run: &Run) -> View {
    let records: &[TraceRecord] = run
        .report
        .as_ref()
        .map_or(&[], |r| r.trace.records.as_slice());
    let end_us = run.report.as_ref().map_or(0, |r| r.ended_at.as_micros());
    let (mut flights, exchanges, sessions, events) = timeline(records);
    let mut marks = Vec::new();
    for v in run.report.iter().flat_map(|r| &r.violations) {
        let flight = v.datagram.as_ref().and_then(|hex| {
            flights
                .iter()
                .rposition(|f| &f.hex == hex && f.sent_us <= v.at.as_micros())
                .or_else(|| flights.iter().position(|f| &f.hex == hex))
        });
        if let Some(f) = flight.and_then(|i| flights.get_mut(i)) {
            f.violation = true;
        }
        marks.push(Mark {
            at_us: v.at.as_micros(),
            node: Some(v.node.clone()),
            kind: "violation",
            text: v.to_string(),
            flight,
        });
    }
    for s in run.steps.iter().filter(|s| !s.as_expected) {
        marks.push(Mark {
            at_us: s.finished_us.unwrap_or(end_us),
            node: None,
            kind: "step",
            text: format!(
                "line {}: {}: {}",
                s.check.line,
                s.check.description,
                s.status()
            ),
            flight: None,
        });
    }
    View {
        scenario: scenario.name.clone(),
        file: scenario.path.clone(),
        description: scenario.description.clone(),
        seed: run.seed,
        verdict: run.verdict.word().to_owned(),
        passed: matches!(run.verdict, Verdict::Pass | Verdict::Skipped(_)),
        verdict_text: report::verdict_lines(scenario, run),
        end_us,
        nodes: nodes(records),
        flights,
        events,
        sessions,
        exchanges,
        marks,
        steps: run
            .steps
            .iter()
            .map(|s| StepView {
                line: s.check.line,
                description: s.check.description.clone(),
                status: s.status(),
                ok: s.as_expected,
                finished_us: s.finished_us,
            })
            .collect(),
    }
}

/// Flights (with their sessions), exchanges, sessions and event lines of `records`.
fn timeline(
    records: &[TraceRecord],
) -> (
    Vec<FlightView>,
    Vec<ExchangeView>,
    Vec<SessionView>,
    Vec<EventView>,
) {
    let mut flights: Vec<FlightView> = flights(records)
        .iter()
        .filter_map(|f| flight_view(f, records))
        .collect();
    let exchanges = exchanges(&flights);
    let sessions = sessions(records);
    for f in &mut flights {
        f.session = session_key(f, &sessions);
    }
    let events = records
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::Event | RecordKind::Action))
        .map(|r| EventView {
            at_us: r.at.as_micros(),
            node: r.node.clone(),
            kind: if r.kind == RecordKind::Event {
                "event"
            } else {
                "action"
            },
            text: r.text().trim_start().to_owned(),
        })
        .collect();
    (flights, exchanges, sessions, events)
}

/// The view of a capture's trace (`paseo decode --pcap FILE --html OUT`): the timeline only,
/// no steps, and a verdict that says a capture is not judged.
pub fn capture_view(file: &str, records: &[TraceRecord], keys: &decode::Keys) -> View {
    let (mut flights, exchanges, sessions, events) = timeline(records);
    for f in &mut flights {
        // Drawn at its capture time; details decrypted with the keys given.
        f.fate = Fate::Captured;
        f.end_us = Some(f.sent_us);
        f.decoded = match decode::render_with_keys(&f.hex, false, keys) {
            Ok(text) => text,
            Err(e) => format!("{e}\n"),
        };
    }
    View {
        scenario: "capture".to_owned(),
        file: file.to_owned(),
        description: format!("{} UDP datagrams decoded from {file}", records.len()),
        seed: 0,
        verdict: "CAPTURE".to_owned(),
        passed: true,
        verdict_text: "a capture is decoded, not judged: no verdict".to_owned(),
        end_us: records.last().map_or(0, |r| r.at.as_micros()),
        nodes: nodes(records),
        flights,
        events,
        sessions,
        exchanges,
        marks: Vec::new(),
        steps: Vec::new(),
    }
}

fn nodes(records: &[TraceRecord]) -> Vec<String> {
    let mut nodes: Vec<String> = Vec::new();
    for r in records {
        for name in [&r.node, &r.peer] {
            if name != "-" && name != "sim" && !nodes.contains(name) {
                nodes.push(name.clone());
            }
        }
    }
    nodes
}

/// The session a flight travels on: the receiver's session named by the header, open when
/// it was sent; `unsecured` for session 0; `s=<id>` when no such session is on record.
fn session_key(f: &FlightView, sessions: &[SessionView]) -> Option<String> {
    let id = f.header.as_ref()?.session_id;
    if id == 0 {
        return Some("unsecured".to_owned());
    }
    let at = f.sent_us;
    let open = |s: &&SessionView| {
        s.node == f.to && s.id == id && s.from_us <= at && s.to_us.is_none_or(|end| at <= end)
    };
    Some(
        sessions
            .iter()
            .rfind(open)
            .or_else(|| sessions.iter().rfind(|s| s.node == f.to && s.id == id))
            .map_or_else(|| format!("s={id}"), |s| s.key.clone()),
    )
}

fn flight_view(f: &Flight, records: &[TraceRecord]) -> Option<FlightView> {
    let tx = f.tx.and_then(|i| records.get(i));
    let rx = f.rx.and_then(|i| records.get(i));
    let first = tx.or(rx)?;
    let (from, to) = match (tx, rx) {
        (Some(t), _) => (t.node.clone(), t.peer.clone()),
        (None, Some(r)) => (r.peer.clone(), r.node.clone()),
        (None, None) => return None,
    };
    let net: Vec<&TraceRecord> = f.net.iter().filter_map(|i| records.get(*i)).collect();
    let end_us = rx.map(|r| r.at.as_micros()).or_else(|| {
        net.iter()
            .rev()
            .find(|n| n.decision.starts_with("dropped"))
            .map(|n| n.at.as_micros())
    });
    // The sender summarizes with the receiver's session as it was when sending; the
    // receiver's own summary may read more (it holds the key by then), or less.
    let tx_header = tx.and_then(|t| t.header.clone());
    let rx_header = rx.and_then(|r| r.header.clone());
    let header = match (tx_header, rx_header) {
        (Some(t), Some(r)) if t.exchange.is_none() && r.exchange.is_some() => Some(r),
        (Some(t), _) => Some(t),
        (None, r) => r,
    };
    let label = header
        .as_ref()
        .map_or_else(String::new, |h| match &h.exchange {
            Some(x) => format!("{}/{}", x.protocol, x.opcode),
            None => format!("s={} c={}", h.session_id, h.counter),
        });
    let exchange = header.as_ref().and_then(|h| h.exchange.as_ref()).map(|x| {
        let (a, b) = if from <= to {
            (&from, &to)
        } else {
            (&to, &from)
        };
        format!("x{} {a}-{b}", x.exchange_id)
    });
    let wire = first.wire.as_ref();
    let hex = wire.map_or_else(String::new, |w| hex::encode(&w.bytes));
    let decoded = match decode::render(&hex, false) {
        Ok(text) => text,
        Err(e) => format!("{e}\n"),
    };
    Some(FlightView {
        from,
        to,
        sent_us: first.at.as_micros(),
        end_us,
        fate: f.fate,
        tx: tx.map(|t| t.decision.clone()),
        net: net.iter().map(|n| n.decision.clone()).collect(),
        rx: rx.map(|r| r.decision.clone()),
        label,
        header,
        session: None,
        exchange,
        addresses: wire.map(|w| format!("{} -> {}", w.src, w.dst)),
        hex,
        decoded,
        violation: false,
    })
}

fn exchanges(flights: &[FlightView]) -> Vec<ExchangeView> {
    let mut by_key: BTreeMap<&str, ExchangeView> = BTreeMap::new();
    for f in flights {
        let Some(key) = f.exchange.as_deref() else {
            continue;
        };
        let at = f.sent_us;
        let x = by_key.entry(key).or_insert_with(|| ExchangeView {
            key: key.to_owned(),
            first: f.label.clone(),
            from_us: at,
            to_us: at,
            flights: 0,
        });
        x.from_us = x.from_us.min(at);
        x.to_us = x.to_us.max(f.end_us.unwrap_or(at));
        x.flights += 1;
    }
    let mut list: Vec<ExchangeView> = by_key.into_values().collect();
    list.sort_by(|a, b| (a.from_us, &a.key).cmp(&(b.from_us, &b.key)));
    list
}

/// `s=12 peer_s=34` → (12, 34); `s=12` → (12, 0).
fn session_ids(subject: &str) -> Option<(u16, u16)> {
    let mut id = None;
    let mut peer = 0;
    for word in subject.split_whitespace() {
        if let Some(v) = word.strip_prefix("s=") {
            id = v.parse().ok();
        } else if let Some(v) = word.strip_prefix("peer_s=") {
            peer = v.parse().unwrap_or(0);
        }
    }
    id.map(|id| (id, peer))
}

fn sessions(records: &[TraceRecord]) -> Vec<SessionView> {
    let mut list: Vec<SessionView> = Vec::new();
    // Open sessions: (node, id) → index in `list`.
    let mut open: BTreeMap<(&str, u16), usize> = BTreeMap::new();
    for r in records {
        let at = r.at.as_micros();
        let close = |list: &mut Vec<SessionView>, i: usize, why: &str| {
            if let Some(s) = list.get_mut(i) {
                s.to_us = Some(at);
                s.closed = Some(why.to_owned());
            }
        };
        match r.kind {
            RecordKind::Event => {
                let how = match r.decision.as_str() {
                    "session opened" => "opened",
                    "session resumed" => "resumed",
                    d if d.starts_with("session closed") => {
                        if let Some((id, _)) = session_ids(&r.subject)
                            && let Some(i) = open.remove(&(r.node.as_str(), id))
                        {
                            close(&mut list, i, d);
                        }
                        continue;
                    }
                    _ => continue,
                };
                let Some((id, peer_id)) = session_ids(&r.subject) else {
                    continue;
                };
                let (me, them) = (
                    format!("{} s={id}", r.node),
                    format!("{} s={peer_id}", r.peer),
                );
                let key = if r.node <= r.peer {
                    format!("{me} / {them}")
                } else {
                    format!("{them} / {me}")
                };
                open.insert((r.node.as_str(), id), list.len());
                list.push(SessionView {
                    node: r.node.clone(),
                    peer: r.peer.clone(),
                    id,
                    peer_id,
                    how: how.to_owned(),
                    from_us: at,
                    to_us: None,
                    closed: None,
                    key,
                });
            }
            // A crash loses every session the node held.
            RecordKind::Action if r.decision.starts_with("crashed") => {
                let gone: Vec<(&str, u16)> = open
                    .keys()
                    .filter(|(node, _)| *node == r.node)
                    .copied()
                    .collect();
                for k in gone {
                    if let Some(i) = open.remove(&k) {
                        close(&mut list, i, "crashed");
                    }
                }
            }
            _ => {}
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_read_the_event_subject() {
        assert_eq!(session_ids("s=10948 peer_s=37106"), Some((10948, 37106)));
        assert_eq!(session_ids("s=5"), Some((5, 0)));
        assert_eq!(session_ids("uDA7C/x3055i"), None);
    }

    fn record(ms: u64, node: &str, kind: RecordKind, subject: &str, decision: &str) -> TraceRecord {
        TraceRecord {
            at: paseo_core::time::Instant::from_micros(ms * 1000),
            node: node.into(),
            kind,
            peer: if node == "ctrl" { "dev" } else { "ctrl" }.into(),
            header: None,
            subject: subject.into(),
            decision: decision.into(),
            wire: None,
        }
    }

    #[test]
    fn sessions_run_from_opening_to_closing_or_crash_or_the_end() {
        use RecordKind::{Action, Event};
        let records = [
            record(1, "dev", Event, "s=7 peer_s=9", "session opened"),
            record(2, "ctrl", Event, "s=9 peer_s=7", "session opened"),
            record(5, "ctrl", Event, "s=9", "session closed (local)"),
            record(6, "ctrl", Event, "s=10 peer_s=8", "session resumed"),
            record(8, "dev", Action, "", "crashed (0 unsynced writes lost)"),
        ];
        let list = sessions(&records);
        let spans: Vec<String> = list
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}..{:?} {:?}",
                    s.node, s.id, s.from_us, s.to_us, s.closed
                )
            })
            .collect();
        assert_eq!(
            spans,
            [
                "dev 7 1000..Some(8000) Some(\"crashed\")",
                "ctrl 9 2000..Some(5000) Some(\"session closed (local)\")",
                "ctrl 10 6000..None None",
            ]
        );
        // Both sides of one session share the filter key.
        assert_eq!(list[0].key, list[1].key);
        assert_eq!(list[0].key, "ctrl s=9 / dev s=7");
        assert_eq!(list[2].how, "resumed");
    }
}
