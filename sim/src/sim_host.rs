//! The host software of a simulated node: a fresh [`Node`] on the surviving disk, driven by
//! the node loop, with [`SimHooks`] turning everything it sees into trace records and oracle
//! checks.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

use paseo_core::node::{Event, ExchangeCloseReason, Node, RxDecision, Transmit};
use paseo_core::session::Session;
use paseo_core::time::Instant;

use crate::command::{ActionId, Command, Outcome};
use crate::host::{APP_PROTOCOL, Hooks, NodeLoop, message_tag};
use crate::io::{Clock, SimSocket, TurmoilClock};
use crate::oracle::secure_session_of;
use crate::seed;
use crate::sim::case_glue;
use crate::trace::{HeaderSummary, RecordKind, TraceRecord, WireDatagram, summarize};
use crate::world::Commissioning;
use crate::world::{HostState, World};
use paseo_core::pase::{Passcode, PbkdfParameters, Verifier};

/// The host software turmoil runs (again after each restart): a fresh node on the surviving
/// disk, then the node loop until the host is crashed.
pub(crate) async fn run_host(world: Rc<World>, host: Rc<HostState>) -> turmoil::Result {
    let now = TurmoilClock.now();
    // The previous incarnation's timer died with it.
    host.parked.set(None);
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
    let mut fabrics = host.spec.fabrics.clone();
    for creds in host.joined.borrow().iter() {
        fabrics.push(creds.fabric().clone());
        if let Err(e) = case_glue::add_fabric(&mut node, creds) {
            world.action_line(
                now,
                &host.name,
                "-",
                String::new(),
                &format!("fabric not restored: {e}"),
            );
        }
    }
    if let Some(setup) = &host.spec.commissioning {
        match commissioning_window(setup) {
            Ok((verifier, pbkdf)) => node.open_commissioning_window(verifier, pbkdf),
            Err(e) => world.action_line(
                now,
                &host.name,
                "-",
                String::new(),
                &format!("no commissioning window: {e}"),
            ),
        }
    }
    let loaded = node.sessions_mut().init_from_storage(&fabrics);
    let what = match (&loaded, restarts) {
        (Ok(n), 0) => format!("started ({n} resumption records loaded)"),
        (Ok(n), r) => format!("restarted #{r} ({n} resumption records loaded)"),
        (Err(e), 0) => format!("started, resumption records not loaded: {e}"),
        (Err(e), r) => format!("restarted #{r}, resumption records not loaded: {e}"),
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

/// The verifier and PBKDF parameters of a device's commissioning window.
fn commissioning_window(setup: &Commissioning) -> Result<(Verifier, PbkdfParameters), String> {
    let pbkdf = PbkdfParameters::new(setup.iterations, &setup.salt).map_err(|e| e.to_string())?;
    let passcode = Passcode::new(setup.passcode).map_err(|e| e.to_string())?;
    let verifier = Verifier::from_passcode(&passcode, &pbkdf).map_err(|e| e.to_string())?;
    Ok((verifier, pbkdf))
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
        let addr = match exchange.session {
            // Handshakes run on unsecured sessions, keyed by the peer's address.
            paseo_core::exchange::SessionRef::Unsecure(key) => Some(key.peer),
            _ => secure_session_of(exchange).and_then(|sid| self.peer_addr(node, sid)),
        };
        let peer = addr.map_or_else(|| "-".to_owned(), |a| self.world.name_of(a));
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

/// The trace's word for what a node decided about a datagram it was handed.
pub(crate) fn rx_text(decision: Option<RxDecision>) -> &'static str {
    match decision {
        Some(RxDecision::Delivered) => "delivered",
        Some(RxDecision::Ack) => "acked",
        Some(RxDecision::Duplicate) => "duplicate",
        Some(RxDecision::Malformed) => "dropped malformed",
        Some(RxDecision::Oversized) => "dropped oversized",
        Some(RxDecision::UnknownSession) => "dropped unknown session",
        Some(RxDecision::Undecryptable) => "dropped undecryptable",
        Some(RxDecision::Unsupported) => "dropped unsupported",
        Some(RxDecision::Unsolicited) => "dropped unsolicited",
        Some(RxDecision::SessionClosing) => "dropped session closing",
        Some(RxDecision::Refused) => "refused",
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

    fn waiting(&mut self, deadline: Option<Instant>) {
        self.host.parked.set(deadline);
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

    fn injected(&mut self, now: Instant, to: SocketAddr, datagram: &[u8], what: &str) {
        // Summarized with the receiver's keys, as a sent datagram is; no oracle sees it: the
        // bytes are not this node's own message.
        let summary = self
            .world
            .host_at(to)
            .and_then(|p| {
                p.with_node(|peer_node| {
                    let session = crate::trace::header_ids(datagram)
                        .and_then(|(sid, _)| peer_node.sessions().get_session(sid));
                    summarize(datagram, session)
                })
            })
            .unwrap_or_else(|| summarize(datagram, None));
        self.world.record(TraceRecord {
            at: now,
            node: self.host.name.clone(),
            kind: RecordKind::Tx,
            peer: self.world.name_of(to),
            header: Some(summary),
            subject: String::new(),
            decision: format!("injected ({what})"),
            wire: Some(WireDatagram {
                src: self.host.addr,
                dst: to,
                bytes: datagram.to_vec(),
            }),
        });
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
                if let Some(session) = s {
                    // Both ends open the same session: log its keys once.
                    let entry = session.key_log();
                    let mut recorder = self.world.recorder.borrow_mut();
                    if !recorder.keylog.contains(entry) {
                        recorder.keylog.push(entry.clone());
                    }
                }
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
            Event::HandshakeFailed {
                exchange,
                kind,
                error,
            } => {
                let (peer, x) = self.exchange_subject(node, exchange);
                (peer, x, format!("{kind:?} handshake failed ({error})"))
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
        if let Event::SessionClosed { session_id, .. } = event {
            self.world
                .recorder
                .borrow_mut()
                .closed
                .push((self.host.index, *session_id));
        }
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
