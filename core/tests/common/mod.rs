//! Shared helpers for behaviour tests: loading the known-answer vectors.
//!
//! Vectors live in the repository's `vectors/` directory (origin and cross-checks in
//! `vectors/README.md`); `PASEO_VECTORS` overrides the directory.

#![allow(dead_code)]

use std::path::PathBuf;

/// Directory holding the known-answer vectors.
pub fn vectors_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PASEO_VECTORS") {
        return PathBuf::from(dir);
    }
    // core/ -> the workspace root, which holds vectors/.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// Parses one vector file; panics with the path if it is missing or malformed (a test setup
/// error, not a behaviour under test).
pub fn load(name: &str) -> serde_json::Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector file {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("cannot parse vector file {}: {e}", path.display()))
}

/// The `cases` array of a vector file.
pub fn cases(name: &str) -> Vec<serde_json::Value> {
    let file = load(name);
    let cases = file["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} has no cases array"))
        .clone();
    assert!(!cases.is_empty(), "{name} has no cases");
    cases
}

/// Decodes a lowercase hex string field.
pub fn hex_field(case: &serde_json::Value, field: &str) -> Vec<u8> {
    let s = case[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing or not a string in {case}"));
    hex::decode(s).unwrap_or_else(|e| panic!("field {field} is not hex: {e}"))
}
