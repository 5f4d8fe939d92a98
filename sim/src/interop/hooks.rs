//! The [`Hooks`] of a paseo node talking to a real peer: [`LocalHooks`] records the trace (the
//! simulator's line format), the simulator's [`Oracles`] check what applies, and every event
//! is queued for whoever drives the node ([`super::driver::LoopbackNode`]).
//!
//! Oracles that apply against a peer we cannot look into:
//! - on our datagrams: nonce reuse, counter regression, traffic for a closed session;
//! - on the peer's datagrams where they leave the peer ([`PeerOracle`]): nonce reuse (a
//!   retransmission must be byte-identical) and counter regression. On a direct loopback path
//!   that is where we receive them; behind the impairment relay it is where the relay receives
//!   them, before any loss (a retransmission of a lost first copy may follow a newer counter);
//! - on our events: a closed session is gone from our table.
//!
//! Delivery oracles (duplicate delivery, ack-and-failure, …) need both ends' application
//! events and stay with the simulator.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;

use paseo_core::exchange::ExchangeId;
use paseo_core::node::{DeliveryError, Event, ExchangeCloseReason, Node, RxDecision, Transmit};
use paseo_core::time::Instant;
use tokio::sync::Notify;

use crate::command::{ActionId, Command, Outcome};
use crate::host::Hooks;
use crate::local::{CommandQueue, LocalHooks, LocalLog};
use crate::oracle::{Oracles, Violation};
use crate::trace::{HeaderSummary, RecordKind, TraceRecord};

/// Oracle index of our node.
const US: usize = 0;
/// Oracle index of the peer.
const PEER: usize = 1;

/// What the node's loop shares with its driver.
#[derive(Debug, Default)]
pub struct Shared {
    /// Events not yet taken by the driver.
    pub events: VecDeque<Event>,
    /// The oracles' state.
    pub oracles: Oracles,
}

impl Shared {
    /// Violations so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.oracles.violations().to_vec()
    }
}

/// Checks a peer's datagrams with the simulator's oracles, at the point where every datagram
/// it sends is seen once and in its order.
#[derive(Clone)]
pub struct PeerOracle {
    node: Rc<RefCell<Node>>,
    shared: Rc<RefCell<Shared>>,
    name: String,
}

impl PeerOracle {
    /// The oracle for peer `name` of our `node`.
    pub fn new(name: &str, node: Rc<RefCell<Node>>, shared: Rc<RefCell<Shared>>) -> Self {
        Self {
            node,
            shared,
            name: name.to_owned(),
        }
    }

    /// The peer sent `datagram` to `to` (keyed by that address and the session id in it).
    pub fn on_peer_datagram(&self, now: Instant, to: SocketAddr, datagram: &[u8]) {
        let as_sent = Transmit {
            destination: to,
            payload: datagram.to_vec(),
        };
        // Neither the loop nor the relay holds a borrow across an await: these cannot clash.
        let node = self.node.borrow();
        self.shared
            .borrow_mut()
            .oracles
            .on_transmit(now, PEER, &self.name, &node, &as_sent);
    }
}

/// Hooks for a node driven from outside its loop.
pub struct InteropHooks {
    inner: LocalHooks,
    log: Rc<RefCell<LocalLog>>,
    name: String,
    peer_name: String,
    local: SocketAddr,
    /// Whether the peer's datagrams reach us exactly as it sent them (direct loopback), so
    /// that they are checked here; behind a relay the relay checks them.
    check_peer_here: bool,
    shared: Rc<RefCell<Shared>>,
    /// The driver changed the node: the loop must flush.
    wake: Rc<Notify>,
    /// An event was queued for the driver.
    event_ready: Rc<Notify>,
}

/// What the hooks share with the driver of the node.
#[derive(Clone)]
pub struct HookLinks {
    /// The trace and event log.
    pub log: Rc<RefCell<LocalLog>>,
    /// Queued events and the oracles.
    pub shared: Rc<RefCell<Shared>>,
    /// Notified by the driver after it changed the node: the loop must flush.
    pub wake: Rc<Notify>,
    /// Notified by the hooks when an event was queued.
    pub event_ready: Rc<Notify>,
}

impl InteropHooks {
    /// Hooks for node `name` at `local`, talking to `peer_name`; `check_peer_here` when the
    /// peer's datagrams reach us exactly as it sent them.
    pub fn new(
        name: &str,
        peer_name: &str,
        local: SocketAddr,
        check_peer_here: bool,
        links: HookLinks,
    ) -> Self {
        InteropHooks {
            inner: LocalHooks::new(
                name,
                local,
                Rc::new(CommandQueue::default()),
                links.log.clone(),
            ),
            log: links.log,
            name: name.to_owned(),
            peer_name: peer_name.to_owned(),
            local,
            check_peer_here,
            shared: links.shared,
            wake: links.wake,
            event_ready: links.event_ready,
        }
    }
}

