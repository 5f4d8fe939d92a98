//! Writes a [`Recipe`] as a scenario file the parser accepts, deciding each step's `outcome`.
//!
//! A step is written `outcome: ok` only when the generator can guarantee it: the link between
//! `ctrl` and the device loses nothing and is not cut, both ends are up, and what the step
//! needs is known to be there (a session that a guaranteed handshake opened and nothing since
//! may have closed, a device known to be on the fabric). Everything else is `outcome: any`: a
//! handshake under 40 % loss that fails because MRP gave up is legitimate, not a finding.
//! Duplication and reordering (at most 200 ms) do not void a guarantee: the protocol must
//! survive them. A device that took part in a step whose outcome was not guaranteed is
//! "tainted" until it restarts: it may still hold half a handshake, so later handshakes with it
//! are not guaranteed either. After every guaranteed handshake an `expect` checks that both
//! ends hold the session.

use std::fmt::Write as _;

use super::recipe::{Handshake, Interrupt, Main, Op, Recipe, Who};

/// Name of the commissioner.
const CTRL: &str = "ctrl";
/// Name of the fabric.
const FABRIC: &str = "home";

/// What the generator knows of the latest session between `ctrl` and a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    /// Both ends hold it (opened by a guaranteed handshake): `true` for CASE.
    Open(bool),
    /// Anything may be.
    Unknown,
}

#[derive(Clone, Debug)]
struct Device {
    up: bool,
    tainted: bool,
    session: Known,
    /// `Some(true)`: known to be on the fabric.
    on_fabric: Option<bool>,
    partitioned: bool,
}

/// The generator's model of the run, step by step.
struct Model {
    case: bool,
    ctrl_up: bool,
    loss: u8,
    duplicate: u8,
    reorder: u16,
    latency: u8,
    devices: Vec<Device>,
    /// Devices some `commission` step puts on the fabric (the parser wants one before `case`).
    commissioned: Vec<bool>,
}

/// The name of device `index` (taken modulo the count).
fn dev_name(recipe: &Recipe, dev: u8) -> String {
    format!("dev{}", dev % recipe.devices.max(1) + 1)
}

fn who_name(recipe: &Recipe, who: Who) -> String {
    match who {
        Who::Ctrl => CTRL.to_owned(),
        Who::Dev(d) => dev_name(recipe, d),
    }
}

impl Model {
    fn new(recipe: &Recipe) -> Self {
        let n = usize::from(recipe.devices.max(1));
        let mut commissioned = vec![false; n];
        for op in &recipe.ops {
            let (dev, kind) = match op {
                Op::Handshake { kind, dev } => (*dev, *kind),
                Op::During {
                    dev,
                    main: Main::Handshake(kind),
                    ..
                } => (*dev, *kind),
                _ => continue,
            };
            if kind == Handshake::Commission
                && let Some(c) = commissioned.get_mut(usize::from(dev) % n)
            {
                *c = true;
            }
        }
        Model {
            case: recipe.case,
            ctrl_up: true,
            loss: 0,
            duplicate: 0,
            reorder: 0,
            latency: recipe.latency_ms.max(1),
            devices: vec![
                Device {
                    up: true,
                    tainted: false,
                    session: Known::Unknown,
                    on_fabric: Some(recipe.case && recipe.devices_on_fabric),
                    partitioned: false,
                };
                n
            ],
            commissioned,
        }
    }

    fn index(&self, dev: u8) -> usize {
        usize::from(dev) % self.devices.len().max(1)
    }

    fn dev(&mut self, dev: u8) -> &mut Device {
        let i = self.index(dev);
        // `index` is taken modulo the length, which is at least 1.
        &mut self.devices[i]
    }

    /// The link with the device loses nothing and both ends are up.
    fn clean(&self, dev: u8) -> bool {
        let d = &self.devices[self.index(dev)];
        self.loss == 0 && !d.partitioned && d.up && self.ctrl_up
    }

    /// The handshake `kind` written for this recipe (without CASE every handshake is `pair`;
    /// a `case` before any `commission` of a device not on the fabric would not parse).
    fn effective(&self, kind: Handshake, dev: u8) -> Handshake {
        if !self.case {
            return Handshake::Pair;
        }
        let i = self.index(dev);
        let member = self.devices[i].on_fabric == Some(true) || self.commissioned[i];
        match kind {
            Handshake::Case | Handshake::Resume if !member => Handshake::Commission,
            k => k,
        }
    }

