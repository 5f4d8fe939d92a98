//! `paseo decode`: turn one hex-encoded Matter datagram into readable lines or one JSON object
//! whose field names are those of the message_codec.json vectors (vectors/).

use std::fmt::Write as _;

use paseo_core::codec::{
    DecodeError, Destination, MESSAGE_FORMAT_VERSION, Message, MessageHeader, ProtocolHeader,
    ProtocolMessage, SessionType,
};
use serde_json::{Value, json};

/// Length of the AES-CCM MIC at the end of an encrypted message (Matter 1.3 §4.8).
const MIC_LEN: usize = 16;

/// Why the input could not be decoded; each is reported as one line and exit code 3.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The argument is not a hex byte string.
    #[error("invalid hex: {0}")]
    BadHex(#[from] hex::FromHexError),
    /// The message header is malformed.
    #[error("malformed message header: {0}")]
    MessageHeader(DecodeError),
    /// The unsecured payload does not start with a valid protocol header.
    #[error("malformed protocol header: {0}")]
    ProtocolHeader(DecodeError),
}

/// A decoded datagram: the message, and the protocol message when the payload is in clear.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// Message header and the bytes after it.
    pub message: Message<'a>,
    /// Protocol header and application payload, for the unsecured session only.
    pub body: Option<ProtocolMessage<'a>>,
}

/// Parses hex, ignoring ASCII whitespace and an optional `0x` prefix.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, InputError> {
    let compact: String = text.split_ascii_whitespace().collect();
    let digits = compact
        .strip_prefix("0x")
        .or_else(|| compact.strip_prefix("0X"))
        .unwrap_or(&compact);
    Ok(hex::decode(digits)?)
}

/// Decodes the header layout (a diagnostic tool shows headers that break the Matter 1.3 §4.4.1
/// validity rules, noting the violation) and, on the unsecured session, the protocol header.
pub fn decode_datagram(datagram: &[u8]) -> Result<Decoded<'_>, InputError> {
    let message = Message::decode_permissive(datagram).map_err(InputError::MessageHeader)?;
    let body = if message.header.is_unsecured() {
        Some(ProtocolMessage::decode(message.payload).map_err(InputError::ProtocolHeader)?)
    } else {
        None
    };
    Ok(Decoded { message, body })
}

/// Decodes `hex` and renders it as text lines or, with `json`, one JSON object.
pub fn render(hex: &str, json: bool) -> Result<String, InputError> {
    let datagram = parse_hex(hex)?;
    let decoded = decode_datagram(&datagram)?;
    Ok(if json {
        to_json(&decoded).to_string()
    } else {
        to_text(&decoded)
    })
}

fn node_id_json(id: Option<u64>) -> Value {
    id.map_or(Value::Null, |id| Value::String(format!("{id:016x}")))
}

fn message_header_json(header: &MessageHeader<'_>) -> Value {
    let (dest_node, dest_group) = match header.destination {
        Destination::None => (None, None),
        Destination::Node(node) => (Some(node), None),
        Destination::Group(group) => (None, Some(group)),
    };
    json!({
        "version": MESSAGE_FORMAT_VERSION,
        "privacy": header.privacy,
        "control": header.control,
        "source_node_id": node_id_json(header.source_node_id),
        "dest_node_id": node_id_json(dest_node),
        "dest_group_id": dest_group,
        "mx": header.extensions.map(|ext| hex::encode(ext.as_bytes())),
        "session_id": header.session_id,
        "session_type": header.session_type.bits(),
        "message_counter": header.message_counter,
    })
}

fn protocol_header_json(header: &ProtocolHeader<'_>) -> Value {
    json!({
        "vendor_id": header.vendor_id,
        "ack_counter": header.ack_counter,
        "sx": header.secured_extensions.map(|ext| hex::encode(ext.as_bytes())),
        "initiator": header.initiator,
        "reliable": header.reliable,
        "opcode": header.opcode,
        "exchange_id": header.exchange_id,
        "protocol_id": header.protocol_id,
    })
}

