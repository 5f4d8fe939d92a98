//! Subject/authority key identifiers: SHA-1 of the 65-byte uncompressed public key (RFC 5280
//! §4.2.1.2 method 1), the convention of connectedhomeip and matter.js issuers. Every
//! certificate in chip_certificates.json follows it, so paseo's test CA can reproduce their
//! key identifiers byte for byte.
//!
//! Validation never recomputes identifiers (it only compares AKID with the issuer's SKID,
//! as connectedhomeip `src/credentials/CHIPCert.cpp` and matter.js do), so SHA-1's collision
//! weakness does not matter here. SHA-1 is not among paseo-core's dependencies; this FIPS 180-4
//! §6.1 implementation (one-shot, for short inputs) avoids adding a crate for 20 bytes per
//! certificate.

use crate::crypto::P256PublicKey;

use super::extensions::KEY_ID_LEN;

/// The key identifier of `public_key`: SHA-1 of its uncompressed SEC1 encoding.
pub fn key_identifier(public_key: &P256PublicKey) -> [u8; KEY_ID_LEN] {
    sha1(&public_key.to_uncompressed())
}

/// SHA-1 (FIPS 180-4 §6.1.2) of `message`.
fn sha1(message: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];

    // Padding (FIPS 180-4 §5.1.1): 0x80, zeros to 56 mod 64, then the bit length as a 64-bit
    // big-endian.
    let bit_len = (message.len() as u64).wrapping_mul(8);
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&bit_len.to_be_bytes());

    for block in padded.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
            // `chunks_exact(4)` yields 4-byte slices only, so indices 0–3 exist.
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        // t ranges over 16..80 and `w` has 80 entries, so t and t − 3 … t − 16 are in bounds.
        for t in 16..80 {
            w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (t, &wt) in w.iter().enumerate() {
            let (f, k) = match t {
                0..=19 => ((b & c) | (!b & d), 0x5a82_7999),
                20..=39 => (b ^ c ^ d, 0x6ed9_eba1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
                _ => (b ^ c ^ d, 0xca62_c1d6),
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(wt);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (hi, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *hi = hi.wrapping_add(v);
        }
    }

    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn fips_180_examples() {
        // FIPS 180 / RFC 3174 test messages.
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&[b'a'; 1_000_000])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn padding_boundaries() {
        // 55, 56 and 64 bytes straddle the one-block / two-block padding boundary.
        assert_eq!(
            hex(&sha1(&[b'a'; 55])),
            "c1c8bbdc22796e28c0e15163d20899b65621d65a"
        );
        assert_eq!(
            hex(&sha1(&[b'a'; 56])),
            "c2db330f6083854c99d4b5bfb6e8f29f201be699"
        );
        assert_eq!(
            hex(&sha1(&[b'a'; 64])),
            "0098ba824b5c16427bd7a1122a5a442a25ec644d"
        );
    }
}
