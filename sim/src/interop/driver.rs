//! A paseo node on real loopback UDP and the wall clock, run by the simulator's own
//! [`NodeLoop`] with [`InteropHooks`], and driven from outside the loop: the caller changes
//! the node between the loop's turns ([`LoopbackNode::with_node`]) and consumes its events
//! ([`LoopbackNode::drive`]). Everything here runs on one thread inside a tokio `LocalSet`.

use std::cell::{Ref, RefCell};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use paseo_core::codec::InteractionModelOpcode;
use paseo_core::exchange::ExchangeId;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::node::{Event, HandshakeError, HandshakeKind, Node, NodeConfig, NodeError};
use paseo_core::pase::Passcode;
use paseo_core::store::MemoryStore;
use paseo_core::time::Instant;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use tokio::sync::Notify;

use super::commission::{CommissionError, Commissioned, Commissioner, CommissionerConfig};
use super::hooks::{HookLinks, InteropHooks, PeerOracle, Shared};
use super::request::{ImReply, ImRequest, RequestError};
use crate::host::NodeLoop;
use crate::io::real::{RealClock, RealUdp};
use crate::io::{Clock, DatagramIo};
use crate::local::LocalLog;
use crate::oracle::Violation;

/// Refuses any address that is not loopback: interop runs never leave the machine.
pub fn ensure_loopback(addr: SocketAddr) -> Result<(), InteropError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(InteropError::NotLoopback(addr))
    }
}

