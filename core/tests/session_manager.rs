//! Behaviour of the SessionManager: id allocation, lookups, eviction, events, resumption
//! records and their persistence across a restart.

use std::collections::BTreeSet;
use std::path::PathBuf;

use paseo_core::fabric::{Fabric, FabricIndex, NodeId};
use paseo_core::session::{
    CloseReason, ManagerContext, ManagerError, ResumptionRecord, SecureSessionArgs, Session,
    SessionClose, SessionEvent, SessionKind, SessionLimits, SessionManager, SessionParameters,
};
use paseo_core::store::{FileStore, MemoryStore, Store};
use paseo_core::time::Instant;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use zeroize::Zeroizing;

fn manager(seed: u64) -> SessionManager {
    SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(seed)),
        Box::new(MemoryStore::new()),
    )
}

fn case_args(
    now_ms: u64,
    id: u16,
    fabric: u8,
    peer: u64,
    is_initiator: bool,
) -> SecureSessionArgs<'static> {
    SecureSessionArgs {
        now: Instant::from_millis(now_ms),
        session_id: id,
        peer_session_id: id,
        kind: SessionKind::Case,
        fabric: Some(FabricIndex(fabric)),
        local_node_id: NodeId(1),
        peer_node_id: NodeId(peer),
        peer_cats: vec![],
        shared_secret: &[7; 32],
        salt: &[],
        is_initiator,
        is_resumption: false,
        peer_parameters: SessionParameters::default(),
        peer_address: None,
    }
}

fn fabric(index: u8, fabric_id: u64) -> Fabric {
    Fabric {
        index: FabricIndex(index),
        fabric_id,
        label: format!("fabric {index}"),
        node_id: NodeId(1),
        root_node_id: NodeId(0x1122),
        root_vendor_id: 0xFFF1,
    }
}

fn record(fabric: u8, fabric_id: u64, peer: u64, id_byte: u8) -> ResumptionRecord {
    ResumptionRecord {
        resumption_id: [id_byte; 16],
        shared_secret: Zeroizing::new([id_byte ^ 0x55; 32]),
        fabric_index: FabricIndex(fabric),
        fabric_id,
        peer_node_id: NodeId(peer),
        peer_cats: vec![0x0001_0001, 0xABCD_0002],
        peer_parameters: SessionParameters::paseo_default(),
    }
}

fn drain(m: &mut SessionManager) -> Vec<SessionEvent> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

#[test]
fn session_ids_start_randomly_per_seed_and_are_deterministic() {
    let first = |seed| manager(seed).get_next_available_session_id().expect("id");
    assert_eq!(first(1), first(1));
    assert_ne!(first(1), first(2));
}

#[test]
fn allocation_skips_zero_and_ids_in_use_and_fails_when_full() {
    let mut m = SessionManager::new(
        ManagerContext {
            limits: SessionLimits {
                max_sessions: usize::MAX,
                max_sessions_per_peer: usize::MAX,
            },
            ..ManagerContext::new(ChaCha20Rng::seed_from_u64(3))
        },
        Box::new(MemoryStore::new()),
    );
    let mut seen = BTreeSet::new();
    for i in 0..u16::MAX {
        let id = m.get_next_available_session_id().expect("free id");
        assert_ne!(id, 0);
        assert!(seen.insert(id), "id {id} handed out twice");
        m.create_secure_session(case_args(u64::from(i), id, 1, u64::from(i) + 10, true))
            .expect("create");
    }
    assert!(matches!(
        m.get_next_available_session_id(),
        Err(ManagerError::SessionIdsExhausted)
    ));
    assert!(matches!(
        m.create_secure_session(case_args(0, 0, 1, 5, true)),
        Err(ManagerError::ReservedSessionId)
    ));
}

