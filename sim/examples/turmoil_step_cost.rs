//! Wall time of one turmoil step against the number of hosts, each host idle on a bound UDP
//! socket: the simulator's fixed cost per step, without any protocol work. With the vendored
//! patch (third_party/turmoil/PASEO-PATCH.md) it grows linearly; upstream 0.7.2 grows with the
//! cube of the host count.
//!
//! Run: `cargo run --release -p paseo-sim --example turmoil_step_cost -- 11 101 501 1001`

use std::time::Duration;

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![11, 101, 501, 1001]
    } else {
        sizes
    };
    for hosts in sizes {
        let mut sim = turmoil::Builder::new()
            .tick_duration(Duration::from_millis(1))
            .simulation_duration(Duration::from_secs(3600))
            .build();
        for i in 0..hosts {
            sim.host(format!("h{i}"), || async {
                let socket = turmoil::net::UdpSocket::bind("0.0.0.0:5540").await?;
                let mut buf = [0u8; 64];
                loop {
                    socket.recv_from(&mut buf).await?;
                }
            });
        }
        for _ in 0..5 {
            if let Err(e) = sim.step() {
                eprintln!("step failed: {e}");
                return;
            }
        }
        let steps = 100;
        // REAL TIME: this example measures wall time.
        let started = std::time::Instant::now();
        for _ in 0..steps {
            if let Err(e) = sim.step() {
                eprintln!("step failed: {e}");
                return;
            }
        }
        let us = started.elapsed().as_secs_f64() * 1e6 / f64::from(steps);
        println!(
            "{hosts} hosts: {us:.1} us/step ({:.2} us per host per step)",
            us / hosts as f64
        );
    }
}
