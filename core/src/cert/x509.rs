//! The X.509 DER form rebuilt from a Matter TLV certificate (Matter 1.3 §6.5; connectedhomeip
//! `src/credentials/CHIPCertToX509.cpp`): the `TBSCertificate` the signature covers, the full
//! certificate, and the conversion between the raw r ‖ s signature Matter carries and the DER
//! `ECDSA-Sig-Value` X.509 carries.

use super::der::{self, DerWriter};
use super::error::CertError;
use super::time::Asn1Time;
use super::tlv_cert::{CertificateFields, MatterCertificate};
use crate::crypto::{ECDSA_P256_SIGNATURE_LEN, P256PublicKey};

/// ecdsa-with-SHA256.
const OID_ECDSA_WITH_SHA256: [u64; 7] = [1, 2, 840, 10045, 4, 3, 2];
/// id-ecPublicKey.
const OID_EC_PUBLIC_KEY: [u64; 6] = [1, 2, 840, 10045, 2, 1];
/// prime256v1.
const OID_PRIME256V1: [u64; 7] = [1, 2, 840, 10045, 3, 1, 7];
/// X.509 v3 is encoded as version 2.
const X509_V3: u64 = 2;
/// Length of one of r, s.
const SCALAR_LEN: usize = ECDSA_P256_SIGNATURE_LEN / 2;

fn write_signature_algorithm(w: &mut DerWriter) {
    // AlgorithmIdentifier with no parameters (RFC 5758 §3.2).
    w.sequence(|w| w.oid(&OID_ECDSA_WITH_SHA256));
}

impl CertificateFields {
    /// The DER `TBSCertificate` (Matter 1.3 §6.5; connectedhomeip
    /// `src/credentials/CHIPCertToX509.cpp`): version 3, the serial's bytes verbatim,
    /// ecdsa-with-SHA256, issuer, validity, subject, the P-256 SubjectPublicKeyInfo, and `[3]`
    /// extensions in TLV order.
    pub fn tbs_der(&self) -> Vec<u8> {
        let mut der = DerWriter::new();
        der.sequence(|w| {
            w.explicit(0, |w| w.integer_u64(X509_V3));
            w.integer_content(&self.serial);
            write_signature_algorithm(w);
            self.issuer.write_der(w);
            w.sequence(|w| {
                w.time(&Asn1Time::from_matter_epoch(self.not_before));
                w.time(&Asn1Time::from_matter_epoch(self.not_after));
            });
            self.subject.write_der(w);
            w.sequence(|w| {
                w.sequence(|w| {
                    w.oid(&OID_EC_PUBLIC_KEY);
                    w.oid(&OID_PRIME256V1);
                });
                w.bit_string(0, &self.public_key.to_uncompressed());
            });
            self.extensions.write_der(w);
        });
        der.finish()
    }
}

impl MatterCertificate {
    /// The DER `TBSCertificate` the signature covers.
    pub fn tbs_der(&self) -> Vec<u8> {
        self.fields().tbs_der()
    }

    /// The full X.509 DER certificate: `SEQUENCE { TBSCertificate, ecdsa-with-SHA256,
    /// BIT STRING (DER signature) }` (Matter 1.3 §6.5; connectedhomeip
    /// `src/credentials/CHIPCertToX509.cpp`).
    pub fn to_x509_der(&self) -> Vec<u8> {
        let tbs = self.tbs_der();
        let signature = signature_to_der(self.signature());
        let mut der = DerWriter::new();
        der.sequence(|w| {
            w.raw(&tbs);
            write_signature_algorithm(w);
            w.bit_string(0, &signature);
        });
        der.finish()
    }

    /// Verifies the signature (ECDSA-P256-SHA256 over the TBSCertificate DER) with the
    /// issuer's key (the certificate's own key for an RCAC).
    pub fn verify_signature(&self, issuer_key: &P256PublicKey) -> Result<(), CertError> {
        issuer_key
            .verify(&self.tbs_der(), self.signature())
            .map_err(CertError::Signature)
    }
}

