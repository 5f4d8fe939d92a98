//! What the scenario driver asks a node's application to do, and what comes back.

use std::net::SocketAddr;

use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::{ResumptionRecord, SecureSessionArgs, SessionKind, SessionParameters};
use paseo_core::time::Instant;
use serde::Serialize;

/// Identifies one scenario action (and its outcome).
pub type ActionId = u64;

/// Owned form of [`SecureSessionArgs`] (a pairing-free session, keys agreed by the driver).
#[derive(Clone, Debug)]
pub struct InstallArgs {
    /// Our local session id.
    pub session_id: u16,
    /// The peer's local session id.
    pub peer_session_id: u16,
    /// PASE or CASE.
    pub kind: SessionKind,
    /// Fabric of a CASE session.
    pub fabric: Option<FabricIndex>,
    /// Our node id.
    pub local_node_id: NodeId,
    /// The peer's node id.
    pub peer_node_id: NodeId,
    /// Shared secret both ends derive their keys from.
    pub shared_secret: Vec<u8>,
    /// HKDF salt.
    pub salt: Vec<u8>,
    /// Whether we play the initiator (I2R key to encrypt).
    pub is_initiator: bool,
    /// The peer's address.
    pub peer_address: SocketAddr,
    /// The peer's session parameters.
    pub peer_parameters: SessionParameters,
}

impl InstallArgs {
    /// The borrowed form the node takes.
    pub fn as_args(&self, now: Instant) -> SecureSessionArgs<'_> {
        SecureSessionArgs {
            now,
            session_id: self.session_id,
            peer_session_id: self.peer_session_id,
            kind: self.kind,
            fabric: self.fabric,
            local_node_id: self.local_node_id,
            peer_node_id: self.peer_node_id,
            peer_cats: Vec::new(),
            shared_secret: &self.shared_secret,
            salt: &self.salt,
            is_initiator: self.is_initiator,
            is_resumption: false,
            peer_parameters: self.peer_parameters,
            peer_address: Some(self.peer_address),
        }
    }
}

/// An application command, executed by the node's host at its next wake-up.
#[derive(Clone, Debug)]
pub enum Command {
    /// Install a pairing-free secure session.
    InstallSession {
        /// The action.
        action: ActionId,
        /// Its arguments.
        args: InstallArgs,
    },
    /// Open an exchange on `session_id` and send `messages` messages on it, each carrying a
    /// tag (`first_tag`, `first_tag + 1`, …); reliable ones one at a time, each after the
    /// previous was acknowledged. The exchange is closed after the last.
    Exchange {
        /// The action.
        action: ActionId,
        /// Local session id.
        session_id: u16,
        /// How many messages.
        messages: u32,
        /// Reliable (MRP) or not.
        reliable: bool,
        /// Tag of the first message.
        first_tag: u64,
    },
    /// Close a session (Matter 1.3 §4.11; matter.js `session/NodeSession.ts`).
    CloseSession {
        /// The action.
        action: ActionId,
        /// Local session id.
        session_id: u16,
        /// Send CloseSession to the peer.
        send_close: bool,
        /// Wait for running exchanges first.
        after_exchange: bool,
    },
    /// Start PASE toward `peer` with `passcode`; the outcome is the session the handshake
    /// opens ([`Outcome::Established`]) or its failure.
    StartPase {
        /// The action.
        action: ActionId,
        /// The device's address.
        peer: SocketAddr,
        /// The passcode tried.
        passcode: u32,
    },
    /// Start CASE toward `peer` on `fabric` (resuming when a record for the peer exists).
    StartCase {
        /// The action.
        action: ActionId,
        /// The responder's address.
        peer: SocketAddr,
        /// Our fabric.
        fabric: FabricIndex,
        /// The responder's operational node id.
        peer_node_id: NodeId,
    },
    /// Hand raw bytes to this host's socket for `to`, bypassing the node (an attacker on, or
    /// spoofing, this host's address): they cross the simulated network like any datagram and
    /// are traced as `injected (<what>)`. Done once they are handed over.
    Inject {
        /// The action.
        action: ActionId,
        /// Destination.
        to: SocketAddr,
        /// The datagrams, sent in order.
        datagrams: Vec<Vec<u8>>,
        /// What they are (trace text).
        what: String,
    },
    /// Save a resumption record through the session manager (it persists it to the store).
    SaveResumptionRecord {
        /// The action.
        action: ActionId,
        /// The record.
        record: Box<ResumptionRecord>,
    },
}

/// How an action ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Done.
    Done,
    /// A session was installed with this local id.
    SessionInstalled(u16),
    /// An exchange finished: every message sent, the reliable ones acknowledged.
    Exchanged {
        /// Messages sent.
        sent: u32,
    },
    /// A handshake opened a session.
    Established {
        /// Our session id.
        session_id: u16,
        /// The peer's session id.
        peer_session_id: u16,
        /// PASE rather than CASE.
        is_pase: bool,
        /// Resumed CASE.
        is_resumption: bool,
    },
    /// It could not be done (or stopped part way).
    Failed(String),
}

impl Outcome {
    /// "ok", or "failed: why" (for messages).
    pub fn describe(&self) -> String {
        match self {
            Outcome::Failed(why) => format!("failed: {why}"),
            _ => "ok".to_owned(),
        }
    }

    /// Whether it succeeded.
    pub fn is_ok(&self) -> bool {
        !matches!(self, Outcome::Failed(_))
    }
}
