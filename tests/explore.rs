//! `paseo explore`: generated scenarios are valid files that run the same whether parsed from
//! the generator's text or from a written file, and exploring is deterministic.

use paseo::explore::{self, SeedResult, render};
use paseo::run;
use paseo::scenario;

#[test]
fn every_generated_scenario_parses_back_and_runs_identically_from_its_file() {
    let dir = std::env::temp_dir().join(format!("paseo-explore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    for seed in 0..40 {
        let recipe = explore::generate(seed).expect("a recipe");
        let text = render::yaml(&recipe, seed, &render::Provenance::default());
        if std::env::var_os("PASEO_SHOW").is_some() {
            println!("---- seed {seed}\n{text}");
        }
        let parsed = scenario::parse("generated.yaml", &text)
            .unwrap_or_else(|e| panic!("seed {seed}:\n{}\n{text}", e.render()));
        let path = dir.join(format!("explore-{seed}.yaml"));
        std::fs::write(&path, &text).expect("written");
        let loaded = scenario::load(&path).unwrap_or_else(|e| panic!("{}", e.render()));
        let hash = |s: &scenario::Scenario| {
            let r = run::run(s, seed);
            (r.verdict.clone(), r.report.map(|r| r.trace_hash()))
        };
        assert_eq!(hash(&parsed), hash(&loaded), "seed {seed}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exploring_gives_the_same_results_for_any_number_of_jobs() {
    let summary = |jobs| {
        explore::explore(0..12, jobs, 20, &|_| {})
            .into_iter()
            .map(|(seed, r)| match r {
                SeedResult::Failed(f) => format!("{seed} {} {}", f.class, f.yaml),
                other => format!("{seed} {other:?}"),
            })
            .collect::<Vec<_>>()
    };
    let one = summary(1);
    assert_eq!(one.len(), 12);
    assert_eq!(one, summary(3));
}

#[test]
fn the_explore_command_reports_the_seeds_and_writes_nothing_when_all_pass() {
    let out = std::env::temp_dir().join(format!("paseo-explore-cli-{}", std::process::id()));
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args(["explore", "--seeds", "54..56", "--jobs", "2", "--out"])
        .arg(&out)
        .env("CI", "true")
        .output()
        .expect("paseo runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    // Seed 54 found a simulator bug (scenarios/regressions/explore-54.yaml); fixed, it passes.
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("seeds 54..56: 2 run, 0 failing"),
        "{stdout}"
    );
    assert!(!out.exists(), "nothing to write");
    // What it generated: the steps of each kind of the two recipes.
    let recipes: Vec<_> = (54..56)
        .map(|s| explore::generate(s).expect("a recipe"))
        .collect();
    let counts = explore::step_counts(&recipes);
    let steps: usize = recipes.iter().map(|r| r.ops.len()).sum();
    let devices: u32 = recipes.iter().map(|r| u32::from(r.devices)).sum();
    let listed: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let want = format!(
        "generated: 2 scenario(s), {devices} device(s), {steps} step(s): {}\n",
        listed.join(", ")
    );
    assert!(stdout.contains(&want), "want {want:?}:\n{stdout}");
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<usize>(), steps);
}

#[test]
fn step_counts_count_each_kind_in_a_fixed_order() {
    use explore::recipe::{Handshake, Op, Recipe};
    let recipe = Recipe {
        devices: 1,
        case: false,
        devices_on_fabric: false,
        memory_store: true,
        sync_delay_ms: 0,
        latency_ms: 5,
        ops: vec![
            Op::Wait(3),
            Op::Handshake {
                kind: Handshake::Pair,
                dev: 0,
            },
            Op::Loss(20),
            Op::Wait(4),
        ],
    };
    assert_eq!(
        explore::step_counts([&recipe, &recipe]),
        [("pair", 2), ("loss", 2), ("wait", 4)]
    );
}

#[test]
fn explore_print_shows_the_scenario_a_seed_generates() {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args(["explore", "--print", "54"])
        .output()
        .expect("paseo runs");
    assert_eq!(run.status.code(), Some(0));
    let printed = String::from_utf8_lossy(&run.stdout);
    let recipe = explore::generate(54).expect("a recipe");
    assert_eq!(
        printed,
        render::yaml(&recipe, 54, &render::Provenance::default())
    );
    let parsed = scenario::parse("printed.yaml", &printed).expect("a valid scenario");
    assert_eq!(parsed.seed, 54);
    // It runs nothing: --print does not take the exploring options.
    let both = std::process::Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args(["explore", "--print", "54", "--seeds", "0..3"])
        .output()
        .expect("paseo runs");
    assert_eq!(both.status.code(), Some(64));
}

#[test]
fn a_finding_written_elsewhere_says_how_to_reproduce_it_from_there() {
    let recipe = explore::generate(7).expect("a recipe");
    let finding = explore::Finding {
        seed: 7,
        class: explore::FailureClass::Liveness("not quiet".into()),
        original_steps: recipe.ops.len(),
        shrunk: recipe.clone(),
        shrink_runs: 3,
        reasons: Vec::new(),
        yaml: String::new(),
    };
    let text = finding.file_text("/tmp/found here/explore-7.yaml");
    assert!(
        text.contains("# `cargo run --release -- run '/tmp/found here/explore-7.yaml'`."),
        "{text}"
    );
    assert!(text.contains("# Found by `paseo explore --seeds 7..8`: liveness: not quiet."));
    scenario::parse("explore-7.yaml", &text).expect("still a valid scenario");
}

#[test]
fn each_explored_seed_ticks_with_its_result() {
    let progress = paseo::progress::Progress::hidden(4, "seeds");
    let results = explore::explore(54..58, 2, 5, &|r| {
        progress.tick(matches!(r, SeedResult::Failed(_)))
    });
    let failed = results
        .iter()
        .filter(|(_, r)| matches!(r, SeedResult::Failed(_)))
        .count() as u64;
    assert_eq!((progress.done(), progress.failing()), (4, failed));
}

#[test]
fn the_generator_guarantees_a_real_share_of_its_steps() {
    // Explore only finds what a guaranteed step, an oracle or liveness can catch: a generator
    // that wrote `outcome: any` everywhere would pass every seed and mean nothing.
    let (mut ok, mut any) = (0usize, 0usize);
    for seed in 0..300 {
        let recipe = explore::generate(seed).expect("a recipe");
        let text = render::yaml(&recipe, seed, &render::Provenance::default());
        ok += text.matches("outcome: ok").count();
        any += text.matches("outcome: any").count();
    }
    println!("guaranteed {ok} of {} outcome-bearing steps", ok + any);
    assert!(
        ok * 5 >= ok + any,
        "only {ok} of {} steps guaranteed",
        ok + any
    );
    assert!(any > 0, "faults never void a guarantee");
}
