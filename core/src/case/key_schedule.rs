//! The CASE key schedule (Matter 1.3 §4.14.2.3, §4.14.2): the ECDH shared secret, S2K and
//! S3K with the TBEData2/TBEData3 encryption they key, the session-key salt, and for
//! resumption S1RK/S2RK, the two resume MICs and the resumed-session salt.
//!
//! All KDFs are HKDF-SHA256; all AEAD is AES-128-CCM with a fixed 13-byte ASCII nonce, empty
//! AAD and a 16-byte tag. A resume MIC is the tag of an empty plaintext.

use zeroize::Zeroizing;

use super::error::CaseError;
use super::fabric_keys::OperationalIpk;
use super::{MIC_LEN, RANDOM_LEN};
use crate::crypto::{
    Aes128CcmKey, CCM_MIC_LEN, CCM_NONCE_LEN, CryptoError, EphemeralKeyPair,
    HKDF_SHA256_MAX_OUTPUT, P256_PUBLIC_KEY_LEN, P256_SHARED_SECRET_LEN, SHA256_LEN, SharedSecret,
    hkdf_sha256,
};
use crate::session::keys::SessionKeyMaterial;
use crate::session::resumption::{RESUMPTION_ID_LEN, ResumptionId};

/// Length of S2K, S3K, S1RK and S2RK.
pub const SIGMA_KEY_LEN: usize = 16;

/// AES-CCM nonce of TBEData2 (Matter 1.3 §4.14.2.3; exactly 13 ASCII bytes).
pub const SIGMA2_NONCE: &[u8; CCM_NONCE_LEN] = b"NCASE_Sigma2N";
/// AES-CCM nonce of TBEData3.
pub const SIGMA3_NONCE: &[u8; CCM_NONCE_LEN] = b"NCASE_Sigma3N";
/// AES-CCM nonce of the initiator resume MIC (Matter 1.3 §4.14.2: CHIP's comments say "SigmaR1",
/// its bytes and matter.js's spell "SigmaS1").
pub const SIGMA1_RESUME_NONCE: &[u8; CCM_NONCE_LEN] = b"NCASE_SigmaS1";
/// AES-CCM nonce of the Sigma2_Resume MIC.
pub const SIGMA2_RESUME_NONCE: &[u8; CCM_NONCE_LEN] = b"NCASE_SigmaS2";

const SIGMA2_INFO: &[u8] = b"Sigma2";
const SIGMA3_INFO: &[u8] = b"Sigma3";
const SIGMA1_RESUME_INFO: &[u8] = b"Sigma1_Resume";
const SIGMA2_RESUME_INFO: &[u8] = b"Sigma2_Resume";

/// A 16-byte handshake key (S2K, S3K, S1RK, S2RK), zeroized on drop.
pub type SigmaKey = Zeroizing<[u8; SIGMA_KEY_LEN]>;

/// HKDF-SHA256 into a fixed-size array.
pub(super) fn hkdf_array<const N: usize>(ikm: &[u8], salt: &[u8], info: &[u8]) -> [u8; N] {
    const { assert!(N <= HKDF_SHA256_MAX_OUTPUT) };
    let mut out = [0u8; N];
    // hkdf_sha256 fails only for an output longer than HKDF_SHA256_MAX_OUTPUT, which the
    // compile-time assertion above rules out for every N this is instantiated with.
    hkdf_sha256(ikm, salt, info, &mut out).expect("HKDF output length checked at compile time");
    out
}

fn sigma_key(shared_secret: &[u8], salt: &[u8], info: &[u8]) -> SigmaKey {
    Zeroizing::new(hkdf_array(shared_secret, salt, info))
}

/// ECDH of our ephemeral key with the peer's (Matter 1.3 §4.14.2.3): the 32-byte X coordinate. A
/// peer key that is not a valid uncompressed P-256 point is rejected.
pub fn shared_secret(
    own: &EphemeralKeyPair,
    peer_eph_pub_key: &[u8; P256_PUBLIC_KEY_LEN],
) -> Result<SharedSecret, CaseError> {
    own.diffie_hellman_sec1(peer_eph_pub_key)
        .map_err(|_| CaseError::InvalidPeerKey)
}