    fn set_network(&self) -> String {
        let lo = self.latency;
        let hi = u16::from(lo) + 10;
        format!(
            "set_network: {{latency: {lo}ms..{hi}ms, loss: {}%, duplicate: {}%, reorder: {}ms}}",
            self.loss, self.duplicate, self.reorder
        )
    }

    fn crash(&mut self, who: Who) {
        match who {
            Who::Ctrl => {
                self.ctrl_up = false;
                for d in &mut self.devices {
                    d.session = Known::Unknown;
                }
            }
            Who::Dev(i) => {
                let d = self.dev(i);
                d.up = false;
                d.tainted = true;
                d.session = Known::Unknown;
            }
        }
    }

    fn restart(&mut self, who: Who) {
        match who {
            Who::Ctrl => {
                self.ctrl_up = true;
                for d in &mut self.devices {
                    d.session = Known::Unknown;
                }
            }
            Who::Dev(i) => {
                // A fresh start: no half handshake survives (the NOC does, as a device keeps
                // it; sessions do not).
                let d = self.dev(i);
                d.up = true;
                d.tainted = false;
                d.session = Known::Unknown;
            }
        }
    }

    /// The handshake step's text and whether it is guaranteed; applies its effect.
    fn handshake(&mut self, recipe: &Recipe, kind: Handshake, dev: u8, guaranteed: bool) -> String {
        let name = dev_name(recipe, dev);
        let kind = self.effective(kind, dev);
        let clean = self.clean(dev);
        let d = self.devices[self.index(dev)].clone();
        let ok = guaranteed
            && clean
            && !d.tainted
            && match kind {
                Handshake::Pair => true,
                Handshake::Commission => d.on_fabric == Some(false),
                Handshake::Case => d.on_fabric == Some(true),
                Handshake::Resume => false,
            };
        let outcome = if ok { "ok" } else { "any" };
        let text = match kind {
            Handshake::Pair => {
                format!("pair: {{commissioner: {CTRL}, device: {name}, outcome: {outcome}}}")
            }
            Handshake::Commission => format!(
                "commission: {{commissioner: {CTRL}, device: {name}, fabric: {FABRIC}, outcome: {outcome}}}"
            ),
            Handshake::Case | Handshake::Resume => format!(
                "{}: {{initiator: {CTRL}, responder: {name}, fabric: {FABRIC}, outcome: {outcome}}}",
                if kind == Handshake::Case {
                    "case"
                } else {
                    "resume"
                }
            ),
        };
        let d = self.dev(dev);
        if ok {
            d.session = Known::Open(kind != Handshake::Pair);
            if kind == Handshake::Commission {
                d.on_fabric = Some(true);
            }
        } else {
            d.session = Known::Unknown;
            if kind == Handshake::Commission {
                d.on_fabric = None;
            }
            // A resumption that fails cleanly leaves nothing behind; anything under faults may.
            if !clean || kind != Handshake::Resume {
                d.tainted = true;
            }
        }
        text
    }

    /// After a guaranteed handshake: both ends hold the session.
    fn expect_session(&self, recipe: &Recipe, dev: u8) -> Option<String> {
        let Known::Open(case) = self.devices[self.index(dev)].session else {
            return None;
        };
        Some(format!(
            "expect: {{within: 1s, sessions: [{{between: [{CTRL}, {}], kind: {}}}]}}",
            dev_name(recipe, dev),
            if case { "case" } else { "pase" }
        ))
    }

    fn exchange(&self, recipe: &Recipe, dev: u8, from_device: bool, n: u8, ok: bool) -> String {
        let name = dev_name(recipe, dev);
        let (from, to) = if from_device {
            (name.as_str(), CTRL)
        } else {
            (CTRL, name.as_str())
        };
        let outcome = if ok { "ok" } else { "any" };
        format!("exchange: {{from: {from}, to: {to}, messages: {n}, outcome: {outcome}}}")
    }

