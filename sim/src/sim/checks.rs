//! The driver's own oracles: session tables that agree, and the liveness phase.

use std::net::SocketAddr;
use std::rc::Rc;

use paseo_core::session::Session;
use paseo_core::time::Instant;

use super::*;
use crate::oracle::OracleKind;
use crate::world::HostState;

impl Simulation {
    pub(super) fn start_liveness(&mut self, now: Instant, probes: bool) {
        self.world.network.borrow_mut().heal_all();
        self.world.action_line(
            now,
            "sim",
            "-",
            String::new(),
            "liveness phase: partitions repaired, loss/duplication/reordering removed",
        );
        if !probes {
            return;
        }
        let live: Vec<(usize, usize)> = self
            .pairs
            .iter()
            .filter(|p| p.probed())
            .map(|p| (p.a, p.b))
            .collect();
        let names = self.world.names();
        let one_sided: Vec<String> = self
            .pairs
            .iter()
            .filter(|p| p.live() && !p.confirmed)
            .map(|p| {
                format!(
                    "{}:{} <-> {}:{}",
                    names.get(p.a).map_or("?", String::as_str),
                    p.a_id,
                    names.get(p.b).map_or("?", String::as_str),
                    p.b_id
                )
            })
            .collect();
        for pair in one_sided {
            self.world.action_line(
                now,
                "sim",
                "-",
                String::new(),
                &format!("not probed: session {pair} was never held by both ends (one-sided)"),
            );
        }
        for (a, b) in live {
            for (from, to) in [(a, b), (b, a)] {
                let (Some(from), Some(to)) = (names.get(from), names.get(to)) else {
                    continue;
                };
                let id = self.allocate_action();
                self.probes.insert(id);
                self.start(id, Action::exchange(from, to, 1, true), now);
            }
        }
    }

    pub(super) fn check_liveness_end(&mut self, now: Instant) {
        let mut missing = Vec::new();
        for p in self.pairs.iter().filter(|p| p.probed()) {
            let has = |index: usize, id: u16| {
                self.host(index)
                    .and_then(|h| h.with_node(|n| n.sessions().get_session(id).is_some()))
                    .unwrap_or(false)
            };
            if !has(p.a, p.a_id) || !has(p.b, p.b_id) {
                missing.push(format!(
                    "session {}:{} <-> {}:{} not established",
                    self.name(p.a),
                    p.a_id,
                    self.name(p.b),
                    p.b_id
                ));
            }
        }
        for m in missing {
            self.violate(OracleKind::Liveness, now, "sim", m, None);
        }
    }

    pub(super) fn liveness_timeout(&mut self, now: Instant) {
        let mut stuck: Vec<String> = self
            .pending
            .keys()
            .filter_map(|id| {
                self.records
                    .get(id)
                    .map(|r| format!("action {id} {}", r.action))
            })
            .collect();
        for h in self.world.hosts.borrow().iter().filter(|h| h.up.get()) {
            if let Some(Some(t)) = h.with_node(|n| n.poll_timeout()) {
                stuck.push(format!("{} has a timer at {t}", h.name));
            }
        }
        self.violate(
            OracleKind::Liveness,
            now,
            "sim",
            format!(
                "not quiet by the end of the liveness phase: {}",
                stuck.join("; ")
            ),
            None,
        );
    }

    pub(super) fn violate(
        &self,
        oracle: OracleKind,
        at: Instant,
        node: &str,
        detail: String,
        datagram: Option<&[u8]>,
    ) {
        self.world
            .recorder
            .borrow_mut()
            .oracles
            .violate(oracle, at, node, detail, datagram);
    }

    pub(super) fn name(&self, index: usize) -> String {
        self.world.names().get(index).cloned().unwrap_or_default()
    }

    // ----- session-table oracle ------------------------------------------------------------

    /// Ends of every installed pair that both still hold their session agree on ids and keys.
    pub(super) fn check_pairs(&mut self, now: Instant) {
        let mut found = Vec::new();
        let mut seen = Vec::new();
        for (i, p) in self.pairs.iter().enumerate() {
            if p.closed || p.broken || p.mismatch_reported {
                continue;
            }
            if p.established && !p.confirmed {
                let holds = |index: usize, id: u16| {
                    self.host(index)
                        .and_then(|h| h.with_node(|n| n.sessions().get_session(id).is_some()))
                        .unwrap_or(false)
                };
                if holds(p.a, p.a_id) && holds(p.b, p.b_id) {
                    seen.push(i);
                }
            }
            let view = |index: usize, id: u16| {
                self.host(index).and_then(|h| {
                    h.with_node(|n| {
                        n.sessions()
                            .get_session(id)
                            .map(|s| (s.peer_session_id(), *s.attestation_challenge()))
                    })
                    .flatten()
                })
            };
            if let (Some((a_peer, a_key)), Some((b_peer, b_key))) =
                (view(p.a, p.a_id), view(p.b, p.b_id))
                && (a_peer != p.b_id || b_peer != p.a_id || a_key != b_key)
            {
                found.push((
                    i,
                    format!(
                        "{}:{} names peer session {a_peer}, {}:{} names {b_peer}; keys {}",
                        self.name(p.a),
                        p.a_id,
                        self.name(p.b),
                        p.b_id,
                        if a_key == b_key { "agree" } else { "differ" }
                    ),
                ));
            }
        }
        for i in seen {
            if let Some(p) = self.pairs.get_mut(i) {
                p.confirmed = true;
            }
        }
        for (i, detail) in found {
            if let Some(p) = self.pairs.get_mut(i) {
                p.mismatch_reported = true;
            }
            self.violate(OracleKind::SessionMismatch, now, "sim", detail, None);
        }
    }

    /// At the end: every live session whose peer holds the session it names must be named
    /// back, with the same keys.
    pub(super) fn check_all_sessions(&mut self, now: Instant) {
        let hosts: Vec<Rc<HostState>> = self.world.hosts.borrow().clone();
        let mut found = Vec::new();
        for h in &hosts {
            let sessions: Vec<(u16, u16, Option<SocketAddr>, [u8; 16])> = h
                .with_node(|n| {
                    n.sessions()
                        .sessions()
                        .map(|s| {
                            (
                                s.id(),
                                s.peer_session_id(),
                                s.context().peer_address,
                                *s.attestation_challenge(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            for (id, peer_id, addr, key) in sessions {
                let Some(peer) = addr.and_then(|a| self.world.host_at(a)) else {
                    continue;
                };
                let back = peer
                    .with_node(|n| {
                        n.sessions()
                            .get_session(peer_id)
                            .map(|s| (s.peer_session_id(), *s.attestation_challenge()))
                    })
                    .flatten();
                if let Some((named, peer_key)) = back
                    && (named != id || peer_key != key)
                {
                    found.push((
                        h.name.clone(),
                        format!(
                            "session {id} names {}:{peer_id}, which names {named} back; keys {}",
                            peer.name,
                            if peer_key == key { "agree" } else { "differ" }
                        ),
                    ));
                }
            }
        }
        for (node, detail) in found {
            self.violate(OracleKind::SessionMismatch, now, &node, detail, None);
        }
    }
}
