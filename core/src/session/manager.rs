//! The session table of one node (matter.js `SessionManager`): secure and unsecured sessions,
//! session id allocation, eviction, lookups, resumption records and their persistence.
//!
//! Sans-IO: closing a session never sends anything itself. Calls that close sessions return
//! [`SessionClose`] values saying whether a CloseSession message is owed to the peer; the node
//! driver turns those into datagrams. Lifecycle notifications are queued as
//! [`SessionEvent`]s and drained with [`SessionManager::poll_event`].

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

use crate::fabric::{Fabric, FabricIndex, NodeId};
use crate::session::counter::{CounterKind, MessageCounter};
use crate::session::error::SessionError;
use crate::session::resumption::{ResumptionId, ResumptionRecord, ResumptionTable};
use crate::session::resumption_codec;
use crate::session::secure::{SecureSession, SecureSessionArgs, SessionKind};
use crate::session::unsecure::{SharedUnencryptedCounter, UnsecureSession, UnsecureSessionKey};
use crate::session::{CloseReason, Session, SessionClose};
use crate::store::Store;
use crate::time::Instant;

/// Storage context and key of the resumption records (as matter.js names them in
/// `session/SessionManager.ts`).
pub const RESUMPTION_CONTEXT: &str = "sessions";
/// See [`RESUMPTION_CONTEXT`].
pub const RESUMPTION_KEY: &str = "resumptionRecords";

/// Bounds on the session table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// Secure sessions held at once. When a new session would exceed it, the least recently
    /// active session is evicted (no CloseSession is sent). Default 64: well above the spec
    /// minimum (3 CASE sessions per fabric + 1 PASE) while keeping the table small.
    pub max_sessions: usize,
    /// Responder-side CASE sessions one peer (fabric, node id) may hold; the least recently
    /// active one is evicted beyond it. Default 5, as matter.js 0.17.9
    /// (`MAX_SESSIONS_PER_PEER`, Matter 1.3 §4.14.2.8; connectedhomeip
    /// `src/transport/SecureSessionTable.cpp`).
    pub max_sessions_per_peer: usize,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_sessions: 64,
            max_sessions_per_peer: 5,
        }
    }
}

/// What the manager is built from besides its store (the `context` of matter.js).
pub struct ManagerContext {
    /// The node's seeded RNG: session ids and counter starting values come from it.
    pub rng: ChaCha20Rng,
    /// Table bounds.
    pub limits: SessionLimits,
    /// Forces the first value of every new secure session's outbound counter (tests and
    /// scenarios use it to start near exhaustion, Matter 1.3 §4.6); `None` draws it from the RNG.
    pub secure_counter_start: Option<u32>,
    /// Forces the first value of the global unencrypted counter.
    pub unencrypted_counter_start: Option<u32>,
}

impl ManagerContext {
    /// A context with default limits and random counter starts.
    pub fn new(rng: ChaCha20Rng) -> Self {
        ManagerContext {
            rng,
            limits: SessionLimits::default(),
            secure_counter_start: None,
            unencrypted_counter_start: None,
        }
    }
}

/// A lifecycle notification (the `sessionOpened` / `sessionClosed` / `subscriptionsChanged`
/// observables of matter.js).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// A secure session was added to the table.
    Opened {
        session_id: u16,
        is_pase: bool,
        is_resumption: bool,
    },
    /// A secure session left the table.
    Closed {
        session_id: u16,
        reason: CloseReason,
    },
    /// The number of subscriptions on a session changed.
    SubscriptionsChanged { session_id: u16, count: u32 },
}

/// Errors of the manager (beyond those of single sessions).
#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    /// Every session id 1..=0xFFFF is in use.
    #[error("all 65535 session ids are in use")]
    SessionIdsExhausted,
    /// A session with this id already exists.
    #[error("session id {0} is already in use")]
    SessionIdInUse(u16),
    /// Session id 0 is the unsecured session and cannot be allocated (matter.js
    /// `session/SessionManager.ts`).
    #[error("session id 0 is reserved for the unsecured session")]
    ReservedSessionId,
    /// No session with this id.
    #[error("no session with id {0}")]
    UnknownSession(u16),
    /// A forced counter start of 0 (paseo never sends counter 0, matter.js
    /// `protocol/MessageReceptionState.ts`).
    #[error("a forced message counter start must not be 0")]
    InvalidCounterStart,
    /// The manager was closed.
    #[error("the session manager is closed")]
    Closed,
    /// A session could not be built.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The stored resumption records could not be decoded; nothing was loaded or changed.
    #[error("stored resumption records ({RESUMPTION_CONTEXT}/{RESUMPTION_KEY}) are corrupt: {0}")]
    CorruptResumptionRecords(String),
}

