//! Known-answer tests for the message codec: every case of message_codec.json and
//! status_report.json (vectors/ at the repository root; see each file's `description`).

mod common;

use ccm::aead::{Aead, KeyInit, Payload};
use paseo_core::codec::{
    DecodeError, Destination, Field, MESSAGE_FORMAT_VERSION, Message, MessageHeader,
    ProtocolHeader, ProtocolId, ProtocolMessage, SecureChannelOpcode, SecureChannelStatus,
    StatusReport, message_nonce,
};
use serde_json::Value;

/// AES-128-CCM with a 16-byte tag and a 13-byte nonce (Matter 1.3 §4.8).
type MessageCipher = ccm::Ccm<aes::Aes128, ccm::consts::U16, ccm::consts::U13>;

fn u64_field(v: &Value, ctx: &str) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("{ctx}: not an integer: {v}"))
}

fn bool_field(v: &Value, ctx: &str) -> bool {
    v.as_bool()
        .unwrap_or_else(|| panic!("{ctx}: not a bool: {v}"))
}

/// A node id: 16 hex digits, most significant first, or null.
fn node_id(v: &Value) -> Option<u64> {
    v.as_str().map(|s| {
        assert_eq!(s.len(), 16, "node id {s} is not 16 hex digits");
        u64::from_str_radix(s, 16).unwrap_or_else(|e| panic!("node id {s}: {e}"))
    })
}

fn opt_int(v: &Value) -> Option<u64> {
    (!v.is_null()).then(|| u64_field(v, "optional integer"))
}

fn opt_hex(v: &Value) -> Option<Vec<u8>> {
    v.as_str()
        .map(|s| hex::decode(s).unwrap_or_else(|e| panic!("{s} is not hex: {e}")))
}

fn assert_message_header(header: &MessageHeader<'_>, json: &Value, ctx: &str) {
    assert_eq!(
        u64_field(&json["version"], ctx),
        u64::from(MESSAGE_FORMAT_VERSION),
        "{ctx}: version"
    );
    assert_eq!(
        header.privacy,
        bool_field(&json["privacy"], ctx),
        "{ctx}: privacy"
    );
    assert_eq!(
        header.control,
        bool_field(&json["control"], ctx),
        "{ctx}: control"
    );
    assert_eq!(
        header.source_node_id,
        node_id(&json["source_node_id"]),
        "{ctx}: source"
    );
    let dest_node = match header.destination {
        Destination::Node(n) => Some(n),
        _ => None,
    };
    let dest_group = match header.destination {
        Destination::Group(g) => Some(u64::from(g)),
        _ => None,
    };
    assert_eq!(
        dest_node,
        node_id(&json["dest_node_id"]),
        "{ctx}: dest node"
    );
    assert_eq!(
        dest_group,
        opt_int(&json["dest_group_id"]),
        "{ctx}: dest group"
    );
    assert_eq!(
        header.extensions.map(|e| e.as_bytes().to_vec()),
        opt_hex(&json["mx"]),
        "{ctx}: message extensions"
    );
    assert_eq!(
        u64::from(header.session_id),
        u64_field(&json["session_id"], ctx),
        "{ctx}: session id"
    );
    assert_eq!(
        u64::from(header.session_type.bits()),
        u64_field(&json["session_type"], ctx),
        "{ctx}: session type"
    );
    assert_eq!(
        u64::from(header.message_counter),
        u64_field(&json["message_counter"], ctx),
        "{ctx}: counter"
    );
}

