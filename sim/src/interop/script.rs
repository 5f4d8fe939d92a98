//! A scenario's steps ([`Action`]s) run against the matter.js device: the YAML layer lowers a
//! scenario with a `peer: matterjs` node onto the same actions as a simulated one, and this
//! runs them on real loopback UDP and the wall clock (docs/SCENARIOS.md, "Real peers").
//!
//! Our node is the scenario's commissioner ([`LoopbackNode`]); the device is a factory-fresh
//! [`MatterJsPeer`]; an impairment [`Relay`] always sits between them so that `network`,
//! `links` and `set_network` apply (a perfect relay only adds the scenario's latency). The
//! trace keeps the simulator's line format with the scenario's node names; expectations read
//! our node's session table, our events, the trace and the relay's counters. The device is
//! stopped at the end on every path ([`MatterJsPeer`]'s `Drop` kills it if a step panics).
//!
//! Which actions apply is decided at plan time (the YAML layer rejects the others with their
//! file position); one that slips through here fails with "not supported".

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use paseo_core::codec::InteractionModelOpcode;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::im::commissioning::on_off_attribute;
use paseo_core::im::{ReportData, encode_read_request};
use paseo_core::node::{NodeConfig, NodeStats};
use paseo_core::pase::Passcode;
use paseo_core::session::{Session, SessionKind};
use paseo_core::time::Instant;

use super::commission::CommissionerConfig;
use super::driver::{InteropError, LoopbackNode, LoopbackOptions};
use super::peer::{MatterJsPeer, PeerConfig, free_loopback_port};
use super::relay::{Relay, RelayConfig, RelayStats};
use crate::command::{ActionId, Outcome};
use crate::io::Clock;
use crate::io::real::RealClock;
use crate::local::LocalLog;
use crate::network::Impairments;
use crate::oracle::Violation;
use crate::sim::{Action, ActionRecord, DatagramCounter, Expectation, NodeCounter, judge};
use crate::trace::{RecordKind, Trace, TraceRecord};

/// How long the device may take to start (Node.js loads ~140 MB of modules).
const READY_TIMEOUT: Duration = Duration::from_secs(40);
/// How long a clean stop may take before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(8);
/// How often a waiting expectation is checked again.
const POLL: Duration = Duration::from_millis(20);
/// How long we watch the device's log after our CloseSession (the watch ends as soon as
/// the line shows; ~20 ms on a quiet machine).
const CLOSE_WATCH: Duration = Duration::from_secs(2);
/// The device's log line when it processes a CloseSession (Matter 1.3 §4.11).
const CLOSED_BY_PEER: &str = "Closed by peer";

/// Everything a real-peer run needs besides its actions.
#[derive(Clone, Debug)]
pub struct ScriptConfig {
    /// Our node's name (the scenario's commissioner).
    pub ours: String,
    /// The device's name.
    pub device: String,
    /// Our node's configuration.
    pub node_config: NodeConfig,
    /// Our operational node id.
    pub controller_node_id: u64,
    /// The node id the device's NOC gives it.
    pub device_node_id: u64,
    /// The device's passcode (matter.js: 20202021).
    pub device_passcode: u32,
    /// Fabrics: (index, with ICAC).
    pub fabrics: Vec<(u8, bool)>,
    /// Impairments of our datagrams toward the device, at the start.
    pub to_device: Impairments,
    /// Impairments of the device's datagrams toward us, at the start.
    pub to_us: Impairments,
    /// Seed of our node, the fabric and the relay's links.
    pub seed: u64,
    /// Wall-clock limit of all the steps.
    pub time_limit: Duration,
    /// matter.js log level.
    pub log_level: String,
}

/// What a real-peer run produced.
#[derive(Debug)]
pub struct ScriptReport {
    /// Every record, node names as in the scenario.
    pub trace: Trace,
    /// Every labelled action and its outcome.
    pub actions: BTreeMap<ActionId, ActionRecord>,
    /// Oracle violations.
    pub violations: Vec<Violation>,
    /// Wall time at the end (since our node started).
    pub ended_at: Instant,
    /// Our node's statistics.
    pub stats: BTreeMap<String, NodeStats>,
    /// The relay's counters.
    pub relay: RelayStats,
    /// Everything the device printed.
    pub peer_log: String,
    /// The run could not be set up (device or sockets), or the device did not stop cleanly.
    pub error: Option<String>,
    /// Our node's session keys (`--keylog`).
    pub keylog: Vec<paseo_core::session::keys::KeyLogEntry>,
}

