//! Distinguished names (Matter 1.3 §6.5.6.1): the ordered attribute lists of a certificate's
//! issuer and subject, every attribute tag of the table (1–23 and 129–143), the Matter
//! identifiers they carry (node, fabric, ICAC, RCAC, firmware-signing, VVS ids, CATs), and how
//! each becomes an X.509 RDN.

use super::der::DerWriter;
use super::error::{CertError, CertField};
use super::tlv_read::{context_tag, next_element};
use crate::tlv::{ElementValue, Reader};

/// The text attributes, TLV tags 1–16 (tags 129–143 are the same attributes written as
/// PrintableString, Matter 1.3 §6.5.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextAttribute {
    /// common-name, 2.5.4.3.
    CommonName,
    /// surname, 2.5.4.4.
    Surname,
    /// serial-num, 2.5.4.5.
    SerialNumber,
    /// country-name, 2.5.4.6.
    CountryName,
    /// locality-name, 2.5.4.7.
    LocalityName,
    /// state-or-province-name, 2.5.4.8.
    StateOrProvinceName,
    /// org-name, 2.5.4.10.
    OrganizationName,
    /// org-unit-name, 2.5.4.11.
    OrganizationalUnitName,
    /// title, 2.5.4.12.
    Title,
    /// name, 2.5.4.41.
    Name,
    /// given-name, 2.5.4.42.
    GivenName,
    /// initials, 2.5.4.43.
    Initials,
    /// gen-qualifier, 2.5.4.44.
    GenerationQualifier,
    /// dn-qualifier, 2.5.4.46.
    DnQualifier,
    /// pseudonym, 2.5.4.65.
    Pseudonym,
    /// domain-component, 0.9.2342.19200300.100.1.25 (IA5String; no PrintableString form).
    DomainComponent,
}

/// Every text attribute with its TLV tag (1–16) and OID, in tag order (Matter 1.3 §6.5.6.1 table).
const TEXT_ATTRIBUTES: [(TextAttribute, u8, &[u64]); 16] = [
    (TextAttribute::CommonName, 1, &[2, 5, 4, 3]),
    (TextAttribute::Surname, 2, &[2, 5, 4, 4]),
    (TextAttribute::SerialNumber, 3, &[2, 5, 4, 5]),
    (TextAttribute::CountryName, 4, &[2, 5, 4, 6]),
    (TextAttribute::LocalityName, 5, &[2, 5, 4, 7]),
    (TextAttribute::StateOrProvinceName, 6, &[2, 5, 4, 8]),
    (TextAttribute::OrganizationName, 7, &[2, 5, 4, 10]),
    (TextAttribute::OrganizationalUnitName, 8, &[2, 5, 4, 11]),
    (TextAttribute::Title, 9, &[2, 5, 4, 12]),
    (TextAttribute::Name, 10, &[2, 5, 4, 41]),
    (TextAttribute::GivenName, 11, &[2, 5, 4, 42]),
    (TextAttribute::Initials, 12, &[2, 5, 4, 43]),
    (TextAttribute::GenerationQualifier, 13, &[2, 5, 4, 44]),
    (TextAttribute::DnQualifier, 14, &[2, 5, 4, 46]),
    (TextAttribute::Pseudonym, 15, &[2, 5, 4, 65]),
    (
        TextAttribute::DomainComponent,
        16,
        &[0, 9, 2342, 19_200_300, 100, 1, 25],
    ),
];

/// Tags 129–143 are tags 1–15 with this bit: the same attribute as PrintableString.
const PRINTABLE_FLAG: u8 = 0x80;

/// OID prefix of the Matter DN attributes, 1.3.6.1.4.1.37244.1.x.
const fn matter_oid(x: u64) -> [u64; 9] {
    [1, 3, 6, 1, 4, 1, 37244, 1, x]
}

const OID_NODE_ID: [u64; 9] = matter_oid(1);
const OID_FIRMWARE_SIGNING_ID: [u64; 9] = matter_oid(2);
const OID_ICAC_ID: [u64; 9] = matter_oid(3);
const OID_RCAC_ID: [u64; 9] = matter_oid(4);
const OID_FABRIC_ID: [u64; 9] = matter_oid(5);
const OID_NOC_CAT: [u64; 9] = matter_oid(6);
const OID_VVS_ID: [u64; 9] = matter_oid(7);

