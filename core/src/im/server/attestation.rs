//! Device attestation material (Matter Core Specification §6.2 "Device Attestation", §6.3
//! "Certification Declaration", §11.18.6 Operational Credentials commands): the DAC and PAI a
//! CertificateChainRequest returns, the DAC key that signs AttestationElements and
//! NOCSRElements, and a Certification Declaration (CMS SignedData) for the device.
//!
//! The test chain (DAC `FFF1-8000-0000` ← PAI `FFF1-8000` ← development PAA "Matter Test PAA",
//! vendor 0xFFF1) and the CD signing key are connectedhomeip's public test credentials, committed
//! under `core/data/attestation/` (see the README there for their origin). The CD is built here
//! and signed with the RFC 6979 deterministic ECDSA of [`SigningKeyPair::sign`], so it is the same
//! bytes on every build and a test can rebuild and compare it.

use crate::cert::der::{self, DerWriter};
use crate::cert::{key_identifier, signature_to_der};
use crate::crypto::{CryptoError, ECDSA_P256_SIGNATURE_LEN, SigningKeyPair};
use crate::tlv::{Tag, Writer};

/// connectedhomeip `credentials/test/attestation/Chip-Test-DAC-FFF1-8000-0000-Cert.der`.
pub const TEST_DAC: &[u8] =
    include_bytes!("../../../data/attestation/Chip-Test-DAC-FFF1-8000-0000-Cert.der");
/// connectedhomeip `credentials/test/attestation/Chip-Test-DAC-FFF1-8000-0000-Key.der`
/// (SEC1 ECPrivateKey).
pub const TEST_DAC_KEY: &[u8] =
    include_bytes!("../../../data/attestation/Chip-Test-DAC-FFF1-8000-0000-Key.der");
/// connectedhomeip `credentials/test/attestation/Chip-Test-PAI-FFF1-8000-Cert.der`.
pub const TEST_PAI: &[u8] =
    include_bytes!("../../../data/attestation/Chip-Test-PAI-FFF1-8000-Cert.der");
/// connectedhomeip `credentials/development/paa-root-certs/Chip-Test-PAA-FFF1-Cert.der`: the
/// trust anchor a controller verifies [`TEST_PAI`] against (the device never sends it).
pub const TEST_PAA: &[u8] = include_bytes!("../../../data/attestation/Chip-Test-PAA-FFF1-Cert.der");
/// connectedhomeip `credentials/test/certification-declaration/Chip-Test-CD-Signing-Cert.der`.
pub const TEST_CD_SIGNING_CERT: &[u8] =
    include_bytes!("../../../data/attestation/Chip-Test-CD-Signing-Cert.der");
/// connectedhomeip `credentials/test/certification-declaration/Chip-Test-CD-Signing-Key.der`
/// (SEC1 ECPrivateKey).
pub const TEST_CD_SIGNING_KEY: &[u8] =
    include_bytes!("../../../data/attestation/Chip-Test-CD-Signing-Key.der");

/// The test vendor id the chain is issued for.
pub const TEST_VENDOR_ID: u16 = 0xFFF1;
/// The product id in the test DAC and PAI.
pub const TEST_PRODUCT_ID: u16 = 0x8000;

/// id-signedData (RFC 5652 §5.1).
const OID_SIGNED_DATA: [u64; 7] = [1, 2, 840, 113_549, 1, 7, 2];
/// id-data (RFC 5652 §4).
const OID_DATA: [u64; 7] = [1, 2, 840, 113_549, 1, 7, 1];
/// id-sha256 (RFC 5754 §2.2).
const OID_SHA256: [u64; 9] = [2, 16, 840, 1, 101, 3, 4, 2, 1];
/// ecdsa-with-SHA256 (RFC 5758 §3.2).
const OID_ECDSA_WITH_SHA256: [u64; 7] = [1, 2, 840, 10045, 4, 3, 2];
/// CMSVersion 3: SignedData with a SubjectKeyIdentifier signer (RFC 5652 §5.1, §5.3).
const CMS_VERSION: u64 = 3;

