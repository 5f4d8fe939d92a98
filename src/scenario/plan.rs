//! Semantic checks and lowering: a parsed [`File`] becomes a [`Scenario`] (node specs,
//! fabrics, impairments and simulator actions), or a list of [`Diagnostic`]s that point at the
//! offending names.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use paseo_core::mrp::reliability::JitterSource;
use paseo_core::mrp::{JitterFraction, MrpParameters};
use paseo_core::node::{NodeFaults, PaseBusyPolicy};
use paseo_core::pase::Passcode;
use paseo_core::session::SessionKind;
use paseo_sim::disk::Corruption;
use paseo_sim::{
    Action, Commissioning, CountRange, DatagramCounter, EventKind, Expectation, FloodMessage,
    Impairments, Injection, NodeCounter, NodeSpec,
};
use serde_saphyr::{Location, Spanned};

use super::diagnostic::{Diagnostic, did_you_mean};
use super::model::*;
use super::units::{Count, Dur, Latency, Percent};
use super::{NodePlan, Scenario, StepCheck};

/// What the simulator of this build can do (`requires:` is checked against it).
pub const KNOWN_CAPABILITIES: [&str; 2] = ["pase", "case"];

/// Default virtual time limit of the fault phase.
const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);
/// Default liveness phase.
const DEFAULT_LIVENESS: Duration = Duration::from_secs(30);
/// A device's passcode when none is given (the Matter test passcode).
const DEFAULT_PASSCODE: u32 = 20202021;

struct NodeInfo {
    role: Role,
    fabrics: BTreeSet<String>,
}

struct Planner<'a> {
    file: &'a str,
    errors: Vec<Diagnostic>,
    nodes: BTreeMap<String, NodeInfo>,
    node_order: Vec<String>,
    fabrics: BTreeMap<String, u8>,
    labels: BTreeSet<String>,
    /// Labels referenced by `expect.outcome`, checked once all labels are known.
    label_refs: Vec<Name>,
    /// Names given by `capture` steps.
    captures: BTreeSet<String>,
    /// Devices that a `commission` step puts on a fabric: (device, fabric).
    commissioned: BTreeSet<(String, String)>,
    needs_case: Option<Location>,
    checks: Vec<StepCheck>,
}

/// Checks `file` and lowers it, or says everything that is wrong with it.
pub fn plan(path: &str, file: File) -> Result<Scenario, Vec<Diagnostic>> {
    plan_with(path, file, None)
}

