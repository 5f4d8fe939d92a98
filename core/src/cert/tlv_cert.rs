//! The Matter TLV certificate (Matter 1.3 §6.5.2): an anonymous structure with fields 1–11
//! in tag order, decoded into typed fields while the exact input bytes are kept (CASE sends
//! and hashes them verbatim), and encoded back with minimal widths (Matter 1.3 Appendix A).

use super::dn::{DistinguishedName, DnAttribute};
use super::error::{CertError, CertField};
use super::extensions::{Extension, Extensions};
use super::tlv_read::{context_tag, next_element};
use crate::crypto::{ECDSA_P256_SIGNATURE_LEN, P256PublicKey};
use crate::tlv::{ContainerKind, ElementValue, Reader, Tag, Writer};

/// sig-algo 1: ecdsa-with-SHA256, the only defined value (Matter 1.3 §6.5.2 tag 2).
pub const SIGNATURE_ALGORITHM_ECDSA_SHA256: u64 = 1;
/// pub-key-algo 1: id-ecPublicKey, the only defined value (Matter 1.3 §6.5.2 tag 7).
pub const PUBLIC_KEY_ALGORITHM_EC: u64 = 1;
/// ec-curve-id 1: prime256v1, the only defined value (Matter 1.3 §6.5.2 tag 8).
pub const EC_CURVE_PRIME256V1: u64 = 1;
/// Longest serial number, in bytes (Matter 1.3 §6.5.2 tag 1, RFC 5280 §4.1.2.2).
pub const MAX_SERIAL_LEN: usize = 20;

/// Everything a certificate says except its signature: what the issuer signs (as the DER
/// TBSCertificate rebuilt from it, Matter 1.3 §6.5; connectedhomeip
/// `src/credentials/CHIPCertToX509.cpp`). The three algorithm fields have a single legal value each
/// and are not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFields {
    /// Serial number, 1–20 bytes, copied verbatim as the DER INTEGER content.
    pub serial: Vec<u8>,
    /// Issuer name.
    pub issuer: DistinguishedName,
    /// not-before, Matter epoch seconds (0 maps to `99991231235959Z`, Matter 1.3 §6.5;
    /// connectedhomeip `src/credentials/CHIPCertToX509.cpp`).
    pub not_before: u32,
    /// not-after, Matter epoch seconds; 0 means no expiry.
    pub not_after: u32,
    /// Subject name.
    pub subject: DistinguishedName,
    /// The subject's P-256 public key.
    pub public_key: P256PublicKey,
    /// Extensions in order.
    pub extensions: Extensions,
}

impl CertificateFields {
    /// The checks a decoder would make that the types do not already guarantee: a serial of
    /// 1–20 bytes and non-empty names.
    pub fn check(&self) -> Result<(), CertError> {
        if self.serial.is_empty() || self.serial.len() > MAX_SERIAL_LEN {
            return Err(CertError::InvalidSerial(self.serial.len()));
        }
        if self.issuer.is_empty() {
            return Err(CertError::EmptyDistinguishedName(CertField::Issuer));
        }
        if self.subject.is_empty() {
            return Err(CertError::EmptyDistinguishedName(CertField::Subject));
        }
        Ok(())
    }
}

/// A decoded (or freshly signed) Matter TLV certificate: typed fields, the raw r ‖ s
/// signature, and the exact TLV bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatterCertificate {
    fields: CertificateFields,
    signature: [u8; ECDSA_P256_SIGNATURE_LEN],
    tlv: Vec<u8>,
}

impl MatterCertificate {
    /// Decodes a Matter TLV certificate. Every malformed input is a [`CertError`]: fields must
    /// be present once each, in tag order, with their TLV types and legal values, and nothing
    /// may follow the structure. Size limits are the chain validator's business (connectedhomeip
    /// `src/credentials/CHIPCert.cpp`).
    pub fn decode(tlv: &[u8]) -> Result<Self, CertError> {
        let mut reader = Reader::new(tlv);
        let head = next_element(&mut reader)?;
        if head.value != ElementValue::ContainerStart(ContainerKind::Structure) {
            return Err(CertError::NotAStructure);
        }
        if !head.tag.is_anonymous() {
            return Err(CertError::NotAnonymous);
        }
        let mut partial = PartialFields::default();
        let mut last: Option<CertField> = None;
        loop {
            let element = next_element(&mut reader)?;
            if element.value == ElementValue::ContainerEnd {
                break;
            }
            let tag = context_tag(&element, "the certificate")?;
            let field = CertField::from_tag(tag).ok_or(CertError::UnknownField(tag))?;
            if let Some(after) = last {
                if field == after {
                    return Err(CertError::DuplicateField(field));
                }
                if field < after {
                    return Err(CertError::FieldOrder { field, after });
                }
            }
            last = Some(field);
            partial.read(field, element.value, &mut reader)?;
        }
        if reader.position() != tlv.len() {
            return Err(CertError::TrailingData);
        }
        partial.finish(tlv)
    }

