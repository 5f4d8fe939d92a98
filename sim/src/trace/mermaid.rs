//! A Mermaid sequence diagram of a trace, for review: arrows for datagrams as they arrived
//! (and crossed arrows for those the network dropped), notes for events and actions.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{RecordKind, Trace};

impl Trace {
    /// The Mermaid `sequenceDiagram` source.
    pub fn mermaid(&self) -> String {
        let mut participants: Vec<String> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut add = |name: &str| {
            let id = ident(name);
            if name != "-" && name != "sim" && seen.insert(id.clone()) {
                participants.push(id);
            }
        };
        for r in &self.records {
            add(&r.node);
            if matches!(r.kind, RecordKind::Rx | RecordKind::Net) {
                add(&r.peer);
            }
        }
        let mut out = String::from("sequenceDiagram\n");
        for p in &participants {
            let _ = writeln!(out, "    participant {p}");
        }
        for r in &self.records {
            let what = r.header.as_ref().map_or(r.subject.clone(), |h| h.text());
            let text = clean(&format!("{} {} ({})", r.at, what, r.decision));
            let (node, peer) = (ident(&r.node), ident(&r.peer));
            // Writing to a String cannot fail.
            let _ = match r.kind {
                RecordKind::Rx => writeln!(out, "    {peer}->>{node}: {text}"),
                RecordKind::Net if r.decision.starts_with("dropped") => {
                    writeln!(out, "    {node}-x{peer}: {text}")
                }
                RecordKind::Event => writeln!(out, "    Note over {node}: {text}"),
                RecordKind::Action => match participants.first() {
                    Some(first) if r.node == "sim" => {
                        writeln!(out, "    Note over {first}: {text}")
                    }
                    _ => writeln!(out, "    Note over {node}: {text}"),
                },
                RecordKind::Tx | RecordKind::Net => Ok(()),
            };
        }
        out
    }
}

/// A participant id: letters, digits and `_` only.
fn ident(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Message text without the characters Mermaid treats as syntax.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ';' | '#' | '\n' => ',',
            c => c,
        })
        .collect()
}
