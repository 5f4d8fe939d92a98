//! A two-node harness in the shape of quinn-proto's `Pair`: virtual time, a queue of
//! datagrams in flight, seeded impairments (loss, duplication, latency jitter that reorders)
//! and scripted drops. Everything is deterministic for a given seed.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use paseo_core::codec::ProtocolId;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::node::{Event, Node, NodeConfig};
use paseo_core::session::{SecureSessionArgs, SessionKind, SessionParameters};
use paseo_core::store::MemoryStore;
use paseo_core::time::Instant;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Which node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// Local session ids of the pre-installed CASE session.
pub const A_SESSION: u16 = 0x0A0A;
pub const B_SESSION: u16 = 0x0B0B;

/// A scripted decision about one datagram (by its index in send order, 0-based, per sender).
pub type Script = Box<dyn FnMut(Side, usize, &[u8]) -> Fate>;

/// What the network does with a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Deliver,
    Drop,
    Duplicate,
    Delay(Duration),
}

/// Random impairments, applied after the script.
#[derive(Clone, Copy, Debug)]
pub struct Impairments {
    pub loss: f64,
    pub duplicate: f64,
    pub latency: Duration,
    /// Extra delay drawn uniformly from [0, reorder): reorders datagrams.
    pub reorder: Duration,
}

impl Default for Impairments {
    fn default() -> Self {
        Impairments {
            loss: 0.0,
            duplicate: 0.0,
            latency: Duration::from_millis(10),
            reorder: Duration::ZERO,
        }
    }
}

pub struct Pair {
    pub now: Instant,
    pub a: Node,
    pub b: Node,
    pub a_addr: SocketAddr,
    pub b_addr: SocketAddr,
    pub impairments: Impairments,
    pub script: Option<Script>,
    net_rng: ChaCha20Rng,
    in_flight: BTreeMap<(Instant, u64), (Side, Vec<u8>)>,
    seq: u64,
    sent: [usize; 2],
    /// Every event with the time it was drained.
    pub events: Vec<(Instant, Side, Event)>,
    /// Every datagram handed to the network: (time, sender, bytes).
    pub wire: Vec<(Instant, Side, Vec<u8>)>,
    /// Close each responder exchange as soon as its message is delivered (an application
    /// whose handler answers nothing).
    pub auto_close_responders: bool,
}

/// The arguments each side's pre-installed CASE session is built from.
pub fn session_args(side: Side) -> SecureSessionArgs<'static> {
    let (local, peer, me, them, initiator) = match side {
        Side::A => (A_SESSION, B_SESSION, 0xA, 0xB, true),
        Side::B => (B_SESSION, A_SESSION, 0xB, 0xA, false),
    };
    SecureSessionArgs {
        now: Instant::ZERO,
        session_id: local,
        peer_session_id: peer,
        kind: SessionKind::Case,
        fabric: Some(FabricIndex(1)),
        local_node_id: NodeId(me),
        peer_node_id: NodeId(them),
        peer_cats: vec![],
        shared_secret: &[0x5A; 32],
        salt: b"pair",
        is_initiator: initiator,
        is_resumption: false,
        peer_parameters: SessionParameters::default(),
        peer_address: None,
    }
}

impl Pair {
    /// Two nodes sharing a CASE session (installed directly, no handshake), both accepting
    /// Interaction Model messages.
    pub fn new(seed: u64) -> Pair {
        Self::with_config(seed, NodeConfig::default())
    }

    pub fn with_config(seed: u64, config: NodeConfig) -> Pair {
        let mut pair = Self::bare(seed, config);
        let mut args = session_args(Side::A);
        args.peer_address = Some(pair.b_addr);
        pair.a.install_secure_session(args).expect("session a");
        let mut args = session_args(Side::B);
        args.peer_address = Some(pair.a_addr);
        pair.b.install_secure_session(args).expect("session b");
        pair.collect();
        pair
    }