#[test]
fn lookups_find_the_right_sessions() {
    let mut m = manager(4);
    m.create_secure_session(case_args(10, 1, 1, 0xAA, true))
        .expect("create");
    m.create_secure_session(case_args(30, 2, 1, 0xAA, true))
        .expect("create");
    m.create_secure_session(case_args(20, 3, 2, 0xAA, true))
        .expect("create");
    let mut pase = case_args(5, 4, 1, 0, false);
    pase.kind = SessionKind::Pase;
    m.create_secure_session(pase).expect("create");
    assert_eq!(
        m.get_session_for_node(FabricIndex(1), NodeId(0xAA))
            .map(|s| s.id()),
        Some(2),
        "most recent wins"
    );
    assert_eq!(
        m.get_session_for_node(FabricIndex(2), NodeId(0xAA))
            .map(|s| s.id()),
        Some(3)
    );
    assert_eq!(m.get_pase_session().map(|s| s.id()), Some(4));
    assert!(
        m.get_pase_session()
            .expect("pase")
            .associated_fabric()
            .is_none(),
        "PASE has no fabric"
    );
    assert_eq!(m.find_oldest_inactive_session().map(|s| s.id()), Some(4));
    // A closing session is no longer picked for new traffic.
    m.get_session_mut(2)
        .expect("2")
        .add_exchange(1, true)
        .expect("exchange");
    assert_eq!(
        m.destroy_session(2, Instant::from_millis(40), true, true)
            .expect("destroy"),
        SessionClose::Deferred
    );
    assert_eq!(
        m.get_session_for_node(FabricIndex(1), NodeId(0xAA))
            .map(|s| s.id()),
        Some(1)
    );
}

#[test]
fn a_full_table_evicts_the_least_recently_active_session() {
    let mut m = SessionManager::new(
        ManagerContext {
            limits: SessionLimits {
                max_sessions: 3,
                max_sessions_per_peer: 5,
            },
            ..ManagerContext::new(ChaCha20Rng::seed_from_u64(5))
        },
        Box::new(MemoryStore::new()),
    );
    m.create_secure_session(case_args(10, 1, 1, 0xA, true))
        .expect("create");
    m.create_secure_session(case_args(20, 2, 1, 0xB, true))
        .expect("create");
    m.create_secure_session(case_args(30, 3, 1, 0xC, true))
        .expect("create");
    // Activity on session 1 makes session 2 the oldest.
    m.get_session_mut(1)
        .expect("1")
        .notify_activity(Instant::from_millis(40), true);
    drain(&mut m);
    m.create_secure_session(case_args(50, 4, 1, 0xD, true))
        .expect("create");
    let ids: Vec<u16> = m.sessions().map(|s| s.id()).collect();
    assert_eq!(ids, vec![1, 3, 4]);
    assert_eq!(
        drain(&mut m),
        vec![
            SessionEvent::Closed {
                session_id: 2,
                reason: CloseReason::Evicted
            },
            SessionEvent::Opened {
                session_id: 4,
                is_pase: false,
                is_resumption: false
            },
        ]
    );
}

#[test]
fn one_peer_holds_at_most_five_responder_sessions() {
    let mut m = manager(6);
    for id in 1..=6u16 {
        m.create_secure_session(case_args(u64::from(id), id, 1, 0xEE, false))
            .expect("create");
    }
    let ids: Vec<u16> = m.sessions().map(|s| s.id()).collect();
    assert_eq!(
        ids,
        vec![2, 3, 4, 5, 6],
        "the oldest responder session of the peer went"
    );
    // Initiator sessions to the same peer do not count (matter.js 0.17.9).
    m.create_secure_session(case_args(10, 7, 1, 0xEE, true))
        .expect("create");
    assert_eq!(m.sessions().count(), 6);
}

