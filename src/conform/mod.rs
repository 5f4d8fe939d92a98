//! `paseo conform`: one suite of scenarios, each run with every stack in the device role, and
//! a table of scenario × stack → pass / fail / deviation (docs/CONFORMANCE.md).
//!
//! A suite scenario marks its device `peer: any`. `paseo` runs it in the simulator with our
//! own device (deterministic, the reference); `matterjs` runs it with the matter.js device in
//! that node's place over loopback ([`crate::interop_run`]). Both runs are judged by the
//! scenario's own expectations, then their normalised traces ([`normalised`]) are compared:
//! a stack whose run passes but whose trace differs from the reference's is a deviation, shown
//! with the first differing event.

pub mod table;

use std::path::{Path, PathBuf};

use paseo_sim::trace::{RecordKind, Trace};

use crate::run::{self, Run, Verdict};
use crate::scenario::real_peer::PeerKind;
use crate::scenario::{self, Scenario};

/// A stack that can take the device role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Stack {
    /// Our own device, in the simulator (the reference).
    Paseo,
    /// The matter.js 0.17.9 device, over loopback.
    Matterjs,
}

impl Stack {
    /// Its name in tables and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Stack::Paseo => "paseo",
            Stack::Matterjs => "matterjs",
        }
    }
}

/// The verdict of one cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The run passed (and matched the reference, if there is one).
    Pass,
    /// The run passed but its normalised trace differs from the reference's.
    Deviation,
    /// The run failed (an oracle, an expectation, or the run itself).
    Fail,
}

impl Status {
    /// One word.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Deviation => "deviation",
            Status::Fail => "fail",
        }
    }
}

/// One scenario run by one stack.
#[derive(Clone, Debug)]
pub struct Cell {
    /// Which stack.
    pub stack: Stack,
    /// How it went.
    pub status: Status,
    /// The first differing event (deviation), or why it failed (fail); empty on pass.
    pub detail: String,
    /// The command that runs this cell again.
    pub replay: String,
    /// Its normalised trace.
    pub trace: Vec<String>,
}

/// One scenario across the stacks.
#[derive(Clone, Debug)]
pub struct Row {
    /// The scenario's name.
    pub scenario: String,
    /// Its file.
    pub file: String,
    /// One cell per stack, in the order asked.
    pub cells: Vec<Cell>,
}

/// Why a suite could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ConformError {
    /// The suite could not be listed.
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// No scenario in it.
    #[error("no scenario files (*.yaml) in {0}")]
    Empty(PathBuf),
    /// A file does not load.
    #[error("{0}")]
    Bad(String),
    /// A file is not a suite scenario.
    #[error("{0}: the device is not substitutable: mark it `peer: any`")]
    NotSubstitutable(String),
}

/// Runs every scenario of `suite` (a directory, or one file) with each of `stacks`.
pub fn conform(suite: &Path, stacks: &[Stack]) -> Result<Vec<Row>, ConformError> {
    let files = scenario::files(suite).map_err(|e| ConformError::Read(suite.to_owned(), e))?;
    if files.is_empty() {
        return Err(ConformError::Empty(suite.to_owned()));
    }
    let mut rows = Vec::new();
    for file in files {
        let reference = load(&file, None)?;
        let ours = reference
            .real_peer
            .as_ref()
            .filter(|p| p.kind == PeerKind::Any)
            .map(|p| p.ours.clone())
            .ok_or_else(|| ConformError::NotSubstitutable(file.display().to_string()))?;
        let mut reference_trace: Option<Vec<String>> = None;
        let mut cells = Vec::new();
        // The reference runs first, whatever the column order.
        let mut order: Vec<Stack> = stacks.to_vec();
        order.sort();
        for stack in order {
            let (scenario, replay) = match stack {
                Stack::Paseo => (reference.clone(), reference.replay_command(reference.seed)),
                Stack::Matterjs => (
                    load(&file, Some(PeerKind::Matterjs))?,
                    format!(
                        "cargo run --release -- conform {} --peer matterjs",
                        file.display()
                    ),
                ),
            };
            let run = run::run(&scenario, scenario.seed);
            let trace = run
                .report
                .as_ref()
                .map(|r| normalised(&r.trace, &ours))
                .unwrap_or_default();
            let (status, detail) = judge(&run, &trace, reference_trace.as_deref());
            if stack == Stack::Paseo {
                reference_trace = Some(trace.clone());
            }
            cells.push(Cell {
                stack,
                status,
                detail,
                replay,
                trace,
            });
        }
        cells.sort_by_key(|c| stacks.iter().position(|s| *s == c.stack));
        rows.push(Row {
            scenario: reference.name.clone(),
            file: file.display().to_string(),
            cells,
        });
    }
    Ok(rows)
}

fn load(file: &Path, substitute: Option<PeerKind>) -> Result<Scenario, ConformError> {
    scenario::load_with(file, substitute).map_err(|e| ConformError::Bad(e.render()))
}

fn judge(run: &Run, trace: &[String], reference: Option<&[String]>) -> (Status, String) {
    let difference = reference.and_then(|r| first_difference(r, trace));
    match &run.verdict {
        Verdict::Pass => match difference {
            None => (Status::Pass, String::new()),
            Some(d) => (Status::Deviation, d),
        },
        Verdict::Skipped(_) => (Status::Fail, run.verdict.reasons().join("; ")),
        other => {
            let mut why = other.reasons().join("; ");
            if let Some(d) = difference {
                why = format!("{why}; first difference: {d}");
            }
            (Status::Fail, why)
        }
    }
}

/// Where two normalised traces part: `#i: paseo `a` / this stack `b``.
pub fn first_difference(reference: &[String], other: &[String]) -> Option<String> {
    let at = reference
        .iter()
        .zip(other)
        .position(|(a, b)| a != b)
        .or_else(|| (reference.len() != other.len()).then(|| reference.len().min(other.len())))?;
    let show = |t: &[String]| {
        t.get(at)
            .map_or_else(|| "(end of trace)".to_owned(), |l| format!("`{l}`"))
    };
    Some(format!(
        "event {}: paseo {} / here {}",
        at + 1,
        show(reference),
        show(other)
    ))
}

/// What our node saw, without what varies between runs or stacks: the secure-channel
/// messages our node received and took (their type and our decision; standalone acks and
/// duplicates dropped) and its session events (opened, resumed, closed, handshake failed),
/// without times, counters or ids. Application messages are left out: the simulated device
/// answers our test messages, matter.js speaks the Interaction Model.
pub fn normalised(trace: &Trace, ours: &str) -> Vec<String> {
    let mut out = Vec::new();
    for r in trace.records.iter().filter(|r| r.node == ours) {
        match r.kind {
            RecordKind::Rx => {
                let Some(x) = r.header.as_ref().and_then(|h| h.exchange.as_ref()) else {
                    continue;
                };
                let decision = r.decision.clone();
                if x.protocol != "SC" || x.opcode == "StandaloneAck" || decision == "duplicate" {
                    continue;
                }
                out.push(format!("<- {}/{} : {decision}", x.protocol, x.opcode));
            }
            RecordKind::Event => {
                let d = &r.decision;
                if d.starts_with("session ") || d.contains("handshake failed") {
                    out.push(format!("** {d}"));
                }
            }
            _ => {}
        }
    }
    out
}
