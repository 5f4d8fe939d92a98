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

/// A scenario that pairs and exchanges one message, then expects `event` of dev `count` times.
fn with_event(event: &str, count: &str) -> String {
    format!(
        "name: vocab\ndescription: d\nseed: 1\nnodes:\n  - {{name: ctrl, role: commissioner}}\n  - {{name: dev, role: device}}\nsteps:\n  - pair: {{commissioner: ctrl, device: dev}}\n  - exchange: {{from: ctrl, to: dev}}\n  - expect:\n      events:\n        - {{node: dev, event: {event}, peer: ctrl, count: \"{count}\"}}\n"
    )
}

#[test]
fn event_names_are_the_trace_words_and_failures_say_them_too() {
    use paseo::scenario;
    use paseo_sim::EventKind;
    // Every event the trace can show is written in a scenario as its words joined by `-`.
    for kind in EventKind::ALL {
        let name = kind.name();
        assert_eq!(name.replace('-', " "), kind.trace_text(), "{kind:?}");
        let parsed = scenario::parse("v.yaml", &with_event(&name, ">=0"));
        assert!(parsed.is_ok(), "`event: {name}` is refused");
    }
    // The trace says `app received`; the scenario says `app-received`; so does a failure.
    let s = scenario::parse("v.yaml", &with_event("app-received", "5")).expect("valid");
    let run = paseo::run::run(&s, 1);
    let trace = run.report.as_ref().expect("simulated").trace.text();
    assert!(trace.contains(": app received"), "{trace}");
    let reasons = run.verdict.reasons().join("\n");
    assert!(
        reasons.contains("dev reported 1 `app received` events with ctrl, expected 5"),
        "{reasons}"
    );
    // The old name is refused with the new one as the hint.
    let err = scenario::parse("v.yaml", &with_event("message-received", "1")).expect_err("renamed");
    let d = &err.diagnostics[0];
    assert_eq!(d.message, "unknown value `message-received`");
    assert!(
        d.help
            .as_deref()
            .unwrap_or("")
            .starts_with("`message-received` is now `app-received`"),
        "{d:?}"
    );
}

#[test]
fn a_misspelt_value_gets_did_you_mean_and_messages_speak_the_users_words() {
    use paseo::scenario;
    let text = "name: t\nname: u\ndescription: d\nnodes:\n  - {name: ctrl, role: commissioner}\n  - {name: dev, role: devise, passcode: 12345678}\nsteps: []\n";
    let err = scenario::parse("v.yaml", text).expect_err("bad");
    let messages: Vec<(u64, &str, &str)> = err
        .diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str(), d.help.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(messages.len(), 3, "{}", err.render());
    assert_eq!(messages[0].0, 2);
    assert_eq!(messages[0].1, "`name` is given twice");
    assert!(
        !err.render().contains("DuplicateKeyPolicy"),
        "{}",
        err.render()
    );
    assert_eq!(messages[1].1, "unknown value `devise`");
    assert!(
        messages[1].2.starts_with("did you mean `device`?"),
        "{messages:?}"
    );
    assert_eq!(messages[2].1, "passcode 12345678 is too easy to guess");
    assert!(!messages[2].1.contains("forbidden"), "{messages:?}");
}

