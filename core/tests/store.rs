//! Behaviour of `paseo_core::store`: one suite over both stores, FileStore persistence,
//! corruption detection (every truncation, every bit), crash leftovers, and a model-based
//! property test against a `BTreeMap`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use paseo_core::store::{CorruptReason, FileStore, MemoryStore, NameKind, Store, StoreError};
use proptest::prelude::*;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("paseo-store-{test}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn invalid_kind(result: Result<impl std::fmt::Debug, StoreError>) -> NameKind {
    match result {
        Err(StoreError::InvalidName { kind, .. }) => kind,
        other => panic!("expected InvalidName, got {other:?}"),
    }
}

/// The shared behaviour every `Store` must show; starts from an empty store.
fn behaviour_suite(store: &mut dyn Store) {
    // Empty store.
    assert_eq!(store.get("sessions", "resumptionRecords").unwrap(), None);
    assert_eq!(store.keys("sessions").unwrap(), Vec::<String>::new());
    assert!(!store.delete("sessions", "resumptionRecords").unwrap());

    // set / get / overwrite; an empty value is distinct from an absent one.
    store
        .set("sessions", "resumptionRecords", b"first")
        .unwrap();
    assert_eq!(
        store.get("sessions", "resumptionRecords").unwrap(),
        Some(b"first".to_vec())
    );
    store
        .set("sessions", "resumptionRecords", b"second")
        .unwrap();
    assert_eq!(
        store.get("sessions", "resumptionRecords").unwrap(),
        Some(b"second".to_vec())
    );
    store.set("sessions", "empty", b"").unwrap();
    assert_eq!(store.get("sessions", "empty").unwrap(), Some(Vec::new()));

    // Keys come back sorted by bytes whatever the insertion order ('B' < 'a' < 'z').
    store.set("sessions", "z", b"1").unwrap();
    store.set("sessions", "B", b"2").unwrap();
    store.set("sessions", "a", b"3").unwrap();
    assert_eq!(
        store.keys("sessions").unwrap(),
        ["B", "a", "empty", "resumptionRecords", "z"]
    );

    // Contexts are independent namespaces.
    store.set("fabrics", "a", b"other").unwrap();
    assert_eq!(store.get("fabrics", "a").unwrap(), Some(b"other".to_vec()));
    assert_eq!(store.get("sessions", "a").unwrap(), Some(b"3".to_vec()));
    assert_eq!(store.keys("fabrics").unwrap(), ["a"]);

    // delete reports presence and removes only that key.
    assert!(store.delete("sessions", "a").unwrap());
    assert!(!store.delete("sessions", "a").unwrap());
    assert_eq!(store.get("sessions", "a").unwrap(), None);
    assert_eq!(store.get("fabrics", "a").unwrap(), Some(b"other".to_vec()));
    assert!(store.delete("fabrics", "a").unwrap());
    assert_eq!(store.keys("fabrics").unwrap(), Vec::<String>::new());

    // Large binary value.
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    store.set("blobs", "big", &big).unwrap();
    assert_eq!(store.get("blobs", "big").unwrap(), Some(big));

    // Invalid names are rejected by every method, before any state changes.
    for context in ["", "../x", "a/b", "Sessions", ".hidden"] {
        assert_eq!(invalid_kind(store.get(context, "k")), NameKind::Context);
        assert_eq!(
            invalid_kind(store.set(context, "k", b"v")),
            NameKind::Context
        );
        assert_eq!(invalid_kind(store.delete(context, "k")), NameKind::Context);
        assert_eq!(invalid_kind(store.keys(context)), NameKind::Context);
    }
    for key in ["", "a/b", "a b", "\u{e9}"] {
        assert_eq!(invalid_kind(store.get("sessions", key)), NameKind::Key);
        assert_eq!(
            invalid_kind(store.set("sessions", key, b"v")),
            NameKind::Key
        );
        assert_eq!(invalid_kind(store.delete("sessions", key)), NameKind::Key);
    }
    assert_eq!(
        store.keys("sessions").unwrap(),
        ["B", "empty", "resumptionRecords", "z"]
    );
}

#[test]
fn memory_store_behaviour() {
    let mut store = MemoryStore::new();
    behaviour_suite(&mut store);
}

#[test]
fn file_store_behaviour() {
    let dir = TempDir::new("behaviour");
    let mut store = FileStore::open(dir.path()).unwrap();
    behaviour_suite(&mut store);
    // Invalid context names never created files; only real contexts did.
    let mut files: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["blobs.pstore", "fabrics.pstore", "sessions.pstore"]);
}