    /// A certificate from its fields and signature, encoded with minimal widths.
    pub fn from_parts(
        fields: CertificateFields,
        signature: [u8; ECDSA_P256_SIGNATURE_LEN],
    ) -> Result<Self, CertError> {
        fields.check()?;
        let tlv = encode(&fields, &signature)?;
        Ok(Self {
            fields,
            signature,
            tlv,
        })
    }

    /// The exact TLV bytes (as decoded, or as encoded by [`Self::from_parts`]).
    pub fn tlv(&self) -> &[u8] {
        &self.tlv
    }

    /// The fields re-encoded with minimal widths. Equals [`Self::tlv`] for certificates paseo
    /// issues; other encoders may pick wider integers.
    pub fn encode(&self) -> Result<Vec<u8>, CertError> {
        encode(&self.fields, &self.signature)
    }

    /// The signed fields.
    pub fn fields(&self) -> &CertificateFields {
        &self.fields
    }

    /// Serial number bytes.
    pub fn serial(&self) -> &[u8] {
        &self.fields.serial
    }

    /// Issuer name.
    pub fn issuer(&self) -> &DistinguishedName {
        &self.fields.issuer
    }

    /// Subject name.
    pub fn subject(&self) -> &DistinguishedName {
        &self.fields.subject
    }

    /// not-before, Matter epoch seconds.
    pub fn not_before(&self) -> u32 {
        self.fields.not_before
    }

    /// not-after, Matter epoch seconds (0: no expiry).
    pub fn not_after(&self) -> u32 {
        self.fields.not_after
    }

    /// The subject's public key.
    pub fn public_key(&self) -> &P256PublicKey {
        &self.fields.public_key
    }

    /// Extensions.
    pub fn extensions(&self) -> &Extensions {
        &self.fields.extensions
    }

    /// The raw r ‖ s signature.
    pub fn signature(&self) -> &[u8; ECDSA_P256_SIGNATURE_LEN] {
        &self.signature
    }
}

/// Fields seen so far while decoding.
#[derive(Default)]
struct PartialFields {
    serial: Option<Vec<u8>>,
    issuer: Option<DistinguishedName>,
    not_before: Option<u32>,
    not_after: Option<u32>,
    subject: Option<DistinguishedName>,
    algorithms_seen: [bool; 3],
    public_key: Option<P256PublicKey>,
    extensions: Option<Extensions>,
    signature: Option<[u8; ECDSA_P256_SIGNATURE_LEN]>,
}

