//! [`SimDisk`]: a simulated disk for a node's [`Store`] that survives crashes only as far as it
//! was synced, like a power cut.
//!
//! Every write is visible at once to the node that made it, but becomes *durable* only after
//! the disk's sync delay (virtual time since the write) or on an explicit [`SimDisk::sync`].
//! [`SimDisk::crash`] throws away whatever is not durable yet; a restarted node sees only the
//! durable state. An unsynced resumption record can therefore be lost, as on real hardware
//! where the write sat in a page cache.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use paseo_core::store::{MemoryStore, Store, StoreError};
use paseo_core::time::Instant;

/// One write not yet durable.
#[derive(Clone, Debug)]
enum Op {
    Set {
        context: String,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        context: String,
        key: String,
    },
}

#[derive(Debug)]
struct DiskState {
    /// What a crash leaves.
    durable: MemoryStore,
    /// What the running node sees: durable plus pending.
    visible: MemoryStore,
    /// Writes in order, with the virtual time they were made.
    pending: Vec<(Instant, Op)>,
    /// The disk's notion of now (set by the node's host before it touches the node).
    now: Instant,
    /// `None`: only an explicit sync makes writes durable.
    sync_delay: Option<Duration>,
}

impl DiskState {
    fn settle(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let Some(delay) = self.sync_delay else {
            return;
        };
        let due = self
            .pending
            .iter()
            .take_while(|(at, _)| *at + delay <= self.now)
            .count();
        let settled: Vec<_> = self.pending.drain(..due).collect();
        for (_, op) in settled {
            apply(&mut self.durable, op);
        }
    }
}

fn apply(store: &mut MemoryStore, op: Op) {
    // Names were validated when the write was accepted, so these cannot fail.
    let _ = match op {
        Op::Set {
            context,
            key,
            value,
        } => store.set(&context, &key, &value),
        Op::Delete { context, key } => store.delete(&context, &key).map(|_| ()),
    };
}

/// Damage done to a stored value by [`SimDisk::corrupt`] (bit rot, a torn write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// The byte at this offset (modulo the length) is inverted.
    FlipByte(usize),
    /// Only the first half of the value is kept.
    Truncate,
}

impl Corruption {
    /// Trace text.
    pub fn describe(self) -> String {
        match self {
            Corruption::FlipByte(at) => format!("flip byte {at}"),
            Corruption::Truncate => "truncate to half".to_owned(),
        }
    }

    fn apply(self, value: &mut Vec<u8>) {
        match self {
            Corruption::FlipByte(at) => {
                let len = value.len();
                if let Some(b) = at.checked_rem(len).and_then(|i| value.get_mut(i)) {
                    *b = !*b;
                }
            }
            Corruption::Truncate => value.truncate(value.len() / 2),
        }
    }
}

/// A simulated disk; clones share it (the host keeps one, the node's store is another).
#[derive(Clone, Debug)]
pub struct SimDisk {
    inner: Arc<Mutex<DiskState>>,
}

