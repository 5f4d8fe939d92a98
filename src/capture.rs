//! `paseo decode --pcap FILE`: the UDP datagrams of a capture (ours from `--pcap`, or a real
//! one: pcap or pcapng; raw IP, Ethernet, Linux cooked or BSD loopback link types) become a
//! trace, one `->` line per datagram with its Matter header, decrypted with the key log when
//! one is given. pcap/pcapng framing is read by the `pcap-file` crate and the IP/UDP headers by
//! `etherparse`.

use std::net::{IpAddr, SocketAddr};

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use paseo_core::codec::{Message, ProtocolMessage};
use paseo_core::time::Instant;
use paseo_sim::trace::{
    HeaderSummary, Opaque, RecordKind, Trace, TraceRecord, WireDatagram, exchange_summary,
    summarize,
};
use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};

use crate::decode::Keys;

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be read.
    #[error("cannot read {path}: {error}")]
    File {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// Neither pcap nor pcapng, or cut short.
    #[error("not a readable pcap or pcapng capture: {0}")]
    Format(#[from] pcap_file::PcapError),
}

/// One UDP datagram of a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// Capture time, microseconds after the first packet.
    pub at_us: u64,
    /// Source address.
    pub src: SocketAddr,
    /// Destination address.
    pub dst: SocketAddr,
    /// The UDP payload.
    pub payload: Vec<u8>,
}

/// The UDP datagrams of `bytes` (pcap or pcapng), in capture order; packets that are not
/// UDP over IP on a known link type are skipped.
pub fn datagrams(bytes: &[u8]) -> Result<Vec<Datagram>, CaptureError> {
    // (absolute capture time in µs, link type, packet bytes)
    let mut raw: Vec<(u64, DataLink, Vec<u8>)> = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut reader = PcapNgReader::new(bytes)?;
        // Each interface's link type and its timestamp unit (if_tsresol, default µs).
        let mut links: Vec<(DataLink, TicksPerSecond)> = Vec::new();
        while let Some(block) = reader.next_block() {
            match block? {
                Block::InterfaceDescription(i) => {
                    let mut resolution = TicksPerSecond::Decimal(6);
                    for option in &i.options {
                        if let InterfaceDescriptionOption::IfTsResol(r) = option {
                            resolution = if r & 0x80 == 0 {
                                TicksPerSecond::Decimal(*r)
                            } else {
                                TicksPerSecond::Binary(r & 0x7f)
                            };
                        }
                    }
                    links.push((i.linktype, resolution));
                }
                Block::EnhancedPacket(p) => {
                    let (link, resolution) = usize::try_from(p.interface_id)
                        .ok()
                        .and_then(|i| links.get(i).copied())
                        .unwrap_or((DataLink::ETHERNET, TicksPerSecond::Decimal(6)));
                    // pcap-file hands the raw 64-bit tick count over as nanoseconds.
                    let micros = resolution.micros(p.timestamp.as_nanos());
                    raw.push((micros, link, p.data.into_owned()));
                }
                Block::SimplePacket(p) => {
                    let link = links.first().map_or(DataLink::ETHERNET, |l| l.0);
                    raw.push((0, link, p.data.into_owned()));
                }
                _ => {}
            }
        }
    } else {
        let mut reader = PcapReader::new(bytes)?;
        let link = reader.header().datalink;
        while let Some(packet) = reader.next_packet() {
            let packet = packet?;
            let micros = u64::try_from(packet.timestamp.as_micros()).unwrap_or(u64::MAX);
            raw.push((micros, link, packet.data.into_owned()));
        }
    }
    let start = raw.first().map(|(t, _, _)| *t).unwrap_or_default();
    Ok(raw
        .iter()
        .filter_map(|(t, link, data)| {
            udp(*link, data).map(|(src, dst, payload)| Datagram {
                at_us: t.saturating_sub(start),
                src,
                dst,
                payload: payload.to_vec(),
            })
        })
        .collect())
}

/// A pcapng interface's timestamp unit: 10^-n or 2^-n seconds.
#[derive(Clone, Copy, Debug)]
enum TicksPerSecond {
    Decimal(u8),
    Binary(u8),
}

impl TicksPerSecond {
    fn micros(self, ticks: u128) -> u64 {
        let us = match self {
            TicksPerSecond::Decimal(n) => {
                let n = u32::from(n);
                if n >= 6 {
                    ticks / 10u128.saturating_pow(n - 6)
                } else {
                    ticks.saturating_mul(10u128.saturating_pow(6 - n))
                }
            }
            TicksPerSecond::Binary(n) => ticks.saturating_mul(1_000_000) >> u32::from(n).min(127),
        };
        u64::try_from(us).unwrap_or(u64::MAX)
    }
}

