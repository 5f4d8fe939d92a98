//! The exit codes CI relies on, each produced by the built binary: 0 pass, 1 invariant,
//! 2 expectation, 3 bad input, 4 internal error, 5 not judged, 64 usage, 73 cannot write;
//! the table in `--help` and README.md; `--json` yields one JSON object on stdout, errors
//! included; `replay` takes the output options of `run`; the replay hint names the command
//! that was run; `conform` checks its peers before running anything.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn paseo_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_paseo"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CI", "true");
    cmd
}

fn paseo(args: &[&str]) -> Output {
    paseo_cmd(args).output().expect("the paseo binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    )
}

/// A fresh scratch directory for `name`.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-exit-codes")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The whole of stdout as one JSON object (fails if there is anything else on stdout).
fn one_json_object(o: &Output) -> Value {
    let v: Value = serde_json::from_str(&text(&o.stdout))
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{}", show(o)));
    assert!(v.is_object(), "{}", show(o));
    v
}

/// A sweep results file of `scenarios/pase-pairing.yaml` at seeds 0..2 whose first run has
/// the verdict `word` (as a shard that met it would have written).
fn results_with(dir: &Path, word: &str, details: &[&str]) -> PathBuf {
    let file = dir.join("whole.json");
    let o = paseo(&[
        "sweep",
        "scenarios/pase-pairing.yaml",
        "--seeds",
        "0..2",
        "--json",
        utf8(&file),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("results")).expect("JSON");
    v["results"][0]["verdict"] = word.into();
    v["results"][0]["details"] = details.iter().map(|d| Value::from(*d)).collect();
    let edited = dir.join(format!("{word}.json"));
    std::fs::write(&edited, v.to_string()).expect("written");
    edited
}

/// An empty directory to put on PATH: no `node` there.
fn path_without_node() -> PathBuf {
    scratch("empty-path")
}

#[test]
fn every_code_of_the_table() {
    let dir = scratch("codes");
    let internal = results_with(&dir, "internal", &["the simulator panicked: boom"]);
    let skipped = results_with(&dir, "skip", &["case"]);
    let missing_dir = dir.join("no-such-dir");
    let not_a_dir = dir.join("a-file");
    std::fs::write(&not_a_dir, "").expect("written");
    let cases: Vec<(u8, Vec<String>)> = vec![
        (0, vec!["run", "--quiet", "scenarios/pase-pairing.yaml"]),
        (0, vec!["--help"]),
        (0, vec!["--version"]),
        (1, vec!["run", "--quiet", "tests/fixtures/nonce-reuse.yaml"]),
        (
            2,
            vec!["run", "--quiet", "tests/fixtures/expect-fails.yaml"],
        ),
        (3, vec!["run", "tests/fixtures/bad-key.yaml"]),
        (3, vec!["run", "tests/fixtures/no-such-file.yaml"]),
        (3, vec!["sweep", "scenarios", "--seeds", "5..5"]),
        (3, vec!["decode", "zz"]),
        (4, vec!["sweep", "merge", utf8(&internal)]),
        (5, vec!["sweep", "merge", utf8(&skipped)]),
        (64, vec!["run"]),
        (64, vec!["run", "--bogus", "scenarios/pase-pairing.yaml"]),
        (
            64,
            vec!["run", "scenarios/pase-pairing.yaml", "--seed", "abc"],
        ),
        (64, vec!["replay", "scenarios/pase-pairing.yaml"]),
        (64, vec!["frobnicate"]),
        (64, vec![]),
        (
            64,
            vec!["conform", "scenarios/conformance", "--peer", "nobody"],
        ),
        (
            73,
            vec![
                "run",
                "--quiet",
                "scenarios/pase-pairing.yaml",
                "--html",
                utf8(&missing_dir.join("r.html")),
            ],
        ),
        (
            73,
            vec![
                "replay",
                "scenarios/pase-pairing.yaml",
                "--seed",
                "3",
                "--trace",
                utf8(&dir),
            ],
        ),
        (
            73,
            vec![
                "sweep",
                "scenarios/pase-pairing.yaml",
                "--seeds",
                "0..2",
                "--json",
                utf8(&missing_dir.join("s.json")),
            ],
        ),
        (
            73,
            vec!["explore", "--seeds", "54..55", "--out", utf8(&not_a_dir)],
        ),
    ]
    .into_iter()
    .map(|(code, args)| (code, args.into_iter().map(str::to_owned).collect()))
    .collect();
    for (code, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = paseo(&args);
        assert_eq!(
            o.status.code(),
            Some(i32::from(*code)),
            "{args:?}\n{}",
            show(&o)
        );
    }
    // The unwritable path is named, and nothing half-done is left behind.
    let o = paseo(&[
        "run",
        "--quiet",
        "scenarios/pase-pairing.yaml",
        "--html",
        utf8(&missing_dir.join("r.html")),
    ]);
    assert!(
        text(&o.stderr).contains(&format!(
            "cannot write {}: the directory {} does not exist",
            missing_dir.join("r.html").display(),
            missing_dir.display()
        )),
        "{}",
        show(&o)
    );
    assert!(!missing_dir.exists());
    // A usage error says so on stderr, as clap does, and prints nothing on stdout.
    let o = paseo(&["run", "--bogus", "scenarios/pase-pairing.yaml"]);
    assert!(
        text(&o.stderr).contains("unexpected argument '--bogus'"),
        "{}",
        show(&o)
    );
    assert!(o.stdout.is_empty(), "{}", show(&o));
    // The unjudged run is not listed as failing.
    let o = paseo(&["sweep", "merge", utf8(&skipped)]);
    assert!(!text(&o.stdout).contains("failing seeds"), "{}", show(&o));
}

#[test]
fn the_table_is_in_help_and_in_the_readme() {
    let o = paseo(&["--help"]);
    let help = text(&o.stdout);
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let codes = [
        paseo::run::EXIT_PASS,
        paseo::run::EXIT_INVARIANT,
        paseo::run::EXIT_EXPECTATION,
        paseo::run::EXIT_BAD_SCENARIO,
        paseo::run::EXIT_INTERNAL,
        paseo::run::EXIT_NOT_JUDGED,
        paseo::run::EXIT_USAGE,
        paseo::run::EXIT_CANNOT_WRITE,
    ];
    let mut distinct = codes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), codes.len(), "every code means one thing");
    assert!(help.contains("Exit codes:"), "{help}");
    for code in codes {
        assert!(
            help.lines()
                .any(|l| l.starts_with(&format!("  {code:<3} "))),
            "--help lacks {code}:\n{help}"
        );
        assert!(
            readme.contains(&format!("| {code} |")),
            "README.md's table lacks {code}"
        );
    }
    assert!(readme.contains("## Exit codes"));
}

