//! `paseo decode`: turn one hex-encoded Matter datagram into readable lines or one JSON object
//! whose field names are those of the message_codec.json vectors (vectors/), plus the protocol and
//! opcode names and the payload's TLV tree. With keys (`--keys I2R,R2I` or a `--keylog` file,
//! [`KeyLogEntry`]) a secure-session datagram is decrypted first (AES-128-CCM, the message
//! header as AAD, nonce of Matter 1.3 §4.8). `decode --pcap` does the same
//! for every UDP datagram of a capture ([`crate::capture`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use paseo_core::codec::{
    DecodeError, Destination, MESSAGE_FORMAT_VERSION, Message, MessageHeader, ProtocolHeader,
    ProtocolId, ProtocolMessage, SecureChannelOpcode, SessionType, message_nonce,
};
use paseo_core::crypto::Aes128CcmKey;
use paseo_core::session::keys::KeyLogEntry;
use paseo_core::tlv::{Data, Tag, TagNumber, Value as Tlv, decode_element};
use serde_json::{Value, json};

// Exit codes: decoded; bad input (hex, header, keys, capture); an output file could not be
// written. The CLI's codes (src/run.rs).
use crate::run::EXIT_PASS as EXIT_OK;
use crate::run::{EXIT_BAD_SCENARIO as EXIT_BAD_INPUT, EXIT_INTERNAL as EXIT_CANNOT_WRITE};

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
    /// The unsecured (or decrypted) payload does not start with a valid protocol header.
    #[error("malformed protocol header: {0}")]
    ProtocolHeader(DecodeError),
    /// `--keys` is not two 16-byte keys in hex separated by a comma.
    #[error("--keys takes I2R_HEX,R2I_HEX (two 16-byte keys in hex)")]
    BadKeys,
    /// A key log file could not be read.
    #[error("cannot read key log {path}: {error}")]
    KeyLogFile {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// A key log line is not a `MATTER_SESSION` line.
    #[error("key log {path} line {line}: {error}")]
    KeyLogLine {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        error: paseo_core::session::keys::KeyLogError,
    },
}

/// Keys to decrypt secure-session datagrams with.
#[derive(Debug, Default)]
pub struct Keys {
    /// Key log entries with their line numbers.
    pub entries: Vec<(usize, KeyLogEntry)>,
    /// `--keys`: (I2R, R2I).
    pub pair: Option<([u8; 16], [u8; 16])>,
}

impl Keys {
    /// Whether there is any key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.pair.is_none()
    }

    /// Parses `--keys I2R_HEX,R2I_HEX`.
    pub fn parse_pair(text: &str) -> Result<([u8; 16], [u8; 16]), InputError> {
        let (a, b) = text.split_once(',').ok_or(InputError::BadKeys)?;
        let key = |t: &str| -> Result<[u8; 16], InputError> {
            let bytes = hex::decode(t.trim()).map_err(|_| InputError::BadKeys)?;
            bytes.try_into().map_err(|_| InputError::BadKeys)
        };
        Ok((key(a)?, key(b)?))
    }

    /// Reads a key log: `MATTER_SESSION` lines; blank lines and `#` comments are skipped.
    pub fn read_keylog(path: &std::path::Path) -> Result<Vec<(usize, KeyLogEntry)>, InputError> {
        let text = std::fs::read_to_string(path).map_err(|error| InputError::KeyLogFile {
            path: path.display().to_string(),
            error,
        })?;
        parse_keylog(&text).map_err(|(line, error)| InputError::KeyLogLine {
            path: path.display().to_string(),
            line,
            error,
        })
    }

    /// Decrypts `message` with the first key that authenticates it: key log entries naming its
    /// session (I2R toward the responder's id, R2I toward the initiator's), then `--keys`
    /// (nonce node id: the header's source node id, else 0). Returns the plaintext and which
    /// key it was.
    pub fn decrypt(&self, message: &Message<'_>) -> Option<(Vec<u8>, String)> {
        let header = &message.header;
        let mut tries: Vec<([u8; 16], u64, String)> = Vec::new();
        for (line, e) in &self.entries {
            if e.responder_session_id == header.session_id {
                tries.push((
                    e.i2r,
                    e.initiator_node_id,
                    format!("key log line {line} (I2R)"),
                ));
            }
            if e.initiator_session_id == header.session_id {
                tries.push((
                    e.r2i,
                    e.responder_node_id,
                    format!("key log line {line} (R2I)"),
                ));
            }
        }
        if let Some((i2r, r2i)) = self.pair {
            let mut nodes = vec![header.source_node_id.unwrap_or(0)];
            if nodes[0] != 0 {
                nodes.push(0);
            }
            for node in nodes {
                tries.push((i2r, node, "--keys I2R".to_owned()));
                tries.push((r2i, node, "--keys R2I".to_owned()));
            }
        }
        tries.into_iter().find_map(|(key, node, which)| {
            let nonce = message_nonce(header.security_flags(), header.message_counter, node);
            Aes128CcmKey::new(&key)
                .decrypt(&nonce, message.header_bytes, message.payload)
                .ok()
                .map(|plain| (plain, which))
        })
    }
}