/// One JSON object named as message_codec.json: `message_header`, `message_header_length`,
/// then `protocol_header` and `payload` (hex) in clear, or `encrypted_payload_length`.
pub fn to_json(decoded: &Decoded<'_>) -> Value {
    let message = &decoded.message;
    let mut object = json!({
        "message_header": message_header_json(&message.header),
        "message_header_length": message.header_len(),
    });
    let extra = match &decoded.body {
        Some(body) => json!({
            "protocol_header": protocol_header_json(&body.header),
            "payload": hex::encode(body.payload),
        }),
        None => json!({ "encrypted_payload_length": message.payload.len() }),
    };
    if let (Some(object), Value::Object(extra)) = (object.as_object_mut(), extra) {
        object.extend(extra);
    }
    object
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

fn optional<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

/// Readable lines, one field per line.
pub fn to_text(decoded: &Decoded<'_>) -> String {
    let message = &decoded.message;
    let h = &message.header;
    let mut out = String::new();
    // Writing to a String cannot fail; the results are discarded on that ground.
    let _ = writeln!(out, "message header: {} bytes", message.header_len());
    let _ = writeln!(out, "  version: {MESSAGE_FORMAT_VERSION}");
    let unsecured = if h.is_unsecured() { " (unsecured)" } else { "" };
    let _ = writeln!(out, "  session id: {}{unsecured}", h.session_id);
    let session_type = match h.session_type {
        SessionType::Unicast => "unicast",
        SessionType::Group => "group",
    };
    let _ = writeln!(out, "  session type: {session_type}");
    let _ = writeln!(
        out,
        "  security flags: 0x{:02x} (privacy {}, control {}, message extensions {})",
        h.security_flags(),
        yes_no(h.privacy),
        yes_no(h.control),
        yes_no(h.extensions.is_some())
    );
    let _ = writeln!(out, "  message counter: {}", h.message_counter);
    let source = h.source_node_id.map(|id| format!("{id:016x}"));
    let _ = writeln!(out, "  source node id: {}", optional(source));
    let destination = match h.destination {
        Destination::None => "none".to_owned(),
        Destination::Node(node) => format!("node {node:016x}"),
        Destination::Group(group) => format!("group {group} (0x{group:04x})"),
    };
    let _ = writeln!(out, "  destination: {destination}");
    if let Some(ext) = h.extensions {
        let bytes = ext.as_bytes();
        let _ = writeln!(
            out,
            "  message extensions: {} bytes {}",
            bytes.len(),
            hex::encode(bytes)
        );
    }
    if let Err(rule) = h.validate() {
        let _ = writeln!(out, "  note: breaks a header validity rule: {rule}");
    }
    if h.privacy {
        let _ = writeln!(
            out,
            "  note: privacy flag set, counter and node ids are obfuscated"
        );
    }

    match &decoded.body {
        Some(body) => write_protocol_text(&mut out, body),
        None => {
            let _ = writeln!(
                out,
                "encrypted payload {} bytes (ciphertext and {MIC_LEN}-byte MIC)",
                message.payload.len()
            );
        }
    }
    out
}

fn write_protocol_text(out: &mut String, body: &ProtocolMessage<'_>) {
    let p = &body.header;
    let _ = writeln!(out, "protocol header: {} bytes", p.encoded_len());
    let _ = writeln!(out, "  exchange id: {}", p.exchange_id);
    let mut flags = Vec::new();
    for (set, name) in [
        (p.initiator, "initiator"),
        (p.ack_counter.is_some(), "ack"),
        (p.reliable, "reliable"),
        (p.secured_extensions.is_some(), "secured extensions"),
        (p.vendor_id.is_some(), "vendor"),
    ] {
        if set {
            flags.push(name);
        }
    }
    let _ = writeln!(
        out,
        "  exchange flags: 0x{:02x} ({})",
        p.exchange_flags(),
        flags.join(", ")
    );
    let protocol = p.protocol();
    let _ = writeln!(
        out,
        "  protocol: vendor 0x{:04x} id 0x{:04x} {}",
        protocol.vendor_id,
        protocol.id,
        protocol.name().unwrap_or("(unknown)")
    );
    let _ = writeln!(out, "  opcode: 0x{:02x} {}", p.opcode, p.opcode_name());
    let _ = writeln!(out, "  ack counter: {}", optional(p.ack_counter));
    if let Some(ext) = p.secured_extensions {
        let bytes = ext.as_bytes();
        let _ = writeln!(
            out,
            "  secured extensions: {} bytes {}",
            bytes.len(),
            hex::encode(bytes)
        );
    }
    let _ = writeln!(out, "payload: {} bytes", body.payload.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    // A standalone ack on the unsecured session: 8-byte header with a source node id.
    const UNSECURED_ACK: &str = "0400000001000000 0807060504030201 02100100 0000 05000000";

    #[test]
    fn hex_accepts_whitespace_and_prefix() {
        assert_eq!(parse_hex(" 0x0a 0B\n").unwrap(), [0x0a, 0x0b]);
        assert!(matches!(parse_hex("abc"), Err(InputError::BadHex(_))));
        assert!(matches!(parse_hex("zz"), Err(InputError::BadHex(_))));
    }

    #[test]
    fn text_names_the_opcode() {
        let text = render(UNSECURED_ACK, false).unwrap();
        assert!(text.contains("source node id: 0102030405060708"), "{text}");
        assert!(text.contains("opcode: 0x10 StandaloneAck"), "{text}");
        assert!(text.contains("ack counter: 5"), "{text}");
        assert!(text.ends_with("payload: 0 bytes\n"), "{text}");
    }

    #[test]
    fn json_for_unsecured_has_protocol_header() {
        let value: Value = serde_json::from_str(&render(UNSECURED_ACK, true).unwrap()).unwrap();
        assert_eq!(value["message_header_length"], 16);
        assert_eq!(
            value["message_header"]["source_node_id"],
            "0102030405060708"
        );
        assert_eq!(value["protocol_header"]["opcode"], 0x10);
        assert_eq!(value["protocol_header"]["ack_counter"], 5);
        assert_eq!(value["payload"], "");
    }

    #[test]
    fn secure_session_payload_stays_opaque() {
        let hex = format!("00341200{}{}", "0d0c0b0a", "ab".repeat(20));
        let text = render(&hex, false).unwrap();
        assert!(text.contains("encrypted payload 20 bytes"), "{text}");
        assert!(!text.contains("protocol header"), "{text}");
        let value: Value = serde_json::from_str(&render(&hex, true).unwrap()).unwrap();
        assert_eq!(value["encrypted_payload_length"], 20);
        assert!(value.get("protocol_header").is_none());
    }

    #[test]
    fn malformed_input_is_named() {
        let err = render("0400000001000000 0102", false).unwrap_err();
        assert!(matches!(err, InputError::MessageHeader(_)));
        assert!(err.to_string().contains("source node id"), "{err}");
        let err = render("0000000001000000 0210", false).unwrap_err();
        assert!(matches!(err, InputError::ProtocolHeader(_)), "{err}");
    }
}
