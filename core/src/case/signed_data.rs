//! The structures inside Sigma2 and Sigma3 (Matter 1.3 §4.14.2.3):
//! TBSData2/TBSData3, the bytes each side signs, and TBEData2/TBEData3, the plaintexts of
//! encrypted2/encrypted3. Certificates travel as opaque Matter TLV byte strings here; parsing
//! and validating them is the certificate module's job.
//!
//! Encoders emit canonical order with minimal widths, which is how both reference stacks build
//! the TBS bytes a signature covers (the verifier rebuilds TBSData from its own fields, Matter 1.3
//! §4.14.2.3).

use super::SIGNATURE_LEN;
use super::error::CaseError;
use super::fields::{fixed, put_optional_bytes};
use crate::crypto::P256_PUBLIC_KEY_LEN;
use crate::session::resumption::ResumptionId;
use crate::tlv::{StructView, Tag, Writer};

/// Context tags shared by the four inner structures (CHIP `kTag_TBEData_*`).
mod tag {
    pub const NOC: u8 = 1;
    pub const ICAC: u8 = 2;
    /// TBS: the signer's ephemeral key; TBE: the signature.
    pub const THIRD: u8 = 3;
    /// TBS: the other side's ephemeral key; TBEData2: the resumption id.
    pub const FOURTH: u8 = 4;
}

/// The signer's certificates: its NOC and, when the fabric uses one, its ICAC (Matter TLV
/// bytes, verbatim).
fn put_certificates(w: &mut Writer, noc: &[u8], icac: Option<&[u8]>) {
    w.put_bytes(Tag::Context(tag::NOC), noc);
    put_optional_bytes(w, tag::ICAC, icac);
}

fn certificates(view: &StructView<'_>) -> Result<(Vec<u8>, Option<Vec<u8>>), CaseError> {
    let noc = view.required_bytes(tag::NOC)?.to_vec();
    let icac = view.bytes(tag::ICAC)?.map(<[u8]>::to_vec);
    Ok((noc, icac))
}

/// TBSData2 (signed by the responder) or TBSData3 (signed by the initiator): in both, tag 3 is
/// the **signer's own** ephemeral key and tag 4 the other side's (Matter 1.3 §4.14.2.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TbsData {
    /// Tag 1: the signer's NOC.
    pub noc: Vec<u8>,
    /// Tag 2: the signer's ICAC, if any.
    pub icac: Option<Vec<u8>>,
    /// Tag 3: the signer's ephemeral key (responder's in TBSData2, initiator's in TBSData3).
    pub signer_eph_pub_key: [u8; P256_PUBLIC_KEY_LEN],
    /// Tag 4: the other side's ephemeral key.
    pub peer_eph_pub_key: [u8; P256_PUBLIC_KEY_LEN],
}

impl TbsData {
    /// The bytes the signer signs with its NOC key.
    pub fn encode(&self) -> Result<Vec<u8>, CaseError> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        put_certificates(&mut w, &self.noc, self.icac.as_deref());
        w.put_bytes(Tag::Context(tag::THIRD), &self.signer_eph_pub_key);
        w.put_bytes(Tag::Context(tag::FOURTH), &self.peer_eph_pub_key);
        w.end_container();
        Ok(w.finish()?)
    }

    /// Decodes TBS bytes (CASE never receives them; this is for tests and tooling).
    pub fn decode(bytes: &[u8]) -> Result<Self, CaseError> {
        let view = StructView::parse_anonymous(bytes)?;
        let (noc, icac) = certificates(&view)?;
        Ok(Self {
            noc,
            icac,
            signer_eph_pub_key: fixed(&view, tag::THIRD, "TBSData signer ephemeral key")?,
            peer_eph_pub_key: fixed(&view, tag::FOURTH, "TBSData peer ephemeral key")?,
        })
    }
}

/// TBEData2: the plaintext of Sigma2's encrypted2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TbeData2 {
    /// Tag 1: the responder's NOC.
    pub noc: Vec<u8>,
    /// Tag 2: the responder's ICAC, if any.
    pub icac: Option<Vec<u8>>,
    /// Tag 3: the responder's signature over TBSData2 (raw r ‖ s).
    pub signature: [u8; SIGNATURE_LEN],
    /// Tag 4: the resumption id the initiator may resume with later.
    pub resumption_id: ResumptionId,
}

impl TbeData2 {
    /// The plaintext bytes to encrypt under S2K.
    pub fn encode(&self) -> Result<Vec<u8>, CaseError> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        put_certificates(&mut w, &self.noc, self.icac.as_deref());
        w.put_bytes(Tag::Context(tag::THIRD), &self.signature);
        w.put_bytes(Tag::Context(tag::FOURTH), &self.resumption_id);
        w.end_container();
        Ok(w.finish()?)
    }

    /// Decodes decrypted TBEData2 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, CaseError> {
        let view = StructView::parse_anonymous(bytes)?;
        let (noc, icac) = certificates(&view)?;
        Ok(Self {
            noc,
            icac,
            signature: fixed(&view, tag::THIRD, "TBEData2 signature")?,
            resumption_id: fixed(&view, tag::FOURTH, "TBEData2 resumptionID")?,
        })
    }
}

/// TBEData3: the plaintext of Sigma3's encrypted3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TbeData3 {
    /// Tag 1: the initiator's NOC.
    pub noc: Vec<u8>,
    /// Tag 2: the initiator's ICAC, if any.
    pub icac: Option<Vec<u8>>,
    /// Tag 3: the initiator's signature over TBSData3 (raw r ‖ s).
    pub signature: [u8; SIGNATURE_LEN],
}

