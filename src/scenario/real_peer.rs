//! Real peers: a node written `peer: matterjs` is the pinned matter.js device, run for real on
//! loopback (`paseo_sim::interop::script`); `peer: any` marks the device a conformance suite
//! may substitute (`paseo conform`). Both are checked here, at plan time, against what a
//! real peer allows: one commissioner (our node) and the device, steps our node drives, and
//! expectations about what we can see. Anything else is an error with its position, never
//! ignored (docs/SCENARIOS.md, "Real peers").

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::diagnostic::Diagnostic;
use super::model::{File, Liveness, NodeDef, Role, Step};

/// Which stack a `peer:` node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerKind {
    /// The matter.js 0.17.9 device of `sim/interop/matterjs/`.
    Matterjs,
    /// Substitutable: our simulated device by default, any stack under `paseo conform`.
    Any,
}

/// The matter.js device's fixed setup (`sim/interop/matterjs/device.mjs`).
pub const MATTERJS_PASSCODE: u32 = 20202021;
/// Its discriminator.
pub const MATTERJS_DISCRIMINATOR: u16 = 3840;

/// The real-peer facts of a checked scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealPeer {
    /// Which stack the device is (after any substitution).
    pub kind: PeerKind,
    /// The device node's name.
    pub device: String,
    /// Our node's name (the commissioner).
    pub ours: String,
    /// Whether the steps close a session with CloseSession (the device then logs at debug
    /// level, where matter.js says what it did with it).
    pub closes: bool,
}

struct Checker<'a> {
    file: &'a str,
    errors: Vec<Diagnostic>,
    ours: String,
    device: String,
    what: &'static str,
    closes: bool,
}

/// Checks `file` if a node has `peer:`; `substitute` replaces `peer: any` (conform).
/// Returns the real-peer facts (`None` without a `peer:` node) and the errors.
pub fn check(
    path: &str,
    file: &File,
    substitute: Option<PeerKind>,
) -> (Option<RealPeer>, Vec<Diagnostic>) {
    let with_peer: Vec<&NodeDef> = file.nodes.iter().filter(|n| n.peer.is_some()).collect();
    let Some(first) = with_peer.first() else {
        return (None, Vec::new());
    };
    let Some(peer_key) = first.peer.as_ref() else {
        return (None, Vec::new());
    };
    let kind = match (peer_key.value, substitute) {
        (PeerKind::Any, Some(k)) => k,
        (k, _) => k,
    };
    let mut c = Checker {
        file: path,
        errors: Vec::new(),
        ours: String::new(),
        device: first.name.value.clone(),
        what: match kind {
            PeerKind::Matterjs => "a matter.js device",
            PeerKind::Any => "a substitutable (`peer: any`) device",
        },
        closes: false,
    };
    for extra in with_peer.iter().skip(1) {
        if let Some(p) = &extra.peer {
            c.error(&p.referenced, "only one node can be a real peer", None);
        }
    }
    if first.role.value != Role::Device {
        c.error(
            &peer_key.referenced,
            "a real peer is a device (matter.js runs only in the device role here)",
            Some("write `role: device`".into()),
        );
    }
    let others: Vec<&NodeDef> = file.nodes.iter().filter(|n| n.peer.is_none()).collect();
    match others.as_slice() {
        [ours] => {
            c.ours = ours.name.value.clone();
            if ours.role.value != Role::Commissioner {
                c.error(
                    &ours.role.referenced,
                    "beside a real peer, the other node is our commissioner",
                    None,
                );
            }
            for (at, key) in [
                (ours.store.as_ref().map(|_| ours.name.referenced), "store"),
                (ours.sync_delay.as_ref().map(|s| s.referenced), "sync_delay"),
            ] {
                if let Some(at) = at {
                    c.error(
                        &at,
                        format!("`{key}` does not apply: beside a real peer our node keeps its records in memory and is never restarted"),
                        None,
                    );
                }
            }
        }
        _ => c.error(
            &first.name.referenced,
            format!(
                "a scenario with a real peer has exactly two nodes, our commissioner and the device (it has {})",
                file.nodes.len()
            ),
            None,
        ),
    }
    c.device_keys(first);
    if file.fabrics.len() > 1
        && let Some(second) = file.fabrics.get(1)
    {
        c.error(
            &second.name.referenced,
            "a real-peer scenario has at most one fabric",
            None,
        );
    }
    if let Some(Liveness::For(_)) = file.liveness {
        c.error(
            &file.name.referenced,
            "a liveness phase needs the simulator (probes on both ends); a real-peer scenario has none",
            Some("remove `liveness` or write `liveness: off`".into()),
        );
    }
    for step in &file.steps {
        c.step(step);
    }
    let real = RealPeer {
        kind,
        device: c.device.clone(),
        ours: c.ours.clone(),
        closes: c.closes,
    };
    (Some(real), c.errors)
}