#[test]
fn json_is_one_object_on_stdout_errors_included() {
    let dir = scratch("json");
    // A bad scenario file: the diagnostics, with their place.
    let o = paseo(&["run", "--json", "tests/fixtures/bad-key.yaml"]);
    assert_eq!(o.status.code(), Some(3));
    let v = one_json_object(&o);
    assert_eq!(v["exit_code"], 3);
    assert_eq!(v["file"], "tests/fixtures/bad-key.yaml");
    assert_eq!(v["diagnostics"][0]["line"], 3);
    assert_eq!(v["diagnostics"][0]["message"], "unknown key `seeed`");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("did you mean `seed`?"))
    );
    // A usage error.
    let o = paseo(&["replay", "--json", "scenarios/pase-pairing.yaml"]);
    assert_eq!(o.status.code(), Some(64));
    let v = one_json_object(&o);
    assert_eq!(
        (v["exit_code"].clone(), v["verdict"].clone()),
        (64.into(), "ERROR (usage)".into())
    );
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("--seed")),
        "{v}"
    );
    // Bad hex to decode.
    let o = paseo(&["decode", "--json", "zz"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(one_json_object(&o)["exit_code"], 3);
    // An output that cannot be written.
    let html = dir.join("missing").join("r.html");
    let o = paseo(&[
        "run",
        "--json",
        "scenarios/pase-pairing.yaml",
        "--html",
        utf8(&html),
    ]);
    assert_eq!(o.status.code(), Some(73));
    let v = one_json_object(&o);
    assert_eq!(v["exit_code"], 73);
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains(&html.display().to_string())),
        "{v}"
    );
    // A failing run is one object too, its exit code the process's.
    let o = paseo(&["run", "--json", "tests/fixtures/expect-fails.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(one_json_object(&o)["exit_code"], 2);
}

#[test]
fn a_real_peer_that_is_not_installed_is_not_judged_with_the_command_that_installs_it() {
    let empty = path_without_node();
    let o = paseo_cmd(&[
        "run",
        "--json",
        "scenarios/interop/matterjs-commissioning.yaml",
    ])
    .env("PATH", &empty)
    .output()
    .expect("runs");
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    let v = one_json_object(&o);
    assert_eq!(v["exit_code"], 5);
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("Node.js")),
        "{v}"
    );
    assert_eq!(v["install"][0], "sudo apt-get install nodejs npm");
}

