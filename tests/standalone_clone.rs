//! A clone stands on its own: no file in the repository reads or points to a directory beside
//! the clone, or cites a document that is not in it. The vectors the tests read are in
//! `vectors/`; protocol citations name the Matter specification or a peer's source file
//! (docs/ARCHITECTURE.md, "References").

use std::path::{Path, PathBuf};

/// Directories that are build output, dependencies or scratch space, not repository content.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    "work",
    "artifacts",
    ".peer-storage",
];

/// Every regular file under `dir`, in a stable order, skipping [`SKIPPED_DIRS`].
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry"))
        .collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let kind = entry.file_type().expect("file type");
        let path = entry.path();
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&entry.file_name().to_string_lossy().as_ref()) {
                files(&path, out);
            }
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

#[test]
fn nothing_in_the_repository_points_outside_the_clone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Built from pieces so that this file does not match itself.
    let forbidden = [["..", "/shared"].concat(), ["SESSION", "-LAYER"].concat()];
    let mut all = Vec::new();
    files(root, &mut all);
    assert!(
        all.len() > 100,
        "walked only {} files under {}",
        all.len(),
        root.display()
    );
    let mut hits = Vec::new();
    for path in &all {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for needle in &forbidden {
            if bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
            {
                hits.push(format!("{} mentions {needle}", path.display()));
            }
        }
    }
    assert!(hits.is_empty(), "{hits:#?}");
}
