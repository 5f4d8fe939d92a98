//! Known-answer tests for `paseo_core::crypto`: every case of the seven primitive vector files,
//! valid and must-fail alike.

mod common;

use common::{cases, hex_field};
use paseo_core::crypto::*;
use serde_json::Value;

fn is_valid(case: &Value) -> bool {
    case["valid"]
        .as_bool()
        .unwrap_or_else(|| panic!("case without a boolean `valid`: {case}"))
}

fn desc(case: &Value) -> &str {
    case["description"].as_str().unwrap_or("?")
}

fn array<const N: usize>(case: &Value, field: &str) -> [u8; N] {
    hex_field(case, field)
        .try_into()
        .unwrap_or_else(|v: Vec<u8>| panic!("{field} has {} bytes, expected {N}", v.len()))
}

/// (valid, invalid) counts, asserted by each test so a file that silently lost its must-fail
/// cases would be noticed.
fn tally(cases: &[Value]) -> (usize, usize) {
    let valid = cases.iter().filter(|c| is_valid(c)).count();
    (valid, cases.len() - valid)
}

#[test]
fn aes_ccm_128_every_case() {
    let cases = cases("aes_ccm_128.json");
    let (valid, invalid) = tally(&cases);
    assert!(
        valid >= 12 && invalid >= 7,
        "valid {valid}, invalid {invalid}"
    );
    for case in &cases {
        let key = Aes128CcmKey::from_slice(&hex_field(case, "key")).unwrap();
        let nonce: [u8; CCM_NONCE_LEN] = array(case, "nonce");
        let aad = hex_field(case, "aad");
        let sealed = hex_field(case, "ciphertext_and_tag");
        let what = desc(case);
        if is_valid(case) {
            let plaintext = hex_field(case, "plaintext");
            assert_eq!(
                key.encrypt(&nonce, &aad, &plaintext).unwrap(),
                sealed,
                "{what}"
            );
            assert_eq!(
                key.decrypt(&nonce, &aad, &sealed).unwrap(),
                plaintext,
                "{what}"
            );

            let mut buf = plaintext.clone();
            key.encrypt_in_place(&nonce, &aad, &mut buf).unwrap();
            assert_eq!(buf, sealed, "{what}");
            key.decrypt_in_place(&nonce, &aad, &mut buf).unwrap();
            assert_eq!(buf, plaintext, "{what}");

            let mut body = plaintext.clone();
            let mic = key
                .encrypt_in_place_detached(&nonce, &aad, &mut body)
                .unwrap();
            assert_eq!([body.as_slice(), &mic].concat(), sealed, "{what}");
            key.decrypt_in_place_detached(&nonce, &aad, &mut body, &mic)
                .unwrap();
            assert_eq!(body, plaintext, "{what}");
        } else {
            assert!(case["plaintext"].is_null(), "{what}");
            let expected = if sealed.len() < CCM_MIC_LEN {
                CryptoError::CiphertextTooShort {
                    len: sealed.len(),
                    min: CCM_MIC_LEN,
                }
            } else {
                CryptoError::Decrypt
            };
            assert_eq!(key.decrypt(&nonce, &aad, &sealed), Err(expected), "{what}");
            let mut buf = sealed.clone();
            assert_eq!(
                key.decrypt_in_place(&nonce, &aad, &mut buf),
                Err(expected),
                "{what}"
            );
            assert!(buf.is_empty(), "no plaintext may be released: {what}");
        }
    }
}

#[test]
fn sha256_every_case() {
    let cases = cases("sha256.json");
    for case in &cases {
        let message = hex_field(case, "message");
        let digest: [u8; SHA256_LEN] = array(case, "digest");
        assert_eq!(sha256(&message), digest, "{}", desc(case));
        for chunk in [1, 3, 64, 65] {
            let mut hasher = Sha256Hasher::new();
            for piece in message.chunks(chunk) {
                hasher.update(piece);
            }
            assert_eq!(
                hasher.finalize(),
                digest,
                "{} in {chunk}-byte chunks",
                desc(case)
            );
        }
    }
}

#[test]
fn hmac_sha256_every_case() {
    let cases = cases("hmac_sha256.json");
    for case in &cases {
        let key = hex_field(case, "key");
        let message = hex_field(case, "message");
        let mac: [u8; HMAC_SHA256_LEN] = array(case, "mac");
        let what = desc(case);
        assert_eq!(hmac_sha256(&key, &message), mac, "{what}");

        let mut incremental = HmacSha256::new(&key);
        let (head, tail) = message.split_at(message.len() / 2);
        incremental.update(head);
        incremental.update(tail);
        assert_eq!(incremental.clone().finalize(), mac, "{what}");
        assert_eq!(incremental.verify(&mac), Ok(()), "{what}");

        let mut wrong = mac;
        wrong[HMAC_SHA256_LEN - 1] ^= 0x01;
        assert_eq!(
            hmac_sha256_verify(&key, &message, &wrong),
            Err(CryptoError::MacMismatch),
            "{what}"
        );
    }
}

