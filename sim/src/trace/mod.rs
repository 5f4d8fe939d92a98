//! The trace: every datagram sent, every network decision, every datagram received and every
//! application event, as one record each, in the order they happened.
//!
//! Text form (snapshots, review), one line per record:
//!
//! ```text
//! <virtual ms, 3 decimals, right-aligned> <node> <arrow> <peer> <what> : <decision>
//!     12.000 ctrl -> dev1 s=22136 c=93127 x=4242 I-R IM/InvokeRequest : sent
//!     12.000 ctrl ~> dev1 s=22136 c=93127 : dropped by network (loss)
//!     13.000 dev1 <- ctrl s=22136 c=93127 x=4242 I-R IM/InvokeRequest : delivered
//!    213.000 dev1 ** ctrl s=4660 x=4242r : exchange closed (local)
//! ```
//!
//! Arrows: `->` a node sent, `<-` a node received, `~>` what the network did to a datagram,
//! `**` an application-level event of the node, `##` an action of the scenario. The datagram
//! part reads `s=<session id> c=<counter>`, then when the protocol header is readable
//! `x=<exchange id> <I|-><A|-><R|-> [a=<ack counter>] <protocol>/<opcode>`.
//!
//! Other forms: JSON lines ([`Trace::json_lines`]), pcap ([`pcap`]), Mermaid ([`mermaid`]).
//! [`Trace::hash`] is the SHA-256 of the text form, for determinism checks.

pub mod mermaid;
pub mod pcap;
mod summary;

use std::fmt::Write as _;
use std::net::SocketAddr;

use paseo_core::crypto::sha256;
use paseo_core::time::Instant;
use serde::{Serialize, Serializer};

pub use summary::{
    ExchangeSummary, HeaderSummary, Opaque, exchange_summary, header_ids, protocol_name, summarize,
    summarize_with_keys,
};

/// What a record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    /// A node handed a datagram to the network.
    Tx,
    /// The network dropped or duplicated a datagram.
    Net,
    /// A node was handed a datagram.
    Rx,
    /// An application-level event of a node.
    Event,
    /// A scenario action (partition, crash, restart, …).
    Action,
}

impl RecordKind {
    /// The arrow in text lines.
    pub fn arrow(self) -> &'static str {
        match self {
            RecordKind::Tx => "->",
            RecordKind::Net => "~>",
            RecordKind::Rx => "<-",
            RecordKind::Event => "**",
            RecordKind::Action => "##",
        }
    }
}

/// The bytes of a datagram with its addresses (for pcap and JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WireDatagram {
    /// Sender address.
    pub src: SocketAddr,
    /// Receiver address.
    pub dst: SocketAddr,
    /// The Matter datagram.
    #[serde(serialize_with = "as_hex")]
    pub bytes: Vec<u8>,
}

/// One trace record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceRecord {
    /// Virtual time.
    #[serde(rename = "t_us", serialize_with = "as_micros")]
    pub at: Instant,
    /// The node it happened at (`sim` for network-wide actions).
    pub node: String,
    /// What kind of record.
    pub kind: RecordKind,
    /// The other end (`-` when none).
    pub peer: String,
    /// The datagram's header, for datagram records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderSummary>,
    /// What the record is about, for event and action records.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// What happened.
    pub decision: String,
    /// The datagram itself, for tx/rx records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wire: Option<WireDatagram>,
}

impl TraceRecord {
    /// The text line.
    pub fn text(&self) -> String {
        let what = match &self.header {
            Some(h) => h.text(),
            None => self.subject.clone(),
        };
        let mut line = format!(
            "{:>10} {} {} {}",
            self.at.to_string(),
            self.node,
            self.kind.arrow(),
            self.peer
        );
        if !what.is_empty() {
            line.push(' ');
            line.push_str(&what);
        }
        line.push_str(" : ");
        line.push_str(&self.decision);
        line
    }
}

/// All records of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// In the order they happened.
    pub records: Vec<TraceRecord>,
}

impl Trace {
    /// The text form, one line per record, each ending in `\n`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for record in &self.records {
            out.push_str(&record.text());
            out.push('\n');
        }
        out
    }

    /// The text lines.
    pub fn lines(&self) -> Vec<String> {
        self.records.iter().map(TraceRecord::text).collect()
    }

    /// JSON lines: one serde object per record.
    pub fn json_lines(&self) -> String {
        let mut out = String::new();
        for record in &self.records {
            // A record holds only strings, numbers and addresses: serialization cannot fail.
            if let Ok(json) = serde_json::to_string(record) {
                out.push_str(&json);
                out.push('\n');
            }
        }
        out
    }

    /// SHA-256 of the text form, as 64 hex digits.
    pub fn hash(&self) -> String {
        to_hex(&sha256(self.text().as_bytes()))
    }
}

/// Lower-case hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn as_hex<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_hex(bytes))
}

fn as_micros<S: Serializer>(at: &Instant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(at.as_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TraceRecord {
        TraceRecord {
            at: Instant::from_micros(12_345),
            node: "ctrl".into(),
            kind: RecordKind::Tx,
            peer: "dev1".into(),
            header: Some(HeaderSummary {
                session_id: 7,
                counter: 99,
                exchange: Some(ExchangeSummary {
                    exchange_id: 3,
                    initiator: true,
                    reliable: true,
                    ack: Some(5),
                    protocol: "IM".into(),
                    opcode: "InvokeRequest".into(),
                }),
                opaque: None,
            }),
            subject: String::new(),
            decision: "sent".into(),
            wire: None,
        }
    }

    #[test]
    fn text_line_layout() {
        assert_eq!(
            record().text(),
            "    12.345 ctrl -> dev1 s=7 c=99 x=3 IAR a=5 IM/InvokeRequest : sent"
        );
    }

    #[test]
    fn json_line_has_time_in_micros_and_kind_in_kebab_case() {
        let trace = Trace {
            records: vec![record()],
        };
        let value: serde_json::Value =
            serde_json::from_str(trace.json_lines().trim()).expect("json");
        assert_eq!(value["t_us"], 12_345);
        assert_eq!(value["kind"], "tx");
        assert_eq!(value["header"]["exchange"]["ack"], 5);
    }

    #[test]
    fn hash_changes_with_any_line() {
        let a = Trace {
            records: vec![record()],
        };
        let mut b = a.clone();
        b.records[0].decision = "dropped".into();
        assert_eq!(a.hash(), a.clone().hash());
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.hash().len(), 64);
    }
}
