//! The node loop: one async task per Matter node that drives a sans-IO [`Node`] from a
//! [`DatagramIo`] and a [`Clock`], plus the small application that carries out the scenario's
//! [`Command`]s on it.
//!
//! Each turn of the loop: run due commands, run due timers (`handle_timeout`), flush (hand
//! every queued datagram to the socket, then deliver every event to the hooks and the
//! application, which may queue more), then wait for the first of: a command, a datagram, the
//! node's next deadline. Everything the loop sees goes through [`Hooks`], which is where the
//! simulator records its trace and checks its oracles; the loop itself knows nothing of either.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use paseo_core::codec::{InteractionModelOpcode, ProtocolId};
use paseo_core::exchange::ExchangeId;
use paseo_core::node::{Diagnostic, Event, Node, RxDecision, SendOptions, Transmit};
use paseo_core::pase::Passcode;
use paseo_core::session::Session;
use paseo_core::time::Instant;

use crate::command::{ActionId, Command, Outcome};
use crate::io::{Clock, DatagramIo};
use crate::trace::HeaderSummary;

/// The protocol application messages are sent on (nodes register it at start).
pub const APP_PROTOCOL: ProtocolId = ProtocolId::INTERACTION_MODEL;
/// The opcode of application messages; the payload is an 8-byte big-endian tag.
pub const APP_OPCODE: InteractionModelOpcode = InteractionModelOpcode::InvokeRequest;

