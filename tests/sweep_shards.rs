//! Sharded sweeps: running a sweep as N shards (`--shard K/N --json FILE`) and merging the
//! results (`paseo sweep merge`) gives the seeds, the summary text and the JSON results of the
//! same sweep run in one process; merge refuses overlapping, missing and foreign shards.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn paseo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args(args)
        .env("CI", "true")
        .output()
        .expect("the paseo binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory holding copies of `files` (a scenario set to sweep).
fn scenario_dir(name: &str, files: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sweep-shards")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for f in files {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
        let to = dir.join(from.file_name().expect("file name"));
        std::fs::copy(&from, &to).expect("copy scenario");
    }
    dir
}

/// Three scenarios: one passes at every seed, one fails at every seed, one fails at seed 114
/// only (scenarios/pase-lossy.yaml says so), so the summary has failing seeds to list.
const SET: [&str; 3] = [
    "scenarios/pase-pairing.yaml",
    "scenarios/pase-lossy.yaml",
    "tests/fixtures/expect-fails.yaml",
];

struct Sweep {
    code: Option<i32>,
    stdout: String,
    json: String,
}

fn sweep(dir: &Path, seeds: &str, shard: Option<&str>, out: &Path) -> Sweep {
    let mut args = vec!["sweep", dir.to_str().expect("utf-8 path"), "--seeds", seeds];
    if let Some(s) = shard {
        args.extend(["--shard", s]);
    }
    args.extend(["--json", out.to_str().expect("utf-8 path")]);
    let o = paseo(&args);
    assert!(
        o.status.code().is_some_and(|c| c <= 2),
        "{args:?}: {}",
        text(&o.stderr)
    );
    Sweep {
        code: o.status.code(),
        stdout: text(&o.stdout),
        json: std::fs::read_to_string(out).expect("results file written"),
    }
}

fn merge(files: &[PathBuf], out: Option<&Path>) -> Output {
    let mut args: Vec<&str> = vec!["sweep", "merge"];
    args.extend(files.iter().map(|f| f.to_str().expect("utf-8 path")));
    if let Some(out) = out {
        args.extend(["--json", out.to_str().expect("utf-8 path")]);
    }
    paseo(&args)
}

/// The (scenario, seed) pairs a results file holds.
fn runs_of(json: &str) -> Vec<(u64, u64)> {
    let value: Value = serde_json::from_str(json).expect("results are JSON");
    value["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| {
            (
                r["scenario"].as_u64().expect("scenario index"),
                r["seed"].as_u64().expect("seed"),
            )
        })
        .collect()
}

fn shards_then_merge_equal_one_process(name: &str, seeds: &str, count: u64) {
    let dir = scenario_dir(name, &SET);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let whole = sweep(&dir, seeds, None, &out.join("whole.json"));
    let mut files = Vec::new();
    let mut shard_runs = Vec::new();
    for k in 0..count {
        let file = out.join(format!("shard-{k}.json"));
        let shard = sweep(&dir, seeds, Some(&format!("{k}/{count}")), &file);
        assert!(
            shard.stdout.contains(&format!("shard {k}/{count} (")),
            "{}",
            shard.stdout
        );
        shard_runs.extend(runs_of(&shard.json));
        files.push(file);
    }
    // The shards are disjoint and together hold exactly the single process's runs.
    let mut sorted = shard_runs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), shard_runs.len(), "a run is in two shards");
    assert_eq!(sorted, runs_of(&whole.json));

    // Merge in reverse order: the order of the files does not matter.
    files.reverse();
    let merged_json = out.join("merged.json");
    let merged = merge(&files, Some(&merged_json));
    assert_eq!(merged.status.code(), whole.code, "{}", text(&merged.stderr));
    assert_eq!(text(&merged.stdout), whole.stdout);
    assert_eq!(
        std::fs::read_to_string(&merged_json).expect("merged results written"),
        whole.json
    );
}

#[test]
fn three_shards_merge_into_the_single_process_summary_and_json() {
    shards_then_merge_equal_one_process("three", "100..130", 3);
    let whole = std::fs::read_to_string(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-shards/three/out/whole.json"),
    )
    .expect("whole results");
    // The sweep has failures to merge: expect-fails at every seed, pase-lossy at 114.
    let value: Value = serde_json::from_str(&whole).expect("json");
    assert_eq!(value["exit_code"], 2);
    let failing: Vec<&Value> = value["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["verdict"] != "pass")
        .collect();
    assert_eq!(failing.len(), 31, "{whole}");
    assert!(
        failing
            .iter()
            .all(|r| r["replay"].as_str().is_some_and(|c| c.contains("replay")))
    );
}

#[test]
fn more_shards_than_seeds_leaves_some_shards_empty_and_still_merges() {
    shards_then_merge_equal_one_process("seven", "3..=7", 7);
}

#[test]
fn merge_refuses_missing_overlapping_and_foreign_shards() {
    let dir = scenario_dir("refuse", &SET[..2]);
    let other = scenario_dir("refuse-other", &SET[1..]);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let file = |name: &str| out.join(name);
    for k in 0..3 {
        sweep(
            &dir,
            "0..6",
            Some(&format!("{k}/3")),
            &file(&format!("s{k}.json")),
        );
    }
    sweep(&dir, "0..7", Some("2/3"), &file("range.json"));
    sweep(&other, "0..6", Some("2/3"), &file("set.json"));
    sweep(&dir, "0..6", Some("1/2"), &file("count.json"));
    std::fs::write(file("garbage.json"), "{\"format\": 1}").expect("write");
    let mut cut: Value =
        serde_json::from_str(&std::fs::read_to_string(file("s2.json")).expect("s2")).expect("json");
    cut["results"].as_array_mut().expect("results").pop();
    std::fs::write(file("cut.json"), cut.to_string()).expect("write");

    let cases: [(&[&str], &str); 7] = [
        (&["s0.json", "s1.json"], "missing shard(s) 2 of 3"),
        (
            &["s0.json", "s1.json", "s1.json", "s2.json"],
            "shard 1/3 is given twice",
        ),
        (&["s0.json", "s1.json", "range.json"], "seed ranges differ"),
        (&["s0.json", "s1.json", "set.json"], "scenario sets differ"),
        (&["s0.json", "s1.json", "count.json"], "shard counts differ"),
        (
            &["s0.json", "garbage.json"],
            "not a paseo sweep results file",
        ),
        (
            &["s0.json", "s1.json", "cut.json"],
            "its results are not one per",
        ),
    ];
    for (names, message) in cases {
        let paths: Vec<PathBuf> = names.iter().map(|n| file(n)).collect();
        let o = merge(&paths, None);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{names:?}: {err}");
        assert!(err.contains(message), "{names:?}: {err}");
        assert!(o.stdout.is_empty(), "{names:?}: no summary on error");
    }
    let ok = merge(&[file("s2.json"), file("s0.json"), file("s1.json")], None);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
}

#[test]
fn a_bad_shard_argument_exits_3() {
    for (shard, message) in [
        ("3/3", "0-based"),
        ("1/0", "at least 1"),
        ("x", "not a shard"),
    ] {
        let o = paseo(&["sweep", "scenarios/pase-pairing.yaml", "--shard", shard]);
        assert_eq!(o.status.code(), Some(3), "{shard}");
        assert!(text(&o.stderr).contains(message), "{}", text(&o.stderr));
    }
}