/// Read-only facts about one secure session (matter.js `getActiveSessionInformation`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveSessionInformation {
    /// `name()` of the session.
    pub name: String,
    /// Local node id.
    pub node_id: NodeId,
    /// Peer node id.
    pub peer_node_id: NodeId,
    /// Fabric facts, for CASE sessions.
    pub fabric: Option<Fabric>,
    /// Always true: only secure sessions are listed.
    pub secure: bool,
    /// Whether the peer counts as active (Matter 1.3 §4.12.2.1) at the time of the call.
    pub is_peer_active: bool,
    /// Last time anything happened on the session.
    pub last_active: Instant,
    /// Last time a message was received from the peer.
    pub last_interaction: Option<Instant>,
    /// Subscriptions carried by the session.
    pub number_of_active_subscriptions: u32,
}

/// The session table of a node.
pub struct SessionManager {
    rng: ChaCha20Rng,
    limits: SessionLimits,
    secure_counter_start: Option<u32>,
    store: Box<dyn Store>,
    /// Boxed: a session is ~1.7 KB (two expanded AES key schedules), and B-tree nodes hold
    /// 11 values inline, so unboxed values cost their size again in empty slots (measured by
    /// `cargo bench -p paseo-core --bench session_memory`).
    sessions: BTreeMap<u16, Box<SecureSession>>,
    unsecure: BTreeMap<UnsecureSessionKey, UnsecureSession>,
    unencrypted_counter: SharedUnencryptedCounter,
    next_session_id: u16,
    resumption: ResumptionTable,
    events: VecDeque<SessionEvent>,
    closed: bool,
    /// `init_from_storage` found the stored records undecodable: they are left as found
    /// (never overwritten by a later save) until [`SessionManager::discard_stored_resumption_records`].
    stored_records_corrupt: bool,
}

impl SessionManager {
    /// A manager with an empty table. Resumption records are not read until
    /// [`SessionManager::init_from_storage`].
    pub fn new(context: ManagerContext, store: Box<dyn Store>) -> Self {
        let ManagerContext {
            mut rng,
            limits,
            secure_counter_start,
            unencrypted_counter_start,
        } = context;
        let unencrypted_counter = match unencrypted_counter_start {
            Some(start) => SharedUnencryptedCounter::starting_at(start),
            None => SharedUnencryptedCounter::random(&mut rng),
        };
        // Random start, as CHIP and matter.js do (`session/SessionManager.ts`); 0 is skipped by
        // allocation.
        let next_session_id = rng.next_u32() as u16;
        SessionManager {
            rng,
            limits,
            secure_counter_start,
            store,
            sessions: BTreeMap::new(),
            unsecure: BTreeMap::new(),
            unencrypted_counter,
            next_session_id,
            resumption: ResumptionTable::new(),
            events: VecDeque::new(),
            closed: false,
            stored_records_corrupt: false,
        }
    }

    /// The table bounds in force.
    pub fn limits(&self) -> SessionLimits {
        self.limits
    }

    /// The next lifecycle event, oldest first.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    // ----- session ids ---------------------------------------------------------------------

    /// The next free local session id: counting up from a random start, wrapping within
    /// 1..=0xFFFF and skipping ids in use (matter.js `session/SessionManager.ts`). The id is not
    /// reserved; create the session with it before asking again.
    pub fn get_next_available_session_id(&mut self) -> Result<u16, ManagerError> {
        if self.sessions.len() >= usize::from(u16::MAX) {
            return Err(ManagerError::SessionIdsExhausted);
        }
        loop {
            self.next_session_id = self.next_session_id.wrapping_add(1);
            let candidate = self.next_session_id;
            if candidate != 0 && !self.sessions.contains_key(&candidate) {
                return Ok(candidate);
            }
        }
    }

