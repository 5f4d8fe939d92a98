//! The impairment relay: a UDP proxy on loopback between our node and a real peer that applies
//! the simulator's own impairment model ([`Network`], seeded loss, duplication, latency and
//! reordering per direction), so MRP retransmissions and duplicate handling run against the
//! real stack (loopback itself never loses a datagram).
//!
//! ```text
//! paseo node ──▶ front socket ──[paseo → matterjs link]──▶ back socket ──▶ peer
//! paseo node ◀── front socket ◀──[matterjs → paseo link]── back socket ◀── peer
//! ```
//!
//! The peer sees the back socket as our address; our node is told to talk to the front
//! socket. The fate of each datagram is drawn when it arrives, in arrival order, from the
//! link's seeded stream; the wall clock decides that order, so a run is reproducible in its
//! settings, not datagram for datagram. Every drop and duplication is a `~>` line in the
//! shared trace.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::rc::Rc;

use paseo_core::time::Instant;
use tokio::net::UdpSocket;

use super::driver::{InteropError, ensure_loopback};
use super::hooks::PeerOracle;
use crate::io::Clock;
use crate::io::real::RealClock;
use crate::local::LocalLog;
use crate::network::{Fate, Impairments, Network};
use crate::trace::{RecordKind, TraceRecord, header_ids, summarize};

/// The two links' impairments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RelayConfig {
    /// Our datagrams toward the peer.
    pub to_peer: Impairments,
    /// The peer's datagrams toward us.
    pub to_us: Impairments,
    /// Seed of the links' streams (the simulator's per-link derivation).
    pub seed: u64,
}

impl RelayConfig {
    /// The same impairments both ways.
    pub fn symmetric(impairments: Impairments, seed: u64) -> Self {
        Self {
            to_peer: impairments,
            to_us: impairments,
            seed,
        }
    }
}

/// What one direction did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkCounts {
    /// Datagrams that entered the link.
    pub received: u64,
    /// Of those, how many repeated a (session id, message counter) the sender had already
    /// used: its MRP retransmissions, counted before any impairment.
    pub repeats: u64,
    /// Dropped.
    pub dropped: u64,
    /// Delivered twice.
    pub duplicated: u64,
    /// Copies handed on.
    pub forwarded: u64,
}

/// Both directions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// paseo → peer.
    pub to_peer: LinkCounts,
    /// peer → paseo.
    pub to_us: LinkCounts,
}