/// The DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` of a raw r ‖ s signature
/// (minimal INTEGERs, a leading 0x00 when the top bit is set, Matter 1.3 §6.5; connectedhomeip
/// `src/credentials/CHIPCertToX509.cpp`).
pub fn signature_to_der(raw: &[u8; ECDSA_P256_SIGNATURE_LEN]) -> Vec<u8> {
    let (r, s) = raw.split_at(SCALAR_LEN);
    let mut der = DerWriter::new();
    der.sequence(|w| {
        w.integer_unsigned_be(r);
        w.integer_unsigned_be(s);
    });
    der.finish()
}

/// The raw r ‖ s of a DER `ECDSA-Sig-Value`. Strict DER: minimal, non-negative INTEGERs of at
/// most 256 bits and nothing after them. (Whether r and s are in range is the verifier's
/// business.)
pub fn signature_from_der(input: &[u8]) -> Result<[u8; ECDSA_P256_SIGNATURE_LEN], CertError> {
    let bad = CertError::InvalidDerSignature;
    let (tag, start, end) = der::read_header(input).ok_or(bad.clone())?;
    if tag != der::tag::SEQUENCE || end != input.len() {
        return Err(bad);
    }
    let mut rest = input.get(start..end).ok_or(bad.clone())?;
    let mut out = [0u8; ECDSA_P256_SIGNATURE_LEN];
    for half in out.chunks_exact_mut(SCALAR_LEN) {
        let (tag, start, end) = der::read_header(rest).ok_or(bad.clone())?;
        if tag != der::tag::INTEGER {
            return Err(bad);
        }
        let content = rest.get(start..end).ok_or(bad.clone())?;
        let magnitude = match content {
            // Negative, empty, or a redundant leading zero: not a minimal non-negative INTEGER.
            [] => return Err(bad),
            [first, ..] if first & 0x80 != 0 => return Err(bad),
            [0, second, ..] if second & 0x80 == 0 => return Err(bad),
            [0, tail @ ..] => tail,
            all => all,
        };
        let pad = SCALAR_LEN.checked_sub(magnitude.len()).ok_or(bad.clone())?;
        half.get_mut(pad..)
            .ok_or(bad.clone())?
            .copy_from_slice(magnitude);
        rest = rest.get(end..).ok_or(bad.clone())?;
    }
    if !rest.is_empty() {
        return Err(bad);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_der_round_trip_and_padding() {
        let mut raw = [0u8; 64];
        raw[0] = 0x80; // r needs a leading zero
        raw[63] = 0x01; // s is 1
        let der = signature_to_der(&raw);
        assert_eq!(der[..4], [0x30, 0x26, 0x02, 0x21]);
        assert_eq!(&der[der.len() - 3..], [0x02, 0x01, 0x01]);
        assert_eq!(signature_from_der(&der), Ok(raw));
        let zero = [0u8; 64];
        assert_eq!(signature_from_der(&signature_to_der(&zero)), Ok(zero));
    }

    #[test]
    fn non_der_signatures_are_rejected() {
        let bad: [&[u8]; 8] = [
            &[],
            &[0x30, 0x00],
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x81], // negative s
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01], // non-minimal r
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00], // trailing byte
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x01], // s not INTEGER
            &[0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], // not a SEQUENCE
            &[0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01],       // empty r
        ];
        for input in bad {
            assert_eq!(
                signature_from_der(input),
                Err(CertError::InvalidDerSignature),
                "{input:02x?}"
            );
        }
        // r of 33 significant bytes.
        let mut long = vec![0x30, 0x26, 0x02, 0x21, 0x01];
        long.extend_from_slice(&[0; 32]);
        long.extend_from_slice(&[0x02, 0x01, 0x01]);
        assert_eq!(
            signature_from_der(&long),
            Err(CertError::InvalidDerSignature)
        );
    }
}