/// TLV tags of the Matter identifier attributes (Matter 1.3 §6.5.6.1).
pub mod tags {
    /// matter-node-id.
    pub const NODE_ID: u8 = 17;
    /// matter-firmware-signing-id.
    pub const FIRMWARE_SIGNING_ID: u8 = 18;
    /// matter-icac-id.
    pub const ICAC_ID: u8 = 19;
    /// matter-rcac-id.
    pub const RCAC_ID: u8 = 20;
    /// matter-fabric-id.
    pub const FABRIC_ID: u8 = 21;
    /// matter-noc-cat.
    pub const NOC_CAT: u8 = 22;
    /// matter-vvs-id.
    pub const VVS_ID: u8 = 23;
}

impl TextAttribute {
    /// The attribute of a TLV tag 1–16.
    pub fn from_tag(tag: u8) -> Option<Self> {
        TEXT_ATTRIBUTES
            .iter()
            .find(|(_, t, _)| *t == tag)
            .map(|(a, _, _)| *a)
    }

    fn entry(self) -> (u8, &'static [u64]) {
        TEXT_ATTRIBUTES
            .iter()
            .find(|(a, _, _)| *a == self)
            .map(|(_, t, oid)| (*t, *oid))
            // Every variant is in the table, so the search always succeeds.
            .unwrap_or((1, &[2, 5, 4, 3]))
    }

    /// The TLV tag, 1–16.
    pub fn tag(self) -> u8 {
        self.entry().0
    }

    /// The X.509 OID arcs.
    pub fn oid(self) -> &'static [u64] {
        self.entry().1
    }
}

/// A CASE Authenticated Tag: 16-bit identifier ‖ 16-bit version (Matter 1.3 §6.5.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseAuthTag(pub u32);

impl CaseAuthTag {
    /// The upper 16 bits.
    pub fn identifier(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The lower 16 bits; 0 is not a valid version.
    pub fn version(self) -> u16 {
        (self.0 & 0xffff) as u16
    }
}

/// How an attribute value is written in X.509 (Matter 1.3 §6.5.6.1: decided by the TLV tag alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum X509StringType {
    /// UTF8String: tags 1–15 and every Matter identifier.
    Utf8String,
    /// PrintableString: tags 129–143.
    PrintableString,
    /// IA5String: domain-component (tag 16).
    Ia5String,
}

/// One distinguished-name attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DnAttribute {
    /// A text attribute; `printable` is set for the tag 129–143 form.
    Text {
        /// Which attribute.
        attribute: TextAttribute,
        /// Written as PrintableString (TLV tag + 0x80).
        printable: bool,
        /// The string.
        value: String,
    },
    /// matter-node-id (17).
    NodeId(u64),
    /// matter-firmware-signing-id (18).
    FirmwareSigningId(u64),
    /// matter-icac-id (19).
    IcacId(u64),
    /// matter-rcac-id (20).
    RcacId(u64),
    /// matter-fabric-id (21).
    FabricId(u64),
    /// matter-noc-cat (22).
    NocCat(CaseAuthTag),
    /// matter-vvs-id (23).
    VvsId(u64),
}

impl DnAttribute {
    /// The TLV context tag.
    pub fn tag(&self) -> u8 {
        match self {
            Self::Text {
                attribute,
                printable,
                ..
            } => {
                if *printable {
                    attribute.tag() | PRINTABLE_FLAG
                } else {
                    attribute.tag()
                }
            }
            Self::NodeId(_) => tags::NODE_ID,
            Self::FirmwareSigningId(_) => tags::FIRMWARE_SIGNING_ID,
            Self::IcacId(_) => tags::ICAC_ID,
            Self::RcacId(_) => tags::RCAC_ID,
            Self::FabricId(_) => tags::FABRIC_ID,
            Self::NocCat(_) => tags::NOC_CAT,
            Self::VvsId(_) => tags::VVS_ID,
        }
    }

