//! The Wireshark Matter dissector (`tools/wireshark/matter.lua`) on real captures: `paseo run
//! --pcap --keylog --trace` writes a scenario's capture, its session keys and its trace; `tshark
//! -X lua_script:…` dissects the capture; every datagram must show as Matter, and every one
//! whose protocol header the trace shows must read exactly as the trace's line does (session,
//! counter, exchange, flags, ack, protocol/opcode with StatusReport codes) — which for secure
//! sessions means the dissector decrypted it with the key log.
//!
//! tshark is `$TSHARK`, else `tshark` on PATH. Without it the tests print a line and pass,
//! except under `CI=true`, where they fail (.ci/run installs the Debian package `tshark`). Each
//! tshark is killed if it outlives its timeout.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const TSHARK_TIMEOUT: Duration = Duration::from_secs(120);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wireshark-dissector");
    std::fs::create_dir_all(&dir).expect("output dir");
    dir
}

/// tshark, or `None` (after printing why) when the test should be skipped.
fn tshark() -> Option<PathBuf> {
    let found = std::env::var_os("TSHARK").map(PathBuf::from).or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("tshark"))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "CI=true but no tshark: install it (apt-get install -y tshark) or set $TSHARK"
        );
        println!("skipped: no tshark on PATH and $TSHARK unset");
    }
    found
}

/// Runs `paseo run` on a library scenario; returns (pcap, keylog, trace JSON lines) paths.
fn capture(scenario: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = out_dir();
    let pcap = dir.join(format!("{scenario}.pcap"));
    let keys = dir.join(format!("{scenario}.keys"));
    let trace = dir.join(format!("{scenario}.jsonl"));
    let status = Command::new(env!("CARGO_BIN_EXE_paseo"))
        .arg("run")
        .arg(root().join("scenarios").join(format!("{scenario}.yaml")))
        .arg("--quiet")
        .arg("--pcap")
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keys)
        .arg("--trace")
        .arg(&trace)
        .stdout(Stdio::null())
        .status()
        .expect("paseo runs");
    assert!(status.success(), "{scenario}: {status}");
    (pcap, keys, trace)
}