    // ----- secure sessions -----------------------------------------------------------------

    /// Builds a secure session from a finished handshake, derives its keys and adds it to the
    /// table, evicting the least recently active session(s) if a limit would be exceeded.
    pub fn create_secure_session(
        &mut self,
        args: SecureSessionArgs<'_>,
    ) -> Result<&mut SecureSession, ManagerError> {
        if self.closed {
            return Err(ManagerError::Closed);
        }
        if args.session_id == 0 {
            return Err(ManagerError::ReservedSessionId);
        }
        if self.sessions.contains_key(&args.session_id) {
            return Err(ManagerError::SessionIdInUse(args.session_id));
        }
        let counter = match self.secure_counter_start {
            Some(start) => MessageCounter::with_initial(CounterKind::SecureSession, start)
                .map_err(|_| ManagerError::InvalidCounterStart)?,
            None => MessageCounter::random(CounterKind::SecureSession, &mut self.rng),
        };
        let now = args.now;
        let session = SecureSession::new(args, counter)?;
        let id = session.id();
        self.make_room_for(&session, now);
        self.events.push_back(SessionEvent::Opened {
            session_id: id,
            is_pase: session.is_pase(),
            is_resumption: session.is_resumption(),
        });
        Ok(self.sessions.entry(id).or_insert(Box::new(session)))
    }

    /// Evicts sessions so that `incoming` fits within the limits.
    fn make_room_for(&mut self, incoming: &SecureSession, now: Instant) {
        // Per peer: only responder-side CASE sessions count (matter.js 0.17.9).
        if let (SessionKind::Case, false, Some(fabric)) = (
            incoming.kind(),
            incoming.is_initiator(),
            incoming.associated_fabric(),
        ) {
            let peer = (fabric, incoming.peer_node_id());
            loop {
                let same_peer: Vec<&SecureSession> = self
                    .sessions
                    .values()
                    .map(Box::as_ref)
                    .filter(|s| s.kind() == SessionKind::Case && !s.is_initiator())
                    .filter(|s| s.associated_fabric() == Some(peer.0) && s.peer_node_id() == peer.1)
                    .collect();
                if same_peer.len() < self.limits.max_sessions_per_peer {
                    break;
                }
                let Some(victim) = least_recently_active(same_peer.into_iter()) else {
                    break;
                };
                self.evict(victim, now);
            }
        }
        while self.sessions.len() >= self.limits.max_sessions.max(1) {
            let Some(victim) = least_recently_active(self.sessions.values().map(Box::as_ref))
            else {
                break;
            };
            self.evict(victim, now);
        }
    }

    fn evict(&mut self, id: u16, now: Instant) {
        self.evict_session(id, now);
    }

    /// Force-closes session `id` to make room (no CloseSession is sent, Matter 1.3 §4.14.2.8;
    /// connectedhomeip `src/transport/SecureSessionTable.cpp`); its `Closed` event says `Evicted`.
    /// Returns whether the session existed.
    pub fn evict_session(&mut self, id: u16, now: Instant) -> bool {
        let Some(mut session) = self.sessions.remove(&id) else {
            return false;
        };
        let _ = session.end(now, false);
        self.events.push_back(SessionEvent::Closed {
            session_id: id,
            reason: CloseReason::Evicted,
        });
        true
    }

    /// The secure session with local id `id`.
    pub fn get_session(&self, id: u16) -> Option<&SecureSession> {
        self.sessions.get(&id).map(Box::as_ref)
    }

    /// Mutable access to the secure session with local id `id`.
    pub fn get_session_mut(&mut self, id: u16) -> Option<&mut SecureSession> {
        self.sessions.get_mut(&id).map(Box::as_mut)
    }

    /// The PASE session, if one exists (a node holds at most one at a time in practice; the
    /// lowest id wins if there are several).
    pub fn get_pase_session(&self) -> Option<&SecureSession> {
        self.sessions
            .values()
            .map(Box::as_ref)
            .find(|s| s.is_pase())
    }

