//! Property tests for AES-128-CCM (`paseo_core::crypto::Aes128CcmKey`): any payload and AAD
//! round-trip, and any single-bit change to ciphertext or MIC is rejected without releasing
//! plaintext.

use paseo_core::crypto::{Aes128CcmKey, CCM_MIC_LEN, CCM_NONCE_LEN, CryptoError};
use proptest::prelude::*;

fn inputs() -> impl Strategy<Value = ([u8; 16], [u8; CCM_NONCE_LEN], Vec<u8>, Vec<u8>)> {
    (
        any::<[u8; 16]>(),
        any::<[u8; CCM_NONCE_LEN]>(),
        prop::collection::vec(any::<u8>(), 0..64),
        prop::collection::vec(any::<u8>(), 0..1400),
    )
}

proptest! {
    #[test]
    fn encrypt_then_decrypt_round_trips((key, nonce, aad, plaintext) in inputs()) {
        let key = Aes128CcmKey::new(&key);
        let sealed = key.encrypt(&nonce, &aad, &plaintext).unwrap();
        prop_assert_eq!(sealed.len(), plaintext.len() + CCM_MIC_LEN);
        prop_assert_eq!(key.decrypt(&nonce, &aad, &sealed).unwrap(), plaintext.clone());

        let mut buf = plaintext.clone();
        key.encrypt_in_place(&nonce, &aad, &mut buf).unwrap();
        prop_assert_eq!(&buf, &sealed);
        key.decrypt_in_place(&nonce, &aad, &mut buf).unwrap();
        prop_assert_eq!(buf, plaintext);
    }

    #[test]
    fn flipping_any_bit_of_ciphertext_or_mic_fails(
        (key, nonce, aad, plaintext) in inputs(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let key = Aes128CcmKey::new(&key);
        let mut sealed = key.encrypt(&nonce, &aad, &plaintext).unwrap();
        let i = position.index(sealed.len());
        sealed[i] ^= 1 << bit;
        prop_assert_eq!(key.decrypt(&nonce, &aad, &sealed), Err(CryptoError::Decrypt));
        let mut buf = sealed;
        prop_assert_eq!(key.decrypt_in_place(&nonce, &aad, &mut buf), Err(CryptoError::Decrypt));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn flipping_any_bit_of_aad_or_nonce_fails(
        (key, nonce, aad, plaintext) in inputs(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let key = Aes128CcmKey::new(&key);
        let sealed = key.encrypt(&nonce, &aad, &plaintext).unwrap();
        let mut other_nonce = nonce;
        other_nonce[position.index(CCM_NONCE_LEN)] ^= 1 << bit;
        prop_assert_eq!(key.decrypt(&other_nonce, &aad, &sealed), Err(CryptoError::Decrypt));
        if !aad.is_empty() {
            let mut other_aad = aad.clone();
            other_aad[position.index(aad.len())] ^= 1 << bit;
            prop_assert_eq!(key.decrypt(&nonce, &other_aad, &sealed), Err(CryptoError::Decrypt));
        }
    }

    #[test]
    fn decrypting_arbitrary_bytes_never_panics(
        key in any::<[u8; 16]>(),
        nonce in any::<[u8; CCM_NONCE_LEN]>(),
        junk in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let key = Aes128CcmKey::new(&key);
        let result = key.decrypt(&nonce, &[], &junk);
        if junk.len() < CCM_MIC_LEN {
            prop_assert_eq!(
                result,
                Err(CryptoError::CiphertextTooShort { len: junk.len(), min: CCM_MIC_LEN })
            );
        } else {
            // A random 16-byte MIC matches with probability 2^-128.
            prop_assert_eq!(result, Err(CryptoError::Decrypt));
        }
    }
}
