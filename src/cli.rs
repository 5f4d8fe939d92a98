//! The command line: `run`, `replay`, `sweep`, `explore`, `check` and `decode`. Each subcommand prints
//! what a person reads on stdout and returns the exit code (0 pass, 1 invariant violated,
//! 2 expectation or liveness failed, 3 bad scenario file or input, 4 internal error).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use paseo_sim::trace::pcap::CapturePoint;

use crate::report::{self, Detail};
use crate::run::{self, EXIT_BAD_SCENARIO, EXIT_INTERNAL, EXIT_PASS};
use crate::scenario::{self, Scenario};
use crate::shard::Shard;
use crate::sweep::Coverage;
use crate::sweep_results::{self, SweepFile};
use crate::{decode, html, sweep};

/// Deterministic simulation and conformance harness for the Matter session layer.
///
/// Exit codes: 0 pass, 1 invariant (oracle) violated, 2 expectation or liveness failed,
/// 3 bad scenario file (or bad input to decode), 4 internal error. Every failure prints
/// `seed=… scenario=…` and the command that replays it.
#[derive(Debug, Parser)]
#[command(name = "paseo", version, about, long_about)]
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
        /// Print one JSON object (verdict, steps, violations, trace hash) instead of text.
        #[arg(long)]
        json: bool,
        /// Leave the trace out of the text output.
        #[arg(long, short)]
        quiet: bool,
        #[command(flatten)]
        outputs: Outputs,
    },
    /// Replay one seed of a scenario with its full trace (the command failures print).
    Replay {
        /// The scenario file (YAML).
        file: PathBuf,
        /// The seed to replay.
        #[arg(long)]
        seed: u64,
        #[command(flatten)]
        outputs: Outputs,
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
    /// to OUT/explore-<seed>.yaml. The output is the same for any number of jobs.
    Explore {
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
    /// fail or deviation (first differing event), with replay commands.
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
    match Cli::parse().command {
        Command::Run {
            file,
            seed,
            json,
            quiet,
            outputs,
        } => run_one(&file, seed, json, quiet, &outputs),
        Command::Replay {
            file,
            seed,
            outputs,
        } => run_one(&file, Some(seed), false, false, &outputs),
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
            None => EXIT_BAD_SCENARIO,
        },
        Command::Explore {
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

fn load_or_report(path: &Path) -> Result<Scenario, u8> {
    scenario::load(path).map_err(|e| {
        eprint!("{}", e.render());
        EXIT_BAD_SCENARIO
    })
}

fn run_one(file: &Path, seed: Option<u64>, json: bool, quiet: bool, outputs: &Outputs) -> u8 {
    let scenario = match load_or_report(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(scenario.seed);
    let run = run::run(&scenario, seed);
    if json {
        println!("{}", report::json(&scenario, &run));
    } else {
        let detail = if quiet {
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
    if let Some(report) = &run.report {
        let writes = [
            (&outputs.trace, report.trace.json_lines().into_bytes()),
            (&outputs.pcap, report.trace.pcap(CapturePoint::Sent)),
            (&outputs.mermaid, report.trace.mermaid().into_bytes()),
            (&outputs.keylog, report.keylog_text().into_bytes()),
        ];
        for (path, bytes) in writes {
            if let Some(path) = path
                && let Err(e) = std::fs::write(path, bytes)
            {
                eprintln!("paseo: cannot write {}: {e}", path.display());
                return EXIT_INTERNAL;
            }
        }
    }
    if let Some(path) = &outputs.html
        && let Err(e) = std::fs::write(path, html::render(&scenario, &run))
    {
        eprintln!("paseo: cannot write {}: {e}", path.display());
        return EXIT_INTERNAL;
    }
    run.verdict.exit_code()
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
    let files = match scenario_files(path) {
        Ok(f) => f,
        Err(code) => return code,
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
    let show = std::io::stderr().is_terminal() && std::env::var("CI").map_or(true, |v| v != "true");
    let bar = if show {
        indicatif::ProgressBar::new(runs)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs {elapsed} (eta {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let results = sweep::sweep_seeds(&scenarios, &seeds_run, jobs, &|| bar.inc(1));
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let file = SweepFile::new(&scenarios, &coverage, &results);
    print!("{}", file.summary());
    if let Some(out) = json
        && let Err(e) = std::fs::write(out, file.to_json())
    {
        eprintln!("paseo sweep: cannot write {}: {e}", out.display());
        return EXIT_INTERNAL;
    }
    // Wall-clock facts go to stderr: stdout stays identical for any number of jobs.
    eprintln!(
        "{runs} runs in {elapsed:.1} s on {jobs} job(s): {:.0} runs/min",
        runs as f64 / elapsed.max(1e-9) * 60.0
    );
    sweep::exit_code(&results)
}

fn merge_cmd(paths: &[PathBuf], json: Option<&Path>) -> u8 {
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
        return EXIT_INTERNAL;
    }
    merged.exit_code
}

fn conform_cmd(suite: &Path, peers: &[crate::conform::Stack], out: Option<&Path>) -> u8 {
    use crate::conform::{self, Status, table};
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
                return EXIT_INTERNAL;
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

fn explore_cmd(seeds: &str, out: &Path, jobs: usize, budget: u32) -> u8 {
    use crate::explore::{self, SeedResult};
    let seeds = match sweep::parse_seeds(seeds) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("paseo explore: {e}");
            return EXIT_BAD_SCENARIO;
        }
    };
    let count = seeds.end - seeds.start;
    let show = std::io::stderr().is_terminal() && std::env::var("CI").map_or(true, |v| v != "true");
    let bar = if show {
        indicatif::ProgressBar::new(count)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let results = explore::explore(seeds.clone(), jobs, budget, &|| bar.inc(1));
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let findings: Vec<&explore::Finding> = results
        .iter()
        .filter_map(|(_, r)| match r {
            SeedResult::Failed(f) => Some(f.as_ref()),
            _ => None,
        })
        .collect();
    println!(
        "explore: seeds {}..{}: {} run, {} failing",
        seeds.start,
        seeds.end,
        results.len(),
        findings.len()
    );
    let mut code = EXIT_PASS;
    if !findings.is_empty()
        && let Err(e) = std::fs::create_dir_all(out)
    {
        eprintln!("paseo explore: cannot create {}: {e}", out.display());
        return EXIT_INTERNAL;
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
        if let Err(e) = std::fs::write(&path, &f.yaml) {
            eprintln!("paseo explore: cannot write {}: {e}", path.display());
            return EXIT_INTERNAL;
        }
        println!("  wrote {}", path.display());
        println!("  reproduce: cargo run --release -- run {}", path.display());
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
