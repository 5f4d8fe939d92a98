//! The trace's output forms: text, JSON lines, pcap (parsed back here, checksums verified) and
//! Mermaid. Set `PASEO_TRACE_DIR` to also write them to files (for Wireshark or review).

mod common;

use std::time::Duration;

use paseo_sim::trace::RecordKind;
use paseo_sim::trace::pcap::{CapturePoint, LINKTYPE_RAW, PCAP_MAGIC, udp_checksum};
use paseo_sim::{Action, Impairments, NodeSpec, RunReport};

fn report() -> RunReport {
    let mut sim = common::simulation(70, "trace_formats");
    sim.set_default_impairments(Impairments {
        loss: 0.2,
        ..Impairments::default()
    })
    .unwrap();
    sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
    sim.add_node("dev", NodeSpec::new(2)).unwrap();
    sim.then(Action::install("ctrl", "dev"));
    sim.then(Action::exchange("ctrl", "dev", 4, true));
    sim.then(Action::close("ctrl", "dev", true, true));
    let report = common::run_ok(&mut sim, common::options(Duration::from_secs(30)));
    if let Ok(dir) = std::env::var("PASEO_TRACE_DIR") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("trace.txt"), report.trace.text()).unwrap();
        std::fs::write(dir.join("trace.jsonl"), report.trace.json_lines()).unwrap();
        std::fs::write(dir.join("sent.pcap"), report.trace.pcap(CapturePoint::Sent)).unwrap();
        std::fs::write(
            dir.join("received.pcap"),
            report.trace.pcap(CapturePoint::Received),
        )
        .unwrap();
        std::fs::write(dir.join("trace.mmd"), report.trace.mermaid()).unwrap();
    }
    report
}

fn u16_be(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn u32_le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

#[test]
fn pcap_has_one_valid_ipv6_udp_packet_per_datagram() {
    let report = report();
    for (point, kind) in [
        (CapturePoint::Sent, RecordKind::Tx),
        (CapturePoint::Received, RecordKind::Rx),
    ] {
        let pcap = report.trace.pcap(point);
        let records: Vec<_> = report
            .trace
            .records
            .iter()
            .filter(|r| r.kind == kind)
            .collect();
        assert_eq!(u32_le(&pcap, 0), PCAP_MAGIC);
        assert_eq!(&pcap[4..8], &[2, 0, 4, 0]);
        assert_eq!(u32_le(&pcap, 20), LINKTYPE_RAW);
        let mut at = 24;
        let mut packets = 0;
        while at < pcap.len() {
            let (sec, usec) = (u32_le(&pcap, at), u32_le(&pcap, at + 4));
            let (caplen, origlen) = (
                u32_le(&pcap, at + 8) as usize,
                u32_le(&pcap, at + 12) as usize,
            );
            assert_eq!(caplen, origlen);
            let packet = &pcap[at + 16..at + 16 + caplen];
            let record = records[packets];
            let wire = record.wire.as_ref().unwrap();
            assert_eq!(
                u64::from(sec) * 1_000_000 + u64::from(usec),
                record.at.as_micros()
            );
            assert_eq!(packet[0] >> 4, 6);
            assert_eq!(packet[6], 17);
            assert_eq!(usize::from(u16_be(packet, 4)), caplen - 40);
            let udp = &packet[40..];
            assert_eq!(u16_be(udp, 0), wire.src.port());
            assert_eq!(u16_be(udp, 2), wire.dst.port());
            assert_eq!(usize::from(u16_be(udp, 4)), udp.len());
            assert_eq!(&udp[8..], &wire.bytes[..]);
            let mut zeroed = udp.to_vec();
            zeroed[6] = 0;
            zeroed[7] = 0;
            let (src, dst) = match (wire.src.ip(), wire.dst.ip()) {
                (std::net::IpAddr::V6(s), std::net::IpAddr::V6(d)) => (s, d),
                other => panic!("simulated addresses are IPv6: {other:?}"),
            };
            assert_eq!(&packet[8..24], &src.octets());
            assert_eq!(u16_be(udp, 6), udp_checksum(&src, &dst, &zeroed));
            at += 16 + caplen;
            packets += 1;
        }
        assert_eq!(packets, records.len());
        assert!(packets >= 8, "{packets} packets");
    }
}

#[test]
fn text_json_and_mermaid_describe_the_same_records() {
    let report = report();
    let text = report.trace.text();
    let json = report.trace.json_lines();
    assert_eq!(text.lines().count(), report.trace.records.len());
    assert_eq!(json.lines().count(), report.trace.records.len());
    let mut last = 0;
    for (line, record) in json.lines().zip(&report.trace.records) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = v["t_us"].as_u64().unwrap();
        assert!(t >= last, "time goes backwards at {line}");
        last = t;
        assert_eq!(v["node"], record.node.as_str());
        assert_eq!(v["decision"], record.decision.as_str());
    }
    // Text lines: time with three decimals, node, arrow, peer, …, " : " decision.
    for (line, record) in text.lines().zip(&report.trace.records) {
        let mut words = line.split_whitespace();
        let time = words.next().unwrap();
        assert_eq!(
            time.split_once('.').map(|(_, ms)| ms.len()),
            Some(3),
            "{line}"
        );
        assert_eq!(words.next(), Some(record.node.as_str()));
        assert_eq!(words.next(), Some(record.kind.arrow()));
        assert!(line.ends_with(&format!(" : {}", record.decision)), "{line}");
    }
    // The encrypted CloseSession is decoded for the trace through the receiver's session.
    assert!(
        text.contains("SC/StatusReport(CloseSession) : delivered"),
        "{text}"
    );
    assert!(text.contains("ctrl ** dev s="), "{text}");
    let mermaid = report.trace.mermaid();
    assert!(mermaid.starts_with("sequenceDiagram\n    participant ctrl\n    participant dev\n"));
    let rx = report
        .trace
        .records
        .iter()
        .filter(|r| r.kind == RecordKind::Rx)
        .count();
    let arrows = mermaid.lines().filter(|l| l.contains("->>")).count();
    assert_eq!(arrows, rx);
    assert!(mermaid.lines().any(|l| l.contains("-x")));
}