#[test]
fn check_reports_every_error_of_a_file_in_one_pass() {
    let text = "name: multi\ndescription: several mistakes\nseeed: 3\ntime_limit: 10\nnodes:\n  - name: ctrl\n    role: commissioner\n    colour: red\n  - name: dev\n    role: device\n    mrp: {idle: 500ms, activ: 300ms}\nsteps:\n  - pair: {commissioner: ctrl, device: dve}\n  - exchange: {from: ctrl, to: dev, messages: many}\n  - pear: {commissioner: ctrl, device: dev}\n  - wait: 5\n  - expect:\n      events:\n        - {node: devv, event: app-received}\n";
    let err = paseo::scenario::parse("m.yaml", text).expect_err("bad");
    let found: Vec<(u64, u64, String)> = err
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.message.clone()))
        .collect();
    let expected: Vec<(u64, u64, String)> = [
        (3, 1, "unknown key `seeed`"),
        (
            4,
            13,
            "`10` needs a unit here: expected a duration such as `200ms` or `1.5s`",
        ),
        (8, 5, "unknown key `colour`"),
        (11, 24, "unknown key `activ`"),
        (13, 40, "unknown node `dve`"),
        (14, 47, "expected a whole number (u32)"),
        (15, 5, "unknown step `pear`"),
        (
            16,
            11,
            "`5` needs a unit here: expected a duration such as `200ms` or `1.5s`",
        ),
        (19, 18, "unknown node `devv`"),
    ]
    .into_iter()
    .map(|(l, c, m)| (l, c, m.to_owned()))
    .collect();
    assert_eq!(found, expected, "{}", err.render());

    // On the command line too, with every caret.
    let dir = std::env::temp_dir().join(format!("paseo-verdicts-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).expect("temp dir");
    let file = dir.join("sub").join("multi.yaml");
    std::fs::write(&file, text).expect("written");
    let o = paseo(&["check", dir.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(err.matches("error: ").count(), 9, "{err}");
    // `check DIR` finds the file in a subdirectory.
    assert!(stdout(&o).contains("BAD  "), "{}", stdout(&o));
    assert!(stdout(&o).contains("multi.yaml"), "{}", stdout(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_yaml_file_reports_its_syntax_error_only() {
    let text = "name: t\ndescription: d\nnodes: [\n  - {name: ctrl\nsteps: []\n";
    let err = paseo::scenario::parse("y.yaml", text).expect_err("not YAML");
    assert_eq!(err.diagnostics.len(), 1, "{}", err.render());
}

#[test]
fn check_recurses_into_subdirectories() {
    let o = paseo(&["check", "scenarios"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for sub in ["conformance/", "interop/", "regressions/"] {
        assert!(
            out.contains(&format!("ok   scenarios/{sub}")),
            "{sub}: {out}"
        );
    }
}

#[test]
fn run_on_a_directory_says_to_use_sweep() {
    for cmd in [
        &["run", "scenarios"][..],
        &["replay", "scenarios", "--seed", "1"],
    ] {
        let o = paseo(cmd);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(err.contains("scenarios is a directory"), "{err}");
        assert!(err.contains("paseo sweep scenarios"), "{err}");
    }
}

#[test]
fn words_that_are_not_numbers_get_did_you_mean_too() {
    let text = "name: t\ndescription: d\nliveness: of\nnodes:\n  - {name: ctrl, role: commissioner}\n  - {name: dev, role: device}\nsteps:\n  - exchange: {from: ctrl, to: dev, reliable: tru}\n";
    let err = paseo::scenario::parse("w.yaml", text).expect_err("bad");
    let d: Vec<_> = err.diagnostics.iter().collect();
    assert_eq!(d.len(), 2, "{}", err.render());
    assert_eq!((d[0].line, d[0].column), (3, 11));
    assert_eq!(d[0].message, "unknown value `of`");
    assert!(
        d[0].help
            .as_deref()
            .unwrap_or("")
            .starts_with("did you mean `off`?"),
        "{:?}",
        d[0]
    );
    assert_eq!((d[1].line, d[1].column), (8, 47));
    assert_eq!(d[1].message, "expected `true` or `false`");
}

#[test]
fn recovery_never_panics_and_every_error_points_into_the_file() {
    // Every library file with one line's first word misspelt, then with a value replaced by
    // a word of the wrong type: the report is an error list (or a scenario), never a panic,
    // and each error points at a line and column of the file as written.
    let mut files = paseo::scenario::files_recursive(std::path::Path::new("scenarios"))
        .expect("the library is readable");
    files.truncate(12);
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable");
        let lines: Vec<&str> = source.lines().collect();
        for (i, line) in lines.iter().enumerate().step_by(3) {
            for (from, to) in [(":", "x:"), (": ", ": [zz"), (": ", ": zz, ")] {
                let Some(at) = line.find(from) else { continue };
                let mut mutated: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
                mutated[i] = format!("{}{to}{}", &line[..at], &line[at + from.len()..]);
                let text = mutated.join("\n");
                if let Err(err) = paseo::scenario::parse("m.yaml", &text) {
                    assert!(!err.diagnostics.is_empty());
                    for d in &err.diagnostics {
                        let Some(shown) = mutated.get(d.line.saturating_sub(1) as usize) else {
                            panic!("{d:?} points past the end of\n{text}");
                        };
                        assert!(
                            d.line == 0 || d.column as usize <= shown.chars().count() + 1,
                            "{d:?} points past its line in\n{text}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_misspelt_required_key_is_one_error_not_two() {
    // `descrip tion` is unknown; that `description` is then missing is the same mistake.
    let text = "name: t\ndescrip tion: d\nnodes:\n  - {name: ctrl, role: commissioner}\n  - {name: dev, role: device}\nsteps: []\n";
    let err = paseo::scenario::parse("k.yaml", text).expect_err("bad");
    assert_eq!(err.diagnostics.len(), 1, "{}", err.render());
    assert_eq!(err.diagnostics[0].message, "unknown key `descrip tion`");
}

#[test]
fn what_follows_from_taking_a_mistake_out_is_not_reported() {
    // `noe` is unknown; that the entry then lacks `node` is the same mistake. The unknown
    // node further down is a mistake of its own.
    let text = "name: t\ndescription: d\nnodes:\n  - {name: ctrl, role: commissioner}\n  - {name: dev, role: device}\nsteps:\n  - expect:\n      sessions:\n        - {noe: ctrl, peer: dev}\n  - exchange: {from: ctrl, to: deb}\n";
    let err = paseo::scenario::parse("c.yaml", text).expect_err("bad");
    let messages: Vec<&str> = err.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        ["unknown key `noe`", "unknown node `deb`"],
        "{}",
        err.render()
    );
}