#[test]
fn remove_all_sessions_for_node_reports_who_owes_close_session() {
    let mut m = manager(7);
    m.create_secure_session(case_args(1, 1, 1, 0xAA, true))
        .expect("create");
    m.create_secure_session(case_args(2, 2, 1, 0xAA, false))
        .expect("create");
    m.create_secure_session(case_args(3, 3, 1, 0xBB, true))
        .expect("create");
    let owing =
        m.remove_all_sessions_for_node(Instant::from_millis(9), FabricIndex(1), NodeId(0xAA), true);
    assert_eq!(owing, vec![1, 2]);
    // They wait in Closing until the caller has built the message, then leave.
    for id in owing {
        let datagram = m
            .get_session_mut(id)
            .expect("closing")
            .encode_close_session(Instant::from_millis(9), 1);
        assert!(datagram.is_ok());
        m.remove_session(id);
    }
    assert_eq!(m.sessions().map(|s| s.id()).collect::<Vec<_>>(), vec![3]);
    let without_close = m.remove_all_sessions_for_node(
        Instant::from_millis(9),
        FabricIndex(1),
        NodeId(0xBB),
        false,
    );
    assert!(without_close.is_empty());
    assert_eq!(m.sessions().count(), 0);
}

#[test]
fn active_session_information_lists_every_session_with_its_fabric() {
    let mut m = manager(8);
    m.create_secure_session(case_args(1, 1, 1, 0xAA, true))
        .expect("create");
    m.set_active_subscriptions(1, 2).expect("subs");
    let info = m.get_active_session_information(Instant::from_millis(2), &[fabric(1, 0x99)]);
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].name, "case/1");
    assert_eq!(info[0].peer_node_id, NodeId(0xAA));
    assert_eq!(info[0].fabric.as_ref().map(|f| f.fabric_id), Some(0x99));
    assert_eq!(info[0].number_of_active_subscriptions, 2);
    assert!(info[0].is_peer_active && info[0].secure);
    assert!(drain(&mut m).contains(&SessionEvent::SubscriptionsChanged {
        session_id: 1,
        count: 2
    }));
}

#[test]
fn resumption_records_are_one_per_peer_and_findable_both_ways() {
    let mut m = manager(9);
    m.save_resumption_record(record(1, 0x99, 0xAA, 1))
        .expect("save");
    m.save_resumption_record(record(1, 0x99, 0xAA, 2))
        .expect("replace");
    m.save_resumption_record(record(1, 0x99, 0xBB, 3))
        .expect("save");
    assert_eq!(m.resumption_records().count(), 2);
    assert!(
        m.find_resumption_record_by_id(&[1; 16]).is_none(),
        "replaced id is gone"
    );
    assert_eq!(
        m.find_resumption_record_by_id(&[2; 16])
            .map(|r| r.peer_node_id),
        Some(NodeId(0xAA))
    );
    assert_eq!(
        m.find_resumption_record_by_node_id(FabricIndex(1), NodeId(0xBB))
            .map(|r| r.resumption_id),
        Some([3; 16])
    );
    assert!(
        m.remove_resumption_record(FabricIndex(1), NodeId(0xBB))
            .expect("remove")
    );
    assert!(m.find_resumption_record_by_id(&[3; 16]).is_none());
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("paseo-manager-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn file_manager(dir: &TempDir) -> SessionManager {
    let store = FileStore::open(&dir.0).expect("open store");
    SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(1)),
        Box::new(store),
    )
}

#[test]
fn resumption_records_survive_a_restart_through_a_file_store() {
    let dir = TempDir::new("restart");
    let saved: Vec<ResumptionRecord> = vec![
        record(1, 0x99, 0xAA, 1),
        record(2, 0x77, 0xBB, 2),
        record(1, 0x99, 0xCC, 3),
    ];
    {
        let mut m = file_manager(&dir);
        for r in &saved {
            m.save_resumption_record(r.clone()).expect("save");
        }
    } // dropped: RAM state gone
    let mut m = file_manager(&dir);
    assert_eq!(
        m.resumption_records().count(),
        0,
        "nothing is read before init_from_storage"
    );
    let loaded = m
        .init_from_storage(&[fabric(1, 0x99), fabric(2, 0x77)])
        .expect("init");
    assert_eq!(loaded, 3);
    for r in &saved {
        assert_eq!(m.find_resumption_record_by_id(&r.resumption_id), Some(r));
    }
    // A fabric that no longer exists takes its records with it; a fabric restored under
    // another index keeps them, re-indexed.
    let mut m = file_manager(&dir);
    assert_eq!(m.init_from_storage(&[fabric(5, 0x99)]).expect("init"), 2);
    assert_eq!(
        m.find_resumption_record_by_node_id(FabricIndex(5), NodeId(0xCC))
            .map(|r| r.fabric_id),
        Some(0x99)
    );
    assert!(m.find_resumption_record_by_id(&[2; 16]).is_none());
}

