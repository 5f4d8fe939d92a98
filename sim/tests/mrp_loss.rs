//! MRP on a bad network: 20 % loss, duplication and reordering between ten nodes.

mod common;

use std::time::Duration;

use paseo_sim::{Action, Impairments, NodeSpec, Outcome};

#[test]
fn mrp_resolves_every_message_under_twenty_percent_loss_with_ten_nodes() {
    let mut sim = common::simulation(
        20,
        "mrp_resolves_every_message_under_twenty_percent_loss_with_ten_nodes",
    );
    sim.set_default_impairments(Impairments {
        loss: 0.2,
        duplicate: 0.05,
        latency_min: Duration::from_millis(2),
        latency_max: Duration::from_millis(20),
        reorder: Duration::from_millis(10),
    })
    .unwrap();
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    for i in 0..9 {
        sim.add_node(&common::device(i), NodeSpec::new(10 + i as u64))
            .unwrap();
    }
    for i in 0..9 {
        let dev = common::device(i);
        sim.at(Duration::ZERO, Action::install("ctrl", &dev));
        sim.at(
            Duration::from_millis(5),
            Action::exchange("ctrl", &dev, 4, true),
        );
        sim.at(
            Duration::from_millis(5),
            Action::exchange(&dev, "ctrl", 4, true),
        );
    }
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(120)));

    // The oracles held: no duplicate delivery, every reliable message acked or failed, the
    // liveness probes went through once the network healed. Loss really happened and MRP
    // really worked for it:
    let retransmissions: u64 = report.stats.values().map(|s| s.retransmissions).sum();
    let duplicates: u64 = report.stats.values().map(|s| s.duplicates).sum();
    assert!(retransmissions > 20, "retransmissions {retransmissions}");
    assert!(duplicates > 0, "no duplicate reached a node");
    assert!(!common::lines_with(&report, &["dropped by network (loss)"]).is_empty());
    assert!(!common::lines_with(&report, &["duplicated by network"]).is_empty());
    let (sent, delivered) = report.messages;
    assert_eq!(sent, 9 * 8 + 18);
    assert!(
        delivered * 10 >= sent * 9,
        "{delivered} of {sent} delivered"
    );
    let exchanged = report
        .outcomes()
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Exchanged { .. }))
        .count();
    assert!(exchanged >= 15, "only {exchanged} exchanges completed");
}
