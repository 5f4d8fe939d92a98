//! What the simulated hosts share: the network, the recorder (trace, oracles, outcomes) and
//! every host's state. One thread, so `Rc`/`RefCell`; nothing is borrowed across an await.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;

use paseo_core::fabric::{Fabric, FabricIndex, NodeId};
use paseo_core::node::{Event, ExchangeCloseReason, Node, NodeConfig, RxDecision, Transmit};
use paseo_core::session::Session;
use paseo_core::time::Instant;
use tokio::sync::Notify;

use crate::command::{ActionId, Command, Outcome};
use crate::disk::SimDisk;
use crate::host::{APP_PROTOCOL, Hooks, NodeLoop, message_tag};
use crate::io::{Clock, SimSocket, TurmoilClock};
use crate::network::{DropReason, Network};
use crate::oracle::{Oracles, secure_session_of};
use crate::seed;
use crate::trace::{HeaderSummary, RecordKind, Trace, TraceRecord, WireDatagram, summarize};

/// How a simulated node is set up.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// The node's configuration (`diagnostics` is forced on: the trace needs it).
    pub config: NodeConfig,
    /// The node's operational node id.
    pub node_id: NodeId,
    /// Fabrics the node belongs to (resumption records of other fabrics are dropped on load).
    pub fabrics: Vec<Fabric>,
    /// Disk writes become durable this long after they are made (`None`: only on sync).
    pub sync_delay: Option<std::time::Duration>,
}

impl NodeSpec {
    /// Default configuration, one fabric (index 1, id 0xFAB1), writes durable after 100 ms.
    pub fn new(node_id: u64) -> Self {
        NodeSpec {
            config: NodeConfig::default(),
            node_id: NodeId(node_id),
            fabrics: vec![Fabric {
                index: FabricIndex(1),
                fabric_id: 0xFAB1,
                label: "sim".into(),
                node_id: NodeId(node_id),
                root_node_id: NodeId(1),
                root_vendor_id: 0xFFF1,
            }],
            sync_delay: Some(std::time::Duration::from_millis(100)),
        }
    }
}

/// A datagram waiting in a host's arrival queue for its delivery time.
#[derive(Debug)]
pub(crate) struct Arrival {
    pub from: SocketAddr,
    pub payload: Vec<u8>,
}

/// One simulated host: its node (while running), mailbox, arrivals and disk.
pub(crate) struct HostState {
    pub index: usize,
    pub name: String,
    pub addr: SocketAddr,
    pub spec: NodeSpec,
    pub disk: SimDisk,
    /// The running node; `None` before the first tick and while crashed.
    pub node: RefCell<Option<Rc<RefCell<Node>>>>,
    pub mailbox: RefCell<VecDeque<Command>>,
    pub notify: Notify,
    /// Datagrams on their way in, by (delivery time, network sequence).
    pub ingress: RefCell<BTreeMap<(Instant, u64), Arrival>>,
    pub up: Cell<bool>,
    /// When the current incarnation started; anything due earlier was lost.
    pub up_since: Cell<Instant>,
    pub restarts: Cell<u32>,
    /// Application commands still running on the node.
    pub jobs: Cell<usize>,
}

impl HostState {
    /// Runs `f` on the node if it is running and not borrowed.
    pub fn with_node<R>(&self, f: impl FnOnce(&Node) -> R) -> Option<R> {
        let slot = self.node.try_borrow().ok()?;
        let node = slot.as_ref()?.try_borrow().ok()?;
        Some(f(&node))
    }

    /// Runs `f` on the node mutably (driver only, between steps).
    pub fn with_node_mut<R>(&self, f: impl FnOnce(&mut Node) -> R) -> Option<R> {
        let slot = self.node.try_borrow().ok()?;
        let mut node = slot.as_ref()?.try_borrow_mut().ok()?;
        Some(f(&mut node))
    }
}

/// Trace, oracles and command outcomes.
#[derive(Default)]
pub(crate) struct Recorder {
    pub trace: Trace,
    pub oracles: Oracles,
    /// Outcomes not yet collected by the driver.
    pub outcomes: Vec<(ActionId, Instant, Outcome)>,
}

