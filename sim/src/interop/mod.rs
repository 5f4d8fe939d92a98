//! Conformance against a real peer: our node, as commissioner and controller, against the
//! matter.js device of `sim/interop/matterjs/` over loopback UDP (docs/INTEROP.md).
//!
//! - [`install`]: finding the peer directory at run time (`$PASEO_MATTERJS_DIR`, …) and
//!   `npm ci` under a file lock ([`install::ensure_node_modules`]).
//! - [`peer`]: the device process (fresh storage per run, ready line, clean stop).
//! - [`driver`]: our node on real UDP and the wall clock, run by the simulator's own node loop
//!   ([`crate::host::NodeLoop`]) with [`hooks::InteropHooks`] (trace and oracles), driven
//!   from outside the loop.
//! - [`request`] and [`commission`]: sans-IO flows fed by node events: one IM request, and the
//!   whole commissioning of Matter 1.3 §5.5.
//! - [`relay`]: a loopback UDP proxy applying the simulator's impairment model.
//!
//! Nothing here ever uses an address other than 127.0.0.0/8 or ::1
//! ([`driver::ensure_loopback`]).

pub mod commission;
pub mod driver;
pub mod hooks;
pub mod install;
pub mod peer;
pub mod relay;
pub mod request;
pub mod script;