fn assert_protocol_header(header: &ProtocolHeader<'_>, json: &Value, ctx: &str) {
    assert_eq!(
        header.vendor_id.map(u64::from),
        opt_int(&json["vendor_id"]),
        "{ctx}: vendor"
    );
    assert_eq!(
        header.ack_counter.map(u64::from),
        opt_int(&json["ack_counter"]),
        "{ctx}: ack"
    );
    assert_eq!(
        header.secured_extensions.map(|e| e.as_bytes().to_vec()),
        opt_hex(&json["sx"]),
        "{ctx}: secured extensions"
    );
    assert_eq!(
        header.initiator,
        bool_field(&json["initiator"], ctx),
        "{ctx}: I"
    );
    assert_eq!(
        header.reliable,
        bool_field(&json["reliable"], ctx),
        "{ctx}: R"
    );
    assert_eq!(
        u64::from(header.opcode),
        u64_field(&json["opcode"], ctx),
        "{ctx}: opcode"
    );
    assert_eq!(
        u64::from(header.exchange_id),
        u64_field(&json["exchange_id"], ctx),
        "{ctx}: exchange id"
    );
    assert_eq!(
        u64::from(header.protocol_id),
        u64_field(&json["protocol_id"], ctx),
        "{ctx}: protocol id"
    );
}

/// The Matter 1.3 §4.4.1 validity rule a header's JSON fields break, worked out from the JSON
/// alone.
fn expected_rule_violation(json: &Value) -> Option<DecodeError> {
    let group_session = u64_field(&json["session_type"], "session_type") == 1;
    let has_source = !json["source_node_id"].is_null();
    let has_group_dest = !json["dest_group_id"].is_null();
    let has_dest = has_group_dest || !json["dest_node_id"].is_null();
    if !group_session && has_group_dest {
        Some(DecodeError::GroupDestinationOnUnicast)
    } else if group_session && !has_source {
        Some(DecodeError::GroupWithoutSource)
    } else if group_session && !has_dest {
        Some(DecodeError::GroupWithoutDestination)
    } else {
        None
    }
}

fn encode_message(header: &MessageHeader<'_>, body: &ProtocolMessage<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    header.encode(&mut out);
    body.encode(&mut out);
    out
}

fn check_plain_valid(case: &Value, ctx: &str) {
    let encoded = common::hex_field(case, "encoded");
    let msg = Message::decode_permissive(&encoded)
        .unwrap_or_else(|e| panic!("{ctx}: valid message rejected: {e}"));
    assert_message_header(&msg.header, &case["message_header"], ctx);
    let header_len = u64_field(&case["message_header_length"], ctx);
    assert_eq!(msg.header_len() as u64, header_len, "{ctx}: header length");
    assert_eq!(
        msg.header.encoded_len() as u64,
        header_len,
        "{ctx}: encoded_len"
    );

    let body = ProtocolMessage::decode(msg.payload)
        .unwrap_or_else(|e| panic!("{ctx}: protocol header rejected: {e}"));
    assert_protocol_header(&body.header, &case["protocol_header"], ctx);
    assert_eq!(
        body.payload,
        common::hex_field(case, "payload"),
        "{ctx}: payload"
    );
    assert_eq!(
        body.header.encoded_len(),
        msg.payload.len() - body.payload.len(),
        "{ctx}: protocol encoded_len"
    );
    assert_eq!(
        encode_message(&msg.header, &body),
        encoded,
        "{ctx}: re-encode"
    );

    // Strict decoding differs from the layout-only one exactly by the Matter 1.3 §4.4.1 rules.
    let strict = Message::decode(&encoded).map(|m| m.header);
    match expected_rule_violation(&case["message_header"]) {
        None => assert_eq!(strict, Ok(msg.header), "{ctx}: strict decode"),
        Some(err) => assert_eq!(strict, Err(err), "{ctx}: strict decode"),
    }
}

fn check_plain_invalid(case: &Value, ctx: &str) {
    let encoded = common::hex_field(case, "encoded");
    let result =
        Message::decode(&encoded).and_then(|msg| ProtocolMessage::decode(msg.payload).map(|_| msg));
    assert!(
        result.is_err(),
        "{ctx}: invalid message accepted: {result:?}"
    );
}