/// The tag an application message carries, if `payload` is one.
pub fn message_tag(protocol: ProtocolId, opcode: u8, payload: &[u8]) -> Option<u64> {
    if protocol != APP_PROTOCOL || opcode != APP_OPCODE.as_u8() {
        return None;
    }
    let bytes: [u8; 8] = payload.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// What the loop tells its owner, and where it gets commands from.
pub trait Hooks {
    /// Called whenever the loop wakes, before it touches the node.
    fn on_wake(&mut self, now: Instant) {
        let _ = now;
    }
    /// The next command, if one is waiting.
    fn next_command(&mut self) -> Option<Command>;
    /// Resolves when a command may be waiting.
    fn commands_ready(&self) -> impl Future<Output = ()>;
    /// A datagram is about to be handed to the node (which has not seen it yet).
    fn receiving(
        &mut self,
        now: Instant,
        node: &Node,
        from: SocketAddr,
        datagram: &[u8],
    ) -> HeaderSummary;
    /// The node has processed it; `decision` is what it decided (if diagnostics are on).
    fn received(
        &mut self,
        now: Instant,
        node: &Node,
        from: SocketAddr,
        datagram: &[u8],
        summary: HeaderSummary,
        decision: Option<RxDecision>,
    );
    /// The node queued this datagram; it goes to the socket right after. `retransmission` is
    /// 0 for a first transmission, n for the n-th retransmission (if diagnostics are on).
    fn transmitting(
        &mut self,
        now: Instant,
        node: &Node,
        transmit: &Transmit,
        retransmission: Option<u8>,
    );
    /// The node reported an application event.
    fn event(&mut self, now: Instant, node: &Node, event: &Event);
    /// The application sent message `tag` as `counter` on `exchange`.
    fn app_sent(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        counter: u32,
        tag: u64,
        reliable: bool,
    );
    /// A command finished.
    fn outcome(&mut self, now: Instant, action: ActionId, outcome: Outcome);
    /// Raw bytes an [`Command::Inject`] hands to the socket (not the node's own datagram).
    fn injected(&mut self, now: Instant, to: SocketAddr, datagram: &[u8], what: &str) {
        let _ = (now, to, datagram, what);
    }
    /// The socket refused a datagram (UDP is best effort: the loop goes on).
    fn io_error(&mut self, now: Instant, error: &io::Error) {
        let _ = (now, error);
    }
    /// The loop is about to sleep until a command, a datagram or `deadline` (its timer;
    /// `None`: no timer). The simulator keeps it for [`crate::NextEvent`].
    fn waiting(&mut self, deadline: Option<Instant>) {
        let _ = deadline;
    }
}

/// A running exchange command.
#[derive(Debug)]
struct Job {
    action: ActionId,
    remaining: u32,
    next_tag: u64,
    sent: u32,
}

/// The application side of a node: exchange jobs and pending closes. Volatile: it dies with
/// the node.
#[derive(Debug, Default)]
pub struct App {
    jobs: BTreeMap<ExchangeId, Job>,
    closes: BTreeMap<u16, ActionId>,
    /// Handshakes we initiated, by their exchange.
    handshakes: BTreeMap<ExchangeId, HandshakeJob>,
    /// Raw datagrams of [`Command::Inject`] waiting for the socket: (to, bytes, what).
    injections: VecDeque<(SocketAddr, Vec<u8>, String)>,
}

/// A handshake started for an action.
#[derive(Debug)]
struct HandshakeJob {
    action: ActionId,
    peer: SocketAddr,
    is_pase: bool,
}

impl App {
    /// Exchange jobs, closes and handshakes still running.
    pub fn running_jobs(&self) -> usize {
        self.jobs.len() + self.closes.len() + self.handshakes.len()
    }

    fn start_handshake<H: Hooks>(
        &mut self,
        now: Instant,
        hooks: &mut H,
        action: ActionId,
        peer: SocketAddr,
        is_pase: bool,
        started: Result<ExchangeId, String>,
    ) {
        match started {
            Ok(exchange) => {
                self.handshakes.insert(
                    exchange,
                    HandshakeJob {
                        action,
                        peer,
                        is_pase,
                    },
                );
            }
            Err(why) => hooks.outcome(now, action, Outcome::Failed(why)),
        }
    }

    fn execute<H: Hooks>(&mut self, now: Instant, node: &mut Node, hooks: &mut H, cmd: Command) {
        match cmd {
            Command::InstallSession { action, args } => {
                let outcome = match node.install_secure_session(args.as_args(now)) {
                    Ok(id) => Outcome::SessionInstalled(id),
                    Err(e) => Outcome::Failed(e.to_string()),
                };
                hooks.outcome(now, action, outcome);
            }
            Command::Exchange {
                action,
                session_id,
                messages,
                reliable,
                first_tag,
            } => {
                let exchange = match node.open_exchange(session_id, APP_PROTOCOL) {
                    Ok(x) => x,
                    Err(e) => return hooks.outcome(now, action, Outcome::Failed(e.to_string())),
                };
                self.jobs.insert(
                    exchange,
                    Job {
                        action,
                        remaining: messages,
                        next_tag: first_tag,
                        sent: 0,
                    },
                );
                if reliable {
                    self.advance(now, node, hooks, exchange);
                } else {
                    while self.jobs.get(&exchange).is_some_and(|j| j.remaining > 0) {
                        if !self.send_next(now, node, hooks, exchange, false) {
                            return;
                        }
                    }
                    self.finish(now, node, hooks, exchange);
                }
            }
            Command::CloseSession {
                action,
                session_id,
                send_close,
                after_exchange,
            } => match node.close_session(now, session_id, send_close, after_exchange) {
                Ok(()) => {
                    self.closes.insert(session_id, action);
                }
                Err(e) => hooks.outcome(now, action, Outcome::Failed(e.to_string())),
            },
            Command::StartPase {
                action,
                peer,
                passcode,
            } => {
                let started = Passcode::new(passcode)
                    .map_err(|e| e.to_string())
                    .and_then(|p| node.start_pase(now, peer, p).map_err(|e| e.to_string()));
                self.start_handshake(now, hooks, action, peer, true, started);
            }
            Command::StartCase {
                action,
                peer,
                fabric,
                peer_node_id,
            } => {
                let started =
                    crate::sim::case_glue::start_case(node, now, peer, fabric, peer_node_id);
                self.start_handshake(now, hooks, action, peer, false, started);
            }
            Command::Inject {
                action,
                to,
                datagrams,
                what,
            } => {
                for d in datagrams {
                    self.injections.push_back((to, d, what.clone()));
                }
                hooks.outcome(now, action, Outcome::Done);
            }
            Command::SaveResumptionRecord { action, record } => {
                let outcome = match node.sessions_mut().save_resumption_record(*record) {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Failed(e.to_string()),
                };
                hooks.outcome(now, action, outcome);
            }
        }
    }

    /// Sends the job's next message; on failure ends the job and returns `false`.
    fn send_next<H: Hooks>(
        &mut self,
        now: Instant,
        node: &mut Node,
        hooks: &mut H,
        exchange: ExchangeId,
        reliable: bool,
    ) -> bool {
        let Some(job) = self.jobs.get_mut(&exchange) else {
            return false;
        };
        let tag = job.next_tag;
        let options = SendOptions {
            reliable,
            expect_response: false,
        };
        match node.send(
            now,
            exchange,
            APP_OPCODE.as_u8(),
            &tag.to_be_bytes(),
            options,
        ) {
            Ok(counter) => {
                job.next_tag += 1;
                job.remaining -= 1;
                job.sent += 1;
                hooks.app_sent(now, exchange, counter, tag, reliable);
                true
            }
            Err(e) => {
                let action = job.action;
                self.jobs.remove(&exchange);
                let _ = node.close_exchange(now, exchange);
                hooks.outcome(now, action, Outcome::Failed(e.to_string()));
                false
            }
        }
    }

    /// Reliable job: send the next message or, when all went through, finish.
    fn advance<H: Hooks>(
        &mut self,
        now: Instant,
        node: &mut Node,
        hooks: &mut H,
        exchange: ExchangeId,
    ) {
        if self.jobs.get(&exchange).is_some_and(|j| j.remaining > 0) {
            self.send_next(now, node, hooks, exchange, true);
        } else {
            self.finish(now, node, hooks, exchange);
        }
    }

    fn finish<H: Hooks>(
        &mut self,
        now: Instant,
        node: &mut Node,
        hooks: &mut H,
        exchange: ExchangeId,
    ) {
        if let Some(job) = self.jobs.remove(&exchange) {
            let _ = node.close_exchange(now, exchange);
            hooks.outcome(now, job.action, Outcome::Exchanged { sent: job.sent });
        }
    }

    fn fail<H: Hooks>(&mut self, now: Instant, hooks: &mut H, exchange: ExchangeId, why: String) {
        if let Some(job) = self.jobs.remove(&exchange) {
            hooks.outcome(now, job.action, Outcome::Failed(why));
        }
    }

    fn on_event<H: Hooks>(&mut self, now: Instant, node: &mut Node, hooks: &mut H, event: &Event) {
        match event {
            Event::Message { exchange, .. } if !exchange.we_initiated => {
                // Responder: the message is all there is; closing flushes the ack at once.
                let _ = node.close_exchange(now, *exchange);
            }
            Event::Acknowledged { exchange, .. } if self.jobs.contains_key(exchange) => {
                self.advance(now, node, hooks, *exchange);
            }
            Event::DeliveryFailed {
                exchange, reason, ..
            } => self.fail(
                now,
                hooks,
                *exchange,
                format!("delivery failed ({reason:?})"),
            ),
            Event::ExchangeClosed { exchange, reason } => {
                self.fail(
                    now,
                    hooks,
                    *exchange,
                    format!("exchange closed ({reason:?})"),
                );
            }
            Event::SessionClosed { session_id, .. } => {
                if let Some(action) = self.closes.remove(session_id) {
                    hooks.outcome(now, action, Outcome::Done);
                }
            }
            Event::SessionOpened {
                session_id,
                is_pase,
                is_resumption,
            } => {
                let Some((peer, peer_session_id)) = node
                    .sessions()
                    .get_session(*session_id)
                    .map(|s| (s.context().peer_address, s.peer_session_id()))
                else {
                    return;
                };
                let job = self
                    .handshakes
                    .iter()
                    .find(|(_, j)| Some(j.peer) == peer && j.is_pase == *is_pase)
                    .map(|(x, _)| *x);
                if let Some(job) = job.and_then(|x| self.handshakes.remove(&x)) {
                    let outcome = Outcome::Established {
                        session_id: *session_id,
                        peer_session_id,
                        is_pase: *is_pase,
                        is_resumption: *is_resumption,
                    };
                    hooks.outcome(now, job.action, outcome);
                }
            }
            Event::HandshakeFailed {
                exchange,
                kind,
                error,
            } => {
                if let Some(job) = self.handshakes.remove(exchange) {
                    let why = format!("{kind:?} handshake failed: {error}");
                    hooks.outcome(now, job.action, Outcome::Failed(why));
                }
            }
            _ => {}
        }
    }
}

/// One node's event loop over a socket and a clock.
pub struct NodeLoop<Io, C, H> {
    node: Rc<RefCell<Node>>,
    io: Io,
    clock: C,
    hooks: H,
    app: App,
    /// Retransmission numbers of datagrams queued but not yet handed to the socket.
    sent: VecDeque<u8>,
}

impl<Io: DatagramIo, C: Clock, H: Hooks> NodeLoop<Io, C, H> {
    /// A loop driving `node` (shared so that others may look at it between turns; the loop
    /// never holds a borrow across an await).
    pub fn new(node: Rc<RefCell<Node>>, io: Io, clock: C, hooks: H) -> Self {
        NodeLoop {
            node,
            io,
            clock,
            hooks,
            app: App::default(),
            sent: VecDeque::new(),
        }
    }

    /// Runs until the socket fails for good (or the task is dropped: a crash).
    pub async fn run(mut self) -> io::Result<()> {
        loop {
            let now = self.clock.now();
            self.turn(now).await;
            let deadline = self.node.borrow().poll_timeout();
            self.hooks.waiting(deadline);
            tokio::select! {
                biased;
                () = self.hooks.commands_ready() => {}
                received = self.io.recv_from() => {
                    let (datagram, from) = received?;
                    let now = self.clock.now();
                    self.hooks.on_wake(now);
                    self.receive(now, from, &datagram);
                    self.flush(now).await;
                }
                () = sleep_until(&self.clock, deadline) => {}
            }
        }
    }

    /// Commands, timers, flush.
    async fn turn(&mut self, now: Instant) {
        self.hooks.on_wake(now);
        while let Some(cmd) = self.hooks.next_command() {
            let mut node = self.node.borrow_mut();
            self.app.execute(now, &mut node, &mut self.hooks, cmd);
        }
        let due = self.node.borrow().poll_timeout().is_some_and(|t| t <= now);
        if due {
            self.node.borrow_mut().handle_timeout(now);
        }
        self.flush(now).await;
    }

    fn receive(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        let summary = {
            let node = self.node.borrow();
            self.hooks.receiving(now, &node, from, datagram)
        };
        self.node.borrow_mut().handle_datagram(now, from, datagram);
        let decision = self.drain_diagnostics();
        let node = self.node.borrow();
        self.hooks
            .received(now, &node, from, datagram, summary, decision);
    }

    /// Moves diagnostics out of the node: retransmission numbers of sent datagrams are kept
    /// for [`Self::flush`]; the last receive decision is returned.
    fn drain_diagnostics(&mut self) -> Option<RxDecision> {
        let mut decision = None;
        let mut node = self.node.borrow_mut();
        while let Some(d) = node.poll_diagnostic() {
            match d {
                Diagnostic::Sent { retransmission, .. } => self.sent.push_back(retransmission),
                Diagnostic::Received { decision: rx, .. } => decision = Some(rx),
            }
        }
        decision
    }

    /// Hands out datagrams, then events (which may queue more), until the node is quiet.
    /// Datagrams of one call go out before its events, so a CloseSession leaves before the
    /// session is reported closed.
    async fn flush(&mut self, now: Instant) {
        while let Some((to, datagram, what)) = self.app.injections.pop_front() {
            self.hooks.injected(now, to, &datagram, &what);
            if let Err(e) = self.io.send_to(now, &datagram, to).await {
                self.hooks.io_error(now, &e);
            }
        }
        loop {
            self.drain_diagnostics();
            let transmits: Vec<Transmit> = {
                let mut node = self.node.borrow_mut();
                std::iter::from_fn(|| node.poll_transmit()).collect()
            };
            for t in &transmits {
                let retransmission = self.sent.pop_front();
                {
                    let node = self.node.borrow();
                    self.hooks.transmitting(now, &node, t, retransmission);
                }
                if let Err(e) = self.io.send_to(now, &t.payload, t.destination).await {
                    self.hooks.io_error(now, &e);
                }
            }
            let events: Vec<Event> = {
                let mut node = self.node.borrow_mut();
                std::iter::from_fn(|| node.poll_event()).collect()
            };
            if transmits.is_empty() && events.is_empty() {
                return;
            }
            for event in &events {
                let mut node = self.node.borrow_mut();
                self.hooks.event(now, &node, event);
                self.app.on_event(now, &mut node, &mut self.hooks, event);
            }
        }
    }
}

async fn sleep_until<C: Clock>(clock: &C, deadline: Option<Instant>) {
    match deadline {
        Some(at) => clock.sleep_until(at).await,
        None => std::future::pending().await,
    }
}
