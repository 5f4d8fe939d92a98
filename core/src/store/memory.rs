//! [`MemoryStore`]: the in-RAM [`Store`].

use std::collections::BTreeMap;

use super::names::{validate_context, validate_key};
use super::{Store, StoreError};

/// A [`Store`] held in nested `BTreeMap`s: deterministic iteration, nothing persisted.
///
/// Cloning it snapshots the whole store, which lets a scenario "reboot" a node by handing a
/// clone of its storage to the new instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStore {
    /// context → key → value. A context with no keys is removed, so it never shows here.
    contexts: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn get(&self, context: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        validate_context(context)?;
        validate_key(key)?;
        Ok(self
            .contexts
            .get(context)
            .and_then(|records| records.get(key))
            .cloned())
    }

    fn set(&mut self, context: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        validate_context(context)?;
        validate_key(key)?;
        self.contexts
            .entry(context.to_owned())
            .or_default()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&mut self, context: &str, key: &str) -> Result<bool, StoreError> {
        validate_context(context)?;
        validate_key(key)?;
        let Some(records) = self.contexts.get_mut(context) else {
            return Ok(false);
        };
        let removed = records.remove(key).is_some();
        if records.is_empty() {
            self.contexts.remove(context);
        }
        Ok(removed)
    }

    fn keys(&self, context: &str) -> Result<Vec<String>, StoreError> {
        validate_context(context)?;
        Ok(self
            .contexts
            .get(context)
            .map(|records| records.keys().cloned().collect())
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emptied_context_is_dropped() {
        let mut store = MemoryStore::new();
        store.set("sessions", "a", b"1").unwrap();
        assert!(store.delete("sessions", "a").unwrap());
        assert_eq!(store, MemoryStore::new());
    }

    #[test]
    fn clone_is_an_independent_snapshot() {
        let mut store = MemoryStore::new();
        store.set("sessions", "a", b"1").unwrap();
        let snapshot = store.clone();
        store.set("sessions", "a", b"2").unwrap();
        assert_eq!(snapshot.get("sessions", "a").unwrap(), Some(b"1".to_vec()));
    }
}
