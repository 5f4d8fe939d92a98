//! Exchanges (Matter 1.3 §4.10): request/response conversations on a session, identified
//! by (session, exchange id, role), each with its own MRP state.
//!
//! The table here only keeps exchanges and allocates ids; the node driver moves messages
//! through them.

use std::collections::BTreeMap;
use std::fmt;

use crate::codec::ProtocolId;
use crate::mrp::reliability::Reliability;
use crate::session::UnsecureSessionKey;
use crate::time::Instant;

/// Which session an exchange runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SessionRef {
    /// A secure session, by local session id.
    Secure(u16),
    /// The unsecured session with a peer, by address and ephemeral initiator node id.
    Unsecure(UnsecureSessionKey),
}

impl fmt::Display for SessionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionRef::Secure(id) => write!(f, "s{id}"),
            SessionRef::Unsecure(key) => write!(f, "u{}", key.initiator_node_id),
        }
    }
}

/// The identity of an exchange: (session, exchange id, whether we initiated it) (Matter 1.3 §4.10).
/// It is also the handle the application uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExchangeId {
    /// The session.
    pub session: SessionRef,
    /// The 16-bit exchange id chosen by the initiator.
    pub id: u16,
    /// Whether this node is the initiator (sends with `I = 1`).
    pub we_initiated: bool,
}

impl fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = if self.we_initiated { 'i' } else { 'r' };
        write!(f, "{}/x{}{role}", self.session, self.id)
    }
}

/// Where an exchange is in its life (Matter 1.3 §4.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeState {
    /// Open for messages in both directions.
    Open,
    /// The owner closed it, but our last reliable message is still unacknowledged: it lingers
    /// until the ack arrives or MRP gives up.
    Closing,
}

/// One exchange.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Protocol the exchange speaks (every message on it carries this id).
    pub protocol: ProtocolId,
    /// Open or closing.
    pub state: ExchangeState,
    /// MRP: our outstanding reliable message and the ack we owe.
    pub reliability: Reliability,
    /// When the application expects a response by (closes the exchange with a timeout).
    pub response_deadline: Option<Instant>,
}

impl Exchange {
    /// A new open exchange.
    pub fn new(protocol: ProtocolId) -> Self {
        Exchange {
            protocol,
            state: ExchangeState::Open,
            reliability: Reliability::default(),
            response_deadline: None,
        }
    }

    /// The earliest instant at which something is due on this exchange.
    pub fn next_deadline(&self) -> Option<Instant> {
        [self.reliability.next_deadline(), self.response_deadline]
            .into_iter()
            .flatten()
            .min()
    }
}

/// All exchanges of a node, ordered by identity (so timers fire in a deterministic order),
/// plus the node's exchange id counter.
#[derive(Debug, Default)]
pub struct ExchangeTable {
    exchanges: BTreeMap<ExchangeId, Exchange>,
    next_id: u16,
}

impl ExchangeTable {
    /// A table whose first allocated id follows `random_start` (matter.js and CHIP start the
    /// per-node counter at a random value, Matter 1.3 §4.10).
    pub fn new(random_start: u16) -> Self {
        ExchangeTable {
            exchanges: BTreeMap::new(),
            next_id: random_start,
        }
    }

    /// Allocates an id for a new exchange we initiate on `session`: the next counter value,
    /// wrapping, skipping ids we already initiated on that session.
    pub fn allocate(&mut self, session: SessionRef) -> ExchangeId {
        loop {
            self.next_id = self.next_id.wrapping_add(1);
            let id = ExchangeId {
                session,
                id: self.next_id,
                we_initiated: true,
            };
            if !self.exchanges.contains_key(&id) {
                return id;
            }
        }
    }

    /// Adds an exchange.
    pub fn insert(&mut self, id: ExchangeId, exchange: Exchange) {
        self.exchanges.insert(id, exchange);
    }

    /// The exchange with this identity.
    pub fn get(&self, id: &ExchangeId) -> Option<&Exchange> {
        self.exchanges.get(id)
    }

    /// Mutable access.
    pub fn get_mut(&mut self, id: &ExchangeId) -> Option<&mut Exchange> {
        self.exchanges.get_mut(id)
    }

    /// Removes an exchange.
    pub fn remove(&mut self, id: &ExchangeId) -> Option<Exchange> {
        self.exchanges.remove(id)
    }

    /// Identities of the exchanges on `session`, in order.
    pub fn on_session(&self, session: SessionRef) -> Vec<ExchangeId> {
        self.exchanges
            .keys()
            .filter(|k| k.session == session)
            .copied()
            .collect()
    }

    /// Every exchange, in identity order.
    pub fn iter(&self) -> impl Iterator<Item = (&ExchangeId, &Exchange)> {
        self.exchanges.iter()
    }

    /// Identities whose deadline is at or before `now`, in order.
    pub fn due(&self, now: Instant) -> Vec<ExchangeId> {
        self.exchanges
            .iter()
            .filter(|(_, e)| e.next_deadline().is_some_and(|d| d <= now))
            .map(|(k, _)| *k)
            .collect()
    }

    /// The earliest deadline of any exchange.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.exchanges
            .values()
            .filter_map(Exchange::next_deadline)
            .min()
    }

    /// Number of exchanges.
    pub fn len(&self) -> usize {
        self.exchanges.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.exchanges.is_empty()
    }
}
