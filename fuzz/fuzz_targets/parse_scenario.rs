//! Scenario files (`paseo::scenario::parse`): any bytes, read as UTF-8 (lossily), either parse
//! into a scenario or give diagnostics, never a panic. A parsed scenario also builds its
//! simulation (nodes, fabrics, links: typed errors only), and every diagnostic renders against
//! the text without slicing outside it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match paseo::scenario::parse("fuzz.yaml", &text) {
        Ok(scenario) => {
            // Building the simulation checks what the parser let through (impairments, fabric
            // indexes, node names) against the simulator; it may refuse, never panic.
            if scenario.nodes.len() <= 16 {
                let _ = scenario.simulation(scenario.seed).map(drop);
            }
            let _ = scenario.run_options();
        }
        Err(error) => {
            assert!(
                !error.diagnostics.is_empty(),
                "an error without a diagnostic"
            );
            let rendered = error.render();
            assert!(!rendered.is_empty());
        }
    }
});