/// Everything the hosts and the driver share.
pub(crate) struct World {
    pub seed: u64,
    pub network: RefCell<Network>,
    pub recorder: RefCell<Recorder>,
    pub hosts: RefCell<Vec<Rc<HostState>>>,
    pub by_addr: RefCell<BTreeMap<SocketAddr, usize>>,
    seq: Cell<u64>,
}

impl World {
    pub fn new(seed: u64, network: Network) -> Self {
        World {
            seed,
            network: RefCell::new(network),
            recorder: RefCell::new(Recorder::default()),
            hosts: RefCell::new(Vec::new()),
            by_addr: RefCell::new(BTreeMap::new()),
            seq: Cell::new(0),
        }
    }

    /// The host at `addr`.
    pub fn host_at(&self, addr: SocketAddr) -> Option<Rc<HostState>> {
        let index = *self.by_addr.borrow().get(&addr)?;
        self.hosts.borrow().get(index).cloned()
    }

    /// The host with index `index`.
    pub fn host(&self, index: usize) -> Option<Rc<HostState>> {
        self.hosts.borrow().get(index).cloned()
    }

    /// The node name at `addr`, or the address itself.
    pub fn name_of(&self, addr: SocketAddr) -> String {
        self.host_at(addr)
            .map_or_else(|| addr.to_string(), |h| h.name.clone())
    }

    /// Node names by index.
    pub fn names(&self) -> Vec<String> {
        self.hosts.borrow().iter().map(|h| h.name.clone()).collect()
    }

    /// Next network sequence number (orders datagrams due at the same instant).
    pub fn next_seq(&self) -> u64 {
        let n = self.seq.get();
        self.seq.set(n + 1);
        n
    }

    pub fn record(&self, record: TraceRecord) {
        self.recorder.borrow_mut().trace.records.push(record);
    }

    /// A scenario action line.
    pub fn action_line(&self, at: Instant, node: &str, peer: &str, subject: String, what: &str) {
        self.record(TraceRecord {
            at,
            node: node.to_owned(),
            kind: RecordKind::Action,
            peer: peer.to_owned(),
            header: None,
            subject,
            decision: what.to_owned(),
            wire: None,
        });
    }

    fn net_record(
        &self,
        at: Instant,
        from: SocketAddr,
        to: SocketAddr,
        payload: &[u8],
        what: String,
    ) {
        let header = crate::trace::header_ids(payload).map(|(session_id, counter)| HeaderSummary {
            session_id,
            counter,
            exchange: None,
            opaque: None,
        });
        self.record(TraceRecord {
            at,
            node: self.name_of(from),
            kind: RecordKind::Net,
            peer: self.name_of(to),
            header,
            subject: String::new(),
            decision: what,
            wire: None,
        });
    }

    /// The network dropped a datagram.
    pub fn net_line(
        &self,
        at: Instant,
        from: SocketAddr,
        to: SocketAddr,
        payload: &[u8],
        reason: DropReason,
    ) {
        self.net_record(
            at,
            from,
            to,
            payload,
            format!("dropped by network ({})", reason.as_str()),
        );
    }

    /// The network duplicated a datagram.
    pub fn net_duplicated(&self, at: Instant, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
        self.net_record(at, from, to, payload, "duplicated by network".to_owned());
    }
}

/// The host software turmoil runs (again after each restart): a fresh node on the surviving
/// disk, then the node loop until the host is crashed.
pub(crate) async fn run_host(world: Rc<World>, host: Rc<HostState>) -> turmoil::Result {
    let now = TurmoilClock.now();
    let restarts = host.restarts.get();
    let mut config = host.spec.config.clone();
    config.diagnostics = true;
    host.disk.advance(now);
    let mut node = Node::new(
        config,
        seed::node_rng(world.seed, &host.name, restarts),
        Box::new(host.disk.clone()),
    );
    node.register_protocol(APP_PROTOCOL);
    let loaded = node.sessions_mut().init_from_storage(&host.spec.fabrics);
    let what = match (&loaded, restarts) {
        (Ok(n), 0) => format!("started ({n} resumption records loaded)"),
        (Ok(n), r) => format!("restarted #{r} ({n} resumption records loaded)"),
        (Err(e), _) => format!("started, resumption records not loaded: {e}"),
    };
    world.action_line(now, &host.name, "-", String::new(), &what);
    let node = Rc::new(RefCell::new(node));
    *host.node.borrow_mut() = Some(node.clone());
    let socket = SimSocket::bind(world.clone(), host.clone()).await?;
    let hooks = SimHooks { world, host };
    NodeLoop::new(node, socket, TurmoilClock, hooks)
        .run()
        .await?;
    Ok(())
}

