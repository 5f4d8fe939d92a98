//! PKCS#10 CertificationRequest (RFC 2986), as a commissionee returns it inside NOCSRElements
//! (Matter 1.3 §5.5): the public key the NOC must certify, proven by the request's
//! self-signature.
//!
//! ```text
//! CertificationRequest ::= SEQUENCE {
//!   certificationRequestInfo SEQUENCE {
//!     version       INTEGER 0,
//!     subject       Name,                          -- any; matter.js sends O=CSR
//!     subjectPKInfo SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 },
//!                              BIT STRING (0 unused bits) 04 ‖ X ‖ Y },
//!     attributes    [0] IMPLICIT SET OF Attribute  -- contents ignored; may be absent
//!   },
//!   signatureAlgorithm SEQUENCE { ecdsa-with-SHA256 },   -- no parameters (RFC 5758 §3.2)
//!   signature          BIT STRING (0 unused bits) ECDSA-Sig-Value }
//! ```
//!
//! The signature is ECDSA-P256-SHA256 over the exact DER bytes of certificationRequestInfo.
//! Parsing is strict DER through [`der::read_header`]; nothing reads past the input.

use super::der::DerWriter;
use super::der::{self, oid_content};
use super::x509::signature_from_der;
use super::x509::signature_to_der;
use crate::crypto::{P256PublicKey, SigningKeyPair};

/// ecdsa-with-SHA256.
const OID_ECDSA_WITH_SHA256: [u64; 7] = [1, 2, 840, 10045, 4, 3, 2];
/// id-ecPublicKey.
const OID_EC_PUBLIC_KEY: [u64; 6] = [1, 2, 840, 10045, 2, 1];
/// prime256v1.
const OID_PRIME256V1: [u64; 7] = [1, 2, 840, 10045, 3, 1, 7];
/// `[0]` constructed, context-specific: the attributes of the request info.
const ATTRIBUTES_TAG: u8 = der::tag::CONTEXT | der::tag::CONSTRUCTED;

/// Why a CSR was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    /// Malformed DER, or an element of the wrong type, where the named part should be.
    #[error("malformed DER at {0}")]
    Der(&'static str),
    /// Bytes after the CertificationRequest, or after the last element of a sequence.
    #[error("unexpected bytes after {0}")]
    TrailingBytes(&'static str),
    /// Version other than v1 (0).
    #[error("unsupported CSR version")]
    Version,
    /// The key is not an id-ecPublicKey on prime256v1.
    #[error("public key is not a P-256 EC key")]
    KeyAlgorithm,
    /// The key bytes are not a valid uncompressed P-256 point.
    #[error("invalid P-256 public key")]
    PublicKey,
    /// The signature algorithm is not ecdsa-with-SHA256 (without parameters).
    #[error("signature algorithm is not ecdsa-with-SHA256")]
    SignatureAlgorithm,
    /// The signature is not a DER ECDSA-Sig-Value in a BIT STRING with 0 unused bits.
    #[error("malformed signature")]
    MalformedSignature,
    /// The self-signature does not verify with the request's own key.
    #[error("CSR self-signature does not verify")]
    Signature,
}

/// A parsed and verified CSR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificationRequest {
    public_key: P256PublicKey,
    subject_der: Vec<u8>,
}

/// One DER element split off the front of an input: (content, whole element, rest).
type Split<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// Splits the element at the start of `input`, which must carry `tag`.
fn take<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<Split<'a>, CsrError> {
    let (found, start, end) = der::read_header(input).ok_or(CsrError::Der(what))?;
    if found != tag {
        return Err(CsrError::Der(what));
    }
    let content = input.get(start..end).ok_or(CsrError::Der(what))?;
    let whole = input.get(..end).ok_or(CsrError::Der(what))?;
    let rest = input.get(end..).ok_or(CsrError::Der(what))?;
    Ok((content, whole, rest))
}

fn done(rest: &[u8], what: &'static str) -> Result<(), CsrError> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(CsrError::TrailingBytes(what))
    }
}

/// The content of a BIT STRING that must have 0 unused bits.
fn whole_bytes(bit_string: &[u8]) -> Option<&[u8]> {
    match bit_string.split_first() {
        Some((0, bytes)) => Some(bytes),
        _ => None,
    }
}

