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

use paseo_core::node::Node;
use paseo_core::session::SessionKind;
use paseo_core::time::Instant;

use crate::command::ActionId;
use crate::disk::SimDisk;
use crate::network::{Impairments, Network, NetworkError};
use crate::oracle::Violation;
use crate::seed;
use crate::sim_host::run_host;
use crate::world::{HostState, NodeSpec, World};

mod action;
pub(crate) mod case_glue;
mod checks;
mod dispatch;
mod expect;
mod groups;
mod handshakes;
mod hostile;
mod report;

pub use action::{Action, FloodMessage, Injection};
pub use case_glue::{CASE_IN_NODE, CASE_MISSING};
pub(crate) use expect::judge;
pub use expect::{CountRange, DatagramCounter, EventKind, Expectation, NodeCounter};
pub use report::{ActionRecord, EndReason, RunOptions, RunReport};

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
    /// Run idle ticks as one turmoil step ([`crate::NextEvent`]); the trace is the same either
    /// way. `false` steps every tick (what the skipping is tested against). Default `true`.
    pub skip_idle: bool,
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
            skip_idle: true,
        }
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
    /// A fabric could not be set up.
    #[error("fabric: {0}")]
    Fabric(String),
}

/// A session between two nodes the driver knows of: installed pairing-free, or opened by a
/// handshake the driver started (`a` is the initiator).
#[derive(Clone, Debug)]
struct Pair {
    a: usize,
    a_id: u16,
    b: usize,
    b_id: u16,
    kind: SessionKind,
    /// The secret of a pairing-free session (handshakes keep theirs to the nodes).
    secret: Option<Secret>,
    /// Both installs succeeded.
    established: bool,
    /// When the driver learnt of it (install started, or the initiator's handshake ended).
    since: Instant,
    /// Both ends have been seen holding it. A resumption whose final SUCCESS (sent by the
    /// initiator, Matter 1.3 §4.14.2) was lost five times leaves the initiator alone with
    /// it: a one-sided session the protocol cannot repair, which the liveness phase neither
    /// probes nor counts as missing (`scenarios/regressions/explore-784.yaml`).
    confirmed: bool,
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

