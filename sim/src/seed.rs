//! One seed drives everything: every random stream of a run is derived from it with SHA-256,
//! labelled by what it is for, so adding a node or a link never shifts another stream.
//!
//! `stream(seed, label) = SHA-256(seed as 8 little-endian bytes ‖ label as UTF-8)`. Labels:
//! - `turmoil` — turmoil's own RNG (first 8 bytes as its u64 seed);
//! - `node:{name}#{restart}` — the ChaCha of node `name` after `restart` restarts (0 at first);
//! - `link:{from}>{to}` — the impairment ChaCha of the directed link `from → to`;
//! - `secret:{n}` — the shared secret of the `n`-th installed pairing-free session.
//!
//! Never std's `DefaultHasher`: its output may change between Rust releases.

use paseo_core::crypto::sha256;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// 32 bytes derived from `seed` for the purpose named by `label`.
pub fn derive(seed: u64, label: &str) -> [u8; 32] {
    let mut input = Vec::with_capacity(8 + label.len());
    input.extend_from_slice(&seed.to_le_bytes());
    input.extend_from_slice(label.as_bytes());
    sha256(&input)
}

/// A ChaCha20 stream for `label`.
pub fn rng(seed: u64, label: &str) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(derive(seed, label))
}

/// The RNG of node `name` after `restart` restarts.
pub fn node_rng(seed: u64, name: &str, restart: u32) -> ChaCha20Rng {
    rng(seed, &format!("node:{name}#{restart}"))
}

/// The impairment RNG of the directed link `from → to`.
pub fn link_rng(seed: u64, from: &str, to: &str) -> ChaCha20Rng {
    rng(seed, &format!("link:{from}>{to}"))
}

/// turmoil's u64 seed.
pub fn turmoil_seed(seed: u64) -> u64 {
    let bytes = derive(seed, "turmoil");
    let mut first = [0u8; 8];
    // `bytes` is 32 long: the first 8 are in range.
    first.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(first)
}

/// The seed to run with: `PASEO_SEED` from the environment when set (decimal or `0x` hex), so a
/// failing run can be replayed, else `default`.
pub fn seed_from_env(default: u64) -> u64 {
    std::env::var("PASEO_SEED")
        .ok()
        .and_then(|text| parse_seed(&text))
        .unwrap_or(default)
}

/// Parses a seed written in decimal or as `0x…` hex.
pub fn parse_seed(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::RngCore;

    #[test]
    fn streams_depend_on_seed_and_label_only() {
        assert_eq!(derive(7, "node:a#0"), derive(7, "node:a#0"));
        assert_ne!(derive(7, "node:a#0"), derive(8, "node:a#0"));
        assert_ne!(derive(7, "node:a#0"), derive(7, "node:a#1"));
        assert_ne!(
            node_rng(1, "a", 0).next_u64(),
            node_rng(1, "b", 0).next_u64()
        );
    }

    #[test]
    fn derivation_is_sha256_of_seed_and_label() {
        let mut input = 5u64.to_le_bytes().to_vec();
        input.extend_from_slice(b"turmoil");
        assert_eq!(derive(5, "turmoil"), sha256(&input));
    }

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed(" 0x2A "), Some(42));
        assert_eq!(parse_seed("forty-two"), None);
    }
}
