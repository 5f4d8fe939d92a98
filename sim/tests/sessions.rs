//! Pairing-free sessions installed by the driver: both ends agree, and they carry traffic.

mod common;

use std::time::Duration;

use paseo_core::session::{Session, SessionKind};
use paseo_sim::{Action, NodeSpec, Outcome};

#[test]
fn installed_sessions_agree_on_ids_and_carry_messages() {
    let mut sim = common::simulation(11, "installed_sessions_agree_on_ids_and_carry_messages");
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    sim.add_node("dev00", NodeSpec::new(2)).unwrap();
    sim.add_node("dev01", NodeSpec::new(3)).unwrap();
    sim.then(Action::install("ctrl", "dev00"));
    sim.then(Action::InstallSession {
        a: "ctrl".into(),
        b: "dev01".into(),
        kind: SessionKind::Pase,
    });
    sim.then(Action::exchange("ctrl", "dev00", 2, true));
    sim.then(Action::exchange("dev01", "ctrl", 2, true));
    sim.then(Action::exchange("ctrl", "dev00", 3, false));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(10)));

    for (id, outcome) in report.outcomes() {
        assert!(outcome.is_ok(), "action {id}: {outcome:?}");
    }
    assert!(
        report
            .outcomes()
            .contains(&(5, Outcome::Exchanged { sent: 3 }))
    );
    // Every session of the controller is named back by its device, and vice versa.
    let ctrl: Vec<(u16, u16)> = sim
        .node_view("ctrl", |n| {
            n.sessions()
                .sessions()
                .map(|s| (s.id(), s.peer_session_id()))
                .collect()
        })
        .unwrap();
    assert_eq!(ctrl.len(), 2);
    for dev in ["dev00", "dev01"] {
        let theirs: Vec<(u16, u16)> = sim
            .node_view(dev, |n| {
                n.sessions()
                    .sessions()
                    .map(|s| (s.id(), s.peer_session_id()))
                    .collect()
            })
            .unwrap();
        assert_eq!(theirs.len(), 1);
        let (id, peer) = theirs[0];
        assert!(
            ctrl.contains(&(peer, id)),
            "{dev} {theirs:?} vs ctrl {ctrl:?}"
        );
    }
    // 7 application messages plus one probe each way on each session, each delivered once.
    assert_eq!(report.messages, (11, 11));
    assert_eq!(
        common::lines_with(&report, &["IM/InvokeRequest", ": delivered"]).len(),
        11
    );
    assert_eq!(common::lines_with(&report, &[": session opened"]).len(), 4);
    // Unreliable messages are neither acked nor retransmitted.
    assert_eq!(report.stats["ctrl"].retransmissions, 0);
}

#[test]
fn an_exchange_without_a_session_fails_cleanly() {
    let mut sim = common::simulation(12, "an_exchange_without_a_session_fails_cleanly");
    sim.add_node("a", NodeSpec::new(1)).unwrap();
    sim.add_node("b", NodeSpec::new(2)).unwrap();
    let id = sim.then(Action::exchange("a", "b", 1, true));
    let unknown = sim.then(Action::exchange("a", "nobody", 1, true));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(1)));
    let outcomes = report.outcomes();
    assert!(
        matches!(&outcomes[0], (i, Outcome::Failed(why)) if *i == id && why.contains("no session"))
    );
    assert!(
        matches!(&outcomes[1], (i, Outcome::Failed(why)) if *i == unknown && why.contains("no node"))
    );
}
