//! Runs the built `paseo` binary: `decode --json` on a real captured datagram (public
//! matter.js MessageCodec example 1 in message_codec.json) and on bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

/// Exit code the CLI uses for undecodable input.
const EXIT_BAD_INPUT: i32 = 3;

/// The repository's `vectors/` (`PASEO_VECTORS` overrides), as core/tests/common does.
fn vectors_dir() -> PathBuf {
    std::env::var_os("PASEO_VECTORS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors"),
        PathBuf::from,
    )
}

fn codec_case(description_prefix: &str) -> Value {
    let path = vectors_dir().join("message_codec.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: Value = serde_json::from_str(&text).expect("message_codec.json parses");
    file["cases"]
        .as_array()
        .expect("cases array")
        .iter()
        .find(|c| {
            c["description"]
                .as_str()
                .is_some_and(|d| d.starts_with(description_prefix))
        })
        .unwrap_or_else(|| panic!("no case starting with {description_prefix:?}"))
        .clone()
}

fn paseo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paseo"))
        .args(args)
        .output()
        .expect("paseo binary runs")
}

fn stderr_line(output: &Output) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8");
    assert_eq!(
        stderr.lines().count(),
        1,
        "exactly one error line: {stderr:?}"
    );
    stderr
}

#[test]
fn json_of_captured_datagram_equals_vector_fields() {
    let case = codec_case("public matter.js MessageCodec example 1");
    let encoded = case["encoded"].as_str().expect("encoded hex");
    let output = paseo(&["decode", "--json", encoded]);
    assert!(
        output.status.success(),
        "exit {:?}: {output:?}",
        output.status
    );
    assert!(output.stderr.is_empty(), "{output:?}");

    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    assert_eq!(
        stdout.trim_end().lines().count(),
        1,
        "one JSON object: {stdout}"
    );
    let mut printed: Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    // The names and the payload's TLV tree come on top of the vector's fields.
    let object = printed.as_object_mut().expect("an object");
    assert_eq!(object.remove("protocol_name"), Some(json!("SC")));
    assert_eq!(
        object.remove("opcode_name"),
        Some(json!("PBKDFParamRequest"))
    );
    let tlv = object.remove("payload_tlv").expect("payload_tlv");
    // PBKDFParamRequest (§4.14.1.2): 1 initiatorRandom (32 octets), 2 session id, 3 passcode
    // id 0, 4 hasPBKDFParameters false, 5 the session parameters structure.
    assert_eq!(tlv["1"].as_str().map(str::len), Some(4 + 64), "{tlv}");
    assert!(tlv["2"].is_u64(), "{tlv}");
    assert_eq!(tlv["3"], 0);
    assert_eq!(tlv["4"], false);
    assert!(tlv["5"].is_object(), "{tlv}");
    let expected = json!({
        "message_header": case["message_header"],
        "message_header_length": case["message_header_length"],
        "protocol_header": case["protocol_header"],
        "payload": case["payload"],
    });
    assert_eq!(printed, expected);
}

/// A scenario run with `--trace`, `--keylog` and `--pcap` into a fresh directory.
fn run_scenario(name: &str) -> (PathBuf, Vec<Value>) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-decode-{name}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
    let out = |f: &str| dir.join(f).display().to_string();
    let output = paseo(&[
        "run",
        &scenario.display().to_string(),
        "--quiet",
        "--trace",
        &out("trace.jsonl"),
        "--keylog",
        &out("keys"),
        "--pcap",
        &out("capture.pcap"),
    ]);
    assert!(output.status.success(), "{output:?}");
    let trace = std::fs::read_to_string(dir.join("trace.jsonl")).expect("trace");
    let records = trace
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    (dir, records)
}

