//! Fuzzes the store's file format through `FileStore::open` on arbitrary file bytes, and the
//! resumption-record codec behind `SessionManager::init_from_storage` on arbitrary stored
//! values. Everything happens in a scratch directory of this process (under /dev/shm when it
//! exists, so the store's fsyncs cost nothing), rewritten for every input.
//!
//! The context file `sessions.pstore` is one of: raw bytes; `PASEOSTR` + arbitrary content +
//! its SHA-256 (past the checksum, into the entry parser); or entries (any names, any order,
//! duplicates allowed) encoded here, optionally with a resumption-record value under
//! `resumptionRecords` (raw bytes, or records encoded by `encode_records`, optionally with one
//! byte flipped). A leftover `sessions.pstore.tmp` may sit beside it.
//!
//! Properties: no panic, every failure a typed error; `open` removes the scratch file and
//! leaves the context file as it was; a file the store cannot read is reported `Corrupt` by
//! every operation, `set` and `delete` included, and is never overwritten: not by the store,
//! not by the session manager (`store_resumption_records`, `close`); a file the store reads
//! is the unique encoding of its records (re-encoded here byte for byte), rewriting a value
//! unchanged leaves the file byte-identical, and adding a key loses nothing. A stored
//! resumption value that does not decode makes `init_from_storage` fail and stays byte for
//! byte what it was through later saves and `close`; one that decodes re-encodes
//! (`encode_records`) to a value that decodes to the same records, and a value made by
//! `encode_records` decodes and re-encodes to the same bytes.

#![no_main]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use paseo_core::crypto::sha256;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::manager::{RESUMPTION_CONTEXT, RESUMPTION_KEY};
use paseo_core::session::resumption_codec::{decode_records, encode_records};
use paseo_core::session::{
    ManagerContext, ManagerError, ResumptionRecord, SessionManager, SessionParameters,
};
use paseo_core::store::{FileStore, Store, StoreError};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const MAGIC: &[u8; 8] = b"PASEOSTR";
/// Name of a process's scratch directory, before its process id.
const PREFIX: &str = "paseo-fuzz-store-";

#[derive(Arbitrary, Debug)]
struct Record {
    resumption_id: [u8; 16],
    secret: [u8; 32],
    fabric_index: u8,
    fabric_id: u64,
    peer_node_id: u64,
    peer_cats: Vec<u32>,
    paseo_parameters: bool,
}

#[derive(Arbitrary, Debug)]
enum Value {
    Raw(Vec<u8>),
    Records {
        records: Vec<Record>,
        flip: Option<(u16, u8)>,
    },
}

#[derive(Arbitrary, Debug)]
enum Image {
    Raw(Vec<u8>),
    Sealed(Vec<u8>),
    Entries {
        version: u16,
        /// Key bytes (not necessarily UTF-8) and values.
        entries: Vec<(Vec<u8>, Vec<u8>)>,
        resumption: Option<Value>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    image: Image,
    leftover_temp: Option<Vec<u8>>,
    new_value: Vec<u8>,
}

/// This process's scratch directory.
fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        // A process's directory outlives it (libFuzzer exits without unwinding): remove the
        // ones of processes that are gone, so fork mode's many workers leave no pile behind
        // (only where /proc tells which processes live).
        let proc_fs = Path::new("/proc/self").exists();
        if let Some(entries) = fs::read_dir(&base).ok().filter(|_| proc_fs) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let pid = name.to_str().and_then(|n| n.strip_prefix(PREFIX));
                if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        base.join(format!("{PREFIX}{}", std::process::id()))
    })
}

/// The file format, written independently of `store/format.rs`: header, entries as given,
/// SHA-256 of everything before it.
fn image(version: u16, entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (key, value) in entries {
        out.extend_from_slice(&(key.len() as u16).to_le_bytes());
        out.extend_from_slice(key);
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
    }
    seal(out)
}

fn seal(mut content: Vec<u8>) -> Vec<u8> {
    let digest = sha256(&content);
    content.extend_from_slice(&digest);
    content
}

fn record(r: &Record) -> ResumptionRecord {
    ResumptionRecord {
        resumption_id: r.resumption_id,
        shared_secret: r.secret.into(),
        fabric_index: FabricIndex(r.fabric_index),
        fabric_id: r.fabric_id,
        peer_node_id: NodeId(r.peer_node_id),
        peer_cats: r.peer_cats.clone(),
        peer_parameters: if r.paseo_parameters {
            SessionParameters::paseo_default()
        } else {
            SessionParameters::default()
        },
    }
}

/// The stored resumption value, and whether it is `encode_records`' own output.
fn resumption_value(value: &Value) -> (Vec<u8>, Option<Vec<ResumptionRecord>>) {
    match value {
        Value::Raw(bytes) => (bytes.clone(), None),
        Value::Records { records, flip } => {
            let records: Vec<ResumptionRecord> = records.iter().map(record).collect();
            let mut bytes = encode_records(records.iter());
            match flip.filter(|&(_, mask)| mask != 0 && !bytes.is_empty()) {
                Some((at, mask)) => {
                    let i = usize::from(at) % bytes.len();
                    bytes[i] ^= mask;
                    (bytes, None)
                }
                None => (bytes, Some(records)),
            }
        }
    }
}

fn is_corrupt<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Corrupt { .. }))
}

fn manager(store: FileStore) -> SessionManager {
    SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(7)),
        Box::new(store),
    )
}

