//! Chain validation NOC → \[ICAC\] → RCAC (connectedhomeip `src/credentials/CHIPCert.cpp`), in the
//! order chip_certificates.json states: every certificate decodes and meets its position's profile;
//! each certificate's issuer DN equals its issuer's subject DN, its authority key id equals the
//! issuer's subject key id, and its signature verifies with the issuer's key (the RCAC with its
//! own); an RCAC path length of 0 forbids an ICAC; a fabric id in the ICAC or RCAC equals the
//! NOC's; and, unless the caller skips it, every certificate is valid at the given time.

use super::error::{ChainError, ChainPosition, ProfileError};
use super::profile::CertKind;
use super::time::effective_seconds;
use super::tlv_cert::MatterCertificate;
use crate::crypto::P256PublicKey;
use crate::fabric::NodeId;

/// Largest TLV certificate accepted (matter.js rejects larger ones, Matter 1.3 §6.5).
pub const MAX_TLV_CERT_LEN: usize = 400;

/// Whether and when validity periods are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidityCheck {
    /// Every certificate must be valid at this Matter epoch time (both ends inclusive; a
    /// not-after of 0 never expires), as connectedhomeip checks against its last known good
    /// time.
    At(u32),
    /// Validity periods are not checked, as in matter.js (its check is commented out in
    /// `certificate/kinds/Noc.ts`; connectedhomeip checks against its last known good time).
    Skip,
}

/// What a validation checks beyond the fixed rules. There is no `Default`: the strict policy
/// needs the time ([`ChainPolicy::at`]); skipping the validity check is an explicit choice
/// ([`ChainPolicy::skip_validity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainPolicy {
    /// The validity-period check.
    pub validity: ValidityCheck,
    /// The fabric the NOC must belong to (the local fabric's id), if the caller knows it.
    pub fabric_id: Option<u64>,
}

impl ChainPolicy {
    /// Strict: every certificate valid at `epoch_s` (Matter epoch seconds; see
    /// [`MatterClock`](super::MatterClock) for mapping the caller's clock).
    pub fn at(epoch_s: u32) -> Self {
        Self {
            validity: ValidityCheck::At(epoch_s),
            fabric_id: None,
        }
    }

    /// matter.js behaviour: validity periods are not checked.
    pub fn skip_validity() -> Self {
        Self {
            validity: ValidityCheck::Skip,
            fabric_id: None,
        }
    }

    /// Also require the NOC's fabric id to be `fabric_id` (as connectedhomeip
    /// `src/credentials/CHIPCert.cpp` does).
    pub fn with_fabric_id(self, fabric_id: u64) -> Self {
        Self {
            fabric_id: Some(fabric_id),
            ..self
        }
    }
}

/// What a validated chain establishes about the peer (what CASE needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedPeer {
    /// The NOC's matter-node-id.
    pub node_id: NodeId,
    /// The NOC's matter-fabric-id.
    pub fabric_id: u64,
    /// The NOC's CASE Authenticated Tags, in certificate order.
    pub cats: Vec<u32>,
    /// The NOC's public key (verifies the peer's Sigma signature).
    pub public_key: P256PublicKey,
}

/// A fabric's root certificate, checked once: size, decoding, RCAC profile and its
/// self-signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRoot {
    rcac: MatterCertificate,
}

fn check_size(position: ChainPosition, tlv: &[u8]) -> Result<(), ChainError> {
    if tlv.len() > MAX_TLV_CERT_LEN {
        return Err(ChainError::TooLarge {
            position,
            len: tlv.len(),
        });
    }
    Ok(())
}

fn decode(position: ChainPosition, tlv: &[u8]) -> Result<MatterCertificate, ChainError> {
    check_size(position, tlv)?;
    MatterCertificate::decode(tlv).map_err(|error| ChainError::Decode { position, error })
}

fn check_profile(
    position: ChainPosition,
    cert: &MatterCertificate,
    kind: CertKind,
) -> Result<(), ChainError> {
    check_size(position, cert.tlv())?;
    cert.check_profile(kind)
        .map_err(|error| ChainError::Profile { position, error })
}

