//! The YAML scenario language: parse a file strictly ([`model`]), check what it refers to and
//! lower it onto the simulator ([`plan`]), report mistakes with file, line and column
//! ([`diagnostic`]). `docs/SCENARIOS.md` is the language reference.

pub mod diagnostic;
pub mod model;
pub mod plan;
pub mod real_peer;
pub mod recover;
pub mod units;

use std::path::Path;
use std::time::Duration;

use paseo_sim::{Action, Impairments, NodeSpec, RunOptions, SimConfig, SimError, Simulation};

pub use diagnostic::Diagnostic;
pub use model::{AfterTimeLimit, Expected};

/// A node of a checked scenario.
#[derive(Clone, Debug)]
pub struct NodePlan {
    /// Its name.
    pub name: String,
    /// How the simulator builds it.
    pub spec: NodeSpec,
}

/// What a step's outcome must be, checked after the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepCheck {
    /// The label its action runs under (its own, or `line N`).
    pub label: String,
    /// Where it is written.
    pub line: u64,
    /// One line on what it does.
    pub description: String,
    /// The outcome it must have.
    pub expected: Expected,
}

impl StepCheck {
    /// The label the scenario gave the step, if any (labels without one are `line N` or
    /// `join NODE FABRIC`, with a space no written label may hold).
    pub fn given_label(&self) -> Option<&str> {
        (!self.label.contains(' ')).then_some(self.label.as_str())
    }
}

/// A checked scenario, ready to run at any seed.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from, as given.
    pub path: String,
    /// Its name.
    pub name: String,
    /// One line on what it shows.
    pub description: String,
    /// Its default seed.
    pub seed: u64,
    /// Capabilities it needs.
    pub requires: Vec<String>,
    /// End of the fault phase.
    pub time_limit: Duration,
    /// Whether steps still running at the time limit fail (default) or may finish later.
    pub after_time_limit: model::AfterTimeLimit,
    /// Length of the liveness phase (`None`: none).
    pub liveness: Option<Duration>,
    /// Default impairments.
    pub network: Impairments,
    /// Per-link impairments: (from, to, impairments).
    pub links: Vec<(String, String, Impairments)>,
    /// Fabrics: (index, with ICAC).
    pub fabrics: Vec<(u8, bool)>,
    /// Nodes, in file order.
    pub nodes: Vec<NodePlan>,
    /// Top-level actions, run one after the other.
    pub actions: Vec<Action>,
    /// Every step's expected outcome.
    pub checks: Vec<StepCheck>,
    /// The real peer, if a node is one (`peer:`).
    pub real_peer: Option<real_peer::RealPeer>,
}

/// Why a scenario file could not be used: its diagnostics and its text (to render them).
#[derive(Clone, Debug)]
pub struct LoadError {
    /// The file's text (empty if it could not be read).
    pub source: String,
    /// Everything wrong, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Every diagnostic rendered with its source line.
    pub fn render(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(&self.source))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    load_with(path, None)
}

/// [`load`], with a `peer: any` device replaced by `substitute` (`paseo conform`).
pub fn load_with(
    path: &Path,
    substitute: Option<real_peer::PeerKind>,
) -> Result<Scenario, LoadError> {
    let shown = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| LoadError {
        source: String::new(),
        diagnostics: vec![Diagnostic::whole(
            &shown,
            format!("cannot read the file: {e}"),
        )],
    })?;
    parse_with(&shown, &source, substitute)
}

/// Checks scenario text; `path` names it in diagnostics.
pub fn parse(path: &str, source: &str) -> Result<Scenario, LoadError> {
    parse_with(path, source, None)
}