impl SimDisk {
    /// An empty disk whose writes become durable `sync_delay` after they are made (`None`:
    /// only on [`SimDisk::sync`]; `Some(ZERO)`: at once).
    pub fn new(sync_delay: Option<Duration>) -> Self {
        SimDisk {
            inner: Arc::new(Mutex::new(DiskState {
                durable: MemoryStore::new(),
                visible: MemoryStore::new(),
                pending: Vec::new(),
                now: Instant::ZERO,
                sync_delay,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, DiskState> {
        // A panic elsewhere cannot leave the maps half-written (each op is one call).
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the disk's clock to `now`, making writes older than the sync delay durable.
    pub fn advance(&self, now: Instant) {
        self.state().settle(now);
    }

    /// Makes every write durable now (fsync).
    pub fn sync(&self) {
        let mut s = self.state();
        let pending: Vec<_> = s.pending.drain(..).collect();
        for (_, op) in pending {
            apply(&mut s.durable, op);
        }
    }

    /// Power cut at `now`: writes durable by then stay, the rest are lost. Returns how many
    /// writes were lost.
    pub fn crash(&self, now: Instant) -> usize {
        let mut s = self.state();
        s.settle(now);
        let lost = s.pending.len();
        s.pending.clear();
        s.visible = s.durable.clone();
        lost
    }

    /// When the oldest write not yet durable becomes durable on its own (`None`: nothing
    /// pending, or only an explicit sync makes writes durable). The simulator does not skip
    /// time past it ([`crate::NextEvent`]).
    pub fn next_durable(&self) -> Option<Instant> {
        let s = self.state();
        let delay = s.sync_delay?;
        s.pending.first().map(|(at, _)| *at + delay)
    }

    /// Writes not yet durable.
    pub fn pending_writes(&self) -> usize {
        self.state().pending.len()
    }

    /// A copy of what would survive a crash now.
    pub fn durable(&self) -> MemoryStore {
        self.state().durable.clone()
    }

    /// Damages the value at `context`/`key`, durable and visible copies alike (writes still
    /// pending are left as they are). Returns the value's length before and after, or `None`
    /// if nothing is stored there.
    pub fn corrupt(&self, context: &str, key: &str, how: Corruption) -> Option<(usize, usize)> {
        let mut guard = self.state();
        let s = &mut *guard;
        let mut lengths = None;
        for store in [&mut s.durable, &mut s.visible] {
            if let Ok(Some(mut value)) = store.get(context, key) {
                let before = value.len();
                how.apply(&mut value);
                let after = value.len();
                // The name was accepted when the value was first written.
                let _ = store.set(context, key, &value);
                lengths.get_or_insert((before, after));
            }
        }
        lengths
    }

    /// The sync delay.
    pub fn sync_delay(&self) -> Option<Duration> {
        self.state().sync_delay
    }
}

impl Store for SimDisk {
    fn get(&self, context: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.state().visible.get(context, key)
    }

    fn set(&mut self, context: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let mut s = self.state();
        s.visible.set(context, key, value)?;
        let now = s.now;
        s.pending.push((
            now,
            Op::Set {
                context: context.to_owned(),
                key: key.to_owned(),
                value: value.to_vec(),
            },
        ));
        s.settle(now);
        Ok(())
    }

    fn delete(&mut self, context: &str, key: &str) -> Result<bool, StoreError> {
        let mut s = self.state();
        let removed = s.visible.delete(context, key)?;
        let now = s.now;
        s.pending.push((
            now,
            Op::Delete {
                context: context.to_owned(),
                key: key.to_owned(),
            },
        ));
        s.settle(now);
        Ok(removed)
    }

    fn keys(&self, context: &str) -> Result<Vec<String>, StoreError> {
        self.state().visible.keys(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    #[test]
    fn writes_survive_a_crash_only_once_durable() {
        let disk = SimDisk::new(Some(Duration::from_millis(100)));
        let mut store = disk.clone();
        disk.advance(ms(10));
        store.set("sessions", "a", b"1").unwrap();
        assert_eq!(store.get("sessions", "a").unwrap(), Some(b"1".to_vec()));
        disk.advance(ms(50));
        store.set("sessions", "b", b"2").unwrap();
        // At 120 ms the first write (10 ms) is durable, the second (50 ms) is not.
        assert_eq!(disk.crash(ms(120)), 1);
        assert_eq!(store.get("sessions", "a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.get("sessions", "b").unwrap(), None);
    }

    #[test]
    fn explicit_sync_makes_everything_durable() {
        let disk = SimDisk::new(None);
        let mut store = disk.clone();
        store.set("sessions", "a", b"1").unwrap();
        store.delete("sessions", "a").unwrap();
        store.set("sessions", "b", b"2").unwrap();
        assert_eq!(disk.pending_writes(), 3);
        disk.sync();
        assert_eq!(disk.crash(ms(1)), 0);
        assert_eq!(store.keys("sessions").unwrap(), vec!["b".to_owned()]);
    }

    #[test]
    fn without_sync_delay_nothing_survives_unsynced() {
        let disk = SimDisk::new(None);
        let mut store = disk.clone();
        store.set("sessions", "a", b"1").unwrap();
        disk.advance(ms(1_000_000));
        assert_eq!(disk.crash(ms(1_000_000)), 1);
        assert_eq!(store.keys("sessions").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn corruption_damages_durable_and_visible_copies() {
        let disk = SimDisk::new(Some(Duration::ZERO));
        let mut store = disk.clone();
        store.set("sessions", "r", &[1, 2, 3, 4]).unwrap();
        assert_eq!(
            disk.corrupt("sessions", "r", Corruption::FlipByte(5)),
            Some((4, 4))
        );
        assert_eq!(
            store.get("sessions", "r").unwrap(),
            Some(vec![1, 0xFD, 3, 4])
        );
        assert_eq!(
            disk.corrupt("sessions", "r", Corruption::Truncate),
            Some((4, 2))
        );
        disk.crash(ms(1));
        assert_eq!(store.get("sessions", "r").unwrap(), Some(vec![1, 0xFD]));
        assert_eq!(disk.corrupt("sessions", "none", Corruption::Truncate), None);
    }

    #[test]
    fn invalid_names_are_refused_and_not_queued() {
        let disk = SimDisk::new(Some(Duration::ZERO));
        let mut store = disk.clone();
        assert!(store.set("", "a", b"1").is_err());
        assert_eq!(disk.pending_writes(), 0);
    }
}
