//! Verdicts that cannot lie: a step that ran past the time limit does not pass, the step list
//! never prints `ok` on a line whose step did not succeed, and labels are shown.

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

/// The lines of the `-- steps` section.
fn step_lines(report: &str) -> Vec<String> {
    report
        .split("\n-- steps\n")
        .nth(1)
        .unwrap_or("")
        .split("\n\n")
        .next()
        .unwrap_or("")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_step_that_finishes_only_after_the_time_limit_fails() {
    // The partition is never healed: the pair can only finish once the liveness phase has
    // healed the network, after the 2 s time limit. That used to print `ok` and PASS.
    let o = paseo(&["run", "--quiet", "tests/fixtures/time-limit-fails.yaml"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    let steps = step_lines(&out);
    assert_eq!(steps.len(), 2, "{out}");
    assert!(steps[0].starts_with("ok   line   9  partition"), "{out}");
    assert!(
        steps[1].starts_with("FAIL line  10  pair ctrl -> dev (label behind-partition): ok @ "),
        "{out}"
    );
    assert!(
        steps[1].contains("finished after time limit (2000.000 ms)"),
        "{out}"
    );
    assert!(
        out.contains(
            "FAIL (expectation) seed=1 scenario=time-limit-fails (time limit reached at 2000.000 ms, "
        ),
        "{out}"
    );
    assert!(out.contains("\n  line 10: pair ctrl -> dev"), "{out}");

    let json = paseo(&["run", "--json", "tests/fixtures/time-limit-fails.yaml"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("one JSON object");
    assert_eq!(report["time_limit_reached_us"], 2_000_000);
    assert_eq!(report["steps"][1]["past_time_limit_us"], 2_000_000);
    assert_eq!(report["steps"][1]["as_expected"], false);
    assert_eq!(
        report["steps"][0]["past_time_limit_us"],
        serde_json::Value::Null
    );
}

#[test]
fn after_time_limit_finish_marks_the_step_late_and_passes() {
    let o = paseo(&[
        "run",
        "--quiet",
        "scenarios/regressions/time-limit-partition.yaml",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let steps = step_lines(&out);
    assert!(steps[1].starts_with("late line"), "{out}");
    assert!(
        steps[1].ends_with("ok @ 2057.000 ms, finished after time limit (2000.000 ms)"),
        "{out}"
    );
    assert!(
        out.contains(
            "PASS seed=1 scenario=time-limit-partition (time limit reached at 2000.000 ms, "
        ),
        "{out}"
    );
}

#[test]
fn a_run_that_ends_before_the_time_limit_says_nothing_about_it() {
    let out = stdout(&paseo(&["run", "--quiet", "scenarios/pase-pairing.yaml"]));
    assert!(!out.contains("time limit"), "{out}");
}

#[test]
fn the_step_list_never_prints_ok_on_a_line_that_did_not_succeed() {
    // Expected failures and `outcome: any` allowances used to be printed as `ok … failed: …`.
    for file in [
        "scenarios/pase-wrong-passcode.yaml",
        "scenarios/mrp-partition-recovery.yaml",
    ] {
        let out = stdout(&paseo(&["run", "--quiet", file]));
        let steps = step_lines(&out);
        assert!(!steps.is_empty(), "{out}");
        for line in &steps {
            let (mark, rest) = line.split_once(" line ").expect("a step line");
            let status = rest.rsplit_once("]: ").map_or(rest, |(_, s)| s);
            match mark.trim_end() {
                "ok" => assert!(
                    status.starts_with("ok") || rest.contains(": ok @"),
                    "`ok` on a line that did not succeed: {line}"
                ),
                "xf" => assert!(line.contains("[expected to fail]: failed: "), "{line}"),
                "any" => assert!(line.contains("[any outcome]: "), "{line}"),
                other => panic!("unexpected mark {other:?} in a passing run: {line}"),
            }
        }
        assert!(
            steps.iter().any(|l| !l.starts_with("ok ")),
            "{file} has an allowed failure: {out}"
        );
    }
}
