//! Resumption records: what a node keeps after a full CASE so that a later CASE can resume
//! without certificates (Matter 1.3 §4.14.2; matter.js `session/SessionManager.ts`).
//!
//! At most one record per (fabric, peer node id), also findable by resumption id; saving a new
//! record for the same peer replaces the old one (matter.js `PeerAddressMap`, CHIP
//! `DefaultSessionResumptionStorage::Save`).

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::fabric::{FabricIndex, NodeId};
use crate::session::params::SessionParameters;

/// Length of a resumption id.
pub const RESUMPTION_ID_LEN: usize = 16;
/// Length of the CASE shared secret (the ECDH x coordinate).
pub const SHARED_SECRET_LEN: usize = 32;

/// A resumption id as carried in TBEData2 / Sigma1 / Sigma2_Resume.
pub type ResumptionId = [u8; RESUMPTION_ID_LEN];

/// Everything needed to resume a CASE session with one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumptionRecord {
    /// The responder-chosen id of the next resumption (replaced on each resumption).
    pub resumption_id: ResumptionId,
    /// ECDH shared secret of the original full CASE; unchanged by resumption.
    pub shared_secret: Zeroizing<[u8; SHARED_SECRET_LEN]>,
    /// Local fabric the session belongs to.
    pub fabric_index: FabricIndex,
    /// That fabric's 64-bit id (kept so a record can be checked against the fabric table).
    pub fabric_id: u64,
    /// The peer's operational node id (from its NOC).
    pub peer_node_id: NodeId,
    /// The peer's CASE Authenticated Tags (up to 3, from its NOC).
    pub peer_cats: Vec<u32>,
    /// The peer's session parameters as last seen (matter.js keeps them too).
    pub peer_parameters: SessionParameters,
}

/// The in-memory set of records, indexed both ways. Iteration is ordered by
/// (fabric index, peer node id), so persistence and listings are deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResumptionTable {
    by_peer: BTreeMap<(FabricIndex, NodeId), ResumptionRecord>,
    by_id: BTreeMap<ResumptionId, (FabricIndex, NodeId)>,
}

impl ResumptionTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.by_peer.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.by_peer.is_empty()
    }

    /// Inserts `record`, replacing any record for the same peer (and dropping the replaced
    /// record's id from the id index). Returns the replaced record.
    pub fn save(&mut self, record: ResumptionRecord) -> Option<ResumptionRecord> {
        let peer = (record.fabric_index, record.peer_node_id);
        let replaced = self.remove(peer.0, peer.1);
        // A resumption id is 16 random bytes; should two peers ever share one, the newest
        // record owns the id and the older record loses its by-id entry, never its data.
        self.by_id.insert(record.resumption_id, peer);
        self.by_peer.insert(peer, record);
        replaced
    }

    /// The record whose current resumption id is `id`.
    pub fn find_by_id(&self, id: &ResumptionId) -> Option<&ResumptionRecord> {
        self.by_id.get(id).and_then(|peer| self.by_peer.get(peer))
    }

    /// The record for `peer_node_id` on `fabric`.
    pub fn find_by_node(
        &self,
        fabric: FabricIndex,
        peer_node_id: NodeId,
    ) -> Option<&ResumptionRecord> {
        self.by_peer.get(&(fabric, peer_node_id))
    }

    /// Removes and returns the record for the peer.
    pub fn remove(
        &mut self,
        fabric: FabricIndex,
        peer_node_id: NodeId,
    ) -> Option<ResumptionRecord> {
        let peer = (fabric, peer_node_id);
        let record = self.by_peer.remove(&peer)?;
        if self.by_id.get(&record.resumption_id) == Some(&peer) {
            self.by_id.remove(&record.resumption_id);
        }
        Some(record)
    }

    /// Removes every record of `fabric`; returns how many went.
    pub fn remove_fabric(&mut self, fabric: FabricIndex) -> usize {
        let peers: Vec<_> = self
            .by_peer
            .range((fabric, NodeId(0))..=(fabric, NodeId(u64::MAX)))
            .map(|(k, _)| *k)
            .collect();
        for (f, n) in &peers {
            self.remove(*f, *n);
        }
        peers.len()
    }

    /// Keeps only the records for which `keep` returns true; returns how many were dropped.
    pub fn retain(&mut self, mut keep: impl FnMut(&ResumptionRecord) -> bool) -> usize {
        let doomed: Vec<_> = self
            .by_peer
            .iter()
            .filter(|(_, r)| !keep(r))
            .map(|(k, _)| *k)
            .collect();
        for (f, n) in &doomed {
            self.remove(*f, *n);
        }
        doomed.len()
    }

    /// Points the records of fabric `fabric_id` at local index `index` (matter.js
    /// `updateFabricForResumptionRecords`: a restored fabric may come back under another
    /// index). Returns how many records moved.
    pub fn update_fabric(&mut self, index: FabricIndex, fabric_id: u64) -> usize {
        let moving: Vec<_> = self
            .by_peer
            .iter()
            .filter(|(_, r)| r.fabric_id == fabric_id && r.fabric_index != index)
            .map(|(k, _)| *k)
            .collect();
        for (f, n) in &moving {
            if let Some(mut record) = self.remove(*f, *n) {
                record.fabric_index = index;
                self.save(record);
            }
        }
        moving.len()
    }

    /// Every record, ordered by (fabric index, peer node id).
    pub fn iter(&self) -> impl Iterator<Item = &ResumptionRecord> {
        self.by_peer.values()
    }
}