fuzz_target!(|input: Input| {
    let dir = dir();
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).expect("scratch directory");
    let file = dir.join(format!("{RESUMPTION_CONTEXT}.pstore"));
    let temp = dir.join(format!("{RESUMPTION_CONTEXT}.pstore.tmp"));

    let mut made_by_encoder = None;
    let bytes = match &input.image {
        Image::Raw(bytes) => bytes.clone(),
        Image::Sealed(content) => {
            let mut out = MAGIC.to_vec();
            out.extend_from_slice(content);
            seal(out)
        }
        Image::Entries {
            version,
            entries,
            resumption,
        } => {
            let mut entries = entries.clone();
            if let Some(value) = resumption {
                let (value, records) = resumption_value(value);
                made_by_encoder = records.map(|r| (value.clone(), r));
                entries.push((RESUMPTION_KEY.as_bytes().to_vec(), value));
                // Mostly in the store's order, so the file is readable.
                if version % 4 != 0 {
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                }
            }
            image(if version % 2 == 0 { 1 } else { *version }, &entries)
        }
    };
    fs::write(&file, &bytes).expect("write the context file");
    if let Some(leftover) = &input.leftover_temp {
        fs::write(&temp, leftover).expect("write the scratch file");
    }

    let mut store = FileStore::open(dir).expect("opens");
    assert!(!temp.exists(), "open left the scratch file");
    let on_disk = || fs::read(&file).expect("the context file is still there");
    assert_eq!(on_disk(), bytes, "open changed the context file");

    let keys = store.keys(RESUMPTION_CONTEXT);
    if is_corrupt(&keys) {
        // Every operation says so, none writes.
        assert!(is_corrupt(&store.get(RESUMPTION_CONTEXT, RESUMPTION_KEY)));
        assert!(is_corrupt(&store.set(
            RESUMPTION_CONTEXT,
            "fuzz",
            &input.new_value
        )));
        assert!(is_corrupt(
            &store.delete(RESUMPTION_CONTEXT, RESUMPTION_KEY)
        ));
        assert_eq!(
            on_disk(),
            bytes,
            "the store overwrote a file it could not read"
        );
        let mut sessions = manager(store);
        assert!(matches!(
            sessions.init_from_storage(&[]),
            Err(ManagerError::Store(StoreError::Corrupt { .. }))
        ));
        let _ = sessions.store_resumption_records();
        let _ = sessions.close(paseo_core::time::Instant::ZERO, false);
        assert_eq!(
            on_disk(),
            bytes,
            "the manager overwrote a file the store could not read"
        );
        return;
    }
    let keys = keys.expect("readable or corrupt, nothing else here");

    // A readable file is the one encoding of its records.
    let records: Vec<(Vec<u8>, Vec<u8>)> = keys
        .iter()
        .map(|k| {
            let value = store
                .get(RESUMPTION_CONTEXT, k)
                .expect("reads")
                .expect("listed");
            (k.as_bytes().to_vec(), value)
        })
        .collect();
    assert_eq!(
        image(1, &records),
        bytes,
        "a readable file is not canonical"
    );

    // Rewriting a value as it is leaves the file byte-identical; adding a key loses nothing.
    if let (Some(key), Some((_, value))) = (keys.first(), records.first()) {
        store.set(RESUMPTION_CONTEXT, key, value).expect("rewrites");
        assert_eq!(on_disk(), bytes, "an unchanged value changed the file");
    }
    if !keys.iter().any(|k| k == "fuzz") {
        store
            .set(RESUMPTION_CONTEXT, "fuzz", &input.new_value)
            .expect("adds");
        for (key, (_, value)) in keys.iter().zip(&records) {
            assert_eq!(
                store.get(RESUMPTION_CONTEXT, key).expect("reads").as_ref(),
                Some(value),
                "adding a key lost {key}"
            );
        }
        store.delete(RESUMPTION_CONTEXT, "fuzz").expect("deletes");
        assert_eq!(
            on_disk(),
            bytes,
            "adding and deleting a key changed the file"
        );
    }

    // The resumption value through the session manager.
    let stored = records
        .iter()
        .find(|(k, _)| k == RESUMPTION_KEY.as_bytes())
        .map(|(_, v)| v.clone());
    let decoded = stored.as_deref().map(decode_records);
    let mut sessions = manager(store);
    let loaded = sessions.init_from_storage(&[]);
    match (&stored, &decoded) {
        (None, _) => assert!(matches!(loaded, Ok(0))),
        (Some(_), Some(Ok(records))) => {
            assert!(matches!(loaded, Ok(0)), "no fabric, so nothing loads");
            let again = encode_records(records.iter());
            assert_eq!(
                decode_records(&again).as_ref(),
                Ok(records),
                "re-encoded records decode differently"
            );
            if let Some((value, built)) = &made_by_encoder {
                assert_eq!(records, built, "encode_records output decodes differently");
                assert_eq!(&again, value, "encode_records is not a fixed point");
            }
        }
        (Some(value), _) => {
            assert!(
                matches!(loaded, Err(ManagerError::CorruptResumptionRecords(_))),
                "an undecodable value loaded: {loaded:?}"
            );
            assert!(
                made_by_encoder.is_none(),
                "encode_records output does not decode"
            );
            assert!(sessions.store_resumption_records().is_err());
            let _ = sessions.close(paseo_core::time::Instant::ZERO, false);
            drop(sessions);
            let store = FileStore::open(dir).expect("re-opens");
            assert_eq!(
                store
                    .get(RESUMPTION_CONTEXT, RESUMPTION_KEY)
                    .expect("reads")
                    .as_ref(),
                Some(value),
                "the corrupt resumption value was overwritten"
            );
            assert_eq!(on_disk(), bytes, "the file changed around a corrupt value");
        }
    }
});