    /// The session to use toward `node_id` on `fabric`: the non-closing session with the most
    /// recent activity (matter.js 0.17.9, Matter 1.3 §4.7.2); ties go to the higher session id.
    pub fn get_session_for_node(
        &self,
        fabric: FabricIndex,
        node_id: NodeId,
    ) -> Option<&SecureSession> {
        self.sessions
            .values()
            .map(Box::as_ref)
            .filter(|s| {
                s.associated_fabric() == Some(fabric)
                    && s.peer_node_id() == node_id
                    && !s.is_closing()
            })
            .max_by_key(|s| (s.last_active(), s.id()))
    }

    /// Every secure session, ordered by local id.
    pub fn sessions(&self) -> impl Iterator<Item = &SecureSession> {
        self.sessions.values().map(Box::as_ref)
    }

    /// The least recently active session that is not closing (matter.js
    /// `findOldestInactiveSession`), ties broken by the lower id.
    pub fn find_oldest_inactive_session(&self) -> Option<&SecureSession> {
        let id = least_recently_active(
            self.sessions
                .values()
                .map(Box::as_ref)
                .filter(|s| !s.is_closing()),
        )?;
        self.sessions.get(&id).map(Box::as_ref)
    }

    /// Removes the session from the table without any message (the caller already sent, or
    /// chose not to send, a CloseSession). Returns it, keys zeroized on drop.
    pub fn remove_session(&mut self, id: u16) -> Option<SecureSession> {
        let session = self.sessions.remove(&id)?;
        self.events.push_back(SessionEvent::Closed {
            session_id: id,
            reason: session.close_reason().unwrap_or(CloseReason::Local),
        });
        Some(*session)
    }

    /// Closes the session `id` (matter.js `session.destroy`): with `close_after_exchange_finished`
    /// and exchanges still running it is only marked; otherwise it leaves the table now. The
    /// result says whether a CloseSession is owed to the peer (then encode it with
    /// [`SecureSession::encode_close_session`] before calling [`SessionManager::remove_session`]:
    /// the session stays in the table in `Closing` state until then).
    pub fn destroy_session(
        &mut self,
        id: u16,
        now: Instant,
        send_close: bool,
        close_after_exchange_finished: bool,
    ) -> Result<SessionClose, ManagerError> {
        let session = self
            .sessions
            .get_mut(&id)
            .ok_or(ManagerError::UnknownSession(id))?;
        let outcome = session.destroy(now, send_close, close_after_exchange_finished);
        if outcome == (SessionClose::Closed { send_close: false }) {
            self.remove_session(id);
        }
        Ok(outcome)
    }

    /// Closes every session with `node_id` on `fabric` (matter.js `removeAllSessionsForNode`).
    /// Returns the ids that owe the peer a CloseSession (when `send_close`); those sessions
    /// stay in `Closing` state until the caller has encoded the message and removed them.
    pub fn remove_all_sessions_for_node(
        &mut self,
        now: Instant,
        fabric: FabricIndex,
        node_id: NodeId,
        send_close: bool,
    ) -> Vec<u16> {
        let ids: Vec<u16> = self
            .sessions
            .values()
            .filter(|s| s.associated_fabric() == Some(fabric) && s.peer_node_id() == node_id)
            .map(|s| s.id())
            .collect();
        let mut owing = Vec::new();
        for id in ids {
            if let Ok(SessionClose::Closed { send_close: true }) =
                self.destroy_session(id, now, send_close, false)
            {
                owing.push(id);
            }
        }
        owing
    }

    /// Facts about every secure session, ordered by local id.
    pub fn get_active_session_information(
        &self,
        now: Instant,
        fabrics: &[Fabric],
    ) -> Vec<ActiveSessionInformation> {
        self.sessions
            .values()
            .map(|s| ActiveSessionInformation {
                name: s.name(),
                node_id: s.node_id(),
                peer_node_id: s.peer_node_id(),
                fabric: s
                    .associated_fabric()
                    .and_then(|index| fabrics.iter().find(|f| f.index == index).cloned()),
                secure: true,
                is_peer_active: s.is_peer_active(now),
                last_active: s.last_active(),
                last_interaction: s.last_received(),
                number_of_active_subscriptions: s.active_subscriptions(),
            })
            .collect()
    }

