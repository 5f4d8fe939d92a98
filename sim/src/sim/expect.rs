//! Expectations: what a scenario says must hold at a point of its run (sessions in the tables,
//! resumption used, events seen, an action's outcome, datagram counts). The driver checks an
//! [`Action::Expect`](super::Action::Expect) at every step until it holds or its deadline
//! passes; a failure says what was seen instead.

use std::fmt;

use paseo_core::session::{Session, SessionKind};
use serde::Serialize;

use super::Simulation;
use crate::trace::{RecordKind, TraceRecord};

/// A property of the simulation's state and trace so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Every one holds.
    All(Vec<Expectation>),
    /// `node` holds (or, with `present` false, does not hold) a secure session whose peer is
    /// `peer`, of `kind` if given.
    Session {
        /// Whose table.
        node: String,
        /// The other end.
        peer: String,
        /// PASE or CASE (`None`: either).
        kind: Option<SessionKind>,
        /// Held or not.
        present: bool,
    },
    /// The last session `node` opened with `peer` was (or was not) a resumption.
    Resumption {
        /// Who opened it.
        node: String,
        /// With whom.
        peer: String,
        /// Resumed (`true`) or full handshake (`false`).
        used: bool,
    },
    /// `node` reported events of `kind` (with `peer`, and `detail` in their text, if given)
    /// a number of times within `count`.
    Events {
        /// Whose events.
        node: String,
        /// The other end, if it matters.
        peer: Option<String>,
        /// Which events.
        kind: EventKind,
        /// Text the event line must contain.
        detail: Option<String>,
        /// How many.
        count: CountRange,
    },
    /// The action labelled `label` finished, successfully or not, with `reason` in its
    /// failure.
    Outcome {
        /// The label ([`super::Action::Labelled`]).
        label: String,
        /// Succeeded (`true`) or failed.
        ok: bool,
        /// Text the failure must contain.
        reason: Option<String>,
    },
    /// `node`'s trace lines (datagrams it sent or received, its events and the scenario's
    /// actions on it) containing `text` number within `count`.
    Trace {
        /// Whose lines.
        node: String,
        /// Text they contain.
        text: String,
        /// How many.
        count: CountRange,
    },
    /// A counter of `node`'s running incarnation ([`NodeCounter`]) is within `count`.
    Node {
        /// Which node (fails if it is not running).
        node: String,
        /// Which counter.
        counter: NodeCounter,
        /// Bounds.
        count: CountRange,
    },
    /// A datagram counter of the whole network (or of one sending node) is within `count`.
    Datagrams {
        /// Which counter.
        counter: DatagramCounter,
        /// Only datagrams sent by this node (received, for `duplicates_received`).
        node: Option<String>,
        /// Bounds.
        count: CountRange,
    },
}

/// Inclusive bounds on a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CountRange {
    /// Smallest allowed.
    pub min: u64,
    /// Largest allowed (`None`: no bound).
    pub max: Option<u64>,
}

impl CountRange {
    /// Exactly `n`.
    pub const fn exactly(n: u64) -> Self {
        CountRange {
            min: n,
            max: Some(n),
        }
    }

    /// At least `n`.
    pub const fn at_least(n: u64) -> Self {
        CountRange { min: n, max: None }
    }

    /// Whether `n` is within.
    pub fn contains(&self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

impl fmt::Display for CountRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) if max == self.min => write!(f, "{max}"),
            Some(max) if self.min == 0 => write!(f, "at most {max}"),
            Some(max) => write!(f, "{}..{max}", self.min),
            None => write!(f, "at least {}", self.min),
        }
    }
}

/// Application-level events, as the trace names them. One vocabulary: a scenario's `event:`
/// is [`EventKind::name`], the trace line's words with `-` between them (`app-received` for
/// `… : app received`), and failures quote the trace's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// A session opened by a full handshake (or installed).
    SessionOpened,
    /// A session opened by CASE resumption.
    SessionResumed,
    /// A session ended.
    SessionClosed,
    /// A PASE or CASE handshake failed.
    HandshakeFailed,
    /// A reliable message was not acknowledged.
    DeliveryFailed,
    /// A reliable message was acknowledged.
    Acked,
    /// An application message arrived.
    AppReceived,
    /// An exchange ended.
    ExchangeClosed,
}