/// S2K salt: IPK ‖ responderRandom ‖ responder ephemeral key ‖ SHA-256(S1) (Matter 1.3 §4.14.2.3).
pub fn sigma2_key_salt(
    ipk: &OperationalIpk,
    responder_random: &[u8; RANDOM_LEN],
    responder_eph_pub_key: &[u8; P256_PUBLIC_KEY_LEN],
    sigma1_hash: &[u8; SHA256_LEN],
) -> Vec<u8> {
    [
        ipk.as_bytes().as_slice(),
        responder_random,
        responder_eph_pub_key,
        sigma1_hash,
    ]
    .concat()
}

/// S2K = HKDF(SharedSecret, [`sigma2_key_salt`], "Sigma2", 16): the key of TBEData2.
pub fn sigma2_key(
    shared_secret: &[u8; P256_SHARED_SECRET_LEN],
    ipk: &OperationalIpk,
    responder_random: &[u8; RANDOM_LEN],
    responder_eph_pub_key: &[u8; P256_PUBLIC_KEY_LEN],
    sigma1_hash: &[u8; SHA256_LEN],
) -> SigmaKey {
    let salt = sigma2_key_salt(ipk, responder_random, responder_eph_pub_key, sigma1_hash);
    sigma_key(shared_secret, &salt, SIGMA2_INFO)
}

/// S3K salt: IPK ‖ SHA-256(S1 ‖ S2) (Matter 1.3 §4.14.2.3).
pub fn sigma3_key_salt(ipk: &OperationalIpk, sigma12_hash: &[u8; SHA256_LEN]) -> Vec<u8> {
    [ipk.as_bytes().as_slice(), sigma12_hash].concat()
}

/// S3K = HKDF(SharedSecret, [`sigma3_key_salt`], "Sigma3", 16): the key of TBEData3.
pub fn sigma3_key(
    shared_secret: &[u8; P256_SHARED_SECRET_LEN],
    ipk: &OperationalIpk,
    sigma12_hash: &[u8; SHA256_LEN],
) -> SigmaKey {
    sigma_key(
        shared_secret,
        &sigma3_key_salt(ipk, sigma12_hash),
        SIGMA3_INFO,
    )
}

/// Session-key salt of a full CASE: IPK ‖ SHA-256(S1 ‖ S2 ‖ S3) (Matter 1.3 §4.14.2).
pub fn session_keys_salt(ipk: &OperationalIpk, sigma123_hash: &[u8; SHA256_LEN]) -> Vec<u8> {
    [ipk.as_bytes().as_slice(), sigma123_hash].concat()
}

/// I2R ‖ R2I ‖ AttestationChallenge of a full CASE: HKDF(SharedSecret,
/// [`session_keys_salt`], "SessionKeys", 48) (Matter 1.3 §4.14.2).
pub fn session_keys(
    shared_secret: &[u8; P256_SHARED_SECRET_LEN],
    ipk: &OperationalIpk,
    sigma123_hash: &[u8; SHA256_LEN],
) -> Result<SessionKeyMaterial, CaseError> {
    SessionKeyMaterial::derive(shared_secret, &session_keys_salt(ipk, sigma123_hash), false)
        .map_err(|_| CaseError::KeyDerivation)
}

fn seal(
    key: &[u8; SIGMA_KEY_LEN],
    nonce: &[u8; CCM_NONCE_LEN],
    plaintext: &[u8],
    field: &'static str,
) -> Result<Vec<u8>, CaseError> {
    Aes128CcmKey::new(key)
        .encrypt(nonce, &[], plaintext)
        .map_err(|_| CaseError::PayloadTooLong {
            field,
            len: plaintext.len(),
        })
}