/// Issuer DN, key id and signature of `cert` against `issuer` (as connectedhomeip
/// `src/credentials/CHIPCert.cpp` checks them).
fn check_issued_by(
    position: ChainPosition,
    cert: &MatterCertificate,
    issuer: &MatterCertificate,
) -> Result<(), ChainError> {
    // Attribute by attribute, in order (connectedhomeip compares DNs this way).
    if cert.issuer() != issuer.subject() {
        return Err(ChainError::IssuerMismatch(position));
    }
    let akid = cert.extensions().authority_key_id();
    if akid.is_none() || akid != issuer.extensions().subject_key_id() {
        return Err(ChainError::AuthorityKeyIdMismatch(position));
    }
    issuer
        .public_key()
        .verify(&cert.tbs_der(), cert.signature())
        .map_err(|error| ChainError::Signature { position, error })
}

fn check_validity(
    position: ChainPosition,
    cert: &MatterCertificate,
    at: u32,
) -> Result<(), ChainError> {
    let now = u64::from(at);
    // 0 stands for 99991231235959Z at either end (Matter 1.3 §6.5; connectedhomeip
    // `src/credentials/CHIPCertToX509.cpp`), so a not-before of 0 is never reached and a not-after
    // of 0 never passes.
    if effective_seconds(cert.not_before()) > now || now > effective_seconds(cert.not_after()) {
        return Err(ChainError::NotValidAt { position, at });
    }
    Ok(())
}

impl TrustedRoot {
    /// Decodes and checks an RCAC: at most 400 bytes, RCAC profile, self-signature.
    pub fn from_tlv(rcac: &[u8]) -> Result<Self, ChainError> {
        Self::from_certificate(decode(ChainPosition::Rcac, rcac)?)
    }

    /// Checks an already decoded RCAC.
    pub fn from_certificate(rcac: MatterCertificate) -> Result<Self, ChainError> {
        check_profile(ChainPosition::Rcac, &rcac, CertKind::Rcac)?;
        check_issued_by(ChainPosition::Rcac, &rcac, &rcac)?;
        Ok(Self { rcac })
    }

    /// The root certificate.
    pub fn certificate(&self) -> &MatterCertificate {
        &self.rcac
    }

    /// The root public key (the input of the compressed fabric id, Matter 1.3 §4.3.2.2,
    /// §4.14.2.6.1).
    pub fn public_key(&self) -> &P256PublicKey {
        self.rcac.public_key()
    }

    /// Validates a peer's NOC and optional ICAC, as TLV, against this root.
    pub fn validate(
        &self,
        noc: &[u8],
        icac: Option<&[u8]>,
        policy: &ChainPolicy,
    ) -> Result<ValidatedPeer, ChainError> {
        let noc = decode(ChainPosition::Noc, noc)?;
        let icac = icac
            .map(|icac| decode(ChainPosition::Icac, icac))
            .transpose()?;
        self.validate_certificates(&noc, icac.as_ref(), policy)
    }

    /// Validates an already decoded NOC and optional ICAC against this root.
    pub fn validate_certificates(
        &self,
        noc: &MatterCertificate,
        icac: Option<&MatterCertificate>,
        policy: &ChainPolicy,
    ) -> Result<ValidatedPeer, ChainError> {
        let rcac = &self.rcac;
        if let Some(icac) = icac {
            check_profile(ChainPosition::Icac, icac, CertKind::Icac)?;
        }
        check_profile(ChainPosition::Noc, noc, CertKind::Noc)?;

        check_issued_by(ChainPosition::Noc, noc, icac.unwrap_or(rcac))?;
        if let Some(icac) = icac {
            check_issued_by(ChainPosition::Icac, icac, rcac)?;
            let rcac_path_len = rcac
                .extensions()
                .basic_constraints()
                .and_then(|bc| bc.path_len);
            if rcac_path_len == Some(0) {
                return Err(ChainError::PathLength);
            }
        }

        // The NOC profile guarantees exactly one node id and one fabric id; the fallbacks
        // only keep this total.
        let node_id = noc.subject().node_id().ok_or(ChainError::Profile {
            position: ChainPosition::Noc,
            error: ProfileError::NodeIdCount,
        })?;
        let fabric_id = noc.subject().fabric_id().ok_or(ChainError::Profile {
            position: ChainPosition::Noc,
            error: ProfileError::FabricIdCount,
        })?;
        let cas = [
            (ChainPosition::Icac, icac),
            (ChainPosition::Rcac, Some(rcac)),
        ];
        for (position, ca) in cas {
            let differing = ca
                .and_then(|ca| ca.subject().fabric_id())
                .filter(|&found| found != fabric_id);
            if let Some(found) = differing {
                return Err(ChainError::FabricIdMismatch {
                    position,
                    found,
                    noc: fabric_id,
                });
            }
        }
        if let Some(expected) = policy.fabric_id.filter(|&expected| expected != fabric_id) {
            return Err(ChainError::WrongFabric {
                expected,
                found: fabric_id,
            });
        }

        if let ValidityCheck::At(at) = policy.validity {
            check_validity(ChainPosition::Noc, noc, at)?;
            if let Some(icac) = icac {
                check_validity(ChainPosition::Icac, icac, at)?;
            }
            check_validity(ChainPosition::Rcac, rcac, at)?;
        }

        Ok(ValidatedPeer {
            node_id: NodeId(node_id),
            fabric_id,
            cats: noc.subject().cats().into_iter().map(|c| c.0).collect(),
            public_key: *noc.public_key(),
        })
    }
}