#[test]
fn boxed_stores_behave_alike() {
    let dir = TempDir::new("boxed");
    let stores: Vec<Box<dyn Store>> = vec![
        Box::new(MemoryStore::new()),
        Box::new(FileStore::open(dir.path()).unwrap()),
    ];
    for mut store in stores {
        behaviour_suite(store.as_mut());
    }
}

#[test]
fn file_store_persists_across_reopen() {
    let dir = TempDir::new("persist");
    {
        let mut store = FileStore::open(dir.path()).unwrap();
        store
            .set("sessions", "resumptionRecords", b"records")
            .unwrap();
        store.set("sessions", "gone", b"x").unwrap();
        store.set("fabrics", "f1", &[0, 1, 2, 255]).unwrap();
        store.set("emptied", "k", b"v").unwrap();
        assert!(store.delete("sessions", "gone").unwrap());
        assert!(store.delete("emptied", "k").unwrap());
    }
    let store = FileStore::open(dir.path()).unwrap();
    assert_eq!(
        store.get("sessions", "resumptionRecords").unwrap(),
        Some(b"records".to_vec())
    );
    assert_eq!(store.get("sessions", "gone").unwrap(), None);
    assert_eq!(store.keys("sessions").unwrap(), ["resumptionRecords"]);
    assert_eq!(
        store.get("fabrics", "f1").unwrap(),
        Some(vec![0, 1, 2, 255])
    );
    assert_eq!(store.keys("emptied").unwrap(), Vec::<String>::new());
    assert_eq!(store.keys("never").unwrap(), Vec::<String>::new());
}

/// Writes two contexts and returns (store dir, path of `sessions.pstore`, its valid bytes).
fn two_contexts(test: &str) -> (TempDir, PathBuf, Vec<u8>) {
    let dir = TempDir::new(test);
    let mut store = FileStore::open(dir.path()).unwrap();
    store
        .set("sessions", "resumptionRecords", b"0123456789")
        .unwrap();
    store.set("sessions", "a", b"").unwrap();
    store.set("sessions", "zz", &[0xff; 5]).unwrap();
    store.set("fabrics", "f", b"fabric").unwrap();
    let path = store.context_path("sessions").unwrap();
    let bytes = fs::read(&path).unwrap();
    (dir, path, bytes)
}

fn assert_corrupt_names(result: Result<impl std::fmt::Debug, StoreError>, path: &Path) {
    match result {
        Err(
            ref err @ StoreError::Corrupt {
                path: ref reported, ..
            },
        ) => {
            assert_eq!(reported, path);
            assert!(
                err.to_string().contains(&path.display().to_string()),
                "{err} does not name {}",
                path.display()
            );
        }
        other => panic!("expected Corrupt for {}, got {other:?}", path.display()),
    }
}

/// Every operation on the damaged `sessions` context fails as Corrupt, never overwrites the
/// file, and `fabrics` stays readable and writable.
fn assert_context_corrupt(dir: &Path, path: &Path) {
    let damaged = fs::read(path).unwrap();
    let mut store = FileStore::open(dir).unwrap();
    assert_corrupt_names(store.get("sessions", "a"), path);
    assert_corrupt_names(store.keys("sessions"), path);
    assert_corrupt_names(store.set("sessions", "a", b"new"), path);
    assert_corrupt_names(store.delete("sessions", "a"), path);
    assert_eq!(
        fs::read(path).unwrap(),
        damaged,
        "corrupt file was rewritten"
    );
    assert_eq!(store.get("fabrics", "f").unwrap(), Some(b"fabric".to_vec()));
}

#[test]
fn truncation_at_every_offset_is_corrupt() {
    let (dir, path, valid) = two_contexts("truncate");
    for len in 0..valid.len() {
        fs::write(&path, &valid[..len]).unwrap();
        assert_context_corrupt(dir.path(), &path);
    }
    // Control: the untruncated file reads back.
    fs::write(&path, &valid).unwrap();
    let store = FileStore::open(dir.path()).unwrap();
    assert_eq!(
        store.keys("sessions").unwrap(),
        ["a", "resumptionRecords", "zz"]
    );
}

#[test]
fn every_flipped_bit_is_corrupt() {
    let (dir, path, valid) = two_contexts("bitflip");
    for byte in 0..valid.len() {
        for bit in 0..8 {
            let mut damaged = valid.clone();
            damaged[byte] ^= 1 << bit;
            fs::write(&path, &damaged).unwrap();
            let store = FileStore::open(dir.path()).unwrap();
            assert_corrupt_names(store.get("sessions", "a"), &path);
            assert_eq!(store.get("fabrics", "f").unwrap(), Some(b"fabric".to_vec()));
        }
    }
    // One full check (writes refused, file kept) on a representative flip in a value.
    let mut damaged = valid.clone();
    damaged[valid.len() / 2] ^= 0x10;
    fs::write(&path, &damaged).unwrap();
    assert_context_corrupt(dir.path(), &path);
}