impl CertificationRequest {
    /// The DER of a PKCS#10 request for `key`, self-signed (RFC 2986; subject O=CSR as
    /// matter.js writes it, empty attributes): what a device returns in NOCSRElements, and
    /// what [`CertificationRequest::parse`] reads back.
    pub fn build(key: &SigningKeyPair) -> Result<Vec<u8>, crate::crypto::CryptoError> {
        let mut info = DerWriter::new();
        info.sequence(|w| {
            w.integer_u64(0);
            w.sequence(|w| {
                w.set(|w| {
                    w.sequence(|w| {
                        w.oid(&[2, 5, 4, 10]);
                        w.utf8_string("CSR");
                    })
                })
            });
            w.sequence(|w| {
                w.sequence(|w| {
                    w.oid(&OID_EC_PUBLIC_KEY);
                    w.oid(&OID_PRIME256V1);
                });
                w.bit_string(0, &key.public_key().to_uncompressed());
            });
            w.constructed(ATTRIBUTES_TAG, |_| {});
        });
        let info = info.finish();
        let signature = signature_to_der(&key.sign(&info)?);
        let mut csr = DerWriter::new();
        csr.sequence(|w| {
            w.raw(&info);
            w.sequence(|w| w.oid(&OID_ECDSA_WITH_SHA256));
            w.bit_string(0, &signature);
        });
        Ok(csr.finish())
    }

    /// Parses `der` and verifies its self-signature.
    pub fn parse(der: &[u8]) -> Result<Self, CsrError> {
        let (outer, _, rest) = take(der, der::tag::SEQUENCE, "CertificationRequest")?;
        done(rest, "CertificationRequest")?;
        let (info, info_der, rest) = take(outer, der::tag::SEQUENCE, "certificationRequestInfo")?;
        let (algorithm, _, rest) = take(rest, der::tag::SEQUENCE, "signatureAlgorithm")?;
        let (signature, _, rest) = take(rest, der::tag::BIT_STRING, "signature")?;
        done(rest, "signature")?;

        let (oid, _, params) = take(algorithm, der::tag::OID, "signatureAlgorithm")?;
        if oid != oid_content(&OID_ECDSA_WITH_SHA256) || !params.is_empty() {
            return Err(CsrError::SignatureAlgorithm);
        }
        let signature = whole_bytes(signature)
            .and_then(|der_sig| signature_from_der(der_sig).ok())
            .ok_or(CsrError::MalformedSignature)?;

        let (version, _, rest) = take(info, der::tag::INTEGER, "version")?;
        if version != [0] {
            return Err(CsrError::Version);
        }
        let (_, subject_der, rest) = take(rest, der::tag::SEQUENCE, "subject")?;
        let (spki, _, rest) = take(rest, der::tag::SEQUENCE, "subjectPKInfo")?;
        if !rest.is_empty() {
            let (_, _, after) = take(rest, ATTRIBUTES_TAG, "attributes")?;
            done(after, "attributes")?;
        }

        let (key_algorithm, _, rest) = take(spki, der::tag::SEQUENCE, "subjectPKInfo algorithm")?;
        let (key_bits, _, rest) = take(rest, der::tag::BIT_STRING, "subjectPublicKey")?;
        done(rest, "subjectPKInfo")?;
        let (key_oid, _, rest) = take(key_algorithm, der::tag::OID, "subjectPKInfo algorithm")?;
        let (curve_oid, _, rest) = take(rest, der::tag::OID, "subjectPKInfo curve")?;
        if key_oid != oid_content(&OID_EC_PUBLIC_KEY)
            || curve_oid != oid_content(&OID_PRIME256V1)
            || !rest.is_empty()
        {
            return Err(CsrError::KeyAlgorithm);
        }
        let public_key = whole_bytes(key_bits)
            .and_then(|point| P256PublicKey::from_uncompressed(point).ok())
            .ok_or(CsrError::PublicKey)?;

        public_key
            .verify(info_der, &signature)
            .map_err(|_| CsrError::Signature)?;
        Ok(Self {
            public_key,
            subject_der: subject_der.to_vec(),
        })
    }

    /// The key the request proves possession of: the one the NOC must certify.
    pub fn public_key(&self) -> &P256PublicKey {
        &self.public_key
    }

    /// The subject Name, as DER (not used by Matter: the NOC subject is the commissioner's).
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    /// What a test CSR should get wrong.
    #[derive(Clone, Copy, Default)]
    struct Twist {
        version: u64,
        curve: Option<[u64; 7]>,
        signature_oid: Option<[u64; 7]>,
        without_attributes: bool,
        sign_with_other_key: bool,
        unused_signature_bits: u8,
    }