    fn close(
        &mut self,
        recipe: &Recipe,
        dev: u8,
        by_device: bool,
        send_close: bool,
        after_exchange: bool,
    ) -> String {
        let name = dev_name(recipe, dev);
        let (node, peer) = if by_device {
            (name.as_str(), CTRL)
        } else {
            (CTRL, name.as_str())
        };
        let clean = self.clean(dev);
        let d = self.dev(dev);
        let ok = clean && matches!(d.session, Known::Open(_));
        // A session closed without CloseSession (or with one that may be lost) stays at the
        // other end: nothing is known of the latest session any more.
        d.session = Known::Unknown;
        let outcome = if ok { "ok" } else { "any" };
        format!(
            "close: {{node: {node}, peer: {peer}, send_close: {send_close}, after_exchange: {after_exchange}, outcome: {outcome}}}"
        )
    }
}

/// The steps of `recipe`, one YAML list item each (with its nested lines).
fn steps(recipe: &Recipe) -> Vec<String> {
    let mut m = Model::new(recipe);
    let mut out = Vec::new();
    for op in &recipe.ops {
        match *op {
            Op::Wait(ms) => out.push(format!("wait: {ms}ms")),
            Op::Sync(dev) => {
                if m.devices[m.index(dev)].up {
                    out.push(format!("sync: {}", dev_name(recipe, dev)));
                }
            }
            Op::Heal => {
                for d in &mut m.devices {
                    d.partitioned = false;
                }
                out.push("heal: {all: true}".to_owned());
            }
            Op::Loss(p) => {
                m.loss = p;
                out.push(m.set_network());
            }
            Op::Duplicate(p) => {
                m.duplicate = p;
                out.push(m.set_network());
            }
            Op::Reorder(ms) => {
                m.reorder = ms;
                out.push(m.set_network());
            }
            Op::Partition { dev, one_way } => {
                m.dev(dev).partitioned = true;
                out.push(format!(
                    "partition: {{from: {CTRL}, to: {}, one_way: {one_way}}}",
                    dev_name(recipe, dev)
                ));
            }
            Op::Crash(who) => {
                m.crash(who);
                out.push(format!("crash: {}", who_name(recipe, who)));
            }
            Op::Restart(who) => {
                m.restart(who);
                out.push(format!("restart: {}", who_name(recipe, who)));
            }
            Op::Handshake { kind, dev } => {
                out.push(m.handshake(recipe, kind, dev, true));
                if let Some(e) = m.expect_session(recipe, dev) {
                    out.push(e);
                }
            }
            Op::Exchange {
                dev,
                from_device,
                messages,
                reliable,
            } => {
                let ok = reliable
                    && m.clean(dev)
                    && matches!(m.devices[m.index(dev)].session, Known::Open(_));
                let mut text = m.exchange(recipe, dev, from_device, messages, ok);
                if !reliable {
                    text = text.replace(", outcome:", ", reliable: false, outcome:");
                }
                out.push(text);
            }
            Op::Close {
                dev,
                by_device,
                send_close,
                after_exchange,
            } => out.push(m.close(recipe, dev, by_device, send_close, after_exchange)),
            Op::During {
                dev,
                main,
                after_ms,
                fault,
            } => out.push(during(&mut m, recipe, dev, main, after_ms, fault)),
        }
    }
    out
}

/// `parallel: [main, sequence: [wait, fault]]`.
fn during(
    m: &mut Model,
    recipe: &Recipe,
    dev: u8,
    main: Main,
    after_ms: u16,
    fault: Interrupt,
) -> String {
    let main_text = match main {
        // A handshake cut by a fault guarantees nothing.
        Main::Handshake(kind) => m.handshake(recipe, kind, dev, false),
        Main::Exchange {
            from_device,
            messages,
        } => {
            // The one guarantee: a close by the sender that waits for its exchanges
            // (matter.js `session/NodeSession.ts`: a session closes after its exchanges when
            // asked to).
            let ok = m.clean(dev)
                && matches!(m.devices[m.index(dev)].session, Known::Open(_))
                && matches!(
                    fault,
                    Interrupt::Close {
                        by_device,
                        after_exchange: true,
                        ..
                    } if by_device == from_device
                );
            m.exchange(recipe, dev, from_device, messages, ok)
        }
    };
    let fault_text = match fault {
        Interrupt::Crash(who) => {
            m.crash(who);
            format!("crash: {}", who_name(recipe, who))
        }
        Interrupt::Restart(who) => {
            m.restart(who);
            format!("restart: {}", who_name(recipe, who))
        }
        Interrupt::Partition { one_way } => {
            m.dev(dev).partitioned = true;
            format!(
                "partition: {{from: {CTRL}, to: {}, one_way: {one_way}}}",
                dev_name(recipe, dev)
            )
        }
        Interrupt::Close {
            by_device,
            send_close,
            after_exchange,
        } => m.close(recipe, dev, by_device, send_close, after_exchange),
    };
    // Whatever ran beside the fault may have been cut halfway.
    let d = m.dev(dev);
    d.session = Known::Unknown;
    if matches!(main, Main::Handshake(_)) {
        d.tainted = true;
    }
    format!(
        "parallel:\n      - {main_text}\n      - sequence:\n          - wait: {after_ms}ms\n          - {fault_text}"
    )
}

