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

/// Something a stack needs that is not installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The stack that needs it.
    pub stack: Stack,
    /// What is missing.
    pub what: String,
    /// The one command that installs it.
    pub install: String,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}; install it with `{}`",
            self.stack.name(),
            self.what,
            self.install
        )
    }
}

/// The oldest Node.js the pinned matter.js runs on (its `engines`).
pub const NODE_MIN: (u32, u32) = (20, 19);

/// What `stacks` need that this machine does not have: for `matterjs`, Node.js on the PATH
/// and the pinned packages in `sim/interop/matterjs/node_modules`. Empty when all is there.
/// Nothing is started but `node --version`.
pub fn preflight(stacks: &[Stack]) -> Vec<Missing> {
    if !stacks.contains(&Stack::Matterjs) {
        return Vec::new();
    }
    match paseo_sim::interop::peer::MatterJsPeer::script_dir() {
        Ok(dir) => preflight_in(stacks, &dir, "node"),
        // The directory itself cannot be found: nothing to install into until it is.
        Err(e) => vec![Missing {
            stack: Stack::Matterjs,
            what: e.to_string(),
            install: "export PASEO_MATTERJS_DIR=<checkout>/sim/interop/matterjs \
                      && npm ci --prefix \"$PASEO_MATTERJS_DIR\""
                .to_owned(),
        }],
    }
}

/// [`preflight`] with the matter.js directory and the Node.js command given.
pub fn preflight_in(stacks: &[Stack], matterjs_dir: &Path, node: &str) -> Vec<Missing> {
    let mut missing = Vec::new();
    if !stacks.contains(&Stack::Matterjs) {
        return missing;
    }
    let stack = Stack::Matterjs;
    let node_install = "sudo apt-get install nodejs npm".to_owned();
    match std::process::Command::new(node).arg("--version").output() {
        Err(e) => missing.push(Missing {
            stack,
            what: format!("Node.js (`{node}`) cannot be started ({e})"),
            install: node_install,
        }),
        Ok(out) => {
            let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if !out.status.success() || !node_at_least(&version, NODE_MIN) {
                missing.push(Missing {
                    stack,
                    what: format!(
                        "Node.js >= {}.{} is needed, `{node} --version` says `{version}`",
                        NODE_MIN.0, NODE_MIN.1
                    ),
                    install: node_install,
                });
            }
        }
    }
    if !paseo_sim::interop::peer::MatterJsPeer::installed(matterjs_dir) {
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| matterjs_dir.strip_prefix(cwd).ok().map(Path::to_owned))
            .unwrap_or_else(|| matterjs_dir.to_owned());
        missing.push(Missing {
            stack,
            what: format!(
                "the pinned matter.js packages are not installed in {}",
                matterjs_dir.join("node_modules").display()
            ),
            install: format!(
                "npm ci --prefix {}",
                crate::invocation::shell_word(&shown.display().to_string())
            ),
        });
    }
    missing
}

/// Whether `version` (`v20.19.0`) is at least `min` (major, minor).
fn node_at_least(version: &str, min: (u32, u32)) -> bool {
    let mut parts = version.trim_start_matches('v').split('.');
    let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok());
    match (next(), next()) {
        (Some(major), Some(minor)) => (major, minor) >= min,
        _ => false,
    }
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
                        "{} conform {} --peer matterjs",
                        crate::invocation::command(),
                        crate::invocation::shell_word(&file.display().to_string())
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
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_versions() {
        assert!(node_at_least("v20.19.0", NODE_MIN));
        assert!(node_at_least("v22.1.3", NODE_MIN));
        assert!(!node_at_least("v20.18.9", NODE_MIN));
        assert!(!node_at_least("v18.20.0", NODE_MIN));
        assert!(!node_at_least("", NODE_MIN));
    }

    #[test]
    fn preflight_names_what_is_missing_and_the_command_that_installs_it() {
        let empty = std::env::temp_dir().join(format!("paseo-preflight-{}", std::process::id()));
        std::fs::create_dir_all(&empty).expect("temp dir");
        assert_eq!(
            preflight_in(&[Stack::Paseo], &empty, "no-such-node"),
            vec![]
        );
        let missing = preflight_in(
            &[Stack::Paseo, Stack::Matterjs],
            &empty,
            "paseo-no-such-node",
        );
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(
            missing[0]
                .what
                .starts_with("Node.js (`paseo-no-such-node`) cannot be started")
        );
        assert_eq!(missing[0].install, "sudo apt-get install nodejs npm");
        assert!(missing[1].what.contains("node_modules"), "{:?}", missing[1]);
        assert_eq!(
            missing[1].install,
            format!("npm ci --prefix {}", empty.display())
        );
        let _ = std::fs::remove_dir_all(&empty);
    }
}