#[test]
fn corrupt_context_is_isolated_until_quarantined() {
    let (dir, path, valid) = two_contexts("quarantine");
    fs::write(
        &path,
        b"not a store file at all, just some junk bytes here ......",
    )
    .unwrap();
    let mut store = FileStore::open(dir.path()).unwrap();
    match store.get("sessions", "a") {
        Err(StoreError::Corrupt { reason, .. }) => assert_eq!(reason, CorruptReason::BadMagic),
        other => panic!("expected BadMagic, got {other:?}"),
    }
    // The other context is fully usable, including across a reopen.
    store.set("fabrics", "g", b"new").unwrap();
    drop(store);
    let mut store = FileStore::open(dir.path()).unwrap();
    assert_eq!(store.keys("fabrics").unwrap(), ["f", "g"]);
    assert_corrupt_names(store.set("sessions", "a", b"x"), &path);

    // Quarantine keeps the bad bytes aside and frees the context.
    let junk = fs::read(&path).unwrap();
    let moved = store.quarantine_context("sessions").unwrap().unwrap();
    assert_eq!(moved, dir.path().join("sessions.pstore.corrupt-1"));
    assert_eq!(fs::read(&moved).unwrap(), junk);
    assert!(!path.exists());
    assert_eq!(store.keys("sessions").unwrap(), Vec::<String>::new());
    store.set("sessions", "a", b"fresh").unwrap();
    assert_eq!(store.get("sessions", "a").unwrap(), Some(b"fresh".to_vec()));

    // A second quarantine picks the next free name; the first is kept.
    fs::write(&path, &valid[..10]).unwrap();
    let mut store = FileStore::open(dir.path()).unwrap();
    assert_corrupt_names(store.keys("sessions"), &path);
    let moved = store.quarantine_context("sessions").unwrap().unwrap();
    assert_eq!(moved, dir.path().join("sessions.pstore.corrupt-2"));
    assert_eq!(
        fs::read(dir.path().join("sessions.pstore.corrupt-1")).unwrap(),
        junk
    );
    assert_eq!(store.quarantine_context("sessions").unwrap(), None);

    // Reopen: the quarantined files are not contexts and do not disturb anything.
    let store = FileStore::open(dir.path()).unwrap();
    assert_eq!(store.keys("sessions").unwrap(), Vec::<String>::new());
    assert_eq!(store.keys("fabrics").unwrap(), ["f", "g"]);
}

#[test]
fn stale_temp_file_from_a_crash_is_ignored_and_removed() {
    let (dir, path, valid) = two_contexts("crash");
    let temp = dir.path().join("sessions.pstore.tmp");
    // Crash mid-write: a torn scratch file.
    fs::write(&temp, &valid[..valid.len() / 3]).unwrap();
    // Crash after the scratch file was complete but before the rename: a whole, valid image
    // of a different (never committed) record set in another context's temp.
    let uncommitted = {
        let other = TempDir::new("crash-other");
        let mut s = FileStore::open(other.path()).unwrap();
        s.set("fabrics", "f", b"uncommitted").unwrap();
        fs::read(other.path().join("fabrics.pstore")).unwrap()
    };
    let fabrics_temp = dir.path().join("fabrics.pstore.tmp");
    fs::write(&fabrics_temp, &uncommitted).unwrap();

    let mut store = FileStore::open(dir.path()).unwrap();
    assert!(
        !temp.exists() && !fabrics_temp.exists(),
        "temp files not cleaned"
    );
    assert_eq!(fs::read(&path).unwrap(), valid);
    assert_eq!(
        store.get("sessions", "resumptionRecords").unwrap(),
        Some(b"0123456789".to_vec())
    );
    assert_eq!(store.get("fabrics", "f").unwrap(), Some(b"fabric".to_vec()));
    // Writing again works normally.
    store.set("sessions", "a", b"after").unwrap();
    drop(store);
    let store = FileStore::open(dir.path()).unwrap();
    assert_eq!(store.get("sessions", "a").unwrap(), Some(b"after".to_vec()));
}