/// Why an interop step failed.
#[derive(Debug, thiserror::Error)]
pub enum InteropError {
    /// Only 127.0.0.0/8 and ::1 are allowed.
    #[error("{0} is not a loopback address")]
    NotLoopback(SocketAddr),
    /// A socket could not be bound.
    #[error("socket: {0}")]
    Io(#[from] io::Error),
    /// The node refused a call.
    #[error("node: {0}")]
    Node(#[from] NodeError),
    /// A handshake failed.
    #[error("{kind:?} handshake failed: {error}")]
    Handshake {
        /// Which.
        kind: HandshakeKind,
        /// Why.
        error: HandshakeError,
    },
    /// A request got no answer.
    #[error("request: {0}")]
    Request(#[from] RequestError),
    /// Commissioning failed.
    #[error("commissioning: {0}")]
    Commission(#[from] CommissionError),
    /// Nothing decisive happened in time.
    #[error("no outcome within {0:?}")]
    Timeout(Duration),
    /// The node's loop ended (its socket failed).
    #[error("the node loop stopped")]
    LoopStopped,
}

/// How to run the node.
#[derive(Clone, Debug)]
pub struct LoopbackOptions {
    /// Where to bind (a loopback address; port 0 picks one).
    pub bind: SocketAddr,
    /// The node's configuration (diagnostics are turned on for the trace).
    pub config: NodeConfig,
    /// Seed of the node's RNG.
    pub seed: u64,
    /// Our name in the trace.
    pub name: String,
    /// The peer's name in oracle reports.
    pub peer_name: String,
    /// Whether the peer's datagrams reach us exactly as it sent them (direct loopback): then
    /// the node's hooks check them; behind a relay, pass [`LoopbackNode::peer_oracle`] to it.
    pub direct_path: bool,
}

impl LoopbackOptions {
    /// Defaults: node "paseo", peer "matterjs", direct path, default config.
    pub fn new(bind: SocketAddr, seed: u64) -> Self {
        Self {
            bind,
            config: NodeConfig::default(),
            seed,
            name: "paseo".into(),
            peer_name: "matterjs".into(),
            direct_path: true,
        }
    }
}

/// A handshake that finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Established {
    /// Our session id.
    pub session_id: u16,
    /// A resumed CASE session.
    pub is_resumption: bool,
    /// From the first handshake message to the session (microseconds, wall clock).
    pub micros: u64,
}

/// The node, its loop and what they record.
pub struct LoopbackNode {
    node: Rc<RefCell<Node>>,
    clock: RealClock,
    local: SocketAddr,
    log: Rc<RefCell<LocalLog>>,
    shared: Rc<RefCell<Shared>>,
    wake: Rc<Notify>,
    event_ready: Rc<Notify>,
    task: tokio::task::JoinHandle<io::Result<()>>,
}

impl Drop for LoopbackNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LoopbackNode {
    /// Binds the socket and spawns the loop (call inside a `LocalSet`). `log` receives the
    /// trace; share it with a relay to see the network's decisions in the same trace.
    pub async fn start(
        options: LoopbackOptions,
        clock: RealClock,
        log: Rc<RefCell<LocalLog>>,
    ) -> Result<Self, InteropError> {
        ensure_loopback(options.bind)?;
        let socket = RealUdp::bind(options.bind).await?;
        let local = socket.local_addr();
        let config = NodeConfig {
            diagnostics: true,
            ..options.config
        };
        let node = Rc::new(RefCell::new(Node::new(
            config,
            ChaCha20Rng::seed_from_u64(options.seed),
            Box::new(MemoryStore::new()),
        )));
        let shared = Rc::new(RefCell::new(Shared::default()));
        let wake = Rc::new(Notify::new());
        let event_ready = Rc::new(Notify::new());
        let links = HookLinks {
            log: log.clone(),
            shared: shared.clone(),
            wake: wake.clone(),
            event_ready: event_ready.clone(),
        };
        let hooks = InteropHooks::new(
            &options.name,
            &options.peer_name,
            local,
            options.direct_path,
            links,
        );
        let node_loop = NodeLoop::new(node.clone(), socket, clock, hooks);
        let task = tokio::task::spawn_local(node_loop.run());
        Ok(Self {
            node,
            clock,
            local,
            log,
            shared,
            wake,
            event_ready,
            task,
        })
    }

    /// The oracle for the peer's datagrams, for a relay to apply where it receives them.
    pub fn peer_oracle(&self, peer_name: &str) -> PeerOracle {
        PeerOracle::new(peer_name, self.node.clone(), self.shared.clone())
    }

    /// Our socket's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The clock's current time.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Changes the node between two turns of its loop, then lets the loop send what it queued.
    pub fn with_node<R>(&self, f: impl FnOnce(&mut Node, Instant) -> R) -> R {
        let now = self.clock.now();
        let result = f(&mut self.node.borrow_mut(), now);
        self.wake.notify_one();
        result
    }

    /// A look at the node.
    pub fn node(&self) -> Ref<'_, Node> {
        self.node.borrow()
    }

    /// The trace so far, one line per record.
    pub fn trace_text(&self) -> String {
        self.log.borrow().trace.text()
    }

    /// Every event the node reported so far.
    pub fn events(&self) -> Vec<Event> {
        self.log.borrow().events.clone()
    }

    /// Oracle violations so far.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.borrow().violations()
    }

    /// Feeds the node's events to `on_event` (with the node, between loop turns) until it
    /// returns `Some`, or `timeout` passes.
    pub async fn drive<T>(
        &self,
        timeout: Duration,
        mut on_event: impl FnMut(&mut Node, Instant, &Event) -> Option<T>,
    ) -> Result<T, InteropError> {
        let deadline = self.clock.now() + timeout;
        loop {
            let next = self.shared.borrow_mut().events.pop_front();
            if let Some(event) = next {
                if let Some(done) = self.with_node(|node, now| on_event(node, now, &event)) {
                    return Ok(done);
                }
                continue;
            }
            if self.task.is_finished() {
                return Err(InteropError::LoopStopped);
            }
            tokio::select! {
                () = self.event_ready.notified() => {}
                () = self.clock.sleep_until(deadline) => return Err(InteropError::Timeout(timeout)),
            }
        }
    }

    /// Waits until `timeout` has passed, handing every event to `on_event` meanwhile.
    pub async fn settle(&self, timeout: Duration, mut on_event: impl FnMut(&Event)) {
        let _: Result<(), _> = self
            .drive(timeout, |_, _, event| {
                on_event(event);
                None
            })
            .await;
    }

    /// Waits for the handshake on `exchange` to end.
    async fn handshake(
        &self,
        exchange: ExchangeId,
        kind: HandshakeKind,
        started: Instant,
        timeout: Duration,
    ) -> Result<Established, InteropError> {
        let want_pase = kind == HandshakeKind::Pase;
        self.drive(timeout, |_, now, event| match event {
            Event::SessionOpened {
                session_id,
                is_pase,
                is_resumption,
            } if *is_pase == want_pase => Some(Ok(Established {
                session_id: *session_id,
                is_resumption: *is_resumption,
                micros: now.as_micros().saturating_sub(started.as_micros()),
            })),
            Event::HandshakeFailed {
                exchange: failed,
                kind,
                error,
            } if *failed == exchange => Some(Err(InteropError::Handshake {
                kind: *kind,
                error: error.clone(),
            })),
            _ => None,
        })
        .await?
    }

    /// PASE with `peer` as commissioner.
    pub async fn pase(
        &self,
        peer: SocketAddr,
        passcode: Passcode,
        timeout: Duration,
    ) -> Result<Established, InteropError> {
        ensure_loopback(peer)?;
        let (exchange, started) =
            self.with_node(|node, now| node.start_pase(now, peer, passcode).map(|x| (x, now)))?;
        self.handshake(exchange, HandshakeKind::Pase, started, timeout)
            .await
    }

    /// CASE with node `peer_node_id` of `fabric` at `peer` (a resumption when the node holds a
    /// record for that peer).
    pub async fn case(
        &self,
        peer: SocketAddr,
        fabric: FabricIndex,
        peer_node_id: NodeId,
        timeout: Duration,
    ) -> Result<Established, InteropError> {
        ensure_loopback(peer)?;
        let (exchange, started) = self.with_node(|node, now| {
            node.start_case(now, peer, fabric, peer_node_id)
                .map(|x| (x, now))
        })?;
        self.handshake(exchange, HandshakeKind::Case, started, timeout)
            .await
    }

    /// One IM request on `session_id` and its answer.
    pub async fn request(
        &self,
        session_id: u16,
        opcode: InteractionModelOpcode,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<ImReply, InteropError> {
        let mut request =
            self.with_node(|node, now| ImRequest::start(now, node, session_id, opcode, payload))?;
        self.drive(timeout, |node, now, event| {
            request.on_event(now, node, event)
        })
        .await?
        .map_err(InteropError::from)
    }

    /// The whole commissioning flow of [`Commissioner`].
    pub async fn commission(
        &self,
        config: CommissionerConfig,
        timeout: Duration,
    ) -> Result<(Commissioner, Commissioned), InteropError> {
        ensure_loopback(config.peer)?;
        let mut commissioner = Commissioner::new(config)?;
        self.with_node(|node, now| commissioner.start(now, node))?;
        let done = self
            .drive(timeout, |node, now, event| {
                commissioner.on_event(now, node, event)
            })
            .await??;
        Ok((commissioner, done))
    }
}
