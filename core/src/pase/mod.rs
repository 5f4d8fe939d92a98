//! PASE: Passcode-Authenticated Session Establishment (Matter 1.3 §4.14.1.2, §4.14.1).
//!
//! - [`Passcode`], [`PbkdfParameters`], [`ProverSecrets`], [`Verifier`]: the passcode and what
//!   PBKDF2 derives from it; the commissionee stores only the verifier (w0, L).
//! - [`spake2p`]: SPAKE2+ on P-256 with Matter's key schedule (Matter 1.3 §3.10).
//! - [`messages`]: the five TLV payloads.
//! - [`PaseInitiator`] / [`PaseResponder`]: sans-IO handshakes as typed states, one type per
//!   state, so applying a message in the wrong state does not compile.
//! - [`PaseInitiatorState`] / [`PaseResponderState`]: the same handshakes behind one enum each,
//!   fed `(opcode, payload)` by a node driver; a wrong-state message is a typed error.
//!
//! A handshake ends in [`PaseEstablished`] (Ke, both session ids, the peer's parameters, our
//! role) or [`PaseFailure`] (the [`PaseError`] and the StatusReport owed to the peer).

mod dynamic;
mod error;
mod initiator;
pub mod messages;
mod outcome;
mod passcode;
mod pbkdf;
mod responder;
pub mod spake2p;

pub use dynamic::{InitiatorStep, PaseInitiatorState, PaseResponderState, ResponderStep};
pub use error::{MessageError, PaseError, PasscodeError, PbkdfError, Spake2pError, VerifierError};
pub use initiator::{
    AwaitPake2, AwaitPbkdfResponse, AwaitStatus, InitiatorRandomness, PaseInitiator,
};
pub use outcome::{PaseEstablished, PaseFailure, PaseRole, busy_status_payload};
pub use passcode::Passcode;
pub use pbkdf::{
    PBKDF_MAX_ITERATIONS, PBKDF_MAX_SALT_LEN, PBKDF_MIN_ITERATIONS, PBKDF_MIN_SALT_LEN,
    PBKDF_OUTPUT_LEN, PbkdfParameters, ProverSecrets, VERIFIER_LEN, Verifier, pbkdf_output,
};
pub use responder::{AwaitPake1, AwaitPake3, PaseResponder, ResponderRandomness};
