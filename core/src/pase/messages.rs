//! The five PASE payloads (Matter 1.3 §4.14.1.2): PBKDFParamRequest, PBKDFParamResponse,
//! Pake1, Pake2 and Pake3, each an anonymous TLV structure with context-tagged members.
//!
//! Encoders emit members in canonical ascending tag order with minimal widths (Matter 1.3 Appendix
//! A). Decoders accept any member order and integer width, reject duplicate tags, ignore unknown
//! context tags, and check every fixed-length octet string exactly. They borrow nothing: the
//! context hash is taken by the state machines over the caller's exact payload slice, never over a
//! re-encoding (Matter 1.3 Appendix A).

use super::error::MessageError;
use super::pbkdf::PbkdfParameters;
use super::spake2p::{CONFIRMATION_LEN, POINT_LEN};
use crate::session::SessionParameters;
use crate::tlv::{StructView, Tag, Writer};

/// Length of initiatorRandom / responderRandom.
pub const RANDOM_LEN: usize = 32;

/// Context tags of PBKDFParamRequest.
mod request_tag {
    pub const INITIATOR_RANDOM: u8 = 1;
    pub const INITIATOR_SESSION_ID: u8 = 2;
    pub const PASSCODE_ID: u8 = 3;
    pub const HAS_PBKDF_PARAMETERS: u8 = 4;
    pub const SESSION_PARAMS: u8 = 5;
}

/// Context tags of PBKDFParamResponse and its nested pbkdf_parameters struct.
mod response_tag {
    pub const INITIATOR_RANDOM: u8 = 1;
    pub const RESPONDER_RANDOM: u8 = 2;
    pub const RESPONDER_SESSION_ID: u8 = 3;
    pub const PBKDF_PARAMETERS: u8 = 4;
    pub const SESSION_PARAMS: u8 = 5;
    pub const ITERATIONS: u8 = 1;
    pub const SALT: u8 = 2;
}

/// Context tags of Pake1/2/3.
mod pake_tag {
    pub const SHARE: u8 = 1;
    pub const CONFIRMATION_B: u8 = 2;
    pub const CONFIRMATION_A: u8 = 1;
}

/// The encoded bytes of a writer whose use was well-formed by construction.
fn finish(writer: Writer) -> Vec<u8> {
    // Every encoder below opens and closes its containers in pairs, uses distinct context tags
    // inside structures and writes strings of at most 65 bytes, so the writer records no fault
    // (the `encoders_produce_decodable_payloads` tests exercise each encoder).
    writer
        .finish()
        .expect("PASE encoders are well-formed by construction")
}

/// A required octet string of exactly `N` bytes.
fn fixed<const N: usize>(view: &StructView<'_>, tag: u8) -> Result<[u8; N], MessageError> {
    let bytes = view.required_bytes(tag)?;
    <[u8; N]>::try_from(bytes).map_err(|_| MessageError::FieldLength {
        tag,
        expected: N,
        actual: bytes.len(),
    })
}

/// An optional session-parameter struct.
fn session_params(
    view: &StructView<'_>,
    tag: u8,
) -> Result<Option<SessionParameters>, MessageError> {
    view.structure(tag)?
        .map(|s| SessionParameters::decode(&s))
        .transpose()
        .map_err(MessageError::from)
}

/// PBKDFParamRequest (opcode 0x20), initiator → responder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PbkdfParamRequest {
    /// 32 random bytes.
    pub initiator_random: [u8; RANDOM_LEN],
    /// The initiator's local session id for the future session.
    pub initiator_session_id: u16,
    /// 0 = the default passcode (the only one paseo and matter.js accept).
    pub passcode_id: u16,
    /// The initiator already knows iterations and salt (the response then omits them).
    pub has_pbkdf_parameters: bool,
    /// The initiator's session parameters (optional on the wire).
    pub initiator_session_params: Option<SessionParameters>,
}

impl PbkdfParamRequest {
    /// The TLV payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(
            Tag::Context(request_tag::INITIATOR_RANDOM),
            &self.initiator_random,
        );
        w.put_uint(
            Tag::Context(request_tag::INITIATOR_SESSION_ID),
            self.initiator_session_id.into(),
        );
        w.put_uint(
            Tag::Context(request_tag::PASSCODE_ID),
            self.passcode_id.into(),
        );
        w.put_bool(
            Tag::Context(request_tag::HAS_PBKDF_PARAMETERS),
            self.has_pbkdf_parameters,
        );
        if let Some(params) = &self.initiator_session_params {
            params.encode(&mut w, Tag::Context(request_tag::SESSION_PARAMS));
        }
        w.end_container();
        finish(w)
    }

    /// Decodes a payload.
    pub fn decode(payload: &[u8]) -> Result<Self, MessageError> {
        let view = StructView::parse_anonymous(payload)?;
        Ok(PbkdfParamRequest {
            initiator_random: fixed(&view, request_tag::INITIATOR_RANDOM)?,
            initiator_session_id: view.required_u16(request_tag::INITIATOR_SESSION_ID)?,
            passcode_id: view.required_u16(request_tag::PASSCODE_ID)?,
            has_pbkdf_parameters: view.required_bool(request_tag::HAS_PBKDF_PARAMETERS)?,
            initiator_session_params: session_params(&view, request_tag::SESSION_PARAMS)?,
        })
    }
}