/// Sent datagrams on a secure session whose trace line names the opcode: (hex, opcode).
fn secure_sent(records: &[Value]) -> Vec<(String, String)> {
    records
        .iter()
        .filter(|r| r["kind"] == "tx" && r["header"]["session_id"] != 0)
        .filter_map(|r| {
            Some((
                r["wire"]["bytes"].as_str()?.to_owned(),
                r["header"]["exchange"]["opcode"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

#[test]
fn keylog_decrypts_captured_secure_datagrams() {
    // PASE, CASE and resumed CASE sessions: I2R and R2I, nonces with and without node ids.
    let (dir, records) = run_scenario("case-resumption");
    let keylog = dir.join("keys").display().to_string();
    let sent = secure_sent(&records);
    assert!(sent.len() >= 5, "{sent:?}");
    for (hex, opcode) in &sent {
        let output = paseo(&["decode", "--json", "--keylog", &keylog, hex]);
        assert!(output.status.success(), "{output:?}");
        let value: Value = serde_json::from_slice(&output.stdout).expect("json");
        assert_eq!(value["opcode_name"], opcode.as_str(), "{value}");
        assert!(value["decrypted_with"].as_str().is_some(), "{value}");
        // Without keys the payload stays opaque.
        let output = paseo(&["decode", "--json", hex]);
        let value: Value = serde_json::from_slice(&output.stdout).expect("json");
        assert!(value.get("opcode_name").is_none(), "{value}");
        assert!(value["encrypted_payload_length"].is_u64(), "{value}");
    }
    let text = paseo(&["decode", "--keylog", &keylog, &sent[0].0]);
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert!(text.contains("decrypted with key log line"), "{text}");
    assert!(text.contains(&format!("/{}", sent[0].1)), "{text}");
}

#[test]
fn explicit_keys_decrypt_a_pase_datagram_and_wrong_ones_say_so() {
    let (dir, records) = run_scenario("pase-pairing");
    let keys = std::fs::read_to_string(dir.join("keys")).expect("keys");
    let field = |name: &str| {
        keys.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .expect("field")
            .to_owned()
    };
    let pair = format!("{},{}", field("I2R="), field("R2I="));
    let sent = secure_sent(&records);
    assert!(!sent.is_empty());
    for (hex, opcode) in &sent {
        let output = paseo(&["decode", "--json", "--keys", &pair, hex]);
        let value: Value = serde_json::from_slice(&output.stdout).expect("json");
        assert_eq!(value["opcode_name"], opcode.as_str(), "{value}");
    }
    let wrong = format!("{},{}", "00".repeat(16), "11".repeat(16));
    let output = paseo(&["decode", "--json", "--keys", &wrong, &sent[0].0]);
    assert!(output.status.success(), "{output:?}");
    let value: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value["undecryptable"], true, "{value}");
    let output = paseo(&["decode", "--keys", "00,11", &sent[0].0]);
    assert_eq!(output.status.code(), Some(EXIT_BAD_INPUT), "{output:?}");
    assert!(stderr_line(&output).contains("--keys"));
}

#[test]
fn pcap_decodes_to_the_trace_lines_and_the_viewer() {
    let (dir, records) = run_scenario("case-resumption");
    let html = dir.join("capture.html");
    let output = paseo(&[
        "decode",
        "--pcap",
        &dir.join("capture.pcap").display().to_string(),
        "--keylog",
        &dir.join("keys").display().to_string(),
        "--html",
        &html.display().to_string(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    let sent: Vec<&Value> = records.iter().filter(|r| r["kind"] == "tx").collect();
    assert_eq!(lines.len(), sent.len(), "{stdout}");
    for (line, record) in lines.iter().zip(&sent) {
        // `<time> [src]:port -> [dst]:port <what> : captured`; <what> as in the trace, whose
        // sent lines the receiver's keys decoded.
        let what = line
            .split_once(" -> ")
            .and_then(|(_, rest)| rest.split_once(' '))
            .map(|(_, what)| what)
            .expect("an arrow");
        let h = &record["header"];
        assert!(
            what.starts_with(&format!("s={} c={}", h["session_id"], h["counter"])),
            "{line}"
        );
        if let Some(op) = h["exchange"]["opcode"].as_str() {
            assert!(what.ends_with(&format!("/{op} : captured")), "{line}");
        }
    }
    let page = std::fs::read_to_string(&html).expect("html written");
    assert!(page.contains("CAPTURE"), "viewer verdict");
    // Each datagram is drawn where it was captured, its details decrypted with the key log.
    assert!(page.contains("\"fate\":\"captured\""), "captured fate");
    assert!(
        !page.contains("\"fate\":\"in-flight\""),
        "no arrow runs to the end"
    );
    assert!(
        page.contains("decrypted with key log line"),
        "details decrypted"
    );
    // A file that is no capture is bad input.
    let output = paseo(&["decode", "--pcap", &dir.join("keys").display().to_string()]);
    assert_eq!(output.status.code(), Some(EXIT_BAD_INPUT), "{output:?}");
    assert!(stderr_line(&output).contains("pcap"));
}

#[test]
fn text_of_captured_datagram_names_the_opcode() {
    let case = codec_case("public matter.js MessageCodec example 1");
    let output = paseo(&["decode", case["encoded"].as_str().expect("encoded hex")]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let counter = case["message_header"]["message_counter"].to_string();
    assert!(
        stdout.contains(&format!("message counter: {counter}")),
        "{stdout}"
    );
    assert!(stdout.contains("PBKDFParamRequest"), "{stdout}");
}

#[test]
fn bad_hex_is_one_line_error_with_exit_3() {
    let output = paseo(&["decode", "04000g"]);
    assert_eq!(output.status.code(), Some(EXIT_BAD_INPUT), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    assert!(stderr_line(&output).contains("invalid hex"));
}

#[test]
fn truncated_datagram_is_one_line_error_with_exit_3() {
    // The vector "source node id flag set but only 5 node id bytes".
    let case = codec_case("source node id flag set but only 5");
    assert_eq!(case["valid"], false);
    let output = paseo(&[
        "decode",
        "--json",
        case["encoded"].as_str().expect("encoded hex"),
    ]);
    assert_eq!(output.status.code(), Some(EXIT_BAD_INPUT), "{output:?}");
    // With --json, stdout is one JSON object even for an error; stderr says it to a person.
    let error: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object on stdout");
    assert_eq!(error["exit_code"], EXIT_BAD_INPUT);
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("truncated source node id")),
        "{error}"
    );
    let line = stderr_line(&output);
    assert!(line.contains("truncated source node id"), "{line}");
}