    /// Records the number of subscriptions a session carries, with an event if it changed.
    pub fn set_active_subscriptions(&mut self, id: u16, count: u32) -> Result<(), ManagerError> {
        let session = self
            .sessions
            .get_mut(&id)
            .ok_or(ManagerError::UnknownSession(id))?;
        if session.active_subscriptions() != count {
            session.set_active_subscriptions(count);
            self.events.push_back(SessionEvent::SubscriptionsChanged {
                session_id: id,
                count,
            });
        }
        Ok(())
    }

    // ----- unsecured sessions --------------------------------------------------------------

    /// The unsecured session with `peer` for the ephemeral initiator node id
    /// `initiator_node_id` (Matter 1.3 "Unsecured Session Context"), if any.
    pub fn get_unsecure_session(
        &self,
        peer: SocketAddr,
        initiator_node_id: NodeId,
    ) -> Option<&UnsecureSession> {
        self.unsecure.get(&UnsecureSessionKey {
            peer,
            initiator_node_id,
        })
    }

    /// Mutable access to an unsecured session.
    pub fn get_unsecure_session_mut(
        &mut self,
        peer: SocketAddr,
        initiator_node_id: NodeId,
    ) -> Option<&mut UnsecureSession> {
        self.unsecure.get_mut(&UnsecureSessionKey {
            peer,
            initiator_node_id,
        })
    }

    /// Returns the unsecured session for (peer, initiator node id), creating it if needed.
    /// `we_initiate` says which side picked the ephemeral id (it decides header node ids).
    pub fn create_unsecure_session(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        initiator_node_id: NodeId,
        we_initiate: bool,
    ) -> &mut UnsecureSession {
        let key = UnsecureSessionKey {
            peer,
            initiator_node_id,
        };
        self.unsecure.entry(key).or_insert_with(|| {
            UnsecureSession::new(now, key, we_initiate, self.unencrypted_counter.clone())
        })
    }

    /// Every unsecured session, ordered by key (peer address, initiator node id).
    pub fn unsecure_sessions(&self) -> impl Iterator<Item = &UnsecureSession> {
        self.unsecure.values()
    }

    /// A fresh random ephemeral initiator node id for an unsecured session we start.
    pub fn random_ephemeral_node_id(&mut self) -> NodeId {
        loop {
            let id = NodeId(self.rng.next_u64());
            if id.is_operational() {
                return id;
            }
        }
    }

    /// Drops an unsecured session (its establishment exchange ended).
    pub fn remove_unsecure_session(&mut self, peer: SocketAddr, initiator_node_id: NodeId) -> bool {
        self.unsecure
            .remove(&UnsecureSessionKey {
                peer,
                initiator_node_id,
            })
            .is_some()
    }

    /// The node-wide unencrypted message counter shared by all unsecured sessions (Matter 1.3
    /// §4.6).
    pub fn unencrypted_counter(&self) -> &SharedUnencryptedCounter {
        &self.unencrypted_counter
    }

    // ----- resumption records --------------------------------------------------------------

    /// Saves (or replaces) the record for its peer and persists all records.
    pub fn save_resumption_record(&mut self, record: ResumptionRecord) -> Result<(), ManagerError> {
        self.resumption.save(record);
        self.store_resumption_records()
    }

    /// The record whose resumption id is `id`.
    pub fn find_resumption_record_by_id(&self, id: &ResumptionId) -> Option<&ResumptionRecord> {
        self.resumption.find_by_id(id)
    }

    /// The record for `node_id` on `fabric`.
    pub fn find_resumption_record_by_node_id(
        &self,
        fabric: FabricIndex,
        node_id: NodeId,
    ) -> Option<&ResumptionRecord> {
        self.resumption.find_by_node(fabric, node_id)
    }

    /// Deletes the record for `node_id` on `fabric` and persists the rest.
    pub fn remove_resumption_record(
        &mut self,
        fabric: FabricIndex,
        node_id: NodeId,
    ) -> Result<bool, ManagerError> {
        let removed = self.resumption.remove(fabric, node_id).is_some();
        if removed {
            self.store_resumption_records()?;
        }
        Ok(removed)
    }

