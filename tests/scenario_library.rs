//! The scenario library (`scenarios/*.yaml`, the shrunk findings of `paseo explore` in
//! `scenarios/regressions/*.yaml` and the README's examples in `scenarios/examples/*.yaml`),
//! one test per scenario file and check, so one failure does
//! not hide the next and each can be run alone:
//!
//! - `<file>::at_its_seed_matches_its_snapshot`: the file at its default seed passes and its
//!   report (trace, steps, verdict) matches `snapshots/<name>.snap` (names are unique across
//!   the directories). Scenarios that need a capability this build lacks (`requires: [case]`
//!   while CASE is not in the node) must parse and are reported skipped.
//! - `<file>::is_deterministic`: the same seed gives the same trace, another seed another.
//! - `<file>::keeps_oracles_and_expectations_over_N_seeds`: seeds `0..N` (50, fewer for the
//!   heavy ones) pass their oracles and expectations (library files only: regressions are
//!   pinned to the seed that found them).
//! - `library::…`: checks over the whole library (size, unique names, CASE-gated scenarios).
//!
//! `<file>` is the file name without `.yaml`, dashes written as underscores (regressions under
//! `regressions::`, examples under `examples::`): `cargo test --test scenario_library pase_lossy` (or `pase-lossy`: a dash in
//! the filter is read as an underscore) runs the three tests of `scenarios/pase-lossy.yaml`;
//! `-- --list` lists them all. The harness is libtest-mimic (`harness = false` in Cargo.toml),
//! so nextest runs and lists each test too.
//!
//! Accept changed traces with `cargo insta review` (or `INSTA_UPDATE=always cargo test`);
//! with `CI=true` a mismatch fails.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use paseo::report::{self, Detail};
use paseo::run::{self, Verdict};
use paseo::scenario::{self, Scenario};
use paseo::sweep;

/// Seeds swept per scenario.
const SWEEP_SEEDS: u64 = 50;

/// Scenarios swept over fewer seeds: ten PASE handshakes per run make multi-node pairing about
/// five times as slow as the others in a debug build (the release sweep covers 0..200).
/// hostile-session-ids installs 65534 placeholder sessions per run (about 3 s in a debug build).
const HEAVY: [(&str, u64); 2] = [("multi-node-pairing", 10), ("hostile-session-ids", 3)];

/// The library has at least this many files in `scenarios/` (a lost directory is a failure,
/// not an empty pass).
const MIN_LIBRARY: usize = 16;

/// At least this many scenarios say `requires: [case]`.
const MIN_CASE_GATED: usize = 5;

/// A scenario file: its test-name prefix, its directory and what loading it gave.
struct Entry {
    prefix: String,
    group: Group,
    loaded: Result<Scenario, String>,
}

/// Where a scenario file lives.
#[derive(Clone, Copy, PartialEq)]
enum Group {
    /// `scenarios/*.yaml`.
    Library,
    /// `scenarios/regressions/`: the shrunk findings of `paseo explore`.
    Regressions,
    /// `scenarios/examples/`: the README's "Write your first scenario".
    Examples,
}

impl Group {
    fn dir(self) -> &'static str {
        match self {
            Group::Library => "",
            Group::Regressions => "regressions",
            Group::Examples => "examples",
        }
    }
}

/// `pase-lossy.yaml` -> `pase_lossy`; under `scenarios/regressions/`, `regressions::…`, under
/// `scenarios/examples/`, `examples::…`.
fn prefix(path: &Path, group: Group) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().replace(['-', '.'], "_"))
        .unwrap_or_default();
    match group {
        Group::Library => stem,
        _ => format!("{}::{stem}", group.dir()),
    }
}

