//! [`FileStore`]: a [`Store`] persisted as one checksummed file per context.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::format::{self, Records};
use super::names::{validate_context, validate_key};
use super::{Store, StoreError};

/// Extension of a context's file: `<context>.pstore`.
const EXTENSION: &str = ".pstore";
/// Suffix of the scratch file a write goes through: `<context>.pstore.tmp`.
const TEMP_SUFFIX: &str = ".pstore.tmp";
/// Infix of a quarantined corrupt file: `<context>.pstore.corrupt-<n>`.
const CORRUPT_INFIX: &str = ".pstore.corrupt-";

/// A [`Store`] rooted at a directory, one file per context (`<dir>/<context>.pstore`, format in
/// the `format` module: magic, version, length-prefixed entries, SHA-256 over the content).
///
/// **Atomic writes.** Every `set`/`delete` that changes a context rewrites its whole file:
/// the new image goes to `<context>.pstore.tmp` in the same directory, is fsynced, renamed
/// over `<context>.pstore`, and the directory is fsynced. A crash at any point leaves either
/// the old or the new file under the real name, never a torn one; a leftover `.tmp` is
/// deleted by the next [`FileStore::open`]. If a write fails before the rename, the old file
/// and the cache are untouched and the error is returned.
///
/// **Cache.** A context's file is read and verified the first time the context is touched
/// (`get`, `keys`, `set`, `delete`); its records then stay in memory and later reads never
/// touch the disk. Writes update the cache only after the rename succeeded. The store assumes
/// it is the only writer of its directory while it is open; changes made by others to an
/// already-loaded context are not seen until the store is re-opened.
///
/// **Corruption.** A context whose file fails verification returns
/// [`StoreError::Corrupt`] (naming the file) from every operation on that context, *including*
/// `set` and `delete`: the store never overwrites a file it could not read, so nothing is lost
/// silently. Other contexts are unaffected. The caller decides when to give up on the data and
/// calls [`FileStore::quarantine_context`], which renames the bad file to
/// `<context>.pstore.corrupt-<n>` (kept for inspection) and leaves the context empty.
/// Failures are not cached: every access to a corrupt context re-reads the file.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    /// Verified record sets of the contexts touched so far. A context whose file is absent is
    /// cached as an empty set. `RefCell` because loading happens on `&self` reads; the store
    /// is `Send` but not `Sync`, and no borrow is held across a call that could borrow again.
    cache: RefCell<BTreeMap<String, Records>>,
}