    /// Deletes every record of a fabric (fabric removal, matter.js `session/SessionManager.ts`) and
    /// persists the rest.
    pub fn remove_resumption_records_for_fabric(
        &mut self,
        fabric: FabricIndex,
    ) -> Result<usize, ManagerError> {
        let removed = self.resumption.remove_fabric(fabric);
        if removed > 0 {
            self.store_resumption_records()?;
        }
        Ok(removed)
    }

    /// All records, ordered by (fabric index, peer node id).
    pub fn resumption_records(&self) -> impl Iterator<Item = &ResumptionRecord> {
        self.resumption.iter()
    }

    /// Writes every record to the store as one value (matter.js does the same in
    /// `session/SessionManager.ts`). Refused while the stored value is one `init_from_storage`
    /// could not decode: overwriting it would destroy the records it still holds (the in-memory
    /// table keeps working).
    pub fn store_resumption_records(&mut self) -> Result<(), ManagerError> {
        if self.stored_records_corrupt {
            return Err(ManagerError::CorruptResumptionRecords(
                "left as found, not overwritten".to_owned(),
            ));
        }
        let bytes = resumption_codec::encode_records(self.resumption.iter());
        self.store.set(RESUMPTION_CONTEXT, RESUMPTION_KEY, &bytes)?;
        Ok(())
    }

    /// Loads the stored records, dropping those whose fabric is not in `fabrics` (by fabric
    /// id; a record whose fabric came back under another index is re-indexed). A corrupt value
    /// is an error and leaves the in-memory table and the store untouched; later saves do not
    /// overwrite it either ([`SessionManager::store_resumption_records`]).
    pub fn init_from_storage(&mut self, fabrics: &[Fabric]) -> Result<usize, ManagerError> {
        let Some(bytes) = self.store.get(RESUMPTION_CONTEXT, RESUMPTION_KEY)? else {
            return Ok(0);
        };
        let records = match resumption_codec::decode_records(&bytes) {
            Ok(records) => records,
            Err(e) => {
                self.stored_records_corrupt = true;
                return Err(ManagerError::CorruptResumptionRecords(e.to_string()));
            }
        };
        let mut table = ResumptionTable::new();
        for mut record in records {
            if let Some(fabric) = fabrics.iter().find(|f| f.fabric_id == record.fabric_id) {
                record.fabric_index = fabric.index;
                table.save(record);
            }
        }
        let loaded = table.len();
        self.resumption = table;
        Ok(loaded)
    }

    /// Gives up the stored value `init_from_storage` could not decode (after it was copied
    /// away or judged lost) and writes the in-memory records in its place.
    pub fn discard_stored_resumption_records(&mut self) -> Result<(), ManagerError> {
        self.stored_records_corrupt = false;
        self.store_resumption_records()
    }

    /// Re-points records of `fabric` (by fabric id) at its current index and persists them.
    pub fn update_fabric_for_resumption_records(
        &mut self,
        fabric: &Fabric,
    ) -> Result<usize, ManagerError> {
        let moved = self
            .resumption
            .update_fabric(fabric.index, fabric.fabric_id);
        if moved > 0 {
            self.store_resumption_records()?;
        }
        Ok(moved)
    }

    // ----- shutdown ------------------------------------------------------------------------

    /// Shuts the manager down (matter.js `close`): persists the records, then ends every
    /// session. Returns the ids owing the peer a CloseSession when `send_close`; they stay in
    /// `Closing` state for the caller to encode and remove. New sessions are refused after.
    pub fn close(&mut self, now: Instant, send_close: bool) -> Result<Vec<u16>, ManagerError> {
        self.closed = true;
        if !self.stored_records_corrupt {
            self.store_resumption_records()?;
        }
        let ids: Vec<u16> = self.sessions.keys().copied().collect();
        let mut owing = Vec::new();
        for id in ids {
            if let Ok(SessionClose::Closed { send_close: true }) =
                self.destroy_session(id, now, send_close, false)
            {
                owing.push(id);
            }
        }
        self.unsecure.clear();
        Ok(owing)
    }
}

/// The id of the session with the oldest activity (ties: lowest id), deterministic.
fn least_recently_active<'a>(sessions: impl Iterator<Item = &'a SecureSession>) -> Option<u16> {
    sessions
        .min_by_key(|s| (s.last_active(), s.id()))
        .map(|s| s.id())
}