fn entries() -> Result<Vec<Entry>, String> {
    let mut paths: Vec<(PathBuf, Group)> = scenario::files(Path::new("scenarios"))
        .map_err(|e| format!("scenarios/ is not readable: {e}"))?
        .into_iter()
        .map(|p| (p, Group::Library))
        .collect();
    for sub in [Group::Regressions, Group::Examples] {
        let dir = Path::new("scenarios").join(sub.dir());
        if dir.is_dir() {
            let found = scenario::files(&dir)
                .map_err(|e| format!("{} is not readable: {e}", dir.display()))?;
            paths.extend(found.into_iter().map(|p| (p, sub)));
        }
    }
    Ok(paths
        .into_iter()
        .map(|(path, group)| Entry {
            prefix: prefix(&path, group),
            group,
            loaded: scenario::load(&path).map_err(|e| e.render()),
        })
        .collect())
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if ok { Ok(()) } else { Err(message().into()) }
}

/// The file at its default seed: passes (or is skipped for exactly the capabilities it lacks)
/// and matches its snapshot.
fn at_its_seed_matches_its_snapshot(s: &Scenario) -> Result<(), Failed> {
    let run = run::run(s, s.seed);
    if s.requires.iter().any(|r| r == "case") {
        // CASE is in the node: the scenarios gated on it run and pass like the others.
        let expected = if paseo_sim::CASE_IN_NODE {
            Verdict::Pass
        } else {
            Verdict::Skipped(vec!["case".into()])
        };
        check(run.verdict == expected, || {
            format!("{}: {:?}, expected {expected:?}", s.name, run.verdict)
        })?;
    }
    if let Verdict::Skipped(missing) = &run.verdict {
        eprintln!("skipped {}: needs {}", s.name, missing.join(", "));
        return check(
            !missing.is_empty() && *missing == s.missing_capabilities(),
            || format!("{}: skipped for {missing:?}", s.name),
        );
    }
    let text = report::text(s, &run, Detail::Trace);
    check(run.verdict == Verdict::Pass, || text.clone())?;
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        description => s.description.clone(),
        omit_expression => true,
    }, {
        insta::assert_snapshot!(s.name.clone(), text);
    });
    Ok(())
}

fn is_deterministic(s: &Scenario) -> Result<(), Failed> {
    let hash = |seed| {
        run::run(s, seed)
            .report
            .map(|r| r.trace_hash())
            .ok_or_else(|| Failed::from(format!("{} at seed {seed}: no report", s.name)))
    };
    let first = hash(s.seed)?;
    check(first == hash(s.seed)?, || {
        format!("{} is not deterministic", s.name)
    })?;
    check(first != hash(s.seed + 1)?, || {
        format!("{}: the seed changes nothing", s.name)
    })
}

fn keeps_oracles_and_expectations(s: &Scenario, seeds: u64) -> Result<(), Failed> {
    let scenarios = std::slice::from_ref(s);
    // One thread per sweep: the harness already runs tests in parallel.
    let results = sweep::sweep(scenarios, 0..seeds, 1, &|| {});
    check(results.len() as u64 == seeds, || {
        format!("{} runs for {seeds} seeds", results.len())
    })?;
    let summary = sweep::summary(scenarios, &(0..seeds), &results);
    check(sweep::exit_code(&results) == run::EXIT_PASS, || {
        summary.clone()
    })?;
    check(results.iter().all(|r| r.verdict == Verdict::Pass), || {
        summary
    })
}

/// The `yaml` code blocks of a Markdown text, each without the indentation of its fence.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match open.take() {
            None if trimmed == "```yaml" => open = Some((indent, String::new())),
            None => {}
            Some((_, block)) if trimmed == "```" => blocks.push(block),
            Some((indent, mut block)) => {
                block.push_str(line.get(indent..).unwrap_or("").trim_end());
                block.push('\n');
                open = Some((indent, block));
            }
        }
    }
    blocks
}