/// Runs `actions` one after the other against a fresh matter.js device (blocking; builds its
/// own single-threaded runtime).
pub fn run_script(config: &ScriptConfig, actions: &[Action]) -> ScriptReport {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return failed_setup(format!("tokio runtime: {e}"), String::new()),
    };
    tokio::task::LocalSet::new().block_on(&runtime, run_async(config, actions))
}

fn failed_setup(why: String, peer_log: String) -> ScriptReport {
    ScriptReport {
        trace: Trace::default(),
        actions: BTreeMap::new(),
        violations: Vec::new(),
        ended_at: Instant::ZERO,
        stats: BTreeMap::new(),
        relay: RelayStats::default(),
        peer_log,
        error: Some(why),
        keylog: Vec::new(),
    }
}

async fn run_async(config: &ScriptConfig, actions: &[Action]) -> ScriptReport {
    let port = match free_loopback_port() {
        Ok(p) => p,
        Err(e) => return failed_setup(format!("no free loopback port: {e}"), String::new()),
    };
    let mut peer = match MatterJsPeer::launch(PeerConfig {
        port,
        log_level: config.log_level.clone(),
    }) {
        Ok(p) => p,
        Err(e) => return failed_setup(e.to_string(), String::new()),
    };
    if let Err(e) = peer.wait_ready(READY_TIMEOUT).await {
        return failed_setup(format!("matter.js did not come up: {e}"), peer.log());
    }
    let clock = RealClock::new();
    let log = Rc::new(RefCell::new(LocalLog::default()));
    let options = LoopbackOptions {
        config: config.node_config.clone(),
        name: config.ours.clone(),
        peer_name: config.device.clone(),
        direct_path: false,
        ..LoopbackOptions::new(
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            config.seed,
        )
    };
    let node = match LoopbackNode::start(options, clock, log.clone()).await {
        Ok(n) => n,
        Err(e) => return failed_setup(format!("our node: {e}"), peer.log()),
    };
    let relay_config = RelayConfig {
        to_peer: config.to_device,
        to_us: config.to_us,
        seed: config.seed,
    };
    let oracle = node.peer_oracle(&config.device);
    let relay = match Relay::start(
        peer.address_v4(),
        relay_config,
        clock,
        log.clone(),
        Some(oracle),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return failed_setup(format!("relay: {e}"), peer.log()),
    };
    let deadline = clock.now() + config.time_limit;
    let mut runner = Runner {
        config,
        peer,
        node,
        relay,
        log,
        deadline,
        records: BTreeMap::new(),
        next_id: 0,
        fabric: None,
        opened: Vec::new(),
    };
    // Top-level steps all run, as in the simulator: a step may be expected to fail.
    for action in actions {
        runner.run(action).await;
    }
    runner.finish().await
}

struct Runner<'c> {
    config: &'c ScriptConfig,
    peer: MatterJsPeer,
    node: LoopbackNode,
    relay: Relay,
    log: Rc<RefCell<LocalLog>>,
    deadline: Instant,
    records: BTreeMap<ActionId, ActionRecord>,
    next_id: ActionId,
    /// The fabric the device was commissioned onto.
    fabric: Option<u8>,
    /// Sessions we opened, in order.
    opened: Vec<(SessionKind, u16)>,
}

type Boxed<'a> = Pin<Box<dyn Future<Output = Outcome> + 'a>>;

