//! `paseo-core`: the Matter session layer, sans-IO.
//!
//! No sockets, no threads, no wall clock: time and randomness come from the caller, datagrams
//! and timers go out through `poll_*` calls. See `docs/ARCHITECTURE.md` for how a datagram
//! flows through the modules below.

pub mod case;
pub mod cert;
pub mod codec;
pub mod crypto;
pub mod exchange;
pub mod fabric;
pub mod im;
pub mod mrp;
pub mod node;
pub mod pase;
pub mod session;
pub mod store;
pub mod time;
pub mod tlv;
