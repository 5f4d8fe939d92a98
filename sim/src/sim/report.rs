//! How long a run goes, and what it produced.

use std::collections::BTreeMap;
use std::time::Duration;

use paseo_core::node::NodeStats;
use paseo_core::session::keys::KeyLogEntry;
use paseo_core::time::Instant;
use serde::Serialize;

use crate::command::{ActionId, Outcome};
use crate::oracle::{OracleKind, Violation};
use crate::trace::Trace;

/// How long to run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// End of the fault phase (virtual time since the start). The run ends earlier when
    /// everything is done and quiet.
    pub limit: Duration,
    /// Length of the liveness phase after it (network healed); `None`: no liveness phase.
    pub liveness: Option<Duration>,
    /// In the liveness phase, send one reliable probe each way on every live session.
    pub probes: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            limit: Duration::from_secs(60),
            liveness: Some(Duration::from_secs(30)),
            probes: true,
        }
    }
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndReason {
    /// Every action done, no timer pending, nothing in flight.
    Quiet,
    /// The time limit was reached (no liveness phase).
    TimeLimit,
    /// An oracle fired.
    Violation,
    /// A host's software failed (turmoil error).
    HostError(String),
}

/// What became of one action.
#[derive(Clone, Debug, Serialize)]
pub struct ActionRecord {
    /// The action, in one line.
    pub action: String,
    /// Its label ([`crate::Action::Labelled`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// When it was started.
    #[serde(rename = "started_us", serialize_with = "micros")]
    pub started: Instant,
    /// When it finished, if it did.
    #[serde(rename = "finished_us", serialize_with = "opt_micros")]
    pub finished: Option<Instant>,
    /// How.
    pub outcome: Option<Outcome>,
}

fn micros<S: serde::Serializer>(at: &Instant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(at.as_micros())
}

fn opt_micros<S: serde::Serializer>(at: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_some(&at.as_micros()),
        None => s.serialize_none(),
    }
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// The scenario name.
    pub scenario: String,
    /// The command that replays this run.
    pub replay: String,
    /// Every record, in order.
    pub trace: Trace,
    /// Oracle violations (the run stopped at the first step that had one).
    pub violations: Vec<Violation>,
    /// Why it ended.
    pub end: EndReason,
    /// Virtual time at the end.
    pub ended_at: Instant,
    /// Statistics of each node's current incarnation, by name.
    pub stats: BTreeMap<String, NodeStats>,
    /// Every action and its outcome, by id.
    pub actions: BTreeMap<ActionId, ActionRecord>,
    /// turmoil steps taken.
    pub steps: u64,
    /// Application messages sent, and how many were delivered at least once.
    pub messages: (usize, usize),
    /// When the time limit ended the fault phase (something was still running, waiting to
    /// start or in flight); `None` if the run was done and quiet before it.
    pub time_limit_reached: Option<Instant>,
    /// The keys of every secure session of the run (both ends are ours), for `--keylog`;
    /// never part of the trace.
    pub keylog: Vec<KeyLogEntry>,
}

impl RunReport {
    /// SHA-256 of the text trace.
    pub fn trace_hash(&self) -> String {
        self.trace.hash()
    }

    /// The key log file: one [`KeyLogEntry::line`] per session, each ending in `\n`.
    pub fn keylog_text(&self) -> String {
        self.keylog.iter().map(|e| e.line() + "\n").collect()
    }

    /// No violation and no host error.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty() && !matches!(self.end, EndReason::HostError(_))
    }

    /// `seed=… scenario=…` and the replay command.
    pub fn replay_hint(&self) -> String {
        format!(
            "seed={} scenario={}\nreplay: {}",
            self.seed, self.scenario, self.replay
        )
    }

    /// Panics with the violations, the seed and the replay command unless the run is ok.
    #[track_caller]
    pub fn assert_ok(&self) {
        if !self.is_ok() {
            let mut text = String::new();
            for v in &self.violations {
                text.push_str(&format!("  {v}\n"));
            }
            panic!(
                "simulation failed ({:?}):\n{text}{}",
                self.end,
                self.replay_hint()
            );
        }
    }

    /// The violations of one oracle.
    pub fn violations_of(&self, oracle: OracleKind) -> Vec<&Violation> {
        self.violations
            .iter()
            .filter(|v| v.oracle == oracle)
            .collect()
    }

    /// The application-level events of every node (trace records of kind `event`), in order.
    pub fn events(&self) -> Vec<&crate::trace::TraceRecord> {
        self.trace
            .records
            .iter()
            .filter(|r| r.kind == crate::trace::RecordKind::Event)
            .collect()
    }

    /// Whether the action labelled `label` ran past the time limit: it had not finished
    /// (or not started) when the fault phase ended, so whatever it did after that happened on
    /// the network the liveness phase healed.
    pub fn past_time_limit(&self, label: &str) -> bool {
        let Some(limit) = self.time_limit_reached else {
            return false;
        };
        self.outcome_of(label)
            .and_then(|r| r.finished)
            .is_none_or(|finished| finished > limit)
    }

    /// The record of the action labelled `label`.
    pub fn outcome_of(&self, label: &str) -> Option<&ActionRecord> {
        self.actions
            .values()
            .find(|r| r.label.as_deref() == Some(label))
    }

    /// Outcomes of finished actions, in id order.
    pub fn outcomes(&self) -> Vec<(ActionId, Outcome)> {
        self.actions
            .iter()
            .filter_map(|(id, r)| r.outcome.clone().map(|o| (*id, o)))
            .collect()
    }
}