#[test]
fn conform_checks_every_peer_before_running_anything() {
    let empty = path_without_node();
    let o = paseo_cmd(&[
        "conform",
        "tests/fixtures/conform",
        "--peer",
        "paseo",
        "--peer",
        "matterjs",
    ])
    .env("PATH", &empty)
    .output()
    .expect("runs");
    assert_eq!(o.status.code(), Some(5), "{}", show(&o));
    assert!(o.stdout.is_empty(), "no table: {}", show(&o));
    let err = text(&o.stderr);
    assert!(err.contains("not run, a stack is not installed"), "{err}");
    assert!(
        err.contains("matterjs: Node.js (`node`) cannot be started"),
        "{err}"
    );
    assert!(
        err.contains("install it with `sudo apt-get install nodejs npm`"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("fail")).count(),
        0,
        "{err}"
    );
    // Our own device needs nothing installed.
    let o = paseo_cmd(&["conform", "tests/fixtures/conform", "--peer", "paseo"])
        .env("PATH", &empty)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(text(&o.stdout).contains("conform-pase"), "{}", show(&o));
}

#[test]
fn replay_has_the_output_options_of_run() {
    let dir = scratch("replay");
    let out = |name: &str| dir.join(name).display().to_string();
    let (trace, pcap, mermaid, html) = (out("t.jsonl"), out("t.pcap"), out("t.mmd"), out("t.html"));
    let o = paseo(&[
        "replay",
        "--json",
        "scenarios/pase-pairing.yaml",
        "--seed",
        "7",
        "--trace",
        &trace,
        "--pcap",
        &pcap,
        "--mermaid",
        &mermaid,
        "--html",
        &html,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let replayed = one_json_object(&o);
    let ran = one_json_object(&paseo(&[
        "run",
        "--json",
        "scenarios/pase-pairing.yaml",
        "--seed",
        "7",
    ]));
    assert_eq!(replayed, ran, "replay --json is run --json at that seed");
    for f in [&trace, &pcap, &mermaid, &html] {
        assert!(
            std::fs::metadata(f).is_ok_and(|m| m.len() > 0),
            "{f} written"
        );
    }
    let quiet = paseo(&[
        "replay",
        "--quiet",
        "scenarios/pase-pairing.yaml",
        "--seed",
        "7",
    ]);
    let full = paseo(&["replay", "scenarios/pase-pairing.yaml", "--seed", "7"]);
    assert!(text(&full.stdout).contains("ctrl -> dev s=0 "));
    assert!(!text(&quiet.stdout).contains("ctrl -> dev s=0 "));
    assert!(text(&quiet.stdout).contains("PASS seed=7"));
}

/// What `cargo run` with the profile the test binary was built in looks like.
fn cargo_run() -> &'static str {
    let profile = Path::new(env!("CARGO_BIN_EXE_paseo"))
        .parent()
        .and_then(Path::file_name)
        .and_then(|p| p.to_str());
    match profile {
        Some("debug") => "cargo run --",
        _ => "cargo run --release --",
    }
}

#[test]
fn the_replay_hint_names_the_command_that_was_run_and_the_file_as_given() {
    let file = "./tests/fixtures/expect-fails.yaml";
    // Under `cargo run` (cargo sets CARGO and CARGO_PKG_NAME for the binary it runs).
    let o = paseo_cmd(&["run", "--quiet", file, "--seed", "9"])
        .env("CARGO", "cargo")
        .env("CARGO_PKG_NAME", "paseo")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let want = format!("replay: {} replay {file} --seed 9", cargo_run());
    assert!(
        text(&o.stdout).contains(&want),
        "want `{want}`:\n{}",
        show(&o)
    );
    // The binary itself, started by its path.
    let o = paseo_cmd(&["run", "--json", file, "--seed", "9"])
        .env_remove("CARGO")
        .env_remove("CARGO_PKG_NAME")
        .output()
        .expect("runs");
    let want = format!("{} replay {file} --seed 9", env!("CARGO_BIN_EXE_paseo"));
    assert_eq!(one_json_object(&o)["replay"], want.as_str());
    // A sweep's failing seeds say the same.
    let o = paseo_cmd(&["sweep", file, "--seeds", "9..10"])
        .env_remove("CARGO")
        .env_remove("CARGO_PKG_NAME")
        .output()
        .expect("runs");
    assert!(
        text(&o.stdout).contains(&format!("replay: {want}")),
        "{}",
        show(&o)
    );
}