impl PartialFields {
    /// Reads one field whose first element `value` the caller has read (for a list, the
    /// rest of it is read here).
    fn read(
        &mut self,
        field: CertField,
        value: ElementValue<'_>,
        reader: &mut Reader<'_>,
    ) -> Result<(), CertError> {
        let wrong = CertError::WrongType(field);
        match field {
            CertField::SerialNumber => {
                let ElementValue::Bytes { value, .. } = value else {
                    return Err(wrong);
                };
                if value.is_empty() || value.len() > MAX_SERIAL_LEN {
                    return Err(CertError::InvalidSerial(value.len()));
                }
                self.serial = Some(value.to_vec());
            }
            CertField::SignatureAlgorithm
            | CertField::PublicKeyAlgorithm
            | CertField::EcCurveId => {
                let ElementValue::UInt(v) = value else {
                    return Err(wrong);
                };
                // Each of the three has exactly one defined value, 1 (Matter 1.3 §6.5.2 tags 2, 7,
                // 8).
                let (index, expected) = match field {
                    CertField::SignatureAlgorithm => (0, SIGNATURE_ALGORITHM_ECDSA_SHA256),
                    CertField::PublicKeyAlgorithm => (1, PUBLIC_KEY_ALGORITHM_EC),
                    _ => (2, EC_CURVE_PRIME256V1),
                };
                if v.get() != expected {
                    return Err(CertError::UnsupportedAlgorithm {
                        field,
                        value: v.get(),
                    });
                }
                if let Some(seen) = self.algorithms_seen.get_mut(index) {
                    *seen = true;
                }
            }
            CertField::Issuer | CertField::Subject => {
                if value != ElementValue::ContainerStart(ContainerKind::List) {
                    return Err(wrong);
                }
                let name = DistinguishedName::decode(reader, field)?;
                if field == CertField::Issuer {
                    self.issuer = Some(name);
                } else {
                    self.subject = Some(name);
                }
            }
            CertField::NotBefore | CertField::NotAfter => {
                let ElementValue::UInt(v) = value else {
                    return Err(wrong);
                };
                let secs = u32::try_from(v.get()).map_err(|_| wrong)?;
                if field == CertField::NotBefore {
                    self.not_before = Some(secs);
                } else {
                    self.not_after = Some(secs);
                }
            }
            CertField::EcPublicKey => {
                let ElementValue::Bytes { value, .. } = value else {
                    return Err(wrong);
                };
                self.public_key = Some(
                    P256PublicKey::from_uncompressed(value)
                        .map_err(|_| CertError::InvalidPublicKey)?,
                );
            }
            CertField::Extensions => {
                if value != ElementValue::ContainerStart(ContainerKind::List) {
                    return Err(wrong);
                }
                self.extensions = Some(Extensions::decode(reader)?);
            }
            CertField::Signature => {
                let ElementValue::Bytes { value, .. } = value else {
                    return Err(wrong);
                };
                self.signature = Some(
                    value
                        .try_into()
                        .map_err(|_| CertError::InvalidSignatureLength(value.len()))?,
                );
            }
        }
        Ok(())
    }

    /// The certificate, or the first mandatory field (in tag order) that never came.
    fn finish(self, tlv: &[u8]) -> Result<MatterCertificate, CertError> {
        use CertField as F;
        let [sig_algo, key_algo, curve] = self.algorithms_seen;
        let serial = self
            .serial
            .ok_or(CertError::MissingField(F::SerialNumber))?;
        if !sig_algo {
            return Err(CertError::MissingField(F::SignatureAlgorithm));
        }
        let issuer = self.issuer.ok_or(CertError::MissingField(F::Issuer))?;
        let not_before = self
            .not_before
            .ok_or(CertError::MissingField(F::NotBefore))?;
        let not_after = self.not_after.ok_or(CertError::MissingField(F::NotAfter))?;
        let subject = self.subject.ok_or(CertError::MissingField(F::Subject))?;
        if !key_algo {
            return Err(CertError::MissingField(F::PublicKeyAlgorithm));
        }
        if !curve {
            return Err(CertError::MissingField(F::EcCurveId));
        }
        let public_key = self
            .public_key
            .ok_or(CertError::MissingField(F::EcPublicKey))?;
        let extensions = self
            .extensions
            .ok_or(CertError::MissingField(F::Extensions))?;
        let signature = self
            .signature
            .ok_or(CertError::MissingField(F::Signature))?;
        Ok(MatterCertificate {
            fields: CertificateFields {
                serial,
                issuer,
                not_before,
                not_after,
                subject,
                public_key,
                extensions,
            },
            signature,
            tlv: tlv.to_vec(),
        })
    }
}

/// Encodes a certificate with minimal integer and length widths (Matter 1.3 Appendix A).
fn encode(
    fields: &CertificateFields,
    signature: &[u8; ECDSA_P256_SIGNATURE_LEN],
) -> Result<Vec<u8>, CertError> {
    let ctx = |field: CertField| Tag::Context(field.tag());
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bytes(ctx(CertField::SerialNumber), &fields.serial);
    w.put_uint(
        ctx(CertField::SignatureAlgorithm),
        SIGNATURE_ALGORITHM_ECDSA_SHA256,
    );
    write_dn(&mut w, ctx(CertField::Issuer), &fields.issuer);
    w.put_uint(ctx(CertField::NotBefore), u64::from(fields.not_before));
    w.put_uint(ctx(CertField::NotAfter), u64::from(fields.not_after));
    write_dn(&mut w, ctx(CertField::Subject), &fields.subject);
    w.put_uint(ctx(CertField::PublicKeyAlgorithm), PUBLIC_KEY_ALGORITHM_EC);
    w.put_uint(ctx(CertField::EcCurveId), EC_CURVE_PRIME256V1);
    w.put_bytes(
        ctx(CertField::EcPublicKey),
        &fields.public_key.to_uncompressed(),
    );
    w.start_list(ctx(CertField::Extensions));
    for extension in fields.extensions.entries() {
        write_extension(&mut w, extension);
    }
    w.end_container();
    w.put_bytes(ctx(CertField::Signature), signature);
    w.end_container();
    Ok(w.finish()?)
}