impl Hooks for InteropHooks {
    fn next_command(&mut self) -> Option<Command> {
        self.inner.next_command()
    }

    fn commands_ready(&self) -> impl Future<Output = ()> {
        self.wake.notified()
    }

    fn receiving(
        &mut self,
        now: Instant,
        node: &Node,
        from: SocketAddr,
        datagram: &[u8],
    ) -> HeaderSummary {
        if self.check_peer_here {
            // Exactly as it left the peer: keyed by our address and our session id.
            let as_sent = Transmit {
                destination: self.local,
                payload: datagram.to_vec(),
            };
            self.shared.borrow_mut().oracles.on_transmit(
                now,
                PEER,
                &self.peer_name,
                node,
                &as_sent,
            );
        }
        self.inner.receiving(now, node, from, datagram)
    }

    fn received(
        &mut self,
        now: Instant,
        node: &Node,
        from: SocketAddr,
        datagram: &[u8],
        summary: HeaderSummary,
        decision: Option<RxDecision>,
    ) {
        self.inner
            .received(now, node, from, datagram, summary, decision);
    }

    fn transmitting(
        &mut self,
        now: Instant,
        node: &Node,
        transmit: &Transmit,
        retransmission: Option<u8>,
    ) {
        self.shared
            .borrow_mut()
            .oracles
            .on_transmit(now, US, &self.name, node, transmit);
        self.inner.transmitting(now, node, transmit, retransmission);
    }

    fn event(&mut self, now: Instant, node: &Node, event: &Event) {
        // The simulator's wording (`session opened`, `Pase handshake failed (…)`, …) so that
        // scenario expectations read an interop trace as they read a simulated one; every
        // session and exchange of this node is with its one peer.
        let (subject, what) = event_text(event);
        {
            let mut log = self.log.borrow_mut();
            if matches!(event, Event::SessionOpened { .. }) {
                log.note_keys(node);
            }
            log.trace.records.push(TraceRecord {
                at: now,
                node: self.name.clone(),
                kind: RecordKind::Event,
                peer: self.peer_name.clone(),
                header: None,
                subject,
                decision: what,
                wire: None,
            });
            log.events.push(event.clone());
        }
        let mut shared = self.shared.borrow_mut();
        shared.oracles.on_event(now, US, &self.name, node, event);
        shared.events.push_back(event.clone());
        self.event_ready.notify_one();
    }

    fn app_sent(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        counter: u32,
        tag: u64,
        reliable: bool,
    ) {
        self.inner.app_sent(now, exchange, counter, tag, reliable);
    }

    fn outcome(&mut self, now: Instant, action: ActionId, outcome: Outcome) {
        self.inner.outcome(now, action, outcome);
    }
}

/// (subject, decision) of an event record, as the simulator writes them.
fn event_text(event: &Event) -> (String, String) {
    match event {
        Event::Message { exchange, .. } => (exchange.to_string(), "app received".to_owned()),
        Event::Acknowledged {
            exchange,
            message_counter,
        } => (
            format!("{exchange} c={message_counter}"),
            "acked".to_owned(),
        ),
        Event::DeliveryFailed {
            exchange,
            message_counter,
            reason,
        } => {
            let why = match reason {
                DeliveryError::RetransmissionsExhausted => "retransmissions exhausted",
                DeliveryError::SessionClosed => "session closed",
            };
            (
                format!("{exchange} c={message_counter}"),
                format!("delivery failed ({why})"),
            )
        }
        Event::ExchangeClosed { exchange, reason } => {
            let why = match reason {
                ExchangeCloseReason::Local => "local",
                ExchangeCloseReason::Timeout => "timeout",
                ExchangeCloseReason::SessionClosed => "session closed",
                ExchangeCloseReason::DeliveryFailed => "delivery failed",
            };
            (exchange.to_string(), format!("exchange closed ({why})"))
        }
        Event::SessionOpened {
            session_id,
            is_resumption,
            ..
        } => {
            let what = if *is_resumption {
                "session resumed"
            } else {
                "session opened"
            };
            (format!("s={session_id}"), what.to_owned())
        }
        Event::HandshakeFailed {
            exchange,
            kind,
            error,
        } => (
            exchange.to_string(),
            format!("{kind:?} handshake failed ({error})"),
        ),
        Event::SessionClosed { session_id, reason } => (
            format!("s={session_id}"),
            format!("session closed ({reason})"),
        ),
    }
}
