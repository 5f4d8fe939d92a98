//! Shared by the benches: after criterion has run, read its estimates for a measured item and
//! its floor (measured in the same run) and print the ratio, the form performance claims take.

use std::path::PathBuf;

/// criterion's output folder (honours CARGO_TARGET_DIR).
fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("criterion")
}

/// Mean time in ns of `group/id` from this run, if criterion wrote it.
pub fn mean_ns(group: &str, id: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

/// Prints `measured / floor` for each (group, measured id, floor id, target) row.
pub fn report(rows: &[(&str, &str, &str, f64)]) {
    println!("\nratios against the floor measured in this run:");
    for (group, measured, floor, target) in rows {
        match (mean_ns(group, measured), mean_ns(group, floor)) {
            (Some(m), Some(f)) if f > 0.0 => {
                let ratio = m / f;
                let verdict = if ratio <= *target { "within" } else { "ABOVE" };
                println!(
                    "  {group}: {measured} {m:.0} ns / {floor} {f:.0} ns = {ratio:.3}x ({verdict} target {target}x)"
                );
            }
            _ => println!("  {group}: no estimates (run without a filter to measure both)"),
        }
    }
}
