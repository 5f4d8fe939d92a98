//! Sessions: per-session state of the Matter session layer (SESSION-LAYER.md §2, §10).
//!
//! For now only the message counters and replay windows; the session table and secure session
//! contexts are added by the sessions issue.

pub mod counter;