/// [`plan`], with a `peer: any` device replaced by `substitute` (`paseo conform`).
pub fn plan_with(
    path: &str,
    file: File,
    substitute: Option<super::real_peer::PeerKind>,
) -> Result<Scenario, Vec<Diagnostic>> {
    let (real_peer, peer_errors) = super::real_peer::check(path, &file, substitute);
    let mut p = Planner {
        file: path,
        errors: Vec::new(),
        nodes: BTreeMap::new(),
        node_order: Vec::new(),
        fabrics: BTreeMap::new(),
        labels: BTreeSet::new(),
        label_refs: Vec::new(),
        captures: BTreeSet::new(),
        commissioned: BTreeSet::new(),
        needs_case: None,
        checks: Vec::new(),
    };
    p.errors.extend(peer_errors);
    if file.name.value.trim().is_empty() {
        p.error(&file.name.referenced, "the scenario needs a name", None);
    }
    let mut requires = Vec::new();
    for r in &file.requires {
        if KNOWN_CAPABILITIES.contains(&r.value.as_str()) {
            requires.push(r.value.clone());
        } else {
            let hint = did_you_mean(&r.value, KNOWN_CAPABILITIES);
            p.error(
                &r.referenced,
                format!("unknown capability `{}`", r.value),
                hint,
            );
        }
    }
    let fabrics = p.fabrics(&file.fabrics);
    let nodes = p.nodes(&file.nodes);
    let network = p.impairments(
        None,
        &file.network.latency,
        file.network.loss,
        file.network.duplicate,
        file.network.reorder,
    );
    let mut links = Vec::new();
    for link in &file.links {
        let (from, to) = (p.node_ref(&link.from), p.node_ref(&link.to));
        if link.from.value == link.to.value {
            p.error(
                &link.to.referenced,
                "a link joins two different nodes",
                None,
            );
        }
        let imp = p.impairments(
            Some(&link.from),
            &link.latency,
            link.loss,
            link.duplicate,
            link.reorder,
        );
        if let (Some(from), Some(to)) = (from, to) {
            links.push((from, to, imp));
        }
    }
    // Initial fabric memberships: the nodes join before the first step.
    let mut actions = Vec::new();
    for node in &file.nodes {
        for fabric in &node.fabrics {
            if let Some(&index) = p.fabrics.get(&fabric.value) {
                p.need_case(&fabric.referenced);
                let label = format!("join {} {}", node.name.value, fabric.value);
                p.checks.push(StepCheck {
                    label: label.clone(),
                    line: fabric.referenced.line(),
                    description: format!("{} joins fabric {}", node.name.value, fabric.value),
                    expected: Expected::Ok,
                });
                actions.push(Action::labelled(
                    &label,
                    Action::JoinFabric {
                        node: node.name.value.clone(),
                        fabric: index,
                    },
                ));
            }
        }
    }
    // Labels and commissioned memberships are known before steps refer to them.
    p.collect(&file.steps);
    for step in &file.steps {
        if let Some(action) = p.step(step) {
            actions.push(action);
        }
    }
    for r in std::mem::take(&mut p.label_refs) {
        if !p.labels.contains(&r.value) {
            let hint = did_you_mean(&r.value, p.labels.iter().map(String::as_str));
            p.error(
                &r.referenced,
                format!("no step is labelled `{}`", r.value),
                hint,
            );
        }
    }
    if let Some(at) = p.needs_case
        && !requires.iter().any(|r| r == "case")
    {
        p.error(
            &at,
            "this needs CASE, which the scenario does not require",
            Some("add `requires: [case]` to the header".to_owned()),
        );
    }
    if !p.errors.is_empty() {
        p.errors.sort_by_key(|d| (d.line, d.column));
        return Err(p.errors);
    }
    Ok(Scenario {
        path: path.to_owned(),
        name: file.name.value,
        description: file.description,
        seed: file.seed,
        requires,
        time_limit: file.time_limit.map_or(DEFAULT_TIME_LIMIT, |d| d.0),
        after_time_limit: file.after_time_limit,
        liveness: match file.liveness {
            None => Some(DEFAULT_LIVENESS),
            Some(Liveness::Off) => None,
            Some(Liveness::For(d)) => Some(d.0),
        },
        network,
        links,
        fabrics,
        nodes,
        actions,
        checks: p.checks,
        real_peer,
    })
}