#[test]
fn corrupt_stored_records_are_a_typed_error_and_change_nothing() {
    let mut store = MemoryStore::new();
    store
        .set("sessions", "resumptionRecords", &[0x15, 0x24, 0x00, 0x01])
        .expect("set");
    let mut m = SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(1)),
        Box::new(store),
    );
    m.save_resumption_record(record(1, 0x99, 0xAA, 1))
        .expect("save");
    // Saving rewrote the stored value; now corrupt it behind the manager's back via a new one.
    let mut store = MemoryStore::new();
    store
        .set("sessions", "resumptionRecords", b"not tlv at all")
        .expect("set");
    let mut m = SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(1)),
        Box::new(store),
    );
    let err = m
        .init_from_storage(&[fabric(1, 0x99)])
        .expect_err("corrupt");
    assert!(
        matches!(err, ManagerError::CorruptResumptionRecords(_)),
        "{err}"
    );
    assert!(
        err.to_string().contains("sessions/resumptionRecords"),
        "{err}"
    );
    assert_eq!(m.resumption_records().count(), 0);
}

/// A store the test can look into after handing it to a manager.
#[derive(Clone, Default)]
struct SharedStore(std::sync::Arc<std::sync::Mutex<MemoryStore>>);

impl SharedStore {
    fn inner(&self) -> std::sync::MutexGuard<'_, MemoryStore> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Store for SharedStore {
    fn get(
        &self,
        context: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, paseo_core::store::StoreError> {
        self.inner().get(context, key)
    }
    fn set(
        &mut self,
        context: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), paseo_core::store::StoreError> {
        self.inner().set(context, key, value)
    }
    fn delete(&mut self, context: &str, key: &str) -> Result<bool, paseo_core::store::StoreError> {
        self.inner().delete(context, key)
    }
    fn keys(&self, context: &str) -> Result<Vec<String>, paseo_core::store::StoreError> {
        self.inner().keys(context)
    }
}

/// Before the fix, the first record saved after a failed load replaced the undecodable value,
/// destroying the records it still held (found by `scenarios/hostile-corrupt-store.yaml`: a
/// truncated value keeps its first records intact). Now the value stays as found until it is
/// discarded on purpose; the in-memory table keeps working meanwhile.
#[test]
fn regression_a_save_after_a_corrupt_load_overwrote_the_stored_records() {
    let shared = SharedStore::default();
    let mut first = SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(4)),
        Box::new(shared.clone()),
    );
    first
        .save_resumption_record(record(1, 0x99, 0xAA, 1))
        .expect("save");
    first
        .save_resumption_record(record(1, 0x99, 0xBB, 2))
        .expect("save");
    let mut stored = shared
        .get("sessions", "resumptionRecords")
        .expect("get")
        .expect("value");
    stored.truncate(stored.len() / 2);
    shared
        .inner()
        .set("sessions", "resumptionRecords", &stored)
        .expect("set");

    let mut m = SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(5)),
        Box::new(shared.clone()),
    );
    assert!(matches!(
        m.init_from_storage(&[fabric(1, 0x99)]),
        Err(ManagerError::CorruptResumptionRecords(_))
    ));
    let err = m
        .save_resumption_record(record(1, 0x99, 0xCC, 3))
        .expect_err("the corrupt value is not overwritten");
    assert!(err.to_string().contains("not overwritten"), "{err}");
    assert_eq!(
        shared.get("sessions", "resumptionRecords").expect("get"),
        Some(stored.clone()),
        "the stored value changed"
    );
    assert!(
        m.find_resumption_record_by_node_id(FabricIndex(1), NodeId(0xCC))
            .is_some(),
        "the record still works in memory"
    );
    m.close(Instant::ZERO, false)
        .expect("close leaves the value alone");
    assert_eq!(
        shared.get("sessions", "resumptionRecords").expect("get"),
        Some(stored)
    );

    // Discarding on purpose writes the in-memory records in its place.
    let mut m = SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(6)),
        Box::new(shared.clone()),
    );
    assert!(m.init_from_storage(&[fabric(1, 0x99)]).is_err());
    m.save_resumption_record(record(1, 0x99, 0xDD, 4))
        .expect_err("refused");
    m.discard_stored_resumption_records().expect("discard");
    let mut reloaded = SessionManager::new(
        ManagerContext::new(ChaCha20Rng::seed_from_u64(7)),
        Box::new(shared),
    );
    assert_eq!(
        reloaded
            .init_from_storage(&[fabric(1, 0x99)])
            .expect("load"),
        1
    );
}

