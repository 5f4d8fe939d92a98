//! The command line: `run`, `replay`, `sweep`, `explore`, `check`, `conform` and `decode`. Each
//! subcommand prints what a person reads on stdout and returns the exit code; [`EXIT_CODES`]
//! is the table (README.md "Exit codes" and `paseo --help` show it).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use paseo_sim::trace::pcap::CapturePoint;
use serde_json::{Value, json};

use crate::progress::Progress;
use crate::report::{self, Detail};
use crate::run::{
    self, EXIT_BAD_SCENARIO, EXIT_CANNOT_WRITE, EXIT_INTERNAL, EXIT_NOT_JUDGED, EXIT_PASS,
    EXIT_USAGE,
};
use crate::scenario::{self, Scenario};
use crate::shard::Shard;
use crate::sweep::Coverage;
use crate::sweep_results::{self, SweepFile};
use crate::{decode, html, invocation, sweep};

/// The exit codes, as `paseo --help` prints them (README.md has the same table).
pub const EXIT_CODES: &str = "\
Exit codes:
  0   pass: every run judged, and every run passed
  1   an invariant (oracle) was violated
  2   an expectation or liveness failed (conform: a failing cell)
  3   bad input: a scenario file, a seed range, a shard, a results file, datagram hex
  4   internal error: the simulator failed (a bug of paseo)
  5   not judged: a run was skipped (needs a capability this build lacks) or a real peer
      it needs is not installed
  64  usage: the command line does not parse (unknown flag, missing argument, bad value)
  73  cannot write an output file or directory (--trace, --pcap, --mermaid, --html,
      --json FILE, --out); the message names the path
A sweep or explore exits with the worst of its runs: 4, then 1, then 2, then 5.";