impl EventKind {
    /// Every kind, in the order the scenario language lists them.
    pub const ALL: [EventKind; 8] = [
        EventKind::SessionOpened,
        EventKind::SessionResumed,
        EventKind::SessionClosed,
        EventKind::HandshakeFailed,
        EventKind::DeliveryFailed,
        EventKind::Acked,
        EventKind::AppReceived,
        EventKind::ExchangeClosed,
    ];

    /// The name scenarios write (`event: app-received`): the trace's words joined by `-`.
    pub fn name(self) -> String {
        self.trace_text().replace(' ', "-")
    }

    /// The start of the trace's decision text for this event.
    pub fn trace_text(self) -> &'static str {
        match self {
            EventKind::SessionOpened => "session opened",
            EventKind::SessionResumed => "session resumed",
            EventKind::SessionClosed => "session closed",
            EventKind::HandshakeFailed => "handshake failed",
            EventKind::DeliveryFailed => "delivery failed",
            EventKind::Acked => "acked",
            EventKind::AppReceived => "app received",
            EventKind::ExchangeClosed => "exchange closed",
        }
    }

    pub(crate) fn matches(self, record: &TraceRecord) -> bool {
        match self {
            // "Pase handshake failed (…)", "Case handshake failed (…)".
            EventKind::HandshakeFailed => record.decision.contains(self.trace_text()),
            _ => record.decision.starts_with(self.trace_text()),
        }
    }
}

/// Datagram counters read from the trace (named as scenarios write them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatagramCounter {
    /// Handed to the network (first transmissions and retransmissions).
    Sent,
    /// MRP retransmissions.
    Retransmitted,
    /// Dropped by the network (loss, partition, host down).
    Dropped,
    /// Duplicated by the network.
    Duplicated,
    /// Received and recognised as duplicates (acked again, not delivered).
    DuplicatesReceived,
}

impl DatagramCounter {
    fn matches(self, record: &TraceRecord) -> bool {
        match self {
            DatagramCounter::Sent => record.kind == RecordKind::Tx,
            DatagramCounter::Retransmitted => {
                record.kind == RecordKind::Tx && record.decision.starts_with("retransmit")
            }
            DatagramCounter::Dropped => {
                record.kind == RecordKind::Net && record.decision.starts_with("dropped")
            }
            DatagramCounter::Duplicated => {
                record.kind == RecordKind::Net && record.decision.starts_with("duplicated")
            }
            DatagramCounter::DuplicatesReceived => {
                // Real-peer traces may capitalise it.
                record.kind == RecordKind::Rx && record.decision.eq_ignore_ascii_case("duplicate")
            }
        }
    }
}

/// What a node counts ([`paseo_core::node::NodeStats`], since its last start) or holds now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeCounter {
    /// Datagrams handed to the node.
    Received,
    /// Dropped for any reason other than being duplicates.
    Dropped,
    /// Dropped: larger than the maximum datagram size.
    Oversized,
    /// Dropped: did not parse.
    Malformed,
    /// Dropped: unknown session (or a reflection of our own unsecured message).
    UnknownSession,
    /// Dropped: failed authentication.
    Undecryptable,
    /// Dropped: unsupported security flags.
    Unsupported,
    /// Dropped: the unsecured session table was full of running handshakes.
    UnsecuredTableFull,
    /// Authenticated duplicates (replays within a live session).
    Duplicates,
    /// Dropped: unsolicited, or the session was closing.
    UnsolicitedDropped,
    /// Handshake requests refused (BUSY, or ignored).
    HandshakesRefused,
    /// Messages delivered.
    Delivered,
    /// Unsecured sessions evicted for room.
    UnsecuredEvicted,
    /// Resumption records that could not be written.
    StoreErrors,
    /// Handshakes running now.
    HandshakesRunning,
    /// Unsecured sessions held now.
    UnsecuredSessions,
    /// Secure sessions held now.
    SecureSessions,
}

