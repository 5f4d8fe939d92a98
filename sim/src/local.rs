//! [`LocalHooks`]: the [`Hooks`] of a node running outside the simulator (real UDP, wall
//! clock): commands come from a [`CommandQueue`], every datagram and event goes to a
//! [`LocalLog`]. No oracles: they need the view from outside that only the simulator has.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;

use paseo_core::exchange::ExchangeId;
use paseo_core::node::{Event, Node, RxDecision, Transmit};
use paseo_core::time::Instant;
use tokio::sync::Notify;

use crate::command::{ActionId, Command, Outcome};
use crate::host::Hooks;
use crate::trace::{
    HeaderSummary, RecordKind, Trace, TraceRecord, WireDatagram, header_ids, summarize,
    summarize_with_keys,
};
use paseo_core::session::keys::KeyLogEntry;

/// Commands for one node, shared between whoever issues them and the node's loop.
#[derive(Debug, Default)]
pub struct CommandQueue {
    queue: RefCell<VecDeque<Command>>,
    notify: Notify,
}

impl CommandQueue {
    /// Queues a command and wakes the loop.
    pub fn push(&self, command: Command) {
        self.queue.borrow_mut().push_back(command);
        self.notify.notify_one();
    }
}

/// What a local node did.
#[derive(Debug, Default)]
pub struct LocalLog {
    /// Datagrams in and out, events (peers shown by address).
    pub trace: Trace,
    /// Finished commands.
    pub outcomes: Vec<(ActionId, Outcome)>,
    /// Application events, in order.
    pub events: Vec<Event>,
    /// The keys of every secure session the node opened, once each (`--keylog`, and to show
    /// the node's own datagrams decoded).
    pub keylog: Vec<KeyLogEntry>,
}

impl LocalLog {
    /// Keeps the keys of every secure session `node` has that are not kept yet (called when a
    /// session opens and before each datagram out: a session can send before its event).
    pub fn note_keys(&mut self, node: &Node) {
        for session in node.sessions().sessions() {
            if !self.keylog.contains(session.key_log()) {
                self.keylog.push(session.key_log().clone());
            }
        }
    }
}

/// Hooks that log and take commands from a queue.
pub struct LocalHooks {
    name: String,
    local: SocketAddr,
    commands: Rc<CommandQueue>,
    log: Rc<RefCell<LocalLog>>,
}

impl LocalHooks {
    /// Hooks for node `name` at `local`.
    pub fn new(
        name: &str,
        local: SocketAddr,
        commands: Rc<CommandQueue>,
        log: Rc<RefCell<LocalLog>>,
    ) -> Self {
        LocalHooks {
            name: name.to_owned(),
            local,
            commands,
            log,
        }
    }

    fn record(
        &self,
        at: Instant,
        kind: RecordKind,
        peer: String,
        header: Option<HeaderSummary>,
        decision: String,
        wire: Option<WireDatagram>,
    ) {
        self.log.borrow_mut().trace.records.push(TraceRecord {
            at,
            node: self.name.clone(),
            kind,
            peer,
            header,
            subject: String::new(),
            decision,
            wire,
        });
    }
}

impl Hooks for LocalHooks {
    fn next_command(&mut self) -> Option<Command> {
        self.commands.queue.borrow_mut().pop_front()
    }

    fn commands_ready(&self) -> impl Future<Output = ()> {
        self.commands.notify.notified()
    }

    fn receiving(
        &mut self,
        _now: Instant,
        node: &Node,
        _from: SocketAddr,
        datagram: &[u8],
    ) -> HeaderSummary {
        let session = header_ids(datagram).and_then(|(sid, _)| node.sessions().get_session(sid));
        summarize(datagram, session)
    }

    fn received(
        &mut self,
        now: Instant,
        _node: &Node,
        from: SocketAddr,
        datagram: &[u8],
        summary: HeaderSummary,
        decision: Option<RxDecision>,
    ) {
        let wire = WireDatagram {
            src: from,
            dst: self.local,
            bytes: datagram.to_vec(),
        };
        // The simulator's words (`delivered`, `acked`, …), so both traces read alike.
        let decision = crate::sim_host::rx_text(decision).to_owned();
        self.record(
            now,
            RecordKind::Rx,
            from.to_string(),
            Some(summary),
            decision,
            Some(wire),
        );
    }

    fn transmitting(
        &mut self,
        now: Instant,
        node: &Node,
        transmit: &Transmit,
        retransmission: Option<u8>,
    ) {
        self.log.borrow_mut().note_keys(node);
        let wire = WireDatagram {
            src: self.local,
            dst: transmit.destination,
            bytes: transmit.payload.clone(),
        };
        let decision = match retransmission {
            Some(0) | None => "sent".to_owned(),
            Some(n) => format!("retransmit {n}"),
        };
        // The peer's sessions are out of reach, but the keys are ours: decode with them.
        let summary = summarize_with_keys(&transmit.payload, &self.log.borrow().keylog);
        self.record(
            now,
            RecordKind::Tx,
            transmit.destination.to_string(),
            Some(summary),
            decision,
            Some(wire),
        );
    }

    fn event(&mut self, now: Instant, node: &Node, event: &Event) {
        if matches!(event, Event::SessionOpened { .. }) {
            self.log.borrow_mut().note_keys(node);
        }
        self.record(
            now,
            RecordKind::Event,
            "-".into(),
            None,
            format!("{event:?}"),
            None,
        );
        self.log.borrow_mut().events.push(event.clone());
    }

    fn app_sent(
        &mut self,
        _now: Instant,
        _exchange: ExchangeId,
        _counter: u32,
        _tag: u64,
        _reliable: bool,
    ) {
    }

    fn outcome(&mut self, _now: Instant, action: ActionId, outcome: Outcome) {
        self.log.borrow_mut().outcomes.push((action, outcome));
    }
}