fn decrypt(key: &[u8], nonce: &[u8; 13], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    let cipher = MessageCipher::new_from_slice(key).expect("vector key is 16 bytes");
    cipher
        .decrypt(
            nonce.into(),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

fn check_encrypted_valid(case: &Value, ctx: &str) {
    let encoded = common::hex_field(case, "encoded");
    let msg = Message::decode(&encoded)
        .unwrap_or_else(|e| panic!("{ctx}: valid encrypted message rejected: {e}"));
    assert_message_header(&msg.header, &case["message_header"], ctx);
    let aad = common::hex_field(case, "aad");
    assert_eq!(msg.header_bytes, aad, "{ctx}: aad");
    let mut reencoded = Vec::new();
    msg.header.encode(&mut reencoded);
    assert_eq!(reencoded, aad, "{ctx}: header re-encode");

    let sender = node_id(&case["nonce_source_node_id"]).expect("nonce source node id");
    let nonce = msg.header.nonce(sender);
    assert_eq!(
        nonce.to_vec(),
        common::hex_field(case, "nonce"),
        "{ctx}: nonce"
    );
    assert_eq!(
        message_nonce(
            msg.header.security_flags(),
            msg.header.message_counter,
            sender
        ),
        nonce,
        "{ctx}: message_nonce"
    );

    let key = common::hex_field(case, "key");
    let plaintext = decrypt(&key, &nonce, msg.header_bytes, msg.payload)
        .unwrap_or_else(|| panic!("{ctx}: decryption failed"));
    assert_eq!(
        plaintext,
        common::hex_field(case, "plaintext"),
        "{ctx}: plaintext"
    );
    let body = ProtocolMessage::decode(&plaintext)
        .unwrap_or_else(|e| panic!("{ctx}: protocol header rejected: {e}"));
    assert_protocol_header(&body.header, &case["protocol_header"], ctx);
    assert_eq!(
        body.payload,
        common::hex_field(case, "payload"),
        "{ctx}: payload"
    );
    let mut body_bytes = Vec::new();
    body.encode(&mut body_bytes);
    assert_eq!(body_bytes, plaintext, "{ctx}: plaintext re-encode");
}

fn check_encrypted_invalid(case: &Value, ctx: &str) {
    let encoded = common::hex_field(case, "encoded");
    let Ok(msg) = Message::decode(&encoded) else {
        return; // rejected at the header: the required failure
    };
    let sender = node_id(&case["nonce_source_node_id"]).expect("nonce source node id");
    let key = common::hex_field(case, "key");
    let opened = decrypt(
        &key,
        &msg.header.nonce(sender),
        msg.header_bytes,
        msg.payload,
    );
    let accepted = opened
        .as_deref()
        .is_some_and(|plaintext| ProtocolMessage::decode(plaintext).is_ok());
    assert!(!accepted, "{ctx}: tampered message decrypted and decoded");
}

#[test]
fn message_codec_vectors() {
    let cases = common::cases("message_codec.json");
    let mut checked = [0usize; 4];
    for (i, case) in cases.iter().enumerate() {
        let ctx = format!("message_codec case {i} ({})", case["description"]);
        let valid = case["valid"].as_bool().unwrap_or(true);
        match (case["kind"].as_str(), valid) {
            (Some("plain"), true) => check_plain_valid(case, &ctx),
            (Some("plain"), false) => check_plain_invalid(case, &ctx),
            (Some("encrypted"), true) => check_encrypted_valid(case, &ctx),
            (Some("encrypted"), false) => check_encrypted_invalid(case, &ctx),
            (kind, _) => panic!("{ctx}: unknown kind {kind:?}"),
        }
        let slot = usize::from(case["kind"] == "encrypted") * 2 + usize::from(!valid);
        checked[slot] += 1;
    }
    assert_eq!(checked.iter().sum::<usize>(), cases.len());
    assert!(
        checked.iter().all(|&n| n > 0),
        "every kind × validity is exercised: {checked:?}"
    );
}

/// The constructor paseo would use to send a Secure Channel report like `report`.
fn constructed_like(report: &StatusReport) -> Option<StatusReport> {
    Some(match report.secure_channel_status()? {
        SecureChannelStatus::SessionEstablishmentSuccess => StatusReport::success(),
        SecureChannelStatus::CloseSession => StatusReport::close_session(),
        SecureChannelStatus::InvalidParameter => StatusReport::invalid_parameter(),
        SecureChannelStatus::NoSharedTrustRoots => StatusReport::no_shared_trust_roots(),
        SecureChannelStatus::Busy => StatusReport::busy(report.busy_wait_ms()?),
        _ => return None,
    })
}

fn check_status_report(case: &Value, ctx: &str) {
    let encoded = common::hex_field(case, "encoded");
    let report = StatusReport::decode(&encoded)
        .unwrap_or_else(|e| panic!("{ctx}: valid report rejected: {e}"));
    assert_eq!(
        u64::from(report.general_code.to_u16()),
        u64_field(&case["general_code"], ctx),
        "{ctx}: general code"
    );
    assert_eq!(
        Some(report.general_code.name()),
        case["general_code_name"].as_str(),
        "{ctx}: general code name"
    );
    assert_eq!(
        u64::from(report.protocol.vendor_id),
        u64_field(&case["protocol_vendor_id"], ctx),
        "{ctx}: vendor"
    );
    assert_eq!(
        u64::from(report.protocol.id),
        u64_field(&case["protocol_id"], ctx),
        "{ctx}: protocol"
    );
    assert_eq!(
        u64::from(report.protocol_code),
        u64_field(&case["protocol_code"], ctx),
        "{ctx}: protocol code"
    );
    assert_eq!(report.data, common::hex_field(case, "data"), "{ctx}: data");
    assert_eq!(report.encoded_len(), encoded.len(), "{ctx}: encoded_len");
    let mut out = Vec::new();
    report.encode(&mut out);
    assert_eq!(out, encoded, "{ctx}: re-encode");

    if report.secure_channel_status() == Some(SecureChannelStatus::Busy) {
        let wait = report
            .data
            .first_chunk::<2>()
            .map(|b| u16::from_le_bytes(*b));
        assert_eq!(report.busy_wait_ms(), wait, "{ctx}: busy wait");
    } else {
        assert_eq!(report.busy_wait_ms(), None, "{ctx}: busy wait on non-busy");
    }
    if let Some(built) = constructed_like(&report) {
        assert_eq!(built, report, "{ctx}: constructor");
    }
}

fn check_framed_status_report(case: &Value, ctx: &str) {
    let framed = common::hex_field(case, "encoded_protocol_message");
    let body = ProtocolMessage::decode(&framed)
        .unwrap_or_else(|e| panic!("{ctx}: protocol header rejected: {e}"));
    assert_protocol_header(&body.header, &case["protocol_header"], ctx);
    assert_eq!(
        body.header.protocol(),
        ProtocolId::SECURE_CHANNEL,
        "{ctx}: protocol"
    );
    assert_eq!(
        SecureChannelOpcode::from_u8(body.header.opcode),
        Some(SecureChannelOpcode::StatusReport),
        "{ctx}: opcode"
    );
    let report_bytes = common::hex_field(case, "status_report");
    assert_eq!(body.payload, report_bytes, "{ctx}: payload");
    let report = StatusReport::decode(body.payload)
        .unwrap_or_else(|e| panic!("{ctx}: report rejected: {e}"));
    let mut out = Vec::new();
    report.encode(&mut out);
    assert_eq!(out, report_bytes, "{ctx}: report re-encode");
    let mut reframed = Vec::new();
    body.encode(&mut reframed);
    assert_eq!(reframed, framed, "{ctx}: re-frame");
}

#[test]
fn status_report_vectors() {
    let cases = common::cases("status_report.json");
    let (mut valid, mut invalid) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        let ctx = format!("status_report case {i} ({})", case["description"]);
        if case["valid"] == false {
            let encoded = common::hex_field(case, "encoded");
            let result = StatusReport::decode(&encoded);
            assert!(
                matches!(
                    result,
                    Err(DecodeError::Truncated {
                        field: Field::StatusReport,
                        ..
                    })
                ),
                "{ctx}: expected a too-short error, got {result:?}"
            );
            invalid += 1;
        } else if case.get("encoded_protocol_message").is_some() {
            check_framed_status_report(case, &ctx);
            valid += 1;
        } else {
            check_status_report(case, &ctx);
            valid += 1;
        }
    }
    assert!(valid > 0 && invalid > 0);
}
