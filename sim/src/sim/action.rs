//! What a scenario can do.

use std::time::Duration;

use paseo_core::session::SessionKind;

use super::expect::Expectation;
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
    /// `from` opens an exchange on its latest session with `to` (of `kind`, if given) and
    /// sends `messages` tagged messages, reliable ones one at a time, then closes the exchange.
    Exchange {
        /// Sender.
        from: String,
        /// Receiver.
        to: String,
        /// How many.
        messages: u32,
        /// With MRP.
        reliable: bool,
        /// Only a session of this kind (`None`: the latest of any kind).
        kind: Option<SessionKind>,
    },
    /// `node` closes its latest session with `peer` (of `kind`, if given) (Matter 1.3 §4.11;
    /// matter.js `session/NodeSession.ts`).
    CloseSession {
        /// Who closes.
        node: String,
        /// The other end.
        peer: String,
        /// Send CloseSession.
        send_close: bool,
        /// Let running exchanges finish first.
        after_exchange: bool,
        /// Only a session of this kind (`None`: the latest of any kind).
        kind: Option<SessionKind>,
    },
    /// PASE (Matter 1.3 §4.14.1.2): `commissioner` starts the handshake toward `device`, whose
    /// commissioning window ([`crate::NodeSpec::commissioning`]) answers. Done when the
    /// commissioner's session is open ([`crate::Outcome::Established`]); fails with the handshake's
    /// error.
    Pair {
        /// Initiator.
        commissioner: String,
        /// Responder (must have a commissioning window).
        device: String,
        /// The passcode tried; `None`: the device's own.
        passcode: Option<u32>,
    },
    /// `node` joins the fabric (receives an operational certificate minted by the fabric's
    /// test CA, out of band). Kept across restarts, as a device keeps its NOC.
    JoinFabric {
        /// Which node.
        node: String,
        /// Which fabric (added with [`crate::Simulation::add_fabric`]).
        fabric: u8,
    },
    /// CASE (Matter 1.3 §4.14.2): `initiator` establishes a session with `responder` on `fabric`,
    /// resuming when it holds a resumption record for that peer.
    Case {
        /// Initiator.
        initiator: String,
        /// Responder.
        responder: String,
        /// The fabric both belong to.
        fabric: u8,
    },
    /// Commissioning as a sequence: PASE, the device joins `fabric`, CASE, then the PASE
    /// session is closed (with CloseSession).
    Commission {
        /// Commissioner (already on the fabric).
        commissioner: String,
        /// Device.
        device: String,
        /// The passcode tried; `None`: the device's own.
        passcode: Option<u32>,
        /// The fabric the device joins.
        fabric: u8,
    },
    /// Runs the actions one after the other; stops at the first that fails (and fails).
    Sequence(Vec<Action>),
    /// Starts every action at once; done when all are, failed if one failed.
    Parallel(Vec<Action>),
    /// `action`, recorded under `label` ([`crate::RunReport::outcome_of`]).
    Labelled {
        /// The name.
        label: String,
        /// The action.
        action: Box<Action>,
    },
    /// Waits until `expectation` holds (done) or `within` has passed (failed, saying what was
    /// seen instead). `within` zero: checked once.
    Expect {
        /// What must hold.
        expectation: Expectation,
        /// How long it may take.
        within: Duration,
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
    /// Keep a copy of the last datagram `from` sent to `to` (whose opcode name contains
    /// `opcode`, if given; otherwise the last one that is not a standalone ack) under `name`,
    /// for a later [`Action::Inject`] of [`Injection::Replay`].
    Capture {
        /// The name it is kept under.
        name: String,
        /// Its sender.
        from: String,
        /// Its receiver.
        to: String,
        /// Text its opcode name must contain (`InvokeRequest`, `Sigma1`, …).
        opcode: Option<String>,
    },
    /// Hostile bytes from `from`'s address to `to`, through the simulated network (an
    /// attacker on, or spoofing, `from`'s address; `from`'s node never sees them).
    Inject {
        /// Whose address (and link) they leave from.
        from: String,
        /// The target.
        to: String,
        /// What is sent.
        datagram: Injection,
        /// How many copies.
        count: u32,
    },
    /// Handshake requests from `sources` distinct initiators (each its own ephemeral node id,
    /// hence its own unsecured session at `to`) sent at once from `from`'s address.
    Flood {
        /// Whose address they leave from.
        from: String,
        /// The target.
        to: String,
        /// Which request.
        message: FloodMessage,
        /// How many initiators.
        sources: u32,
    },
    /// Fill `node`'s session table with placeholder secure sessions (no peer address, keys
    /// nobody holds) until only `leave` session ids are free: the state of a node whose 65535
    /// ids are (nearly) all in use. Needs `max_sessions` that high, or the table evicts instead.
    FillSessionIds {
        /// Whose table.
        node: String,
        /// Ids left free.
        leave: u32,
    },
    /// Damage the node's durable resumption records on its disk (and what its running node
    /// would read back): the state a restart then finds.
    CorruptStore {
        /// Whose disk.
        node: String,
        /// How.
        how: crate::disk::Corruption,
    },
}

/// What an [`Action::Inject`] sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Injection {
    /// A datagram kept by [`Action::Capture`], byte for byte.
    Replay(String),
    /// The last datagram `to` sent to `from`, sent back to `to` (its own message reflected).
    Reflect,
    /// A CloseSession on `to`'s newest session with `peer`, with the counter after the last
    /// one `peer` sent to `to`, but sealed without the keys (a made-up MIC).
    ForgedClose {
        /// Whose session with the target is forged.
        peer: String,
    },
    /// The last datagram `from` sent to `to`, cut to half its length.
    Truncated,
    /// The last datagram `from` sent to `to`, padded with zeros to 1500 bytes (beyond the
    /// 1280-byte maximum).
    Oversized,
}