    /// Two nodes with no session between them (for handshake tests).
    pub fn bare(seed: u64, config: NodeConfig) -> Pair {
        let a_addr: SocketAddr = "[::1]:5541".parse().expect("addr");
        let b_addr: SocketAddr = "[::1]:5542".parse().expect("addr");
        let mut a = Node::new(
            config.clone(),
            ChaCha20Rng::seed_from_u64(seed),
            Box::new(MemoryStore::new()),
        );
        let mut b = Node::new(
            config,
            ChaCha20Rng::seed_from_u64(seed ^ 0xB),
            Box::new(MemoryStore::new()),
        );
        a.register_protocol(ProtocolId::INTERACTION_MODEL);
        b.register_protocol(ProtocolId::INTERACTION_MODEL);
        let mut pair = Pair {
            now: Instant::ZERO,
            a,
            b,
            a_addr,
            b_addr,
            impairments: Impairments::default(),
            script: None,
            net_rng: ChaCha20Rng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(7)),
            in_flight: BTreeMap::new(),
            seq: 0,
            sent: [0, 0],
            events: Vec::new(),
            wire: Vec::new(),
            auto_close_responders: false,
        };
        pair.collect();
        pair
    }

    pub fn node(&mut self, side: Side) -> &mut Node {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.net_rng.next_u64() as f64 / u64::MAX as f64) < p
    }

    fn enqueue(&mut self, from: Side, bytes: Vec<u8>, extra: Duration) {
        let mut delay = self.impairments.latency + extra;
        if !self.impairments.reorder.is_zero() {
            let micros = self.impairments.reorder.as_micros() as u64;
            delay += Duration::from_micros(self.net_rng.next_u64() % micros.max(1));
        }
        self.seq += 1;
        self.in_flight
            .insert((self.now + delay, self.seq), (from.other(), bytes));
    }

    /// Moves transmits and events out of both nodes, until both are quiet.
    fn collect(&mut self) {
        while self.collect_once() {}
    }

    fn collect_once(&mut self) -> bool {
        let mut moved = false;
        for side in [Side::A, Side::B] {
            while let Some(t) = self.node(side).poll_transmit() {
                moved = true;
                self.wire.push((self.now, side, t.payload.clone()));
                let index = self.sent[side as usize];
                self.sent[side as usize] += 1;
                let fate = match self.script.as_mut() {
                    Some(script) => script(side, index, &t.payload),
                    None => Fate::Deliver,
                };
                match fate {
                    Fate::Drop => continue,
                    Fate::Delay(d) => self.enqueue(side, t.payload, d),
                    Fate::Duplicate => {
                        self.enqueue(side, t.payload.clone(), Duration::ZERO);
                        self.enqueue(side, t.payload, Duration::ZERO);
                    }
                    Fate::Deliver => {
                        if self.chance(self.impairments.loss) {
                            continue;
                        }
                        if self.chance(self.impairments.duplicate) {
                            self.enqueue(side, t.payload.clone(), Duration::ZERO);
                        }
                        self.enqueue(side, t.payload, Duration::ZERO);
                    }
                }
            }
            while let Some(e) = self.node(side).poll_event() {
                moved = true;
                if let Event::Message { exchange, .. } = &e
                    && self.auto_close_responders
                    && !exchange.we_initiated
                {
                    let now = self.now;
                    let _ = self.node(side).close_exchange(now, *exchange);
                }
                self.events.push((self.now, side, e));
            }
        }
        moved
    }

    /// The next instant anything happens.
    fn next_time(&self) -> Option<Instant> {
        let flight = self.in_flight.keys().next().map(|(t, _)| *t);
        [flight, self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs until nothing is pending or `until` is reached.
    pub fn drive_until(&mut self, until: Instant) {
        self.collect();
        while let Some(t) = self.next_time() {
            if t > until {
                break;
            }
            self.now = self.now.max(t);
            while let Some(entry) = self.in_flight.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let (to, bytes) = entry.remove();
                let from = match to {
                    Side::A => self.b_addr,
                    Side::B => self.a_addr,
                };
                let now = self.now;
                self.node(to).handle_datagram(now, from, &bytes);
            }
            let now = self.now;
            for side in [Side::A, Side::B] {
                if self.node(side).poll_timeout().is_some_and(|d| d <= now) {
                    self.node(side).handle_timeout(now);
                }
            }
            self.collect();
        }
        self.now = self
            .now
            .max(until.min(self.now.max(self.next_time().unwrap_or(self.now))));
    }

    /// Runs until nothing is pending (bounded at one virtual hour).
    pub fn drive(&mut self) {
        self.drive_until(self.now + Duration::from_secs(3600));
    }

    /// Events of one side, in order.
    pub fn events_of(&self, side: Side) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|(_, s, _)| *s == side)
            .map(|(_, _, e)| e)
            .collect()
    }
}
