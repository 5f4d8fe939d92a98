//! Fuzzes every PASE and CASE message decoder directly, and the plaintext decoders behind
//! Sigma2/Sigma3's encryption (TBEData2, TBEData3) and the signed TBSData: the state machines
//! reach these only with well-formed outer messages, and the TBEData decoders only with a
//! plaintext that decrypted under the session key, so a malformed plaintext never reaches them
//! through a handshake target.
//!
//! The first input byte picks the decoder, the rest is its payload. Properties, for every
//! decoder: no panic; what decodes re-encodes (the encoder accepts every value the decoder
//! returns), the re-encoding decodes to the same value, and re-encoding that gives the same
//! bytes (the encoder's output is the one canonical form, a fixed point). The CASE decoders
//! also keep the exact payload bytes (the transcript hashes what was received, not a
//! re-encoding). Session parameters (the struct inside PBKDFParam*, Sigma1/2 and
//! Sigma2_Resume) are fuzzed on their own too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paseo_core::case::{
    Decoded, Sigma1, Sigma2, Sigma2Resume, Sigma3, TbeData2, TbeData3, TbsData,
};
use paseo_core::pase::messages::{Pake1, Pake2, Pake3, PbkdfParamRequest, PbkdfParamResponse};
use paseo_core::session::SessionParameters;
use paseo_core::tlv::{StructView, Tag, Writer};

/// decode → encode → decode → encode: the value survives and the bytes settle at once.
fn round_trip<M, E, D>(payload: &[u8], decode: impl Fn(&[u8]) -> Result<M, D>, encode: E)
where
    M: PartialEq + std::fmt::Debug,
    D: std::fmt::Debug,
    E: Fn(&M) -> Vec<u8>,
{
    let Ok(message) = decode(payload) else {
        return;
    };
    let bytes = encode(&message);
    let again = decode(&bytes).expect("a re-encoded message decodes");
    assert_eq!(again, message, "re-encoding changed the message");
    assert_eq!(encode(&again), bytes, "the encoding is not a fixed point");
}

/// The CASE messages come back as [`Decoded`]: the fields plus the exact payload.
fn case_round_trip<M, E>(payload: &[u8], decode: fn(&[u8]) -> Result<Decoded<M>, E>)
where
    M: PartialEq + std::fmt::Debug + CaseEncode,
    E: std::fmt::Debug,
{
    let Ok(decoded) = decode(payload) else {
        return;
    };
    assert_eq!(
        decoded.payload(),
        payload,
        "the decoder did not keep the payload"
    );
    round_trip(
        payload,
        |p| decode(p).map(|d| d.into_parts().0),
        |m: &M| m.encode_case().expect("a decoded message re-encodes"),
    );
}

/// The CASE message encoders (fallible: session id 0 is refused on encode, and must then have
/// been refused on decode too, which `expect` above checks).
trait CaseEncode {
    fn encode_case(&self) -> Result<Vec<u8>, paseo_core::case::CaseError>;
}

macro_rules! case_encode {
    ($($t:ty),*) => {$(
        impl CaseEncode for $t {
            fn encode_case(&self) -> Result<Vec<u8>, paseo_core::case::CaseError> {
                self.encode()
            }
        }
    )*};
}
case_encode!(Sigma1, Sigma2, Sigma3, Sigma2Resume);

fn session_parameters(payload: &[u8]) -> Result<SessionParameters, String> {
    let view = StructView::parse_anonymous(payload).map_err(|e| e.to_string())?;
    SessionParameters::decode(&view).map_err(|e| e.to_string())
}

fn encode_session_parameters(params: &SessionParameters) -> Vec<u8> {
    let mut w = Writer::new();
    params.encode(&mut w, Tag::Anonymous);
    w.finish().expect("the struct is closed")
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, payload)) = data.split_first() else {
        return;
    };
    match which % 14 {
        0 => round_trip(
            payload,
            PbkdfParamRequest::decode,
            PbkdfParamRequest::encode,
        ),
        1 => round_trip(
            payload,
            PbkdfParamResponse::decode,
            PbkdfParamResponse::encode,
        ),
        2 => round_trip(payload, Pake1::decode, Pake1::encode),
        3 => round_trip(payload, Pake2::decode, Pake2::encode),
        4 => round_trip(payload, Pake3::decode, Pake3::encode),
        5 => case_round_trip(payload, Sigma1::decode),
        6 => case_round_trip(payload, Sigma2::decode),
        7 => case_round_trip(payload, Sigma3::decode),
        8 => case_round_trip(payload, Sigma2Resume::decode),
        9 => round_trip(payload, TbeData2::decode, |m| {
            m.encode().expect("a decoded TBEData2 re-encodes")
        }),
        10 => round_trip(payload, TbeData3::decode, |m| {
            m.encode().expect("a decoded TBEData3 re-encodes")
        }),
        11 => round_trip(payload, TbsData::decode, |m| {
            m.encode().expect("a decoded TBSData re-encodes")
        }),
        12 => round_trip(payload, session_parameters, encode_session_parameters),
        _ => {
            // Any payload through every decoder at once (a Sigma1 read as a Sigma2, …).
            round_trip(
                payload,
                PbkdfParamRequest::decode,
                PbkdfParamRequest::encode,
            );
            round_trip(
                payload,
                PbkdfParamResponse::decode,
                PbkdfParamResponse::encode,
            );
            case_round_trip(payload, Sigma1::decode);
            case_round_trip(payload, Sigma2::decode);
            case_round_trip(payload, Sigma2Resume::decode);
            round_trip(payload, TbeData2::decode, |m| {
                m.encode().expect("a decoded TBEData2 re-encodes")
            });
        }
    }
});