impl Injection {
    /// Trace and report text: `replay of old`, `reflect`, ….
    pub fn describe(&self) -> String {
        match self {
            Injection::Replay(name) => format!("replay of {name}"),
            Injection::Reflect => "reflect".to_owned(),
            Injection::ForgedClose { peer } => format!("forged close of {peer}'s session"),
            Injection::Truncated => "truncated".to_owned(),
            Injection::Oversized => "oversized".to_owned(),
        }
    }
}

/// What an [`Action::Flood`] sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodMessage {
    /// PBKDFParamRequest (PASE), built fresh for every source.
    PbkdfParamRequest,
    /// Sigma1 (CASE): the last Sigma1 anyone sent to the target, replayed under each source's
    /// ephemeral node id (so it passes the destination-id check and costs the target a Sigma2).
    Sigma1,
    /// Sigma1 opcode with 64 random bytes as payload: each fails to decode and leaves the
    /// target retransmitting a StatusReport on its unsecured session (fills the table).
    GarbageSigma1,
}

impl FloodMessage {
    /// Trace text.
    pub fn describe(self) -> &'static str {
        match self {
            FloodMessage::PbkdfParamRequest => "PBKDFParamRequest",
            FloodMessage::Sigma1 => "Sigma1",
            FloodMessage::GarbageSigma1 => "garbage Sigma1",
        }
    }
}

impl Action {
    /// One line for reports: `pair ctrl -> dev`, `exchange ctrl -> dev (3 reliable)`, ….
    pub fn describe(&self) -> String {
        let kind = |k: &Option<SessionKind>| match k {
            Some(SessionKind::Pase) => " pase",
            Some(SessionKind::Case) => " case",
            None => "",
        };
        match self {
            Action::InstallSession { a, b, kind } => format!("install {kind:?} {a} -> {b}"),
            Action::Exchange {
                from,
                to,
                messages,
                reliable,
                kind: k,
            } => format!(
                "exchange {from} -> {to} ({messages} {}{})",
                if *reliable { "reliable" } else { "unreliable" },
                kind(k)
            ),
            Action::CloseSession {
                node,
                peer,
                send_close,
                after_exchange,
                kind: k,
            } => format!(
                "close{} {node} -> {peer}{}{}",
                kind(k),
                if *send_close {
                    ""
                } else {
                    " (no CloseSession)"
                },
                if *after_exchange {
                    " (after exchange)"
                } else {
                    ""
                }
            ),
            Action::Partition { from, to, one_way } => {
                format!(
                    "partition {from} {} {to}",
                    if *one_way { "->" } else { "<->" }
                )
            }
            Action::Heal { from, to, one_way } => {
                format!("heal {from} {} {to}", if *one_way { "->" } else { "<->" })
            }
            Action::HealAll => "heal all".to_owned(),
            Action::SetNetwork { link, .. } => match link {
                Some((from, to)) => format!("set network {from} -> {to}"),
                None => "set network".to_owned(),
            },
            Action::Crash { node } => format!("crash {node}"),
            Action::Restart { node } => format!("restart {node}"),
            Action::SyncDisk { node } => format!("sync disk {node}"),
            Action::SaveResumptionRecord { node, peer } => {
                format!("save resumption record {node} -> {peer}")
            }
            Action::Wait(d) => format!("wait {d:?}"),
            Action::Capture { name, from, to, .. } => format!("capture {name}: {from} -> {to}"),
            Action::Inject {
                from,
                to,
                datagram,
                count,
            } => {
                let times = if *count == 1 {
                    String::new()
                } else {
                    format!(" x{count}")
                };
                format!("inject {} {from} -> {to}{times}", datagram.describe())
            }
            Action::Flood {
                from,
                to,
                message,
                sources,
            } => format!(
                "flood {} {from} -> {to} ({sources} sources)",
                message.describe()
            ),
            Action::FillSessionIds { node, leave } => {
                format!("fill session ids {node} (leave {leave})")
            }
            Action::CorruptStore { node, how } => {
                format!("corrupt store {node} ({})", how.describe())
            }
            Action::Pair {
                commissioner,
                device,
                passcode,
            } => match passcode {
                Some(p) => format!("pair {commissioner} -> {device} (passcode {p})"),
                None => format!("pair {commissioner} -> {device}"),
            },
            Action::JoinFabric { node, fabric } => format!("join fabric {fabric}: {node}"),
            Action::Case {
                initiator,
                responder,
                fabric,
            } => format!("case {initiator} -> {responder} (fabric {fabric})"),
            Action::Commission {
                commissioner,
                device,
                fabric,
                ..
            } => format!("commission {commissioner} -> {device} (fabric {fabric})"),
            Action::Sequence(steps) => format!("sequence of {}", steps.len()),
            Action::Parallel(steps) => format!("parallel of {}", steps.len()),
            Action::Labelled { label, action } => format!("{label}: {}", action.describe()),
            Action::Expect { within, .. } if within.is_zero() => "expect".to_owned(),
            Action::Expect { within, .. } => format!("expect within {within:?}"),
        }
    }

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
            kind: None,
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
            kind: None,
        }
    }

    /// PASE from `commissioner` to `device` with the device's passcode.
    pub fn pair(commissioner: &str, device: &str) -> Self {
        Action::Pair {
            commissioner: commissioner.into(),
            device: device.into(),
            passcode: None,
        }
    }

    /// `action` under `label`.
    pub fn labelled(label: &str, action: Action) -> Self {
        Action::Labelled {
            label: label.into(),
            action: Box::new(action),
        }
    }
}