/// Deterministic simulation and conformance harness for the Matter session layer.
///
/// Every failure prints `seed=… scenario=…` and the command that replays it.
#[derive(Debug, Parser)]
#[command(name = "paseo", version, about, long_about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where to write the trace's other forms.
#[derive(Debug, clap::Args)]
pub struct Outputs {
    /// Write the trace as JSON lines (one object per record) to FILE.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write every datagram sent as a pcap capture (IPv6/UDP port 5540) to FILE; Wireshark
    /// decodes it as Matter with tools/wireshark/matter.lua.
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Write every secure session's keys (one MATTER_SESSION line each) to FILE, for the
    /// Wireshark dissector and `paseo decode --keylog`.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Write a Mermaid sequence diagram of the run to FILE.
    #[arg(long, value_name = "FILE")]
    mermaid: Option<PathBuf>,
    /// Write a self-contained HTML viewer of the run (timeline, datagram details) to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// How `run` and `replay` report a run.
#[derive(Debug, clap::Args)]
pub struct Report {
    /// Print one JSON object (verdict, steps, violations, trace hash) instead of text; errors
    /// too are one JSON object (`verdict`, `exit_code`, `error`).
    #[arg(long)]
    json: bool,
    /// Leave the trace out of the text output.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    outputs: Outputs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario: prints the header (scenario, seed), the trace, each step's outcome and
    /// the verdict.
    Run {
        /// The scenario file (YAML).
        file: PathBuf,
        /// Seed (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        report: Report,
    },
    /// Replay one seed of a scenario with its full trace (the command failures print).
    Replay {
        /// The scenario file (YAML).
        file: PathBuf,
        /// The seed to replay.
        #[arg(long)]
        seed: u64,
        #[command(flatten)]
        report: Report,
    },
    /// Run scenarios over a range of seeds: a summary table and every failing seed with its
    /// replay command. The output is the same for any number of jobs. `--shard K/N` runs one
    /// slice of the seeds; `paseo sweep merge` combines the slices' `--json` results.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        merge: Option<SweepMerge>,
        /// A scenario file, or a directory of them.
        #[arg(required = true)]
        path: Option<PathBuf>,
        /// Seeds `A..B` (B excluded) or `A..=B`.
        #[arg(long, default_value = "0..100")]
        seeds: String,
        /// Threads to run on.
        #[arg(long, short, default_value_t = 1)]
        jobs: usize,
        /// Run only shard K of N: the seeds s with (s - A) mod N = K. K is 0-based (as
        /// JOB_COMPLETION_INDEX and matrix indices are).
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Also write the results as JSON to FILE (what `paseo sweep merge` reads).
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// Generate adversarial scenarios (topology, handshakes, faults) from each seed, run them
    /// with every oracle and liveness, shrink each failure to a minimal scenario and write it
    /// to OUT/explore-<seed>.yaml; then say what was generated (steps of each kind). The output
    /// is the same for any number of jobs. `--print SEED` prints one generated scenario.
    Explore {
        /// Print the scenario generated from SEED (as explore runs it) and run nothing.
        #[arg(long, value_name = "SEED", conflicts_with_all = ["seeds", "out", "jobs", "shrink_budget"])]
        print: Option<u64>,
        /// Seeds `A..B` (B excluded) or `A..=B`.
        #[arg(long, default_value = "0..100")]
        seeds: String,
        /// Where shrunk failing scenarios are written.
        #[arg(long, default_value = "scenarios/regressions")]
        out: PathBuf,
        /// Threads to run on.
        #[arg(long, short, default_value_t = 1)]
        jobs: usize,
        /// Runs a shrink may take at most.
        #[arg(long, default_value_t = crate::explore::SHRINK_BUDGET)]
        shrink_budget: u32,
    },
    /// Check scenario files without running them (exit 3 if any is bad).
    Check {
        /// A scenario file, or a directory of them.
        path: PathBuf,
    },
    /// Run a conformance suite (scenarios whose device is `peer: any`) with each stack in the
    /// device role and write conformance.md and conformance.html: scenario × stack → pass,
    /// fail or deviation (first differing event), with replay commands. Every stack asked for
    /// must be installed (exit 5 with the command that installs it, before anything runs).
    Conform {
        /// A directory of suite scenarios, or one file.
        suite: PathBuf,
        /// The stacks to put in the device role, in column order (`paseo` is the reference).
        #[arg(long = "peer", value_enum, default_values_t = [crate::conform::Stack::Paseo, crate::conform::Stack::Matterjs])]
        peers: Vec<crate::conform::Stack>,
        /// Where to write conformance.md and conformance.html (default: print the Markdown).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Decode one Matter datagram given as hex: message header, protocol header and payload
    /// TLV, decrypted with --keys or --keylog on a secure session; or, with --pcap, every
    /// datagram of a capture as trace lines (and --html, the viewer).
    Decode(decode::DecodeArgs),
}

/// `paseo sweep merge`.
#[derive(Debug, Subcommand)]
enum SweepMerge {
    /// Combine the `--json` results of every shard of one sweep: prints the summary a single
    /// process prints (and exits with its code); errors on overlapping or missing shards or
    /// results of different sweeps.
    Merge {
        /// The shards' results files, in any order.
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// Also write the merged results as JSON to FILE (as a whole sweep writes them).
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
}

/// Runs the command line; returns the exit code.
pub fn main() -> u8 {
    let args: Vec<OsString> = std::env::args_os().collect();
    invocation::set(invocation::detect(
        args.first().map(OsString::as_os_str),
        &|name| std::env::var(name).ok(),
        std::env::current_exe().ok().as_deref(),
    ));
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e, &args),
    };
    match cli.command {
        Command::Run { file, seed, report } => run_one(&file, seed, &report),
        Command::Replay { file, seed, report } => run_one(&file, Some(seed), &report),
        Command::Sweep {
            merge: Some(SweepMerge::Merge { results, json }),
            ..
        } => merge_cmd(&results, json.as_deref()),
        Command::Sweep {
            merge: None,
            path,
            seeds,
            jobs,
            shard,
            json,
        } => match path {
            Some(path) => sweep_cmd(&path, &seeds, jobs, shard.as_deref(), json.as_deref()),
            // clap requires the path when there is no subcommand.
            None => EXIT_USAGE,
        },
        Command::Explore {
            print: Some(seed), ..
        } => explore_print(seed),
        Command::Explore {
            print: None,
            seeds,
            out,
            jobs,
            shrink_budget,
        } => explore_cmd(&seeds, &out, jobs, shrink_budget),
        Command::Check { path } => check(&path),
        Command::Conform { suite, peers, out } => conform_cmd(&suite, &peers, out.as_deref()),
        Command::Decode(args) => decode::main(&args),
    }
}

/// A command line clap rejects: help and version exit 0, anything else is a usage error
/// (exit 64) on stderr, and also one JSON object on stdout when `--json` asked for JSON on
/// stdout (`run`, `replay`, `decode`).
fn usage_error(e: &clap::Error, args: &[OsString]) -> u8 {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return EXIT_PASS;
    }
    let _ = e.print();
    if wants_json_on_stdout(args) {
        print_error_json(
            json!({}),
            "ERROR (usage)",
            EXIT_USAGE,
            e.to_string().trim_end(),
        );
    }
    EXIT_USAGE
}

