//! Parse and semantic errors of the hostile steps (`capture`, `inject`, `flood`,
//! `corrupt_store`) and of `expect.counters` / `expect.trace`: file, line, column and a hint,
//! as for every other key (tests/scenario_errors.rs).

use paseo::scenario::{self, Diagnostic};

const HEADER: &str = "name: t\ndescription: d\n";

const NODES: &str = "nodes:\n  - {name: ctrl, role: commissioner}\n  - {name: dev, role: device}\n";

/// The single diagnostic of `text` (a scenario that must fail to load).
fn only_error(text: &str) -> Diagnostic {
    let err = scenario::parse("bad.yaml", text).expect_err("the scenario must be rejected");
    assert_eq!(err.diagnostics.len(), 1, "{}", err.render());
    err.diagnostics[0].clone()
}

fn steps(body: &str) -> String {
    format!("{HEADER}{NODES}steps:\n{body}")
}

fn assert_at(d: &Diagnostic, line: u64, column: u64) {
    assert_eq!(
        (d.file.as_str(), d.line, d.column),
        ("bad.yaml", line, column),
        "{d:?}"
    );
}

#[test]
fn every_hostile_step_and_key_parses_and_lowers() {
    let text = steps(concat!(
        "  - pair: {commissioner: ctrl, device: dev}\n",
        "  - capture: {name: old, from: ctrl, to: dev, opcode: InvokeRequest}\n",
        "  - inject: {from: ctrl, to: dev, datagram: replay, capture: old, count: 2}\n",
        "  - inject: {from: ctrl, to: dev, datagram: forged_close, peer: ctrl}\n",
        "  - inject: {from: dev, to: ctrl, datagram: reflect}\n",
        "  - inject: {from: ctrl, to: dev, datagram: truncated}\n",
        "  - inject: {from: ctrl, to: dev, datagram: oversized}\n",
        "  - flood: {from: ctrl, to: dev, message: pbkdf_param_request, sources: 20}\n",
        "  - flood: {from: ctrl, to: dev, message: sigma1, sources: 20, outcome: failed}\n",
        "  - flood: {from: ctrl, to: dev, message: garbage_sigma1, sources: 5}\n",
        "  - corrupt_store: {node: dev, how: flip_byte, at: 3}\n",
        "  - corrupt_store: {node: dev, how: truncate}\n",
        "  - fill_session_ids: {node: dev, leave: 2}\n",
        "  - expect:\n",
        "      counters:\n",
        "        - {node: dev, undecryptable: \">=1\", handshakes_running: \"<=16\"}\n",
        "      trace:\n",
        "        - {node: dev, contains: injected, count: 0}\n",
    ));
    let s = scenario::parse("ok.yaml", &text).unwrap_or_else(|e| panic!("{}", e.render()));
    let described: Vec<String> = s.checks.iter().map(|c| c.description.clone()).collect();
    for want in [
        "capture old: ctrl -> dev",
        "inject replay of old ctrl -> dev x2",
        "inject forged close of ctrl's session ctrl -> dev",
        "inject reflect dev -> ctrl",
        "flood PBKDFParamRequest ctrl -> dev (20 sources)",
        "flood garbage Sigma1 ctrl -> dev (5 sources)",
        "corrupt store dev (flip byte 3)",
        "corrupt store dev (truncate to half)",
        "fill session ids dev (leave 2)",
    ] {
        assert!(
            described.iter().any(|d| d == want),
            "{want:?} not in {described:?}"
        );
    }
}

#[test]
fn an_unknown_datagram_kind_names_the_nearest() {
    let d = only_error(&steps(
        "  - inject: {from: ctrl, to: dev, datagram: reflekt}\n",
    ));
    assert_at(&d, 7, 45);
    assert!(d.message.contains("unknown value `reflekt`"), "{d:?}");
    assert!(d.help.unwrap_or_default().contains("reflect"));
}

