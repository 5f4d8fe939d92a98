//! The known-answer vectors travel with the repository: every file INDEX.md lists is in
//! `vectors/` and parses with content, and every vector file there is listed, so a bare clone
//! runs every vector test (vectors/README.md).

use std::collections::BTreeSet;
use std::path::PathBuf;

/// `vectors/` at the workspace root, never the `PASEO_VECTORS` override: this test is about
/// what the repository itself carries.
fn repo_vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// File names in the first column of INDEX.md's table.
fn indexed_files(index: &str) -> BTreeSet<String> {
    index
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|rest| rest.split(" |").next())
        .filter(|name| name.ends_with(".json"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_indexed_vector_file_is_in_the_repository() {
    let dir = repo_vectors();
    let index = std::fs::read_to_string(dir.join("INDEX.md"))
        .unwrap_or_else(|e| panic!("{}/INDEX.md: {e}", dir.display()));
    assert!(
        dir.join("README.md").is_file(),
        "vectors/README.md states their origin"
    );
    let listed = indexed_files(&index);
    assert_eq!(listed.len(), 17, "INDEX.md lists {listed:?}");

    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    assert_eq!(present, listed, "vectors/*.json and INDEX.md disagree");

    for name in &listed {
        let text = std::fs::read_to_string(dir.join(name)).expect("listed file is readable");
        let file: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            file["description"].is_string(),
            "{name} has no `description`"
        );
        // The two live captures are one record each (messages, or a list of handshakes); every
        // other file is a `cases` array with its `name` and `source`.
        let content = match name.as_str() {
            "matterjs_pase_transcript.json" => file["messages"].as_object().map(|m| m.len()),
            "matterjs_case_transcript.json" => file["handshakes"].as_array().map(Vec::len),
            _ => {
                for field in ["name", "source"] {
                    assert!(file[field].is_string(), "{name} has no `{field}`");
                }
                file["cases"].as_array().map(Vec::len)
            }
        };
        assert!(content.is_some_and(|n| n > 0), "{name} is empty");
    }
}