/// PBKDFParamResponse (opcode 0x21), responder → initiator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PbkdfParamResponse {
    /// Echo of the request's initiatorRandom.
    pub initiator_random: [u8; RANDOM_LEN],
    /// 32 random bytes.
    pub responder_random: [u8; RANDOM_LEN],
    /// The responder's local session id.
    pub responder_session_id: u16,
    /// Iterations and salt; present iff the request had hasPBKDFParameters = false.
    pub pbkdf_parameters: Option<PbkdfParameters>,
    /// The responder's session parameters (optional on the wire).
    pub responder_session_params: Option<SessionParameters>,
}

impl PbkdfParamResponse {
    /// The TLV payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(
            Tag::Context(response_tag::INITIATOR_RANDOM),
            &self.initiator_random,
        );
        w.put_bytes(
            Tag::Context(response_tag::RESPONDER_RANDOM),
            &self.responder_random,
        );
        w.put_uint(
            Tag::Context(response_tag::RESPONDER_SESSION_ID),
            self.responder_session_id.into(),
        );
        if let Some(pbkdf) = &self.pbkdf_parameters {
            w.start_struct(Tag::Context(response_tag::PBKDF_PARAMETERS));
            w.put_uint(
                Tag::Context(response_tag::ITERATIONS),
                pbkdf.iterations().into(),
            );
            w.put_bytes(Tag::Context(response_tag::SALT), pbkdf.salt());
            w.end_container();
        }
        if let Some(params) = &self.responder_session_params {
            params.encode(&mut w, Tag::Context(response_tag::SESSION_PARAMS));
        }
        w.end_container();
        finish(w)
    }

    /// Decodes a payload; PBKDF parameters out of range are a decode error.
    pub fn decode(payload: &[u8]) -> Result<Self, MessageError> {
        let view = StructView::parse_anonymous(payload)?;
        let pbkdf_parameters = match view.structure(response_tag::PBKDF_PARAMETERS)? {
            None => None,
            Some(pbkdf) => Some(PbkdfParameters::new(
                pbkdf.required_u32(response_tag::ITERATIONS)?,
                pbkdf.required_bytes(response_tag::SALT)?,
            )?),
        };
        Ok(PbkdfParamResponse {
            initiator_random: fixed(&view, response_tag::INITIATOR_RANDOM)?,
            responder_random: fixed(&view, response_tag::RESPONDER_RANDOM)?,
            responder_session_id: view.required_u16(response_tag::RESPONDER_SESSION_ID)?,
            pbkdf_parameters,
            responder_session_params: session_params(&view, response_tag::SESSION_PARAMS)?,
        })
    }
}

/// Pake1 (opcode 0x22), initiator → responder: `{1: pA}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pake1 {
    /// pA = X, 65-byte uncompressed point.
    pub pa: [u8; POINT_LEN],
}

impl Pake1 {
    /// The TLV payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(pake_tag::SHARE), &self.pa);
        w.end_container();
        finish(w)
    }

    /// Decodes a payload.
    pub fn decode(payload: &[u8]) -> Result<Self, MessageError> {
        let view = StructView::parse_anonymous(payload)?;
        Ok(Pake1 {
            pa: fixed(&view, pake_tag::SHARE)?,
        })
    }
}

/// Pake2 (opcode 0x23), responder → initiator: `{1: pB, 2: cB}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pake2 {
    /// pB = Y, 65-byte uncompressed point.
    pub pb: [u8; POINT_LEN],
    /// cB, the responder's confirmation.
    pub cb: [u8; CONFIRMATION_LEN],
}

impl Pake2 {
    /// The TLV payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(pake_tag::SHARE), &self.pb);
        w.put_bytes(Tag::Context(pake_tag::CONFIRMATION_B), &self.cb);
        w.end_container();
        finish(w)
    }

    /// Decodes a payload.
    pub fn decode(payload: &[u8]) -> Result<Self, MessageError> {
        let view = StructView::parse_anonymous(payload)?;
        Ok(Pake2 {
            pb: fixed(&view, pake_tag::SHARE)?,
            cb: fixed(&view, pake_tag::CONFIRMATION_B)?,
        })
    }
}

/// Pake3 (opcode 0x24), initiator → responder: `{1: cA}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pake3 {
    /// cA, the initiator's confirmation.
    pub ca: [u8; CONFIRMATION_LEN],
}