    fn key(seed: u64) -> SigningKeyPair {
        SigningKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    #[test]
    fn build_writes_what_parse_reads_and_the_test_builder_writes() {
        for seed in 0..4 {
            let k = key(seed);
            let der = CertificationRequest::build(&k).expect("sign");
            let csr = CertificationRequest::parse(&der).expect("a self-signed request");
            assert_eq!(csr.public_key(), k.public_key());
            // Byte for byte the RFC 2986 layout the tests below build by hand, but for the
            // signature (ECDSA here draws no randomness: RFC 6979, so it matches too).
            assert_eq!(der, build(&k, Twist::default()));
        }
    }

    /// A CSR built from RFC 2986 with the crate's DER writer, subject O=CSR like matter.js.
    fn build(key: &SigningKeyPair, twist: Twist) -> Vec<u8> {
        let mut info = DerWriter::new();
        info.sequence(|w| {
            w.integer_u64(twist.version);
            w.sequence(|w| {
                w.set(|w| {
                    w.sequence(|w| {
                        w.oid(&[2, 5, 4, 10]);
                        w.utf8_string("CSR");
                    })
                })
            });
            w.sequence(|w| {
                w.sequence(|w| {
                    w.oid(&OID_EC_PUBLIC_KEY);
                    w.oid(&twist.curve.unwrap_or(OID_PRIME256V1));
                });
                w.bit_string(0, &key.public_key().to_uncompressed());
            });
            if !twist.without_attributes {
                w.constructed(ATTRIBUTES_TAG, |_| {});
            }
        });
        let info = info.finish();
        let signer = if twist.sign_with_other_key {
            self::key(999)
        } else {
            key.clone()
        };
        let signature = signature_to_der(&signer.sign(&info).unwrap());
        let mut csr = DerWriter::new();
        csr.sequence(|w| {
            w.raw(&info);
            w.sequence(|w| w.oid(&twist.signature_oid.unwrap_or(OID_ECDSA_WITH_SHA256)));
            w.bit_string(twist.unused_signature_bits, &signature);
        });
        csr.finish()
    }

    #[test]
    fn a_well_formed_csr_yields_its_key() {
        let k = key(1);
        for without_attributes in [false, true] {
            let csr = build(
                &k,
                Twist {
                    without_attributes,
                    ..Twist::default()
                },
            );
            let parsed = CertificationRequest::parse(&csr).unwrap();
            assert_eq!(parsed.public_key(), k.public_key());
            assert_eq!(
                parsed.subject_der(),
                [
                    0x30, 0x0e, 0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x03,
                    b'C', b'S', b'R'
                ]
            );
        }
    }

    #[test]
    fn each_defect_has_its_error() {
        let k = key(2);
        let cases: [(Twist, CsrError); 5] = [
            (
                Twist {
                    version: 1,
                    ..Twist::default()
                },
                CsrError::Version,
            ),
            (
                Twist {
                    curve: Some([1, 3, 132, 0, 34, 0, 0]),
                    ..Twist::default()
                },
                CsrError::KeyAlgorithm,
            ),
            (
                Twist {
                    signature_oid: Some([1, 2, 840, 10045, 4, 3, 3]),
                    ..Twist::default()
                },
                CsrError::SignatureAlgorithm,
            ),
            (
                Twist {
                    sign_with_other_key: true,
                    ..Twist::default()
                },
                CsrError::Signature,
            ),
            (
                Twist {
                    unused_signature_bits: 1,
                    ..Twist::default()
                },
                CsrError::MalformedSignature,
            ),
        ];
        for (twist, expected) in cases {
            assert_eq!(
                CertificationRequest::parse(&build(&k, twist)),
                Err(expected)
            );
        }
    }

    #[test]
    fn tampering_and_framing_are_caught() {
        let k = key(3);
        let csr = build(&k, Twist::default());
        // Flip a byte of the subject's "CSR": still well-formed, signature no longer matches.
        let at = csr.windows(3).position(|w| w == b"CSR").unwrap();
        let mut tampered = csr.clone();
        tampered[at] ^= 0x01;
        assert_eq!(
            CertificationRequest::parse(&tampered),
            Err(CsrError::Signature)
        );
        // A byte after the request.
        let mut trailing = csr.clone();
        trailing.push(0);
        assert_eq!(
            CertificationRequest::parse(&trailing),
            Err(CsrError::TrailingBytes("CertificationRequest"))
        );
        // An invalid point: change the key's last coordinate byte (re-signing would not help).
        let point = k.public_key().to_uncompressed();
        let at = csr.windows(65).position(|w| w == point).unwrap();
        let mut off_curve = csr.clone();
        off_curve[at + 64] ^= 0x01;
        assert_eq!(
            CertificationRequest::parse(&off_curve),
            Err(CsrError::PublicKey)
        );
        // Every truncation is an error, never a panic.
        for len in 0..csr.len() {
            assert!(CertificationRequest::parse(&csr[..len]).is_err(), "{len}");
        }
        assert_eq!(
            CertificationRequest::parse(&[0x31, 0x00]),
            Err(CsrError::Der("CertificationRequest"))
        );
    }

    proptest! {
        #[test]
        fn any_key_round_trips(seed: u64) {
            let k = key(seed);
            let parsed = CertificationRequest::parse(&build(&k, Twist::default())).unwrap();
            prop_assert_eq!(parsed.public_key(), k.public_key());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = CertificationRequest::parse(&bytes);
        }

        #[test]
        fn every_single_byte_flip_is_refused(index: usize, flip in 1u8..) {
            // Every byte is framing, algorithm, signed data or signature: none can change
            // and leave a valid request.
            let mut csr = build(&key(4), Twist::default());
            let i = index % csr.len();
            csr[i] ^= flip;
            prop_assert!(CertificationRequest::parse(&csr).is_err());
        }
    }
}
