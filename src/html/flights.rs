//! Datagram flights: each copy of a datagram on the network, from the record of its sending
//! (`tx`) through what the network did (`net`) to the record of its arrival (`rx`), with its
//! fate. A network duplicate is a second flight of the same sending.
//!
//! The trace does not link these records, so they are paired here by (sender, receiver,
//! session id, message counter): arrivals take the oldest copy in flight (preferring one with
//! the same bytes, as a counter-reusing node sends different datagrams under one counter); a
//! drop at the instant of sending takes the copy just sent, a later drop (host down at
//! arrival) the oldest. Copies that match on all of these are indistinguishable, so which of
//! them an arrival takes changes nothing a reader can see but the sending time.

use std::collections::BTreeMap;

use paseo_sim::trace::{RecordKind, TraceRecord, header_ids};
use serde::Serialize;

/// What became of one copy of a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// It arrived and the receiver took it (a first sending).
    Delivered,
    /// It arrived and the receiver took it, but it was an MRP retransmission.
    Retransmitted,
    /// It arrived and the receiver found it a duplicate.
    Duplicate,
    /// The network dropped it (loss, partition, host down, no route).
    Dropped,
    /// It arrived and the receiver could not decrypt it.
    Undecryptable,
    /// It arrived and the receiver dropped it for another reason (malformed, unknown session…).
    Rejected,
    /// It had not arrived when the run ended.
    InFlight,
    /// Seen in a capture (`paseo decode --pcap`): sent, its arrival unknown.
    Captured,
}

/// One copy of a datagram on the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flight {
    /// Index of the record of its sending (`None`: it arrived with no sending on record).
    pub tx: Option<usize>,
    /// Indices of the network's records about it (duplication, drop).
    pub net: Vec<usize>,
    /// Index of the record of its arrival.
    pub rx: Option<usize>,
    /// Whether it is the network's second copy.
    pub duplicate_copy: bool,
    /// What became of it.
    pub fate: Fate,
}

/// (sender, receiver, (session id, counter) when the header parses).
type Key<'a> = (&'a str, &'a str, Option<(u16, u32)>);

fn ids(record: &TraceRecord) -> Option<(u16, u32)> {
    match &record.wire {
        Some(wire) => header_ids(&wire.bytes),
        None => record.header.as_ref().map(|h| (h.session_id, h.counter)),
    }
}

/// Pairs the datagram records of `records` into flights, in the order of their sending (a
/// flight with no sending at its arrival).
pub fn flights(records: &[TraceRecord]) -> Vec<Flight> {
    let mut flights: Vec<Flight> = Vec::new();
    // Flights in the air per key, oldest first.
    let mut airborne: BTreeMap<Key<'_>, Vec<usize>> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        match r.kind {
            RecordKind::Tx => {
                let key = (r.node.as_str(), r.peer.as_str(), ids(r));
                airborne.entry(key).or_default().push(flights.len());
                flights.push(Flight {
                    tx: Some(i),
                    net: Vec::new(),
                    rx: None,
                    duplicate_copy: false,
                    fate: Fate::InFlight,
                });
            }
            RecordKind::Net => {
                let key = (r.node.as_str(), r.peer.as_str(), ids(r));
                let Some(queue) = airborne.get_mut(&key) else {
                    continue;
                };
                let sent_now = |f: &usize| {
                    flights
                        .get(*f)
                        .and_then(|f| f.tx)
                        .and_then(|t| records.get(t))
                        .is_some_and(|t| t.at == r.at)
                };
                // The copy just sent, if this is the network's decision on sending it.
                let newest = queue
                    .last()
                    .copied()
                    .filter(|f| sent_now(f) && !queue_has_copy_of(&flights, queue, *f));
                if r.decision.starts_with("duplicated") {
                    let Some(original) = newest else { continue };
                    let tx = flights.get(original).and_then(|f| f.tx);
                    if let Some(f) = flights.get_mut(original) {
                        f.net.push(i);
                    }
                    queue.push(flights.len());
                    flights.push(Flight {
                        tx,
                        net: vec![i],
                        rx: None,
                        duplicate_copy: true,
                        fate: Fate::InFlight,
                    });
                } else {
                    let position = match newest {
                        Some(_) => queue.len().checked_sub(1),
                        None => (!queue.is_empty()).then_some(0),
                    };
                    if let Some(f) = position.map(|p| queue.remove(p))
                        && let Some(flight) = flights.get_mut(f)
                    {
                        flight.net.push(i);
                        flight.fate = Fate::Dropped;
                    }
                }
            }
            RecordKind::Rx => {
                let key = (r.peer.as_str(), r.node.as_str(), ids(r));
                let same_bytes = |f: &usize| {
                    let sent = flights
                        .get(*f)
                        .and_then(|f| f.tx)
                        .and_then(|t| records.get(t))
                        .and_then(|t| t.wire.as_ref());
                    sent.map(|w| &w.bytes) == r.wire.as_ref().map(|w| &w.bytes)
                };
                let taken = airborne.get_mut(&key).and_then(|queue| {
                    let position = queue
                        .iter()
                        .position(same_bytes)
                        .or((!queue.is_empty()).then_some(0))?;
                    Some(queue.remove(position))
                });
                let fate = arrival_fate(r, taken.and_then(|f| flights.get(f)), records);
                match taken.and_then(|f| flights.get_mut(f)) {
                    Some(flight) => {
                        flight.rx = Some(i);
                        flight.fate = fate;
                    }
                    None => flights.push(Flight {
                        tx: None,
                        net: Vec::new(),
                        rx: Some(i),
                        duplicate_copy: false,
                        fate,
                    }),
                }
            }
            RecordKind::Event | RecordKind::Action => {}
        }
    }
    flights
}