impl Planner<'_> {
    fn error(&mut self, at: &Location, message: impl Into<String>, help: Option<String>) {
        self.errors
            .push(Diagnostic::at(self.file, at, message).maybe_help(help));
    }

    fn need_case(&mut self, at: &Location) {
        if self.needs_case.is_none() {
            self.needs_case = Some(*at);
        }
    }

    fn fabrics(&mut self, defs: &[FabricDef]) -> Vec<(u8, bool)> {
        let mut out = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            let Ok(index) = u8::try_from(i + 1)
                .map_err(|_| ())
                .and_then(|x| if x < 255 { Ok(x) } else { Err(()) })
            else {
                self.error(&def.name.referenced, "at most 254 fabrics", None);
                continue;
            };
            if self.fabrics.insert(def.name.value.clone(), index).is_some() {
                self.error(
                    &def.name.referenced,
                    format!("fabric `{}` is defined twice", def.name.value),
                    None,
                );
            }
            out.push((index, def.icac));
        }
        out
    }

    fn nodes(&mut self, defs: &[NodeDef]) -> Vec<NodePlan> {
        let mut out = Vec::new();
        let mut ids = BTreeMap::new();
        for def in defs {
            let name = &def.name.value;
            let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                self.error(&def.name.referenced, format!("node name `{name}` must start with a letter and hold only letters, digits, `-` and `_`"), None);
            } else if ["sim", "all"].contains(&name.as_str()) {
                self.error(&def.name.referenced, format!("`{name}` is reserved"), None);
            }
            if self.nodes.contains_key(name) {
                self.error(
                    &def.name.referenced,
                    format!("node `{name}` is defined twice"),
                    None,
                );
                continue;
            }
            let mut member = BTreeSet::new();
            for f in &def.fabrics {
                if self.fabrics.contains_key(&f.value) {
                    member.insert(f.value.clone());
                } else {
                    self.unknown_fabric(f);
                }
            }
            self.nodes.insert(
                name.clone(),
                NodeInfo {
                    role: def.role.value,
                    fabrics: member,
                },
            );
            self.node_order.push(name.clone());
            let node_id = def.node_id.unwrap_or(self.node_order.len() as u64);
            if node_id == 0 {
                self.error(&def.name.referenced, "node_id 0 is reserved", None);
            }
            if let Some(other) = ids.insert(node_id, name.clone()) {
                self.error(
                    &def.name.referenced,
                    format!("node_id {node_id} is already {other}'s"),
                    None,
                );
            }
            if let Some(spec) = self.node_spec(def, node_id) {
                out.push(NodePlan {
                    name: name.clone(),
                    spec,
                });
            }
        }
        out
    }

    fn node_spec(&mut self, def: &NodeDef, node_id: u64) -> Option<NodeSpec> {
        let mut spec = NodeSpec::new(node_id);
        spec.fabrics.clear();
        let device = def.role.value == Role::Device;
        let device_only = [
            (def.passcode.as_ref().map(|p| p.referenced), "passcode"),
            (
                def.discriminator.as_ref().map(|d| d.referenced),
                "discriminator",
            ),
            (def.busy.as_ref().map(|b| b.referenced), "busy"),
            (def.busy_wait.as_ref().map(|b| b.referenced), "busy_wait"),
        ];
        for (present, key) in device_only {
            if let (Some(loc), false) = (present, device) {
                let help = Some(format!("{} is a commissioner", def.name.value));
                self.error(&loc, format!("`{key}` is for devices only"), help);
            }
        }
        if device {
            let passcode = def.passcode.as_ref().map_or(DEFAULT_PASSCODE, |p| p.value);
            if let Err(e) = Passcode::new(passcode) {
                let at = def
                    .passcode
                    .as_ref()
                    .map_or(def.name.referenced, |p| p.referenced);
                let (message, help) = match e {
                    paseo_core::pase::PasscodeError::OutOfRange(_) => (
                        format!("passcode {passcode} is out of range"),
                        "a setup passcode is from 1 to 99999998",
                    ),
                    paseo_core::pase::PasscodeError::Forbidden(_) => (
                        format!("passcode {passcode} is too easy to guess"),
                        "Matter forbids 00000000, 11111111 … 99999999, 12345678 and 87654321 \
                         (the Core Specification's invalid passcodes); the default is 20202021",
                    ),
                };
                self.error(&at, message, Some(help.to_owned()));
            }
            let mut setup = Commissioning::with_passcode(passcode);
            if let Some(d) = &def.discriminator {
                if d.value > 0xFFF {
                    self.error(
                        &d.referenced,
                        format!(
                            "discriminator {} does not fit in 12 bits (at most 4095)",
                            d.value
                        ),
                        None,
                    );
                }
                setup.discriminator = d.value;
            }
            spec.commissioning = Some(setup);
        }
        if let Some(mrp) = &def.mrp {
            let d = MrpParameters::DEFAULT;
            let params = MrpParameters::new(
                mrp.idle.map_or(d.idle_interval(), |x| x.0),
                mrp.active.map_or(d.active_interval(), |x| x.0),
                mrp.threshold.map_or(d.active_threshold(), |x| x.0),
            );
            match params {
                Ok(p) => spec.config.mrp = p,
                Err(e) => self.error(
                    &def.name.referenced,
                    format!("mrp of {}: {e}", def.name.value),
                    None,
                ),
            }
            spec.config.jitter = match mrp.jitter.unwrap_or(Jitter::Random) {
                Jitter::Random => JitterSource::Random,
                Jitter::None => JitterSource::Fixed(JitterFraction::ZERO),
                Jitter::Max => JitterSource::Fixed(JitterFraction::MAX),
            };
        }
        spec.sync_delay = match def.store.unwrap_or(StoreKind::Disk) {
            StoreKind::Memory => {
                if let Some(d) = &def.sync_delay {
                    self.error(&d.referenced, "`sync_delay` needs `store: disk`", None);
                }
                None
            }
            StoreKind::Disk => Some(
                def.sync_delay
                    .as_ref()
                    .map_or(Duration::ZERO, |d| d.value.0),
            ),
        };
        match def.busy.as_ref().map(|b| b.value) {
            Some(Busy::Ignore) => spec.config.pase_busy = PaseBusyPolicy::Ignore,
            Some(Busy::Busy) | None => {
                if let Some(wait) = &def.busy_wait {
                    if wait.value.0 > Duration::from_millis(u64::from(u16::MAX)) {
                        self.error(&wait.referenced, "busy_wait is at most 65535ms", None);
                    }
                    spec.config.pase_busy = PaseBusyPolicy::Busy { wait: wait.value.0 };
                }
            }
        }
        spec.config.secure_counter_start = def.counter_start;
        if let Some(n) = &def.max_sessions {
            if n.value == 0 {
                self.error(&n.referenced, "max_sessions is at least 1", None);
            }
            spec.config.limits.max_sessions = n.value;
        }
        if let Some(n) = &def.max_sessions_per_peer {
            if n.value == 0 {
                self.error(&n.referenced, "max_sessions_per_peer is at least 1", None);
            }
            spec.config.limits.max_sessions_per_peer = n.value;
        }
        let mut faults = NodeFaults::default();
        for f in &def.faults {
            match f {
                Fault::ReuseCounter => faults.reuse_counter = true,
                Fault::DeliverDuplicates => faults.deliver_duplicates = true,
                Fault::ForgetAck => faults.forget_ack = true,
                Fault::KeepClosedSessionTimers => faults.keep_closed_session_timers = true,
                Fault::SkewPeerSessionId => faults.skew_peer_session_id = true,
            }
        }
        spec.config.faults = faults;
        Some(spec)
    }

    fn impairments(
        &mut self,
        _for: Option<&Name>,
        latency: &Option<Latency>,
        loss: Option<Percent>,
        duplicate: Option<Percent>,
        reorder: Option<Dur>,
    ) -> Impairments {
        let base = Impairments::default();
        Impairments {
            loss: loss.map_or(base.loss, |p| p.0),
            duplicate: duplicate.map_or(base.duplicate, |p| p.0),
            latency_min: latency.map_or(base.latency_min, |l| l.min),
            latency_max: latency.map_or(base.latency_max, |l| l.max),
            reorder: reorder.map_or(base.reorder, |d| d.0),
        }
    }

    fn unknown_fabric(&mut self, f: &Name) {
        let hint = did_you_mean(&f.value, self.fabrics.keys().map(String::as_str))
            .or_else(|| (self.fabrics.is_empty()).then(|| "define it under `fabrics:`".to_owned()));
        self.error(&f.referenced, format!("unknown fabric `{}`", f.value), hint);
    }

    /// The node's name if it exists (else an error with the nearest name).
    fn node_ref(&mut self, name: &Name) -> Option<String> {
        if self.nodes.contains_key(&name.value) {
            return Some(name.value.clone());
        }
        let hint = did_you_mean(&name.value, self.node_order.iter().map(String::as_str));
        self.error(
            &name.referenced,
            format!("unknown node `{}`", name.value),
            hint,
        );
        None
    }

    fn role_ref(&mut self, name: &Name, role: Role, as_what: &str) -> Option<String> {
        let node = self.node_ref(name)?;
        let actual = self.nodes.get(&node).map(|n| n.role);
        if actual != Some(role) {
            self.error(
                &name.referenced,
                format!("`{}` is not a {as_what}", name.value),
                Some(format!("set `role: {as_what}` on {}", name.value)),
            );
            return None;
        }
        Some(node)
    }

    fn fabric_ref(&mut self, name: &Name) -> Option<u8> {
        match self.fabrics.get(&name.value) {
            Some(i) => Some(*i),
            None => {
                self.unknown_fabric(name);
                None
            }
        }
    }

    fn member_check(&mut self, node: &Name, fabric: &Name) {
        let member = self
            .nodes
            .get(&node.value)
            .is_some_and(|n| n.fabrics.contains(&fabric.value))
            || self
                .commissioned
                .contains(&(node.value.clone(), fabric.value.clone()));
        if self.nodes.contains_key(&node.value)
            && self.fabrics.contains_key(&fabric.value)
            && !member
        {
            self.error(
                &node.referenced,
                format!("`{}` is not on fabric `{}`", node.value, fabric.value),
                Some(format!(
                    "list it in the node's `fabrics`, or `commission` it onto `{}` first",
                    fabric.value
                )),
            );
        }
    }

    /// First pass: labels and the devices commissioned onto fabrics.
    fn collect(&mut self, steps: &[Spanned<Step>]) {
        for step in steps {
            let label = match &step.value {
                Step::Pair(s) => s.label.as_ref(),
                Step::Commission(s) => {
                    self.commissioned
                        .insert((s.device.value.clone(), s.fabric.value.clone()));
                    s.label.as_ref()
                }
                Step::Case(s) | Step::Resume(s) => s.label.as_ref(),
                Step::Exchange(s) => s.label.as_ref(),
                Step::Close(s) => s.label.as_ref(),
                Step::Capture(s) => {
                    self.captures.insert(s.name.value.clone());
                    None
                }
                Step::Inject(s) => s.label.as_ref(),
                Step::Flood(s) => s.label.as_ref(),
                Step::Parallel(inner) | Step::Sequence(inner) => {
                    self.collect(inner);
                    None
                }
                _ => None,
            };
            if let Some(l) = label {
                let valid = !l.value.is_empty()
                    && l.value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !valid {
                    self.error(
                        &l.referenced,
                        format!(
                            "label `{}` may hold only letters, digits, `-` and `_`",
                            l.value
                        ),
                        None,
                    );
                }
                if !self.labels.insert(l.value.clone()) {
                    self.error(
                        &l.referenced,
                        format!("label `{}` is used twice", l.value),
                        None,
                    );
                }
            }
        }
    }

    /// Lowers one step; `None` if it has errors.
    fn step(&mut self, step: &Spanned<Step>) -> Option<Action> {
        let at = step.referenced;
        let line = at.line();
        let (label, expected, action, description) = match &step.value {
            Step::Pair(s) => {
                let c = self.role_ref(&s.commissioner, Role::Commissioner, "commissioner");
                let d = self.role_ref(&s.device, Role::Device, "device");
                let passcode = s.passcode.as_ref().map(|p| p.value);
                let action = Action::Pair {
                    commissioner: c?,
                    device: d?,
                    passcode,
                };
                (s.label.as_ref(), s.outcome, action, None)
            }
            Step::Commission(s) => {
                self.need_case(&at);
                let c = self.role_ref(&s.commissioner, Role::Commissioner, "commissioner");
                let d = self.role_ref(&s.device, Role::Device, "device");
                let f = self.fabric_ref(&s.fabric);
                if c.is_some() && f.is_some() {
                    let member = self
                        .nodes
                        .get(&s.commissioner.value)
                        .is_some_and(|n| n.fabrics.contains(&s.fabric.value));
                    if !member {
                        self.error(
                            &s.commissioner.referenced,
                            format!(
                                "commissioner `{}` is not on fabric `{}`",
                                s.commissioner.value, s.fabric.value
                            ),
                            Some("list the fabric in the commissioner's `fabrics`".to_owned()),
                        );
                    }
                }
                let action = Action::Commission {
                    commissioner: c?,
                    device: d?,
                    passcode: s.passcode.as_ref().map(|p| p.value),
                    fabric: f?,
                };
                (s.label.as_ref(), s.outcome, action, None)
            }
            Step::Case(s) | Step::Resume(s) => {
                self.need_case(&at);
                let i = self.node_ref(&s.initiator);
                let r = self.node_ref(&s.responder);
                let f = self.fabric_ref(&s.fabric);
                self.member_check(&s.initiator, &s.fabric);
                self.member_check(&s.responder, &s.fabric);
                let (i, r, f) = (i?, r?, f?);
                let case = Action::Case {
                    initiator: i.clone(),
                    responder: r.clone(),
                    fabric: f,
                };
                let resume = matches!(step.value, Step::Resume(_));
                let action = if resume {
                    Action::Sequence(vec![
                        case,
                        Action::Expect {
                            expectation: Expectation::Resumption {
                                node: i.clone(),
                                peer: r.clone(),
                                used: true,
                            },
                            within: Duration::ZERO,
                        },
                    ])
                } else {
                    case
                };
                let what = if resume { "resume" } else { "case" };
                (
                    s.label.as_ref(),
                    s.outcome,
                    action,
                    Some(format!("{what} {i} -> {r} (fabric {})", s.fabric.value)),
                )
            }
            Step::Exchange(s) => {
                let (from, to) = (self.node_ref(&s.from), self.node_ref(&s.to));
                let messages = s.messages.unwrap_or(1);
                if messages == 0 {
                    self.error(&at, "an exchange sends at least one message", None);
                }
                let action = Action::Exchange {
                    from: from?,
                    to: to?,
                    messages,
                    reliable: s.reliable.unwrap_or(true),
                    kind: s.session.map(kind),
                };
                (s.label.as_ref(), s.outcome, action, None)
            }
            Step::Close(s) => {
                let (node, peer) = (self.node_ref(&s.node), self.node_ref(&s.peer));
                let action = Action::CloseSession {
                    node: node?,
                    peer: peer?,
                    send_close: s.send_close.unwrap_or(true),
                    after_exchange: s.after_exchange.unwrap_or(false),
                    kind: s.session.map(kind),
                };
                (s.label.as_ref(), s.outcome, action, None)
            }
            Step::Partition(s) => {
                if s.all {
                    self.error(&at, "`all` is for `heal` only", None);
                }
                let (from, to) = self.link_ends(&at, s)?;
                (
                    None,
                    Expected::Ok,
                    Action::Partition {
                        from,
                        to,
                        one_way: s.one_way,
                    },
                    None,
                )
            }
            Step::Heal(s) => {
                if s.all {
                    if s.from.is_some() || s.to.is_some() {
                        self.error(
                            &at,
                            "`heal` takes either `all: true` or `from` and `to`",
                            None,
                        );
                    }
                    (None, Expected::Ok, Action::HealAll, None)
                } else {
                    let (from, to) = self.link_ends(&at, s)?;
                    (
                        None,
                        Expected::Ok,
                        Action::Heal {
                            from,
                            to,
                            one_way: s.one_way,
                        },
                        None,
                    )
                }
            }
            Step::SetNetwork(s) => {
                let link = match (&s.from, &s.to) {
                    (Some(f), Some(t)) => Some((self.node_ref(f)?, self.node_ref(t)?)),
                    (None, None) => None,
                    _ => {
                        self.error(&at, "`set_network` takes both `from` and `to`, or neither (the default of all links)", None);
                        return None;
                    }
                };
                let impairments =
                    self.impairments(s.from.as_ref(), &s.latency, s.loss, s.duplicate, s.reorder);
                (
                    None,
                    Expected::Ok,
                    Action::SetNetwork { link, impairments },
                    None,
                )
            }
            Step::Crash(n) => (
                None,
                Expected::Ok,
                Action::Crash {
                    node: self.node_ref(n)?,
                },
                None,
            ),
            Step::Restart(n) => (
                None,
                Expected::Ok,
                Action::Restart {
                    node: self.node_ref(n)?,
                },
                None,
            ),
            Step::Sync(n) => (
                None,
                Expected::Ok,
                Action::SyncDisk {
                    node: self.node_ref(n)?,
                },
                None,
            ),
            Step::Wait(d) => (None, Expected::Ok, Action::Wait(d.0), None),
            Step::Expect(e) => {
                let expectation = self.expectation(&at, e)?;
                let within = e.within.map_or(Duration::ZERO, |d| d.0);
                (
                    None,
                    Expected::Ok,
                    Action::Expect {
                        expectation,
                        within,
                    },
                    None,
                )
            }
            Step::Capture(s) => {
                let (from, to) = (self.node_ref(&s.from), self.node_ref(&s.to));
                let action = Action::Capture {
                    name: s.name.value.clone(),
                    from: from?,
                    to: to?,
                    opcode: s.opcode.clone(),
                };
                (None, Expected::Ok, action, None)
            }
            Step::Inject(s) => {
                let (from, to) = (self.node_ref(&s.from), self.node_ref(&s.to));
                let datagram = self.injection(s)?;
                let count = s.count.as_ref().map_or(1, |c| c.value);
                if let Some(c) = s.count.as_ref().filter(|c| c.value == 0 || c.value > 1000) {
                    self.error(&c.referenced, "`count` is from 1 to 1000", None);
                }
                let action = Action::Inject {
                    from: from?,
                    to: to?,
                    datagram,
                    count,
                };
                (s.label.as_ref(), s.outcome, action, None)
            }
            Step::Flood(s) => {
                let (from, to) = (self.node_ref(&s.from), self.node_ref(&s.to));
                if s.sources.value == 0 || s.sources.value > 10_000 {
                    self.error(&s.sources.referenced, "`sources` is from 1 to 10000", None);
                }
                let action = Action::Flood {
                    from: from?,
                    to: to?,
                    message: match s.message {
                        FloodKind::PbkdfParamRequest => FloodMessage::PbkdfParamRequest,
                        FloodKind::Sigma1 => FloodMessage::Sigma1,
                        FloodKind::GarbageSigma1 => FloodMessage::GarbageSigma1,
                    },
                    sources: s.sources.value,
                };
                (s.label.as_ref(), s.outcome, action, None)
            }
            Step::FillSessionIds(s) => {
                let action = Action::FillSessionIds {
                    node: self.node_ref(&s.node)?,
                    leave: s.leave,
                };
                (None, Expected::Ok, action, None)
            }
            Step::CorruptStore(s) => {
                let node = self.node_ref(&s.node);
                let how = match (s.how.value, &s.at) {
                    (CorruptHow::FlipByte, at) => {
                        Corruption::FlipByte(at.as_ref().map_or(0, |a| a.value))
                    }
                    (CorruptHow::Truncate, Some(at)) => {
                        self.error(&at.referenced, "`at` goes with `how: flip_byte`", None);
                        Corruption::Truncate
                    }
                    (CorruptHow::Truncate, None) => Corruption::Truncate,
                };
                let action = Action::CorruptStore { node: node?, how };
                (None, Expected::Ok, action, None)
            }
            Step::Parallel(inner) | Step::Sequence(inner) => {
                if inner.is_empty() {
                    self.error(&at, "an empty group", None);
                }
                let children: Vec<Option<Action>> = inner.iter().map(|s| self.step(s)).collect();
                let children: Option<Vec<Action>> = children.into_iter().collect();
                let children = children?;
                let action = if matches!(step.value, Step::Parallel(_)) {
                    Action::Parallel(children)
                } else {
                    Action::Sequence(children)
                };
                // A group fails when a child does; the children's own checks say which.
                (None, Expected::Any, action, None)
            }
        };
        let label = label.map_or_else(|| format!("line {line}"), |l| l.value.clone());
        let description = description.unwrap_or_else(|| action.describe());
        self.checks.push(StepCheck {
            label: label.clone(),
            line,
            description,
            expected,
        });
        Some(Action::labelled(&label, action))
    }

    /// What an `inject` sends; `replay` needs a `capture` name that some step defines.
    fn injection(&mut self, s: &InjectStep) -> Option<Injection> {
        let at = s.datagram.referenced;
        if let Some(p) = s.peer.as_ref()
            && s.datagram.value != Datagram::ForgedClose
        {
            self.error(
                &p.referenced,
                "`peer` goes with `datagram: forged_close`",
                None,
            );
            return None;
        }
        match (s.datagram.value, &s.capture) {
            (Datagram::Replay, None) => {
                self.error(
                    &at,
                    "`datagram: replay` needs `capture: NAME`",
                    Some("keep one first with a `capture` step".to_owned()),
                );
                None
            }
            (Datagram::Replay, Some(name)) => {
                if !self.captures.contains(&name.value) {
                    let hint = did_you_mean(&name.value, self.captures.iter().map(String::as_str));
                    self.error(
                        &name.referenced,
                        format!("no `capture` step keeps `{}`", name.value),
                        hint,
                    );
                    return None;
                }
                Some(Injection::Replay(name.value.clone()))
            }
            (_, Some(name)) => {
                self.error(
                    &name.referenced,
                    "`capture` goes with `datagram: replay`",
                    None,
                );
                None
            }
            (Datagram::Reflect, None) => Some(Injection::Reflect),
            (Datagram::ForgedClose, None) => {
                let peer = s.peer.as_ref().unwrap_or(&s.from);
                Some(Injection::ForgedClose {
                    peer: self.node_ref(peer)?,
                })
            }
            (Datagram::Truncated, None) => Some(Injection::Truncated),
            (Datagram::Oversized, None) => Some(Injection::Oversized),
        }
    }

    fn link_ends(&mut self, at: &Location, s: &LinkStep) -> Option<(String, String)> {
        match (&s.from, &s.to) {
            (Some(f), Some(t)) => {
                let (f, t) = (self.node_ref(f), self.node_ref(t));
                Some((f?, t?))
            }
            _ => {
                self.error(at, "a link step needs `from` and `to`", None);
                None
            }
        }
    }

    fn expectation(&mut self, at: &Location, e: &ExpectStep) -> Option<Expectation> {
        let mut all = Vec::new();
        let mut ok = true;
        for s in &e.sessions {
            let pairs: Vec<(&Name, &Name)> = match (&s.node, &s.peer, &s.between) {
                (Some(n), Some(p), None) => vec![(n, p)],
                (None, None, Some(b)) if b.len() == 2 => vec![(&b[0], &b[1]), (&b[1], &b[0])],
                _ => {
                    self.error(
                        at,
                        "a session expectation takes `node` and `peer`, or `between: [a, b]`",
                        None,
                    );
                    ok = false;
                    continue;
                }
            };
            for (n, p) in pairs {
                match (self.node_ref(n), self.node_ref(p)) {
                    (Some(node), Some(peer)) => all.push(Expectation::Session {
                        node,
                        peer,
                        kind: s.kind.map(kind),
                        present: s.present,
                    }),
                    _ => ok = false,
                }
            }
        }
        for r in &e.resumption {
            self.need_case(&r.node.referenced);
            match (self.node_ref(&r.node), self.node_ref(&r.peer)) {
                (Some(node), Some(peer)) => all.push(Expectation::Resumption {
                    node,
                    peer,
                    used: r.used,
                }),
                _ => ok = false,
            }
        }
        for ev in &e.events {
            let node = self.node_ref(&ev.node);
            let peer = match &ev.peer {
                Some(p) => match self.node_ref(p) {
                    Some(p) => Some(p),
                    None => {
                        ok = false;
                        None
                    }
                },
                None => None,
            };
            let Some(node) = node else {
                ok = false;
                continue;
            };
            all.push(Expectation::Events {
                node,
                peer,
                kind: event_kind(ev.event),
                detail: ev.detail.clone(),
                count: ev.count.map_or(CountRange::at_least(1), range),
            });
        }
        for o in &e.outcome {
            self.label_refs.push(o.step.clone());
            let want_ok = match o.is.value {
                Expected::Ok => true,
                Expected::Failed => false,
                Expected::Any => {
                    self.error(&o.is.referenced, "`is` is `ok` or `failed`", None);
                    ok = false;
                    continue;
                }
            };
            if want_ok && o.reason.is_some() {
                self.error(&o.is.referenced, "`reason` goes with `is: failed`", None);
            }
            all.push(Expectation::Outcome {
                label: o.step.value.clone(),
                ok: want_ok,
                reason: o.reason.clone(),
            });
        }
        if let Some(d) = &e.datagrams {
            let node = match &d.node {
                Some(n) => match self.node_ref(n) {
                    Some(n) => Some(n),
                    None => return None,
                },
                None => None,
            };
            for (counter, count) in [
                (DatagramCounter::Sent, d.sent),
                (DatagramCounter::Retransmitted, d.retransmitted),
                (DatagramCounter::Dropped, d.dropped),
                (DatagramCounter::Duplicated, d.duplicated),
                (DatagramCounter::DuplicatesReceived, d.duplicates_received),
            ] {
                if let Some(c) = count {
                    all.push(Expectation::Datagrams {
                        counter,
                        node: node.clone(),
                        count: range(c),
                    });
                }
            }
        }
        for c in &e.counters {
            let Some(node) = self.node_ref(&c.node) else {
                ok = false;
                continue;
            };
            let before = all.len();
            for (counter, count) in [
                (NodeCounter::Received, c.received),
                (NodeCounter::Dropped, c.dropped),
                (NodeCounter::Oversized, c.oversized),
                (NodeCounter::Malformed, c.malformed),
                (NodeCounter::UnknownSession, c.unknown_session),
                (NodeCounter::Undecryptable, c.undecryptable),
                (NodeCounter::Unsupported, c.unsupported),
                (NodeCounter::UnsecuredTableFull, c.unsecured_table_full),
                (NodeCounter::Duplicates, c.duplicates),
                (NodeCounter::UnsolicitedDropped, c.unsolicited_dropped),
                (NodeCounter::HandshakesRefused, c.handshakes_refused),
                (NodeCounter::Delivered, c.delivered),
                (NodeCounter::UnsecuredEvicted, c.unsecured_evicted),
                (NodeCounter::StoreErrors, c.store_errors),
                (NodeCounter::HandshakesRunning, c.handshakes_running),
                (NodeCounter::UnsecuredSessions, c.unsecured_sessions),
                (NodeCounter::SecureSessions, c.secure_sessions),
            ] {
                if let Some(count) = count {
                    all.push(Expectation::Node {
                        node: node.clone(),
                        counter,
                        count: range(count),
                    });
                }
            }
            if all.len() == before {
                self.error(
                    &c.node.referenced,
                    "a counter expectation lists no counter",
                    Some("add e.g. `undecryptable: \">=1\"`".to_owned()),
                );
                ok = false;
            }
        }
        for t in &e.trace {
            let Some(node) = self.node_ref(&t.node) else {
                ok = false;
                continue;
            };
            if t.contains.is_empty() {
                self.error(&t.node.referenced, "`contains` is empty", None);
                ok = false;
            }
            all.push(Expectation::Trace {
                node,
                text: t.contains.clone(),
                count: t.count.map_or(CountRange::at_least(1), range),
            });
        }
        if all.is_empty() && ok {
            self.error(
                at,
                "`expect` lists nothing to check",
                Some(
                    "add sessions, resumption, events, outcome, datagrams, counters or trace"
                        .to_owned(),
                ),
            );
            return None;
        }
        ok.then_some(Expectation::All(all))
    }
}

fn kind(k: Kind) -> SessionKind {
    match k {
        Kind::Pase => SessionKind::Pase,
        Kind::Case => SessionKind::Case,
    }
}

fn range(c: Count) -> CountRange {
    CountRange {
        min: c.min,
        max: c.max,
    }
}

fn event_kind(e: EventName) -> EventKind {
    match e {
        EventName::SessionOpened => EventKind::SessionOpened,
        EventName::SessionResumed => EventKind::SessionResumed,
        EventName::SessionClosed => EventKind::SessionClosed,
        EventName::HandshakeFailed => EventKind::HandshakeFailed,
        EventName::DeliveryFailed => EventKind::DeliveryFailed,
        EventName::Acked => EventKind::Acked,
        EventName::AppReceived => EventKind::AppReceived,
        EventName::ExchangeClosed => EventKind::ExchangeClosed,
    }
}