impl NodeCounter {
    /// The name used in scenarios and messages.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub(crate) fn read(self, node: &paseo_core::node::Node) -> u64 {
        let s = node.stats();
        match self {
            NodeCounter::Received => s.datagrams_received,
            NodeCounter::Dropped => s.dropped(),
            NodeCounter::Oversized => s.oversized,
            NodeCounter::Malformed => s.malformed,
            NodeCounter::UnknownSession => s.unknown_session,
            NodeCounter::Undecryptable => s.undecryptable,
            NodeCounter::Unsupported => s.unsupported,
            NodeCounter::UnsecuredTableFull => s.unsecured_table_full,
            NodeCounter::Duplicates => s.duplicates,
            NodeCounter::UnsolicitedDropped => s.unsolicited_dropped,
            NodeCounter::HandshakesRefused => s.handshakes_refused,
            NodeCounter::Delivered => s.delivered,
            NodeCounter::UnsecuredEvicted => s.unsecured_evicted,
            NodeCounter::StoreErrors => s.store_errors,
            NodeCounter::HandshakesRunning => node.handshakes_in_progress() as u64,
            NodeCounter::UnsecuredSessions => node.sessions().unsecure_sessions().count() as u64,
            NodeCounter::SecureSessions => node.sessions().sessions().count() as u64,
        }
    }
}

fn kind_name(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Pase => "pase",
        SessionKind::Case => "case",
    }
}

/// Judges shared by the simulator and the real-peer runner (`interop::script`): they read only
/// the trace and the action records, so an expectation means the same against either.
pub(crate) mod judge {
    use paseo_core::session::SessionKind;

    use super::{CountRange, DatagramCounter, EventKind, Expectation, NodeCounter};
    use crate::command::Outcome;
    use crate::sim::ActionRecord;
    use crate::trace::{RecordKind, TraceRecord};

    /// What an expectation can look at; the simulator and the real-peer runner each provide it,
    /// and [`check`] judges every expectation the same way for both.
    pub(crate) trait Observed {
        /// Runs `f` over the trace so far.
        fn with_trace<R>(&self, f: impl FnOnce(&[TraceRecord]) -> R) -> R;
        /// The records of the actions started so far.
        fn action_records(&self) -> impl Iterator<Item = &ActionRecord>;
        /// `node` holds (`present`) a session of `kind` with `peer`, or not.
        fn session(
            &self,
            node: &str,
            peer: &str,
            kind: Option<SessionKind>,
            present: bool,
        ) -> Result<(), String>;
        /// `node`'s counter now, or why it cannot be read.
        fn node_counter(&self, node: &str, counter: NodeCounter) -> Result<u64, String>;
        /// Datagrams counted by `counter` (sent by `node`, if given).
        fn datagram_count(&self, counter: DatagramCounter, node: Option<&str>) -> u64 {
            self.with_trace(|trace| datagrams(trace, counter, node))
        }
    }

    /// `Ok` if `expectation` holds now in what `seen` shows, else what was seen instead.
    pub(crate) fn check(seen: &impl Observed, expectation: &Expectation) -> Result<(), String> {
        match expectation {
            Expectation::All(all) => {
                let failures: Vec<String> =
                    all.iter().filter_map(|e| check(seen, e).err()).collect();
                if failures.is_empty() {
                    Ok(())
                } else {
                    Err(failures.join("; "))
                }
            }
            Expectation::Session {
                node,
                peer,
                kind,
                present,
            } => seen.session(node, peer, *kind, *present),
            Expectation::Resumption { node, peer, used } => {
                seen.with_trace(|t| resumption(t, node, peer, *used))
            }
            Expectation::Events {
                node,
                peer,
                kind,
                detail,
                count,
            } => seen.with_trace(|t| {
                events_seen(t, node, peer.as_deref(), *kind, detail.as_deref(), count)
            }),
            Expectation::Outcome { label, ok, reason } => {
                outcome(seen.action_records(), label, *ok, reason.as_deref())
            }
            Expectation::Trace { node, text, count } => {
                seen.with_trace(|t| trace_lines(t, node, text, count))
            }
            Expectation::Node {
                node,
                counter,
                count,
            } => {
                let n = seen.node_counter(node, *counter)?;
                if count.contains(n) {
                    Ok(())
                } else {
                    Err(format!(
                        "{node} {} is {n}, expected {count}",
                        counter.name()
                    ))
                }
            }
            Expectation::Datagrams {
                counter,
                node,
                count,
            } => datagram_count(
                seen.datagram_count(*counter, node.as_deref()),
                *counter,
                node.as_deref(),
                count,
            ),
        }
    }

