//! Key derivation: HKDF-SHA256 (session keys, Matter 1.3 §4.14.1, §4.14.2) and
//! PBKDF2-HMAC-SHA256 (the PASE passcode verifier, Matter 1.3 §3.9, §4.14.1).

use super::error::CryptoError;

/// The most bytes HKDF-SHA256 can produce (RFC 5869: 255 × HashLen).
pub const HKDF_SHA256_MAX_OUTPUT: usize = 255 * 32;

/// HKDF-SHA256 extract-then-expand of `ikm` into `out` (its whole length).
///
/// An empty `salt` is the RFC 5869 default of 32 zero bytes; Matter passes an empty salt for
/// PASE session keys (Matter 1.3 §4.14.1). The two are the same HMAC key, since HMAC pads
/// short keys with zeros.
pub fn hkdf_sha256(
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    if out.len() > HKDF_SHA256_MAX_OUTPUT {
        return Err(CryptoError::KdfOutputTooLong {
            len: out.len(),
            max: HKDF_SHA256_MAX_OUTPUT,
        });
    }
    let salt = if salt.is_empty() { None } else { Some(salt) };
    hkdf::Hkdf::<sha2::Sha256>::new(salt, ikm)
        .expand(info, out)
        // Only an over-long output makes expand fail, and that was rejected above.
        .map_err(|_| CryptoError::KdfOutputTooLong {
            len: out.len(),
            max: HKDF_SHA256_MAX_OUTPUT,
        })
}

/// PBKDF2-HMAC-SHA256 of `password` and `salt` with `iterations` rounds into `out` (its whole
/// length). Matter derives 80 bytes (w0s ‖ w1s) from the passcode as a 4-byte little-endian
/// integer (Matter 1.3 §3.9, §4.14.1).
pub fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) -> Result<(), CryptoError> {
    if iterations == 0 {
        return Err(CryptoError::ZeroIterations);
    }
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hkdf_empty_salt_equals_zero_salt() {
        let mut a = [0u8; 48];
        let mut b = [0u8; 48];
        hkdf_sha256(b"ikm", &[], b"info", &mut a).unwrap();
        hkdf_sha256(b"ikm", &[0u8; 32], b"info", &mut b).unwrap();
        assert_eq!(a, b);
        hkdf_sha256(b"ikm", &[1u8], b"info", &mut b).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn hkdf_output_is_a_prefix_of_a_longer_output() {
        let mut short = [0u8; 16];
        let mut long = [0u8; 48];
        hkdf_sha256(b"k", b"s", b"i", &mut short).unwrap();
        hkdf_sha256(b"k", b"s", b"i", &mut long).unwrap();
        assert_eq!(short, long[..16]);
    }

    #[test]
    fn hkdf_length_limits() {
        let mut max = vec![0u8; HKDF_SHA256_MAX_OUTPUT];
        assert_eq!(hkdf_sha256(b"k", b"", b"", &mut max), Ok(()));
        let mut over = vec![0u8; HKDF_SHA256_MAX_OUTPUT + 1];
        assert_eq!(
            hkdf_sha256(b"k", b"", b"", &mut over),
            Err(CryptoError::KdfOutputTooLong {
                len: HKDF_SHA256_MAX_OUTPUT + 1,
                max: HKDF_SHA256_MAX_OUTPUT
            })
        );
        assert_eq!(hkdf_sha256(b"k", b"", b"", &mut []), Ok(()));
    }

    #[test]
    fn pbkdf2_rejects_zero_iterations_and_leaves_out_untouched() {
        let mut out = [0xaau8; 8];
        assert_eq!(
            pbkdf2_sha256(b"pw", b"salt", 0, &mut out),
            Err(CryptoError::ZeroIterations)
        );
        assert_eq!(out, [0xaa; 8]);
    }

    #[test]
    fn pbkdf2_iterations_change_output() {
        let mut one = [0u8; 32];
        let mut two = [0u8; 32];
        pbkdf2_sha256(b"pw", b"salt", 1, &mut one).unwrap();
        pbkdf2_sha256(b"pw", b"salt", 2, &mut two).unwrap();
        assert_ne!(one, two);
        // One iteration is a single HMAC block: U1 = HMAC(pw, salt || INT(1)).
        assert_eq!(
            one,
            super::super::mac::hmac_sha256(b"pw", b"salt\0\0\0\x01")
        );
    }
}
