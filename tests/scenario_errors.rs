//! Bad scenario files give precise errors: file, line, column, a caret, and a hint — one test
//! per class of mistake (unknown key, unknown step, wrong type, unknown node, negative
//! duration, percentage out of range, and the semantic checks).

use paseo::scenario::{self, Diagnostic};

const HEADER: &str = "name: t\ndescription: d\n";

const NODES: &str = "nodes:\n  - {name: ctrl, role: commissioner}\n  - {name: dev, role: device}\n";

/// The single diagnostic of `text` (a scenario that must fail to load).
fn only_error(text: &str) -> Diagnostic {
    let err = scenario::parse("bad.yaml", text).expect_err("the scenario must be rejected");
    assert_eq!(err.diagnostics.len(), 1, "{}", err.render());
    err.diagnostics[0].clone()
}

fn assert_at(d: &Diagnostic, line: u64, column: u64) {
    assert_eq!(
        (d.file.as_str(), d.line, d.column),
        ("bad.yaml", line, column),
        "{d:?}"
    );
}

#[test]
fn an_unknown_key_names_the_nearest_allowed_one() {
    let d = only_error(&format!("{HEADER}seeed: 3\n{NODES}steps: []\n"));
    assert_at(&d, 3, 1);
    assert_eq!(d.message, "unknown key `seeed`");
    assert!(
        d.help
            .as_deref()
            .unwrap_or("")
            .starts_with("did you mean `seed`?"),
        "{d:?}"
    );
}

#[test]
fn an_unknown_key_inside_a_step_is_found_too() {
    let text = format!("{HEADER}{NODES}steps:\n  - pair: {{comissioner: ctrl, device: dev}}\n");
    let d = only_error(&text);
    assert_at(&d, 7, 12);
    assert_eq!(d.message, "unknown key `comissioner`");
    assert!(
        d.help
            .unwrap_or_default()
            .contains("did you mean `commissioner`?")
    );
}

#[test]
fn an_unknown_step_names_the_nearest_step() {
    let d = only_error(&format!(
        "{HEADER}{NODES}steps:\n  - pear: {{commissioner: ctrl, device: dev}}\n"
    ));
    assert_at(&d, 7, 5);
    assert_eq!(d.message, "unknown step `pear`");
    assert!(
        d.help
            .unwrap_or_default()
            .starts_with("did you mean `pair`?")
    );
}

#[test]
fn a_wrong_type_says_what_was_expected() {
    let d = only_error(&format!("{HEADER}seed: many\n{NODES}steps: []\n"));
    assert_at(&d, 3, 7);
    assert!(d.message.contains("whole number"), "{d:?}");
}

#[test]
fn an_unknown_node_points_at_the_name_and_suggests_the_nearest() {
    let d = only_error(&format!(
        "{HEADER}{NODES}steps:\n  - pair: {{commissioner: ctrl, device: dve}}\n"
    ));
    assert_at(&d, 7, 40);
    assert_eq!(d.message, "unknown node `dve`");
    assert_eq!(d.help.as_deref(), Some("did you mean `dev`?"));
}

#[test]
fn a_negative_duration_is_refused_where_it_is_written() {
    let d = only_error(&format!("{HEADER}{NODES}steps:\n  - wait: -5ms\n"));
    assert_at(&d, 7, 11);
    assert!(d.message.contains("negative duration `-5ms`"), "{d:?}");
}

#[test]
fn a_duration_without_unit_is_refused() {
    let d = only_error(&format!("{HEADER}time_limit: 5\n{NODES}steps: []\n"));
    assert_at(&d, 3, 13);
    assert!(d.message.contains("needs a unit"), "{d:?}");
}

#[test]
fn a_percentage_out_of_range_is_refused() {
    let d = only_error(&format!(
        "{HEADER}network:\n  loss: 130%\n{NODES}steps: []\n"
    ));
    assert_at(&d, 4, 9);
    assert!(d.message.contains("out of range"), "{d:?}");
    let d = only_error(&format!(
        "{HEADER}network:\n  loss: 0.3\n{NODES}steps: []\n"
    ));
    assert!(d.message.contains("%"), "{d:?}");
}

