//! The scenario driver: builds the simulated network, schedules actions, steps turmoil, checks
//! the session-table oracle between steps and runs the liveness phase.
//!
//! ```no_run
//! use std::time::Duration;
//! use paseo_sim::{Action, NodeSpec, RunOptions, SimConfig, Simulation};
//!
//! let mut sim = Simulation::new(7, SimConfig::named("example"));
//! sim.add_node("ctrl", NodeSpec::new(1)).unwrap();
//! sim.add_node("dev", NodeSpec::new(2)).unwrap();
//! sim.then(Action::install("ctrl", "dev"));
//! sim.then(Action::exchange("ctrl", "dev", 3, true));
//! let report = sim.run(RunOptions::default());
//! report.assert_ok();
//! ```

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use paseo_core::crypto::sha256;
use paseo_core::node::{Node, NodeStats};
use paseo_core::session::{
    ResumptionRecord, Session, SessionKind, SessionParameters, resumption::RESUMPTION_ID_LEN,
};
use paseo_core::time::Instant;
use serde::Serialize;

use crate::command::{ActionId, Command, InstallArgs, Outcome};
use crate::disk::SimDisk;
use crate::network::{Impairments, Network, NetworkError};
use crate::oracle::{OracleKind, Violation};
use crate::seed;
use crate::trace::Trace;
use crate::world::{HostState, NodeSpec, World, run_host};

/// The shared secret of a pairing-free session, as the driver keeps it.
type Secret = [u8; 32];

/// The UDP port every simulated node listens on (Matter's operational port).
pub const MATTER_PORT: u16 = 5540;

/// How the simulation is set up.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Scenario name, printed with the seed on failure.
    pub name: String,
    /// Virtual time per turmoil step (each host runs this long per step).
    pub tick: Duration,
    /// Impairments of every link without its own.
    pub default_impairments: Impairments,
    /// The command that replays a run, with `{seed}` where the seed goes. Default:
    /// `PASEO_SEED={seed} cargo test -p paseo-sim -- <name>`.
    pub replay: Option<String>,
}

impl SimConfig {
    /// Defaults, with a scenario name.
    pub fn named(name: &str) -> Self {
        SimConfig {
            name: name.to_owned(),
            ..SimConfig::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            name: "unnamed".to_owned(),
            tick: Duration::from_millis(1),
            default_impairments: Impairments::default(),
            replay: None,
        }
    }
}

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

/// How long to run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// End of the fault phase (virtual time since the start). The run ends earlier when
    /// everything is done and quiet.
    pub limit: Duration,
    /// Length of the liveness phase after it (network healed); `None`: no liveness phase.
    pub liveness: Option<Duration>,
    /// In the liveness phase, send one reliable probe each way on every live session.
    pub probes: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            limit: Duration::from_secs(60),
            liveness: Some(Duration::from_secs(30)),
            probes: true,
        }
    }
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndReason {
    /// Every action done, no timer pending, nothing in flight.
    Quiet,
    /// The time limit was reached (no liveness phase).
    TimeLimit,
    /// An oracle fired.
    Violation,
    /// A host's software failed (turmoil error).
    HostError(String),
}

/// What became of one action.
#[derive(Clone, Debug, Serialize)]
pub struct ActionRecord {
    /// The action, as written.
    pub action: String,
    /// When it was started.
    #[serde(rename = "started_us", serialize_with = "micros")]
    pub started: Instant,
    /// When it finished, if it did.
    #[serde(rename = "finished_us", serialize_with = "opt_micros")]
    pub finished: Option<Instant>,
    /// How.
    pub outcome: Option<Outcome>,
}

fn micros<S: serde::Serializer>(at: &Instant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(at.as_micros())
}

fn opt_micros<S: serde::Serializer>(at: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_some(&at.as_micros()),
        None => s.serialize_none(),
    }
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// The scenario name.
    pub scenario: String,
    /// The command that replays this run.
    pub replay: String,
    /// Every record, in order.
    pub trace: Trace,
    /// Oracle violations (the run stopped at the first step that had one).
    pub violations: Vec<Violation>,
    /// Why it ended.
    pub end: EndReason,
    /// Virtual time at the end.
    pub ended_at: Instant,
    /// Statistics of each node's current incarnation, by name.
    pub stats: BTreeMap<String, NodeStats>,
    /// Every action and its outcome, by id.
    pub actions: BTreeMap<ActionId, ActionRecord>,
    /// turmoil steps taken.
    pub steps: u64,
    /// Application messages sent, and how many were delivered at least once.
    pub messages: (usize, usize),
}

impl RunReport {
    /// SHA-256 of the text trace.
    pub fn trace_hash(&self) -> String {
        self.trace.hash()
    }