fn open(
    key: &[u8; SIGMA_KEY_LEN],
    nonce: &[u8; CCM_NONCE_LEN],
    ciphertext_and_mic: &[u8],
    field: &'static str,
) -> Result<Vec<u8>, CaseError> {
    Aes128CcmKey::new(key)
        .decrypt(nonce, &[], ciphertext_and_mic)
        .map_err(|err| match err {
            CryptoError::CiphertextTooShort { len, min } => CaseError::TooShort {
                field,
                min,
                actual: len,
            },
            _ => CaseError::DecryptFailed(field),
        })
}

/// encrypted2 = AES-CCM(S2K, "NCASE_Sigma2N", aad = empty, TBEData2): ciphertext ‖ MIC.
pub fn encrypt_tbe_data2(
    s2k: &[u8; SIGMA_KEY_LEN],
    tbe_data2: &[u8],
) -> Result<Vec<u8>, CaseError> {
    seal(s2k, SIGMA2_NONCE, tbe_data2, "TBEData2")
}

/// Authenticates and decrypts encrypted2 to the TBEData2 bytes.
pub fn decrypt_tbe_data2(
    s2k: &[u8; SIGMA_KEY_LEN],
    encrypted2: &[u8],
) -> Result<Vec<u8>, CaseError> {
    open(s2k, SIGMA2_NONCE, encrypted2, "encrypted2")
}

/// encrypted3 = AES-CCM(S3K, "NCASE_Sigma3N", aad = empty, TBEData3): ciphertext ‖ MIC.
pub fn encrypt_tbe_data3(
    s3k: &[u8; SIGMA_KEY_LEN],
    tbe_data3: &[u8],
) -> Result<Vec<u8>, CaseError> {
    seal(s3k, SIGMA3_NONCE, tbe_data3, "TBEData3")
}

/// Authenticates and decrypts encrypted3 to the TBEData3 bytes.
pub fn decrypt_tbe_data3(
    s3k: &[u8; SIGMA_KEY_LEN],
    encrypted3: &[u8],
) -> Result<Vec<u8>, CaseError> {
    open(s3k, SIGMA3_NONCE, encrypted3, "encrypted3")
}

/// initiatorRandom ‖ resumptionId: the salt of S1RK (with the Sigma1 resumption id), of S2RK
/// (with the **new** id from Sigma2_Resume) and of the resumed session keys (with the Sigma1
/// id again, Matter 1.3 §4.14.2; matter.js `session/case/CaseServer.ts`).
pub fn resumption_salt(
    initiator_random: &[u8; RANDOM_LEN],
    resumption_id: &ResumptionId,
) -> [u8; RANDOM_LEN + RESUMPTION_ID_LEN] {
    let mut salt = [0u8; RANDOM_LEN + RESUMPTION_ID_LEN];
    let (random_part, id_part) = salt.split_at_mut(RANDOM_LEN);
    random_part.copy_from_slice(initiator_random);
    id_part.copy_from_slice(resumption_id);
    salt
}

/// S1RK = HKDF(SharedSecret, initiatorRandom ‖ Sigma1 resumptionId, "Sigma1_Resume", 16).
pub fn sigma1_resume_key(
    shared_secret: &[u8; P256_SHARED_SECRET_LEN],
    initiator_random: &[u8; RANDOM_LEN],
    resumption_id: &ResumptionId,
) -> SigmaKey {
    sigma_key(
        shared_secret,
        &resumption_salt(initiator_random, resumption_id),
        SIGMA1_RESUME_INFO,
    )
}

/// S2RK = HKDF(SharedSecret, initiatorRandom ‖ new resumptionId, "Sigma2_Resume", 16).
pub fn sigma2_resume_key(
    shared_secret: &[u8; P256_SHARED_SECRET_LEN],
    initiator_random: &[u8; RANDOM_LEN],
    new_resumption_id: &ResumptionId,
) -> SigmaKey {
    sigma_key(
        shared_secret,
        &resumption_salt(initiator_random, new_resumption_id),
        SIGMA2_RESUME_INFO,
    )
}

