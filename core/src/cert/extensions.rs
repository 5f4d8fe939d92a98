//! Certificate extensions (Matter 1.3 §6.5.11): their typed TLV form, how each is decoded
//! from the extensions list, and the DER `Extension` each becomes in the TBSCertificate.

use super::der::{self, DerWriter};
use super::error::CertError;
use super::tlv_read::{context_tag, next_element};
use crate::tlv::{ContainerKind, ElementValue, Reader};

/// Length of a subject or authority key identifier (SHA-1 size, Matter 1.3 §6.5.11 tags 4/5).
pub const KEY_ID_LEN: usize = 20;

/// TLV tags of the extensions (Matter 1.3 §6.5.11).
pub mod tags {
    /// basic-constraints.
    pub const BASIC_CONSTRAINTS: u8 = 1;
    /// key-usage.
    pub const KEY_USAGE: u8 = 2;
    /// extended-key-usage.
    pub const EXTENDED_KEY_USAGE: u8 = 3;
    /// subject-key-identifier.
    pub const SUBJECT_KEY_ID: u8 = 4;
    /// authority-key-identifier.
    pub const AUTHORITY_KEY_ID: u8 = 5;
    /// future-extension (a complete DER `Extension`, inserted verbatim).
    pub const FUTURE: u8 = 6;
}

const OID_BASIC_CONSTRAINTS: [u64; 4] = [2, 5, 29, 19];
const OID_KEY_USAGE: [u64; 4] = [2, 5, 29, 15];
const OID_EXTENDED_KEY_USAGE: [u64; 4] = [2, 5, 29, 37];
const OID_SUBJECT_KEY_ID: [u64; 4] = [2, 5, 29, 14];
const OID_AUTHORITY_KEY_ID: [u64; 4] = [2, 5, 29, 35];

/// basic-constraints: whether the subject is a CA, and its optional path-length constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BasicConstraints {
    /// cA.
    pub is_ca: bool,
    /// pathLenConstraint.
    pub path_len: Option<u8>,
}

/// key-usage bits as the TLV carries them: bit i is X.509 named bit i (Matter 1.3 §6.5.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyUsage(pub u16);

impl KeyUsage {
    /// digitalSignature.
    pub const DIGITAL_SIGNATURE: u16 = 0x0001;
    /// nonRepudiation.
    pub const NON_REPUDIATION: u16 = 0x0002;
    /// keyEncipherment.
    pub const KEY_ENCIPHERMENT: u16 = 0x0004;
    /// dataEncipherment.
    pub const DATA_ENCIPHERMENT: u16 = 0x0008;
    /// keyAgreement.
    pub const KEY_AGREEMENT: u16 = 0x0010;
    /// keyCertSign.
    pub const KEY_CERT_SIGN: u16 = 0x0020;
    /// cRLSign.
    pub const CRL_SIGN: u16 = 0x0040;
    /// encipherOnly.
    pub const ENCIPHER_ONLY: u16 = 0x0080;
    /// decipherOnly.
    pub const DECIPHER_ONLY: u16 = 0x0100;
    /// Every named bit.
    pub const ALL: u16 = 0x01ff;

    /// Whether every bit of `bits` is set.
    pub fn contains(self, bits: u16) -> bool {
        self.0 & bits == bits
    }

    /// The DER BIT STRING: (unused bits, bytes), bit i at bit (7 − i mod 8) of byte i / 8,
    /// trailing zero bits trimmed (DER for named bit lists, X.690 §11.2.2).
    pub fn der_bits(self) -> (u8, Vec<u8>) {
        let Some(highest) = (0..16u8).rev().find(|i| self.0 & (1 << i) != 0) else {
            return (0, Vec::new());
        };
        let mut bytes = vec![0u8; usize::from(highest / 8) + 1];
        for i in (0..=highest).filter(|i| self.0 & (1 << i) != 0) {
            if let Some(byte) = bytes.get_mut(usize::from(i / 8)) {
                *byte |= 0x80 >> (i % 8);
            }
        }
        (7 - highest % 8, bytes)
    }
}