#[test]
fn a_corrupt_store_file_is_an_error_naming_the_file() {
    let dir = TempDir::new("corrupt");
    {
        let mut m = file_manager(&dir);
        m.save_resumption_record(record(1, 0x99, 0xAA, 1))
            .expect("save");
    }
    let path = std::fs::read_dir(&dir.0)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pstore"))
        .expect("store file");
    let mut bytes = std::fs::read(&path).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&path, &bytes).expect("write");
    let mut m = file_manager(&dir);
    let err = m
        .init_from_storage(&[fabric(1, 0x99)])
        .expect_err("corrupt file");
    assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
}

#[test]
fn close_persists_records_and_ends_every_session() {
    let mut m = manager(10);
    m.create_secure_session(case_args(1, 1, 1, 0xAA, true))
        .expect("create");
    m.create_secure_session(case_args(1, 2, 1, 0xBB, true))
        .expect("create");
    m.save_resumption_record(record(1, 0x99, 0xAA, 1))
        .expect("save");
    let owing = m.close(Instant::from_millis(5), false).expect("close");
    assert!(owing.is_empty());
    assert_eq!(m.sessions().count(), 0);
    assert!(matches!(
        m.create_secure_session(case_args(6, 3, 1, 0xCC, true)),
        Err(ManagerError::Closed)
    ));
}

proptest! {
    #[test]
    fn allocation_never_returns_zero_or_an_id_in_use(
        seed in any::<u64>(),
        ops in prop::collection::vec((any::<bool>(), any::<prop::sample::Index>()), 1..200),
    ) {
        let mut m = SessionManager::new(
            ManagerContext {
                limits: SessionLimits { max_sessions: 1000, max_sessions_per_peer: 1000 },
                ..ManagerContext::new(ChaCha20Rng::seed_from_u64(seed))
            },
            Box::new(MemoryStore::new()),
        );
        let mut live: Vec<u16> = Vec::new();
        for (i, (create, pick)) in ops.into_iter().enumerate() {
            if create || live.is_empty() {
                let id = m.get_next_available_session_id().expect("free");
                prop_assert_ne!(id, 0);
                prop_assert!(!live.contains(&id));
                m.create_secure_session(case_args(i as u64, id, 1, i as u64 + 1, true)).expect("create");
                live.push(id);
            } else {
                let id = live.remove(pick.index(live.len()));
                prop_assert!(m.remove_session(id).is_some());
            }
            let ids: Vec<u16> = m.sessions().map(|s| s.id()).collect();
            let mut expected = live.clone();
            expected.sort_unstable();
            prop_assert_eq!(ids, expected);
        }
    }
}