    /// Live, and both ends have held it: what the liveness phase checks.
    fn probed(&self) -> bool {
        self.live() && self.confirmed
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
    /// For a handshake: the responder.
    peer: Option<usize>,
    /// For a wait or an expectation: when it ends.
    until: Option<Instant>,
    /// For an expectation: what must hold.
    expect: Option<Expectation>,
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
    /// Test fabrics by index.
    fabrics: BTreeMap<u8, case_glue::TestFabric>,
    /// Running sequences and parallel groups.
    groups: BTreeMap<ActionId, groups::Group>,
    /// Parent group of each child action.
    parents: BTreeMap<ActionId, ActionId>,
    /// Datagrams kept by [`Action::Capture`], by name.
    captured: BTreeMap<String, Vec<u8>>,
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
            fabrics: BTreeMap::new(),
            groups: BTreeMap::new(),
            parents: BTreeMap::new(),
            captured: BTreeMap::new(),
        }
    }

    /// Adds test fabric `index` (1..=254): a CA minted from the seed, with an ICAC if `icac`.
    /// Nodes get credentials on it with [`Action::JoinFabric`].
    pub fn add_fabric(&mut self, index: u8, icac: bool) -> Result<(), SimError> {
        if index == 0 || index == 255 {
            return Err(SimError::Fabric(format!(
                "fabric index {index} is reserved"
            )));
        }
        if self.fabrics.contains_key(&index) {
            return Err(SimError::Fabric(format!("fabric {index} already exists")));
        }
        let fabric =
            case_glue::TestFabric::new(self.seed, index, icac).map_err(SimError::Fabric)?;
        self.fabrics.insert(index, fabric);
        Ok(())
    }

    /// What this simulator can run: `pase`, and `case` once CASE is in the node.
    pub fn capabilities() -> &'static [&'static str] {
        if CASE_IN_NODE {
            &["pase", "case"]
        } else {
            &["pase"]
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
            joined: Default::default(),
            parked: std::cell::Cell::new(None),
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

    /// Turns idle-time skipping on or off (see [`SimConfig::skip_idle`]).
    pub fn set_skip_idle(&mut self, skip: bool) {
        self.config.skip_idle = skip;
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
        let mut limit_reached: Option<Instant> = None;
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
            let quiet = self.is_quiet();
            quiet_steps = if quiet { quiet_steps + 1 } else { 0 };
            let nothing_scheduled = self.timed.is_empty() && self.sequence.is_empty();
            let liveness_started = liveness_deadline.is_some();
            match liveness_deadline {
                None => {
                    let done = quiet_steps >= 2 && nothing_scheduled;
                    let phase_over = now >= limit || done;
                    if phase_over {
                        if !done {
                            // Steps still running (or not started) now finish, if at all, on
                            // the healed network: the report says so, and the judge of the
                            // steps does not count them as done in the fault phase.
                            limit_reached = Some(now);
                        }
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
            // Idle ticks ahead run as one step; a quiet run with nothing scheduled ends within
            // two ticks, and the tick that starts the liveness phase is not idle.
            let ticks = if self.config.skip_idle
                && !(quiet && nothing_scheduled)
                && liveness_started == liveness_deadline.is_some()
            {
                let phase_end = liveness_deadline.unwrap_or(limit);
                self.idle_ticks(now, phase_end)
            } else {
                1
            };
            let tick = self.config.tick.saturating_mul(ticks);
            if let Err(e) = self.sim.step_by(tick) {
                break EndReason::HostError(e.to_string());
            }
            self.steps += 1;
            if quiet {
                // Every skipped tick would have found the run just as quiet.
                quiet_steps = quiet_steps.saturating_add(ticks - 1);
            }
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
        let mut report = self.report(end, now);
        report.time_limit_reached = limit_reached;
        report
    }

    /// How many ticks the next step may take (at least 1): up to the first instant at which a
    /// host may act ([`crate::NextEvent`], or a datagram waiting in turmoil is due), and no
    /// further than the first driver iteration at which an action, a wait,
    /// an expectation's deadline or `phase_end` is due.
    fn idle_ticks(&self, now: Instant, phase_end: Instant) -> u32 {
        if !self.deferred.is_empty() {
            return 1;
        }
        // A datagram turmoil still holds reaches its host's arrival queue at the start of that
        // host's next run, however long the step; it is handed to the node at the delivery
        // time in its envelope, which therefore counts like a host's timer.
        let Some(waiting) = self.sim.waiting_datagrams() else {
            return 1;
        };
        let mut arrivals = Vec::with_capacity(waiting.len());
        for datagram in &waiting {
            match crate::io::open_envelope(datagram) {
                Some((at, _, _)) => arrivals.push(at),
                None => return 1,
            }
        }
        let hosts = self
            .world
            .hosts
            .borrow()
            .iter()
            .filter_map(|h| crate::NextEvent::next_event(h.as_ref()))
            .chain(arrivals)
            .min();
        let driver = self
            .timed
            .keys()
            .next()
            .map(|(at, _)| *at)
            .into_iter()
            .chain(self.pending.values().filter_map(|p| p.until))
            .chain(std::iter::once(phase_end))
            .min();
        let tick = u64::try_from(self.config.tick.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let now_us = now.as_micros();
        // Host: every host waits on tokio timers, which round a deadline up to the next whole
        // millisecond, so a host acts at `at` rounded up. The long step may end there but not
        // beyond: k ticks with now + k·tick ≤ ceil_ms(at). The timer then expires at the end of
        // the long step exactly as it would at the end of the last of k single ticks (tokio's
        // clock stands at the same instant, every host has run the same virtual time).
        let by_host = hosts.map_or(u64::MAX, |at| {
            let due = at.as_micros().div_ceil(1000).saturating_mul(1000);
            due.saturating_sub(now_us) / tick
        });
        // Driver: it looks at what is due at each tick boundary, so the boundaries skipped
        // (now + 1·tick … now + (k-1)·tick) must all come before `at`.
        let by_driver = driver.map_or(u64::MAX, |at| {
            at.as_micros().saturating_sub(now_us).saturating_sub(1) / tick + 1
        });
        let ticks = by_host.min(by_driver).max(1);
        u32::try_from(ticks).unwrap_or(u32::MAX)
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
            time_limit_reached: None,
            keylog: recorder.keylog.clone(),
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
}
