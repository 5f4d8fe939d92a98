//! The node loop on real UDP (loopback) and the wall clock: the seam the interop runs against
//! matter.js will use. Two paseo nodes, one reliable exchange.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use paseo_core::fabric::NodeId;
use paseo_core::node::{Event, Node, NodeConfig};
use paseo_core::session::{SessionKind, SessionParameters};
use paseo_core::store::MemoryStore;
use paseo_sim::command::{Command, InstallArgs, Outcome};
use paseo_sim::host::{APP_PROTOCOL, NodeLoop};
use paseo_sim::io::real::{RealClock, RealUdp};
use paseo_sim::io::{Clock, DatagramIo};
use paseo_sim::local::{CommandQueue, LocalHooks, LocalLog};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn node(seed: u64) -> Node {
    let config = NodeConfig {
        diagnostics: true,
        ..NodeConfig::default()
    };
    let mut node = Node::new(
        config,
        ChaCha20Rng::seed_from_u64(seed),
        Box::new(MemoryStore::new()),
    );
    node.register_protocol(APP_PROTOCOL);
    node
}

fn args(mine: u16, theirs: u16, me: u64, peer: SocketAddr, initiator: bool) -> InstallArgs {
    InstallArgs {
        session_id: mine,
        peer_session_id: theirs,
        kind: SessionKind::Case,
        fabric: None,
        local_node_id: NodeId(me),
        peer_node_id: NodeId(3 - me),
        shared_secret: vec![0x42; 32],
        salt: b"loopback".to_vec(),
        is_initiator: initiator,
        peer_address: peer,
        peer_parameters: SessionParameters::default(),
    }
}

#[test]
fn two_nodes_exchange_over_loopback_udp() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let (sa, sb) = (
            RealUdp::bind(loopback).await.unwrap(),
            RealUdp::bind(loopback).await.unwrap(),
        );
        let (addr_a, addr_b) = (sa.local_addr(), sb.local_addr());
        let clock = RealClock::new();
        let (a, b) = (
            Rc::new(RefCell::new(node(1))),
            Rc::new(RefCell::new(node(2))),
        );
        let now = clock.now();
        let install_a = args(10, 20, 1, addr_b, true);
        let install_b = args(20, 10, 2, addr_a, false);
        a.borrow_mut()
            .install_secure_session(install_a.as_args(now))
            .unwrap();
        b.borrow_mut()
            .install_secure_session(install_b.as_args(now))
            .unwrap();

        let (qa, qb) = (
            Rc::new(CommandQueue::default()),
            Rc::new(CommandQueue::default()),
        );
        let (la, lb) = (
            Rc::new(RefCell::new(LocalLog::default())),
            Rc::new(RefCell::new(LocalLog::default())),
        );
        let loop_a = NodeLoop::new(
            a,
            sa,
            clock,
            LocalHooks::new("a", addr_a, qa.clone(), la.clone()),
        );
        let loop_b = NodeLoop::new(b, sb, clock, LocalHooks::new("b", addr_b, qb, lb.clone()));
        tokio::task::spawn_local(loop_a.run());
        tokio::task::spawn_local(loop_b.run());
        qa.push(Command::Exchange {
            action: 1,
            session_id: 10,
            messages: 2,
            reliable: true,
            first_tag: 100,
        });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while la.borrow().outcomes.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            la.borrow().outcomes,
            vec![(1, Outcome::Exchanged { sent: 2 })]
        );
        let delivered: Vec<Vec<u8>> = lb
            .borrow()
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Message { payload, .. } => Some(payload.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            delivered,
            vec![100u64.to_be_bytes().to_vec(), 101u64.to_be_bytes().to_vec()]
        );
        // b decrypted what it received with its own session: the trace shows the opcodes, in
        // the simulator's words.
        let text = lb.borrow().trace.text();
        assert!(text.contains("IM/InvokeRequest : delivered"), "{text}");
        // a's own datagrams are decoded with the keys it logged when its session opened.
        let sent = la.borrow().trace.text();
        assert!(sent.contains("IM/InvokeRequest : sent"), "{sent}");
        assert!(!sent.contains("[encrypted]"), "{sent}");
        assert_eq!(la.borrow().keylog.len(), 1);
    });
}