impl Runner<'_> {
    fn now(&self) -> Instant {
        self.node.now()
    }

    fn remaining(&self) -> Option<Duration> {
        let now = self.now();
        (now < self.deadline).then(|| self.deadline - now)
    }

    /// A `##` line in the trace.
    fn note(&self, node: &str, what: String) {
        let at = self.now();
        self.log.borrow_mut().trace.records.push(TraceRecord {
            at,
            node: node.to_owned(),
            kind: RecordKind::Action,
            peer: "-".to_owned(),
            header: None,
            subject: String::new(),
            decision: what,
            wire: None,
        });
    }

    fn timing(&self, what: &str, micros: u64) {
        self.note(
            &self.config.ours,
            format!("timing {what} {}.{:03} ms", micros / 1000, micros % 1000),
        );
    }

    fn run<'a>(&'a mut self, action: &'a Action) -> Boxed<'a> {
        Box::pin(async move {
            match action {
                Action::Labelled { label, action } => {
                    let id = self.next_id;
                    self.next_id += 1;
                    self.records.insert(
                        id,
                        ActionRecord {
                            action: action.describe(),
                            label: Some(label.clone()),
                            started: self.now(),
                            finished: None,
                            outcome: None,
                        },
                    );
                    let outcome = self.run(action).await;
                    let now = self.now();
                    if let Some(r) = self.records.get_mut(&id) {
                        r.finished = Some(now);
                        r.outcome = Some(outcome.clone());
                    }
                    outcome
                }
                Action::Sequence(steps) => {
                    for step in steps {
                        let outcome = self.run(step).await;
                        if !outcome.is_ok() {
                            return outcome;
                        }
                    }
                    Outcome::Done
                }
                _ => self.leaf(action).await,
            }
        })
    }

    async fn leaf(&mut self, action: &Action) -> Outcome {
        let Some(timeout) = self.remaining() else {
            return Outcome::Failed("the time limit was reached".into());
        };
        match action {
            Action::JoinFabric { node, .. } if *node == self.config.ours => Outcome::Done,
            Action::Pair { passcode, .. } => {
                self.pair(passcode.unwrap_or(self.config.device_passcode), timeout)
                    .await
            }
            Action::Commission {
                passcode, fabric, ..
            } => {
                self.commission(
                    passcode.unwrap_or(self.config.device_passcode),
                    *fabric,
                    timeout,
                )
                .await
            }
            Action::Case { fabric, .. } => self.case(*fabric, timeout).await,
            Action::CloseSession {
                send_close,
                after_exchange,
                kind,
                ..
            } => self.close(*send_close, *after_exchange, *kind).await,
            Action::Exchange { messages, kind, .. } => {
                self.exchange(*messages, *kind, timeout).await
            }
            Action::SetNetwork { link, impairments } => {
                let (to_device, to_us) = match link {
                    None => (Some(*impairments), Some(*impairments)),
                    Some((from, _)) if *from == self.config.ours => (Some(*impairments), None),
                    Some(_) => (None, Some(*impairments)),
                };
                match self.relay.set_impairments(to_device, to_us) {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Failed(e.to_string()),
                }
            }
            Action::Wait(d) => {
                self.node.settle(*d, |_| {}).await;
                Outcome::Done
            }
            Action::Expect {
                expectation,
                within,
            } => self.expect(expectation, *within).await,
            Action::Restart { node } if *node == self.config.device => self.restart().await,
            other => Outcome::Failed(format!(
                "`{}` is not supported against a real peer",
                other.describe()
            )),
        }
    }

    fn established(&mut self, kind: SessionKind, session_id: u16, resumed: bool) -> Outcome {
        self.opened.push((kind, session_id));
        let peer_session_id = self
            .node
            .node()
            .sessions()
            .get_session(session_id)
            .map_or(0, |s| s.peer_session_id());
        Outcome::Established {
            session_id,
            peer_session_id,
            is_pase: kind == SessionKind::Pase,
            is_resumption: resumed,
        }
    }

    async fn pair(&mut self, passcode: u32, timeout: Duration) -> Outcome {
        let passcode = match Passcode::new(passcode) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(format!("passcode {passcode}: {e}")),
        };
        match self
            .node
            .pase(self.relay.address(), passcode, timeout)
            .await
        {
            Ok(e) => {
                self.timing("PASE", e.micros);
                self.established(SessionKind::Pase, e.session_id, false)
            }
            Err(e) => Outcome::Failed(failure(&e)),
        }
    }

    async fn commission(&mut self, passcode: u32, fabric: u8, timeout: Duration) -> Outcome {
        let mut cc = CommissionerConfig::new(self.relay.address(), self.config.seed);
        cc.passcode = match Passcode::new(passcode) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(format!("passcode {passcode}: {e}")),
        };
        cc.fabric_index = FabricIndex(fabric);
        cc.controller_node_id = NodeId(self.config.controller_node_id);
        cc.device_node_id = NodeId(self.config.device_node_id);
        cc.use_icac = self
            .config
            .fabrics
            .iter()
            .any(|(index, icac)| *index == fabric && *icac);
        match self.node.commission(cc, timeout).await {
            Ok((_, done)) => {
                for t in &done.timings {
                    self.timing(t.name, t.micros());
                }
                let total: u64 = done.timings.iter().map(|t| t.micros()).sum();
                self.timing("commissioning", total);
                self.note(
                    &self.config.device,
                    format!("commissioned; OnOff read over CASE: {}", done.on_off),
                );
                self.fabric = Some(fabric);
                self.opened.push((SessionKind::Pase, done.pase_session));
                self.established(SessionKind::Case, done.case_session, false)
            }
            Err(e) => Outcome::Failed(failure(&e)),
        }
    }

    async fn case(&mut self, fabric: u8, timeout: Duration) -> Outcome {
        if self.fabric != Some(fabric) {
            return Outcome::Failed(format!(
                "{} is not on fabric {fabric}: commission it first",
                self.config.device
            ));
        }
        let result = self
            .node
            .case(
                self.relay.address(),
                FabricIndex(fabric),
                NodeId(self.config.device_node_id),
                timeout,
            )
            .await;
        match result {
            Ok(e) => {
                let what = if e.is_resumption {
                    "CASE resumption"
                } else {
                    "CASE"
                };
                self.timing(what, e.micros);
                self.established(SessionKind::Case, e.session_id, e.is_resumption)
            }
            Err(e) => Outcome::Failed(failure(&e)),
        }
    }

    /// Our latest session with the device still in our table, of `kind` if given.
    fn latest(&self, kind: Option<SessionKind>) -> Option<u16> {
        let node = self.node.node();
        self.opened
            .iter()
            .rev()
            .filter(|(k, _)| kind.is_none_or(|want| *k == want))
            .map(|(_, id)| *id)
            .find(|id| node.sessions().get_session(*id).is_some())
    }

    async fn close(
        &mut self,
        send_close: bool,
        after_exchange: bool,
        kind: Option<SessionKind>,
    ) -> Outcome {
        let Some(id) = self.latest(kind) else {
            return Outcome::Failed(format!(
                "{} holds no session with {}",
                self.config.ours, self.config.device
            ));
        };
        let log_before = self.peer.log().len();
        let closed = self
            .node
            .with_node(|node, now| node.close_session(now, id, send_close, after_exchange));
        if let Err(e) = closed {
            return Outcome::Failed(e.to_string());
        }
        if send_close {
            // What the device does with it shows only in its log (it never answers: Matter 1.3
            // §4.11).
            let mut waited = Duration::ZERO;
            let mut seen = false;
            while waited < CLOSE_WATCH && !seen {
                self.node.settle(POLL, |_| {}).await;
                waited += POLL;
                seen = self
                    .peer
                    .log()
                    .get(log_before..)
                    .is_some_and(|l| l.contains(CLOSED_BY_PEER));
            }
            let what = if seen {
                "log: processed our CloseSession (\"Closed by peer\")"
            } else {
                "log: no sign of our CloseSession"
            };
            self.note(&self.config.device, what.to_owned());
        }
        Outcome::Done
    }

    /// `messages` reads of the light's OnOff attribute on our latest session (the real
    /// device's application protocol is the Interaction Model).
    async fn exchange(
        &mut self,
        messages: u32,
        kind: Option<SessionKind>,
        timeout: Duration,
    ) -> Outcome {
        let Some(session) = self.latest(kind) else {
            return Outcome::Failed(format!(
                "{} holds no session with {}",
                self.config.ours, self.config.device
            ));
        };
        let payload = match encode_read_request(&[on_off_attribute(1)], true) {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        for _ in 0..messages {
            let reply = self
                .node
                .request(
                    session,
                    InteractionModelOpcode::ReadRequest,
                    &payload,
                    timeout,
                )
                .await;
            match reply {
                Ok(r) if r.opcode == InteractionModelOpcode::ReportData.as_u8() => {
                    if let Err(e) = ReportData::decode(&r.payload) {
                        return Outcome::Failed(format!("unreadable ReportData: {e}"));
                    }
                }
                Ok(r) => return Outcome::Failed(format!("answered with opcode {:#04x}", r.opcode)),
                Err(e) => return Outcome::Failed(failure(&e)),
            }
        }
        Outcome::Exchanged { sent: messages }
    }

    async fn restart(&mut self) -> Outcome {
        let clean = match self.peer.stop(STOP_GRACE).await {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(format!("stopping the device: {e}")),
        };
        self.note(
            &self.config.device,
            format!("stopped ({})", if clean { "clean exit" } else { "killed" }),
        );
        if let Err(e) = self.peer.restart() {
            return Outcome::Failed(format!("restarting the device: {e}"));
        }
        match self.peer.wait_ready(READY_TIMEOUT).await {
            Ok(line) => {
                let commissioned = line.contains("commissioned=true");
                self.note(
                    &self.config.device,
                    format!("started again on its storage (commissioned: {commissioned})"),
                );
                Outcome::Done
            }
            Err(e) => Outcome::Failed(format!("the device did not come back: {e}")),
        }
    }

    async fn expect(&mut self, expectation: &Expectation, within: Duration) -> Outcome {
        let until = self.now() + within;
        loop {
            match self.check(expectation) {
                Ok(()) => return Outcome::Done,
                Err(why) if self.now() >= until || self.remaining().is_none() => {
                    return Outcome::Failed(why);
                }
                Err(_) => self.node.settle(POLL, |_| {}).await,
            }
        }
    }

    /// The trace with the relay's end names and the peer's addresses replaced by the
    /// scenario's node names.
    fn named_trace(&self) -> Vec<TraceRecord> {
        let rename = |name: &str| match name {
            "paseo" => self.config.ours.clone(),
            "matterjs" => self.config.device.clone(),
            other if other.parse::<SocketAddr>().is_ok() => self.config.device.clone(),
            other => other.to_owned(),
        };
        self.log
            .borrow()
            .trace
            .records
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if r.kind == RecordKind::Net {
                    r.node = rename(&r.node);
                }
                r.peer = rename(&r.peer);
                r
            })
            .collect()
    }

    fn check(&self, expectation: &Expectation) -> Result<(), String> {
        judge::check(self, expectation)
    }

    fn count(&self, counter: DatagramCounter, node: Option<&str>) -> u64 {
        let stats = self.relay.stats();
        let device = node == Some(self.config.device.as_str());
        match counter {
            // The device's own sends are seen where they enter the relay.
            DatagramCounter::Sent if device => return stats.to_us.received,
            DatagramCounter::Retransmitted if device => return stats.to_us.repeats,
            _ => {}
        }
        judge::datagrams(&self.named_trace(), counter, node)
    }

    fn check_session(
        &self,
        node: &str,
        peer: &str,
        kind: Option<SessionKind>,
        present: bool,
    ) -> Result<(), String> {
        if node != self.config.ours || peer != self.config.device {
            return Err(format!(
                "only {}'s sessions with {} can be seen",
                self.config.ours, self.config.device
            ));
        }
        let held: Vec<(u16, SessionKind)> = self
            .node
            .node()
            .sessions()
            .sessions()
            .map(|s| {
                let k = if s.is_pase() {
                    SessionKind::Pase
                } else {
                    SessionKind::Case
                };
                (s.id(), k)
            })
            .collect();
        let matching = held
            .iter()
            .filter(|(_, k)| kind.is_none_or(|want| *k == want))
            .count();
        let what = match kind {
            Some(SessionKind::Pase) => "pase ",
            Some(SessionKind::Case) => "case ",
            None => "",
        };
        match (present, matching) {
            (true, 0) => Err(format!(
                "{node} holds no {what}session with {peer} ({} held)",
                held.len()
            )),
            (false, n) if n > 0 => Err(format!(
                "{node} still holds {n} {what}session(s) with {peer}"
            )),
            _ => Ok(()),
        }
    }

    async fn finish(mut self) -> ScriptReport {
        // Let late acknowledgements land before the device goes.
        self.node.settle(Duration::from_millis(50), |_| {}).await;
        let error = match self.peer.stop(STOP_GRACE).await {
            Ok(true) => {
                self.note(&self.config.device, "stopped (clean exit)".into());
                None
            }
            Ok(false) => {
                self.note(&self.config.device, "stopped (killed)".into());
                None
            }
            Err(e) => Some(format!("stopping the device: {e}")),
        };
        let trace = Trace {
            records: self.named_trace(),
        };
        let mut stats = BTreeMap::new();
        stats.insert(self.config.ours.clone(), *self.node.node().stats());
        ScriptReport {
            trace,
            actions: std::mem::take(&mut self.records),
            violations: self.node.violations(),
            ended_at: self.now(),
            stats,
            relay: self.relay.stats(),
            peer_log: self.peer.log(),
            error,
            keylog: self.log.borrow().keylog.clone(),
        }
    }
}

/// A flow's error in the words the simulator uses for the same failure.
fn failure(error: &InteropError) -> String {
    error.to_string()
}

impl judge::Observed for Runner<'_> {
    fn with_trace<R>(&self, f: impl FnOnce(&[TraceRecord]) -> R) -> R {
        f(&self.named_trace())
    }

    fn action_records(&self) -> impl Iterator<Item = &ActionRecord> {
        self.records.values()
    }

    fn session(
        &self,
        node: &str,
        peer: &str,
        kind: Option<SessionKind>,
        present: bool,
    ) -> Result<(), String> {
        self.check_session(node, peer, kind, present)
    }

    // Only our node's counters can be read; the planner refuses the device's.
    fn node_counter(&self, node: &str, counter: NodeCounter) -> Result<u64, String> {
        if node != self.config.ours {
            return Err(format!("{node}'s counters cannot be read (a real peer)"));
        }
        Ok(self.node.with_node(|n, _| counter.read(n)))
    }

    // The device's own sends are counted where they enter the relay.
    fn datagram_count(&self, counter: DatagramCounter, node: Option<&str>) -> u64 {
        self.count(counter, node)
    }
}