impl TbeData3 {
    /// The plaintext bytes to encrypt under S3K.
    pub fn encode(&self) -> Result<Vec<u8>, CaseError> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        put_certificates(&mut w, &self.noc, self.icac.as_deref());
        w.put_bytes(Tag::Context(tag::THIRD), &self.signature);
        w.end_container();
        Ok(w.finish()?)
    }

    /// Decodes decrypted TBEData3 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, CaseError> {
        let view = StructView::parse_anonymous(bytes)?;
        let (noc, icac) = certificates(&view)?;
        Ok(Self {
            noc,
            icac,
            signature: fixed(&view, tag::THIRD, "TBEData3 signature")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::TlvError;

    fn bytes_member(tag: u8, value: &[u8]) -> Vec<u8> {
        let len = u8::try_from(value.len()).expect("short test value");
        [&[0x30, tag, len][..], value].concat()
    }

    fn structure(members: &[Vec<u8>]) -> Vec<u8> {
        [&[0x15][..], &members.concat(), &[0x18]].concat()
    }

    #[test]
    fn tbs_data_puts_the_signers_key_first() {
        let tbs = TbsData {
            noc: vec![0xaa; 10],
            icac: None,
            signer_eph_pub_key: [1; 65],
            peer_eph_pub_key: [2; 65],
        };
        let expected = structure(&[
            bytes_member(1, &[0xaa; 10]),
            bytes_member(3, &[1; 65]),
            bytes_member(4, &[2; 65]),
        ]);
        assert_eq!(tbs.encode().unwrap(), expected);
        assert_eq!(TbsData::decode(&expected).unwrap(), tbs);
        let with_icac = TbsData {
            icac: Some(vec![0xbb; 300]),
            ..tbs
        };
        assert_eq!(
            TbsData::decode(&with_icac.encode().unwrap()).unwrap(),
            with_icac
        );
    }

    #[test]
    fn tbe_data2_round_trips_and_validates() {
        let members = vec![
            bytes_member(1, &[0xaa; 10]),
            bytes_member(2, &[0xbb; 5]),
            bytes_member(3, &[3; 64]),
            bytes_member(4, &[4; 16]),
        ];
        let tbe = TbeData2 {
            noc: vec![0xaa; 10],
            icac: Some(vec![0xbb; 5]),
            signature: [3; 64],
            resumption_id: [4; 16],
        };
        assert_eq!(tbe.encode().unwrap(), structure(&members));
        assert_eq!(TbeData2::decode(&structure(&members)).unwrap(), tbe);

        let mut short_signature = members.clone();
        short_signature[2] = bytes_member(3, &[3; 63]);
        assert_eq!(
            TbeData2::decode(&structure(&short_signature)),
            Err(CaseError::WrongLength {
                field: "TBEData2 signature",
                expected: 64,
                actual: 63
            })
        );
        let mut long_id = members.clone();
        long_id[3] = bytes_member(4, &[4; 17]);
        assert_eq!(
            TbeData2::decode(&structure(&long_id)),
            Err(CaseError::WrongLength {
                field: "TBEData2 resumptionID",
                expected: 16,
                actual: 17
            })
        );
        for (index, tag) in [(0, 1), (2, 3), (3, 4)] {
            let mut missing = members.clone();
            missing.remove(index);
            assert_eq!(
                TbeData2::decode(&structure(&missing)),
                Err(CaseError::Tlv(TlvError::MissingField(tag)))
            );
        }
        let mut duplicate = members.clone();
        duplicate.push(bytes_member(2, &[0xcc; 5]));
        assert_eq!(
            TbeData2::decode(&structure(&duplicate)),
            Err(CaseError::Tlv(TlvError::DuplicateTag(Tag::Context(2))))
        );
        let mut icac_not_bytes = members;
        icac_not_bytes[1] = vec![0x24, 2, 1];
        assert!(matches!(
            TbeData2::decode(&structure(&icac_not_bytes)),
            Err(CaseError::Tlv(TlvError::WrongType { .. }))
        ));
    }

    #[test]
    fn tbe_data3_round_trips_and_validates() {
        let members = vec![bytes_member(1, &[0xaa; 10]), bytes_member(3, &[3; 64])];
        let tbe = TbeData3 {
            noc: vec![0xaa; 10],
            icac: None,
            signature: [3; 64],
        };
        assert_eq!(tbe.encode().unwrap(), structure(&members));
        assert_eq!(TbeData3::decode(&structure(&members)).unwrap(), tbe);
        assert_eq!(
            TbeData3::decode(&structure(&[
                bytes_member(1, &[0xaa; 10]),
                bytes_member(3, &[3; 65])
            ])),
            Err(CaseError::WrongLength {
                field: "TBEData3 signature",
                expected: 64,
                actual: 65
            })
        );
        assert_eq!(
            TbeData3::decode(&structure(&members[1..])),
            Err(CaseError::Tlv(TlvError::MissingField(1)))
        );
        // A TBEData2 (with a resumption id) is read as TBEData3 with the extra tag ignored.
        let mut with_id = members;
        with_id.push(bytes_member(4, &[4; 16]));
        assert_eq!(TbeData3::decode(&structure(&with_id)).unwrap(), tbe);
    }
}