/// Validates a NOC → \[ICAC\] → RCAC chain given as TLV, with `rcac` as the trust anchor.
pub fn validate_chain(
    noc: &[u8],
    icac: Option<&[u8]>,
    rcac: &[u8],
    policy: &ChainPolicy,
) -> Result<ValidatedPeer, ChainError> {
    TrustedRoot::from_tlv(rcac)?.validate(noc, icac, policy)
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    use super::*;
    use crate::cert::{
        BasicConstraints, CertificateFields, DistinguishedName, DnAttribute, Extension, Extensions,
        KeyPurpose, KeyUsage, TextAttribute, key_identifier, sign_certificate,
    };
    use crate::crypto::SigningKeyPair;

    fn key(seed: u64) -> SigningKeyPair {
        SigningKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    struct Spec<'a> {
        subject: Vec<DnAttribute>,
        key: &'a SigningKeyPair,
        issuer: Option<(&'a MatterCertificate, &'a SigningKeyPair)>,
        is_ca: bool,
        path_len: Option<u8>,
        not_before: u32,
    }

    fn issue(spec: Spec<'_>) -> MatterCertificate {
        let subject = DistinguishedName::new(spec.subject);
        let (issuer_dn, issuer_key) = match spec.issuer {
            Some((cert, key)) => (cert.subject().clone(), key),
            None => (subject.clone(), spec.key),
        };
        let mut extensions = vec![
            Extension::BasicConstraints(BasicConstraints {
                is_ca: spec.is_ca,
                path_len: spec.path_len,
            }),
            Extension::KeyUsage(KeyUsage(if spec.is_ca {
                KeyUsage::KEY_CERT_SIGN | KeyUsage::CRL_SIGN
            } else {
                KeyUsage::DIGITAL_SIGNATURE
            })),
        ];
        if !spec.is_ca {
            extensions.push(Extension::ExtendedKeyUsage(vec![
                KeyPurpose::ClientAuth,
                KeyPurpose::ServerAuth,
            ]));
        }
        extensions.push(Extension::SubjectKeyId(key_identifier(
            spec.key.public_key(),
        )));
        extensions.push(Extension::AuthorityKeyId(key_identifier(
            issuer_key.public_key(),
        )));
        let fields = CertificateFields {
            serial: vec![1],
            issuer: issuer_dn,
            not_before: spec.not_before,
            not_after: 0,
            subject,
            public_key: *spec.key.public_key(),
            extensions: Extensions::new(extensions).unwrap(),
        };
        sign_certificate(fields, issuer_key).unwrap()
    }

    fn root(key: &SigningKeyPair, path_len: Option<u8>) -> MatterCertificate {
        issue(Spec {
            subject: vec![DnAttribute::RcacId(1)],
            key,
            issuer: None,
            is_ca: true,
            path_len,
            not_before: 1,
        })
    }

    fn leaf(
        subject: Vec<DnAttribute>,
        key: &SigningKeyPair,
        issuer: (&MatterCertificate, &SigningKeyPair),
        not_before: u32,
    ) -> MatterCertificate {
        issue(Spec {
            subject,
            key,
            issuer: Some(issuer),
            is_ca: false,
            path_len: None,
            not_before,
        })
    }

    fn node_subject() -> Vec<DnAttribute> {
        vec![DnAttribute::NodeId(5), DnAttribute::FabricId(9)]
    }

    #[test]
    fn rcac_path_len_zero_forbids_an_icac() {
        let (root_key, icac_key, noc_key) = (key(1), key(2), key(3));
        for (path_len, ok) in [(Some(0), false), (Some(1), true), (None, true)] {
            let rcac = root(&root_key, path_len);
            let icac = issue(Spec {
                subject: vec![DnAttribute::IcacId(2)],
                key: &icac_key,
                issuer: Some((&rcac, &root_key)),
                is_ca: true,
                path_len: None,
                not_before: 1,
            });
            let noc = leaf(node_subject(), &noc_key, (&icac, &icac_key), 1);
            let result = TrustedRoot::from_certificate(rcac)
                .unwrap()
                .validate_certificates(&noc, Some(&icac), &ChainPolicy::at(10));
            assert_eq!(result.is_ok(), ok, "{path_len:?}: {result:?}");
            if !ok {
                assert_eq!(result.unwrap_err(), ChainError::PathLength);
            }
        }
    }

    #[test]
    fn oversized_certificates_are_refused() {
        let (root_key, noc_key) = (key(4), key(5));
        let rcac = root(&root_key, None);
        let mut subject = node_subject();
        subject.push(DnAttribute::Text {
            attribute: TextAttribute::CommonName,
            printable: false,
            value: "x".repeat(200),
        });
        let noc = leaf(subject, &noc_key, (&rcac, &root_key), 1);
        assert!(noc.tlv().len() > MAX_TLV_CERT_LEN);
        let root = TrustedRoot::from_certificate(rcac).unwrap();
        let err = root
            .validate(noc.tlv(), None, &ChainPolicy::skip_validity())
            .unwrap_err();
        assert_eq!(
            err,
            ChainError::TooLarge {
                position: ChainPosition::Noc,
                len: noc.tlv().len()
            }
        );
        assert_eq!(
            root.validate_certificates(&noc, None, &ChainPolicy::skip_validity()),
            Err(err)
        );
    }

    #[test]
    fn validity_ends_are_inclusive_and_zero_not_before_is_never_valid() {
        let (root_key, noc_key) = (key(6), key(7));
        let rcac = root(&root_key, None);
        let root_anchor = TrustedRoot::from_certificate(rcac.clone()).unwrap();
        let noc = leaf(node_subject(), &noc_key, (&rcac, &root_key), 100);
        let check = |t| root_anchor.validate_certificates(&noc, None, &ChainPolicy::at(t));
        assert_eq!(
            check(99),
            Err(ChainError::NotValidAt {
                position: ChainPosition::Noc,
                at: 99
            })
        );
        assert!(check(100).is_ok());
        assert!(check(u32::MAX).is_ok(), "not-after 0 never expires");

        let never = leaf(node_subject(), &noc_key, (&rcac, &root_key), 0);
        for t in [0, 1, u32::MAX] {
            assert!(
                root_anchor
                    .validate_certificates(&never, None, &ChainPolicy::at(t))
                    .is_err()
            );
        }
        assert!(
            root_anchor
                .validate_certificates(&never, None, &ChainPolicy::skip_validity())
                .is_ok()
        );
    }

    #[test]
    fn peer_identity_comes_from_the_noc() {
        let (root_key, noc_key) = (key(8), key(9));
        let rcac = root(&root_key, None);
        let mut subject = node_subject();
        subject.push(DnAttribute::NocCat(crate::cert::CaseAuthTag(0x0002_0003)));
        let noc = leaf(subject, &noc_key, (&rcac, &root_key), 1);
        let peer = validate_chain(noc.tlv(), None, rcac.tlv(), &ChainPolicy::at(1)).unwrap();
        assert_eq!(
            peer,
            ValidatedPeer {
                node_id: NodeId(5),
                fabric_id: 9,
                cats: vec![0x0002_0003],
                public_key: *noc_key.public_key(),
            }
        );
        // A NOC cannot stand in for the root.
        assert!(matches!(
            TrustedRoot::from_tlv(noc.tlv()),
            Err(ChainError::Profile {
                position: ChainPosition::Rcac,
                ..
            })
        ));
    }
}
