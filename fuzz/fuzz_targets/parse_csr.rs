//! Fuzzes the PKCS#10 CertificationRequest parser (`CertificationRequest::parse`, what a
//! commissionee returns inside NOCSRElements) and the strict DER reader under it.
//!
//! Three kinds of input, chosen by the first bytes:
//! - raw bytes as the CSR;
//! - one of a few genuine CSRs self-signed once per process, with one byte flipped (cheap:
//!   one parse, no signing);
//! - a CSR built from fuzzer-chosen parts (version, subject content, optional attributes
//!   content) and self-signed with a fixed key, then optionally one byte flipped.
//!
//! Properties: no panic; a CSR is accepted only if the ECDSA signature in it verifies, under
//! the key in its subjectPKInfo, over the exact certificationRequestInfo bytes (checked here
//! through `ecdsa_p256_sha256_verify`, not the parser's path); an accepted CSR rebuilds, from
//! its certificationRequestInfo, the ecdsa-with-SHA256 algorithm and its signature (re-encoded
//! by `signature_to_der`), to exactly the input bytes (only strict DER is accepted); the
//! reported key and subject are the ones in the input. A built CSR with version 0 is accepted
//! with the fixed key, any other version is refused, and no single flipped byte is ever
//! accepted (every byte is under the signature or is structure the parser checks).

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use paseo_core::cert::der::{self, DerWriter};
use paseo_core::cert::{CertificationRequest, CsrError, signature_from_der, signature_to_der};
use paseo_core::crypto::{SigningKeyPair, ecdsa_p256_sha256_verify};

const OID_ECDSA_WITH_SHA256: [u64; 7] = [1, 2, 840, 10045, 4, 3, 2];
const OID_EC_PUBLIC_KEY: [u64; 6] = [1, 2, 840, 10045, 2, 1];
const OID_PRIME256V1: [u64; 7] = [1, 2, 840, 10045, 3, 1, 7];

fn key() -> &'static SigningKeyPair {
    static KEY: OnceLock<SigningKeyPair> = OnceLock::new();
    KEY.get_or_init(|| SigningKeyPair::from_secret_bytes(&[0x5a; 32]).expect("valid scalar"))
}

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(Vec<u8>),
    Genuine {
        which: u8,
        at: u16,
        mask: u8,
    },
    Built {
        version: u8,
        subject: Vec<u8>,
        attributes: Option<Vec<u8>>,
        flip: Option<(u16, u8)>,
    },
}

/// Splits one DER element off the front: (tag, content, whole element, rest).
fn split(input: &[u8]) -> (u8, &[u8], &[u8], &[u8]) {
    let (tag, start, end) = der::read_header(input).expect("accepted, so well formed");
    (tag, &input[start..end], &input[..end], &input[end..])
}

/// What an accepted CSR must be, checked independently of the parser.
fn check_accepted(csr: &[u8], parsed: &CertificationRequest) {
    let (_, outer, _, rest) = split(csr);
    assert!(rest.is_empty());
    let (_, info, info_der, rest) = split(outer);
    let (_, _, _, rest) = split(rest);
    let (tag, signature_bits, _, rest) = split(rest);
    assert_eq!(tag, der::tag::BIT_STRING);
    assert!(rest.is_empty());
    let signature = signature_from_der(&signature_bits[1..]).expect("accepted signature");

    // The key and subject reported are the ones in the info.
    let (_, _, _, rest) = split(info); // version
    let (_, _, subject_der, rest) = split(rest);
    assert_eq!(parsed.subject_der(), subject_der);
    let (_, spki, _, _) = split(rest);
    let (_, _, _, rest) = split(spki);
    let (_, key_bits, _, _) = split(rest);
    let key = parsed.public_key().to_uncompressed();
    assert_eq!(&key_bits[1..], key.as_slice());

    // The signature verifies (through the crypto module directly) over the exact info bytes.
    assert!(
        ecdsa_p256_sha256_verify(&key, info_der, &signature).is_ok(),
        "accepted a CSR whose self-signature does not verify"
    );

    // Strict DER: the parts rebuild to the input byte for byte.
    let mut rebuilt = DerWriter::new();
    rebuilt.sequence(|w| {
        w.raw(info_der);
        w.sequence(|w| w.oid(&OID_ECDSA_WITH_SHA256));
        w.bit_string(0, &signature_to_der(&signature));
    });
    assert_eq!(
        rebuilt.finish(),
        csr,
        "accepted bytes that do not re-encode"
    );
}