/// An extended-key-usage purpose (Matter 1.3 §6.5.11 tag 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyPurpose {
    /// 1: serverAuth, 1.3.6.1.5.5.7.3.1.
    ServerAuth,
    /// 2: clientAuth, 1.3.6.1.5.5.7.3.2.
    ClientAuth,
    /// 3: codeSigning, 1.3.6.1.5.5.7.3.3.
    CodeSigning,
    /// 4: emailProtection, 1.3.6.1.5.5.7.3.4.
    EmailProtection,
    /// 5: timeStamping, 1.3.6.1.5.5.7.3.8.
    TimeStamping,
    /// 6: OCSPSigning, 1.3.6.1.5.5.7.3.9.
    OcspSigning,
}

impl KeyPurpose {
    /// The purpose with TLV id `id` (1–6).
    pub fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            1 => Self::ServerAuth,
            2 => Self::ClientAuth,
            3 => Self::CodeSigning,
            4 => Self::EmailProtection,
            5 => Self::TimeStamping,
            6 => Self::OcspSigning,
            _ => return None,
        })
    }

    /// The TLV id.
    pub fn id(self) -> u8 {
        match self {
            Self::ServerAuth => 1,
            Self::ClientAuth => 2,
            Self::CodeSigning => 3,
            Self::EmailProtection => 4,
            Self::TimeStamping => 5,
            Self::OcspSigning => 6,
        }
    }

    /// The OID arcs, 1.3.6.1.5.5.7.3.x.
    pub fn oid(self) -> [u64; 9] {
        let last = match self {
            Self::ServerAuth => 1,
            Self::ClientAuth => 2,
            Self::CodeSigning => 3,
            Self::EmailProtection => 4,
            Self::TimeStamping => 8,
            Self::OcspSigning => 9,
        };
        [1, 3, 6, 1, 5, 5, 7, 3, last]
    }
}

/// One extension, in the order the certificate lists it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Extension {
    /// basic-constraints (critical).
    BasicConstraints(BasicConstraints),
    /// key-usage (critical).
    KeyUsage(KeyUsage),
    /// extended-key-usage (critical), purposes in TLV order.
    ExtendedKeyUsage(Vec<KeyPurpose>),
    /// subject-key-identifier.
    SubjectKeyId([u8; KEY_ID_LEN]),
    /// authority-key-identifier.
    AuthorityKeyId([u8; KEY_ID_LEN]),
    /// future-extension: a complete DER `Extension`, inserted verbatim.
    Future(Vec<u8>),
}

impl Extension {
    /// The TLV tag.
    pub fn tag(&self) -> u8 {
        match self {
            Self::BasicConstraints(_) => tags::BASIC_CONSTRAINTS,
            Self::KeyUsage(_) => tags::KEY_USAGE,
            Self::ExtendedKeyUsage(_) => tags::EXTENDED_KEY_USAGE,
            Self::SubjectKeyId(_) => tags::SUBJECT_KEY_ID,
            Self::AuthorityKeyId(_) => tags::AUTHORITY_KEY_ID,
            Self::Future(_) => tags::FUTURE,
        }
    }

    /// Rejects content that has no X.509 form: a key usage of 0 or with undefined bits, an
    /// empty extended key usage, a future extension that is not one DER SEQUENCE.
    fn check(&self) -> Result<(), CertError> {
        let invalid = |reason| {
            Err(CertError::InvalidExtension {
                tag: self.tag(),
                reason,
            })
        };
        match self {
            Self::KeyUsage(KeyUsage(0)) => invalid("key usage with no bit set"),
            Self::KeyUsage(KeyUsage(bits)) if bits & !KeyUsage::ALL != 0 => {
                invalid("undefined key usage bit")
            }
            Self::ExtendedKeyUsage(purposes) if purposes.is_empty() => {
                invalid("empty extended key usage")
            }
            Self::Future(der) if !der::is_single_sequence(der) => {
                invalid("future extension is not one DER SEQUENCE")
            }
            _ => Ok(()),
        }
    }