/// [`parse`], with a `peer: any` device replaced by `substitute` (`paseo conform`).
pub fn parse_with(
    path: &str,
    source: &str,
    substitute: Option<real_peer::PeerKind>,
) -> Result<Scenario, LoadError> {
    let fail = |diagnostics| LoadError {
        source: source.to_owned(),
        diagnostics,
    };
    let first = match strict(path, source) {
        Ok(file) => return plan::plan_with(path, file, substitute).map_err(fail),
        Err(first) => first,
    };
    // Take each mistake out and parse again, to report every one in this pass (only where the
    // YAML itself is well formed: a syntax error stops everything after it).
    let mut diagnostics = vec![first.0.clone()];
    if !is_yaml(source) {
        return Err(fail(diagnostics));
    }
    let mut last = first;
    let mut text = source.to_owned();
    // Names replaced by longer ones: (line, column, characters added).
    let mut shifts: Vec<(u64, u64, u64)> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut changed: Vec<(u64, u64)> = Vec::new();
    for _ in 0..MAX_RECOVERIES {
        let Some(next) = recover::repair(&text, &last.1, &last.2).filter(|r| is_yaml(&r.text))
        else {
            break;
        };
        text = next.text;
        shifts.extend(next.shift);
        removed.extend(next.removed);
        changed.extend(next.changed);
        match strict(path, &text) {
            Ok(file) => {
                // The semantic checks too, but not about a block we changed: what they would
                // say there (a counter entry left empty, say) follows from our repair.
                if let Err(more) = plan::plan_with(path, file, substitute) {
                    diagnostics.extend(
                        more.into_iter()
                            .filter(|d| {
                                changed
                                    .iter()
                                    .all(|(line, _)| !encloses(source, d.line, *line))
                            })
                            .map(|d| unshift(d, &shifts)),
                    );
                }
                break;
            }
            Err(error) => {
                // A key we took out, now missing: our doing, not the user's.
                let ours = missing_key(&error.1.message).is_some_and(|missing| {
                    removed
                        .iter()
                        .any(|k| diagnostic::nearest(k, [missing]).is_some())
                }) || emptied(&error.1.message)
                    || changed
                        .iter()
                        .any(|(line, column)| *line == error.1.line && *column <= error.1.column);
                let shown = unshift(error.0.clone(), &shifts);
                let seen = diagnostics
                    .iter()
                    .any(|d| (d.line, d.column) == (shown.line, shown.column));
                if ours || seen {
                    break;
                }
                diagnostics.push(shown);
                last = error;
            }
        }
    }
    diagnostics.sort_by_key(|d| (d.line, d.column));
    Err(fail(diagnostics))
}

/// Whether an error says a collection or value is missing where one is required: after a
/// repair, what taking out its only entry left behind (`network:` with nothing under it).
fn emptied(message: &str) -> bool {
    (message.starts_with("expected ") && message.ends_with(" start"))
        || message.contains("null")
        || message.contains("`~`")
}

/// The key a "missing field `x`" error names.
fn missing_key(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

/// Whether line `inner` is line `outer` or inside the block that starts there (every line
/// between them, blank and comment lines aside, is indented deeper than `outer`).
fn encloses(source: &str, outer: u64, inner: u64) -> bool {
    if inner < outer || outer == 0 {
        return false;
    }
    let indent = |l: &str| {
        let n = l.chars().take_while(|c| *c == ' ').count();
        let rest = l.trim_start_matches(' ');
        (!rest.is_empty() && !rest.starts_with('#')).then_some(n)
    };
    let lines: Vec<&str> = source.lines().collect();
    let skip = usize::try_from(outer).unwrap_or(usize::MAX);
    let take = usize::try_from(inner - outer).unwrap_or(usize::MAX);
    let Some(base) = lines.get(skip.saturating_sub(1)).and_then(|l| indent(l)) else {
        return false;
    };
    lines
        .iter()
        .skip(skip)
        .take(take)
        .all(|l| indent(l).is_none_or(|n| n > base))
}

/// A diagnostic found in a repaired text, moved back to the column the user wrote.
fn unshift(mut d: Diagnostic, shifts: &[(u64, u64, u64)]) -> Diagnostic {
    let moved: u64 = shifts
        .iter()
        .filter(|(line, column, _)| *line == d.line && *column < d.column)
        .map(|(_, _, by)| by)
        .sum();
    d.column = d.column.saturating_sub(moved);
    d
}

/// Whether `text` is well-formed YAML, whatever it holds (a key given twice included).
fn is_yaml(text: &str) -> bool {
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::FirstWins;
    serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(text, options).is_ok()
}

/// How many mistakes one file may report (each costs a parse).
const MAX_RECOVERIES: usize = 100;

/// The strict parse of `source`, or its first error: the diagnostic, the raw error and the
/// names allowed where a name was unknown.
fn strict(path: &str, source: &str) -> Result<model::File, Box<StrictError>> {
    serde_saphyr::from_str(source).map_err(|e| {
        let text = e.without_snippet().to_string();
        // The plain form ends in " at line L, column C"; the location is kept apart.
        let message = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(m, _)| m);
        let (explained, help) = diagnostic::explain_parse_error(message);
        let allowed = diagnostic::allowed_names(message);
        let location = e.location();
        let diagnostic = match &location {
            Some(at) => Diagnostic::at(path, at, explained),
            None => Diagnostic::whole(path, explained),
        }
        .maybe_help(help);
        let raw = recover::ParseError {
            line: location.as_ref().map_or(0, |l| l.line()),
            column: location.as_ref().map_or(0, |l| l.column()),
            message: message.to_owned(),
        };
        Box::new(StrictError(diagnostic, raw, allowed))
    })
}

