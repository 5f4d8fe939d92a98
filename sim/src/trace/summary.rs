//! A one-glance summary of a datagram: message header always, protocol header when it can be
//! read (unsecured sessions, or a secure session whose receiving end we can ask to
//! [`SecureSession::inspect`] the bytes without touching its state).

use serde::Serialize;

use paseo_core::codec::{
    Message, ProtocolHeader, ProtocolId, ProtocolMessage, SecureChannelOpcode, StatusReport,
    UNKNOWN_OPCODE_NAME,
};
use paseo_core::session::SecureSession;
use paseo_core::session::keys::KeyLogEntry;

/// What a trace shows of one datagram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeaderSummary {
    /// Session id in the message header (the receiver's id; 0 = unsecured).
    pub session_id: u16,
    /// Message counter.
    pub counter: u32,
    /// The protocol header, when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeSummary>,
    /// Why the protocol header is not shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opaque: Option<Opaque>,
}

/// The protocol (exchange) header of a datagram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExchangeSummary {
    /// Exchange id.
    pub exchange_id: u16,
    /// `I` flag.
    pub initiator: bool,
    /// `R` flag.
    pub reliable: bool,
    /// Acknowledged counter (`A` flag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<u32>,
    /// Short protocol name (`SC`, `IM`, …).
    pub protocol: String,
    /// Opcode name, with the status of a StatusReport.
    pub opcode: String,
}

/// Why a datagram's protocol header could not be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Opaque {
    /// The message header did not parse.
    Malformed,
    /// No session at the receiver to decrypt with.
    NoKey,
    /// The receiver's session could not decrypt it.
    Undecryptable,
}

impl HeaderSummary {
    /// Whether this is a Secure Channel StatusReport carrying CloseSession.
    pub fn is_close_session(&self) -> bool {
        self.exchange
            .as_ref()
            .is_some_and(|x| x.protocol == "SC" && x.opcode == "StatusReport(CloseSession)")
    }

    /// The text form used in trace lines.
    pub fn text(&self) -> String {
        let mut out = format!("s={} c={}", self.session_id, self.counter);
        if let Some(x) = &self.exchange {
            let flag = |on: bool, c: char| if on { c } else { '-' };
            out.push_str(&format!(
                " x={} {}{}{}",
                x.exchange_id,
                flag(x.initiator, 'I'),
                flag(x.ack.is_some(), 'A'),
                flag(x.reliable, 'R')
            ));
            if let Some(ack) = x.ack {
                out.push_str(&format!(" a={ack}"));
            }
            out.push_str(&format!(" {}/{}", x.protocol, x.opcode));
        }
        match self.opaque {
            Some(Opaque::Malformed) => out.push_str(" [malformed]"),
            Some(Opaque::NoKey) => out.push_str(" [encrypted]"),
            Some(Opaque::Undecryptable) => out.push_str(" [undecryptable]"),
            None => {}
        }
        out
    }
}

/// Summarizes `datagram`; `receiver` is the receiving node's session named by the header, if
/// it has one (used only through `inspect`, which changes nothing).
pub fn summarize(datagram: &[u8], receiver: Option<&SecureSession>) -> HeaderSummary {
    let Ok(message) = Message::decode(datagram) else {
        return HeaderSummary {
            session_id: 0,
            counter: 0,
            exchange: None,
            opaque: Some(Opaque::Malformed),
        };
    };
    let mut summary = HeaderSummary {
        session_id: message.header.session_id,
        counter: message.header.message_counter,
        exchange: None,
        opaque: None,
    };
    if message.header.session_id == 0 {
        match ProtocolMessage::decode(message.payload) {
            Ok(pm) => summary.exchange = Some(exchange_summary(&pm.header, pm.payload)),
            Err(_) => summary.opaque = Some(Opaque::Malformed),
        }
        return summary;
    }
    match receiver.map(|s| s.inspect(&message)) {
        Some(Ok(decoded)) => {
            summary.exchange = Some(exchange_summary(&decoded.protocol, &decoded.payload));
        }
        Some(Err(_)) => summary.opaque = Some(Opaque::Undecryptable),
        None => summary.opaque = Some(Opaque::NoKey),
    }
    summary
}

/// Summarizes a datagram with key log entries instead of a receiver's session: for our own
/// datagrams to a peer whose sessions we cannot reach (real-peer runs), and for captures.
pub fn summarize_with_keys(datagram: &[u8], keys: &[KeyLogEntry]) -> HeaderSummary {
    let Ok(message) = Message::decode(datagram) else {
        return summarize(datagram, None);
    };
    if message.header.session_id == 0 {
        return summarize(datagram, None);
    }
    let mut summary = HeaderSummary {
        session_id: message.header.session_id,
        counter: message.header.message_counter,
        exchange: None,
        opaque: None,
    };
    match keys.iter().find_map(|k| k.open(&message)) {
        Some(plain) => match ProtocolMessage::decode(&plain) {
            Ok(pm) => summary.exchange = Some(exchange_summary(&pm.header, pm.payload)),
            Err(_) => summary.opaque = Some(Opaque::Malformed),
        },
        None => summary.opaque = Some(Opaque::NoKey),
    }
    summary
}

/// The session id and counter of a datagram, if its header parses.
pub fn header_ids(datagram: &[u8]) -> Option<(u16, u32)> {
    Message::decode(datagram)
        .ok()
        .map(|m| (m.header.session_id, m.header.message_counter))
}

/// What the trace shows of a protocol header and its payload: exchange, flags, ack, protocol
/// and opcode names (a StatusReport with its status).
pub fn exchange_summary(header: &ProtocolHeader<'_>, payload: &[u8]) -> ExchangeSummary {
    let protocol = header.protocol();
    let mut opcode = match header.opcode_name() {
        UNKNOWN_OPCODE_NAME => format!("0x{:02x}", header.opcode),
        name => name.to_owned(),
    };
    if protocol == ProtocolId::SECURE_CHANNEL
        && header.opcode == SecureChannelOpcode::StatusReport.as_u8()
        && let Ok(report) = StatusReport::decode(payload)
    {
        let detail = match report.secure_channel_status() {
            Some(status) => status.name(),
            None => report.general_code.name(),
        };
        opcode = format!("{opcode}({detail})");
    }
    ExchangeSummary {
        exchange_id: header.exchange_id,
        initiator: header.initiator,
        reliable: header.reliable,
        ack: header.ack_counter,
        protocol: protocol_name(protocol),
        opcode,
    }
}

/// `SC`, `IM`, `BDX`, `UDC`, or `vvvv:pppp` for anything else.
pub fn protocol_name(protocol: ProtocolId) -> String {
    match (protocol.vendor_id, protocol.id) {
        (0, 0) => "SC".to_owned(),
        (0, 1) => "IM".to_owned(),
        (0, 2) => "BDX".to_owned(),
        (0, 3) => "UDC".to_owned(),
        (vendor, id) => format!("{vendor:04x}:{id:04x}"),
    }
}