/// Whether the arguments ask for JSON on stdout: `--json` to `run`, `replay` or `decode`
/// (`sweep --json FILE` writes a file).
fn wants_json_on_stdout(args: &[OsString]) -> bool {
    let words: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    let sub = words.iter().find(|w| !w.starts_with('-'));
    matches!(sub, Some(&("run" | "replay" | "decode"))) && words.contains(&"--json")
}

/// Prints one JSON object for an error: `fields` with `verdict`, `exit_code` and `error`.
fn print_error_json(mut fields: Value, verdict: &str, code: u8, error: &str) {
    if let Some(map) = fields.as_object_mut() {
        map.insert("verdict".into(), json!(verdict));
        map.insert("exit_code".into(), json!(code));
        map.insert("error".into(), json!(error));
    }
    println!("{fields}");
}

/// Why `path`, an output the user named, cannot be written, found before anything runs:
/// it is a directory, or its directory does not exist.
fn unwritable(path: &Path) -> Option<String> {
    if path.is_dir() {
        return Some(format!(
            "cannot write {}: it is a directory",
            path.display()
        ));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    (!parent.is_dir()).then(|| {
        format!(
            "cannot write {}: the directory {} does not exist",
            path.display(),
            parent.display()
        )
    })
}

/// The scenario's JSON fields for an error before the run (`file`, `scenario`, `seed`).
fn error_fields(file: &Path, scenario: Option<&Scenario>, seed: Option<u64>) -> Value {
    json!({
        "scenario": scenario.map(|s| s.name.clone()),
        "file": file.display().to_string(),
        "seed": seed.or(scenario.map(|s| s.seed)),
    })
}

fn run_one(file: &Path, seed: Option<u64>, report: &Report) -> u8 {
    let Report {
        json,
        quiet,
        outputs,
    } = report;
    if file.is_dir() {
        let why = format!(
            "{} is a directory; `run` and `replay` take one scenario file. \
             To run every scenario in it, use `paseo sweep {} --seeds 0..10` \
             (or `paseo check {}` to validate them)",
            file.display(),
            file.display(),
            file.display()
        );
        eprintln!("paseo: {why}");
        if *json {
            print_error_json(
                error_fields(file, None, seed),
                "ERROR (bad scenario file)",
                EXIT_BAD_SCENARIO,
                &why,
            );
        }
        return EXIT_BAD_SCENARIO;
    }
    let scenario = match scenario::load(file) {
        Ok(s) => s,
        Err(e) => {
            eprint!("{}", e.render());
            if *json {
                let mut fields = error_fields(file, None, seed);
                fields["diagnostics"] = e
                    .diagnostics
                    .iter()
                    .map(|d| {
                        json!({
                            "file": d.file, "line": d.line, "column": d.column,
                            "message": d.message, "help": d.help,
                        })
                    })
                    .collect();
                print_error_json(
                    fields,
                    "ERROR (bad scenario file)",
                    EXIT_BAD_SCENARIO,
                    &e.render(),
                );
            }
            return EXIT_BAD_SCENARIO;
        }
    };
    let seed = seed.unwrap_or(scenario.seed);
    // What would stop the run from being judged or its outputs from being written is said
    // before it runs.
    let named = [
        &outputs.trace,
        &outputs.pcap,
        &outputs.mermaid,
        &outputs.html,
        &outputs.keylog,
    ];
    if let Some(why) = named.into_iter().flatten().find_map(|p| unwritable(p)) {
        eprintln!("paseo: {why}");
        if *json {
            print_error_json(
                error_fields(file, Some(&scenario), Some(seed)),
                "ERROR (cannot write)",
                EXIT_CANNOT_WRITE,
                &why,
            );
        }
        return EXIT_CANNOT_WRITE;
    }
    if scenario.runs_real_peer() {
        let missing = crate::conform::preflight(&[crate::conform::Stack::Matterjs]);
        if !missing.is_empty() {
            let why = missing_text(&missing);
            eprintln!("paseo: cannot run {}: {why}", file.display());
            if *json {
                let mut fields = error_fields(file, Some(&scenario), Some(seed));
                fields["install"] = missing.iter().map(|m| m.install.clone()).collect();
                print_error_json(
                    fields,
                    "NOT JUDGED (peer not installed)",
                    EXIT_NOT_JUDGED,
                    &why,
                );
            }
            return EXIT_NOT_JUDGED;
        }
    }
    let run = run::run(&scenario, seed);
    if !*json {
        let detail = if *quiet {
            Detail::Summary
        } else {
            Detail::Trace
        };
        print!("{}", report::text(&scenario, &run, detail));
    }
    if let Some(log) = &run.peer_log
        && !matches!(run.verdict, run::Verdict::Pass | run::Verdict::Skipped(_))
    {
        // A failure against a real peer is read with the peer's own account of it.
        eprintln!("\n-- matter.js log\n{log}");
    }
    let mut writes: Vec<(&Option<PathBuf>, Vec<u8>)> = Vec::new();
    if let Some(report) = &run.report {
        writes.push((&outputs.trace, report.trace.json_lines().into_bytes()));
        writes.push((&outputs.pcap, report.trace.pcap(CapturePoint::Sent)));
        writes.push((&outputs.mermaid, report.trace.mermaid().into_bytes()));
        writes.push((&outputs.keylog, report.keylog_text().into_bytes()));
    }
    if outputs.html.is_some() {
        writes.push((&outputs.html, html::render(&scenario, &run).into_bytes()));
    }
    let mut failed_write = None;
    for (path, bytes) in writes {
        if let Some(path) = path
            && let Err(e) = std::fs::write(path, bytes)
        {
            failed_write = Some(format!("cannot write {}: {e}", path.display()));
            break;
        }
    }
    let code = if failed_write.is_some() {
        EXIT_CANNOT_WRITE
    } else {
        run.verdict.exit_code()
    };
    if let Some(why) = &failed_write {
        eprintln!("paseo: {why}");
    }
    if *json {
        let mut value = report::json(&scenario, &run);
        if let Some(why) = &failed_write {
            value["exit_code"] = json!(code);
            value["error"] = json!(why);
        }
        println!("{value}");
    }
    code
}

/// What is missing, one line each with its install command.
fn missing_text(missing: &[crate::conform::Missing]) -> String {
    let lines: Vec<String> = missing.iter().map(ToString::to_string).collect();
    if let [one] = lines.as_slice() {
        one.clone()
    } else {
        format!("\n  {}", lines.join("\n  "))
    }
}

fn load_or_report(path: &Path) -> Result<Scenario, u8> {
    scenario::load(path).map_err(|e| {
        eprint!("{}", e.render());
        EXIT_BAD_SCENARIO
    })
}

fn scenario_files(path: &Path) -> Result<Vec<PathBuf>, u8> {
    match scenario::files(path) {
        Ok(files) if !files.is_empty() => Ok(files),
        Ok(_) => {
            eprintln!("paseo: no scenario files (*.yaml) in {}", path.display());
            Err(EXIT_BAD_SCENARIO)
        }
        Err(e) => {
            eprintln!("paseo: cannot read {}: {e}", path.display());
            Err(EXIT_BAD_SCENARIO)
        }
    }
}

fn check(path: &Path) -> u8 {
    // Every file below `path`: conformance/, interop/ and regressions/ too.
    let files = match scenario::files_recursive(path) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            eprintln!("paseo: no scenario files (*.yaml) in {}", path.display());
            return EXIT_BAD_SCENARIO;
        }
        Err(e) => {
            eprintln!("paseo: cannot read {}: {e}", path.display());
            return EXIT_BAD_SCENARIO;
        }
    };
    let mut code = EXIT_PASS;
    for file in files {
        match scenario::load(&file) {
            Ok(s) => {
                let missing = s.missing_capabilities();
                let note = if missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (needs {}: skipped when run by this build)",
                        missing.join(", ")
                    )
                };
                let note = if s.runs_real_peer() {
                    format!("{note} (real peer: matter.js, run with `paseo run`)")
                } else {
                    note
                };
                println!("ok   {}{note}", file.display());
            }
            Err(e) => {
                println!("BAD  {}", file.display());
                eprint!("{}", e.render());
                code = EXIT_BAD_SCENARIO;
            }
        }
    }
    code
}

