//! The four Sigma messages on the wire (Matter 1.3 §4.14.2.3): Sigma1, Sigma2, Sigma3 and
//! Sigma2_Resume, each an anonymous TLV structure of context-tagged fields.
//!
//! Encoders emit members in canonical (ascending tag) order with minimal widths (Matter 1.3
//! Appendix A). Decoders accept any member order and integer width, ignore unknown tags, reject
//! duplicate tags, check every fixed length, and return the exact payload bytes next to the message
//! ([`Decoded`]), because the transcript hashes cover them verbatim (Matter 1.3 Appendix A,
//! §4.14.2.3).

use super::MIC_LEN;
use super::RANDOM_LEN;
use super::error::CaseError;
use super::fabric_keys::DESTINATION_ID_LEN;
use super::fields::{
    at_least, check_at_least, check_session_id, fixed, optional_fixed, put_session_params,
    session_id, session_params,
};
use crate::crypto::P256_PUBLIC_KEY_LEN;
use crate::session::params::SessionParameters;
use crate::session::resumption::ResumptionId;
use crate::tlv::{StructView, Tag, Writer};

/// A decoded message and the exact payload bytes it was decoded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded<M> {
    message: M,
    payload: Vec<u8>,
}

impl<M> Decoded<M> {
    /// The decoded fields.
    pub fn message(&self) -> &M {
        &self.message
    }

    /// The payload exactly as received: what the transcript hashes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The fields and the payload, apart.
    pub fn into_parts(self) -> (M, Vec<u8>) {
        (self.message, self.payload)
    }
}

/// Upper bound on the encoded size of every Sigma message apart from its variable-length
/// ciphertext: the largest, Sigma1 with session parameters and resumption, is about 230 bytes
/// (structure 2, random 34, session id 4, destination id 34, key 67, parameters ≤ 51, resumption
/// 36). Encoders allocate this plus the ciphertext length once instead of regrowing.
const FIXED_FIELDS_MAX: usize = 256;

fn decoded<M>(message: M, payload: &[u8]) -> Decoded<M> {
    Decoded {
        message,
        payload: payload.to_vec(),
    }
}

/// The resumption fields of a Sigma1 (tags 6 and 7), present together or not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResumptionRequest {
    /// The resumption id of the initiator's record (tag 6).
    pub resumption_id: ResumptionId,
    /// initiatorResumeMIC under S1RK (tag 7, Matter 1.3 §4.14.2).
    pub initiator_resume_mic: [u8; MIC_LEN],
}

/// Sigma1 (opcode 0x30), initiator → responder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sigma1 {
    /// Tag 1: fresh initiator random.
    pub initiator_random: [u8; RANDOM_LEN],
    /// Tag 2: the initiator's local session id for the new session.
    pub initiator_session_id: u16,
    /// Tag 3: HMAC naming the target (fabric, node) (Matter 1.3 §4.14.2).
    pub destination_id: [u8; DESTINATION_ID_LEN],
    /// Tag 4: the initiator's ephemeral P-256 key, uncompressed (only its length is checked
    /// here; [`key_schedule::shared_secret`](super::key_schedule::shared_secret) rejects
    /// points off the curve).
    pub initiator_eph_pub_key: [u8; P256_PUBLIC_KEY_LEN],
    /// Tag 5: the initiator's session parameters.
    pub initiator_session_params: Option<SessionParameters>,
    /// Tags 6 and 7: a resumption attempt.
    pub resumption: Option<ResumptionRequest>,
}

mod sigma1_tag {
    pub const INITIATOR_RANDOM: u8 = 1;
    pub const INITIATOR_SESSION_ID: u8 = 2;
    pub const DESTINATION_ID: u8 = 3;
    pub const INITIATOR_EPH_PUB_KEY: u8 = 4;
    pub const SESSION_PARAMS: u8 = 5;
    pub const RESUMPTION_ID: u8 = 6;
    pub const INITIATOR_RESUME_MIC: u8 = 7;
}

