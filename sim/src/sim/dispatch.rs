//! Starting and finishing actions: commands to hosts, network changes, crashes, restarts.

use paseo_core::crypto::sha256;
use paseo_core::session::{
    ResumptionRecord, SessionKind, SessionParameters, resumption::RESUMPTION_ID_LEN,
};
use paseo_core::time::Instant;

use super::expect::Expectation;
use super::*;
use crate::command::{ActionId, Command, InstallArgs, Outcome};
use crate::oracle::OracleKind;
use crate::seed;
use crate::world::HostState;

/// How long an exchange or a close waits for its node to install a session the driver
/// already tracks (see [`Simulation::awaiting_session`]): longer than five MRP transmissions
/// of the SUCCESS that installs it.
pub(super) const SESSION_INSTALL_WAIT: Duration = Duration::from_secs(10);

impl Simulation {
    // ----- actions -------------------------------------------------------------------------

    pub(super) fn dispatch_due(&mut self, now: Instant) {
        for (id, action) in std::mem::take(&mut self.deferred) {
            self.start(id, action, now);
        }
        while let Some(entry) = self.timed.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, id), action) = entry.remove_entry();
            self.start(id, action, now);
        }
        let waits: Vec<ActionId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.expect.is_none() && p.until.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in waits {
            self.finish(id, now, Outcome::Done);
        }
        let expects: Vec<(ActionId, Expectation, Option<Instant>)> = self
            .pending
            .iter()
            .filter_map(|(id, p)| p.expect.clone().map(|e| (*id, e, p.until)))
            .collect();
        for (id, expectation, until) in expects {
            match self.check_expectation(&expectation) {
                Ok(()) => self.finish(id, now, Outcome::Done),
                Err(why) if until.is_none_or(|t| t <= now) => {
                    self.finish(id, now, Outcome::Failed(why));
                }
                Err(_) => {}
            }
        }
        while self.seq_running.is_none() {
            let Some((id, action)) = self.sequence.pop_front() else {
                break;
            };
            self.seq_running = Some(id);
            self.start(id, action, now);
        }
    }

    /// Moves outcomes reported by hosts into the action records, and forgets pairs one of
    /// whose ends reported its session closed (by the peer, eviction, counter exhaustion):
    /// they are no longer expected to exist, nor probed in the liveness phase.
    pub(super) fn collect_outcomes(&mut self) {
        let closed: Vec<(usize, u16)> = self.world.recorder.borrow_mut().closed.drain(..).collect();
        for (node, id) in closed {
            for p in self.pairs.iter_mut().filter(|p| p.established) {
                if (p.a == node && p.a_id == id) || (p.b == node && p.b_id == id) {
                    p.closed = true;
                }
            }
        }
        let outcomes: Vec<_> = self
            .world
            .recorder
            .borrow_mut()
            .outcomes
            .drain(..)
            .collect();
        for (id, at, outcome) in outcomes {
            self.finish(id, at, outcome);
        }
    }

    pub(super) fn start(&mut self, id: ActionId, action: Action, now: Instant) {
        let (label, inner) = match &action {
            Action::Labelled { label, action } => (Some(label.clone()), action.as_ref()),
            other => (None, other),
        };
        let description = inner.describe();
        self.records.entry(id).or_insert_with(|| ActionRecord {
            action: description,
            label,
            started: now,
            finished: None,
            outcome: None,
        });
        if self.starting(&action) || self.awaiting_session(&action, now) {
            self.deferred.push((id, action));
            return;
        }
        match self.execute(id, action, now) {
            Ok(Some(outcome)) => self.finish(id, now, outcome),
            Ok(None) => {}
            Err(e) => self.finish(id, now, Outcome::Failed(e.to_string())),
        }
    }

    /// Whether an exchange or a close must wait for its node to hold the session it would use.
    /// The responder of a CASE resumption installs its end only when the initiator's SUCCESS
    /// arrives (Matter 1.3 §4.14.2, resumption: it is the initiator that, on Sigma2_Resume,
    /// sends SUCCESS), after the initiator, and so the `resume` step, has finished; an exchange
    /// from the responder right after would name a session it does not have yet
    /// (`scenarios/regressions/explore-600.yaml`). It waits at most
    /// [`SESSION_INSTALL_WAIT`] after the pair was established (a SUCCESS lost five times
    /// never arrives), then runs and fails as before.
    pub(super) fn awaiting_session(&self, action: &Action, now: Instant) -> bool {
        let (node, peer, kind) = match action {
            Action::Exchange { from, to, kind, .. } => (from, to, *kind),
            Action::CloseSession {
                node, peer, kind, ..
            } => (node, peer, *kind),
            Action::Labelled { action, .. } => return self.awaiting_session(action, now),
            _ => return false,
        };
        let (Ok(ni), Ok(pi)) = (self.index(node), self.index(peer)) else {
            return false;
        };
        let Some(pair) = self.find_pair_of(ni, pi, kind) else {
            return false;
        };
        let (Some(p), Some(local)) = (self.pairs.get(pair), self.local_id(pair, ni)) else {
            return false;
        };
        if !p.established || now >= p.since + SESSION_INSTALL_WAIT {
            return false;
        }
        self.host(ni)
            .and_then(|h| h.with_node(|n| n.sessions().get_session(local).is_none()))
            .unwrap_or(false)
    }

    /// Whether the action needs a node that is up but whose software has not started yet
    /// (the first step, or the step after a restart): it then waits a step.
    pub(super) fn starting(&self, action: &Action) -> bool {
        let names: Vec<&String> = match action {
            Action::InstallSession { a, b, .. } => vec![a, b],
            Action::Pair {
                commissioner,
                device,
                ..
            } => vec![commissioner, device],
            Action::Case {
                initiator,
                responder,
                ..
            } => vec![initiator, responder],
            Action::JoinFabric { node, .. } => vec![node],
            Action::Labelled { action, .. } => return self.starting(action),
            _ => return false,
        };
        names.into_iter().any(|name| {
            self.index(name)
                .ok()
                .and_then(|i| self.host(i))
                .is_some_and(|h| h.up.get() && h.node.borrow().is_none())
        })
    }

    /// Finishes an action (or half of an install).
    pub(super) fn finish(&mut self, id: ActionId, at: Instant, outcome: Outcome) {
        let Some(pending) = self.pending.remove(&id) else {
            // Immediate outcome, or a report for an action already failed (crash).
            if self.records.get(&id).is_none_or(|r| r.outcome.is_none()) {
                self.close_record(id, at, outcome);
            }
            return;
        };
        if let Some(parent) = pending.parent {
            if let Some(p) = self.pending.get_mut(&parent) {
                p.children = p.children.saturating_sub(1);
                if let Outcome::Failed(why) = &outcome {
                    p.failure.get_or_insert_with(|| why.clone());
                }
                if p.children == 0 {
                    let failure = p.failure.clone();
                    let pair = p.pair;
                    let outcome = match failure {
                        Some(why) => Outcome::Failed(why),
                        None => {
                            if let Some(pair) = pair.and_then(|i| self.pairs.get_mut(i)) {
                                pair.established = true;
                            }
                            Outcome::Done
                        }
                    };
                    self.finish(parent, at, outcome);
                }
            }
            return;
        }
        let started = self.records.get(&id).map(|r| r.started);
        self.handshake_established(&pending, &outcome, started, at);
        self.close_record(id, at, outcome);
    }

    pub(super) fn close_record(&mut self, id: ActionId, at: Instant, outcome: Outcome) {
        if self.probes.contains(&id)
            && let Outcome::Failed(why) = &outcome
        {
            let action = self
                .records
                .get(&id)
                .map(|r| r.action.clone())
                .unwrap_or_default();
            self.violate(
                OracleKind::Liveness,
                at,
                "sim",
                format!("liveness probe failed: {action}: {why}"),
                None,
            );
        }
        let failure = match &outcome {
            Outcome::Failed(why) => Some(why.clone()),
            _ => None,
        };
        if let Some(r) = self.records.get_mut(&id) {
            r.finished = Some(at);
            r.outcome = Some(outcome);
        }
        if self.seq_running == Some(id) {
            self.seq_running = None;
        }
        if let Some(parent) = self.parents.remove(&id) {
            self.child_finished(parent, failure, at);
        }
    }

    pub(super) fn send(&mut self, index: usize, cmd: Command) -> Result<(), String> {
        let host = self.host(index).ok_or("no such node")?;
        if !host.up.get() {
            return Err(format!("{} is down", host.name));
        }
        host.mailbox.borrow_mut().push_back(cmd);
        host.notify.notify_one();
        Ok(())
    }

    /// The latest live (or installing) pair between two nodes, in either role.
    pub(super) fn find_pair(&self, x: usize, y: usize) -> Option<usize> {
        self.find_pair_of(x, y, None)
    }

    /// The latest live (or installing) pair of `kind` (any, if `None`) between two nodes.
    pub(super) fn find_pair_of(
        &self,
        x: usize,
        y: usize,
        kind: Option<SessionKind>,
    ) -> Option<usize> {
        self.pairs
            .iter()
            .enumerate()
            .rev()
            .find(|(_, p)| {
                !p.closed
                    && !p.broken
                    && kind.is_none_or(|k| p.kind == k)
                    && ((p.a == x && p.b == y) || (p.a == y && p.b == x))
            })
            .map(|(i, _)| i)
    }

    /// The latest pair between two nodes that the liveness phase probes.
    pub(super) fn latest_confirmed_pair(&self, x: usize, y: usize) -> Option<usize> {
        self.pairs
            .iter()
            .enumerate()
            .rev()
            .find(|(_, p)| p.probed() && ((p.a == x && p.b == y) || (p.a == y && p.b == x)))
            .map(|(i, _)| i)
    }

    /// The newest session in `node`'s own table whose peer is `peer` (of `kind`, if given):
    /// one the driver no longer tracks, e.g. the stale end of a session whose CloseSession
    /// was lost.
    pub(super) fn table_session(
        &self,
        node: usize,
        peer: usize,
        kind: Option<SessionKind>,
    ) -> Option<u16> {
        use paseo_core::session::Session as _;
        let peer_addr = self.host(peer)?.addr;
        self.host(node)?
            .with_node(|n| {
                n.sessions()
                    .sessions()
                    .filter(|s| s.context().peer_address == Some(peer_addr))
                    .filter(|s| kind.is_none_or(|k| s.is_pase() == (k == SessionKind::Pase)))
                    .max_by_key(|s| (s.context().created_at, s.id()))
                    .map(|s| s.id())
            })
            .flatten()
    }

    pub(super) fn local_id(&self, pair: usize, node: usize) -> Option<u16> {
        let p = self.pairs.get(pair)?;
        if p.a == node {
            Some(p.a_id)
        } else if p.b == node {
            Some(p.b_id)
        } else {
            None
        }
    }

    /// Starts an action: `Ok(Some(_))` if it finished at once, `Ok(None)` if it runs on.
    pub(super) fn execute(
        &mut self,
        id: ActionId,
        action: Action,
        now: Instant,
    ) -> Result<Option<Outcome>, SimError> {
        match action {
            Action::InstallSession { a, b, kind } => {
                let (ai, bi) = (self.index(&a)?, self.index(&b)?);
                Ok(self.install(id, ai, bi, kind, now))
            }
            Action::Exchange {
                from,
                to,
                messages,
                reliable,
                kind,
            } => {
                let (fi, ti) = (self.index(&from)?, self.index(&to)?);
                // A liveness probe uses the latest session both ends have held, never a
                // one-sided one (see `Pair::confirmed`).
                let pair = if self.probes.contains(&id) {
                    self.latest_confirmed_pair(fi, ti)
                } else {
                    self.find_pair_of(fi, ti, kind)
                };
                let Some(session_id) = pair
                    .and_then(|p| self.local_id(p, fi))
                    .or_else(|| self.table_session(fi, ti, kind))
                else {
                    return Ok(Some(Outcome::Failed(format!("no session {from} <-> {to}"))));
                };
                let first_tag = self.next_tag;
                self.next_tag += u64::from(messages);
                let cmd = Command::Exchange {
                    action: id,
                    session_id,
                    messages,
                    reliable,
                    first_tag,
                };
                Ok(self.send_pending(id, fi, cmd))
            }
            Action::CloseSession {
                node,
                peer,
                send_close,
                after_exchange,
                kind,
            } => {
                let (ni, pi) = (self.index(&node)?, self.index(&peer)?);
                // A pair the driver tracks, else the node's own table (the surviving end of a
                // session whose peer crashed or restarted).
                let tracked = self
                    .find_pair_of(ni, pi, kind)
                    .and_then(|pair| self.local_id(pair, ni).map(|id| (Some(pair), id)));
                let Some((pair, session_id)) =
                    tracked.or_else(|| self.table_session(ni, pi, kind).map(|id| (None, id)))
                else {
                    return Ok(Some(Outcome::Failed(format!(
                        "no session {node} <-> {peer}"
                    ))));
                };
                if let Some(p) = pair.and_then(|i| self.pairs.get_mut(i)) {
                    p.closed = true;
                }
                let cmd = Command::CloseSession {
                    action: id,
                    session_id,
                    send_close,
                    after_exchange,
                };
                Ok(self.send_pending(id, ni, cmd))
            }
            Action::Partition { from, to, one_way } => {
                self.set_partition(&from, &to, one_way, true, now)?;
                Ok(Some(Outcome::Done))
            }
            Action::Heal { from, to, one_way } => {
                self.set_partition(&from, &to, one_way, false, now)?;
                Ok(Some(Outcome::Done))
            }
            Action::HealAll => {
                let n = self.world.names().len();
                let mut net = self.world.network.borrow_mut();
                for f in 0..n {
                    for t in 0..n {
                        net.set_partitioned(f, t, false);
                    }
                }
                drop(net);
                self.world
                    .action_line(now, "sim", "-", String::new(), "all partitions repaired");
                Ok(Some(Outcome::Done))
            }
            Action::SetNetwork { link, impairments } => {
                impairments.validate()?;
                let subject = format!(
                    "loss={} dup={} latency={:?}..{:?} reorder={:?}",
                    impairments.loss,
                    impairments.duplicate,
                    impairments.latency_min,
                    impairments.latency_max,
                    impairments.reorder
                );
                match link {
                    Some((from, to)) => {
                        let (f, t) = (self.index(&from)?, self.index(&to)?);
                        self.world
                            .network
                            .borrow_mut()
                            .set_link(f, t, Some(impairments));
                        self.world
                            .action_line(now, &from, &to, subject, "link impairments set");
                    }
                    None => {
                        self.world.network.borrow_mut().set_default(impairments);
                        self.world
                            .action_line(now, "sim", "-", subject, "default impairments set");
                    }
                }
                Ok(Some(Outcome::Done))
            }
            Action::Crash { node } => {
                let index = self.index(&node)?;
                self.crash(index, now);
                Ok(Some(Outcome::Done))
            }
            Action::Restart { node } => {
                let index = self.index(&node)?;
                self.restart(index, now);
                Ok(Some(Outcome::Done))
            }
            Action::SyncDisk { node } => {
                let index = self.index(&node)?;
                if let Some(h) = self.host(index) {
                    let pending = h.disk.pending_writes();
                    h.disk.sync();
                    self.world.action_line(
                        now,
                        &node,
                        "-",
                        String::new(),
                        &format!("disk synced ({pending} writes made durable)"),
                    );
                }
                Ok(Some(Outcome::Done))
            }
            Action::SaveResumptionRecord { node, peer } => {
                let (ni, pi) = (self.index(&node)?, self.index(&peer)?);
                let Some(pair) = self.find_pair(ni, pi) else {
                    return Ok(Some(Outcome::Failed(format!(
                        "no session {node} <-> {peer}"
                    ))));
                };
                let record = self.resumption_record(pair, ni, pi)?;
                let cmd = Command::SaveResumptionRecord {
                    action: id,
                    record: Box::new(record),
                };
                Ok(self.send_pending(id, ni, cmd))
            }
            Action::Wait(d) => {
                self.pending.insert(
                    id,
                    Pending {
                        until: Some(now + d),
                        ..Pending::default()
                    },
                );
                Ok(None)
            }
            Action::Pair {
                commissioner,
                device,
                passcode,
            } => self.start_pair(id, &commissioner, &device, passcode),
            Action::JoinFabric { node, fabric } => self.join_fabric(&node, fabric, now).map(Some),
            Action::Case {
                initiator,
                responder,
                fabric,
            } => self.start_case(id, &initiator, &responder, fabric),
            Action::Commission {
                commissioner,
                device,
                passcode,
                fabric,
            } => {
                let steps = vec![
                    Action::Pair {
                        commissioner: commissioner.clone(),
                        device: device.clone(),
                        passcode,
                    },
                    Action::JoinFabric {
                        node: device.clone(),
                        fabric,
                    },
                    Action::Case {
                        initiator: commissioner.clone(),
                        responder: device.clone(),
                        fabric,
                    },
                    Action::CloseSession {
                        node: commissioner,
                        peer: device,
                        send_close: true,
                        after_exchange: true,
                        kind: Some(SessionKind::Pase),
                    },
                ];
                Ok(self.start_group(id, steps, true, now))
            }
            Action::Sequence(steps) => Ok(self.start_group(id, steps, true, now)),
            Action::Parallel(steps) => Ok(self.start_group(id, steps, false, now)),
            Action::Labelled { action, .. } => self.execute(id, *action, now),
            hostile @ (Action::Capture { .. }
            | Action::Inject { .. }
            | Action::Flood { .. }
            | Action::CorruptStore { .. }
            | Action::FillSessionIds { .. }) => self.execute_hostile(id, hostile, now),
            Action::Expect {
                expectation,
                within,
            } => match self.check_expectation(&expectation) {
                Ok(()) => Ok(Some(Outcome::Done)),
                Err(why) if within.is_zero() => Ok(Some(Outcome::Failed(why))),
                Err(_) => {
                    self.pending.insert(
                        id,
                        Pending {
                            until: Some(now + within),
                            expect: Some(expectation),
                            ..Pending::default()
                        },
                    );
                    Ok(None)
                }
            },
        }
    }

    /// Queues `cmd` on `node`; the action runs on until the host reports its outcome.
    pub(super) fn send_pending(
        &mut self,
        id: ActionId,
        node: usize,
        cmd: Command,
    ) -> Option<Outcome> {
        match self.send(node, cmd) {
            Ok(()) => {
                self.pending.insert(
                    id,
                    Pending {
                        node: Some(node),
                        ..Pending::default()
                    },
                );
                None
            }
            Err(why) => Some(Outcome::Failed(why)),
        }
    }

    pub(super) fn install(
        &mut self,
        id: ActionId,
        a: usize,
        b: usize,
        kind: SessionKind,
        now: Instant,
    ) -> Option<Outcome> {
        let (Some(ha), Some(hb)) = (self.host(a), self.host(b)) else {
            return Some(Outcome::Failed("no such node".into()));
        };
        // Both ends allocate their id as a handshake would (matter.js `session/SessionManager.ts`).
        let ids = (
            ha.with_node_mut(|n| n.sessions_mut().get_next_available_session_id().ok()),
            hb.with_node_mut(|n| n.sessions_mut().get_next_available_session_id().ok()),
        );
        let (Some(Some(a_id)), Some(Some(b_id))) = ids else {
            return Some(Outcome::Failed(format!(
                "{} or {} is not running",
                ha.name, hb.name
            )));
        };
        self.installs += 1;
        let secret = seed::derive(self.seed, &format!("secret:{}", self.installs));
        let fabric = ha.spec.fabrics.first().map(|f| f.index);
        let args = |me: &HostState, peer: &HostState, mine: u16, theirs: u16, initiator: bool| {
            InstallArgs {
                session_id: mine,
                peer_session_id: theirs,
                kind,
                fabric,
                local_node_id: me.spec.node_id,
                peer_node_id: peer.spec.node_id,
                shared_secret: secret.to_vec(),
                salt: b"paseo-sim".to_vec(),
                is_initiator: initiator,
                peer_address: peer.addr,
                peer_parameters: SessionParameters::default(),
            }
        };
        let a_args = args(&ha, &hb, a_id, b_id, true);
        let b_args = args(&hb, &ha, b_id, a_id, false);
        self.pairs.push(Pair {
            a,
            a_id,
            b,
            b_id,
            kind,
            secret: Some(secret),
            established: false,
            since: now,
            confirmed: false,
            closed: false,
            broken: false,
            mismatch_reported: false,
        });
        let pair = self.pairs.len() - 1;
        self.pending.insert(
            id,
            Pending {
                children: 2,
                pair: Some(pair),
                ..Pending::default()
            },
        );
        for (node, args) in [(a, a_args), (b, b_args)] {
            let half = self.allocate_action();
            self.pending.insert(
                half,
                Pending {
                    node: Some(node),
                    parent: Some(id),
                    ..Pending::default()
                },
            );
            if let Err(why) = self.send(node, Command::InstallSession { action: half, args }) {
                self.finish(half, now, Outcome::Failed(why));
            }
        }
        None
    }

    pub(super) fn resumption_record(
        &mut self,
        pair: usize,
        node: usize,
        peer: usize,
    ) -> Result<ResumptionRecord, SimError> {
        let p = self
            .pairs
            .get(pair)
            .ok_or(SimError::UnknownNode("pair".into()))?;
        let host = self
            .host(node)
            .ok_or(SimError::UnknownNode(node.to_string()))?;
        let peer_host = self
            .host(peer)
            .ok_or(SimError::UnknownNode(peer.to_string()))?;
        let fabric = host.spec.fabrics.first();
        let secret = p.secret.ok_or_else(|| {
            SimError::Fabric("resumption records of handshake sessions are the node's own".into())
        })?;
        let id_bytes = sha256(&secret);
        let mut resumption_id = [0u8; RESUMPTION_ID_LEN];
        // A SHA-256 digest is 32 bytes, longer than a resumption id (16).
        resumption_id.copy_from_slice(&id_bytes[..RESUMPTION_ID_LEN]);
        Ok(ResumptionRecord {
            resumption_id,
            shared_secret: secret.into(),
            fabric_index: fabric.map_or(paseo_core::fabric::FabricIndex(1), |f| f.index),
            fabric_id: fabric.map_or(0, |f| f.fabric_id),
            peer_node_id: peer_host.spec.node_id,
            peer_cats: Vec::new(),
            peer_parameters: SessionParameters::default(),
        })
    }

    pub(super) fn set_partition(
        &mut self,
        from: &str,
        to: &str,
        one_way: bool,
        cut: bool,
        now: Instant,
    ) -> Result<(), SimError> {
        let (f, t) = (self.index(from)?, self.index(to)?);
        let mut net = self.world.network.borrow_mut();
        net.set_partitioned(f, t, cut);
        if !one_way {
            net.set_partitioned(t, f, cut);
        }
        drop(net);
        let what = match (cut, one_way) {
            (true, true) => "partitioned (one way)",
            (true, false) => "partitioned",
            (false, true) => "healed (one way)",
            (false, false) => "healed",
        };
        self.world.action_line(now, from, to, String::new(), what);
        Ok(())
    }

    pub(super) fn crash(&mut self, index: usize, now: Instant) {
        let Some(host) = self.host(index) else {
            return;
        };
        if !host.up.get() {
            return;
        }
        self.sim.crash(host.name.as_str());
        host.up.set(false);
        host.node.borrow_mut().take();
        host.jobs.set(0);
        let lost_writes = host.disk.crash(now);
        let arrivals: Vec<_> = std::mem::take(&mut *host.ingress.borrow_mut())
            .into_values()
            .collect();
        for arrival in arrivals {
            self.world.net_line(
                now,
                arrival.from,
                host.addr,
                &arrival.payload,
                crate::network::DropReason::HostDown,
            );
        }
        let commands: Vec<Command> = host.mailbox.borrow_mut().drain(..).collect();
        drop(commands);
        self.world.recorder.borrow_mut().oracles.on_crash(index);
        for p in self
            .pairs
            .iter_mut()
            .filter(|p| p.a == index || p.b == index)
        {
            p.broken = true;
        }
        let doomed: Vec<ActionId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.node == Some(index))
            .map(|(id, _)| *id)
            .collect();
        for id in doomed {
            self.finish(id, now, Outcome::Failed(format!("{} crashed", host.name)));
        }
        self.world.action_line(
            now,
            &host.name,
            "-",
            String::new(),
            &format!("crashed ({lost_writes} unsynced writes lost)"),
        );
    }

    pub(super) fn restart(&mut self, index: usize, now: Instant) {
        let Some(host) = self.host(index) else {
            return;
        };
        if host.up.get() {
            self.crash(index, now);
        }
        host.restarts.set(host.restarts.get() + 1);
        host.up.set(true);
        host.up_since.set(now);
        self.sim.bounce(host.name.as_str());
    }
}
