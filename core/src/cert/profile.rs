//! Role profiles: what makes a decoded certificate a valid RCAC, ICAC or NOC
//! (Matter 1.3 §6.5.6.1 for the subjects, §6.5.11 for the extensions of each kind,
//! connectedhomeip `src/credentials/CHIPCert.cpp`, and the rules listed in chip_certificates.json's
//! description).

use std::collections::BTreeSet;

use super::dn::{DistinguishedName, tags};
use super::error::{DnRole, ProfileError};
use super::extensions::{KeyPurpose, KeyUsage};
use super::tlv_cert::MatterCertificate;
use crate::fabric::NodeId;

/// Most attributes per distinguished name (matter.js; connectedhomeip's
/// `CHIP_CONFIG_CERT_MAX_RDN_ATTRIBUTES` is also 5).
pub const MAX_DN_ATTRIBUTES: usize = 5;
/// Most CATs in a NOC subject (Matter 1.3 §6.5.6.1).
pub const MAX_CATS: usize = 3;

/// The three kinds of operational certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertKind {
    /// Root CA: self-signed trust anchor of a fabric.
    Rcac,
    /// Intermediate CA.
    Icac,
    /// Node operational certificate (leaf).
    Noc,
}

impl MatterCertificate {
    /// Checks this certificate against the profile of `kind`.
    pub fn check_profile(&self, kind: CertKind) -> Result<(), ProfileError> {
        let subject = self.subject();
        match kind {
            CertKind::Rcac => {
                check_ca_identifier(subject, tags::RCAC_ID, ProfileError::RcacIdentifier)?;
            }
            CertKind::Icac => {
                check_ca_identifier(subject, tags::ICAC_ID, ProfileError::IcacIdentifier)?;
            }
            CertKind::Noc => check_noc_subject(subject)?,
        }
        check_dn_sizes(self)?;
        check_extensions(self, kind)?;
        if kind == CertKind::Rcac {
            if self.issuer() != subject {
                return Err(ProfileError::RcacNotSelfIssued);
            }
            if self.extensions().authority_key_id() != self.extensions().subject_key_id() {
                return Err(ProfileError::RcacKeyIdMismatch);
            }
        }
        Ok(())
    }
}

/// A CA subject: exactly one identifier of its own kind, none of the other Matter identifiers,
/// no CATs, at most one fabric id (non-zero).
fn check_ca_identifier(
    subject: &DistinguishedName,
    own_tag: u8,
    wrong: ProfileError,
) -> Result<(), ProfileError> {
    let identifiers = [
        tags::NODE_ID,
        tags::FIRMWARE_SIGNING_ID,
        tags::ICAC_ID,
        tags::RCAC_ID,
    ];
    for tag in identifiers {
        let expected = usize::from(tag == own_tag);
        if subject.count_tag(tag) != expected {
            return Err(wrong);
        }
    }
    if subject.count_tag(tags::NOC_CAT) != 0 {
        return Err(ProfileError::CatsInCa);
    }
    if subject.count_tag(tags::FABRIC_ID) > 1 {
        return Err(ProfileError::CaFabricIdCount);
    }
    if subject.fabric_id() == Some(0) {
        return Err(ProfileError::FabricIdZero);
    }
    Ok(())
}

/// A NOC subject: one operational node id, one non-zero fabric id, no CA identifier, and at
/// most three well-formed CATs with distinct identifiers (Matter 1.3 §6.5.6.1).
fn check_noc_subject(subject: &DistinguishedName) -> Result<(), ProfileError> {
    if subject.count_tag(tags::NODE_ID) != 1 {
        return Err(ProfileError::NodeIdCount);
    }
    if let Some(node) = subject.node_id().filter(|&n| !NodeId(n).is_operational()) {
        return Err(ProfileError::NodeIdOutOfRange(node));
    }
    if subject.count_tag(tags::FABRIC_ID) != 1 {
        return Err(ProfileError::FabricIdCount);
    }
    if subject.fabric_id() == Some(0) {
        return Err(ProfileError::FabricIdZero);
    }
    for tag in [tags::RCAC_ID, tags::ICAC_ID, tags::FIRMWARE_SIGNING_ID] {
        if subject.count_tag(tag) != 0 {
            return Err(ProfileError::NocWithCaIdentifier);
        }
    }
    let cats = subject.cats();
    if cats.len() > MAX_CATS {
        return Err(ProfileError::TooManyCats(cats.len()));
    }
    let mut identifiers = BTreeSet::new();
    for cat in cats {
        if cat.version() == 0 {
            return Err(ProfileError::CatVersionZero(cat.0));
        }
        if !identifiers.insert(cat.identifier()) {
            return Err(ProfileError::DuplicateCatIdentifier(cat.identifier()));
        }
    }
    Ok(())
}

fn check_dn_sizes(cert: &MatterCertificate) -> Result<(), ProfileError> {
    for (role, name) in [
        (DnRole::Subject, cert.subject()),
        (DnRole::Issuer, cert.issuer()),
    ] {
        if name.len() > MAX_DN_ATTRIBUTES {
            return Err(ProfileError::TooManyDnAttributes {
                role,
                count: name.len(),
            });
        }
    }
    Ok(())
}

/// Every kind carries basic constraints, key usage and both key identifiers; CAs say is-ca and
/// keyCertSign; NOCs are not CAs, sign digitally and are both TLS server and client (Matter 1.3
/// §6.5.11).
fn check_extensions(cert: &MatterCertificate, kind: CertKind) -> Result<(), ProfileError> {
    let extensions = cert.extensions();
    let constraints = extensions
        .basic_constraints()
        .ok_or(ProfileError::MissingBasicConstraints)?;
    let usage = extensions
        .key_usage()
        .ok_or(ProfileError::MissingKeyUsage)?;
    if extensions.subject_key_id().is_none() {
        return Err(ProfileError::MissingSubjectKeyId);
    }
    if extensions.authority_key_id().is_none() {
        return Err(ProfileError::MissingAuthorityKeyId);
    }
    match kind {
        CertKind::Rcac | CertKind::Icac => {
            if !constraints.is_ca {
                return Err(ProfileError::CaWithoutIsCa);
            }
            if !usage.contains(KeyUsage::KEY_CERT_SIGN) {
                return Err(ProfileError::CaWithoutKeyCertSign);
            }
        }
        CertKind::Noc => {
            if constraints.is_ca {
                return Err(ProfileError::NocIsCa);
            }
            if constraints.path_len.is_some() {
                return Err(ProfileError::PathLenWithoutCa);
            }
            if !usage.contains(KeyUsage::DIGITAL_SIGNATURE) {
                return Err(ProfileError::NocWithoutDigitalSignature);
            }
            // Strict, as the spec and connectedhomeip: both purposes (matter.js needs one,
            // `certificate/kinds/Noc.ts`).
            let purposes = extensions.extended_key_usage().unwrap_or(&[]);
            if !purposes.contains(&KeyPurpose::ServerAuth)
                || !purposes.contains(&KeyPurpose::ClientAuth)
            {
                return Err(ProfileError::NocExtendedKeyUsage);
            }
        }
    }
    Ok(())
}