fn sweep_cmd(
    path: &Path,
    seeds: &str,
    jobs: usize,
    shard: Option<&str>,
    json: Option<&Path>,
) -> u8 {
    let seeds = match sweep::parse_seeds(seeds) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("paseo sweep: {e}");
            return EXIT_BAD_SCENARIO;
        }
    };
    let shard = match shard.map(Shard::parse).transpose() {
        Ok(s) => s.unwrap_or(Shard::WHOLE),
        Err(e) => {
            eprintln!("paseo sweep: {e}");
            return EXIT_BAD_SCENARIO;
        }
    };
    if let Some(why) = json.and_then(unwritable) {
        eprintln!("paseo sweep: {why}");
        return EXIT_CANNOT_WRITE;
    }
    let coverage = Coverage { seeds, shard };
    let seeds_run = coverage.seeds_run();
    let files = match scenario_files(path) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut scenarios = Vec::new();
    for file in &files {
        match load_or_report(file) {
            // Seeds do not make real time deterministic: a real peer is run, not swept.
            Ok(s) if s.runs_real_peer() => {
                eprintln!(
                    "paseo sweep: skipping {}: its device is a real peer (`peer: matterjs`); seeds do not make real time deterministic, run it with `paseo run`",
                    file.display()
                );
            }
            Ok(s) => scenarios.push(s),
            Err(code) => return code,
        }
    }
    if scenarios.is_empty() {
        eprintln!("paseo sweep: nothing to sweep in {}", path.display());
        return EXIT_BAD_SCENARIO;
    }
    let runs = scenarios.len() as u64 * seeds_run.len() as u64;
    let progress = Progress::new(runs, "runs");
    let started = std::time::Instant::now();
    let results = sweep::sweep_seeds(&scenarios, &seeds_run, jobs, &|v| {
        progress.tick(v.is_failure())
    });
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let file = SweepFile::new(&scenarios, &coverage, &results);
    print!("{}", file.summary());
    if let Some(out) = json
        && let Err(e) = std::fs::write(out, file.to_json())
    {
        eprintln!("paseo sweep: cannot write {}: {e}", out.display());
        return EXIT_CANNOT_WRITE;
    }
    // Wall-clock facts go to stderr: stdout stays identical for any number of jobs.
    eprintln!(
        "{runs} runs in {elapsed:.1} s on {jobs} job(s): {:.0} runs/min",
        runs as f64 / elapsed.max(1e-9) * 60.0
    );
    sweep::exit_code(&results)
}

