//! Simulation throughput of a two-node MRP scenario: a controller and a device on an
//! installed CASE session, the controller sending reliable messages one after the other over
//! a link with 2 % loss and 1–5 ms latency (retransmissions, acks, duplicates all happen).
//! Prints datagrams handed to the network per wall second and how much faster than real time
//! the virtual clock ran.
//!
//! Run: `cargo run --release -p paseo-sim --example sim_throughput -- 2000`

use std::time::Duration;

use paseo_sim::trace::RecordKind;
use paseo_sim::{Action, Impairments, NodeSpec, RunOptions, SimConfig, Simulation};

fn main() {
    let messages: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let config = SimConfig {
        default_impairments: Impairments {
            loss: 0.02,
            duplicate: 0.0,
            latency_min: Duration::from_millis(1),
            latency_max: Duration::from_millis(5),
            reorder: Duration::ZERO,
        },
        ..SimConfig::named("sim_throughput")
    };
    let mut sim = Simulation::new(3, config);
    for (name, id) in [("ctrl", 1), ("dev", 2)] {
        if let Err(e) = sim.add_node(name, NodeSpec::new(id)) {
            eprintln!("sim_throughput: {e}");
            return;
        }
    }
    sim.then(Action::install("ctrl", "dev"));
    sim.then(Action::exchange("ctrl", "dev", messages, true));
    let options = RunOptions {
        limit: Duration::from_secs(3600),
        liveness: None,
        probes: false,
    };
    // REAL TIME: this example measures wall time; the simulation never reads it.
    let started = std::time::Instant::now();
    let report = sim.run(options);
    let wall = started.elapsed().as_secs_f64();
    let datagrams = report
        .trace
        .records
        .iter()
        .filter(|r| r.kind == RecordKind::Tx)
        .count();
    for (id, outcome) in report.outcomes() {
        if !outcome.is_ok() {
            eprintln!("sim_throughput: action {id} failed: {outcome:?}");
        }
    }
    let virtual_s = report.ended_at.as_micros() as f64 / 1e6;
    println!(
        "sim_throughput: {messages} reliable messages, {datagrams} datagrams, {} steps, \
         {virtual_s:.1} virtual s in {wall:.2} wall s: {:.0} datagrams per wall second, \
         virtual/wall {:.1}x, ok={}",
        report.steps,
        datagrams as f64 / wall,
        virtual_s / wall,
        report.is_ok()
    );
}