    /// The X.509 OID arcs.
    pub fn oid(&self) -> &'static [u64] {
        match self {
            Self::Text { attribute, .. } => attribute.oid(),
            Self::NodeId(_) => &OID_NODE_ID,
            Self::FirmwareSigningId(_) => &OID_FIRMWARE_SIGNING_ID,
            Self::IcacId(_) => &OID_ICAC_ID,
            Self::RcacId(_) => &OID_RCAC_ID,
            Self::FabricId(_) => &OID_FABRIC_ID,
            Self::NocCat(_) => &OID_NOC_CAT,
            Self::VvsId(_) => &OID_VVS_ID,
        }
    }

    /// The X.509 string type of the value.
    pub fn x509_string_type(&self) -> X509StringType {
        match self {
            Self::Text {
                attribute: TextAttribute::DomainComponent,
                ..
            } => X509StringType::Ia5String,
            Self::Text {
                printable: true, ..
            } => X509StringType::PrintableString,
            _ => X509StringType::Utf8String,
        }
    }

    /// The X.509 string: the text itself, or upper-case hex of 16 digits for a 64-bit
    /// identifier and 8 digits for a CAT (Matter 1.3 §6.5.6.1).
    pub fn x509_value(&self) -> String {
        match self {
            Self::Text { value, .. } => value.clone(),
            Self::NocCat(cat) => format!("{:08X}", cat.0),
            Self::NodeId(v)
            | Self::FirmwareSigningId(v)
            | Self::IcacId(v)
            | Self::RcacId(v)
            | Self::FabricId(v)
            | Self::VvsId(v) => format!("{v:016X}"),
        }
    }

    /// Writes the RDN `SET { SEQUENCE { OID, value } }` (Matter 1.3 §6.5.6.1: one RDN per
    /// attribute).
    pub fn write_rdn(&self, der: &mut DerWriter) {
        let value = self.x509_value();
        der.set(|w| {
            w.sequence(|w| {
                w.oid(self.oid());
                match self.x509_string_type() {
                    X509StringType::Utf8String => w.utf8_string(&value),
                    X509StringType::PrintableString => w.printable_string(&value),
                    X509StringType::Ia5String => w.ia5_string(&value),
                }
            })
        });
    }
}

/// The text attribute of tag 1–16 or 129–143, and whether it is the PrintableString form.
pub fn text_tag(tag: u8) -> Option<(TextAttribute, bool)> {
    match tag {
        1..=16 => TextAttribute::from_tag(tag).map(|a| (a, false)),
        129..=143 => TextAttribute::from_tag(tag & !PRINTABLE_FLAG).map(|a| (a, true)),
        _ => None,
    }
}

/// A distinguished name: attributes in TLV order (which is also the X.509 RDN order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DistinguishedName {
    attributes: Vec<DnAttribute>,
}

impl DistinguishedName {
    /// A name with these attributes, in this order.
    pub fn new(attributes: Vec<DnAttribute>) -> Self {
        Self { attributes }
    }

    /// The attributes in order.
    pub fn attributes(&self) -> &[DnAttribute] {
        &self.attributes
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.attributes.len()
    }