/// Why attestation material could not be loaded or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestationError {
    /// The private key is not a SEC1 ECPrivateKey with a 32-byte P-256 scalar.
    #[error("malformed SEC1 EC private key")]
    PrivateKey,
    /// The key bytes are not a valid P-256 scalar, or signing failed.
    #[error("invalid P-256 private key: {0}")]
    Crypto(#[from] CryptoError),
    /// The Certification Declaration content does not encode.
    #[error("certification declaration TLV: {0}")]
    Tlv(#[from] crate::tlv::TlvError),
}

/// The 32-byte scalar of a SEC1 `ECPrivateKey` (RFC 5915 §3):
/// `SEQUENCE { INTEGER 1, OCTET STRING privateKey, [0] parameters OPTIONAL, [1] publicKey
/// OPTIONAL }`. The optional fields are not checked (the scalar alone defines the key).
pub fn sec1_private_key(der_bytes: &[u8]) -> Result<[u8; 32], AttestationError> {
    /// The content of the element at the start of `input` if it carries `tag`, and where the
    /// element ends.
    fn split(input: &[u8], tag: u8) -> Option<(&[u8], usize)> {
        let (found, start, end) = der::read_header(input)?;
        (found == tag).then_some(())?;
        Some((input.get(start..end)?, end))
    }
    let (outer, _) = split(der_bytes, der::tag::SEQUENCE).ok_or(AttestationError::PrivateKey)?;
    let (version, used) = split(outer, der::tag::INTEGER).ok_or(AttestationError::PrivateKey)?;
    if version != [1] {
        return Err(AttestationError::PrivateKey);
    }
    let rest = outer.get(used..).ok_or(AttestationError::PrivateKey)?;
    let (scalar, _) = split(rest, der::tag::OCTET_STRING).ok_or(AttestationError::PrivateKey)?;
    scalar.try_into().map_err(|_| AttestationError::PrivateKey)
}

/// A SEC1 DER private key as a signing key pair.
pub fn signing_key_from_sec1(der_bytes: &[u8]) -> Result<SigningKeyPair, AttestationError> {
    Ok(SigningKeyPair::from_secret_bytes(&sec1_private_key(
        der_bytes,
    )?)?)
}

/// The content of a Certification Declaration (Matter Core §6.3.1), TLV tags 0–8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificationContent {
    /// Vendor id (tag 1).
    pub vendor_id: u16,
    /// Product ids covered (tag 2, 1..=100 entries).
    pub product_ids: Vec<u16>,
    /// Primary device type (tag 3).
    pub device_type_id: u32,
    /// 19-character certificate id (tag 4).
    pub certificate_id: String,
    /// Security level (tag 5, 0).
    pub security_level: u8,
    /// Security information (tag 6, 0).
    pub security_information: u16,
    /// Version number (tag 7).
    pub version_number: u16,
    /// 0 development and test, 1 provisional, 2 official (tag 8).
    pub certification_type: u8,
}

impl CertificationContent {
    /// A development-and-test CD for [`TEST_VENDOR_ID`] / [`TEST_PRODUCT_ID`], an On/Off Light
    /// (device type 0x0100).
    pub fn test() -> Self {
        Self {
            vendor_id: TEST_VENDOR_ID,
            product_ids: vec![TEST_PRODUCT_ID],
            device_type_id: 0x0100,
            certificate_id: "ZIG20141ZB330001-24".to_owned(),
            security_level: 0,
            security_information: 0,
            version_number: 0x2694,
            certification_type: 0,
        }
    }

    /// The CD TLV: anonymous structure `{0: format_version 1, 1: vendor_id, 2: [product ids],
    /// 3: device_type_id, 4: certificate_id, 5: security_level, 6: security_information,
    /// 7: version_number, 8: certification_type}`.
    pub fn encode_tlv(&self) -> Result<Vec<u8>, crate::tlv::TlvError> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_uint(Tag::Context(0), 1);
        w.put_uint(Tag::Context(1), u64::from(self.vendor_id));
        w.start_array(Tag::Context(2));
        for pid in &self.product_ids {
            w.put_uint(Tag::Anonymous, u64::from(*pid));
        }
        w.end_container();
        w.put_uint(Tag::Context(3), u64::from(self.device_type_id));
        w.put_utf8(Tag::Context(4), &self.certificate_id);
        w.put_uint(Tag::Context(5), u64::from(self.security_level));
        w.put_uint(Tag::Context(6), u64::from(self.security_information));
        w.put_uint(Tag::Context(7), u64::from(self.version_number));
        w.put_uint(Tag::Context(8), u64::from(self.certification_type));
        w.end_container();
        w.finish()
    }
}

/// Wraps `content` (the CD TLV) in CMS SignedData signed by `signer` (Matter Core §6.3.2):
/// version 3, digest SHA-256, eContentType id-data with the TLV as eContent, one SignerInfo
/// naming the signer by SubjectKeyIdentifier, no signed attributes, ecdsa-with-SHA256 over the
/// eContent bytes.
pub fn sign_certification_declaration(
    content: &[u8],
    signer: &SigningKeyPair,
) -> Result<Vec<u8>, CryptoError> {
    let signature = signature_to_der(&signer.sign(content)?);
    let skid = key_identifier(signer.public_key());
    let mut w = DerWriter::new();
    w.sequence(|w| {
        w.oid(&OID_SIGNED_DATA);
        w.explicit(0, |w| {
            w.sequence(|w| {
                w.integer_u64(CMS_VERSION);
                w.set(|w| w.sequence(|w| w.oid(&OID_SHA256)));
                w.sequence(|w| {
                    w.oid(&OID_DATA);
                    w.explicit(0, |w| w.octet_string(content));
                });
                w.set(|w| {
                    w.sequence(|w| {
                        w.integer_u64(CMS_VERSION);
                        w.implicit_primitive(0, &skid);
                        w.sequence(|w| w.oid(&OID_SHA256));
                        w.sequence(|w| w.oid(&OID_ECDSA_WITH_SHA256));
                        w.octet_string(&signature);
                    });
                });
            });
        });
    });
    Ok(w.finish())
}

