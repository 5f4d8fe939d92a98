//! Property tests for the CASE messages: generated well-formed Sigma messages and inner
//! structures round-trip through encode → decode in canonical order; arbitrary and mutated
//! bytes never panic a decoder, and whatever decodes re-encodes to something that decodes to
//! the same message.

use paseo_core::case::*;
use paseo_core::mrp::MrpParameters;
use paseo_core::session::SessionParameters;
use paseo_core::tlv::{StructView, Tag};
use proptest::prelude::*;

fn bytes<const N: usize>() -> impl Strategy<Value = [u8; N]> {
    prop::collection::vec(any::<u8>(), N).prop_map(|v| v.try_into().expect("length N"))
}

fn session_id() -> impl Strategy<Value = u16> {
    1..=u16::MAX
}

fn params() -> impl Strategy<Value = SessionParameters> {
    (
        (0u32..=3_600_000, 0u32..=3_600_000, 0u32..=65_535),
        (
            any::<Option<u16>>(),
            any::<Option<u16>>(),
            any::<Option<u32>>(),
            any::<Option<u16>>(),
        ),
        (any::<Option<u16>>(), any::<Option<u32>>()),
    )
        .prop_map(
            |((idle, active, threshold), (dm, im, spec, paths), (tr, tcp))| SessionParameters {
                mrp: MrpParameters::from_millis(idle, active, threshold).expect("in range"),
                data_model_revision: dm,
                interaction_model_revision: im,
                specification_version: spec,
                max_paths_per_invoke: paths,
                supported_transports: tr,
                max_tcp_message_size: tcp,
            },
        )
}

fn sigma1() -> impl Strategy<Value = Sigma1> {
    (
        bytes::<32>(),
        session_id(),
        bytes::<32>(),
        bytes::<65>(),
        prop::option::of(params()),
        prop::option::of((bytes::<16>(), bytes::<16>())),
    )
        .prop_map(|(random, id, dest, key, params, resumption)| Sigma1 {
            initiator_random: random,
            initiator_session_id: id,
            destination_id: dest,
            initiator_eph_pub_key: key,
            initiator_session_params: params,
            resumption: resumption.map(|(resumption_id, initiator_resume_mic)| ResumptionRequest {
                resumption_id,
                initiator_resume_mic,
            }),
        })
}

fn encrypted() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), MIC_LEN..700)
}

fn sigma2() -> impl Strategy<Value = Sigma2> {
    (
        bytes::<32>(),
        session_id(),
        bytes::<65>(),
        encrypted(),
        prop::option::of(params()),
    )
        .prop_map(|(random, id, key, encrypted2, params)| Sigma2 {
            responder_random: random,
            responder_session_id: id,
            responder_eph_pub_key: key,
            encrypted2,
            responder_session_params: params,
        })
}

fn sigma2_resume() -> impl Strategy<Value = Sigma2Resume> {
    (
        bytes::<16>(),
        bytes::<16>(),
        session_id(),
        prop::option::of(params()),
    )
        .prop_map(|(id, mic, session, params)| Sigma2Resume {
            resumption_id: id,
            sigma2_resume_mic: mic,
            responder_session_id: session,
            responder_session_params: params,
        })
}

fn certificate() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..400)
}

fn certificates() -> impl Strategy<Value = (Vec<u8>, Option<Vec<u8>>)> {
    (certificate(), prop::option::of(certificate()))
}

/// The context tags of a payload's top-level members, in encoded order.
fn member_tags(payload: &[u8]) -> Vec<u8> {
    StructView::parse_anonymous(payload)
        .expect("encoder output is an anonymous structure")
        .members()
        .iter()
        .map(|m| match m.tag {
            Tag::Context(n) => n,
            other => panic!("non-context member tag {other:?}"),
        })
        .collect()
}

fn assert_canonical(payload: &[u8]) {
    let tags = member_tags(payload);
    assert!(tags.windows(2).all(|w| w[0] < w[1]), "tags {tags:?}");
}