fn merge_cmd(paths: &[PathBuf], json: Option<&Path>) -> u8 {
    if let Some(why) = json.and_then(unwritable) {
        eprintln!("paseo sweep merge: {why}");
        return EXIT_CANNOT_WRITE;
    }
    let merged = match sweep_results::merge_files(paths) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("paseo sweep merge: {e}");
            return EXIT_BAD_SCENARIO;
        }
    };
    print!("{}", merged.summary());
    if let Some(out) = json
        && let Err(e) = std::fs::write(out, merged.to_json())
    {
        eprintln!("paseo sweep merge: cannot write {}: {e}", out.display());
        return EXIT_CANNOT_WRITE;
    }
    merged.exit_code
}

fn conform_cmd(suite: &Path, peers: &[crate::conform::Stack], out: Option<&Path>) -> u8 {
    use crate::conform::{self, Status, table};
    // Every stack asked for is there before anything runs: one error, not a table of fails.
    let missing = conform::preflight(peers);
    if !missing.is_empty() {
        eprintln!(
            "paseo conform: not run, a stack is not installed: {}",
            missing_text(&missing)
        );
        return EXIT_NOT_JUDGED;
    }
    if let Some(dir) = out
        && dir.exists()
        && !dir.is_dir()
    {
        eprintln!(
            "paseo conform: cannot write to {}: not a directory",
            dir.display()
        );
        return EXIT_CANNOT_WRITE;
    }
    let rows = match conform::conform(suite, peers) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("paseo conform: {e}");
            return EXIT_BAD_SCENARIO;
        }
    };
    let title = format!("Conformance: {}", suite.display());
    let md = table::markdown(&rows, peers, &title);
    match out {
        None => print!("{md}"),
        Some(dir) => {
            let html = table::html(&rows, peers, &title);
            let written = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join("conformance.md"), &md))
                .and_then(|()| std::fs::write(dir.join("conformance.html"), html));
            if let Err(e) = written {
                eprintln!("paseo conform: cannot write to {}: {e}", dir.display());
                return EXIT_CANNOT_WRITE;
            }
            print!("{md}");
        }
    }
    // Deviations are findings, not failures of the harness; a failing cell fails the command.
    if rows
        .iter()
        .flat_map(|r| &r.cells)
        .any(|c| c.status == Status::Fail)
    {
        run::EXIT_EXPECTATION
    } else {
        EXIT_PASS
    }
}

