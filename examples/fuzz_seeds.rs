//! Writes the fuzz seeds that need the Rust code to make: the scenario files `paseo explore`
//! generates (for `parse_scenario`), and the genuine certificates of `decode_cert`'s fixture
//! (the fuzzer cannot sign, so without them it never reaches a chain that validates).
//! `fuzz/make_seeds.py` runs it; by hand:
//!
//! ```sh
//! cargo run --release --example fuzz_seeds -- fuzz/corpus
//! ```
//!
//! The certificates are built exactly as `fuzz/fuzz_targets/decode_cert.rs` builds its
//! fixture (same seeds, configuration and node ids): change both together.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use paseo::explore::{generate, render};
use paseo_core::cert::{TestCa, TestCaConfig};
use paseo_core::fabric::NodeId;

/// Explore seeds whose scenarios seed `parse_scenario`.
const EXPLORE_SEEDS: std::ops::Range<u64> = 0..24;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn certificates(out: &Path) -> Result<usize, String> {
    let err = |e: paseo_core::cert::CertError| e.to_string();
    let config = TestCaConfig {
        icac_id: Some(2),
        ..TestCaConfig::default()
    };
    let mut ca = TestCa::from_seed(1, config).map_err(err)?;
    let key = *ca.root_public_key();
    let noc = ca
        .issue_noc_for_public_key(&key, NodeId(0x1234), &[0x0001_0001])
        .map_err(err)?;
    let mut direct = TestCa::from_seed(2, TestCaConfig::default()).map_err(err)?;
    let direct_noc = direct
        .issue_noc_for_public_key(&key, NodeId(0x5678), &[])
        .map_err(err)?;
    let icac = ca.icac().ok_or("no ICAC")?;
    let dir = out.join("decode_cert");
    let certs = [
        ("fixture-rcac", ca.rcac().tlv()),
        ("fixture-icac", icac.tlv()),
        ("fixture-noc", noc.tlv()),
        ("fixture-direct-rcac", direct.rcac().tlv()),
        ("fixture-direct-noc", direct_noc.tlv()),
    ];
    for (name, tlv) in certs {
        write(&dir, name, tlv)?;
    }
    Ok(certs.len())
}

fn explore(out: &Path) -> Result<usize, String> {
    let dir = out.join("parse_scenario");
    let mut written = 0;
    for seed in EXPLORE_SEEDS {
        let Some(recipe) = generate(seed) else {
            continue;
        };
        let yaml = render::yaml(&recipe, seed, &render::Provenance::default());
        write(&dir, &format!("explore-gen-{seed}.yaml"), yaml.as_bytes())?;
        written += 1;
    }
    Ok(written)
}

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz_seeds CORPUS_DIR");
        return ExitCode::from(2);
    };
    match certificates(&out).and_then(|c| Ok((c, explore(&out)?))) {
        Ok((certs, scenarios)) => {
            println!("decode_cert: {certs} seeds; parse_scenario: {scenarios} explore seeds");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fuzz_seeds: {e}");
            ExitCode::FAILURE
        }
    }
}