    /// Writes the DER `Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue }`
    /// (Matter 1.3 §6.5; connectedhomeip `src/credentials/CHIPCertToX509.cpp`); basic constraints,
    /// key usage and extended key usage are critical.
    pub fn write_der(&self, der: &mut DerWriter) {
        let (oid, critical): (&[u64], bool) = match self {
            Self::BasicConstraints(_) => (&OID_BASIC_CONSTRAINTS, true),
            Self::KeyUsage(_) => (&OID_KEY_USAGE, true),
            Self::ExtendedKeyUsage(_) => (&OID_EXTENDED_KEY_USAGE, true),
            Self::SubjectKeyId(_) => (&OID_SUBJECT_KEY_ID, false),
            Self::AuthorityKeyId(_) => (&OID_AUTHORITY_KEY_ID, false),
            Self::Future(raw) => {
                der.raw(raw);
                return;
            }
        };
        der.sequence(|w| {
            w.oid(oid);
            if critical {
                w.boolean(true);
            }
            w.octet_string_with(|w| self.write_value(w));
        });
    }

    /// The DER of the extension value (what `extnValue` wraps).
    fn write_value(&self, w: &mut DerWriter) {
        match self {
            Self::BasicConstraints(bc) => w.sequence(|w| {
                // DER omits a FALSE cA (DEFAULT FALSE).
                if bc.is_ca {
                    w.boolean(true);
                }
                if let Some(len) = bc.path_len {
                    w.integer_u64(u64::from(len));
                }
            }),
            Self::KeyUsage(ku) => {
                let (unused, bytes) = ku.der_bits();
                w.bit_string(unused, &bytes);
            }
            Self::ExtendedKeyUsage(purposes) => w.sequence(|w| {
                for purpose in purposes {
                    w.oid(&purpose.oid());
                }
            }),
            Self::SubjectKeyId(id) => w.octet_string(id),
            // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }.
            Self::AuthorityKeyId(id) => w.sequence(|w| w.implicit_primitive(0, id)),
            Self::Future(_) => {}
        }
    }
}

/// The extensions list, in TLV order (which is also the DER order, Matter 1.3 §6.5; connectedhomeip
/// `src/credentials/CHIPCertToX509.cpp`), with each of the extensions 1–5 at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Extensions {
    entries: Vec<Extension>,
}

impl Extensions {
    /// Checks and collects `entries` in order.
    pub fn new(entries: Vec<Extension>) -> Result<Self, CertError> {
        let mut out = Self::default();
        for entry in entries {
            out.push(entry)?;
        }
        Ok(out)
    }

    /// Appends one extension: its content must have an X.509 form, and extensions 1–5 may
    /// not repeat.
    pub fn push(&mut self, extension: Extension) -> Result<(), CertError> {
        let tag = extension.tag();
        if tag != tags::FUTURE && self.entries.iter().any(|e| e.tag() == tag) {
            return Err(CertError::DuplicateExtension(tag));
        }
        extension.check()?;
        self.entries.push(extension);
        Ok(())
    }

    /// The extensions in order.
    pub fn entries(&self) -> &[Extension] {
        &self.entries
    }