impl Checker<'_> {
    fn error(&mut self, at: &Location, message: impl Into<String>, help: Option<String>) {
        self.errors
            .push(Diagnostic::at(self.file, at, message).maybe_help(help));
    }

    fn unsupported(&mut self, at: &Location, what: &str, help: Option<&str>) {
        let message = format!("`{what}` cannot be used with {}", self.what);
        self.error(at, message, help.map(str::to_owned));
    }

    /// Keys a real device does not take (its setup is fixed in device.mjs).
    fn device_keys(&mut self, d: &NodeDef) {
        if let Some(p) = &d.passcode
            && p.value != MATTERJS_PASSCODE
        {
            self.error(
                &p.referenced,
                format!("the matter.js device's passcode is {MATTERJS_PASSCODE}"),
                Some("try a wrong passcode with `pair: {…, passcode: …}` instead".into()),
            );
        }
        if let Some(x) = &d.discriminator
            && x.value != MATTERJS_DISCRIMINATOR
        {
            self.error(
                &x.referenced,
                format!("the matter.js device's discriminator is {MATTERJS_DISCRIMINATOR}"),
                None,
            );
        }
        let at = d.name.referenced;
        let set: [(bool, &str); 9] = [
            (d.mrp.is_some(), "mrp"),
            (d.store.is_some(), "store"),
            (d.sync_delay.is_some(), "sync_delay"),
            (d.busy.is_some(), "busy"),
            (d.busy_wait.is_some(), "busy_wait"),
            (d.counter_start.is_some(), "counter_start"),
            (d.max_sessions.is_some(), "max_sessions"),
            (d.max_sessions_per_peer.is_some(), "max_sessions_per_peer"),
            (!d.faults.is_empty(), "faults"),
        ];
        for (present, key) in set {
            if present {
                let message = format!("`{key}` cannot be set on {}: it runs as it is", self.what);
                self.error(&at, message, None);
            }
        }
        if let Some(f) = d.fabrics.first() {
            self.error(
                &f.referenced,
                format!("{} joins a fabric only through `commission`", self.what),
                None,
            );
        }
    }

    fn must_be_ours(&mut self, name: &Spanned<String>, role: &str) {
        if name.value != self.ours && !self.ours.is_empty() {
            let message = format!(
                "the {role} must be our node `{}`: {} is only driven through the protocol",
                self.ours, self.what
            );
            self.error(&name.referenced, message, None);
        }
    }

    fn step(&mut self, step: &Spanned<Step>) {
        let at = step.referenced;
        match &step.value {
            Step::Pair(_) | Step::Commission(_) | Step::Wait(_) | Step::SetNetwork(_) => {}
            Step::Case(s) | Step::Resume(s) => self.must_be_ours(&s.initiator, "initiator"),
            Step::Exchange(s) => {
                self.must_be_ours(&s.from, "sender");
                if s.reliable == Some(false) {
                    self.unsupported(&at, "exchange: {reliable: false}", Some("an exchange with a real device is an IM read, always reliable"));
                }
            }
            Step::Close(s) => {
                self.must_be_ours(&s.node, "closing node");
                if s.send_close != Some(false) {
                    self.closes = true;
                }
            }
            Step::Partition(_) | Step::Heal(_) => self.unsupported(
                &at,
                "partition/heal",
                Some("cut the link with `set_network: {loss: 100%}` and restore it with another `set_network`"),
            ),
            Step::Crash(_) => self.unsupported(
                &at,
                "crash",
                Some("a real device's storage is its own: use `restart` (a clean stop and start on the same storage)"),
            ),
            Step::Sync(_) => self.unsupported(&at, "sync", None),
            Step::Restart(n) => {
                if n.value != self.device {
                    self.error(
                        &n.referenced,
                        "only the device can be restarted beside a real peer (our node keeps its records in memory)",
                        None,
                    );
                }
            }
            Step::Capture(_)
            | Step::Inject(_)
            | Step::Flood(_)
            | Step::CorruptStore(_)
            | Step::FillSessionIds(_) => self.unsupported(
                &at,
                "hostile steps (capture, inject, flood, corrupt_store, fill_session_ids)",
                Some("they act inside the simulated network and nodes; run them against our own device"),
            ),
            Step::Parallel(_) => self.unsupported(
                &at,
                "parallel",
                Some("our node drives one flow at a time against a real device"),
            ),
            Step::Sequence(inner) => {
                for s in inner {
                    self.step(s);
                }
            }
            Step::Expect(e) => {
                for s in &e.sessions {
                    if s.between.is_some() {
                        self.unsupported(
                            &at,
                            "sessions: {between: …}",
                            Some("the device's session table cannot be seen: write `{node: <ours>, peer: <device>}`"),
                        );
                    }
                    if let Some(n) = &s.node {
                        self.must_be_ours(n, "node of a session expectation");
                    }
                }
                for r in &e.resumption {
                    self.must_be_ours(&r.node, "node of a resumption expectation");
                }
                for ev in &e.events {
                    self.must_be_ours(&ev.node, "node of an events expectation");
                }
                for c in &e.counters {
                    self.must_be_ours(&c.node, "node of a counters expectation");
                }
                if let Some(d) = &e.datagrams
                    && let Some(n) = &d.node
                    && n.value == self.device
                    && d.duplicates_received.is_some()
                {
                    self.unsupported(
                        &n.referenced,
                        "datagrams: {duplicates_received} of the device",
                        Some("what the device recognises as duplicates cannot be seen"),
                    );
                }
            }
        }
    }
}