/// How the file was found, for its comment header.
#[derive(Clone, Debug, Default)]
pub struct Provenance {
    /// Lines of the comment header (without `# `).
    pub lines: Vec<String>,
}

/// The scenario file of `recipe` at `seed`.
pub fn yaml(recipe: &Recipe, seed: u64, provenance: &Provenance) -> String {
    let mut out = String::new();
    for line in &provenance.lines {
        let _ = writeln!(out, "# {line}");
    }
    let _ = writeln!(out, "name: explore-{seed}");
    let _ = writeln!(
        out,
        "description: Generated by paseo explore from seed {seed} ({} device(s), {} step(s)).",
        recipe.devices.max(1),
        recipe.ops.len()
    );
    let _ = writeln!(out, "seed: {seed}");
    if recipe.case {
        let _ = writeln!(out, "requires: [case]");
    }
    let _ = writeln!(out, "time_limit: 900s");
    let lo = recipe.latency_ms.max(1);
    let _ = writeln!(out, "network:\n  latency: {lo}ms..{}ms", u16::from(lo) + 10);
    if recipe.case {
        let _ = writeln!(out, "fabrics:\n  - {{name: {FABRIC}}}");
    }
    let _ = writeln!(out, "nodes:");
    if recipe.case {
        let _ = writeln!(
            out,
            "  - {{name: {CTRL}, role: commissioner, fabrics: [{FABRIC}]}}"
        );
    } else {
        let _ = writeln!(out, "  - {{name: {CTRL}, role: commissioner}}");
    }
    for i in 0..recipe.devices.max(1) {
        let fabrics = if recipe.case && recipe.devices_on_fabric {
            format!(", fabrics: [{FABRIC}]")
        } else {
            String::new()
        };
        let store = if recipe.memory_store {
            "store: memory".to_owned()
        } else {
            format!("store: disk, sync_delay: {}ms", recipe.sync_delay_ms)
        };
        let _ = writeln!(
            out,
            "  - {{name: {}, role: device, {store}{fabrics}}}",
            dev_name(recipe, i)
        );
    }
    let _ = writeln!(out, "steps:");
    for step in steps(recipe) {
        let _ = writeln!(out, "  - {step}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(ops: Vec<Op>) -> Recipe {
        Recipe {
            devices: 1,
            case: false,
            devices_on_fabric: false,
            memory_store: true,
            sync_delay_ms: 0,
            latency_ms: 5,
            ops,
        }
    }

    #[test]
    fn a_handshake_under_loss_may_fail_and_one_on_a_clean_link_must_not() {
        let text = yaml(
            &base(vec![
                Op::Handshake {
                    kind: Handshake::Pair,
                    dev: 0,
                },
                Op::Loss(40),
                Op::Handshake {
                    kind: Handshake::Pair,
                    dev: 0,
                },
            ]),
            3,
            &Provenance::default(),
        );
        let pairs: Vec<&str> = text.lines().filter(|l| l.contains("pair:")).collect();
        assert_eq!(pairs.len(), 2, "{text}");
        assert!(pairs[0].contains("outcome: ok"), "{text}");
        assert!(pairs[1].contains("outcome: any"), "{text}");
    }

    #[test]
    fn a_device_touched_under_faults_is_not_guaranteed_until_it_restarts() {
        let pair = Op::Handshake {
            kind: Handshake::Pair,
            dev: 0,
        };
        let text = yaml(
            &base(vec![
                Op::Loss(30),
                pair,
                Op::Loss(0),
                pair,
                Op::Restart(Who::Dev(0)),
                pair,
            ]),
            0,
            &Provenance::default(),
        );
        let outcomes: Vec<bool> = text
            .lines()
            .filter(|l| l.contains("pair:"))
            .map(|l| l.contains("outcome: ok"))
            .collect();
        assert_eq!(outcomes, [false, false, true], "{text}");
    }
}