    /// basic-constraints, if present.
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.entries.iter().find_map(|e| match e {
            Extension::BasicConstraints(bc) => Some(*bc),
            _ => None,
        })
    }

    /// key-usage, if present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.entries.iter().find_map(|e| match e {
            Extension::KeyUsage(ku) => Some(*ku),
            _ => None,
        })
    }

    /// extended-key-usage purposes, if present.
    pub fn extended_key_usage(&self) -> Option<&[KeyPurpose]> {
        self.entries.iter().find_map(|e| match e {
            Extension::ExtendedKeyUsage(p) => Some(p.as_slice()),
            _ => None,
        })
    }

    /// subject-key-identifier, if present.
    pub fn subject_key_id(&self) -> Option<&[u8; KEY_ID_LEN]> {
        self.entries.iter().find_map(|e| match e {
            Extension::SubjectKeyId(id) => Some(id),
            _ => None,
        })
    }

    /// authority-key-identifier, if present.
    pub fn authority_key_id(&self) -> Option<&[u8; KEY_ID_LEN]> {
        self.entries.iter().find_map(|e| match e {
            Extension::AuthorityKeyId(id) => Some(id),
            _ => None,
        })
    }

    /// The verbatim DER of every future extension, in order.
    pub fn future(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.iter().filter_map(|e| match e {
            Extension::Future(der) => Some(der.as_slice()),
            _ => None,
        })
    }

    /// Writes `[3] EXPLICIT SEQUENCE OF Extension` (Matter 1.3 §6.5; connectedhomeip
    /// `src/credentials/CHIPCertToX509.cpp`).
    pub fn write_der(&self, der: &mut DerWriter) {
        der.explicit(3, |w| {
            w.sequence(|w| {
                for extension in &self.entries {
                    extension.write_der(w);
                }
            })
        });
    }

    /// Reads the members of the extensions list whose start the caller has just read, through
    /// its end-of-container.
    pub(super) fn decode(reader: &mut Reader<'_>) -> Result<Self, CertError> {
        let mut out = Self::default();
        loop {
            let element = next_element(reader)?;
            if element.value == ElementValue::ContainerEnd {
                return Ok(out);
            }
            let tag = context_tag(&element, "extensions")?;
            let invalid = |reason| CertError::InvalidExtension { tag, reason };
            let extension = match (tag, element.value) {
                (
                    tags::BASIC_CONSTRAINTS,
                    ElementValue::ContainerStart(ContainerKind::Structure),
                ) => Extension::BasicConstraints(decode_basic_constraints(reader)?),
                (tags::KEY_USAGE, ElementValue::UInt(v)) => Extension::KeyUsage(KeyUsage(
                    u16::try_from(v.get()).map_err(|_| invalid("key usage over 16 bits"))?,
                )),
                (tags::EXTENDED_KEY_USAGE, ElementValue::ContainerStart(ContainerKind::Array)) => {
                    Extension::ExtendedKeyUsage(decode_key_purposes(reader)?)
                }
                (tags::SUBJECT_KEY_ID, ElementValue::Bytes { value, .. }) => {
                    Extension::SubjectKeyId(
                        value
                            .try_into()
                            .map_err(|_| invalid("key identifier is not 20 bytes"))?,
                    )
                }
                (tags::AUTHORITY_KEY_ID, ElementValue::Bytes { value, .. }) => {
                    Extension::AuthorityKeyId(
                        value
                            .try_into()
                            .map_err(|_| invalid("key identifier is not 20 bytes"))?,
                    )
                }
                (tags::FUTURE, ElementValue::Bytes { value, .. }) => {
                    Extension::Future(value.to_vec())
                }
                (1..=6, _) => return Err(invalid("wrong TLV type")),
                (other, _) => return Err(CertError::UnknownExtension(other)),
            };
            out.push(extension)?;
        }
    }
}

/// Reads `{1: is-ca bool, 2: path-len u8 optional}` in that order, through its end.
fn decode_basic_constraints(reader: &mut Reader<'_>) -> Result<BasicConstraints, CertError> {
    let invalid = |reason| CertError::InvalidExtension {
        tag: tags::BASIC_CONSTRAINTS,
        reason,
    };
    let mut is_ca = None;
    let mut path_len = None;
    loop {
        let element = next_element(reader)?;
        if element.value == ElementValue::ContainerEnd {
            break;
        }
        let member = context_tag(&element, "basic-constraints")?;
        match (member, element.value) {
            (1, ElementValue::Bool(b)) if is_ca.is_none() => is_ca = Some(b),
            (2, ElementValue::UInt(v)) if is_ca.is_some() && path_len.is_none() => {
                path_len =
                    Some(u8::try_from(v.get()).map_err(|_| invalid("path length over 8 bits"))?);
            }
            _ => return Err(invalid("members must be is-ca (bool) then path-len (u8)")),
        }
    }
    Ok(BasicConstraints {
        is_ca: is_ca.ok_or(invalid("is-ca missing"))?,
        path_len,
    })
}

