//! `paseo conform` on a tiny suite (tests/fixtures/conform/: PASE, wrong passcode, a second
//! PASE while one exists): one row per scenario, one cell per stack; the first two pass on
//! every stack with the secure-channel flow in their normalised traces; the third is the matter.js
//! `session/pase/PaseServer.ts` deviation of matter.js (it never answers the second
//! PBKDFParamRequest). The matter.js column runs unless `PASEO_SKIP_INTEROP=1` (then only our own
//! device's column is checked).

use std::path::Path;

use paseo::conform::{self, Stack, Status, table};

fn stacks() -> Vec<Stack> {
    if std::env::var("PASEO_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("conform: matterjs column skipped (PASEO_SKIP_INTEROP=1)");
        vec![Stack::Paseo]
    } else {
        // As the other interop tests: install the pinned packages once if they are missing
        // (under a lock shared with the other test binaries).
        let installed = paseo_sim::interop::install::find_script_dir()
            .and_then(|dir| paseo_sim::interop::install::ensure_node_modules(&dir));
        if let Err(why) = installed {
            panic!("{why} (or set PASEO_SKIP_INTEROP=1)");
        }
        vec![Stack::Paseo, Stack::Matterjs]
    }
}

#[test]
fn a_tiny_suite_gives_one_passing_row_per_scenario_and_stack() {
    let stacks = stacks();
    let rows = conform::conform(Path::new("tests/fixtures/conform"), &stacks).expect("suite runs");
    let names: Vec<&str> = rows.iter().map(|r| r.scenario.as_str()).collect();
    assert_eq!(
        names,
        [
            "conform-pase",
            "conform-second-pase",
            "conform-wrong-passcode"
        ]
    );
    let second = &rows[1];
    assert_eq!(
        second.cells[0].status,
        Status::Pass,
        "{}",
        second.cells[0].detail
    );
    if let Some(m) = second.cells.get(1) {
        assert_eq!(m.status, Status::Deviation, "{:?}", m.trace);
        assert_eq!(
            m.detail,
            "event 5: paseo `<- SC/PBKDFParamResponse : delivered` / here (end of trace)"
        );
    }
    for row in [&rows[0], &rows[2]] {
        let columns: Vec<Stack> = row.cells.iter().map(|c| c.stack).collect();
        assert_eq!(columns, stacks);
        for cell in &row.cells {
            assert_eq!(
                cell.status,
                Status::Pass,
                "{} × {:?}: {}",
                row.scenario,
                cell.stack,
                cell.detail
            );
            assert!(
                cell.trace
                    .iter()
                    .any(|l| l == "<- SC/PBKDFParamResponse : delivered"),
                "{:?}",
                cell.trace
            );
        }
    }
    let wrong = &rows[2].cells[0].trace;
    assert!(
        wrong.iter().any(|l| l.contains("Pase handshake failed")),
        "{wrong:?}"
    );
    let md = table::markdown(&rows, &stacks, "t");
    let header = format!(
        "| scenario | {} |",
        stacks
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(" | ")
    );
    assert!(md.contains(&header), "{md}");
    let passes = vec!["pass"; stacks.len()].join(" | ");
    assert!(md.contains(&format!("| conform-pase | {passes} |")), "{md}");
    let html = table::html(&rows, &stacks, "t");
    // Both stacks pass two rows; our device also passes the matter.js `session/pase/PaseServer.ts`
    // row, matter.js deviates.
    assert_eq!(
        html.matches("<td class=\"pass\">").count(),
        2 * stacks.len() + 1
    );
    assert_eq!(
        html.matches("<td class=\"deviation\">").count(),
        stacks.len() - 1
    );
}

#[test]
fn a_deviation_names_the_first_differing_event() {
    let a = vec![
        "<- SC/Pake2 : delivered".to_owned(),
        "** session opened".to_owned(),
    ];
    let mut b = a.clone();
    assert_eq!(conform::first_difference(&a, &b), None);
    b[1] = "** Pase handshake failed (timeout)".to_owned();
    assert_eq!(
        conform::first_difference(&a, &b).as_deref(),
        Some("event 2: paseo `** session opened` / here `** Pase handshake failed (timeout)`")
    );
    b.truncate(1);
    assert_eq!(
        conform::first_difference(&a, &b).as_deref(),
        Some("event 2: paseo `** session opened` / here (end of trace)")
    );
}

#[test]
fn a_scenario_without_a_substitutable_device_is_refused() {
    let err = conform::conform(Path::new("scenarios/pase-pairing.yaml"), &[Stack::Paseo])
        .expect_err("not a suite scenario");
    assert!(err.to_string().contains("peer: any"), "{err}");
}