    /// `node`'s event records (with `peer`, if given), oldest first.
    pub(crate) fn events<'t>(
        trace: &'t [TraceRecord],
        node: &'t str,
        peer: Option<&'t str>,
    ) -> impl DoubleEndedIterator<Item = &'t TraceRecord> {
        trace
            .iter()
            .filter(move |r| r.kind == RecordKind::Event && r.node == node)
            .filter(move |r| peer.is_none_or(|p| r.peer == p))
    }

    /// The last session `node` opened with `peer` resumed (`used`) or not.
    pub(crate) fn resumption(
        trace: &[TraceRecord],
        node: &str,
        peer: &str,
        used: bool,
    ) -> Result<(), String> {
        let last = events(trace, node, Some(peer))
            .rev()
            .find(|r| EventKind::SessionOpened.matches(r) || EventKind::SessionResumed.matches(r));
        match last {
            None => Err(format!("{node} opened no session with {peer}")),
            Some(r) if EventKind::SessionResumed.matches(r) == used => Ok(()),
            Some(r) => Err(format!(
                "{node}'s last session with {peer} was {} (at {} ms), not {}",
                if used { "a full handshake" } else { "resumed" },
                r.at,
                if used { "resumed" } else { "a full handshake" }
            )),
        }
    }

    /// `node` reported `count` events of `kind` (with `peer`, containing `detail`).
    pub(crate) fn events_seen(
        trace: &[TraceRecord],
        node: &str,
        peer: Option<&str>,
        kind: EventKind,
        detail: Option<&str>,
        count: &CountRange,
    ) -> Result<(), String> {
        let n = events(trace, node, peer)
            .filter(|r| kind.matches(r))
            .filter(|r| detail.is_none_or(|d| r.decision.contains(d) || r.subject.contains(d)))
            .count() as u64;
        if count.contains(n) {
            return Ok(());
        }
        let with = peer.map_or_else(String::new, |p| format!(" with {p}"));
        let containing = detail.map_or_else(String::new, |d| format!(" containing {d:?}"));
        Err(format!(
            "{node} reported {n} `{}` events{with}{containing}, expected {count}",
            kind.trace_text()
        ))
    }

    /// The step labelled `label` ended ok (`ok`) or failed (with `reason` in its error).
    pub(crate) fn outcome<'r>(
        records: impl IntoIterator<Item = &'r ActionRecord>,
        label: &str,
        ok: bool,
        reason: Option<&str>,
    ) -> Result<(), String> {
        let Some(record) = records
            .into_iter()
            .find(|r| r.label.as_deref() == Some(label))
        else {
            return Err(format!("no step labelled {label:?} has started"));
        };
        match (&record.outcome, ok) {
            (None, _) => Err(format!("step {label:?} has not finished")),
            (Some(o), true) if o.is_ok() => Ok(()),
            (Some(Outcome::Failed(why)), false) if reason.is_none_or(|r| why.contains(r)) => Ok(()),
            (Some(o), _) => Err(format!("step {label:?} ended {}", o.describe())),
        }
    }

    /// `count` of `node`'s trace lines contain `text`.
    pub(crate) fn trace_lines(
        trace: &[TraceRecord],
        node: &str,
        text: &str,
        count: &CountRange,
    ) -> Result<(), String> {
        let n = trace
            .iter()
            .filter(|r| r.node == node && r.text().contains(text))
            .count() as u64;
        if count.contains(n) {
            Ok(())
        } else {
            Err(format!(
                "{n} trace lines of {node} contain {text:?}, expected {count}"
            ))
        }
    }

    /// Datagrams matching `counter` in the trace (sent by `node`, if given).
    pub(crate) fn datagrams(
        trace: &[TraceRecord],
        counter: DatagramCounter,
        node: Option<&str>,
    ) -> u64 {
        trace
            .iter()
            .filter(|r| counter.matches(r))
            .filter(|r| node.is_none_or(|n| r.node == n))
            .count() as u64
    }

    /// `n` datagrams of `counter` (by `node`) are within `count`.
    pub(crate) fn datagram_count(
        n: u64,
        counter: DatagramCounter,
        node: Option<&str>,
        count: &CountRange,
    ) -> Result<(), String> {
        if count.contains(n) {
            return Ok(());
        }
        Err(format!(
            "{n} datagrams {}{}, expected {count}",
            serde_json::to_value(counter)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            node.map_or_else(String::new, |n| format!(" by {n}"))
        ))
    }
}