#[test]
fn roles_are_checked_where_the_node_is_named() {
    let text = format!("{HEADER}{NODES}steps:\n  - pair: {{commissioner: dev, device: ctrl}}\n");
    let err = scenario::parse("bad.yaml", &text).expect_err("rejected");
    let found: Vec<(u64, u64, &str)> = err
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (7, 26, "`dev` is not a commissioner"),
            (7, 39, "`ctrl` is not a device")
        ]
    );
}

#[test]
fn unknown_fabrics_and_missing_requires_are_reported() {
    let text = format!(
        "{HEADER}requires: [case]\nfabrics:\n  - {{name: home}}\nnodes:\n  - {{name: ctrl, role: commissioner, fabrics: [hoem]}}\nsteps: []\n"
    );
    let d = only_error(&text);
    assert_at(&d, 7, 48);
    assert_eq!(d.message, "unknown fabric `hoem`");
    assert_eq!(d.help.as_deref(), Some("did you mean `home`?"));

    let text = format!(
        "{HEADER}fabrics:\n  - {{name: home}}\nnodes:\n  - {{name: ctrl, role: commissioner, fabrics: [home]}}\n  - {{name: dev, role: device}}\nsteps:\n  - commission: {{commissioner: ctrl, device: dev, fabric: home}}\n"
    );
    let err = scenario::parse("bad.yaml", &text).expect_err("rejected");
    let d = &err.diagnostics[0];
    assert!(d.message.contains("needs CASE"), "{d:?}");
    assert_eq!(
        d.help.as_deref(),
        Some("add `requires: [case]` to the header")
    );
}

#[test]
fn labels_must_be_unique_and_referenced_labels_must_exist() {
    let text = format!(
        "{HEADER}{NODES}steps:\n  - pair: {{commissioner: ctrl, device: dev, label: p}}\n  - pair: {{commissioner: ctrl, device: dev, label: p}}\n"
    );
    let d = only_error(&text);
    assert_eq!(d.message, "label `p` is used twice");
    assert_eq!(d.line, 8);

    let text = format!(
        "{HEADER}{NODES}steps:\n  - pair: {{commissioner: ctrl, device: dev, label: first}}\n  - expect:\n      outcome:\n        - {{step: frist, is: ok}}\n"
    );
    let d = only_error(&text);
    assert_eq!(d.message, "no step is labelled `frist`");
    assert_eq!(d.help.as_deref(), Some("did you mean `first`?"));
    assert_at(&d, 10, 18);
}

#[test]
fn a_step_with_a_sibling_key_explains_the_step_shape() {
    let d = only_error(&format!(
        "{HEADER}{NODES}steps:\n  - pair: {{commissioner: ctrl, device: dev}}\n    label: x\n"
    ));
    assert!(d.message.contains("one key"), "{d:?}");
    assert!(d.help.unwrap_or_default().contains("inside the step"));
}

#[test]
fn every_error_of_a_file_is_reported_in_file_order() {
    let text = format!(
        "{HEADER}{NODES}steps:\n  - crash: dve\n  - exchange: {{from: ctlr, to: dev}}\n  - partition: {{from: ctrl}}\n"
    );
    let err = scenario::parse("bad.yaml", &text).expect_err("rejected");
    let lines: Vec<u64> = err.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![7, 8, 9], "{}", err.render());
}

#[test]
fn the_report_shows_the_line_and_a_caret_under_the_culprit() {
    let text = format!("{HEADER}{NODES}steps:\n  - pair: {{commissioner: ctrl, device: dve}}\n");
    let err = scenario::parse("bad.yaml", &text).expect_err("rejected");
    assert_eq!(
        err.render(),
        "error: unknown node `dve`\n  --> bad.yaml:7:40\n   |\n 7 |   - pair: {commissioner: ctrl, device: dve}\n   |                                        ^^^\n   = help: did you mean `dev`?\n"
    );
}
