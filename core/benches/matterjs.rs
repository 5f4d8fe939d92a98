//! paseo next to matter.js 0.17.9 (the interop peer's pinned version): runs
//! `sim/interop/matterjs/bench.mjs` under Node.js and divides its times by paseo's, read from
//! the criterion estimates of the `codec`, `pase` and `case` benches (run those first; the
//! same machine, the same session). Prints how many times faster paseo is, against the
//! targets: codec ≥ 10×, handshakes ≥ 3×.
//!
//! matter.js's handshake numbers are the crypto steps of one handshake only (see bench.mjs):
//! they leave out its TLV, certificates and session handling, so the ratios understate paseo.
//! Without `node` or without the peer's node_modules (`npm ci` in sim/interop/matterjs) it
//! prints a skip line and exits successfully.
//!
//! Run:
//! `cargo bench -p paseo-core --bench codec --bench pase --bench case -- --warm-up-time 1 --measurement-time 3`
//! then `cargo bench -p paseo-core --bench matterjs`

use std::path::PathBuf;
use std::process::Command;

// Only `mean_ns` is used here; `report` serves the other benches.
#[allow(dead_code)]
#[path = "ratio.rs"]
mod ratio;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sim/interop/matterjs");
    if !dir.join("node_modules/@matter/main").is_dir() {
        println!(
            "matterjs: skipped (no node_modules in {}; run npm ci there)",
            dir.display()
        );
        return;
    }
    let output = match Command::new("node")
        .arg("bench.mjs")
        .current_dir(&dir)
        .output()
    {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            println!(
                "matterjs: skipped (node bench.mjs failed: {})",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            println!("matterjs: skipped (node not runnable: {e})");
            return;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let Some(json) = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    else {
        println!("matterjs: skipped (no JSON from bench.mjs: {text})");
        return;
    };
    println!("matter.js: {json}");
    let rows = [
        (
            "codec encode+decode",
            "codec_encode_decode_ns",
            ("codec_vs_floor", "headers_encode_decode"),
            10.0,
        ),
        (
            "PASE (full vs crypto steps)",
            "pase_crypto_ns",
            ("pase_full_handshake_1000it", ""),
            3.0,
        ),
        (
            "CASE (full vs crypto steps)",
            "case_crypto_ns",
            ("case_full_vs_floor", "full_case_no_icac"),
            3.0,
        ),
    ];
    println!("\npaseo against matter.js (matter.js time / paseo time):");
    for (name, key, (group, id), target) in rows {
        match (json[key].as_f64(), ratio::mean_ns(group, id)) {
            (Some(theirs), Some(ours)) if ours > 0.0 => {
                let speedup = theirs / ours;
                let verdict = if speedup >= target { "meets" } else { "BELOW" };
                println!(
                    "  {name}: matter.js {theirs:.0} ns / paseo {ours:.0} ns = {speedup:.1}x faster ({verdict} target {target}x)"
                );
            }
            _ => println!(
                "  {name}: no paseo estimate for {group}/{id} (run the codec, pase and case benches first)"
            ),
        }
    }
}