/// A running relay; stops when dropped.
pub struct Relay {
    front: SocketAddr,
    stats: Rc<RefCell<RelayStats>>,
    network: Rc<RefCell<Network>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Trace names and network indices of the two ends.
const US: (usize, &str) = (0, "paseo");
const PEER: (usize, &str) = (1, "matterjs");

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Direction {
    ToPeer,
    ToUs,
}

struct Relaying {
    front: UdpSocket,
    back: UdpSocket,
    peer: SocketAddr,
    /// Our node's address, learnt from its first datagram.
    us: Option<SocketAddr>,
    network: Rc<RefCell<Network>>,
    clock: RealClock,
    log: Rc<RefCell<LocalLog>>,
    oracle: Option<PeerOracle>,
    stats: Rc<RefCell<RelayStats>>,
    /// Copies waiting for their delivery time, in (time, arrival) order.
    queue: BTreeMap<(Instant, u64), (Direction, Vec<u8>)>,
    sequence: u64,
    /// (direction, session id, counter) of every datagram that entered.
    seen: BTreeSet<(Direction, u16, u32)>,
}

impl Relay {
    /// Binds both sockets on the peer's loopback address and starts relaying (inside a
    /// `LocalSet`). `log` gets the network's decisions; `oracle` checks every datagram of the
    /// peer as it arrives, before the impairments.
    pub async fn start(
        peer: SocketAddr,
        config: RelayConfig,
        clock: RealClock,
        log: Rc<RefCell<LocalLog>>,
        oracle: Option<PeerOracle>,
    ) -> Result<Self, InteropError> {
        ensure_loopback(peer)?;
        for imp in [config.to_peer, config.to_us] {
            imp.validate()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        let any_port = SocketAddr::new(peer.ip(), 0);
        let front = UdpSocket::bind(any_port).await?;
        let back = UdpSocket::bind(any_port).await?;
        let front_addr = front.local_addr()?;
        let mut network = Network::new(config.seed, Impairments::default());
        network.add_node(US.1);
        network.add_node(PEER.1);
        network.set_link(US.0, PEER.0, Some(config.to_peer));
        network.set_link(PEER.0, US.0, Some(config.to_us));
        let stats = Rc::new(RefCell::new(RelayStats::default()));
        let network = Rc::new(RefCell::new(network));
        let relaying = Relaying {
            front,
            back,
            peer,
            us: None,
            network: network.clone(),
            clock,
            log,
            oracle,
            stats: stats.clone(),
            queue: BTreeMap::new(),
            sequence: 0,
            seen: BTreeSet::new(),
        };
        let task = tokio::task::spawn_local(relaying.run());
        Ok(Self {
            front: front_addr,
            stats,
            network,
            task,
        })
    }

    /// Where our node must send to reach the peer.
    pub fn address(&self) -> SocketAddr {
        self.front
    }

    /// Counts so far.
    pub fn stats(&self) -> RelayStats {
        *self.stats.borrow()
    }

    /// New impairments for the datagrams that enter from now on: toward the peer and/or
    /// toward us (`None` keeps a direction as it is). Each link keeps its seeded stream.
    pub fn set_impairments(
        &self,
        to_peer: Option<Impairments>,
        to_us: Option<Impairments>,
    ) -> Result<(), InteropError> {
        for imp in [to_peer, to_us].into_iter().flatten() {
            imp.validate()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        let mut network = self.network.borrow_mut();
        if let Some(imp) = to_peer {
            network.set_link(US.0, PEER.0, Some(imp));
        }
        if let Some(imp) = to_us {
            network.set_link(PEER.0, US.0, Some(imp));
        }
        Ok(())
    }
}

impl Relaying {
    async fn run(mut self) {
        let mut front_buf = vec![0u8; 65_536];
        let mut back_buf = vec![0u8; 65_536];
        loop {
            let due = self.queue.keys().next().map(|(at, _)| *at);
            tokio::select! {
                received = self.front.recv_from(&mut front_buf) => {
                    let Ok((len, from)) = received else { continue };
                    self.us = Some(from);
                    let bytes = front_buf.get(..len).unwrap_or_default().to_vec();
                    self.enter(Direction::ToPeer, bytes);
                }
                received = self.back.recv_from(&mut back_buf) => {
                    let Ok((len, from)) = received else { continue };
                    if from != self.peer {
                        continue;
                    }
                    let bytes = back_buf.get(..len).unwrap_or_default().to_vec();
                    if let (Some(oracle), Ok(back)) = (&self.oracle, self.back.local_addr()) {
                        oracle.on_peer_datagram(self.clock.now(), back, &bytes);
                    }
                    self.enter(Direction::ToUs, bytes);
                }
                () = sleep_until(&self.clock, due) => self.deliver_due().await,
            }
        }
    }

    /// Decides the fate of a datagram that entered the relay.
    fn enter(&mut self, direction: Direction, bytes: Vec<u8>) {
        let now = self.clock.now();
        let ((from, from_name), (to, to_name)) = match direction {
            Direction::ToPeer => (US, PEER),
            Direction::ToUs => (PEER, US),
        };
        let fate = self.network.borrow_mut().decide(from, to);
        let mut stats = self.stats.borrow_mut();
        let counts = match direction {
            Direction::ToPeer => &mut stats.to_peer,
            Direction::ToUs => &mut stats.to_us,
        };
        counts.received += 1;
        if let Some((session, counter)) = header_ids(&bytes)
            && !self.seen.insert((direction, session, counter))
        {
            counts.repeats += 1;
        }
        let what = match fate {
            Fate::Dropped(reason) => {
                counts.dropped += 1;
                Some(format!("dropped by network ({})", reason.as_str()))
            }
            Fate::Delivered(delays) => {
                let duplicated = delays.len() > 1;
                if duplicated {
                    counts.duplicated += 1;
                }
                for delay in delays {
                    self.sequence += 1;
                    self.queue
                        .insert((now + delay, self.sequence), (direction, bytes.clone()));
                }
                duplicated.then(|| "duplicated by network".to_owned())
            }
        };
        drop(stats);
        if let Some(decision) = what {
            self.log.borrow_mut().trace.records.push(TraceRecord {
                at: now,
                node: from_name.to_owned(),
                kind: RecordKind::Net,
                peer: to_name.to_owned(),
                header: Some(summarize(&bytes, None)),
                subject: String::new(),
                decision,
                wire: None,
            });
        }
    }

    /// Hands on every copy whose time has come.
    async fn deliver_due(&mut self) {
        let now = self.clock.now();
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (direction, bytes) = entry.remove();
            let sent = match (direction, self.us) {
                (Direction::ToPeer, _) => self.back.send_to(&bytes, self.peer).await.is_ok(),
                (Direction::ToUs, Some(us)) => self.front.send_to(&bytes, us).await.is_ok(),
                (Direction::ToUs, None) => false,
            };
            if sent {
                let mut stats = self.stats.borrow_mut();
                match direction {
                    Direction::ToPeer => stats.to_peer.forwarded += 1,
                    Direction::ToUs => stats.to_us.forwarded += 1,
                }
            }
        }
    }
}

async fn sleep_until(clock: &RealClock, deadline: Option<Instant>) {
    match deadline {
        Some(at) => clock.sleep_until(at).await,
        None => std::future::pending().await,
    }
}