/// Reads an array of key-purpose ids through its end.
fn decode_key_purposes(reader: &mut Reader<'_>) -> Result<Vec<KeyPurpose>, CertError> {
    let invalid = |reason| CertError::InvalidExtension {
        tag: tags::EXTENDED_KEY_USAGE,
        reason,
    };
    let mut purposes = Vec::new();
    loop {
        let element = next_element(reader)?;
        match element.value {
            ElementValue::ContainerEnd => return Ok(purposes),
            ElementValue::UInt(v) => purposes.push(
                u8::try_from(v.get())
                    .ok()
                    .and_then(KeyPurpose::from_id)
                    .ok_or(invalid("unknown key purpose"))?,
            ),
            _ => return Err(invalid("key purpose is not an unsigned integer")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(ext: &Extension) -> Vec<u8> {
        let mut w = DerWriter::new();
        ext.write_der(&mut w);
        w.finish()
    }

    fn hex_lit(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn key_usage_bits_are_msb_first_and_trimmed() {
        assert_eq!(KeyUsage(0x0001).der_bits(), (7, vec![0x80]));
        assert_eq!(KeyUsage(0x0060).der_bits(), (1, vec![0x06]));
        assert_eq!(KeyUsage(0x0061).der_bits(), (1, vec![0x86]));
        assert_eq!(KeyUsage(0x0080).der_bits(), (0, vec![0x01]));
        assert_eq!(KeyUsage(0x0100).der_bits(), (7, vec![0x00, 0x80]));
        assert_eq!(KeyUsage(0).der_bits(), (0, vec![]));
    }

    #[test]
    fn extension_der_matches_connectedhomeip_certificates() {
        // Byte strings from the Root01 and Node01_01 DER in chip_certificates.json.
        let ca = Extension::BasicConstraints(BasicConstraints {
            is_ca: true,
            path_len: None,
        });
        assert_eq!(der(&ca), hex_lit("300f0603551d130101ff040530030101ff"));
        let leaf = Extension::BasicConstraints(BasicConstraints {
            is_ca: false,
            path_len: None,
        });
        assert_eq!(der(&leaf), hex_lit("300c0603551d130101ff04023000"));
        assert_eq!(
            der(&Extension::KeyUsage(KeyUsage(0x60))),
            hex_lit("300e0603551d0f0101ff040403020106")
        );
        assert_eq!(
            der(&Extension::ExtendedKeyUsage(vec![
                KeyPurpose::ClientAuth,
                KeyPurpose::ServerAuth
            ])),
            hex_lit("30200603551d250101ff0416301406082b0601050507030206082b06010505070301")
        );
        let id = [0xcc; KEY_ID_LEN];
        let mut skid = hex_lit("301d0603551d0e04160414");
        skid.extend_from_slice(&id);
        assert_eq!(der(&Extension::SubjectKeyId(id)), skid);
        let mut akid = hex_lit("301f0603551d23041830168014");
        akid.extend_from_slice(&id);
        assert_eq!(der(&Extension::AuthorityKeyId(id)), akid);
        let with_len = Extension::BasicConstraints(BasicConstraints {
            is_ca: true,
            path_len: Some(1),
        });
        assert_eq!(
            der(&with_len),
            hex_lit("30120603551d130101ff040830060101ff020101")
        );
    }

    #[test]
    fn duplicates_and_empty_content_are_rejected() {
        let mut exts = Extensions::new(vec![Extension::KeyUsage(KeyUsage(1))]).unwrap();
        assert_eq!(
            exts.push(Extension::KeyUsage(KeyUsage(1))),
            Err(CertError::DuplicateExtension(2))
        );
        let future = hex_lit("3003020100");
        exts.push(Extension::Future(future.clone())).unwrap();
        exts.push(Extension::Future(future)).unwrap();
        assert_eq!(exts.future().count(), 2);
        for bad in [
            Extension::KeyUsage(KeyUsage(0)),
            Extension::KeyUsage(KeyUsage(0x0200)),
            Extension::ExtendedKeyUsage(vec![]),
            Extension::Future(vec![0x30, 0x01]),
        ] {
            let tag = bad.tag();
            assert!(
                matches!(Extensions::new(vec![bad]), Err(CertError::InvalidExtension { tag: t, .. }) if t == tag)
            );
        }
    }

    #[test]
    fn key_purpose_ids_round_trip() {
        for id in 0..=255u8 {
            if let Some(p) = KeyPurpose::from_id(id) {
                assert_eq!(p.id(), id);
            } else {
                assert!(id == 0 || id > 6);
            }
        }
        assert_eq!(KeyPurpose::TimeStamping.oid()[8], 8);
    }
}