/// `(protocol column, info column, matter.opcode_name)` of each packet.
fn dissect(tshark: &Path, pcap: &Path, keylog: Option<&Path>) -> Vec<(String, String, String)> {
    let plugin = root().join("tools/wireshark/matter.lua");
    let mut cmd = Command::new(tshark);
    cmd.arg("-X")
        .arg(format!("lua_script:{}", plugin.display()))
        .arg("-n");
    if let Some(keys) = keylog {
        cmd.arg("-o")
            .arg(format!("matter.keylog_file:{}", keys.display()));
    }
    let stdout = out_dir().join(format!(
        "{}.tshark-{}.out",
        pcap.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("capture"),
        keylog.is_some()
    ));
    let mut child = cmd
        .arg("-r")
        .arg(pcap)
        .args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"])
        .args(["-e", "_ws.col.Protocol", "-e", "_ws.col.Info"])
        .args(["-e", "matter.opcode_name"])
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tshark starts");
    let deadline = Instant::now() + TSHARK_TIMEOUT;
    let status = loop {
        match child.try_wait().expect("wait for tshark") {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("tshark took longer than {TSHARK_TIMEOUT:?}");
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert!(status.success(), "tshark: {status}");
    std::fs::read_to_string(&stdout)
        .expect("tshark output")
        .lines()
        .map(|line| {
            let mut cols = line.split('\t').map(str::to_owned);
            (
                cols.next().unwrap_or_default(),
                cols.next().unwrap_or_default(),
                cols.next().unwrap_or_default(),
            )
        })
        .collect()
}

/// The trace's sent datagrams (what `--pcap` captures), as (header text, opcode if shown).
fn sent(trace: &Path) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(trace).expect("trace");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .filter(|r| r["kind"] == "tx" && r.get("wire").is_some())
        .map(|r| {
            let h = &r["header"];
            let mut line = format!("s={} c={}", h["session_id"], h["counter"]);
            let x = &h["exchange"];
            let opcode = x["opcode"].as_str().map(str::to_owned);
            if x.is_object() {
                let flag = |on: bool, c: char| if on { c } else { '-' };
                line.push_str(&format!(
                    " x={} {}{}{}",
                    x["exchange_id"],
                    flag(x["initiator"] == true, 'I'),
                    flag(x.get("ack").is_some(), 'A'),
                    flag(x["reliable"] == true, 'R'),
                ));
                if let Some(ack) = x.get("ack") {
                    line.push_str(&format!(" a={ack}"));
                }
                line.push_str(&format!(
                    " {}/{}",
                    x["protocol"].as_str().unwrap_or("?"),
                    opcode.as_deref().unwrap_or("?")
                ));
            }
            (line, opcode)
        })
        .collect()
}

/// Every datagram of `scenario` is Matter; each the trace decodes reads as its trace line.
/// Returns how many were secure-session datagrams the dissector decrypted.
fn check_scenario(tshark: &Path, scenario: &str) -> usize {
    let (pcap, keys, trace) = capture(scenario);
    let want = sent(&trace);
    let got = dissect(tshark, &pcap, Some(&keys));
    assert_eq!(got.len(), want.len(), "{scenario}: one packet per datagram");
    assert!(!want.is_empty(), "{scenario}: the capture has datagrams");
    let mut decrypted = 0;
    for (i, ((line, opcode), (proto, info, opcode_name))) in want.iter().zip(&got).enumerate() {
        assert_eq!(proto, "Matter", "{scenario} packet {}: {info}", i + 1);
        match opcode {
            Some(op) => {
                assert_eq!(info, line, "{scenario} packet {}", i + 1);
                assert_eq!(opcode_name, op, "{scenario} packet {}", i + 1);
                if !line.starts_with("s=0 ") {
                    decrypted += 1;
                }
            }
            // The trace could not show it (no key at the receiver, malformed): the dissector
            // still shows the same message header.
            None => {
                let ids = line.split(' ').take(2).collect::<Vec<_>>().join(" ");
                assert!(
                    info.starts_with(&ids),
                    "{scenario} packet {}: {info}",
                    i + 1
                );
            }
        }
    }
    decrypted
}

#[test]
fn pase_session_decrypts_with_the_keylog() {
    let Some(tshark) = tshark() else { return };
    // PBKDF/PAKE, a StatusReport with its code, IM on the PASE session, standalone acks.
    let decrypted = check_scenario(&tshark, "pase-pairing");
    assert!(decrypted >= 10, "decrypted {decrypted}");
}

#[test]
fn case_sessions_decrypt_with_operational_node_ids_and_close_session() {
    let Some(tshark) = tshark() else { return };
    // PASE, full CASE, then resumption, closing sessions with CloseSession StatusReports:
    // nonces with the operational node ids.
    let decrypted = check_scenario(&tshark, "case-resumption");
    assert!(decrypted > 0, "decrypted {decrypted}");
    let keys = std::fs::read_to_string(out_dir().join("case-resumption.keys")).expect("keys");
    assert!(keys.lines().count() >= 3, "{keys}");
    assert!(
        keys.lines().all(|l| l.starts_with("MATTER_SESSION ")),
        "{keys}"
    );
    assert!(
        keys.lines()
            .any(|l| !l.contains("initiator_node=0000000000000000")),
        "{keys}"
    );
    let (pcap, keys, _) = capture("case-resumption");
    let got = dissect(&tshark, &pcap, Some(&keys));
    assert!(
        got.iter()
            .any(|(_, info, op)| op == "StatusReport(CloseSession)" && !info.starts_with("s=0 ")),
        "{got:?}"
    );
}

#[test]
fn ten_node_capture() {
    let Some(tshark) = tshark() else { return };
    assert!(check_scenario(&tshark, "multi-node-pairing") > 0);
}

#[test]
fn without_the_keylog_secure_messages_stay_encrypted() {
    let Some(tshark) = tshark() else { return };
    let (pcap, _, trace) = capture("pase-pairing");
    let want = sent(&trace);
    let got = dissect(&tshark, &pcap, None);
    assert_eq!(got.len(), want.len());
    let mut secure = 0;
    for ((line, _), (proto, info, _)) in want.iter().zip(&got) {
        assert_eq!(proto, "Matter");
        if !line.starts_with("s=0 ") {
            secure += 1;
            assert!(info.ends_with(" [encrypted]"), "{info}");
        }
    }
    assert!(secure > 0);
}

/// Captures from real runs use other ports: the heuristic takes them (before WireGuard's, which
/// matches the unsecured header `04 00 00 00` on some lengths).
#[test]
fn heuristic_claims_matter_on_other_ports() {
    let Some(tshark) = tshark() else { return };
    let (pcap, keys, trace) = capture("pase-pairing");
    let bytes = std::fs::read(&pcap).expect("pcap");
    // Classic pcap: 24-byte global header, then 16-byte record headers; each packet is IPv6
    // (40 bytes) + UDP, whose first four bytes are the ports.
    let mut moved = bytes.get(..24).expect("global header").to_vec();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes")) as usize;
        let mut packet = bytes[at + 16..at + 16 + len].to_vec();
        packet[40..44].copy_from_slice(&[0x9c, 0x41, 0x9c, 0x42]); // 40001 -> 40002
        moved.extend_from_slice(&bytes[at..at + 16]);
        moved.extend_from_slice(&packet);
        at += 16 + len;
    }
    let other = out_dir().join("other-ports.pcap");
    std::fs::write(&other, moved).expect("write");
    let got = dissect(&tshark, &other, Some(&keys));
    let want = sent(&trace);
    assert_eq!(got.len(), want.len());
    for ((line, _), (proto, info, _)) in want.iter().zip(&got) {
        assert_eq!((proto.as_str(), info.as_str()), ("Matter", line.as_str()));
    }
}
