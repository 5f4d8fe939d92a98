//! Persistent key/value storage for session state (resumption records and the like).
//!
//! The shape follows matter.js's storage: opaque values under a key, keys grouped in a named
//! *context*. matter.js keeps all CASE resumption records as one value under context
//! `sessions`, key `resumptionRecords` (matter.js `session/SessionManager.ts`); the session manager
//! serializes the records itself, so this layer only ever sees bytes.
//!
//! Two implementations share one behaviour:
//! - [`MemoryStore`]: a `BTreeMap`, for tests and for simulated nodes whose "disk" lives in RAM;
//! - [`FileStore`]: one checksummed file per context, replaced atomically on every write, so a
//!   simulated (or real) crash leaves either the old or the new record set.
//!
//! Context and key names are validated by both (see [`names`]) so that code written against
//! one behaves identically on the other.

mod file;
mod format;
mod memory;
pub mod names;

use std::path::PathBuf;

pub use file::FileStore;
pub use format::CorruptReason;
pub use memory::MemoryStore;
pub use names::{NameKind, NameProblem};

/// A namespaced byte store: `context` groups keys (one file per context in [`FileStore`]).
///
/// Object-safe, so a node can hold a `Box<dyn Store>` and a scenario can swap the backing
/// store; `Send` so a node can move between threads. Every method validates `context` and
/// `key` first ([`names::validate_context`], [`names::validate_key`]) and fails with
/// [`StoreError::InvalidName`] before touching any state.
pub trait Store: Send {
    /// The value stored under `key` in `context`, or `None` if there is none.
    fn get(&self, context: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores `value` under `key` in `context`, replacing any previous value.
    fn set(&mut self, context: &str, key: &str, value: &[u8]) -> Result<(), StoreError>;

    /// Removes `key` from `context`; `true` if it was present.
    fn delete(&mut self, context: &str, key: &str) -> Result<bool, StoreError>;

    /// All keys in `context`, sorted ascending by their bytes (empty if the context is unknown).
    fn keys(&self, context: &str) -> Result<Vec<String>, StoreError>;
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A context or key name is outside the accepted form ([`names`]).
    #[error("invalid store {kind} name {name:?}: {problem}")]
    InvalidName {
        /// Whether the context or the key was rejected.
        kind: NameKind,
        /// The rejected name, as given.
        name: String,
        /// What is wrong with it.
        problem: NameProblem,
    },

    /// A value or record set is too large for the on-disk length fields.
    #[error("{what} of {len} exceeds the store format's limit of {max}")]
    TooLarge {
        /// What overflowed (e.g. "value length").
        what: &'static str,
        /// Its size.
        len: usize,
        /// The largest size the format can record.
        max: usize,
    },

    /// A file or directory operation failed; `path` is the file or directory involved.
    #[error("store I/O error on {}: {source}", .path.display())]
    Io {
        /// The file or directory the operation was on.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },

    /// A context file exists but does not hold a valid record set (truncated, bit-flipped,
    /// foreign). The file is left untouched; see [`FileStore::quarantine_context`].
    #[error("store file {} is corrupt: {reason}", .path.display())]
    Corrupt {
        /// The corrupt file.
        path: PathBuf,
        /// The first inconsistency found.
        reason: CorruptReason,
    },
}