/// The simulator's [`Hooks`]: trace every datagram and event, check the oracles, report
/// outcomes.
struct SimHooks {
    world: Rc<World>,
    host: Rc<HostState>,
}

impl SimHooks {
    /// The peer name and session subject of an exchange event.
    fn exchange_subject(
        &self,
        node: &Node,
        exchange: &paseo_core::exchange::ExchangeId,
    ) -> (String, String) {
        let peer = secure_session_of(exchange)
            .and_then(|sid| self.peer_addr(node, sid))
            .map_or_else(|| "-".to_owned(), |a| self.world.name_of(a));
        (peer, exchange.to_string())
    }

    fn peer_addr(&self, node: &Node, session_id: u16) -> Option<SocketAddr> {
        node.sessions()
            .get_session(session_id)
            .and_then(|s| s.context().peer_address)
            .or_else(|| {
                self.world
                    .recorder
                    .borrow()
                    .oracles
                    .peer_of(self.host.index, session_id)
                    .and_then(|(addr, _)| addr)
            })
    }
}

fn rx_text(decision: Option<RxDecision>) -> &'static str {
    match decision {
        Some(RxDecision::Delivered) => "delivered",
        Some(RxDecision::Ack) => "acked",
        Some(RxDecision::Duplicate) => "duplicate",
        Some(RxDecision::Malformed) => "dropped malformed",
        Some(RxDecision::UnknownSession) => "dropped unknown session",
        Some(RxDecision::Undecryptable) => "dropped undecryptable",
        Some(RxDecision::Unsupported) => "dropped unsupported",
        Some(RxDecision::Unsolicited) => "dropped unsolicited",
        Some(RxDecision::SessionClosing) => "dropped session closing",
        None => "received",
    }
}

fn close_reason_text(reason: ExchangeCloseReason) -> &'static str {
    match reason {
        ExchangeCloseReason::Local => "local",
        ExchangeCloseReason::Timeout => "timeout",
        ExchangeCloseReason::SessionClosed => "session closed",
        ExchangeCloseReason::DeliveryFailed => "delivery failed",
    }
}

impl Hooks for SimHooks {
    fn on_wake(&mut self, now: Instant) {
        self.host.disk.advance(now);
    }

    fn next_command(&mut self) -> Option<Command> {
        let cmd = self.host.mailbox.borrow_mut().pop_front();
        if cmd.is_some() {
            self.host.jobs.set(self.host.jobs.get() + 1);
        }
        cmd
    }

    fn commands_ready(&self) -> impl std::future::Future<Output = ()> {
        self.host.notify.notified()
    }

    fn receiving(
        &mut self,
        _now: Instant,
        node: &Node,
        _from: SocketAddr,
        datagram: &[u8],
    ) -> HeaderSummary {
        let session = crate::trace::header_ids(datagram)
            .and_then(|(sid, _)| node.sessions().get_session(sid));
        summarize(datagram, session)
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
        let close = summary.is_close_session() && decision == Some(RxDecision::Delivered);
        let session_id = summary.session_id;
        self.world.record(TraceRecord {
            at: now,
            node: self.host.name.clone(),
            kind: RecordKind::Rx,
            peer: self.world.name_of(from),
            header: Some(summary),
            subject: String::new(),
            decision: rx_text(decision).to_owned(),
            wire: Some(WireDatagram {
                src: from,
                dst: self.host.addr,
                bytes: datagram.to_vec(),
            }),
        });
        if close {
            self.world
                .recorder
                .borrow_mut()
                .oracles
                .on_close_session_received(now, &self.host.name, node, session_id, datagram);
        }
    }

