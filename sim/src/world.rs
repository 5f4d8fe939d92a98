//! What the simulated hosts share: the network, the recorder (trace, oracles, outcomes) and
//! every host's state. One thread, so `Rc`/`RefCell`; nothing is borrowed across an await.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;

use paseo_core::fabric::{Fabric, FabricIndex, NodeId};
use paseo_core::node::{Node, NodeConfig};
use paseo_core::time::Instant;
use tokio::sync::Notify;

use crate::command::{ActionId, Command, Outcome};
use crate::disk::SimDisk;
use crate::network::{DropReason, Network};
use crate::oracle::Oracles;
use crate::trace::{HeaderSummary, RecordKind, Trace, TraceRecord};

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
    /// A commissioning window opened at every start (a device waiting to be commissioned).
    pub commissioning: Option<Commissioning>,
}

/// What a commissionable device answers PASE with (Matter 1.3 §3.9, §4.14.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commissioning {
    /// Its setup passcode.
    pub passcode: u32,
    /// Its discriminator (12 bits; announced in discovery, shown in traces).
    pub discriminator: u16,
    /// PBKDF2 iterations (1000..=100000).
    pub iterations: u32,
    /// PBKDF2 salt (16..=32 bytes).
    pub salt: Vec<u8>,
}

impl Commissioning {
    /// Passcode `passcode`, discriminator 3840, 1000 iterations, a fixed 32-byte salt.
    pub fn with_passcode(passcode: u32) -> Self {
        Commissioning {
            passcode,
            discriminator: 3840,
            iterations: 1000,
            salt: b"paseo-sim commissioning salt 32B".to_vec(),
        }
    }
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
            commissioning: None,
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
    /// Fabrics joined during the run (kept across restarts, as a device keeps its NOC).
    pub joined: RefCell<Vec<crate::sim::case_glue::Credentials>>,
    /// The deadline the node loop last went to sleep with (`None`: no timer), as reported
    /// through [`crate::host::Hooks::waiting`]. It can differ from the node's current
    /// `poll_timeout` when the driver touched the node between steps.
    pub parked: Cell<Option<Instant>>,
}

impl crate::NextEvent for HostState {
    fn next_event(&self) -> Option<Instant> {
        if !self.up.get() {
            // Crashed: nothing runs until a restart (a scenario action).
            return None;
        }
        let starting = self.node.try_borrow().map_or(true, |n| n.is_none());
        if starting || !self.mailbox.borrow().is_empty() {
            return Some(Instant::ZERO);
        }
        // A node borrowed elsewhere is busy: act now.
        let timer = self
            .with_node(|n| n.poll_timeout())
            .unwrap_or(Some(Instant::ZERO));
        let arrival = self.ingress.borrow().keys().next().map(|(at, _)| *at);
        [timer, arrival, self.parked.get(), self.disk.next_durable()]
            .into_iter()
            .flatten()
            .min()
    }
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
    /// Sessions reported closed (node index, local id), not yet collected by the driver.
    pub closed: Vec<(usize, u16)>,
    /// Every secure session's keys, once each, in the order they opened (`--keylog`).
    pub keylog: Vec<paseo_core::session::keys::KeyLogEntry>,
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