/// A strict-parse error: its diagnostic, the parser's own error and the names allowed where a
/// name was unknown.
struct StrictError(Diagnostic, recover::ParseError, Vec<String>);

/// Scenario files under `path`: the file itself, or every `*.yaml`/`*.yml` of the directory,
/// sorted by name.
pub fn files(path: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    if path.is_dir() {
        let mut out: Vec<_> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        out.sort();
        Ok(out)
    } else {
        Ok(vec![path.to_path_buf()])
    }
}

/// Scenario files under `path`: the file itself, or every `*.yaml`/`*.yml` of the directory
/// and of its subdirectories (hidden ones aside), sorted by path.
pub fn files_recursive(path: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = files(path)?;
    let mut dirs: Vec<_> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    dirs.sort();
    for dir in dirs {
        out.extend(files_recursive(&dir)?);
    }
    out.sort();
    Ok(out)
}

impl Scenario {
    /// Whether it runs against a real stack (matter.js) rather than in the simulator.
    pub fn runs_real_peer(&self) -> bool {
        self.real_peer
            .as_ref()
            .is_some_and(|p| p.kind == real_peer::PeerKind::Matterjs)
    }

    /// Capabilities it needs that this build lacks.
    pub fn missing_capabilities(&self) -> Vec<String> {
        let have = Simulation::capabilities();
        self.requires
            .iter()
            .filter(|r| !have.contains(&r.as_str()))
            .cloned()
            .collect()
    }

    /// The command that replays this scenario at `seed`: paseo as the user started it
    /// ([`crate::invocation::command`]), the file as given.
    pub fn replay_command(&self, seed: u64) -> String {
        let (paseo, file) = (
            crate::invocation::command(),
            crate::invocation::shell_word(&self.path),
        );
        if self.runs_real_peer() {
            // Against a real peer the seed fixes our side only: `run` again.
            return format!("{paseo} run {file} --seed {seed}");
        }
        format!("{paseo} replay {file} --seed {seed}")
    }

    /// The simulation of this scenario at `seed`, every action scheduled.
    pub fn simulation(&self, seed: u64) -> Result<Simulation, SimError> {
        let config = SimConfig {
            replay: Some(format!(
                "{} replay {} --seed {{seed}}",
                crate::invocation::command(),
                crate::invocation::shell_word(&self.path)
            )),
            ..SimConfig::named(&self.name)
        };
        let mut sim = Simulation::new(seed, config);
        sim.set_default_impairments(self.network)?;
        for (index, icac) in &self.fabrics {
            sim.add_fabric(*index, *icac)?;
        }
        for node in &self.nodes {
            sim.add_node(&node.name, node.spec.clone())?;
        }
        for (from, to, imp) in &self.links {
            sim.set_link(from, to, *imp)?;
        }
        for action in &self.actions {
            sim.then(action.clone());
        }
        Ok(sim)
    }

    /// How long the simulation runs.
    pub fn run_options(&self) -> RunOptions {
        RunOptions {
            limit: self.time_limit,
            liveness: self.liveness,
            probes: true,
        }
    }
}
