//! A deterministic test CA: a fabric's root key and RCAC, an optional ICAC, and NOCs for node
//! ids (with CATs), all from an injected RNG or a seed. Signatures use RFC 6979 nonces
//! ([`SigningKeyPair::sign`]), so the same seed always yields the same bytes.
//!
//! Certificates follow the profiles of Matter 1.3 §6.5.6.1, §6.5.11 and the layout of
//! connectedhomeip's issuer: RCAC subject `[matter-rcac-id]`, ICAC subject `[matter-icac-id]`
//! (each optionally followed by matter-fabric-id), NOC subject
//! `[matter-node-id, matter-fabric-id, CATs…]`; extensions basic-constraints, key-usage,
//! \[extended-key-usage clientAuth, serverAuth\], subject- and authority-key-identifier, with
//! key identifiers SHA-1 of the public key ([`key_identifier`]).

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRngCore, SeedableRng as _};

use super::chain::TrustedRoot;
use super::dn::{CaseAuthTag, DistinguishedName, DnAttribute};
use super::error::{CertError, ChainError};
use super::extensions::{BasicConstraints, Extension, Extensions, KeyPurpose, KeyUsage};
use super::key_id::key_identifier;
use super::profile::CertKind;
use super::tlv_cert::{CertificateFields, MatterCertificate};
use crate::crypto::{P256PublicKey, SigningKeyPair};
use crate::fabric::NodeId;

/// Default not-before: 2023-01-01T00:00:00Z in Matter epoch seconds (the time the generated
/// certificates of chip_certificates.json use).
pub const DEFAULT_NOT_BEFORE: u32 = 725_846_400;

/// A validity period in Matter epoch seconds. Never issue a not-before of 0: both reference
/// stacks read it as the year 9999 (Matter 1.3 §6.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    /// First second of validity.
    pub not_before: u32,
    /// Last second of validity; 0 means no expiry.
    pub not_after: u32,
}

impl Default for Validity {
    /// From [`DEFAULT_NOT_BEFORE`], no expiry.
    fn default() -> Self {
        Self {
            not_before: DEFAULT_NOT_BEFORE,
            not_after: 0,
        }
    }
}

/// How a [`TestCa`] builds its fabric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCaConfig {
    /// The fabric id every NOC carries.
    pub fabric_id: u64,
    /// The RCAC's matter-rcac-id.
    pub rcac_id: u64,
    /// `Some(id)`: issue an ICAC with this matter-icac-id and sign NOCs with it.
    pub icac_id: Option<u64>,
    /// Validity of the CA certificates, and the default for NOCs.
    pub validity: Validity,
    /// Also put matter-fabric-id into the RCAC and ICAC subjects.
    pub fabric_id_in_ca_subjects: bool,
}

impl Default for TestCaConfig {
    /// Fabric 1, RCAC id 1, no ICAC, default validity, no fabric id in CA subjects.
    fn default() -> Self {
        Self {
            fabric_id: 1,
            rcac_id: 1,
            icac_id: None,
            validity: Validity::default(),
            fabric_id_in_ca_subjects: false,
        }
    }
}

/// A NOC together with the key pair it certifies.
#[derive(Debug, Clone)]
pub struct IssuedNoc {
    /// The node's operational key pair.
    pub key_pair: SigningKeyPair,
    /// Its NOC.
    pub noc: MatterCertificate,
}

/// A certificate authority for one fabric, for tests and the simulator.
#[derive(Debug, Clone)]
pub struct TestCa {
    config: TestCaConfig,
    root_key: SigningKeyPair,
    rcac: MatterCertificate,
    intermediate: Option<(SigningKeyPair, MatterCertificate)>,
    next_serial: u64,
}

/// Signs `fields` with `issuer_key` (ECDSA-P256-SHA256 over the TBSCertificate DER, RFC 6979
/// nonce) and encodes the certificate.
pub fn sign_certificate(
    fields: CertificateFields,
    issuer_key: &SigningKeyPair,
) -> Result<MatterCertificate, CertError> {
    fields.check()?;
    let signature = issuer_key
        .sign(&fields.tbs_der())
        .map_err(CertError::Sign)?;
    MatterCertificate::from_parts(fields, signature)
}