/// Whether a duplicate copy of flight `f` is already in `queue` (then `f` was duplicated
/// and the network's next record is not about its sending).
fn queue_has_copy_of(flights: &[Flight], queue: &[usize], f: usize) -> bool {
    let tx = flights.get(f).and_then(|x| x.tx);
    queue
        .iter()
        .any(|&other| other != f && flights.get(other).is_some_and(|o| o.tx == tx))
}

fn arrival_fate(rx: &TraceRecord, flight: Option<&Flight>, records: &[TraceRecord]) -> Fate {
    let decision = rx.decision.as_str();
    if decision == "duplicate" {
        Fate::Duplicate
    } else if decision == "dropped undecryptable" {
        Fate::Undecryptable
    } else if decision.starts_with("dropped") {
        Fate::Rejected
    } else if flight
        .and_then(|f| f.tx)
        .and_then(|t| records.get(t))
        .is_some_and(|t| t.decision.starts_with("retransmit"))
    {
        Fate::Retransmitted
    } else {
        Fate::Delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paseo_core::time::Instant;
    use paseo_sim::trace::{HeaderSummary, WireDatagram};

    fn datagram(counter: u32, tail: u8) -> Vec<u8> {
        // A minimal unsecured message header: flags, session id 0, security flags, counter.
        let mut bytes = vec![0x00, 0x00, 0x00, 0x00];
        bytes.extend_from_slice(&counter.to_le_bytes());
        bytes.push(tail);
        bytes
    }

    fn rec(
        ms: u64,
        node: &str,
        kind: RecordKind,
        peer: &str,
        bytes: &[u8],
        what: &str,
    ) -> TraceRecord {
        let (session_id, counter) = header_ids(bytes).unwrap_or((0, 0));
        let wire = matches!(kind, RecordKind::Tx | RecordKind::Rx).then(|| WireDatagram {
            src: "[fe80::1]:5540".parse().expect("addr"),
            dst: "[fe80::2]:5540".parse().expect("addr"),
            bytes: bytes.to_vec(),
        });
        TraceRecord {
            at: Instant::from_micros(ms * 1000),
            node: node.into(),
            kind,
            peer: peer.into(),
            header: Some(HeaderSummary {
                session_id,
                counter,
                exchange: None,
                opaque: None,
            }),
            subject: String::new(),
            decision: what.into(),
            wire,
        }
    }

    fn fates(records: &[TraceRecord]) -> Vec<(Option<usize>, Option<usize>, Fate)> {
        flights(records)
            .into_iter()
            .map(|f| (f.tx, f.rx, f.fate))
            .collect()
    }

    #[test]
    fn pairs_sendings_drops_retransmissions_and_duplicates() {
        use RecordKind::{Net, Rx, Tx};
        let a = datagram(7, 1);
        let b = datagram(8, 2);
        let records = vec![
            rec(1, "ctrl", Tx, "dev", &a, "sent"), // 0
            rec(1, "ctrl", Net, "dev", &a, "dropped by network (loss)"), // 1
            rec(300, "ctrl", Tx, "dev", &a, "retransmit 1"), // 2
            rec(300, "ctrl", Net, "dev", &a, "duplicated by network"), // 3
            rec(310, "dev", Rx, "ctrl", &a, "delivered"), // 4
            rec(312, "dev", Rx, "ctrl", &a, "duplicate"), // 5
            rec(320, "dev", Tx, "ctrl", &b, "sent"), // 6
            rec(330, "ctrl", Rx, "dev", &b, "dropped undecryptable"), // 7
            rec(400, "ctrl", Tx, "dev", &b, "sent"), // 8 (in flight)
        ];
        assert_eq!(
            fates(&records),
            vec![
                (Some(0), None, Fate::Dropped),
                (Some(2), Some(4), Fate::Retransmitted),
                (Some(2), Some(5), Fate::Duplicate),
                (Some(6), Some(7), Fate::Undecryptable),
                (Some(8), None, Fate::InFlight),
            ]
        );
        let dup = &flights(&records)[2];
        assert!(dup.duplicate_copy && dup.net == vec![3]);
    }

    #[test]
    fn a_late_drop_takes_the_oldest_copy_and_an_unsent_arrival_gets_its_own_flight() {
        use RecordKind::{Net, Rx, Tx};
        let a = datagram(7, 1);
        let records = vec![
            rec(1, "ctrl", Tx, "dev", &a, "sent"),
            rec(5, "ctrl", Tx, "dev", &a, "retransmit 1"),
            rec(9, "ctrl", Net, "dev", &a, "dropped by network (host down)"),
            rec(12, "dev", Rx, "ctrl", &a, "delivered"),
            rec(20, "dev", Rx, "evil", &a, "dropped unknown session"),
        ];
        assert_eq!(
            fates(&records),
            vec![
                (Some(0), None, Fate::Dropped),
                (Some(1), Some(3), Fate::Retransmitted),
                (None, Some(4), Fate::Rejected),
            ]
        );
    }

    #[test]
    fn an_arrival_prefers_the_copy_with_its_bytes() {
        use RecordKind::{Rx, Tx};
        // A counter-reusing sender: two datagrams under one counter.
        let (a, b) = (datagram(7, 1), datagram(7, 2));
        let records = vec![
            rec(1, "ctrl", Tx, "dev", &a, "sent"),
            rec(2, "ctrl", Tx, "dev", &b, "sent"),
            rec(9, "dev", Rx, "ctrl", &b, "delivered"),
        ];
        assert_eq!(
            fates(&records),
            vec![
                (Some(0), None, Fate::InFlight),
                (Some(1), Some(2), Fate::Delivered),
            ]
        );
    }
}