/// `paseo explore --print SEED`: the scenario explore generates from SEED, as it runs it.
fn explore_print(seed: u64) -> u8 {
    match crate::explore::generate(seed) {
        Some(recipe) => {
            print!(
                "{}",
                crate::explore::render::yaml(
                    &recipe,
                    seed,
                    &crate::explore::render::Provenance::default()
                )
            );
            EXIT_PASS
        }
        None => {
            eprintln!("paseo explore: the generator drew no scenario from seed {seed}");
            EXIT_INTERNAL
        }
    }
}

fn explore_cmd(seeds: &str, out: &Path, jobs: usize, budget: u32) -> u8 {
    use crate::explore::{self, SeedResult};
    let seeds = match sweep::parse_seeds(seeds) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("paseo explore: {e}");
            return EXIT_BAD_SCENARIO;
        }
    };
    if out.exists() && !out.is_dir() {
        eprintln!(
            "paseo explore: cannot write to {}: not a directory",
            out.display()
        );
        return EXIT_CANNOT_WRITE;
    }
    let count = seeds.end - seeds.start;
    let progress = Progress::new(count, "seeds");
    let started = std::time::Instant::now();
    let results = explore::explore(seeds.clone(), jobs, budget, &|r| {
        progress.tick(matches!(r, SeedResult::Failed(_) | SeedResult::NoRecipe))
    });
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let findings: Vec<&explore::Finding> = results
        .iter()
        .filter_map(|(_, r)| match r {
            SeedResult::Failed(f) => Some(f.as_ref()),
            _ => None,
        })
        .collect();
    let no_recipe = results
        .iter()
        .filter(|(_, r)| matches!(r, SeedResult::NoRecipe))
        .count();
    println!(
        "explore: seeds {}..{}: {} run, {} failing",
        seeds.start,
        seeds.end,
        results.len(),
        findings.len()
    );
    // What was generated: the same recipes the runs drew (a recipe is a pure function of
    // its seed), so the counts are the same for any number of jobs.
    let recipes: Vec<explore::recipe::Recipe> = results
        .iter()
        .filter_map(|(seed, _)| explore::generate(*seed))
        .collect();
    let counts = explore::step_counts(&recipes);
    let steps: usize = counts.iter().map(|(_, n)| n).sum();
    let devices: u64 = recipes.iter().map(|r| u64::from(r.devices)).sum();
    println!(
        "generated: {} scenario(s), {devices} device(s), {steps} step(s): {}",
        recipes.len(),
        counts
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut code = EXIT_PASS;
    if no_recipe > 0 {
        println!("{no_recipe} seed(s) drew no scenario (a generator bug)");
        code = EXIT_INTERNAL;
    }
    if !findings.is_empty()
        && let Err(e) = std::fs::create_dir_all(out)
    {
        eprintln!("paseo explore: cannot create {}: {e}", out.display());
        return EXIT_CANNOT_WRITE;
    }
    for f in &findings {
        let path = out.join(format!("explore-{}.yaml", f.seed));
        println!(
            "\nseed={} {}: shrunk from {} to {} step(s) in {} run(s)",
            f.seed,
            f.class,
            f.original_steps,
            f.shrunk.ops.len(),
            f.shrink_runs
        );
        for why in f.reasons.iter().take(3) {
            println!("  {why}");
        }
        let shown = path.display().to_string();
        if let Err(e) = std::fs::write(&path, f.file_text(&shown)) {
            eprintln!("paseo explore: cannot write {shown}: {e}");
            return EXIT_CANNOT_WRITE;
        }
        println!("  wrote {shown}");
        println!(
            "  reproduce: {} run {}",
            invocation::command(),
            invocation::shell_word(&shown)
        );
        // As `sweep`: internal error first, then invariant, then expectation.
        let rank = |c: u8| match c {
            EXIT_INTERNAL => 3,
            run::EXIT_INVARIANT => 2,
            run::EXIT_EXPECTATION => 1,
            _ => 0,
        };
        let class_code = match f.class {
            explore::FailureClass::Invariant(_) => run::EXIT_INVARIANT,
            explore::FailureClass::Step(..) | explore::FailureClass::Liveness(_) => {
                run::EXIT_EXPECTATION
            }
            _ => EXIT_INTERNAL,
        };
        if rank(class_code) > rank(code) {
            code = class_code;
        }
    }
    if !findings.is_empty() {
        println!(
            "\nonce fixed, commit each file with its snapshot: \
             INSTA_UPDATE=always cargo test -p paseo --test scenario_library"
        );
    }
    // Wall-clock facts go to stderr: stdout stays identical for any number of jobs.
    eprintln!(
        "{} seeds in {elapsed:.1} s on {jobs} job(s): {:.0} seeds/min",
        results.len(),
        results.len() as f64 / elapsed.max(1e-9) * 60.0
    );
    code
}