#[test]
fn hkdf_sha256_every_case() {
    let cases = cases("hkdf_sha256.json");
    let mut split_cases = 0;
    for case in &cases {
        let ikm = hex_field(case, "ikm");
        let salt = hex_field(case, "salt");
        let info = hex_field(case, "info");
        let okm = hex_field(case, "okm");
        let what = desc(case);
        let length = case["length"].as_u64().unwrap() as usize;
        assert_eq!(okm.len(), length, "{what}");

        let mut out = vec![0u8; length];
        hkdf_sha256(&ikm, &salt, &info, &mut out).unwrap();
        assert_eq!(out, okm, "{what}");

        // PRK = HMAC(salt, IKM); an empty salt is the same HMAC key as 32 zero bytes.
        let prk: [u8; 32] = array(case, "prk");
        let prk_salt = if salt.is_empty() {
            vec![0u8; 32]
        } else {
            salt.clone()
        };
        assert_eq!(hmac_sha256(&prk_salt, &ikm), prk, "{what}");

        // Matter SessionKeys: I2R ‖ R2I ‖ AttestationChallenge (Matter 1.3 §4.14.1, §4.14.2).
        if !case["i2r_key"].is_null() {
            split_cases += 1;
            assert_eq!(out[..16], hex_field(case, "i2r_key"), "{what}");
            assert_eq!(out[16..32], hex_field(case, "r2i_key"), "{what}");
            assert_eq!(
                out[32..48],
                hex_field(case, "attestation_challenge"),
                "{what}"
            );
        }
    }
    assert!(split_cases > 0, "no SessionKeys cases found");
}

#[test]
fn pbkdf2_hmac_sha256_every_case() {
    let cases = cases("pbkdf2_hmac_sha256.json");
    let mut matter_cases = 0;
    for case in &cases {
        let password = hex_field(case, "password");
        let salt = hex_field(case, "salt");
        let output = hex_field(case, "output");
        let iterations = u32::try_from(case["iterations"].as_u64().unwrap()).unwrap();
        let length = case["length"].as_u64().unwrap() as usize;
        let what = desc(case);

        let mut out = vec![0u8; length];
        pbkdf2_sha256(&password, &salt, iterations, &mut out).unwrap();
        assert_eq!(out, output, "{what}");

        // Matter: the password is the passcode as a u32 little-endian (Matter 1.3 §3.9, §4.14.1),
        // and the 80 bytes split into w0s ‖ w1s.
        if let Some(passcode) = case["passcode"].as_u64() {
            matter_cases += 1;
            let passcode = u32::try_from(passcode).unwrap();
            assert_eq!(password, passcode.to_le_bytes(), "{what}");
            assert_eq!(out[..40], hex_field(case, "w0s"), "{what}");
            assert_eq!(out[40..], hex_field(case, "w1s"), "{what}");
        }
    }
    assert!(matter_cases > 0, "no Matter passcode cases found");
}

#[test]
fn p256_ecdh_every_case() {
    let cases = cases("p256_ecdh.json");
    let (valid, invalid) = tally(&cases);
    assert!(
        valid > 0 && invalid >= 5,
        "valid {valid}, invalid {invalid}"
    );
    for case in &cases {
        let pair = EphemeralKeyPair::from_secret_bytes(&array(case, "private_key")).unwrap();
        let what = desc(case);
        assert_eq!(
            pair.public_key().to_uncompressed().as_slice(),
            hex_field(case, "public_key"),
            "{what}"
        );
        let peer = hex_field(case, "peer_public_key");
        let result = pair.diffie_hellman_sec1(&peer);
        if is_valid(case) {
            let expected: [u8; P256_SHARED_SECRET_LEN] = array(case, "shared_secret");
            assert_eq!(result.unwrap().as_bytes(), &expected, "{what}");
        } else {
            assert!(case["shared_secret"].is_null(), "{what}");
            assert_eq!(result, Err(CryptoError::InvalidPublicKey), "{what}");
            assert_eq!(
                P256PublicKey::from_uncompressed(&peer),
                Err(CryptoError::InvalidPublicKey),
                "{what}"
            );
        }
    }
}

/// n, the order of the P-256 group, big-endian.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Whether a big-endian 32-byte component lies outside [1, n − 1].
fn out_of_range(component: &[u8]) -> bool {
    component.iter().all(|&b| b == 0) || component >= P256_N.as_slice()
}

#[test]
fn ecdsa_p256_sha256_every_case() {
    let cases = cases("ecdsa_p256_sha256.json");
    let (valid, invalid) = tally(&cases);
    assert!(valid > 0 && invalid > 0, "valid {valid}, invalid {invalid}");
    let (mut signed, mut malformed, mut high_s) = (0, 0, 0);
    for case in &cases {
        let public_key = hex_field(case, "public_key");
        let message = hex_field(case, "message");
        let signature = hex_field(case, "signature");
        let what = desc(case);
        let result = ecdsa_p256_sha256_verify(&public_key, &message, &signature);

        if is_valid(case) {
            assert_eq!(result, Ok(()), "{what}");
        } else if out_of_range(&signature[..32]) || out_of_range(&signature[32..]) {
            malformed += 1;
            assert_eq!(result, Err(CryptoError::MalformedSignature), "{what}");
        } else {
            assert_eq!(result, Err(CryptoError::SignatureMismatch), "{what}");
        }
        if case["note"].as_str() == Some("high_s_variant") {
            high_s += 1;
            assert!(is_valid(case), "{what}");
        }

        // With the private key, RFC 6979 signing reproduces the signature exactly.
        if !case["private_key"].is_null() {
            let key = SigningKeyPair::from_secret_bytes(&array(case, "private_key")).unwrap();
            assert_eq!(
                key.public_key().to_uncompressed().as_slice(),
                public_key,
                "{what}"
            );
            if is_valid(case) {
                signed += 1;
                assert_eq!(key.sign(&message).unwrap().as_slice(), signature, "{what}");
            }
        }
    }
    assert!(signed > 0, "no signing cases");
    assert_eq!(malformed, 4, "r = 0, s = 0, r = n, s = n");
    assert_eq!(high_s, 1, "the high-s variant");
}