/// What a device attests with.
#[derive(Clone)]
pub struct DeviceAttestation {
    dac: Vec<u8>,
    pai: Vec<u8>,
    dac_key: SigningKeyPair,
    certification_declaration: Vec<u8>,
}

impl core::fmt::Debug for DeviceAttestation {
    // By hand: the DAC key stays out of logs.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeviceAttestation")
            .field("dac_len", &self.dac.len())
            .field("pai_len", &self.pai.len())
            .field("cd_len", &self.certification_declaration.len())
            .finish_non_exhaustive()
    }
}

impl DeviceAttestation {
    /// Material from its parts: DER DAC and PAI, the DAC's key, and a signed CD.
    pub fn new(
        dac: Vec<u8>,
        pai: Vec<u8>,
        dac_key: SigningKeyPair,
        certification_declaration: Vec<u8>,
    ) -> Self {
        Self {
            dac,
            pai,
            dac_key,
            certification_declaration,
        }
    }

    /// The committed test chain for vendor 0xFFF1 / product 0x8000 with a
    /// [`CertificationContent::test`] CD signed by the test CD signing key.
    pub fn test() -> Result<Self, AttestationError> {
        let cd_key = signing_key_from_sec1(TEST_CD_SIGNING_KEY)?;
        let content = CertificationContent::test().encode_tlv()?;
        let cd = sign_certification_declaration(&content, &cd_key)?;
        Ok(Self::new(
            TEST_DAC.to_vec(),
            TEST_PAI.to_vec(),
            signing_key_from_sec1(TEST_DAC_KEY)?,
            cd,
        ))
    }

    /// The DAC, DER.
    pub fn dac(&self) -> &[u8] {
        &self.dac
    }

    /// The PAI, DER.
    pub fn pai(&self) -> &[u8] {
        &self.pai
    }

    /// The Certification Declaration, CMS DER.
    pub fn certification_declaration(&self) -> &[u8] {
        &self.certification_declaration
    }

    /// The DAC's public key half.
    pub fn dac_public_key(&self) -> &crate::crypto::P256PublicKey {
        self.dac_key.public_key()
    }

    /// ECDSA with the DAC key over `elements ‖ attestation_challenge` (§11.18.6.2, §11.18.6.6).
    pub fn sign_with_challenge(
        &self,
        elements: &[u8],
        attestation_challenge: &[u8; 16],
    ) -> Result<[u8; ECDSA_P256_SIGNATURE_LEN], CryptoError> {
        let mut tbs = Vec::with_capacity(elements.len() + attestation_challenge.len());
        tbs.extend_from_slice(elements);
        tbs.extend_from_slice(attestation_challenge);
        self.dac_key.sign(&tbs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_keys_match_their_certificates() {
        let dac = signing_key_from_sec1(TEST_DAC_KEY).unwrap();
        let point = dac.public_key().to_uncompressed();
        assert!(TEST_DAC.windows(point.len()).any(|w| w == point));
        let cd = signing_key_from_sec1(TEST_CD_SIGNING_KEY).unwrap();
        let point = cd.public_key().to_uncompressed();
        assert!(
            TEST_CD_SIGNING_CERT
                .windows(point.len())
                .any(|w| w == point)
        );
        // The SKID the CMS names is the one in the signing certificate.
        let skid = key_identifier(cd.public_key());
        assert!(TEST_CD_SIGNING_CERT.windows(20).any(|w| w == skid));
    }

    #[test]
    fn cd_tlv_layout() {
        let tlv = CertificationContent::test().encode_tlv().unwrap();
        // {0: 1, 1: 0xFFF1, 2: [0x8000], 3: 0x0100, ...}
        assert_eq!(
            &tlv[..16],
            [
                0x15, 0x24, 0x00, 0x01, 0x25, 0x01, 0xf1, 0xff, 0x36, 0x02, 0x05, 0x00, 0x80, 0x18,
                0x25, 0x03
            ]
        );
        assert_eq!(*tlv.last().unwrap(), 0x18);
    }

    #[test]
    fn malformed_keys_are_typed_errors() {
        assert_eq!(sec1_private_key(&[]), Err(AttestationError::PrivateKey));
        assert_eq!(
            sec1_private_key(&TEST_DAC_KEY[..20]),
            Err(AttestationError::PrivateKey)
        );
        let mut wrong_version = TEST_DAC_KEY.to_vec();
        wrong_version[4] = 2;
        assert_eq!(
            sec1_private_key(&wrong_version),
            Err(AttestationError::PrivateKey)
        );
        // A zero scalar is not a key.
        let mut zero = TEST_DAC_KEY.to_vec();
        zero[7..39].fill(0);
        assert!(matches!(
            signing_key_from_sec1(&zero),
            Err(AttestationError::Crypto(_))
        ));
    }
}
