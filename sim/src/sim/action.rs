//! What a scenario can do.

use std::time::Duration;

use paseo_core::session::SessionKind;

use crate::network::Impairments;

/// Something a scenario does. Nodes are named.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Install a pairing-free secure session between `a` (initiator) and `b`, with keys
    /// agreed by the driver (a fresh secret per session).
    InstallSession {
        /// Initiator.
        a: String,
        /// Responder.
        b: String,
        /// PASE or CASE.
        kind: SessionKind,
    },
    /// `from` opens an exchange on its latest session with `to` and sends `messages` tagged
    /// messages, reliable ones one at a time, then closes the exchange.
    Exchange {
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
        /// How many.
        messages: u32,
        /// With MRP.
        reliable: bool,
    },
    /// `node` closes its latest session with `peer` (§4.4).
    CloseSession {
        /// Who closes.
        node: String,
        /// The other end.
        peer: String,
        /// Send CloseSession.
        send_close: bool,
        /// Let running exchanges finish first.
        after_exchange: bool,
    },
    /// Cut `from → to` (and `to → from` unless `one_way`).
    Partition {
        /// One end.
        from: String,
        /// Other end.
        to: String,
        /// Only `from → to`.
        one_way: bool,
    },
    /// Repair `from → to` (and `to → from` unless `one_way`).
    Heal {
        /// One end.
        from: String,
        /// Other end.
        to: String,
        /// Only `from → to`.
        one_way: bool,
    },
    /// Repair every partition.
    HealAll,
    /// Change impairments: of one directed link, or the default of all.
    SetNetwork {
        /// `(from, to)`, or `None` for the default.
        link: Option<(String, String)>,
        /// The new impairments.
        impairments: Impairments,
    },
    /// Power cut: the node's volatile state is lost, its disk keeps what was durable.
    Crash {
        /// Which node.
        node: String,
    },
    /// Start a crashed node again (a running one is crashed first): a new node on the
    /// surviving disk, with a new RNG stream.
    Restart {
        /// Which node.
        node: String,
    },
    /// Make every write on the node's disk durable (fsync).
    SyncDisk {
        /// Which node.
        node: String,
    },
    /// `node` saves a resumption record for its latest session with `peer` (the session
    /// manager persists it to the disk at once; durable after the sync delay).
    SaveResumptionRecord {
        /// Who saves.
        node: String,
        /// For which peer.
        peer: String,
    },
    /// Do nothing for this long (in a sequence: delays what follows).
    Wait(Duration),
}

impl Action {
    /// A CASE pairing-free session.
    pub fn install(a: &str, b: &str) -> Self {
        Action::InstallSession {
            a: a.into(),
            b: b.into(),
            kind: SessionKind::Case,
        }
    }

    /// `messages` messages from `from` to `to`.
    pub fn exchange(from: &str, to: &str, messages: u32, reliable: bool) -> Self {
        Action::Exchange {
            from: from.into(),
            to: to.into(),
            messages,
            reliable,
        }
    }

    /// A two-way partition.
    pub fn partition(a: &str, b: &str) -> Self {
        Action::Partition {
            from: a.into(),
            to: b.into(),
            one_way: false,
        }
    }

    /// A two-way repair.
    pub fn heal(a: &str, b: &str) -> Self {
        Action::Heal {
            from: a.into(),
            to: b.into(),
            one_way: false,
        }
    }

    /// Close `node`'s session with `peer`.
    pub fn close(node: &str, peer: &str, send_close: bool, after_exchange: bool) -> Self {
        Action::CloseSession {
            node: node.into(),
            peer: peer.into(),
            send_close,
            after_exchange,
        }
    }
}
