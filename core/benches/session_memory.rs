//! Memory held per established secure session: a counting global allocator measures the live
//! heap of a `Node` before and after 1000 CASE sessions are installed (events drained, so only
//! what the session table keeps is counted), and prints bytes per session, total and beyond
//! the key material (two 16-byte session keys and the 16-byte attestation challenge, Matter 1.3
//! §4.14.1, §4.14.2). Target: ≤ 1 KiB beyond keys, the keys counted as the session holds them (two
//! AES-CCM ciphers with expanded key schedules and the challenge); the excess over the 48 raw key
//! bytes is printed too. Not a timing: a plain `harness = false` program.
//!
//! Run: `cargo bench -p paseo-core --bench session_memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicIsize, Ordering};

use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::node::{Node, NodeConfig};
use paseo_core::session::keys::SessionKeys;
use paseo_core::session::{SecureSessionArgs, SessionKind, SessionParameters};
use paseo_core::store::MemoryStore;
use paseo_core::time::Instant;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only a counter is updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SESSIONS: u16 = 1000;
/// The session's key material: encrypt key, decrypt key and attestation challenge, 16 bytes
/// each (Matter 1.3 §4.14.1, §4.14.2: the session keys).
const KEY_BYTES: usize = 3 * 16;

fn main() {
    let mut config = NodeConfig::default();
    config.limits.max_sessions = usize::from(SESSIONS) + 8;
    config.limits.max_sessions_per_peer = usize::from(SESSIONS) + 8;
    let mut node = Node::new(
        config,
        ChaCha20Rng::seed_from_u64(1),
        Box::new(MemoryStore::new()),
    );
    let before = LIVE.load(Ordering::Relaxed);
    for i in 1..=SESSIONS {
        let args = SecureSessionArgs {
            now: Instant::ZERO,
            session_id: i,
            peer_session_id: i,
            kind: SessionKind::Case,
            fabric: Some(FabricIndex(1)),
            local_node_id: NodeId(1),
            peer_node_id: NodeId(1000 + u64::from(i)),
            peer_cats: vec![],
            shared_secret: &[9; 32],
            salt: &[],
            is_initiator: true,
            is_resumption: false,
            peer_parameters: SessionParameters::default(),
            peer_address: Some(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 5540 + i)),
        };
        if let Err(e) = node.install_secure_session(args) {
            println!("session_memory: install {i} failed: {e}");
            return;
        }
        while node.poll_event().is_some() {}
        while node.poll_diagnostic().is_some() {}
    }
    let held = LIVE.load(Ordering::Relaxed) - before;
    let per = held as f64 / f64::from(SESSIONS);
    // The keys as a session holds them: two AES-128-CCM ciphers with their expanded key
    // schedules (the aes crate keeps both its AES-NI and its software schedule) and the
    // attestation challenge.
    let schedules = std::mem::size_of::<SessionKeys>();
    let beyond_raw = per - KEY_BYTES as f64;
    let beyond = per - schedules as f64;
    let verdict = if beyond <= 1024.0 { "within" } else { "ABOVE" };
    println!(
        "session_memory: {SESSIONS} sessions hold {held} B of heap: {per:.0} B per session; \
         keys as held (SessionKeys, expanded AES schedules) {schedules} B, beyond them \
         {beyond:.0} B ({verdict} target 1024 B); beyond the {KEY_BYTES} B of raw keys \
         {beyond_raw:.0} B; size_of::<SecureSession>() = {} B",
        std::mem::size_of::<paseo_core::session::SecureSession>()
    );
}