impl Sigma1 {
    /// The payload bytes. Fails on session id 0.
    pub fn encode(&self) -> Result<Vec<u8>, CaseError> {
        use sigma1_tag::*;
        check_session_id(self.initiator_session_id, "initiatorSessionId")?;
        let mut w = Writer::with_capacity(FIXED_FIELDS_MAX);
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(INITIATOR_RANDOM), &self.initiator_random);
        w.put_uint(
            Tag::Context(INITIATOR_SESSION_ID),
            self.initiator_session_id.into(),
        );
        w.put_bytes(Tag::Context(DESTINATION_ID), &self.destination_id);
        w.put_bytes(
            Tag::Context(INITIATOR_EPH_PUB_KEY),
            &self.initiator_eph_pub_key,
        );
        put_session_params(
            &mut w,
            SESSION_PARAMS,
            self.initiator_session_params.as_ref(),
        );
        if let Some(resumption) = &self.resumption {
            w.put_bytes(Tag::Context(RESUMPTION_ID), &resumption.resumption_id);
            w.put_bytes(
                Tag::Context(INITIATOR_RESUME_MIC),
                &resumption.initiator_resume_mic,
            );
        }
        w.end_container();
        Ok(w.finish()?)
    }

    /// Decodes a Sigma1 payload.
    pub fn decode(payload: &[u8]) -> Result<Decoded<Self>, CaseError> {
        use sigma1_tag::*;
        let view = StructView::parse_anonymous(payload)?;
        let initiator_random = fixed(&view, INITIATOR_RANDOM, "initiatorRandom")?;
        let initiator_session_id = session_id(&view, INITIATOR_SESSION_ID, "initiatorSessionId")?;
        let destination_id = fixed(&view, DESTINATION_ID, "destinationId")?;
        let initiator_eph_pub_key = fixed(&view, INITIATOR_EPH_PUB_KEY, "initiatorEphPubKey")?;
        let initiator_session_params = session_params(&view, SESSION_PARAMS)?;
        let resumption_id = optional_fixed(&view, RESUMPTION_ID, "resumptionID")?;
        let mic = optional_fixed(&view, INITIATOR_RESUME_MIC, "initiatorResumeMIC")?;
        let resumption = match (resumption_id, mic) {
            (Some(resumption_id), Some(initiator_resume_mic)) => Some(ResumptionRequest {
                resumption_id,
                initiator_resume_mic,
            }),
            (None, None) => None,
            // Matter 1.3 §4.14.2.3: tag 7 is present iff tag 6 is.
            _ => return Err(CaseError::UnpairedResumptionFields),
        };
        let message = Self {
            initiator_random,
            initiator_session_id,
            destination_id,
            initiator_eph_pub_key,
            initiator_session_params,
            resumption,
        };
        Ok(decoded(message, payload))
    }
}

/// Sigma2 (opcode 0x31), responder → initiator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sigma2 {
    /// Tag 1: fresh responder random.
    pub responder_random: [u8; RANDOM_LEN],
    /// Tag 2: the responder's local session id.
    pub responder_session_id: u16,
    /// Tag 3: the responder's ephemeral P-256 key, uncompressed (length checked here, curve
    /// membership by [`key_schedule::shared_secret`](super::key_schedule::shared_secret)).
    pub responder_eph_pub_key: [u8; P256_PUBLIC_KEY_LEN],
    /// Tag 4: AES-CCM(S2K, TBEData2) ciphertext ‖ 16-byte MIC (at least 16 bytes).
    pub encrypted2: Vec<u8>,
    /// Tag 5: the responder's session parameters.
    pub responder_session_params: Option<SessionParameters>,
}

mod sigma2_tag {
    pub const RESPONDER_RANDOM: u8 = 1;
    pub const RESPONDER_SESSION_ID: u8 = 2;
    pub const RESPONDER_EPH_PUB_KEY: u8 = 3;
    pub const ENCRYPTED2: u8 = 4;
    pub const SESSION_PARAMS: u8 = 5;
}