    /// Whether there are no attributes.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    fn single(&self, pick: impl Fn(&DnAttribute) -> Option<u64>) -> Option<u64> {
        self.attributes.iter().find_map(pick)
    }

    /// The first matter-node-id.
    pub fn node_id(&self) -> Option<u64> {
        self.single(|a| match a {
            DnAttribute::NodeId(v) => Some(*v),
            _ => None,
        })
    }

    /// The first matter-fabric-id.
    pub fn fabric_id(&self) -> Option<u64> {
        self.single(|a| match a {
            DnAttribute::FabricId(v) => Some(*v),
            _ => None,
        })
    }

    /// The first matter-rcac-id.
    pub fn rcac_id(&self) -> Option<u64> {
        self.single(|a| match a {
            DnAttribute::RcacId(v) => Some(*v),
            _ => None,
        })
    }

    /// The first matter-icac-id.
    pub fn icac_id(&self) -> Option<u64> {
        self.single(|a| match a {
            DnAttribute::IcacId(v) => Some(*v),
            _ => None,
        })
    }

    /// The first matter-firmware-signing-id.
    pub fn firmware_signing_id(&self) -> Option<u64> {
        self.single(|a| match a {
            DnAttribute::FirmwareSigningId(v) => Some(*v),
            _ => None,
        })
    }

    /// The matter-noc-cat values in order.
    pub fn cats(&self) -> Vec<CaseAuthTag> {
        self.attributes
            .iter()
            .filter_map(|a| match a {
                DnAttribute::NocCat(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// How many attributes carry TLV tag `tag`.
    pub fn count_tag(&self, tag: u8) -> usize {
        self.attributes.iter().filter(|a| a.tag() == tag).count()
    }

    /// Reads the attributes of the DN list whose start the caller has just read, through its
    /// end-of-container. `field` says which name it is (for errors).
    pub(super) fn decode(reader: &mut Reader<'_>, field: CertField) -> Result<Self, CertError> {
        let mut attributes = Vec::new();
        loop {
            let element = next_element(reader)?;
            if element.value == ElementValue::ContainerEnd {
                break;
            }
            let tag = context_tag(&element, "a distinguished name")?;
            let wrong = CertError::InvalidDnAttribute(tag);
            let attribute = match (text_tag(tag), element.value) {
                (Some((attribute, printable)), ElementValue::Utf8 { value, .. }) => {
                    DnAttribute::Text {
                        attribute,
                        printable,
                        value: value.to_owned(),
                    }
                }
                (Some(_), _) => return Err(wrong),
                (None, ElementValue::UInt(v)) => {
                    let v = v.get();
                    match tag {
                        tags::NODE_ID => DnAttribute::NodeId(v),
                        tags::FIRMWARE_SIGNING_ID => DnAttribute::FirmwareSigningId(v),
                        tags::ICAC_ID => DnAttribute::IcacId(v),
                        tags::RCAC_ID => DnAttribute::RcacId(v),
                        tags::FABRIC_ID => DnAttribute::FabricId(v),
                        tags::NOC_CAT => {
                            DnAttribute::NocCat(CaseAuthTag(u32::try_from(v).map_err(|_| wrong)?))
                        }
                        tags::VVS_ID => DnAttribute::VvsId(v),
                        _ => return Err(CertError::UnknownDnAttribute(tag)),
                    }
                }
                (None, _) if (tags::NODE_ID..=tags::VVS_ID).contains(&tag) => return Err(wrong),
                (None, _) => return Err(CertError::UnknownDnAttribute(tag)),
            };
            attributes.push(attribute);
        }
        if attributes.is_empty() {
            return Err(CertError::EmptyDistinguishedName(field));
        }
        Ok(Self { attributes })
    }

    /// Writes the X.509 `Name`: `SEQUENCE OF RDN`, one RDN per attribute in order.
    pub fn write_der(&self, der: &mut DerWriter) {
        der.sequence(|w| {
            for attribute in &self.attributes {
                attribute.write_rdn(w);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rdn(attribute: &DnAttribute) -> Vec<u8> {
        let mut w = DerWriter::new();
        attribute.write_rdn(&mut w);
        w.finish()
    }

    #[test]
    fn every_tag_maps_both_ways() {
        for tag in 0..=255u8 {
            let expected = matches!(tag, 1..=16 | 129..=143);
            assert_eq!(text_tag(tag).is_some(), expected, "tag {tag}");
            if let Some((attribute, printable)) = text_tag(tag) {
                let a = DnAttribute::Text {
                    attribute,
                    printable,
                    value: String::new(),
                };
                assert_eq!(a.tag(), tag);
            }
        }
    }

    #[test]
    fn identifiers_are_upper_hex() {
        let node = DnAttribute::NodeId(0xDEDE_DEDE_0001_0001);
        assert_eq!(node.x509_value(), "DEDEDEDE00010001");
        assert_eq!(DnAttribute::FabricId(2).x509_value(), "0000000000000002");
        assert_eq!(
            DnAttribute::NocCat(CaseAuthTag(0x0001_0002)).x509_value(),
            "00010002"
        );
    }

    #[test]
    fn rdn_bytes() {
        // connectedhomeip Root01 subject RDN (chip_certificates.json chip-Root01 der).
        let expected =
            hex_lit("3120301e060a2b0601040182a27c01040c1043414341434143413030303030303031");
        assert_eq!(rdn(&DnAttribute::RcacId(0xCACA_CACA_0000_0001)), expected);
        let printable = DnAttribute::Text {
            attribute: TextAttribute::CountryName,
            printable: true,
            value: "US".into(),
        };
        assert_eq!(rdn(&printable), hex_lit("310b3009060355040613025553"));
        let dc = DnAttribute::Text {
            attribute: TextAttribute::DomainComponent,
            printable: false,
            value: "x".into(),
        };
        assert_eq!(dc.x509_string_type(), X509StringType::Ia5String);
        assert_eq!(rdn(&dc), hex_lit("3111300f060a0992268993f22c640119160178"));
    }

    #[test]
    fn cat_halves() {
        let cat = CaseAuthTag(0xABCD_0001);
        assert_eq!(cat.identifier(), 0xABCD);
        assert_eq!(cat.version(), 1);
    }

    fn hex_lit(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
