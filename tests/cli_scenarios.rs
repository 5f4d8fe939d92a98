//! Runs the built `paseo` binary on scenario files: exit codes 0 (pass), 1 (invariant
//! violated), 2 (expectation failed), 3 (bad file); the replay line on every failure; the
//! JSON report; trace files; `check`; and `sweep` output that does not depend on `--jobs`.

use std::process::{Command, Output};

fn paseo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args(args)
        .env("CI", "true")
        .output()
        .expect("the paseo binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_passing_scenario_exits_0_with_header_trace_and_verdict() {
    let o = paseo(&["run", "scenarios/pase-pairing.yaml"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(
        out.starts_with("scenario pase-pairing (scenarios/pase-pairing.yaml)\n"),
        "{out}"
    );
    assert!(out.contains("\nseed 1\n"));
    assert!(out.contains("ctrl -> dev s=0 "), "the trace is printed");
    assert!(
        out.contains("\nPASS seed=1 scenario=pase-pairing ("),
        "{out}"
    );
    let quiet = stdout(&paseo(&["run", "--quiet", "scenarios/pase-pairing.yaml"]));
    assert!(!quiet.contains("ctrl -> dev s=0 ") && quiet.contains("PASS seed=1"));
}

#[test]
fn a_failed_expectation_exits_2_with_seed_scenario_and_replay_command() {
    // Started as `cargo run` starts it (the hint's prefix is in tests/cli_exit_codes.rs).
    let o = Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args([
            "run",
            "--quiet",
            "tests/fixtures/expect-fails.yaml",
            "--seed",
            "9",
        ])
        .env("CI", "true")
        .env("CARGO", "cargo")
        .env("CARGO_PKG_NAME", "paseo")
        .output()
        .expect("the paseo binary runs");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("FAIL (expectation) seed=9 scenario=expect-fails"),
        "{out}"
    );
    assert!(out.contains("ctrl holds no case session with dev"), "{out}");
    assert!(
        out.contains(" -- replay tests/fixtures/expect-fails.yaml --seed 9\n")
            && out.contains("replay: cargo run --"),
        "{out}"
    );
}

#[test]
fn a_violated_invariant_exits_1() {
    let o = paseo(&["run", "--quiet", "tests/fixtures/nonce-reuse.yaml"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAIL (invariant violated) seed=4 scenario=nonce-reuse"),
        "{out}"
    );
    assert!(out.contains("nonce-reuse at "), "{out}");
    assert!(out.contains("replay: "), "{out}");
}

#[test]
fn a_bad_file_exits_3_with_location_caret_and_hint() {
    let o = paseo(&["run", "tests/fixtures/bad-key.yaml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("error: unknown key `seeed`"), "{err}");
    assert!(err.contains("--> tests/fixtures/bad-key.yaml:3:1"), "{err}");
    assert!(err.contains(" 3 | seeed: 4\n   | ^^^^^\n"), "{err}");
    assert!(err.contains("did you mean `seed`?"), "{err}");
    let missing = paseo(&["run", "tests/fixtures/no-such-file.yaml"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(stderr(&missing).contains("cannot read the file"));
}

#[test]
fn check_validates_without_running() {
    let o = paseo(&["check", "scenarios"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("ok   scenarios/pase-pairing.yaml"));
    let bad = paseo(&["check", "tests/fixtures"]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(stdout(&bad).contains("BAD  tests/fixtures/bad-key.yaml"));
}

#[test]
fn json_and_trace_files() {
    let dir = std::env::temp_dir().join(format!("paseo-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (trace, pcap, mermaid) = (dir.join("t.jsonl"), dir.join("t.pcap"), dir.join("t.mmd"));
    let o = paseo(&[
        "run",
        "--json",
        "scenarios/pase-pairing.yaml",
        "--trace",
        trace.to_str().expect("utf-8"),
        "--pcap",
        pcap.to_str().expect("utf-8"),
        "--mermaid",
        mermaid.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(report["verdict"], "PASS");
    assert_eq!(report["seed"], 1);
    assert_eq!(report["steps"][0]["step"], "pair ctrl -> dev");
    assert_eq!(report["trace_hash"].as_str().map(str::len), Some(64));
    let lines = std::fs::read_to_string(&trace).expect("trace written");
    let first: serde_json::Value =
        serde_json::from_str(lines.lines().next().expect("a line")).expect("JSON line");
    assert_eq!(first["kind"], "action");
    let capture = std::fs::read(&pcap).expect("pcap written");
    assert_eq!(
        capture.get(..4),
        Some(&[0xd4, 0xc3, 0xb2, 0xa1][..]),
        "pcap magic"
    );
    let diagram = std::fs::read_to_string(&mermaid).expect("mermaid written");
    assert!(diagram.starts_with("sequenceDiagram"), "{diagram}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_output_is_the_same_for_any_number_of_jobs() {
    let args = |jobs: &'static str| {
        [
            "sweep",
            "tests/fixtures/expect-fails.yaml",
            "--seeds",
            "0..4",
            "--jobs",
            jobs,
        ]
    };
    let one = paseo(&args("1"));
    let three = paseo(&args("3"));
    assert_eq!(one.status.code(), Some(2));
    assert_eq!(stdout(&one), stdout(&three));
    let out = stdout(&one);
    assert!(out.contains("expect-fails"), "{out}");
    for seed in 0..4 {
        assert!(
            out.contains(&format!(
                "seed={seed} scenario=expect-fails FAIL (expectation)"
            )),
            "{out}"
        );
        assert!(out.contains(&format!(
            "replay tests/fixtures/expect-fails.yaml --seed {seed}"
        )));
    }
    let bad = paseo(&["sweep", "scenarios", "--seeds", "5..5"]);
    assert_eq!(bad.status.code(), Some(3));
}