impl Pake3 {
    /// The TLV payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(pake_tag::CONFIRMATION_A), &self.ca);
        w.end_container();
        finish(w)
    }

    /// Decodes a payload.
    pub fn decode(payload: &[u8]) -> Result<Self, MessageError> {
        let view = StructView::parse_anonymous(payload)?;
        Ok(Pake3 {
            ca: fixed(&view, pake_tag::CONFIRMATION_A)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mrp::MrpParameters;
    use crate::tlv::TlvError;

    fn request() -> PbkdfParamRequest {
        PbkdfParamRequest {
            initiator_random: [0x11; 32],
            initiator_session_id: 0x9e53,
            passcode_id: 0,
            has_pbkdf_parameters: false,
            initiator_session_params: Some(SessionParameters::paseo_default()),
        }
    }

    fn response() -> PbkdfParamResponse {
        PbkdfParamResponse {
            initiator_random: [0x11; 32],
            responder_random: [0x22; 32],
            responder_session_id: 7,
            pbkdf_parameters: Some(PbkdfParameters::new(1000, &[0x33; 32]).unwrap()),
            responder_session_params: Some(SessionParameters::with_mrp(
                MrpParameters::from_millis(5000, 300, 4000).unwrap(),
            )),
        }
    }

    #[test]
    fn encoders_produce_decodable_payloads() {
        let req = request();
        assert_eq!(PbkdfParamRequest::decode(&req.encode()), Ok(req.clone()));
        let bare = PbkdfParamRequest {
            initiator_session_params: None,
            has_pbkdf_parameters: true,
            ..req
        };
        assert_eq!(PbkdfParamRequest::decode(&bare.encode()), Ok(bare));
        let resp = response();
        assert_eq!(PbkdfParamResponse::decode(&resp.encode()), Ok(resp.clone()));
        let bare = PbkdfParamResponse {
            pbkdf_parameters: None,
            responder_session_params: None,
            ..resp
        };
        assert_eq!(PbkdfParamResponse::decode(&bare.encode()), Ok(bare));
        let p1 = Pake1 { pa: [4; 65] };
        assert_eq!(Pake1::decode(&p1.encode()), Ok(p1));
        let p2 = Pake2 {
            pb: [4; 65],
            cb: [9; 32],
        };
        assert_eq!(Pake2::decode(&p2.encode()), Ok(p2));
        let p3 = Pake3 { ca: [8; 32] };
        assert_eq!(Pake3::decode(&p3.encode()), Ok(p3));
    }

    #[test]
    fn pake3_encoding_is_canonical_bytes() {
        let bytes = Pake3 { ca: [0xab; 32] }.encode();
        assert_eq!(bytes[..4], [0x15, 0x30, 0x01, 0x20]);
        assert_eq!(bytes[36], 0x18);
        assert_eq!(bytes.len(), 37);
    }

    #[test]
    fn wrong_lengths_are_rejected() {
        // Pake1 with a 64-byte point.
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(1), &[4; 64]);
        w.end_container();
        assert_eq!(
            Pake1::decode(&w.finish().unwrap()),
            Err(MessageError::FieldLength {
                tag: 1,
                expected: 65,
                actual: 64
            })
        );
        // Pake3 with a 33-byte confirmation.
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(1), &[4; 33]);
        w.end_container();
        assert!(matches!(
            Pake3::decode(&w.finish().unwrap()),
            Err(MessageError::FieldLength { expected: 32, .. })
        ));
        // Pake2 without cB.
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(1), &[4; 65]);
        w.end_container();
        assert_eq!(
            Pake2::decode(&w.finish().unwrap()),
            Err(MessageError::Tlv(TlvError::MissingField(2)))
        );
    }

    #[test]
    fn out_of_range_fields_are_rejected() {
        // A session id that does not fit u16.
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(1), &[0; 32]);
        w.put_uint(Tag::Context(2), 70_000);
        w.put_uint(Tag::Context(3), 0);
        w.put_bool(Tag::Context(4), false);
        w.end_container();
        assert!(matches!(
            PbkdfParamRequest::decode(&w.finish().unwrap()),
            Err(MessageError::Tlv(TlvError::OutOfRange { .. }))
        ));
        // 999 iterations in a response.
        let mut resp = response().encode();
        let at = resp
            .windows(4)
            .position(|win| win == [0x25, 0x01, 0xe8, 0x03])
            .unwrap();
        resp[at + 2] = 0xe7;
        assert_eq!(
            PbkdfParamResponse::decode(&resp),
            Err(MessageError::Pbkdf(
                crate::pase::error::PbkdfError::IterationsOutOfRange(999)
            ))
        );
        // A tagged (non-anonymous) top-level structure.
        let mut w = Writer::new();
        w.start_struct(Tag::Context(1));
        w.put_bytes(Tag::Context(1), &[8; 32]);
        w.end_container();
        assert!(Pake3::decode(&w.finish().unwrap()).is_err());
    }

    #[test]
    fn members_in_any_order_and_unknown_tags_are_accepted() {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_uint(Tag::Context(9), 1);
        w.put_bytes(Tag::Context(2), &[2; 32]);
        w.put_bytes(Tag::Context(1), &[4; 65]);
        w.end_container();
        assert_eq!(
            Pake2::decode(&w.finish().unwrap()),
            Ok(Pake2 {
                pb: [4; 65],
                cb: [2; 32]
            })
        );
    }
}
