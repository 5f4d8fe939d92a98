//! Classic libpcap output (the format every Wireshark opens): link type RAW (101), each packet
//! an IPv6 header, a UDP header with its checksum, and the Matter datagram, stamped with the
//! virtual clock. IPv4 addresses (real-UDP runs) are written as IPv4-mapped IPv6.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use super::{RecordKind, Trace};

/// LINKTYPE_RAW: the packet starts with an IPv4 or IPv6 header.
pub const LINKTYPE_RAW: u32 = 101;
/// pcap magic for microsecond timestamps.
pub const PCAP_MAGIC: u32 = 0xa1b2_c3d4;
const SNAPLEN: u32 = 65_535;
const IPV6_HEADER_LEN: usize = 40;
const UDP_HEADER_LEN: usize = 8;
const NEXT_HEADER_UDP: u8 = 17;

/// Which datagram records become packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapturePoint {
    /// Every datagram a node sent (as a capture at the senders: includes those the network
    /// then dropped, and each retransmission).
    Sent,
    /// Every datagram a node was handed (as a capture at the receivers: includes network
    /// duplicates, excludes losses).
    Received,
}

impl Trace {
    /// The trace as a pcap file.
    pub fn pcap(&self, point: CapturePoint) -> Vec<u8> {
        let kind = match point {
            CapturePoint::Sent => RecordKind::Tx,
            CapturePoint::Received => RecordKind::Rx,
        };
        let mut out = global_header();
        for record in self.records.iter().filter(|r| r.kind == kind) {
            if let Some(wire) = &record.wire {
                let packet = ipv6_udp(wire.src, wire.dst, &wire.bytes);
                push_packet(&mut out, record.at.as_micros(), &packet);
            }
        }
        out
    }
}

fn global_header() -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    out.extend_from_slice(&PCAP_MAGIC.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes()); // version major
    out.extend_from_slice(&4u16.to_le_bytes()); // version minor
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&SNAPLEN.to_le_bytes());
    out.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
    out
}

fn push_packet(out: &mut Vec<u8>, micros: u64, packet: &[u8]) {
    let seconds = u32::try_from(micros / 1_000_000).unwrap_or(u32::MAX);
    let fraction = (micros % 1_000_000) as u32;
    let len = u32::try_from(packet.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&seconds.to_le_bytes());
    out.extend_from_slice(&fraction.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes()); // captured length
    out.extend_from_slice(&len.to_le_bytes()); // original length
    out.extend_from_slice(packet);
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V6(a) => a,
        IpAddr::V4(a) => a.to_ipv6_mapped(),
    }
}

/// An IPv6 + UDP packet carrying `payload` from `src` to `dst`.
pub fn ipv6_udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let (s, d) = (v6(src.ip()), v6(dst.ip()));
    // Matter datagrams are at most 1280 bytes; saturate rather than wrap all the same.
    let udp_len = u16::try_from(UDP_HEADER_LEN + payload.len()).unwrap_or(u16::MAX);
    let mut packet = Vec::with_capacity(IPV6_HEADER_LEN + usize::from(udp_len));
    packet.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, traffic class 0, flow label 0
    packet.extend_from_slice(&udp_len.to_be_bytes()); // payload length
    packet.push(NEXT_HEADER_UDP);
    packet.push(64); // hop limit
    packet.extend_from_slice(&s.octets());
    packet.extend_from_slice(&d.octets());
    let mut udp = Vec::with_capacity(usize::from(udp_len));
    udp.extend_from_slice(&src.port().to_be_bytes());
    udp.extend_from_slice(&dst.port().to_be_bytes());
    udp.extend_from_slice(&udp_len.to_be_bytes());
    udp.extend_from_slice(&[0, 0]); // checksum, filled below
    udp.extend_from_slice(payload);
    let checksum = udp_checksum(&s, &d, &udp);
    if let Some(field) = udp.get_mut(6..8) {
        field.copy_from_slice(&checksum.to_be_bytes());
    }
    packet.extend_from_slice(&udp);
    packet
}

/// The UDP checksum over the IPv6 pseudo-header (RFC 8200 §8.1) and `udp` (header with a zero
/// checksum field, then data). Mandatory over IPv6; a computed 0 is sent as 0xFFFF.
pub fn udp_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, udp: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut add = |bytes: &[u8]| {
        for pair in bytes.chunks(2) {
            let hi = u64::from(pair.first().copied().unwrap_or(0));
            let lo = u64::from(pair.get(1).copied().unwrap_or(0));
            sum += (hi << 8) | lo;
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(udp.len() as u32).to_be_bytes());
    add(&[0, 0, 0, NEXT_HEADER_UDP]);
    add(udp);
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    match !(sum as u16) {
        0 => 0xFFFF,
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_verifies_to_all_ones() {
        let src: SocketAddr = "[fe80::1]:5540".parse().unwrap();
        let dst: SocketAddr = "[fe80::2]:5540".parse().unwrap();
        let packet = ipv6_udp(src, dst, b"\x00\x01\x02odd");
        let udp = &packet[IPV6_HEADER_LEN..];
        // Summing the segment with its checksum in place gives 0xFFFF: the checksum of the
        // whole is then 0, which `udp_checksum` reports as 0xFFFF only by the zero rule, so
        // check the one's complement sum directly.
        let mut sum: u64 = 0;
        let s = v6(src.ip()).octets();
        let d = v6(dst.ip()).octets();
        let mut words = Vec::new();
        words.extend_from_slice(&s);
        words.extend_from_slice(&d);
        words.extend_from_slice(&(udp.len() as u32).to_be_bytes());
        words.extend_from_slice(&[0, 0, 0, 17]);
        words.extend_from_slice(udp);
        if words.len() % 2 == 1 {
            words.push(0);
        }
        for w in words.chunks(2) {
            sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        while sum > 0xFFFF {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        assert_eq!(sum, 0xFFFF);
        assert_eq!(&packet[4..6], &(8u16 + 6).to_be_bytes());
        assert_eq!(packet[6], 17);
    }

    #[test]
    fn known_checksum() {
        // Hand-computed for fe80::1 → fe80::2, ports 1 → 2, payload "ab".
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "fe80::2".parse().unwrap();
        let udp = [0, 1, 0, 2, 0, 10, 0, 0, b'a', b'b'];
        // pseudo: fe80 + 1 + fe80 + 2 + 10 (len) + 17; udp: 1 + 2 + 10 + 0x6162
        let sum: u32 = 0xfe80 + 1 + 0xfe80 + 2 + 10 + 17 + 1 + 2 + 10 + 0x6162;
        let folded = (sum & 0xFFFF) + (sum >> 16);
        assert_eq!(udp_checksum(&src, &dst, &udp), !(folded as u16));
    }
}