fn write_dn(w: &mut Writer, tag: Tag, name: &DistinguishedName) {
    w.start_list(tag);
    for attribute in name.attributes() {
        let tag = Tag::Context(attribute.tag());
        match attribute {
            DnAttribute::Text { value, .. } => w.put_utf8(tag, value),
            DnAttribute::NocCat(cat) => w.put_uint(tag, u64::from(cat.0)),
            DnAttribute::NodeId(v)
            | DnAttribute::FirmwareSigningId(v)
            | DnAttribute::IcacId(v)
            | DnAttribute::RcacId(v)
            | DnAttribute::FabricId(v)
            | DnAttribute::VvsId(v) => w.put_uint(tag, *v),
        }
    }
    w.end_container();
}

fn write_extension(w: &mut Writer, extension: &Extension) {
    let tag = Tag::Context(extension.tag());
    match extension {
        Extension::BasicConstraints(bc) => {
            w.start_struct(tag);
            w.put_bool(Tag::Context(1), bc.is_ca);
            if let Some(len) = bc.path_len {
                w.put_uint(Tag::Context(2), u64::from(len));
            }
            w.end_container();
        }
        Extension::KeyUsage(ku) => w.put_uint(tag, u64::from(ku.0)),
        Extension::ExtendedKeyUsage(purposes) => {
            w.start_array(tag);
            for purpose in purposes {
                w.put_uint(Tag::Anonymous, u64::from(purpose.id()));
            }
            w.end_container();
        }
        Extension::SubjectKeyId(id) | Extension::AuthorityKeyId(id) => w.put_bytes(tag, id),
        Extension::Future(der) => w.put_bytes(tag, der),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::{TestCa, TestCaConfig};
    use crate::fabric::NodeId;
    use crate::tlv::{Data, UnsignedInt, Value, decode_element, encode_value};

    /// A valid NOC as an editable TLV tree.
    fn noc_tree() -> Value {
        let mut ca = TestCa::from_seed(11, TestCaConfig::default()).unwrap();
        let key = *ca.root_public_key();
        let noc = ca
            .issue_noc_for_public_key(&key, NodeId(3), &[0x0001_0001])
            .unwrap();
        decode_element(noc.tlv()).unwrap()
    }

    fn members(value: &mut Value) -> &mut Vec<Value> {
        match &mut value.data {
            Data::Struct(m) | Data::Array(m) | Data::List(m) => m,
            other => panic!("not a container: {other:?}"),
        }
    }

    fn field(tree: &mut Value, tag: u8) -> &mut Value {
        members(tree)
            .iter_mut()
            .find(|m| m.tag == Tag::Context(tag))
            .unwrap()
    }

    fn decode_edited(edit: impl FnOnce(&mut Value)) -> Result<MatterCertificate, CertError> {
        let mut tree = noc_tree();
        edit(&mut tree);
        MatterCertificate::decode(&encode_value(&tree).unwrap())
    }

    fn uint(tag: Tag, v: u64) -> Value {
        Value::new(tag, Data::UInt(UnsignedInt::minimal(v)))
    }

    #[test]
    fn unedited_tree_decodes() {
        assert!(decode_edited(|_| {}).is_ok());
    }

    #[test]
    fn structural_errors() {
        let array = decode_edited(|t| {
            let m = std::mem::take(members(t));
            *t = Value::new(Tag::Anonymous, Data::List(m));
        });
        assert_eq!(array.unwrap_err(), CertError::NotAStructure);
        let no_ext = decode_edited(|t| members(t).retain(|m| m.tag != Tag::Context(10)));
        assert_eq!(
            no_ext.unwrap_err(),
            CertError::MissingField(CertField::Extensions)
        );
        let empty_subject = decode_edited(|t| members(field(t, 6)).clear());
        assert_eq!(
            empty_subject.unwrap_err(),
            CertError::EmptyDistinguishedName(CertField::Subject)
        );
        let profile_tag_in_dn = decode_edited(|t| {
            members(field(t, 6))[0].tag = Tag::CommonProfile(crate::tlv::TagNumber::Short(17));
        });
        assert!(matches!(
            profile_tag_in_dn.unwrap_err(),
            CertError::NonContextTag(_)
        ));
        // A field repeated (bytes spliced: the TLV writer would not produce it).
        let tlv = encode_value(&noc_tree()).unwrap();
        let serial_end = 2 + 1 + usize::from(tlv[3]) + 1;
        let mut doubled = tlv[..serial_end].to_vec();
        doubled.extend_from_slice(&tlv[1..]);
        assert_eq!(
            MatterCertificate::decode(&doubled).unwrap_err(),
            CertError::DuplicateField(CertField::SerialNumber)
        );
    }

    #[test]
    fn value_errors() {
        let key_algo = decode_edited(|t| *field(t, 7) = uint(Tag::Context(7), 2));
        assert!(matches!(
            key_algo.unwrap_err(),
            CertError::UnsupportedAlgorithm {
                field: CertField::PublicKeyAlgorithm,
                value: 2
            }
        ));
        let wide_time = decode_edited(|t| *field(t, 4) = uint(Tag::Context(4), 1 << 32));
        assert_eq!(
            wide_time.unwrap_err(),
            CertError::WrongType(CertField::NotBefore)
        );
        let wide_cat = decode_edited(|t| {
            let cat = members(field(t, 6)).last_mut().unwrap();
            *cat = uint(Tag::Context(22), 1 << 32);
        });
        assert_eq!(wide_cat.unwrap_err(), CertError::InvalidDnAttribute(22));
        let unknown_attr = decode_edited(|t| members(field(t, 6)).push(uint(Tag::Context(24), 1)));
        assert_eq!(unknown_attr.unwrap_err(), CertError::UnknownDnAttribute(24));
        let text_as_int = decode_edited(|t| members(field(t, 6)).push(uint(Tag::Context(1), 1)));
        assert_eq!(text_as_int.unwrap_err(), CertError::InvalidDnAttribute(1));
    }

    #[test]
    fn extension_errors() {
        let ext_error = |edit: &dyn Fn(&mut Vec<Value>)| {
            decode_edited(|t| edit(members(field(t, 10)))).unwrap_err()
        };
        let invalid = |tag| move |e: CertError| matches!(e, CertError::InvalidExtension { tag: t, .. } if t == tag);

        assert_eq!(
            ext_error(&|m| m.push(Value::new(Tag::Context(7), Data::bytes([1])))),
            CertError::UnknownExtension(7)
        );
        assert!(invalid(2)(ext_error(
            &|m| m[1] = uint(Tag::Context(2), 0x1_0000)
        )));
        assert!(invalid(2)(ext_error(&|m| m[1] = uint(Tag::Context(2), 0))));
        assert!(invalid(3)(ext_error(&|m| {
            m[2] = Value::new(Tag::Context(3), Data::Array(vec![uint(Tag::Anonymous, 7)]));
        })));
        assert!(invalid(3)(ext_error(&|m| {
            m[2] = Value::new(Tag::Context(3), Data::Array(vec![]));
        })));
        // Basic constraints: path-len before is-ca, is-ca missing, path-len over 8 bits.
        for members in [
            vec![
                uint(Tag::Context(2), 1),
                Value::new(Tag::Context(1), Data::Bool(true)),
            ],
            vec![uint(Tag::Context(2), 1)],
            vec![
                Value::new(Tag::Context(1), Data::Bool(true)),
                uint(Tag::Context(2), 256),
            ],
        ] {
            let members = members.clone();
            assert!(invalid(1)(ext_error(&|m| {
                m[0] = Value::new(Tag::Context(1), Data::Struct(members.clone()));
            })));
        }
        assert!(invalid(6)(ext_error(&|m| {
            m.push(Value::new(Tag::Context(6), Data::bytes([0x30, 0x05, 0x00])));
        })));
        assert!(invalid(4)(ext_error(&|m| {
            m[3] = Value::new(Tag::Context(4), Data::Bool(true));
        })));
        // A well-formed future extension is accepted and kept verbatim.
        let ok = decode_edited(|t| {
            members(field(t, 10)).push(Value::new(Tag::Context(6), Data::bytes([0x30, 0x00])));
        })
        .unwrap();
        assert_eq!(ok.extensions().future().collect::<Vec<_>>(), [[0x30, 0x00]]);
    }
}