/// Parses key log text; an error names its 1-based line.
pub fn parse_keylog(
    text: &str,
) -> Result<Vec<(usize, KeyLogEntry)>, (usize, paseo_core::session::keys::KeyLogError)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        out.push((i + 1, KeyLogEntry::parse(trimmed).map_err(|e| (i + 1, e))?));
    }
    Ok(out)
}

/// A decoded datagram: the message, and the protocol message when the payload is in clear or
/// was decrypted.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// Message header and the bytes after it.
    pub message: Message<'a>,
    /// Protocol header and application payload: unsecured session, or decrypted.
    pub body: Option<ProtocolMessage<'a>>,
    /// Which key decrypted it (`None`: unsecured, or not decrypted).
    pub decrypted_with: Option<String>,
    /// Keys were given but none authenticates this secure datagram.
    pub undecryptable: bool,
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
    Ok(Decoded {
        message,
        body,
        decrypted_with: None,
        undecryptable: false,
    })
}

/// Decodes `hex` and renders it as text lines or, with `json`, one JSON object.
pub fn render(hex: &str, json: bool) -> Result<String, InputError> {
    render_with_keys(hex, json, &Keys::default())
}

/// As [`render`], decrypting a secure-session datagram with `keys`.
pub fn render_with_keys(hex: &str, json: bool, keys: &Keys) -> Result<String, InputError> {
    let datagram = parse_hex(hex)?;
    let mut decoded = decode_datagram(&datagram)?;
    let plain = if decoded.body.is_none() && !keys.is_empty() {
        keys.decrypt(&decoded.message)
    } else {
        None
    };
    if let Some((plaintext, which)) = &plain {
        decoded.body =
            Some(ProtocolMessage::decode(plaintext).map_err(InputError::ProtocolHeader)?);
        decoded.decrypted_with = Some(which.clone());
    } else if decoded.body.is_none() && !keys.is_empty() {
        decoded.undecryptable = true;
    }
    Ok(if json {
        to_json(&decoded).to_string()
    } else {
        to_text(&decoded)
    })
}

/// The trace's name of a protocol message: `SC/StatusReport(CloseSession)`, `IM/InvokeRequest`,
/// as `(protocol, opcode)`.
pub fn names(body: &ProtocolMessage<'_>) -> (String, String) {
    let summary = paseo_sim::trace::exchange_summary(&body.header, body.payload);
    (summary.protocol, summary.opcode)
}

/// The payload as one TLV element, when it is exactly one (StatusReport and standalone acks
/// are not TLV).
fn payload_tlv(body: &ProtocolMessage<'_>) -> Option<Tlv> {
    let header = &body.header;
    if body.payload.is_empty()
        || (header.protocol() == ProtocolId::SECURE_CHANNEL
            && header.opcode == SecureChannelOpcode::StatusReport.as_u8())
    {
        return None;
    }
    decode_element(body.payload).ok()
}

fn tag_text(tag: &Tag) -> String {
    let number = |n: &TagNumber| n.get();
    match tag {
        Tag::Anonymous => "_".to_owned(),
        Tag::Context(n) => n.to_string(),
        Tag::CommonProfile(n) => format!("common:{}", number(n)),
        Tag::ImplicitProfile(n) => format!("implicit:{}", number(n)),
        Tag::FullyQualified {
            vendor,
            profile,
            tag,
        } => format!("{vendor:04x}:{profile:04x}:{}", number(tag)),
    }
}

/// A TLV value as JSON: structures are objects keyed by tag (`"1"` for context tag 1, `"_"`
/// anonymous, `common:N`, `implicit:N`, `vvvv:pppp:N`), arrays are arrays, lists are arrays of
/// one-key objects, octet strings are `"hex:…"`, floats are numbers, null is null.
pub fn tlv_json(value: &Tlv) -> Value {
    match &value.data {
        Data::Int(i) => json!(i.get()),
        Data::UInt(u) => json!(u.get()),
        Data::Bool(b) => json!(b),
        Data::F32 { bits } => json!(f32::from_bits(*bits)),
        Data::F64 { bits } => json!(f64::from_bits(*bits)),
        Data::Utf8 { value, .. } => json!(value),
        Data::Bytes { value, .. } => json!(format!("hex:{}", hex::encode(value))),
        Data::Null => Value::Null,
        Data::Struct(members) => Value::Object(
            members
                .iter()
                .map(|m| (tag_text(&m.tag), tlv_json(m)))
                .collect(),
        ),
        Data::Array(members) => Value::Array(members.iter().map(tlv_json).collect()),
        Data::List(members) => Value::Array(
            members
                .iter()
                .map(|m| json!({ tag_text(&m.tag): tlv_json(m) }))
                .collect(),
        ),
    }
}