    /// No violation and no host error.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty() && !matches!(self.end, EndReason::HostError(_))
    }

    /// `seed=… scenario=…` and the replay command.
    pub fn replay_hint(&self) -> String {
        format!(
            "seed={} scenario={}\nreplay: {}",
            self.seed, self.scenario, self.replay
        )
    }

    /// Panics with the violations, the seed and the replay command unless the run is ok.
    #[track_caller]
    pub fn assert_ok(&self) {
        if !self.is_ok() {
            let mut text = String::new();
            for v in &self.violations {
                text.push_str(&format!("  {v}\n"));
            }
            panic!(
                "simulation failed ({:?}):\n{text}{}",
                self.end,
                self.replay_hint()
            );
        }
    }

    /// The violations of one oracle.
    pub fn violations_of(&self, oracle: OracleKind) -> Vec<&Violation> {
        self.violations
            .iter()
            .filter(|v| v.oracle == oracle)
            .collect()
    }

    /// The application-level events of every node (trace records of kind `event`), in order.
    pub fn events(&self) -> Vec<&crate::trace::TraceRecord> {
        self.trace
            .records
            .iter()
            .filter(|r| r.kind == crate::trace::RecordKind::Event)
            .collect()
    }

    /// Outcomes of finished actions, in id order.
    pub fn outcomes(&self) -> Vec<(ActionId, Outcome)> {
        self.actions
            .iter()
            .filter_map(|(id, r)| r.outcome.clone().map(|o| (*id, o)))
            .collect()
    }
}

/// Errors of the scenario API.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Two nodes with one name.
    #[error("node {0:?} already exists")]
    DuplicateNode(String),
    /// A name that is no node.
    #[error("no node named {0:?}")]
    UnknownNode(String),
    /// Bad impairments.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// Nodes can only be added before the run.
    #[error("nodes must be added before the simulation runs")]
    AlreadyRunning,
}

/// A pairing-free session installed by the driver.
#[derive(Clone, Debug)]
struct Pair {
    a: usize,
    a_id: u16,
    b: usize,
    b_id: u16,
    secret: Secret,
    /// Both installs succeeded.
    established: bool,
    /// A scenario closed it (no longer expected to exist).
    closed: bool,
    /// One end crashed (its session died with it).
    broken: bool,
    mismatch_reported: bool,
}

impl Pair {
    fn live(&self) -> bool {
        self.established && !self.closed && !self.broken
    }
}

/// An action dispatched and not finished yet.
#[derive(Clone, Debug, Default)]
struct Pending {
    /// The node executing it (it fails if that node crashes).
    node: Option<usize>,
    /// For one half of an install: the install action.
    parent: Option<ActionId>,
    /// For an install: halves still running.
    children: usize,
    /// For an install: the first failure of a half.
    failure: Option<String>,
    /// For an install: the pair it creates.
    pair: Option<usize>,
    /// For a wait: when it ends.
    until: Option<Instant>,
}

/// A simulation of paseo-core nodes on turmoil.
pub struct Simulation {
    seed: u64,
    config: SimConfig,
    sim: turmoil::Sim<'static>,
    world: Rc<World>,
    timed: BTreeMap<(Instant, ActionId), Action>,
    sequence: VecDeque<(ActionId, Action)>,
    seq_running: Option<ActionId>,
    /// Actions waiting for their nodes to finish starting.
    deferred: Vec<(ActionId, Action)>,
    pending: BTreeMap<ActionId, Pending>,
    records: BTreeMap<ActionId, ActionRecord>,
    probes: BTreeSet<ActionId>,
    next_action: ActionId,
    next_tag: u64,
    pairs: Vec<Pair>,
    installs: u64,
    steps: u64,
    started: bool,
}