/// "Write your first scenario" in README.md shows `scenarios/examples/*.yaml` as they are, so
/// what a newcomer copies is what this suite runs.
fn readme_shows_the_example_files() -> Result<(), Failed> {
    let readme = std::fs::read_to_string("README.md").map_err(|e| format!("README.md: {e}"))?;
    let blocks = yaml_blocks(&readme);
    let files = scenario::files(Path::new("scenarios/examples"))
        .map_err(|e| format!("scenarios/examples/: {e}"))?;
    check(files.len() >= 2, || {
        format!("{} example files", files.len())
    })?;
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        check(blocks.contains(&text), || {
            format!("README.md has no yaml block equal to {}", file.display())
        })?;
    }
    Ok(())
}

/// Checks over the whole library.
fn library_trials(entries: &[Entry]) -> Vec<Trial> {
    let in_library = entries.iter().filter(|e| e.group == Group::Library).count();
    let mut names: Vec<String> = entries
        .iter()
        .filter_map(|e| e.loaded.as_ref().ok().map(|s| s.name.clone()))
        .collect();
    let case_gated = entries
        .iter()
        .filter_map(|e| e.loaded.as_ref().ok())
        .filter(|s| s.requires.iter().any(|r| r == "case"))
        .count();
    vec![
        Trial::test("library::has_its_scenario_files", move || {
            check(in_library >= MIN_LIBRARY, || {
                format!("the library has {in_library} files")
            })
        }),
        Trial::test("library::names_are_unique", move || {
            names.sort_unstable();
            let count = names.len();
            names.dedup();
            check(names.len() == count, || {
                "two scenarios share a name (and a snapshot)".into()
            })
        }),
        Trial::test(
            "library::readme_shows_the_example_files",
            readme_shows_the_example_files,
        ),
        Trial::test("library::has_scenarios_that_need_case", move || {
            check(case_gated >= MIN_CASE_GATED, || {
                format!("{case_gated} scenarios need CASE")
            })
        }),
    ]
}

fn trials(entries: Vec<Entry>) -> Vec<Trial> {
    let mut sweeps = Vec::new();
    let mut others = library_trials(&entries);
    for entry in entries {
        let prefix = entry.prefix;
        let s = match entry.loaded {
            Ok(s) => s,
            Err(rendered) => {
                others.push(Trial::test(format!("{prefix}::loads"), move || {
                    Err(rendered.into())
                }));
                continue;
            }
        };
        let snapshot = s.clone();
        others.push(Trial::test(
            format!("{prefix}::at_its_seed_matches_its_snapshot"),
            move || at_its_seed_matches_its_snapshot(&snapshot),
        ));
        if !s.missing_capabilities().is_empty() {
            continue;
        }
        let deterministic = s.clone();
        others.push(Trial::test(
            format!("{prefix}::is_deterministic"),
            move || is_deterministic(&deterministic),
        ));
        // Regressions are pinned to the seed that found them (some expect a failure only that
        // seed's losses cause); the sweep covers the library itself.
        if entry.group == Group::Regressions {
            continue;
        }
        let seeds = HEAVY
            .iter()
            .find(|(name, _)| *name == s.name)
            .map_or(SWEEP_SEEDS, |(_, seeds)| *seeds);
        sweeps.push(Trial::test(
            format!("{prefix}::keeps_oracles_and_expectations_over_{seeds}_seeds"),
            move || keeps_oracles_and_expectations(&s, seeds),
        ));
    }
    // The sweeps are the long tests: start them first so the last ones running in parallel are
    // short.
    sweeps.extend(others);
    sweeps
}

fn main() -> std::process::ExitCode {
    let mut args = Arguments::from_args();
    // Test names spell file names with underscores; accept the file's own spelling too.
    args.filter = args.filter.map(|f| f.replace('-', "_"));
    args.skip = args.skip.iter().map(|f| f.replace('-', "_")).collect();
    let trials = match entries() {
        Ok(entries) => trials(entries),
        Err(why) => vec![Trial::test("library::is_readable", move || Err(why.into()))],
    };
    libtest_mimic::run(&args, trials).exit_code()
}