impl Sigma2 {
    /// The payload bytes. Fails on session id 0 or an encrypted2 shorter than its MIC.
    pub fn encode(&self) -> Result<Vec<u8>, CaseError> {
        use sigma2_tag::*;
        check_session_id(self.responder_session_id, "responderSessionId")?;
        check_at_least(&self.encrypted2, MIC_LEN, "encrypted2")?;
        let mut w = Writer::with_capacity(FIXED_FIELDS_MAX + self.encrypted2.len());
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(RESPONDER_RANDOM), &self.responder_random);
        w.put_uint(
            Tag::Context(RESPONDER_SESSION_ID),
            self.responder_session_id.into(),
        );
        w.put_bytes(
            Tag::Context(RESPONDER_EPH_PUB_KEY),
            &self.responder_eph_pub_key,
        );
        w.put_bytes(Tag::Context(ENCRYPTED2), &self.encrypted2);
        put_session_params(
            &mut w,
            SESSION_PARAMS,
            self.responder_session_params.as_ref(),
        );
        w.end_container();
        Ok(w.finish()?)
    }

    /// Decodes a Sigma2 payload (encrypted2 stays opaque until S2K is known).
    pub fn decode(payload: &[u8]) -> Result<Decoded<Self>, CaseError> {
        use sigma2_tag::*;
        let view = StructView::parse_anonymous(payload)?;
        let message = Self {
            responder_random: fixed(&view, RESPONDER_RANDOM, "responderRandom")?,
            responder_session_id: session_id(&view, RESPONDER_SESSION_ID, "responderSessionId")?,
            responder_eph_pub_key: fixed(&view, RESPONDER_EPH_PUB_KEY, "responderEphPubKey")?,
            encrypted2: at_least(&view, ENCRYPTED2, MIC_LEN, "encrypted2")?,
            responder_session_params: session_params(&view, SESSION_PARAMS)?,
        };
        Ok(decoded(message, payload))
    }
}

/// Sigma3 (opcode 0x32), initiator → responder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sigma3 {
    /// Tag 1: AES-CCM(S3K, TBEData3) ciphertext ‖ 16-byte MIC (at least 16 bytes).
    pub encrypted3: Vec<u8>,
}

const SIGMA3_ENCRYPTED3: u8 = 1;

impl Sigma3 {
    /// The payload bytes. Fails on an encrypted3 shorter than its MIC.
    pub fn encode(&self) -> Result<Vec<u8>, CaseError> {
        check_at_least(&self.encrypted3, MIC_LEN, "encrypted3")?;
        let mut w = Writer::with_capacity(FIXED_FIELDS_MAX + self.encrypted3.len());
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(SIGMA3_ENCRYPTED3), &self.encrypted3);
        w.end_container();
        Ok(w.finish()?)
    }

    /// Decodes a Sigma3 payload.
    pub fn decode(payload: &[u8]) -> Result<Decoded<Self>, CaseError> {
        let view = StructView::parse_anonymous(payload)?;
        let message = Self {
            encrypted3: at_least(&view, SIGMA3_ENCRYPTED3, MIC_LEN, "encrypted3")?,
        };
        Ok(decoded(message, payload))
    }
}

/// Sigma2_Resume (opcode 0x33), responder → initiator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sigma2Resume {
    /// Tag 1: the **new** resumption id.
    pub resumption_id: ResumptionId,
    /// Tag 2: sigma2ResumeMIC under S2RK (Matter 1.3 §4.14.2).
    pub sigma2_resume_mic: [u8; MIC_LEN],
    /// Tag 3: the responder's local session id.
    pub responder_session_id: u16,
    /// Tag 4: the responder's session parameters.
    pub responder_session_params: Option<SessionParameters>,
}

mod sigma2_resume_tag {
    pub const RESUMPTION_ID: u8 = 1;
    pub const SIGMA2_RESUME_MIC: u8 = 2;
    pub const RESPONDER_SESSION_ID: u8 = 3;
    pub const SESSION_PARAMS: u8 = 4;
}