#[test]
fn a_replay_needs_a_capture_that_some_step_keeps() {
    let d = only_error(&steps(
        "  - inject: {from: ctrl, to: dev, datagram: replay}\n",
    ));
    assert_at(&d, 7, 45);
    assert_eq!(d.message, "`datagram: replay` needs `capture: NAME`");

    let d = only_error(&steps(concat!(
        "  - capture: {name: first, from: ctrl, to: dev}\n",
        "  - inject: {from: ctrl, to: dev, datagram: replay, capture: frist}\n",
    )));
    assert_at(&d, 8, 62);
    assert_eq!(d.message, "no `capture` step keeps `frist`");
    assert_eq!(d.help.as_deref(), Some("did you mean `first`?"));
}

#[test]
fn capture_and_peer_go_with_their_datagram_kinds_only() {
    let d = only_error(&steps(concat!(
        "  - capture: {name: old, from: ctrl, to: dev}\n",
        "  - inject: {from: ctrl, to: dev, datagram: reflect, capture: old}\n",
    )));
    assert_eq!(d.message, "`capture` goes with `datagram: replay`");
    assert_at(&d, 8, 63);

    let d = only_error(&steps(
        "  - inject: {from: ctrl, to: dev, datagram: truncated, peer: ctrl}\n",
    ));
    assert_eq!(d.message, "`peer` goes with `datagram: forged_close`");
    assert_at(&d, 7, 62);
}

#[test]
fn unknown_nodes_in_hostile_steps_are_found() {
    let d = only_error(&steps(
        "  - inject: {from: ctrl, to: dev, datagram: forged_close, peer: ctlr}\n",
    ));
    assert_eq!(d.message, "unknown node `ctlr`");
    assert_eq!(d.help.as_deref(), Some("did you mean `ctrl`?"));
    assert_at(&d, 7, 65);

    let d = only_error(&steps("  - corrupt_store: {node: dve, how: truncate}\n"));
    assert_eq!(d.message, "unknown node `dve`");
    assert_at(&d, 7, 27);
}

#[test]
fn counts_out_of_range_are_refused() {
    let d = only_error(&steps(
        "  - flood: {from: ctrl, to: dev, message: sigma1, sources: 0}\n",
    ));
    assert_eq!(d.message, "`sources` is from 1 to 10000");
    assert_at(&d, 7, 60);

    let d = only_error(&steps(
        "  - inject: {from: ctrl, to: dev, datagram: oversized, count: 0}\n",
    ));
    assert_eq!(d.message, "`count` is from 1 to 1000");
    assert_at(&d, 7, 63);
}

#[test]
fn at_goes_with_flip_byte_only() {
    let d = only_error(&steps(
        "  - corrupt_store: {node: dev, how: truncate, at: 4}\n",
    ));
    assert_eq!(d.message, "`at` goes with `how: flip_byte`");
    assert_at(&d, 7, 51);
}

#[test]
fn a_misspelt_counter_names_the_nearest_and_an_empty_entry_is_refused() {
    let d = only_error(&steps(
        "  - expect:\n      counters:\n        - {node: dev, undecryptible: 1}\n",
    ));
    assert_at(&d, 9, 23);
    assert_eq!(d.message, "unknown key `undecryptible`");
    assert!(
        d.help
            .unwrap_or_default()
            .contains("did you mean `undecryptable`?")
    );

    let d = only_error(&steps(
        "  - expect:\n      counters:\n        - {node: dev}\n",
    ));
    assert_eq!(d.message, "a counter expectation lists no counter");
    assert_at(&d, 9, 18);
}

#[test]
fn a_trace_expectation_needs_its_text() {
    let d = only_error(&steps(
        "  - expect:\n      trace:\n        - {node: dev, count: 1}\n",
    ));
    assert_eq!(d.message, "missing key `contains`");
    assert_at(&d, 9, 23);
}