#[test]
fn failed_write_keeps_the_previous_file_and_cache() {
    let (dir, path, valid) = two_contexts("failwrite");
    let mut store = FileStore::open(dir.path()).unwrap();
    // Block the scratch path with a directory so the write fails before the rename.
    let temp = dir.path().join("sessions.pstore.tmp");
    fs::create_dir(&temp).unwrap();
    match store.set("sessions", "a", b"lost") {
        Err(err @ StoreError::Io { .. }) => {
            assert!(
                err.to_string().contains(&temp.display().to_string()),
                "{err}"
            );
        }
        other => panic!("expected Io, got {other:?}"),
    }
    assert!(matches!(
        store.delete("sessions", "zz"),
        Err(StoreError::Io { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), valid);
    assert_eq!(store.get("sessions", "a").unwrap(), Some(Vec::new()));
    assert_eq!(
        store.keys("sessions").unwrap(),
        ["a", "resumptionRecords", "zz"]
    );
    drop(store);

    // Open leaves the directory (not a store-made file) alone; the old data is all there.
    let mut store = FileStore::open(dir.path()).unwrap();
    assert_eq!(store.get("sessions", "a").unwrap(), Some(Vec::new()));
    fs::remove_dir(&temp).unwrap();
    store.set("sessions", "a", b"ok").unwrap();
    assert_eq!(store.get("sessions", "a").unwrap(), Some(b"ok".to_vec()));
}

// ---- model-based property test -------------------------------------------------------------

const CONTEXTS: [&str; 3] = ["sessions", "fabrics", "x.y-1"];
const KEYS: [&str; 4] = ["resumptionRecords", "B", "a", "k_1"];

#[derive(Debug, Clone)]
enum Op {
    Set(usize, usize, Vec<u8>),
    Delete(usize, usize),
    /// Drop the store and open a new one on the same storage (FileStore only; a no-op model
    /// step for MemoryStore).
    Reopen,
}

type Model = BTreeMap<String, BTreeMap<String, Vec<u8>>>;

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..CONTEXTS.len(), 0..KEYS.len(), prop::collection::vec(any::<u8>(), 0..24))
            .prop_map(|(c, k, v)| Op::Set(c, k, v)),
        3 => (0..CONTEXTS.len(), 0..KEYS.len()).prop_map(|(c, k)| Op::Delete(c, k)),
        1 => Just(Op::Reopen),
    ]
}

/// Applies a set/delete to both store and model and compares the result.
fn apply(store: &mut dyn Store, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::Set(c, k, value) => {
            store.set(CONTEXTS[*c], KEYS[*k], value).unwrap();
            model
                .entry(CONTEXTS[*c].to_owned())
                .or_default()
                .insert(KEYS[*k].to_owned(), value.clone());
        }
        Op::Delete(c, k) => {
            let expected = model
                .get_mut(CONTEXTS[*c])
                .and_then(|m| m.remove(KEYS[*k]))
                .is_some();
            prop_assert_eq!(store.delete(CONTEXTS[*c], KEYS[*k]).unwrap(), expected);
        }
        Op::Reopen => {}
    }
    Ok(())
}

/// Everything observable through the trait matches the model.
fn matches_model(store: &dyn Store, model: &Model) -> Result<(), TestCaseError> {
    for context in CONTEXTS {
        let expected = model.get(context).cloned().unwrap_or_default();
        let keys: Vec<String> = expected.keys().cloned().collect();
        prop_assert_eq!(store.keys(context).unwrap(), keys);
        for key in KEYS {
            prop_assert_eq!(store.get(context, key).unwrap(), expected.get(key).cloned());
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn memory_store_matches_model(ops in prop::collection::vec(op_strategy(), 0..40)) {
        let mut store = MemoryStore::new();
        let mut model = Model::new();
        for op in &ops {
            apply(&mut store, &mut model, op)?;
        }
        matches_model(&store, &model)?;
    }
}

proptest! {
    // Each FileStore write fsyncs twice; 128 cases keep the run under a few seconds.
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn file_store_matches_model_across_reopen(
        ops in prop::collection::vec(op_strategy(), 0..40),
    ) {
        let dir = TempDir::new("model");
        let mut store = FileStore::open(dir.path()).unwrap();
        let mut model = Model::new();
        for op in &ops {
            if let Op::Reopen = op {
                drop(store);
                store = FileStore::open(dir.path()).unwrap();
                matches_model(&store, &model)?;
            } else {
                apply(&mut store, &mut model, op)?;
            }
        }
        matches_model(&store, &model)?;
        drop(store);
        let store = FileStore::open(dir.path()).unwrap();
        matches_model(&store, &model)?;
    }
}