impl Sigma2Resume {
    /// The payload bytes. Fails on session id 0.
    pub fn encode(&self) -> Result<Vec<u8>, CaseError> {
        use sigma2_resume_tag::*;
        check_session_id(self.responder_session_id, "responderSessionId")?;
        let mut w = Writer::with_capacity(FIXED_FIELDS_MAX);
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(RESUMPTION_ID), &self.resumption_id);
        w.put_bytes(Tag::Context(SIGMA2_RESUME_MIC), &self.sigma2_resume_mic);
        w.put_uint(
            Tag::Context(RESPONDER_SESSION_ID),
            self.responder_session_id.into(),
        );
        put_session_params(
            &mut w,
            SESSION_PARAMS,
            self.responder_session_params.as_ref(),
        );
        w.end_container();
        Ok(w.finish()?)
    }

    /// Decodes a Sigma2_Resume payload.
    pub fn decode(payload: &[u8]) -> Result<Decoded<Self>, CaseError> {
        use sigma2_resume_tag::*;
        let view = StructView::parse_anonymous(payload)?;
        let message = Self {
            resumption_id: fixed(&view, RESUMPTION_ID, "resumptionID")?,
            sigma2_resume_mic: fixed(&view, SIGMA2_RESUME_MIC, "sigma2ResumeMIC")?,
            responder_session_id: session_id(&view, RESPONDER_SESSION_ID, "responderSessionId")?,
            responder_session_params: session_params(&view, SESSION_PARAMS)?,
        };
        Ok(decoded(message, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mrp::MrpParameters;
    use crate::tlv::TlvError;

    /// A context-tagged octet string (1-byte length), encoded by hand so tests can repeat,
    /// reorder or drop members freely.
    fn bytes_member(tag: u8, value: &[u8]) -> Vec<u8> {
        let len = u8::try_from(value.len()).expect("short test value");
        [&[0x30, tag, len][..], value].concat()
    }

    /// A context-tagged 2-byte unsigned integer.
    fn u16_member(tag: u8, value: u16) -> Vec<u8> {
        [&[0x25, tag][..], &value.to_le_bytes()].concat()
    }

    fn structure(members: &[Vec<u8>]) -> Vec<u8> {
        [&[0x15][..], &members.concat(), &[0x18]].concat()
    }

    fn params() -> SessionParameters {
        SessionParameters {
            mrp: MrpParameters::from_millis(500, 300, 4000).unwrap(),
            data_model_revision: Some(21),
            interaction_model_revision: Some(12),
            specification_version: Some(0x0106_0000),
            max_paths_per_invoke: Some(10),
            supported_transports: Some(0),
            max_tcp_message_size: None,
        }
    }

    fn sigma1_members() -> Vec<Vec<u8>> {
        vec![
            bytes_member(1, &[1; 32]),
            u16_member(2, 0x1234),
            bytes_member(3, &[3; 32]),
            bytes_member(4, &[4; 65]),
            bytes_member(6, &[6; 16]),
            bytes_member(7, &[7; 16]),
        ]
    }

    fn sigma1() -> Sigma1 {
        Sigma1 {
            initiator_random: [1; 32],
            initiator_session_id: 0x1234,
            destination_id: [3; 32],
            initiator_eph_pub_key: [4; 65],
            initiator_session_params: Some(params()),
            resumption: Some(ResumptionRequest {
                resumption_id: [6; 16],
                initiator_resume_mic: [7; 16],
            }),
        }
    }

    #[test]
    fn sigma1_round_trips_and_keeps_the_payload() {
        for message in [
            sigma1(),
            Sigma1 {
                initiator_session_params: None,
                resumption: None,
                ..sigma1()
            },
        ] {
            let bytes = message.encode().unwrap();
            let decoded = Sigma1::decode(&bytes).unwrap();
            assert_eq!(decoded.message(), &message);
            assert_eq!(decoded.payload(), &bytes[..]);
        }
    }

    #[test]
    fn sigma1_encodes_in_canonical_order() {
        let hand_built = structure(&sigma1_members());
        let message = Sigma1 {
            initiator_session_params: None,
            ..sigma1()
        };
        assert_eq!(message.encode().unwrap(), hand_built);
    }

    #[test]
    fn sigma1_accepts_any_member_order_and_unknown_tags() {
        let mut members = sigma1_members();
        members.reverse();
        members.push(bytes_member(200, b"future"));
        let decoded = Sigma1::decode(&structure(&members)).unwrap();
        let expected = Sigma1 {
            initiator_session_params: None,
            ..sigma1()
        };
        assert_eq!(decoded.message(), &expected);
    }

    #[test]
    fn sigma1_session_id_may_arrive_narrow() {
        let mut members = sigma1_members();
        members[1] = vec![0x24, 2, 9];
        let decoded = Sigma1::decode(&structure(&members)).unwrap();
        assert_eq!(decoded.message().initiator_session_id, 9);
    }

    #[test]
    fn sigma1_field_lengths_are_exact() {
        let cases = [
            (0, bytes_member(1, &[1; 31]), "initiatorRandom", 32, 31),
            (2, bytes_member(3, &[3; 33]), "destinationId", 32, 33),
            (3, bytes_member(4, &[4; 64]), "initiatorEphPubKey", 65, 64),
            (4, bytes_member(6, &[6; 15]), "resumptionID", 16, 15),
            (5, bytes_member(7, &[7; 17]), "initiatorResumeMIC", 16, 17),
        ];
        for (index, replacement, field, expected, actual) in cases {
            let mut members = sigma1_members();
            members[index] = replacement;
            assert_eq!(
                Sigma1::decode(&structure(&members)),
                Err(CaseError::WrongLength {
                    field,
                    expected,
                    actual
                }),
                "{field}"
            );
        }
    }

    #[test]
    fn sigma1_required_fields_must_be_present() {
        for (index, tag) in [(0, 1), (1, 2), (2, 3), (3, 4)] {
            let mut members = sigma1_members();
            members.remove(index);
            assert_eq!(
                Sigma1::decode(&structure(&members)),
                Err(CaseError::Tlv(TlvError::MissingField(tag)))
            );
        }
    }

    #[test]
    fn sigma1_resumption_fields_come_in_pairs() {
        for drop in [4, 5] {
            let mut members = sigma1_members();
            members.remove(drop);
            assert_eq!(
                Sigma1::decode(&structure(&members)),
                Err(CaseError::UnpairedResumptionFields)
            );
        }
        let mut members = sigma1_members();
        members.truncate(4);
        assert_eq!(
            Sigma1::decode(&structure(&members))
                .unwrap()
                .message()
                .resumption,
            None
        );
    }

    #[test]
    fn sigma1_rejects_duplicates_zero_ids_and_wrong_types() {
        let mut members = sigma1_members();
        members.push(bytes_member(1, &[9; 32]));
        assert_eq!(
            Sigma1::decode(&structure(&members)),
            Err(CaseError::Tlv(TlvError::DuplicateTag(Tag::Context(1))))
        );
        let mut members = sigma1_members();
        members[1] = u16_member(2, 0);
        assert_eq!(
            Sigma1::decode(&structure(&members)),
            Err(CaseError::ZeroSessionId {
                field: "initiatorSessionId"
            })
        );
        let mut members = sigma1_members();
        members[1] = vec![0x26, 2, 0, 0, 1, 0];
        assert_eq!(
            Sigma1::decode(&structure(&members)),
            Err(CaseError::Tlv(TlvError::OutOfRange {
                tag: Tag::Context(2)
            }))
        );
        let mut members = sigma1_members();
        members[0] = u16_member(1, 5);
        assert!(matches!(
            Sigma1::decode(&structure(&members)),
            Err(CaseError::Tlv(TlvError::WrongType { .. }))
        ));
        // Session parameters that are not a structure.
        let mut members = sigma1_members();
        members.push(u16_member(5, 1));
        assert!(matches!(
            Sigma1::decode(&structure(&members)),
            Err(CaseError::Tlv(TlvError::WrongType { .. }))
        ));
        assert_eq!(
            Sigma1 {
                initiator_session_id: 0,
                ..sigma1()
            }
            .encode(),
            Err(CaseError::ZeroSessionId {
                field: "initiatorSessionId"
            })
        );
    }

    #[test]
    fn payloads_must_be_one_anonymous_structure() {
        let good = structure(&sigma1_members());
        let mut trailing = good.clone();
        trailing.push(0x18);
        assert!(matches!(
            Sigma1::decode(&trailing),
            Err(CaseError::Tlv(
                TlvError::TrailingBytes | TlvError::UnexpectedEnd
            ))
        ));
        let mut tagged = good.clone();
        tagged.splice(0..1, [0x35, 0x01]);
        assert!(matches!(
            Sigma1::decode(&tagged),
            Err(CaseError::Tlv(TlvError::WrongType { .. }))
        ));
        assert_eq!(
            Sigma1::decode(&good[..good.len() - 1]),
            Err(CaseError::Tlv(TlvError::Truncated))
        );
        assert_eq!(
            Sigma1::decode(&[]),
            Err(CaseError::Tlv(TlvError::Truncated))
        );
    }

    fn sigma2_members() -> Vec<Vec<u8>> {
        vec![
            bytes_member(1, &[1; 32]),
            u16_member(2, 0xbeef),
            bytes_member(3, &[3; 65]),
            bytes_member(4, &[4; 40]),
        ]
    }

    #[test]
    fn sigma2_round_trips_and_validates() {
        let message = Sigma2 {
            responder_random: [1; 32],
            responder_session_id: 0xbeef,
            responder_eph_pub_key: [3; 65],
            encrypted2: vec![4; 40],
            responder_session_params: None,
        };
        assert_eq!(message.encode().unwrap(), structure(&sigma2_members()));
        let with_params = Sigma2 {
            responder_session_params: Some(params()),
            ..message.clone()
        };
        let bytes = with_params.encode().unwrap();
        assert_eq!(Sigma2::decode(&bytes).unwrap().message(), &with_params);

        let mut members = sigma2_members();
        members[2] = bytes_member(3, &[3; 66]);
        assert_eq!(
            Sigma2::decode(&structure(&members)),
            Err(CaseError::WrongLength {
                field: "responderEphPubKey",
                expected: 65,
                actual: 66
            })
        );
        let mut members = sigma2_members();
        members[3] = bytes_member(4, &[4; 15]);
        assert_eq!(
            Sigma2::decode(&structure(&members)),
            Err(CaseError::TooShort {
                field: "encrypted2",
                min: 16,
                actual: 15
            })
        );
        for (index, tag) in [(0, 1), (1, 2), (2, 3), (3, 4)] {
            let mut members = sigma2_members();
            members.remove(index);
            assert_eq!(
                Sigma2::decode(&structure(&members)),
                Err(CaseError::Tlv(TlvError::MissingField(tag)))
            );
        }
        let mut members = sigma2_members();
        members.push(bytes_member(4, &[5; 20]));
        assert_eq!(
            Sigma2::decode(&structure(&members)),
            Err(CaseError::Tlv(TlvError::DuplicateTag(Tag::Context(4))))
        );
        let mut members = sigma2_members();
        members[1] = u16_member(2, 0);
        assert_eq!(
            Sigma2::decode(&structure(&members)),
            Err(CaseError::ZeroSessionId {
                field: "responderSessionId"
            })
        );
        assert_eq!(
            Sigma2 {
                encrypted2: vec![0; 15],
                ..message
            }
            .encode(),
            Err(CaseError::TooShort {
                field: "encrypted2",
                min: 16,
                actual: 15
            })
        );
    }

    #[test]
    fn sigma3_round_trips_and_validates() {
        let message = Sigma3 {
            encrypted3: vec![9; 300],
        };
        let bytes = message.encode().unwrap();
        // 300 bytes need a 2-byte length field: 0x31 01 2c 01.
        assert_eq!(&bytes[..5], &[0x15, 0x31, 0x01, 0x2c, 0x01]);
        assert_eq!(Sigma3::decode(&bytes).unwrap().message(), &message);
        assert_eq!(
            Sigma3::decode(&structure(&[])),
            Err(CaseError::Tlv(TlvError::MissingField(1)))
        );
        assert_eq!(
            Sigma3::decode(&structure(&[bytes_member(1, &[0; 3])])),
            Err(CaseError::TooShort {
                field: "encrypted3",
                min: 16,
                actual: 3
            })
        );
        assert_eq!(
            Sigma3::decode(&structure(&[
                bytes_member(1, &[0; 16]),
                bytes_member(1, &[0; 16])
            ])),
            Err(CaseError::Tlv(TlvError::DuplicateTag(Tag::Context(1))))
        );
    }

    fn sigma2_resume_members() -> Vec<Vec<u8>> {
        vec![
            bytes_member(1, &[1; 16]),
            bytes_member(2, &[2; 16]),
            u16_member(3, 0x0102),
        ]
    }

    #[test]
    fn sigma2_resume_round_trips_and_validates() {
        let message = Sigma2Resume {
            resumption_id: [1; 16],
            sigma2_resume_mic: [2; 16],
            responder_session_id: 0x0102,
            responder_session_params: None,
        };
        assert_eq!(
            message.encode().unwrap(),
            structure(&sigma2_resume_members())
        );
        let with_params = Sigma2Resume {
            responder_session_params: Some(params()),
            ..message
        };
        let bytes = with_params.encode().unwrap();
        assert_eq!(
            Sigma2Resume::decode(&bytes).unwrap().message(),
            &with_params
        );

        let cases = [
            (0, bytes_member(1, &[1; 17]), "resumptionID", 17),
            (1, bytes_member(2, &[2; 15]), "sigma2ResumeMIC", 15),
        ];
        for (index, replacement, field, actual) in cases {
            let mut members = sigma2_resume_members();
            members[index] = replacement;
            assert_eq!(
                Sigma2Resume::decode(&structure(&members)),
                Err(CaseError::WrongLength {
                    field,
                    expected: 16,
                    actual
                })
            );
        }
        for (index, tag) in [(0, 1), (1, 2), (2, 3)] {
            let mut members = sigma2_resume_members();
            members.remove(index);
            assert_eq!(
                Sigma2Resume::decode(&structure(&members)),
                Err(CaseError::Tlv(TlvError::MissingField(tag)))
            );
        }
        let mut members = sigma2_resume_members();
        members.push(u16_member(3, 7));
        assert_eq!(
            Sigma2Resume::decode(&structure(&members)),
            Err(CaseError::Tlv(TlvError::DuplicateTag(Tag::Context(3))))
        );
    }

    #[test]
    fn invalid_session_parameters_are_rejected() {
        // Session parameters with a duplicated idle interval, and with one beyond an hour.
        let duplicate = [0x35, 5, 0x24, 1, 1, 0x24, 1, 2, 0x18];
        let too_long = [0x35, 5, 0x26, 1, 0x81, 0xee, 0x36, 0x00, 0x18];
        let mut members = sigma1_members();
        members.push(duplicate.to_vec());
        assert_eq!(
            Sigma1::decode(&structure(&members)),
            Err(CaseError::Tlv(TlvError::DuplicateTag(Tag::Context(1))))
        );
        let mut members = sigma1_members();
        members.push(too_long.to_vec());
        assert!(matches!(
            Sigma1::decode(&structure(&members)),
            Err(CaseError::SessionParameters(_))
        ));
    }
}