    fn transmitting(
        &mut self,
        now: Instant,
        node: &Node,
        transmit: &Transmit,
        retransmission: Option<u8>,
    ) {
        let peer = self.world.host_at(transmit.destination);
        let summary = peer
            .as_ref()
            .and_then(|p| {
                p.with_node(|peer_node| {
                    let session = crate::trace::header_ids(&transmit.payload)
                        .and_then(|(sid, _)| peer_node.sessions().get_session(sid));
                    summarize(&transmit.payload, session)
                })
            })
            .unwrap_or_else(|| summarize(&transmit.payload, None));
        let decision = match retransmission {
            Some(0) | None => "sent".to_owned(),
            Some(n) => format!("retransmit {n}"),
        };
        self.world.record(TraceRecord {
            at: now,
            node: self.host.name.clone(),
            kind: RecordKind::Tx,
            peer: self.world.name_of(transmit.destination),
            header: Some(summary),
            subject: String::new(),
            decision,
            wire: Some(WireDatagram {
                src: self.host.addr,
                dst: transmit.destination,
                bytes: transmit.payload.clone(),
            }),
        });
        self.world.recorder.borrow_mut().oracles.on_transmit(
            now,
            self.host.index,
            &self.host.name,
            node,
            transmit,
        );
    }

    fn event(&mut self, now: Instant, node: &Node, event: &Event) {
        let (peer, subject, what) = match event {
            Event::Message {
                exchange,
                protocol,
                opcode,
                payload,
            } => {
                let (peer, x) = self.exchange_subject(node, exchange);
                let tag = message_tag(*protocol, *opcode, payload)
                    .map_or_else(String::new, |t| format!(" tag={t}"));
                (peer, format!("{x}{tag}"), "app received".to_owned())
            }
            Event::Acknowledged {
                exchange,
                message_counter,
            } => {
                let (peer, x) = self.exchange_subject(node, exchange);
                (peer, format!("{x} c={message_counter}"), "acked".to_owned())
            }
            Event::DeliveryFailed {
                exchange,
                message_counter,
                reason,
            } => {
                let (peer, x) = self.exchange_subject(node, exchange);
                let why = match reason {
                    paseo_core::node::DeliveryError::RetransmissionsExhausted => {
                        "retransmissions exhausted"
                    }
                    paseo_core::node::DeliveryError::SessionClosed => "session closed",
                };
                (
                    peer,
                    format!("{x} c={message_counter}"),
                    format!("delivery failed ({why})"),
                )
            }
            Event::ExchangeClosed { exchange, reason } => {
                let (peer, x) = self.exchange_subject(node, exchange);
                (
                    peer,
                    x,
                    format!("exchange closed ({})", close_reason_text(*reason)),
                )
            }
            Event::SessionOpened {
                session_id,
                is_resumption,
                ..
            } => {
                let s = node.sessions().get_session(*session_id);
                let peer = s
                    .and_then(|s| s.context().peer_address)
                    .map_or_else(|| "-".to_owned(), |a| self.world.name_of(a));
                let peer_id = s.map_or(0, |s| s.peer_session_id());
                let what = if *is_resumption {
                    "session resumed"
                } else {
                    "session opened"
                };
                (
                    peer,
                    format!("s={session_id} peer_s={peer_id}"),
                    what.to_owned(),
                )
            }
            Event::SessionClosed { session_id, reason } => {
                let peer = self
                    .peer_addr(node, *session_id)
                    .map_or_else(|| "-".to_owned(), |a| self.world.name_of(a));
                (
                    peer,
                    format!("s={session_id}"),
                    format!("session closed ({reason})"),
                )
            }
        };
        self.world.record(TraceRecord {
            at: now,
            node: self.host.name.clone(),
            kind: RecordKind::Event,
            peer,
            header: None,
            subject,
            decision: what,
            wire: None,
        });
        self.world.recorder.borrow_mut().oracles.on_event(
            now,
            self.host.index,
            &self.host.name,
            node,
            event,
        );
    }

    fn app_sent(
        &mut self,
        _now: Instant,
        exchange: paseo_core::exchange::ExchangeId,
        counter: u32,
        tag: u64,
        reliable: bool,
    ) {
        self.world.recorder.borrow_mut().oracles.on_app_sent(
            self.host.index,
            exchange,
            counter,
            tag,
            reliable,
        );
    }

    fn outcome(&mut self, now: Instant, action: ActionId, outcome: Outcome) {
        self.host.jobs.set(self.host.jobs.get().saturating_sub(1));
        self.world
            .recorder
            .borrow_mut()
            .outcomes
            .push((action, now, outcome));
    }

    fn io_error(&mut self, now: Instant, error: &std::io::Error) {
        self.world.action_line(
            now,
            &self.host.name,
            "-",
            String::new(),
            &format!("socket error: {error}"),
        );
    }
}
