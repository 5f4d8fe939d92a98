//! Handshake actions: PASE from a commissioner to a device, fabric membership, CASE. The
//! initiating node runs the handshake; its outcome names the session it opened, which the
//! driver then tracks like an installed one (session-table oracle, liveness probes).

use paseo_core::fabric::FabricIndex;
use paseo_core::session::SessionKind;
use paseo_core::time::Instant;

use super::*;
use crate::command::{ActionId, Command, Outcome};
use crate::seed;

impl Simulation {
    /// Sends the PASE command to the commissioner.
    pub(super) fn start_pair(
        &mut self,
        id: ActionId,
        commissioner: &str,
        device: &str,
        passcode: Option<u32>,
    ) -> Result<Option<Outcome>, SimError> {
        let (ci, di) = (self.index(commissioner)?, self.index(device)?);
        let Some(dev) = self.host(di) else {
            return Err(SimError::UnknownNode(device.to_owned()));
        };
        let Some(passcode) = passcode.or(dev.spec.commissioning.as_ref().map(|c| c.passcode))
        else {
            return Ok(Some(Outcome::Failed(format!(
                "{device} has no commissioning window and no passcode was given"
            ))));
        };
        let cmd = Command::StartPase {
            action: id,
            peer: dev.addr,
            passcode,
        };
        Ok(self.send_handshake(id, ci, di, cmd))
    }

    /// Gives `node` credentials on `fabric`, minted by the fabric's CA (out of band).
    pub(super) fn join_fabric(
        &mut self,
        node: &str,
        fabric: u8,
        now: Instant,
    ) -> Result<Outcome, SimError> {
        let index = self.index(node)?;
        let host = self
            .host(index)
            .ok_or_else(|| SimError::UnknownNode(node.to_owned()))?;
        let seed = self.seed;
        let Some(test_fabric) = self.fabrics.get_mut(&fabric) else {
            return Ok(Outcome::Failed(format!("no fabric {fabric}")));
        };
        let mut rng = seed::rng(seed, &format!("noc:{fabric}:{node}"));
        let creds = match case_glue::mint(test_fabric, host.spec.node_id, &mut rng) {
            Ok(c) => c,
            Err(why) => return Ok(Outcome::Failed(why)),
        };
        let added = host
            .with_node_mut(|n| case_glue::add_fabric(n, &creds))
            .unwrap_or_else(|| Err(format!("{node} is not running")));
        if let Err(why) = added {
            return Ok(Outcome::Failed(why));
        }
        host.joined.borrow_mut().push(creds);
        self.world.action_line(
            now,
            node,
            "-",
            String::new(),
            &format!("joined fabric {fabric}"),
        );
        Ok(Outcome::Done)
    }

    /// Sends the CASE command to the initiator.
    pub(super) fn start_case(
        &mut self,
        id: ActionId,
        initiator: &str,
        responder: &str,
        fabric: u8,
    ) -> Result<Option<Outcome>, SimError> {
        let (ii, ri) = (self.index(initiator)?, self.index(responder)?);
        let Some(peer) = self.host(ri) else {
            return Err(SimError::UnknownNode(responder.to_owned()));
        };
        let cmd = Command::StartCase {
            action: id,
            peer: peer.addr,
            fabric: FabricIndex(fabric),
            peer_node_id: peer.spec.node_id,
        };
        Ok(self.send_handshake(id, ii, ri, cmd))
    }

    fn send_handshake(
        &mut self,
        id: ActionId,
        initiator: usize,
        responder: usize,
        cmd: Command,
    ) -> Option<Outcome> {
        let outcome = self.send_pending(id, initiator, cmd);
        if let Some(p) = self.pending.get_mut(&id) {
            p.peer = Some(responder);
        }
        outcome
    }

    /// A handshake the driver started opened a session: track it as a pair. If the responder
    /// crashed while the handshake ran (it opened its end, then lost it, before the initiator
    /// opened its own), the pair is born broken: the liveness phase must not probe a session
    /// one end no longer has (`scenarios/regressions/explore-54.yaml`).
    pub(super) fn handshake_established(
        &mut self,
        pending: &Pending,
        outcome: &Outcome,
        started: Option<Instant>,
        at: Instant,
    ) {
        let (
            Some(a),
            Some(b),
            Outcome::Established {
                session_id,
                peer_session_id,
                is_pase,
                ..
            },
        ) = (pending.node, pending.peer, outcome)
        else {
            return;
        };
        let broken = self
            .host(b)
            .is_none_or(|h| !h.up.get() || started.is_some_and(|t| h.up_since.get() > t));
        self.pairs.push(Pair {
            a,
            a_id: *session_id,
            b,
            b_id: *peer_session_id,
            kind: if *is_pase {
                SessionKind::Pase
            } else {
                SessionKind::Case
            },
            secret: None,
            established: true,
            since: at,
            confirmed: false,
            closed: false,
            broken,
            mismatch_reported: false,
        });
    }
}