/// A serial number's DER INTEGER content for a positive counter: minimal big-endian, with a
/// leading zero when the top bit is set (so X.509 parsers read a positive number).
fn serial_bytes(counter: u64) -> Vec<u8> {
    let be = counter.to_be_bytes();
    let skip = be.iter().take_while(|&&b| b == 0).count().min(be.len() - 1);
    let magnitude = be.get(skip..).unwrap_or(&[0]);
    let mut out = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_some_and(|&b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(magnitude);
    out
}

fn ca_extensions(
    subject_key: &P256PublicKey,
    authority_key: &P256PublicKey,
) -> Result<Extensions, CertError> {
    Extensions::new(vec![
        Extension::BasicConstraints(BasicConstraints {
            is_ca: true,
            path_len: None,
        }),
        Extension::KeyUsage(KeyUsage(KeyUsage::KEY_CERT_SIGN | KeyUsage::CRL_SIGN)),
        Extension::SubjectKeyId(key_identifier(subject_key)),
        Extension::AuthorityKeyId(key_identifier(authority_key)),
    ])
}

fn noc_extensions(
    subject_key: &P256PublicKey,
    authority_key: &P256PublicKey,
) -> Result<Extensions, CertError> {
    Extensions::new(vec![
        Extension::BasicConstraints(BasicConstraints {
            is_ca: false,
            path_len: None,
        }),
        Extension::KeyUsage(KeyUsage(KeyUsage::DIGITAL_SIGNATURE)),
        Extension::ExtendedKeyUsage(vec![KeyPurpose::ClientAuth, KeyPurpose::ServerAuth]),
        Extension::SubjectKeyId(key_identifier(subject_key)),
        Extension::AuthorityKeyId(key_identifier(authority_key)),
    ])
}

impl TestCa {
    /// Builds the fabric: root key and self-signed RCAC, then (if configured) the ICAC key and
    /// ICAC, all keys drawn from `rng`.
    pub fn new(config: TestCaConfig, rng: &mut impl CryptoRngCore) -> Result<Self, CertError> {
        let root_key = SigningKeyPair::generate(rng);
        let mut ca = Self {
            rcac: Self::build_rcac(&config, &root_key)?,
            root_key,
            intermediate: None,
            next_serial: 2,
            config,
        };
        if let Some(icac_id) = ca.config.icac_id {
            let icac_key = SigningKeyPair::generate(rng);
            let mut subject = vec![DnAttribute::IcacId(icac_id)];
            if ca.config.fabric_id_in_ca_subjects {
                subject.push(DnAttribute::FabricId(ca.config.fabric_id));
            }
            let fields = CertificateFields {
                serial: ca.take_serial(),
                issuer: ca.rcac.subject().clone(),
                not_before: ca.config.validity.not_before,
                not_after: ca.config.validity.not_after,
                subject: DistinguishedName::new(subject),
                public_key: *icac_key.public_key(),
                extensions: ca_extensions(icac_key.public_key(), ca.root_key.public_key())?,
            };
            let icac = sign_certificate(fields, &ca.root_key)?;
            icac.check_profile(CertKind::Icac)?;
            ca.intermediate = Some((icac_key, icac));
        }
        Ok(ca)
    }

    /// [`TestCa::new`] with a ChaCha20 RNG seeded from `seed`.
    pub fn from_seed(seed: u64, config: TestCaConfig) -> Result<Self, CertError> {
        Self::new(config, &mut ChaCha20Rng::seed_from_u64(seed))
    }

    fn build_rcac(
        config: &TestCaConfig,
        root_key: &SigningKeyPair,
    ) -> Result<MatterCertificate, CertError> {
        let mut subject = vec![DnAttribute::RcacId(config.rcac_id)];
        if config.fabric_id_in_ca_subjects {
            subject.push(DnAttribute::FabricId(config.fabric_id));
        }
        let subject = DistinguishedName::new(subject);
        let fields = CertificateFields {
            serial: serial_bytes(1),
            issuer: subject.clone(),
            not_before: config.validity.not_before,
            not_after: config.validity.not_after,
            subject,
            public_key: *root_key.public_key(),
            extensions: ca_extensions(root_key.public_key(), root_key.public_key())?,
        };
        let rcac = sign_certificate(fields, root_key)?;
        rcac.check_profile(CertKind::Rcac)?;
        Ok(rcac)
    }

    fn take_serial(&mut self) -> Vec<u8> {
        let serial = serial_bytes(self.next_serial);
        self.next_serial = self.next_serial.saturating_add(1);
        serial
    }

    /// The configuration the CA was built with.
    pub fn config(&self) -> &TestCaConfig {
        &self.config
    }

    /// The fabric id.
    pub fn fabric_id(&self) -> u64 {
        self.config.fabric_id
    }

    /// The root public key.
    pub fn root_public_key(&self) -> &P256PublicKey {
        self.root_key.public_key()
    }

    /// The RCAC.
    pub fn rcac(&self) -> &MatterCertificate {
        &self.rcac
    }

    /// The ICAC, if the CA has one.
    pub fn icac(&self) -> Option<&MatterCertificate> {
        self.intermediate.as_ref().map(|(_, icac)| icac)
    }

    /// The RCAC as a trust anchor for validation.
    pub fn trusted_root(&self) -> Result<TrustedRoot, ChainError> {
        TrustedRoot::from_certificate(self.rcac.clone())
    }

    /// A fresh key pair from `rng` and its NOC.
    pub fn issue_noc(
        &mut self,
        node_id: NodeId,
        cats: &[u32],
        rng: &mut impl CryptoRngCore,
    ) -> Result<IssuedNoc, CertError> {
        let key_pair = SigningKeyPair::generate(rng);
        let noc = self.issue_noc_for_public_key(key_pair.public_key(), node_id, cats)?;
        Ok(IssuedNoc { key_pair, noc })
    }

    /// A NOC for a key the CA did not generate (commissioning certifies the key of a CSR),
    /// valid for the CA's configured period.
    pub fn issue_noc_for_public_key(
        &mut self,
        public_key: &P256PublicKey,
        node_id: NodeId,
        cats: &[u32],
    ) -> Result<MatterCertificate, CertError> {
        let validity = self.config.validity;
        self.issue_noc_with_validity(public_key, node_id, cats, validity)
    }

    /// A NOC with its own validity period. Fails with [`CertError::Profile`] for a node id
    /// outside the operational range or CATs that break Matter 1.3 §6.5.6.1 (more than 3, version
    /// 0, repeated identifier).
    pub fn issue_noc_with_validity(
        &mut self,
        public_key: &P256PublicKey,
        node_id: NodeId,
        cats: &[u32],
        validity: Validity,
    ) -> Result<MatterCertificate, CertError> {
        let mut subject = vec![
            DnAttribute::NodeId(node_id.0),
            DnAttribute::FabricId(self.config.fabric_id),
        ];
        subject.extend(cats.iter().map(|&c| DnAttribute::NocCat(CaseAuthTag(c))));
        let (issuer_key, issuer_cert) = match &self.intermediate {
            Some((key, cert)) => (key, cert),
            None => (&self.root_key, &self.rcac),
        };
        let fields = CertificateFields {
            serial: serial_bytes(self.next_serial),
            issuer: issuer_cert.subject().clone(),
            not_before: validity.not_before,
            not_after: validity.not_after,
            subject: DistinguishedName::new(subject),
            public_key: *public_key,
            extensions: noc_extensions(public_key, issuer_key.public_key())?,
        };
        let noc = sign_certificate(fields, issuer_key)?;
        noc.check_profile(CertKind::Noc)?;
        self.next_serial = self.next_serial.saturating_add(1);
        Ok(noc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_minimal_positive_integers() {
        assert_eq!(serial_bytes(0), [0x00]);
        assert_eq!(serial_bytes(1), [0x01]);
        assert_eq!(serial_bytes(0x7f), [0x7f]);
        assert_eq!(serial_bytes(0x80), [0x00, 0x80]);
        assert_eq!(serial_bytes(0x0100), [0x01, 0x00]);
        assert_eq!(serial_bytes(u64::MAX).len(), 9);
    }

    #[test]
    fn same_seed_same_bytes() {
        let config = TestCaConfig {
            icac_id: Some(7),
            ..TestCaConfig::default()
        };
        let mut a = TestCa::from_seed(5, config.clone()).unwrap();
        let mut b = TestCa::from_seed(5, config.clone()).unwrap();
        let mut c = TestCa::from_seed(6, config).unwrap();
        assert_eq!(a.rcac().tlv(), b.rcac().tlv());
        assert_eq!(a.icac().unwrap().tlv(), b.icac().unwrap().tlv());
        assert_ne!(a.rcac().tlv(), c.rcac().tlv());
        let key = *a.root_public_key();
        let na = a.issue_noc_for_public_key(&key, NodeId(9), &[]).unwrap();
        let nb = b.issue_noc_for_public_key(&key, NodeId(9), &[]).unwrap();
        assert_eq!(na.tlv(), nb.tlv());
        let nc = c.issue_noc_for_public_key(&key, NodeId(9), &[]).unwrap();
        assert_ne!(na.tlv(), nc.tlv());
    }

    #[test]
    fn refuses_profile_breaking_nocs() {
        let mut ca = TestCa::from_seed(1, TestCaConfig::default()).unwrap();
        let key = *ca.root_public_key();
        for (node, cats) in [
            (0u64, vec![]),
            (0xFFFF_FFF0_0000_0000, vec![]),
            (1, vec![0x0001_0000]),
            (1, vec![0x0001_0001, 0x0001_0002]),
            (1, vec![0x0001_0001, 0x0002_0001, 0x0003_0001, 0x0004_0001]),
        ] {
            assert!(
                matches!(
                    ca.issue_noc_for_public_key(&key, NodeId(node), &cats),
                    Err(CertError::Profile(_))
                ),
                "node {node:#x} cats {cats:x?}"
            );
        }
        // A refused NOC does not use up a serial.
        let ok = ca.issue_noc_for_public_key(&key, NodeId(1), &[]).unwrap();
        assert_eq!(ok.serial(), [0x02]);
    }
}