/// A TLV value as indented lines, `tag: type value`.
fn write_tlv_text(out: &mut String, value: &Tlv, depth: usize) {
    let pad = "  ".repeat(depth);
    let tag = tag_text(&value.tag);
    let (kind, text) = match &value.data {
        Data::Int(i) => ("int", i.get().to_string()),
        Data::UInt(u) => ("uint", u.get().to_string()),
        Data::Bool(b) => ("bool", b.to_string()),
        Data::F32 { bits } => ("float", f32::from_bits(*bits).to_string()),
        Data::F64 { bits } => ("double", f64::from_bits(*bits).to_string()),
        Data::Utf8 { value, .. } => ("utf8", format!("{value:?}")),
        Data::Bytes { value, .. } => ("bytes", hex::encode(value)),
        Data::Null => ("null", String::new()),
        Data::Struct(_) => ("struct", String::new()),
        Data::Array(_) => ("array", String::new()),
        Data::List(_) => ("list", String::new()),
    };
    let line = format!("{pad}{tag}: {kind} {text}");
    let _ = writeln!(out, "{}", line.trim_end());
    for member in value.data.members().unwrap_or(&[]) {
        write_tlv_text(out, member, depth + 1);
    }
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
        Some(body) => {
            let (protocol_name, opcode_name) = names(body);
            let mut extra = json!({
                "protocol_header": protocol_header_json(&body.header),
                "payload": hex::encode(body.payload),
                "protocol_name": protocol_name,
                "opcode_name": opcode_name,
            });
            if let Some(tlv) = payload_tlv(body) {
                extra["payload_tlv"] = tlv_json(&tlv);
            }
            if let Some(which) = &decoded.decrypted_with {
                extra["decrypted_with"] = json!(which);
            }
            extra
        }
        None => {
            let mut extra = json!({ "encrypted_payload_length": message.payload.len() });
            if decoded.undecryptable {
                extra["undecryptable"] = json!(true);
            }
            extra
        }
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

    if let Some(which) = &decoded.decrypted_with {
        let _ = writeln!(
            out,
            "decrypted with {which}: {} bytes (ciphertext and {MIC_LEN}-byte MIC)",
            message.payload.len()
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
            if decoded.undecryptable {
                let _ = writeln!(out, "  note: no key given authenticates it");
            }
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
    let (protocol_name, opcode_name) = names(body);
    let _ = writeln!(out, "  trace name: {protocol_name}/{opcode_name}");
    let _ = writeln!(out, "payload: {} bytes", body.payload.len());
    if let Some(tlv) = payload_tlv(body) {
        let _ = writeln!(out, "payload TLV:");
        write_tlv_text(out, &tlv, 1);
    }
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

/// `paseo decode` arguments.
#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    /// Print one JSON object (field names as in message_codec.json, plus `protocol_name`,
    /// `opcode_name`, `payload_tlv`, `decrypted_with`) instead of lines; with --pcap, the
    /// trace as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Decrypt a secure-session datagram with these keys (hex, comma-separated).
    #[arg(long, value_name = "I2R_HEX,R2I_HEX")]
    pub keys: Option<String>,
    /// Decrypt secure-session datagrams with the keys of a key log (`paseo run --keylog`).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Decode every UDP datagram of a capture (pcap or pcapng) and print them as trace lines.
    #[arg(long, value_name = "FILE", conflicts_with = "hex")]
    pub pcap: Option<PathBuf>,
    /// With --pcap: also write the HTML viewer of the capture to FILE.
    #[arg(long, value_name = "FILE", requires = "pcap")]
    pub html: Option<PathBuf>,
    /// The datagram as hex (whitespace and a 0x prefix are ignored).
    #[arg(required_unless_present = "pcap")]
    pub hex: Option<String>,
}

/// Runs `paseo decode`; returns the exit code.
pub fn main(args: &DecodeArgs) -> u8 {
    match run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("paseo decode: {err}");
            if args.json {
                // `--json` always yields one JSON object on stdout, errors included.
                println!(
                    "{}",
                    serde_json::json!({
                        "verdict": "ERROR (bad input)",
                        "exit_code": EXIT_BAD_INPUT,
                        "error": err.to_string(),
                    })
                );
            }
            EXIT_BAD_INPUT
        }
    }
}

fn run(args: &DecodeArgs) -> Result<u8, Box<dyn std::error::Error>> {
    let mut keys = Keys::default();
    if let Some(text) = &args.keys {
        keys.pair = Some(Keys::parse_pair(text)?);
    }
    if let Some(path) = &args.keylog {
        keys.entries = Keys::read_keylog(path)?;
    }
    if let Some(path) = &args.pcap {
        let trace = crate::capture::trace_of_file(path, &keys)?;
        if args.json {
            print!("{}", trace.json_lines());
        } else {
            print!("{}", trace.text());
        }
        if let Some(out) = &args.html {
            let view =
                crate::html::capture_view(&path.display().to_string(), &trace.records, &keys);
            if let Err(e) = std::fs::write(out, crate::html::page(&view)) {
                eprintln!("paseo decode: cannot write {}: {e}", out.display());
                return Ok(EXIT_CANNOT_WRITE);
            }
        }
        return Ok(EXIT_OK);
    }
    let hex = args.hex.as_deref().unwrap_or_default();
    let text = render_with_keys(hex, args.json, &keys)?;
    print!("{text}");
    if args.json {
        println!();
    }
    Ok(EXIT_OK)
}