proptest! {
    #[test]
    fn sigma1_round_trips(message in sigma1()) {
        let payload = message.encode().unwrap();
        assert_canonical(&payload);
        let decoded = Sigma1::decode(&payload).unwrap();
        prop_assert_eq!(decoded.message(), &message);
        prop_assert_eq!(decoded.payload(), &payload[..]);
    }

    #[test]
    fn sigma2_round_trips(message in sigma2()) {
        let payload = message.encode().unwrap();
        assert_canonical(&payload);
        let decoded = Sigma2::decode(&payload).unwrap();
        prop_assert_eq!(decoded.message(), &message);
        prop_assert_eq!(decoded.payload(), &payload[..]);
    }

    #[test]
    fn sigma3_round_trips(encrypted3 in encrypted()) {
        let message = Sigma3 { encrypted3 };
        let payload = message.encode().unwrap();
        let decoded = Sigma3::decode(&payload).unwrap();
        prop_assert_eq!(decoded.message(), &message);
        prop_assert_eq!(decoded.payload(), &payload[..]);
    }

    #[test]
    fn sigma2_resume_round_trips(message in sigma2_resume()) {
        let payload = message.encode().unwrap();
        assert_canonical(&payload);
        let decoded = Sigma2Resume::decode(&payload).unwrap();
        prop_assert_eq!(decoded.message(), &message);
        prop_assert_eq!(decoded.payload(), &payload[..]);
    }

    #[test]
    fn inner_structures_round_trip(
        (noc, icac) in certificates(),
        own in bytes::<65>(),
        peer in bytes::<65>(),
        signature in bytes::<64>(),
        resumption_id in bytes::<16>(),
    ) {
        let tbs = TbsData {
            noc: noc.clone(),
            icac: icac.clone(),
            signer_eph_pub_key: own,
            peer_eph_pub_key: peer,
        };
        let encoded = tbs.encode().unwrap();
        assert_canonical(&encoded);
        prop_assert_eq!(TbsData::decode(&encoded).unwrap(), tbs);

        let tbe2 = TbeData2 { noc: noc.clone(), icac: icac.clone(), signature, resumption_id };
        let encoded = tbe2.encode().unwrap();
        assert_canonical(&encoded);
        prop_assert_eq!(TbeData2::decode(&encoded).unwrap(), tbe2);

        let tbe3 = TbeData3 { noc, icac, signature };
        let encoded = tbe3.encode().unwrap();
        assert_canonical(&encoded);
        prop_assert_eq!(TbeData3::decode(&encoded).unwrap(), tbe3);
    }
}

/// Runs every decoder over `input`: none may panic, and anything accepted must re-encode to a
/// payload that decodes to the same message (decoding is a fixed point after one pass).
fn decode_everything(input: &[u8]) {
    if let Ok(d) = Sigma1::decode(input) {
        let again = d.message().encode().expect("decoded Sigma1 re-encodes");
        assert_eq!(Sigma1::decode(&again).unwrap().message(), d.message());
    }
    if let Ok(d) = Sigma2::decode(input) {
        let again = d.message().encode().expect("decoded Sigma2 re-encodes");
        assert_eq!(Sigma2::decode(&again).unwrap().message(), d.message());
    }
    if let Ok(d) = Sigma3::decode(input) {
        let again = d.message().encode().expect("decoded Sigma3 re-encodes");
        assert_eq!(Sigma3::decode(&again).unwrap().message(), d.message());
    }
    if let Ok(d) = Sigma2Resume::decode(input) {
        let again = d
            .message()
            .encode()
            .expect("decoded Sigma2_Resume re-encodes");
        assert_eq!(Sigma2Resume::decode(&again).unwrap().message(), d.message());
    }
    if let Ok(m) = TbsData::decode(input) {
        assert_eq!(TbsData::decode(&m.encode().unwrap()).unwrap(), m);
    }
    if let Ok(m) = TbeData2::decode(input) {
        assert_eq!(TbeData2::decode(&m.encode().unwrap()).unwrap(), m);
    }
    if let Ok(m) = TbeData3::decode(input) {
        assert_eq!(TbeData3::decode(&m.encode().unwrap()).unwrap(), m);
    }
}

/// A valid encoding of some message, to mutate.
fn valid_payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        sigma1().prop_map(|m| m.encode().unwrap()),
        sigma2().prop_map(|m| m.encode().unwrap()),
        encrypted().prop_map(|e| Sigma3 { encrypted3: e }.encode().unwrap()),
        sigma2_resume().prop_map(|m| m.encode().unwrap()),
        (certificates(), bytes::<64>(), bytes::<16>()).prop_map(|((noc, icac), sig, id)| {
            TbeData2 {
                noc,
                icac,
                signature: sig,
                resumption_id: id,
            }
            .encode()
            .unwrap()
        }),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Truncate { at: usize },
    Insert { at: usize, byte: u8 },
    Remove { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        let len = bytes.len();
        match *m {
            Mutation::Flip { at, mask } => bytes[at % len] ^= mask,
            Mutation::Truncate { at } => bytes.truncate(at % len),
            Mutation::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
            Mutation::Remove { at } => {
                bytes.remove(at % len);
            }
        }
    }
    bytes
}

proptest! {
    #[test]
    fn random_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..600)) {
        decode_everything(&input);
    }

    #[test]
    fn mutated_messages_never_panic(
        payload in valid_payload(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        decode_everything(&apply(payload, &mutations));
    }
}