fn udp(link: DataLink, data: &[u8]) -> Option<(SocketAddr, SocketAddr, &[u8])> {
    let sliced = match link {
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        // BSD loopback: a 4-byte address family in host order, then the IP packet.
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(data.get(4..)?),
        _ => return None,
    }
    .ok()?;
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match sliced.net? {
        NetSlice::Ipv4(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        NetSlice::Ipv6(ip) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        NetSlice::Arp(_) => return None,
    };
    match sliced.transport? {
        TransportSlice::Udp(u) => Some((
            SocketAddr::new(src_ip, u.source_port()),
            SocketAddr::new(dst_ip, u.destination_port()),
            u.payload(),
        )),
        _ => None,
    }
}

/// What the trace shows of a captured datagram, decrypted with `keys` when it can be.
pub fn summary(datagram: &[u8], keys: &Keys) -> HeaderSummary {
    // Malformed and unsecured datagrams read as the simulator's trace reads them.
    let mut summary = summarize(datagram, None);
    let Ok(message) = Message::decode(datagram) else {
        return summary;
    };
    if message.header.is_unsecured() {
        return summary;
    }
    summary.exchange = None;
    summary.opaque = match keys.decrypt(&message) {
        Some((plain, _)) => match ProtocolMessage::decode(&plain) {
            Ok(pm) => {
                summary.exchange = Some(exchange_summary(&pm.header, pm.payload));
                None
            }
            Err(_) => Some(Opaque::Malformed),
        },
        None if keys.is_empty() => Some(Opaque::NoKey),
        None => Some(Opaque::Undecryptable),
    };
    summary
}

/// The trace of a capture: one `->` record per datagram, nodes named by address.
pub fn trace(datagrams: &[Datagram], keys: &Keys) -> Trace {
    Trace {
        records: datagrams
            .iter()
            .map(|d| TraceRecord {
                at: Instant::from_micros(d.at_us),
                node: d.src.to_string(),
                kind: RecordKind::Tx,
                peer: d.dst.to_string(),
                header: Some(summary(&d.payload, keys)),
                subject: String::new(),
                decision: "captured".to_owned(),
                wire: Some(WireDatagram {
                    src: d.src,
                    dst: d.dst,
                    bytes: d.payload.clone(),
                }),
            })
            .collect(),
    }
}

/// Reads `path` and builds its trace.
pub fn trace_of_file(path: &std::path::Path, keys: &Keys) -> Result<Trace, CaptureError> {
    let bytes = std::fs::read(path).map_err(|error| CaptureError::File {
        path: path.display().to_string(),
        error,
    })?;
    Ok(trace(&datagrams(&bytes)?, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_tick_units() {
        assert_eq!(TicksPerSecond::Decimal(6).micros(1_500), 1_500);
        assert_eq!(TicksPerSecond::Decimal(9).micros(1_500_000), 1_500);
        assert_eq!(TicksPerSecond::Decimal(3).micros(2), 2_000);
        assert_eq!(TicksPerSecond::Binary(10).micros(1024), 1_000_000);
    }

    #[test]
    fn our_pcap_round_trips_through_the_reader() {
        let src: SocketAddr = "[fe80::1]:5540".parse().unwrap();
        let dst: SocketAddr = "10.0.0.2:5541".parse().unwrap();
        let trace = Trace {
            records: vec![TraceRecord {
                at: Instant::from_micros(2_500),
                node: "a".into(),
                kind: RecordKind::Tx,
                peer: "b".into(),
                header: None,
                subject: String::new(),
                decision: "sent".into(),
                wire: Some(WireDatagram {
                    src,
                    dst,
                    bytes: vec![1, 2, 3],
                }),
            }],
        };
        let bytes = trace.pcap(paseo_sim::trace::pcap::CapturePoint::Sent);
        let got = datagrams(&bytes).unwrap();
        // IPv4 is written IPv4-mapped.
        let mapped: SocketAddr = "[::ffff:10.0.0.2]:5541".parse().unwrap();
        assert_eq!(
            got,
            vec![Datagram {
                at_us: 0,
                src,
                dst: mapped,
                payload: vec![1, 2, 3]
            }]
        );
        assert!(matches!(
            datagrams(b"not a capture at all"),
            Err(CaptureError::Format(_))
        ));
    }
}
