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
    let printed: Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    let expected = json!({
        "message_header": case["message_header"],
        "message_header_length": case["message_header_length"],
        "protocol_header": case["protocol_header"],
        "payload": case["payload"],
    });
    assert_eq!(printed, expected);
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
    assert!(output.stdout.is_empty(), "{output:?}");
    let line = stderr_line(&output);
    assert!(line.contains("truncated source node id"), "{line}");
}