fn build(version: u8, subject: &[u8], attributes: Option<&[u8]>) -> Vec<u8> {
    let key = key();
    let mut info = DerWriter::new();
    info.sequence(|w| {
        w.integer_u64(u64::from(version));
        w.constructed(der::tag::SEQUENCE, |w| w.raw(subject));
        w.sequence(|w| {
            w.sequence(|w| {
                w.oid(&OID_EC_PUBLIC_KEY);
                w.oid(&OID_PRIME256V1);
            });
            w.bit_string(0, &key.public_key().to_uncompressed());
        });
        if let Some(attributes) = attributes {
            w.constructed(der::tag::CONTEXT | der::tag::CONSTRUCTED, |w| {
                w.raw(attributes)
            });
        }
    });
    let info = info.finish();
    let signature = key.sign(&info).expect("signs");
    let mut csr = DerWriter::new();
    csr.sequence(|w| {
        w.raw(&info);
        w.sequence(|w| w.oid(&OID_ECDSA_WITH_SHA256));
        w.bit_string(0, &signature_to_der(&signature));
    });
    csr.finish()
}

/// A few genuine CSRs: matter.js's O=CSR subject with and without attributes, an empty
/// subject, and a long one (two-byte DER lengths).
fn genuine() -> &'static [Vec<u8>] {
    static GENUINE: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    GENUINE.get_or_init(|| {
        let o_csr = [
            0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x03, 0x43, 0x53, 0x52,
        ];
        let long: Vec<u8> = o_csr.iter().copied().cycle().take(14 * 12).collect();
        let csrs = vec![
            build(0, &o_csr, Some(&[])),
            build(0, &o_csr, None),
            build(0, &[], Some(&[0x30, 0x00])),
            build(0, &long, Some(&[])),
        ];
        for csr in &csrs {
            let parsed = CertificationRequest::parse(csr).expect("a genuine CSR parses");
            check_accepted(csr, &parsed);
        }
        csrs
    })
}

fuzz_target!(|input: Input| {
    match input {
        Input::Genuine { which, at, mask } => {
            let genuine = genuine();
            let mut csr = genuine[usize::from(which) % genuine.len()].clone();
            let i = usize::from(at) % csr.len();
            csr[i] ^= mask;
            match CertificationRequest::parse(&csr) {
                Ok(parsed) => {
                    assert_eq!(
                        mask, 0,
                        "accepted a CSR with byte {i} flipped by {mask:#04x}"
                    );
                    check_accepted(&csr, &parsed);
                }
                Err(_) => assert_ne!(mask, 0, "refused a genuine CSR"),
            }
        }
        Input::Raw(bytes) => {
            if let Ok(parsed) = CertificationRequest::parse(&bytes) {
                check_accepted(&bytes, &parsed);
            }
        }
        Input::Built {
            version,
            subject,
            attributes,
            flip,
        } => {
            let mut csr = build(version, &subject, attributes.as_deref());
            let result = CertificationRequest::parse(&csr);
            match &result {
                Ok(parsed) => {
                    assert_eq!(version, 0, "accepted version {version}");
                    assert_eq!(parsed.public_key(), key().public_key());
                    check_accepted(&csr, parsed);
                }
                Err(e) => {
                    assert_eq!(*e, CsrError::Version, "refused a genuine CSR: {e}");
                    assert_ne!(version, 0);
                }
            }
            if let Some((at, mask)) = flip.filter(|&(_, mask)| mask != 0) {
                let i = usize::from(at) % csr.len();
                csr[i] ^= mask;
                if let Ok(parsed) = CertificationRequest::parse(&csr) {
                    check_accepted(&csr, &parsed);
                    panic!("accepted a CSR with byte {i} flipped by {mask:#04x}");
                }
            }
        }
    }
});