/// The AES-CCM tag of an empty plaintext with empty AAD.
fn empty_mic(key: &[u8; SIGMA_KEY_LEN], nonce: &[u8; CCM_NONCE_LEN]) -> [u8; MIC_LEN] {
    const { assert!(MIC_LEN == CCM_MIC_LEN) };
    // Encryption fails only for a payload over 65535 bytes; this one is empty.
    Aes128CcmKey::new(key)
        .encrypt_in_place_detached(nonce, &[], &mut [])
        .expect("an empty plaintext always fits AES-CCM")
}

/// Checks a MIC against an empty ciphertext (the CCM tag comparison is constant time).
fn verify_empty_mic(
    key: &[u8; SIGMA_KEY_LEN],
    nonce: &[u8; CCM_NONCE_LEN],
    mic: &[u8; MIC_LEN],
    field: &'static str,
) -> Result<(), CaseError> {
    Aes128CcmKey::new(key)
        .decrypt_in_place_detached(nonce, &[], &mut [], mic)
        .map_err(|_| CaseError::ResumeMicMismatch(field))
}

/// initiatorResumeMIC = AES-CCM(S1RK, "NCASE_SigmaS1", empty, empty), the 16-byte tag.
pub fn initiator_resume_mic(s1rk: &[u8; SIGMA_KEY_LEN]) -> [u8; MIC_LEN] {
    empty_mic(s1rk, SIGMA1_RESUME_NONCE)
}

/// Verifies a Sigma1 initiatorResumeMIC under S1RK (failure: fall back to full CASE, Matter 1.3
/// §4.14.2).
pub fn verify_initiator_resume_mic(
    s1rk: &[u8; SIGMA_KEY_LEN],
    mic: &[u8; MIC_LEN],
) -> Result<(), CaseError> {
    verify_empty_mic(s1rk, SIGMA1_RESUME_NONCE, mic, "initiatorResumeMIC")
}

/// sigma2ResumeMIC = AES-CCM(S2RK, "NCASE_SigmaS2", empty, empty), the 16-byte tag.
pub fn sigma2_resume_mic(s2rk: &[u8; SIGMA_KEY_LEN]) -> [u8; MIC_LEN] {
    empty_mic(s2rk, SIGMA2_RESUME_NONCE)
}

/// Verifies a Sigma2_Resume MIC under S2RK (failure: abort with INVALID_PARAMETER, Matter 1.3
/// §4.14.2).
pub fn verify_sigma2_resume_mic(
    s2rk: &[u8; SIGMA_KEY_LEN],
    mic: &[u8; MIC_LEN],
) -> Result<(), CaseError> {
    verify_empty_mic(s2rk, SIGMA2_RESUME_NONCE, mic, "sigma2ResumeMIC")
}