impl Simulation {
    /// A simulation driven entirely by `seed`.
    pub fn new(seed: u64, config: SimConfig) -> Self {
        let sim = turmoil::Builder::new()
            .rng_seed(seed::turmoil_seed(seed))
            .tick_duration(config.tick)
            .simulation_duration(Duration::from_secs(365 * 24 * 3600))
            // A fixed epoch: nothing may depend on the wall clock.
            .epoch(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .ip_version(turmoil::IpVersion::V6)
            // Our impairments replace turmoil's: no latency, no random link failures.
            .min_message_latency(Duration::ZERO)
            .max_message_latency(Duration::ZERO)
            .fail_rate(0.0)
            .udp_capacity(1 << 16)
            .build();
        let network = Network::new(seed, config.default_impairments);
        Simulation {
            seed,
            config,
            sim,
            world: Rc::new(World::new(seed, network)),
            timed: BTreeMap::new(),
            sequence: VecDeque::new(),
            seq_running: None,
            deferred: Vec::new(),
            pending: BTreeMap::new(),
            records: BTreeMap::new(),
            probes: BTreeSet::new(),
            next_action: 1,
            next_tag: 1,
            pairs: Vec::new(),
            installs: 0,
            steps: 0,
            started: false,
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Current virtual time.
    pub fn now(&self) -> Instant {
        Instant::from_micros(u64::try_from(self.sim.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    /// Adds a node (a turmoil host named `name`, listening on [`MATTER_PORT`]).
    pub fn add_node(&mut self, name: &str, spec: NodeSpec) -> Result<(), SimError> {
        if self.started {
            return Err(SimError::AlreadyRunning);
        }
        if self.index(name).is_ok() {
            return Err(SimError::DuplicateNode(name.to_owned()));
        }
        let world = self.world.clone();
        let index = world.network.borrow_mut().add_node(name);
        let host_name = name.to_owned();
        let disk = SimDisk::new(spec.sync_delay);
        // The host's state needs its address before turmoil registers the host: turmoil's DNS
        // assigns the next address (fe80::1, ::2, …) on first lookup of a name.
        let ip: IpAddr = self.sim.lookup(host_name.as_str());
        let addr = SocketAddr::new(ip, MATTER_PORT);
        let host = Rc::new(HostState {
            index,
            name: host_name.clone(),
            addr,
            spec,
            disk,
            node: Default::default(),
            mailbox: Default::default(),
            notify: Default::default(),
            ingress: Default::default(),
            up: std::cell::Cell::new(true),
            up_since: std::cell::Cell::new(Instant::ZERO),
            restarts: std::cell::Cell::new(0),
            jobs: std::cell::Cell::new(0),
        });
        world.hosts.borrow_mut().push(host.clone());
        world.by_addr.borrow_mut().insert(addr, index);
        let w = world.clone();
        self.sim.host(host_name.as_str(), move || {
            run_host(w.clone(), host.clone())
        });
        Ok(())
    }

    fn index(&self, name: &str) -> Result<usize, SimError> {
        self.world
            .hosts
            .borrow()
            .iter()
            .position(|h| h.name == name)
            .ok_or_else(|| SimError::UnknownNode(name.to_owned()))
    }

    fn host(&self, index: usize) -> Option<Rc<HostState>> {
        self.world.host(index)
    }

    /// Sets the default impairments of all links.
    pub fn set_default_impairments(&mut self, impairments: Impairments) -> Result<(), SimError> {
        impairments.validate()?;
        self.world.network.borrow_mut().set_default(impairments);
        Ok(())
    }

    /// Gives the directed link `from → to` its own impairments.
    pub fn set_link(
        &mut self,
        from: &str,
        to: &str,
        impairments: Impairments,
    ) -> Result<(), SimError> {
        impairments.validate()?;
        let (f, t) = (self.index(from)?, self.index(to)?);
        self.world
            .network
            .borrow_mut()
            .set_link(f, t, Some(impairments));
        Ok(())
    }

    /// Schedules `action` at virtual time `at` (since the start).
    pub fn at(&mut self, at: Duration, action: Action) -> ActionId {
        let id = self.allocate_action();
        let at = Instant::ZERO + at;
        self.timed.insert((at, id), action);
        id
    }

    /// Appends `action` to the sequence: it starts when the previous sequenced action has
    /// finished (a `Wait` finishes after its duration).
    pub fn then(&mut self, action: Action) -> ActionId {
        let id = self.allocate_action();
        self.sequence.push_back((id, action));
        id
    }

    fn allocate_action(&mut self) -> ActionId {
        let id = self.next_action;
        self.next_action += 1;
        id
    }

    /// Looks at a node (if it is running).
    pub fn node_view<R>(&self, name: &str, f: impl FnOnce(&Node) -> R) -> Option<R> {
        let index = self.index(name).ok()?;
        self.host(index)?.with_node(f)
    }

    /// A node's disk.
    pub fn disk(&self, name: &str) -> Option<SimDisk> {
        let index = self.index(name).ok()?;
        Some(self.host(index)?.disk.clone())
    }

    /// Node names, in the order they were added.
    pub fn node_names(&self) -> Vec<String> {
        self.world.names()
    }

    // ----- running -------------------------------------------------------------------------

    /// Runs the fault phase until `limit` (or until quiet), then the liveness phase.
    pub fn run(&mut self, options: RunOptions) -> RunReport {
        self.started = true;
        let limit = Instant::ZERO + options.limit;
        let mut liveness_deadline: Option<Instant> = None;
        let mut quiet_steps = 0u32;
        let end = loop {
            let now = self.now();
            self.collect_outcomes();
            self.dispatch_due(now);
            self.collect_outcomes();
            self.check_pairs(now);
            if !self.violations().is_empty() {
                break EndReason::Violation;
            }
            quiet_steps = if self.is_quiet() { quiet_steps + 1 } else { 0 };
            let nothing_scheduled = self.timed.is_empty() && self.sequence.is_empty();
            match liveness_deadline {
                None => {
                    let phase_over = now >= limit || (quiet_steps >= 2 && nothing_scheduled);
                    if phase_over {
                        match options.liveness {
                            Some(bound) => {
                                liveness_deadline = Some(now + bound);
                                self.start_liveness(now, options.probes);
                                quiet_steps = 0;
                            }
                            None if now >= limit => break EndReason::TimeLimit,
                            None => break EndReason::Quiet,
                        }
                    }
                }
                Some(deadline) => {
                    if quiet_steps >= 2 && nothing_scheduled {
                        self.check_liveness_end(now);
                        break if self.violations().is_empty() {
                            EndReason::Quiet
                        } else {
                            EndReason::Violation
                        };
                    }
                    if now >= deadline {
                        self.liveness_timeout(now);
                        break EndReason::Violation;
                    }
                }
            }
            if let Err(e) = self.sim.step() {
                break EndReason::HostError(e.to_string());
            }
            self.steps += 1;
            let now = self.now();
            for host in self.world.hosts.borrow().iter() {
                host.disk.advance(now);
            }
        };
        let now = self.now();
        if end == EndReason::Quiet {
            self.check_all_sessions(now);
            let names = self.world.names();
            self.world.recorder.borrow_mut().oracles.finish(now, &names);
        }
        let end = if end == EndReason::Quiet && !self.violations().is_empty() {
            EndReason::Violation
        } else {
            end
        };
        self.report(end, now)
    }

    fn violations(&self) -> Vec<Violation> {
        self.world.recorder.borrow().oracles.violations().to_vec()
    }

    fn report(&self, end: EndReason, now: Instant) -> RunReport {
        let recorder = self.world.recorder.borrow();
        let mut stats = BTreeMap::new();
        for host in self.world.hosts.borrow().iter() {
            let s = host.with_node(|n| *n.stats()).unwrap_or_default();
            stats.insert(host.name.clone(), s);
        }
        let replay = self
            .config
            .replay
            .clone()
            .unwrap_or_else(|| {
                format!(
                    "PASEO_SEED={{seed}} cargo test -p paseo-sim -- {}",
                    self.config.name
                )
            })
            .replace("{seed}", &self.seed.to_string());
        RunReport {
            seed: self.seed,
            scenario: self.config.name.clone(),
            replay,
            trace: recorder.trace.clone(),
            violations: recorder.oracles.violations().to_vec(),
            end,
            ended_at: now,
            stats,
            actions: self.records.clone(),
            steps: self.steps,
            messages: recorder.oracles.message_counts(),
        }
    }

    /// Nothing pending anywhere: no action running, every running node without timers,
    /// commands or arrivals.
    fn is_quiet(&self) -> bool {
        if !self.pending.is_empty() || self.seq_running.is_some() || !self.deferred.is_empty() {
            return false;
        }
        self.world.hosts.borrow().iter().all(|h| {
            !h.up.get()
                || (h.mailbox.borrow().is_empty()
                    && h.ingress.borrow().is_empty()
                    && h.jobs.get() == 0
                    && h.with_node(|n| n.poll_timeout().is_none()).unwrap_or(false))
        })
    }

    fn start_liveness(&mut self, now: Instant, probes: bool) {
        self.world.network.borrow_mut().heal_all();
        self.world.action_line(
            now,
            "sim",
            "-",
            String::new(),
            "liveness phase: partitions repaired, loss/duplication/reordering removed",
        );
        if !probes {
            return;
        }
        let live: Vec<(usize, usize)> = self
            .pairs
            .iter()
            .filter(|p| p.live())
            .map(|p| (p.a, p.b))
            .collect();
        let names = self.world.names();
        for (a, b) in live {
            for (from, to) in [(a, b), (b, a)] {
                let (Some(from), Some(to)) = (names.get(from), names.get(to)) else {
                    continue;
                };
                let id = self.allocate_action();
                self.probes.insert(id);
                self.start(id, Action::exchange(from, to, 1, true), now);
            }
        }
    }

    fn check_liveness_end(&mut self, now: Instant) {
        let mut missing = Vec::new();
        for p in self.pairs.iter().filter(|p| p.live()) {
            let has = |index: usize, id: u16| {
                self.host(index)
                    .and_then(|h| h.with_node(|n| n.sessions().get_session(id).is_some()))
                    .unwrap_or(false)
            };
            if !has(p.a, p.a_id) || !has(p.b, p.b_id) {
                missing.push(format!(
                    "session {}:{} <-> {}:{} not established",
                    self.name(p.a),
                    p.a_id,
                    self.name(p.b),
                    p.b_id
                ));
            }
        }
        for m in missing {
            self.violate(OracleKind::Liveness, now, "sim", m, None);
        }
    }

    fn liveness_timeout(&mut self, now: Instant) {
        let mut stuck: Vec<String> = self
            .pending
            .keys()
            .filter_map(|id| {
                self.records
                    .get(id)
                    .map(|r| format!("action {id} {}", r.action))
            })
            .collect();
        for h in self.world.hosts.borrow().iter().filter(|h| h.up.get()) {
            if let Some(Some(t)) = h.with_node(|n| n.poll_timeout()) {
                stuck.push(format!("{} has a timer at {t}", h.name));
            }
        }
        self.violate(
            OracleKind::Liveness,
            now,
            "sim",
            format!(
                "not quiet by the end of the liveness phase: {}",
                stuck.join("; ")
            ),
            None,
        );
    }

    fn violate(
        &self,
        oracle: OracleKind,
        at: Instant,
        node: &str,
        detail: String,
        datagram: Option<&[u8]>,
    ) {
        self.world
            .recorder
            .borrow_mut()
            .oracles
            .violate(oracle, at, node, detail, datagram);
    }

    fn name(&self, index: usize) -> String {
        self.world.names().get(index).cloned().unwrap_or_default()
    }

    // ----- actions -------------------------------------------------------------------------

    fn dispatch_due(&mut self, now: Instant) {
        for (id, action) in std::mem::take(&mut self.deferred) {
            self.start(id, action, now);
        }
        while let Some(entry) = self.timed.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, id), action) = entry.remove_entry();
            self.start(id, action, now);
        }
        let waits: Vec<ActionId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.until.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in waits {
            self.finish(id, now, Outcome::Done);
        }
        while self.seq_running.is_none() {
            let Some((id, action)) = self.sequence.pop_front() else {
                break;
            };
            self.seq_running = Some(id);
            self.start(id, action, now);
        }
    }

    /// Moves outcomes reported by hosts into the action records.
    fn collect_outcomes(&mut self) {
        let outcomes: Vec<_> = self
            .world
            .recorder
            .borrow_mut()
            .outcomes
            .drain(..)
            .collect();
        for (id, at, outcome) in outcomes {
            self.finish(id, at, outcome);
        }
    }

    fn start(&mut self, id: ActionId, action: Action, now: Instant) {
        self.records.entry(id).or_insert_with(|| ActionRecord {
            action: format!("{action:?}"),
            started: now,
            finished: None,
            outcome: None,
        });
        if self.starting(&action) {
            self.deferred.push((id, action));
            return;
        }
        match self.execute(id, action, now) {
            Ok(Some(outcome)) => self.finish(id, now, outcome),
            Ok(None) => {}
            Err(e) => self.finish(id, now, Outcome::Failed(e.to_string())),
        }
    }

    /// Whether the action needs a node that is up but whose software has not started yet
    /// (the first step, or the step after a restart): it then waits a step.
    fn starting(&self, action: &Action) -> bool {
        let names: Vec<&String> = match action {
            Action::InstallSession { a, b, .. } => vec![a, b],
            _ => return false,
        };
        names.into_iter().any(|name| {
            self.index(name)
                .ok()
                .and_then(|i| self.host(i))
                .is_some_and(|h| h.up.get() && h.node.borrow().is_none())
        })
    }

    /// Finishes an action (or half of an install).
    fn finish(&mut self, id: ActionId, at: Instant, outcome: Outcome) {
        let Some(pending) = self.pending.remove(&id) else {
            // Immediate outcome, or a report for an action already failed (crash).
            if self.records.get(&id).is_none_or(|r| r.outcome.is_none()) {
                self.close_record(id, at, outcome);
            }
            return;
        };
        if let Some(parent) = pending.parent {
            if let Some(p) = self.pending.get_mut(&parent) {
                p.children = p.children.saturating_sub(1);
                if let Outcome::Failed(why) = &outcome {
                    p.failure.get_or_insert_with(|| why.clone());
                }
                if p.children == 0 {
                    let failure = p.failure.clone();
                    let pair = p.pair;
                    let outcome = match failure {
                        Some(why) => Outcome::Failed(why),
                        None => {
                            if let Some(pair) = pair.and_then(|i| self.pairs.get_mut(i)) {
                                pair.established = true;
                            }
                            Outcome::Done
                        }
                    };
                    self.finish(parent, at, outcome);
                }
            }
            return;
        }
        self.close_record(id, at, outcome);
    }

    fn close_record(&mut self, id: ActionId, at: Instant, outcome: Outcome) {
        if self.probes.contains(&id) {
            if let Outcome::Failed(why) = &outcome {
                let action = self
                    .records
                    .get(&id)
                    .map(|r| r.action.clone())
                    .unwrap_or_default();
                self.violate(
                    OracleKind::Liveness,
                    at,
                    "sim",
                    format!("liveness probe failed: {action}: {why}"),
                    None,
                );
            }
        }
        if let Some(r) = self.records.get_mut(&id) {
            r.finished = Some(at);
            r.outcome = Some(outcome);
        }
        if self.seq_running == Some(id) {
            self.seq_running = None;
        }
    }

    fn send(&mut self, index: usize, cmd: Command) -> Result<(), String> {
        let host = self.host(index).ok_or("no such node")?;
        if !host.up.get() {
            return Err(format!("{} is down", host.name));
        }
        host.mailbox.borrow_mut().push_back(cmd);
        host.notify.notify_one();
        Ok(())
    }

    /// The latest live (or installing) pair between two nodes, in either role.
    fn find_pair(&self, x: usize, y: usize) -> Option<usize> {
        self.pairs
            .iter()
            .enumerate()
            .rev()
            .find(|(_, p)| {
                !p.closed && !p.broken && ((p.a == x && p.b == y) || (p.a == y && p.b == x))
            })
            .map(|(i, _)| i)
    }

    fn local_id(&self, pair: usize, node: usize) -> Option<u16> {
        let p = self.pairs.get(pair)?;
        if p.a == node {
            Some(p.a_id)
        } else if p.b == node {
            Some(p.b_id)
        } else {
            None
        }
    }

    /// Starts an action: `Ok(Some(_))` if it finished at once, `Ok(None)` if it runs on.
    fn execute(
        &mut self,
        id: ActionId,
        action: Action,
        now: Instant,
    ) -> Result<Option<Outcome>, SimError> {
        match action {
            Action::InstallSession { a, b, kind } => {
                let (ai, bi) = (self.index(&a)?, self.index(&b)?);
                Ok(self.install(id, ai, bi, kind, now))
            }
            Action::Exchange {
                from,
                to,
                messages,
                reliable,
            } => {
                let (fi, ti) = (self.index(&from)?, self.index(&to)?);
                let Some(session_id) = self.find_pair(fi, ti).and_then(|p| self.local_id(p, fi))
                else {
                    return Ok(Some(Outcome::Failed(format!("no session {from} <-> {to}"))));
                };
                let first_tag = self.next_tag;
                self.next_tag += u64::from(messages);
                let cmd = Command::Exchange {
                    action: id,
                    session_id,
                    messages,
                    reliable,
                    first_tag,
                };
                Ok(self.send_pending(id, fi, cmd))
            }
            Action::CloseSession {
                node,
                peer,
                send_close,
                after_exchange,
            } => {
                let (ni, pi) = (self.index(&node)?, self.index(&peer)?);
                let Some(pair) = self.find_pair(ni, pi) else {
                    return Ok(Some(Outcome::Failed(format!(
                        "no session {node} <-> {peer}"
                    ))));
                };
                let Some(session_id) = self.local_id(pair, ni) else {
                    return Ok(Some(Outcome::Failed("no session".into())));
                };
                if let Some(p) = self.pairs.get_mut(pair) {
                    p.closed = true;
                }
                let cmd = Command::CloseSession {
                    action: id,
                    session_id,
                    send_close,
                    after_exchange,
                };
                Ok(self.send_pending(id, ni, cmd))
            }
            Action::Partition { from, to, one_way } => {
                self.set_partition(&from, &to, one_way, true, now)?;
                Ok(Some(Outcome::Done))
            }
            Action::Heal { from, to, one_way } => {
                self.set_partition(&from, &to, one_way, false, now)?;
                Ok(Some(Outcome::Done))
            }
            Action::HealAll => {
                let n = self.world.names().len();
                let mut net = self.world.network.borrow_mut();
                for f in 0..n {
                    for t in 0..n {
                        net.set_partitioned(f, t, false);
                    }
                }
                drop(net);
                self.world
                    .action_line(now, "sim", "-", String::new(), "all partitions repaired");
                Ok(Some(Outcome::Done))
            }
            Action::SetNetwork { link, impairments } => {
                impairments.validate()?;
                let subject = format!(
                    "loss={} dup={} latency={:?}..{:?} reorder={:?}",
                    impairments.loss,
                    impairments.duplicate,
                    impairments.latency_min,
                    impairments.latency_max,
                    impairments.reorder
                );
                match link {
                    Some((from, to)) => {
                        let (f, t) = (self.index(&from)?, self.index(&to)?);
                        self.world
                            .network
                            .borrow_mut()
                            .set_link(f, t, Some(impairments));
                        self.world
                            .action_line(now, &from, &to, subject, "link impairments set");
                    }
                    None => {
                        self.world.network.borrow_mut().set_default(impairments);
                        self.world
                            .action_line(now, "sim", "-", subject, "default impairments set");
                    }
                }
                Ok(Some(Outcome::Done))
            }
            Action::Crash { node } => {
                let index = self.index(&node)?;
                self.crash(index, now);
                Ok(Some(Outcome::Done))
            }
            Action::Restart { node } => {
                let index = self.index(&node)?;
                self.restart(index, now);
                Ok(Some(Outcome::Done))
            }
            Action::SyncDisk { node } => {
                let index = self.index(&node)?;
                if let Some(h) = self.host(index) {
                    let pending = h.disk.pending_writes();
                    h.disk.sync();
                    self.world.action_line(
                        now,
                        &node,
                        "-",
                        String::new(),
                        &format!("disk synced ({pending} writes made durable)"),
                    );
                }
                Ok(Some(Outcome::Done))
            }
            Action::SaveResumptionRecord { node, peer } => {
                let (ni, pi) = (self.index(&node)?, self.index(&peer)?);
                let Some(pair) = self.find_pair(ni, pi) else {
                    return Ok(Some(Outcome::Failed(format!(
                        "no session {node} <-> {peer}"
                    ))));
                };
                let record = self.resumption_record(pair, ni, pi)?;
                let cmd = Command::SaveResumptionRecord {
                    action: id,
                    record: Box::new(record),
                };
                Ok(self.send_pending(id, ni, cmd))
            }
            Action::Wait(d) => {
                self.pending.insert(
                    id,
                    Pending {
                        until: Some(now + d),
                        ..Pending::default()
                    },
                );
                Ok(None)
            }
        }
    }

    /// Queues `cmd` on `node`; the action runs on until the host reports its outcome.
    fn send_pending(&mut self, id: ActionId, node: usize, cmd: Command) -> Option<Outcome> {
        match self.send(node, cmd) {
            Ok(()) => {
                self.pending.insert(
                    id,
                    Pending {
                        node: Some(node),
                        ..Pending::default()
                    },
                );
                None
            }
            Err(why) => Some(Outcome::Failed(why)),
        }
    }

    fn install(
        &mut self,
        id: ActionId,
        a: usize,
        b: usize,
        kind: SessionKind,
        now: Instant,
    ) -> Option<Outcome> {
        let (Some(ha), Some(hb)) = (self.host(a), self.host(b)) else {
            return Some(Outcome::Failed("no such node".into()));
        };
        // Both ends allocate their id as a handshake would (§10.2).
        let ids = (
            ha.with_node_mut(|n| n.sessions_mut().get_next_available_session_id().ok()),
            hb.with_node_mut(|n| n.sessions_mut().get_next_available_session_id().ok()),
        );
        let (Some(Some(a_id)), Some(Some(b_id))) = ids else {
            return Some(Outcome::Failed(format!(
                "{} or {} is not running",
                ha.name, hb.name
            )));
        };
        self.installs += 1;
        let secret = seed::derive(self.seed, &format!("secret:{}", self.installs));
        let fabric = ha.spec.fabrics.first().map(|f| f.index);
        let args = |me: &HostState, peer: &HostState, mine: u16, theirs: u16, initiator: bool| {
            InstallArgs {
                session_id: mine,
                peer_session_id: theirs,
                kind,
                fabric,
                local_node_id: me.spec.node_id,
                peer_node_id: peer.spec.node_id,
                shared_secret: secret.to_vec(),
                salt: b"paseo-sim".to_vec(),
                is_initiator: initiator,
                peer_address: peer.addr,
                peer_parameters: SessionParameters::default(),
            }
        };
        let a_args = args(&ha, &hb, a_id, b_id, true);
        let b_args = args(&hb, &ha, b_id, a_id, false);
        self.pairs.push(Pair {
            a,
            a_id,
            b,
            b_id,
            secret,
            established: false,
            closed: false,
            broken: false,
            mismatch_reported: false,
        });
        let pair = self.pairs.len() - 1;
        self.pending.insert(
            id,
            Pending {
                children: 2,
                pair: Some(pair),
                ..Pending::default()
            },
        );
        for (node, args) in [(a, a_args), (b, b_args)] {
            let half = self.allocate_action();
            self.pending.insert(
                half,
                Pending {
                    node: Some(node),
                    parent: Some(id),
                    ..Pending::default()
                },
            );
            if let Err(why) = self.send(node, Command::InstallSession { action: half, args }) {
                self.finish(half, now, Outcome::Failed(why));
            }
        }
        None
    }

    fn resumption_record(
        &mut self,
        pair: usize,
        node: usize,
        peer: usize,
    ) -> Result<ResumptionRecord, SimError> {
        let p = self
            .pairs
            .get(pair)
            .ok_or(SimError::UnknownNode("pair".into()))?;
        let host = self
            .host(node)
            .ok_or(SimError::UnknownNode(node.to_string()))?;
        let peer_host = self
            .host(peer)
            .ok_or(SimError::UnknownNode(peer.to_string()))?;
        let fabric = host.spec.fabrics.first();
        let id_bytes = sha256(&p.secret);
        let mut resumption_id = [0u8; RESUMPTION_ID_LEN];
        resumption_id.copy_from_slice(&id_bytes[..RESUMPTION_ID_LEN]);
        Ok(ResumptionRecord {
            resumption_id,
            shared_secret: p.secret.into(),
            fabric_index: fabric.map_or(paseo_core::fabric::FabricIndex(1), |f| f.index),
            fabric_id: fabric.map_or(0, |f| f.fabric_id),
            peer_node_id: peer_host.spec.node_id,
            peer_cats: Vec::new(),
            peer_parameters: SessionParameters::default(),
        })
    }

    fn set_partition(
        &mut self,
        from: &str,
        to: &str,
        one_way: bool,
        cut: bool,
        now: Instant,
    ) -> Result<(), SimError> {
        let (f, t) = (self.index(from)?, self.index(to)?);
        let mut net = self.world.network.borrow_mut();
        net.set_partitioned(f, t, cut);
        if !one_way {
            net.set_partitioned(t, f, cut);
        }
        drop(net);
        let what = match (cut, one_way) {
            (true, true) => "partitioned (one way)",
            (true, false) => "partitioned",
            (false, true) => "healed (one way)",
            (false, false) => "healed",
        };
        self.world.action_line(now, from, to, String::new(), what);
        Ok(())
    }

    fn crash(&mut self, index: usize, now: Instant) {
        let Some(host) = self.host(index) else {
            return;
        };
        if !host.up.get() {
            return;
        }
        self.sim.crash(host.name.as_str());
        host.up.set(false);
        host.node.borrow_mut().take();
        host.jobs.set(0);
        let lost_writes = host.disk.crash(now);
        let arrivals: Vec<_> = std::mem::take(&mut *host.ingress.borrow_mut())
            .into_values()
            .collect();
        for arrival in arrivals {
            self.world.net_line(
                now,
                arrival.from,
                host.addr,
                &arrival.payload,
                crate::network::DropReason::HostDown,
            );
        }
        let commands: Vec<Command> = host.mailbox.borrow_mut().drain(..).collect();
        drop(commands);
        self.world.recorder.borrow_mut().oracles.on_crash(index);
        for p in self
            .pairs
            .iter_mut()
            .filter(|p| p.a == index || p.b == index)
        {
            p.broken = true;
        }
        let doomed: Vec<ActionId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.node == Some(index))
            .map(|(id, _)| *id)
            .collect();
        for id in doomed {
            self.finish(id, now, Outcome::Failed(format!("{} crashed", host.name)));
        }
        self.world.action_line(
            now,
            &host.name,
            "-",
            String::new(),
            &format!("crashed ({lost_writes} unsynced writes lost)"),
        );
    }

    fn restart(&mut self, index: usize, now: Instant) {
        let Some(host) = self.host(index) else {
            return;
        };
        if host.up.get() {
            self.crash(index, now);
        }
        host.restarts.set(host.restarts.get() + 1);
        host.up.set(true);
        host.up_since.set(now);
        self.sim.bounce(host.name.as_str());
    }

    // ----- session-table oracle ------------------------------------------------------------

    /// Ends of every installed pair that both still hold their session agree on ids and keys.
    fn check_pairs(&mut self, now: Instant) {
        let mut found = Vec::new();
        for (i, p) in self.pairs.iter().enumerate() {
            if p.closed || p.broken || p.mismatch_reported {
                continue;
            }
            let view = |index: usize, id: u16| {
                self.host(index).and_then(|h| {
                    h.with_node(|n| {
                        n.sessions()
                            .get_session(id)
                            .map(|s| (s.peer_session_id(), *s.attestation_challenge()))
                    })
                    .flatten()
                })
            };
            if let (Some((a_peer, a_key)), Some((b_peer, b_key))) =
                (view(p.a, p.a_id), view(p.b, p.b_id))
            {
                if a_peer != p.b_id || b_peer != p.a_id || a_key != b_key {
                    found.push((
                        i,
                        format!(
                            "{}:{} names peer session {a_peer}, {}:{} names {b_peer}; keys {}",
                            self.name(p.a),
                            p.a_id,
                            self.name(p.b),
                            p.b_id,
                            if a_key == b_key { "agree" } else { "differ" }
                        ),
                    ));
                }
            }
        }
        for (i, detail) in found {
            if let Some(p) = self.pairs.get_mut(i) {
                p.mismatch_reported = true;
            }
            self.violate(OracleKind::SessionMismatch, now, "sim", detail, None);
        }
    }

    /// At the end: every live session whose peer holds the session it names must be named
    /// back, with the same keys.
    fn check_all_sessions(&mut self, now: Instant) {
        let hosts: Vec<Rc<HostState>> = self.world.hosts.borrow().clone();
        let mut found = Vec::new();
        for h in &hosts {
            let sessions: Vec<(u16, u16, Option<SocketAddr>, [u8; 16])> = h
                .with_node(|n| {
                    n.sessions()
                        .sessions()
                        .map(|s| {
                            (
                                s.id(),
                                s.peer_session_id(),
                                s.context().peer_address,
                                *s.attestation_challenge(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            for (id, peer_id, addr, key) in sessions {
                let Some(peer) = addr.and_then(|a| self.world.host_at(a)) else {
                    continue;
                };
                let back = peer
                    .with_node(|n| {
                        n.sessions()
                            .get_session(peer_id)
                            .map(|s| (s.peer_session_id(), *s.attestation_challenge()))
                    })
                    .flatten();
                if let Some((named, peer_key)) = back {
                    if named != id || peer_key != key {
                        found.push((h.name.clone(), format!(
                            "session {id} names {}:{peer_id}, which names {named} back; keys {}",
                            peer.name,
                            if peer_key == key { "agree" } else { "differ" }
                        )));
                    }
                }
            }
        }
        for (node, detail) in found {
            self.violate(OracleKind::SessionMismatch, now, &node, detail, None);
        }
    }
}