impl FileStore {
    /// Opens (creating it if needed) the store rooted at `dir` and deletes scratch files left
    /// by an interrupted write. Context files are read lazily, on first use.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let entries = fs::read_dir(&dir).map_err(io_error(&dir))?;
        for entry in entries {
            let entry = entry.map_err(io_error(&dir))?;
            let path = entry.path();
            let is_temp = entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.ends_with(TEMP_SUFFIX));
            // Only regular files: anything else under that name was not made by the store.
            if is_temp && entry.file_type().map_err(io_error(&path))?.is_file() {
                // The rename never happened, so the real file still holds the last committed
                // record set; the scratch copy is garbage. Its removal need not be durable:
                // if it reappears after a crash, the next open removes it again.
                fs::remove_file(&path).map_err(io_error(&path))?;
            }
        }
        Ok(Self {
            dir,
            cache: RefCell::new(BTreeMap::new()),
        })
    }

    /// The directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds `context` (it may not exist yet).
    pub fn context_path(&self, context: &str) -> Result<PathBuf, StoreError> {
        validate_context(context)?;
        Ok(self.file_path(context))
    }

    /// Moves the file of `context` aside to `<context>.pstore.corrupt-<n>` (smallest unused
    /// `n` ≥ 1) and forgets the cached records, leaving the context empty. Meant for a context
    /// that reported [`StoreError::Corrupt`], but works on any. Returns the new path, or `None`
    /// if the context had no file.
    pub fn quarantine_context(&mut self, context: &str) -> Result<Option<PathBuf>, StoreError> {
        validate_context(context)?;
        let path = self.file_path(context);
        if !exists(&path)? {
            self.cache.get_mut().remove(context);
            return Ok(None);
        }
        let mut n: u32 = 1;
        let target = loop {
            let candidate = self.dir.join(format!("{context}{CORRUPT_INFIX}{n}"));
            if !exists(&candidate)? {
                break candidate;
            }
            n = n.checked_add(1).ok_or_else(|| StoreError::Io {
                path: candidate,
                source: io::Error::other("no free quarantine name"),
            })?;
        };
        fs::rename(&path, &target).map_err(io_error(&path))?;
        // From here on the context is empty on disk, whatever the directory sync says.
        self.cache.get_mut().remove(context);
        sync_dir(&self.dir)?;
        Ok(Some(target))
    }

    fn file_path(&self, context: &str) -> PathBuf {
        self.dir.join(format!("{context}{EXTENSION}"))
    }

    fn temp_path(&self, context: &str) -> PathBuf {
        self.dir.join(format!("{context}{TEMP_SUFFIX}"))
    }

    /// Reads and verifies `context`'s file; an absent file is an empty record set.
    fn load(&self, context: &str) -> Result<Records, StoreError> {
        let path = self.file_path(context);
        match fs::read(&path) {
            Ok(bytes) => {
                format::decode(&bytes).map_err(|reason| StoreError::Corrupt { path, reason })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Records::new()),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// Runs `read` on `context`'s records, loading them into the cache first if needed.
    fn with_records<R>(
        &self,
        context: &str,
        read: impl FnOnce(&Records) -> R,
    ) -> Result<R, StoreError> {
        // Neither borrow below can conflict: `self` is not `Sync`, and while a borrow is held
        // only `read` (a closure over the caller's locals, never the cache) or `insert` runs.
        if let Some(records) = self.cache.borrow().get(context) {
            return Ok(read(records));
        }
        let records = self.load(context)?;
        let result = read(&records);
        self.cache.borrow_mut().insert(context.to_owned(), records);
        Ok(result)
    }

    /// `context`'s cached records, loading them first if needed (exclusive access, so no
    /// runtime borrow).
    fn records_mut(&mut self, context: &str) -> Result<&Records, StoreError> {
        if !self.cache.get_mut().contains_key(context) {
            let records = self.load(context)?;
            self.cache.get_mut().insert(context.to_owned(), records);
        }
        // Present: found or inserted just above.
        Ok(&self.cache.get_mut()[context])
    }

    /// Makes `records` the content of `context`: atomically replaces the file, then the cache.
    fn commit(&mut self, context: &str, records: Records) -> Result<(), StoreError> {
        let image = format::encode(&records)?;
        let temp = self.temp_path(context);
        let target = self.file_path(context);
        if let Err(e) = write_and_rename(&temp, &target, &image) {
            // Best effort: a scratch file left behind is removed by the next open anyway.
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        // The new file is in place; the cache must match it even if the sync below fails.
        self.cache.get_mut().insert(context.to_owned(), records);
        // Make the rename itself durable (without this a crash could revert to the old file,
        // which is still a consistent state, but `set` would have claimed success).
        sync_dir(&self.dir)
    }
}

impl Store for FileStore {
    fn get(&self, context: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        validate_context(context)?;
        validate_key(key)?;
        self.with_records(context, |records| records.get(key).cloned())
    }

    fn set(&mut self, context: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        validate_context(context)?;
        validate_key(key)?;
        let mut records = self.records_mut(context)?.clone();
        records.insert(key.to_owned(), value.to_vec());
        self.commit(context, records)
    }

    fn delete(&mut self, context: &str, key: &str) -> Result<bool, StoreError> {
        validate_context(context)?;
        validate_key(key)?;
        let current = self.records_mut(context)?;
        if !current.contains_key(key) {
            return Ok(false);
        }
        let mut records = current.clone();
        records.remove(key);
        // An emptied context keeps its (empty) file: one write path, same atomicity.
        self.commit(context, records)?;
        Ok(true)
    }

    fn keys(&self, context: &str) -> Result<Vec<String>, StoreError> {
        validate_context(context)?;
        self.with_records(context, |records| records.keys().cloned().collect())
    }
}

/// Writes `image` to `temp`, flushes it to stable storage, and renames it over `target`.
fn write_and_rename(temp: &Path, target: &Path, image: &[u8]) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(temp)
        .map_err(io_error(temp))?;
    file.write_all(image).map_err(io_error(temp))?;
    file.sync_all().map_err(io_error(temp))?;
    drop(file);
    fs::rename(temp, target).map_err(io_error(target))
}

/// Flushes directory entries (creations, renames) of `dir` to stable storage.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}

/// Windows cannot open a directory as a file; its rename is already journaled by NTFS.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Whether `path` names anything, distinguishing "absent" from an I/O failure.
fn exists(path: &Path) -> Result<bool, StoreError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(StoreError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("paseo-store-unit-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn file_names_follow_the_context() {
        let dir = scratch_dir("names");
        let store = FileStore::open(&dir).unwrap();
        assert_eq!(
            store.context_path("sessions").unwrap(),
            dir.join("sessions.pstore")
        );
        assert_eq!(store.temp_path("sessions"), dir.join("sessions.pstore.tmp"));
        assert!(store.context_path("../etc").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_are_served_from_the_cache() {
        let dir = scratch_dir("cache");
        let mut store = FileStore::open(&dir).unwrap();
        store.set("sessions", "k", b"v").unwrap();
        // Remove the file behind the store's back: a cached context does not notice.
        fs::remove_file(dir.join("sessions.pstore")).unwrap();
        assert_eq!(store.get("sessions", "k").unwrap(), Some(b"v".to_vec()));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn store_is_send_and_object_safe() {
        fn assert_send<T: Send>() {}
        assert_send::<FileStore>();
        assert_send::<Box<dyn Store>>();
    }
}