impl judge::Observed for Simulation {
    fn with_trace<R>(&self, f: impl FnOnce(&[TraceRecord]) -> R) -> R {
        f(&self.world.recorder.borrow().trace.records)
    }

    fn action_records(&self) -> impl Iterator<Item = &super::ActionRecord> {
        self.records.values()
    }

    fn session(
        &self,
        node: &str,
        peer: &str,
        kind: Option<SessionKind>,
        present: bool,
    ) -> Result<(), String> {
        self.check_session(node, peer, kind, present)
    }

    fn node_counter(&self, node: &str, counter: NodeCounter) -> Result<u64, String> {
        self.index(node)
            .ok()
            .and_then(|i| self.host(i))
            .and_then(|h| h.with_node(|n| counter.read(n)))
            .ok_or_else(|| format!("{node} is not running"))
    }
}

impl Simulation {
    /// `Ok` if `expectation` holds now, else what was seen instead.
    pub(super) fn check_expectation(&self, expectation: &Expectation) -> Result<(), String> {
        judge::check(self, expectation)
    }

    fn check_session(
        &self,
        node: &str,
        peer: &str,
        kind: Option<SessionKind>,
        present: bool,
    ) -> Result<(), String> {
        let host = self
            .index(node)
            .ok()
            .and_then(|i| self.host(i))
            .ok_or_else(|| format!("no node {node}"))?;
        let peer_addr = self
            .index(peer)
            .ok()
            .and_then(|i| self.host(i))
            .map(|h| h.addr)
            .ok_or_else(|| format!("no node {peer}"))?;
        let held: Vec<(u16, SessionKind)> = host
            .with_node(|n| {
                n.sessions()
                    .sessions()
                    .filter(|s| s.context().peer_address == Some(peer_addr))
                    .map(|s| {
                        let k = if s.is_pase() {
                            SessionKind::Pase
                        } else {
                            SessionKind::Case
                        };
                        (s.id(), k)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let matching = held
            .iter()
            .filter(|(_, k)| kind.is_none_or(|want| *k == want))
            .count();
        let what = kind.map_or("", kind_name);
        let listed = || {
            if held.is_empty() {
                "none".to_owned()
            } else {
                held.iter()
                    .map(|(id, k)| format!("{} s={id}", kind_name(*k)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        match (present, matching) {
            (true, 0) => Err(format!(
                "{node} holds no {what} session with {peer} (holds: {})",
                listed()
            )
            .replace("  ", " ")),
            (false, n) if n > 0 => Err(format!(
                "{node} still holds a {what} session with {peer} ({})",
                listed()
            )
            .replace("  ", " ")),
            _ => Ok(()),
        }
    }
}