/// Keys of a resumed session: HKDF(SharedSecret, initiatorRandom ‖ the resumption id **sent in
/// Sigma1**, "SessionResumptionKeys", 48) (Matter 1.3 §4.14.2; matter.js
/// `session/case/CaseServer.ts`: not the new id from Sigma2_Resume).
pub fn resumed_session_keys(
    shared_secret: &[u8; P256_SHARED_SECRET_LEN],
    initiator_random: &[u8; RANDOM_LEN],
    sigma1_resumption_id: &ResumptionId,
) -> Result<SessionKeyMaterial, CaseError> {
    SessionKeyMaterial::derive(
        shared_secret,
        &resumption_salt(initiator_random, sigma1_resumption_id),
        true,
    )
    .map_err(|_| CaseError::KeyDerivation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_thirteen_ascii_bytes() {
        for nonce in [
            SIGMA2_NONCE,
            SIGMA3_NONCE,
            SIGMA1_RESUME_NONCE,
            SIGMA2_RESUME_NONCE,
        ] {
            assert!(nonce.starts_with(b"NCASE_Sigma"));
            assert!(nonce.is_ascii());
        }
    }

    #[test]
    fn tbe_data_round_trips_and_rejects_tampering() {
        let key = [3u8; SIGMA_KEY_LEN];
        let plaintext = b"\x15\x30\x01\x03abc\x18";
        let sealed = encrypt_tbe_data2(&key, plaintext).unwrap();
        assert_eq!(sealed.len(), plaintext.len() + MIC_LEN);
        assert_eq!(decrypt_tbe_data2(&key, &sealed).unwrap(), plaintext);
        // The Sigma3 nonce differs, so Sigma2 ciphertext does not open as Sigma3.
        assert_eq!(
            decrypt_tbe_data3(&key, &sealed),
            Err(CaseError::DecryptFailed("encrypted3"))
        );
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert_eq!(
            decrypt_tbe_data2(&key, &tampered),
            Err(CaseError::DecryptFailed("encrypted2"))
        );
        assert_eq!(
            decrypt_tbe_data2(&key, &sealed[..MIC_LEN - 1]),
            Err(CaseError::TooShort {
                field: "encrypted2",
                min: MIC_LEN,
                actual: MIC_LEN - 1
            })
        );
        let sealed3 = encrypt_tbe_data3(&key, plaintext).unwrap();
        assert_ne!(sealed3, sealed);
        assert_eq!(decrypt_tbe_data3(&key, &sealed3).unwrap(), plaintext);
    }

    #[test]
    fn too_long_tbe_data_is_a_typed_error() {
        let key = [3u8; SIGMA_KEY_LEN];
        let long = vec![0u8; 0x1_0000];
        assert_eq!(
            encrypt_tbe_data3(&key, &long),
            Err(CaseError::PayloadTooLong {
                field: "TBEData3",
                len: 0x1_0000
            })
        );
    }

    #[test]
    fn resume_mics_verify_only_with_their_own_key_and_nonce() {
        let secret = [9u8; 32];
        let random = [1u8; RANDOM_LEN];
        let id = [2u8; RESUMPTION_ID_LEN];
        let s1rk = sigma1_resume_key(&secret, &random, &id);
        let s2rk = sigma2_resume_key(&secret, &random, &id);
        assert_ne!(*s1rk, *s2rk, "the info strings differ");
        let mic1 = initiator_resume_mic(&s1rk);
        assert_eq!(verify_initiator_resume_mic(&s1rk, &mic1), Ok(()));
        assert_eq!(
            verify_sigma2_resume_mic(&s1rk, &mic1),
            Err(CaseError::ResumeMicMismatch("sigma2ResumeMIC"))
        );
        let mic2 = sigma2_resume_mic(&s2rk);
        assert_eq!(verify_sigma2_resume_mic(&s2rk, &mic2), Ok(()));
        let mut bad = mic1;
        bad[15] ^= 0x80;
        assert_eq!(
            verify_initiator_resume_mic(&s1rk, &bad),
            Err(CaseError::ResumeMicMismatch("initiatorResumeMIC"))
        );
    }

    #[test]
    fn resumption_salt_is_random_then_id() {
        let salt = resumption_salt(&[0xaa; RANDOM_LEN], &[0xbb; RESUMPTION_ID_LEN]);
        assert!(salt[..RANDOM_LEN].iter().all(|&b| b == 0xaa));
        assert!(salt[RANDOM_LEN..].iter().all(|&b| b == 0xbb));
    }

    #[test]
    fn invalid_peer_keys_are_rejected() {
        let own = EphemeralKeyPair::from_secret_bytes(&[1u8; 32]).unwrap();
        let mut not_on_curve = [0u8; P256_PUBLIC_KEY_LEN];
        not_on_curve[0] = 4;
        assert!(matches!(
            shared_secret(&own, &not_on_curve),
            Err(CaseError::InvalidPeerKey)
        ));
        let peer = EphemeralKeyPair::from_secret_bytes(&[2u8; 32]).unwrap();
        let a = shared_secret(&own, &peer.public_key().to_uncompressed()).unwrap();
        let b = shared_secret(&peer, &own.public_key().to_uncompressed()).unwrap();
        assert_eq!(a, b);
    }
}
