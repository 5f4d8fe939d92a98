//! CASE, the certificate-authenticated session establishment (Matter 1.3 §4.14.2.3, §4.14.2):
//! everything that does not need certificate parsing.
//!
//! - [`fabric_keys`]: compressed fabric id, operational IPK, destination identifier, and the
//!   responder's search for the (fabric, node, IPK) a destination identifier names (Matter 1.3
//!   §4.3.2.2, §4.14.2.6.1, §4.14.2).
//! - [`key_schedule`]: ECDH, S2K/S3K and TBEData2/3 encryption, session keys, resumption
//!   S1RK/S2RK and MICs, resumed session keys (Matter 1.3 §4.14.2.3, §4.14.2).
//! - [`messages`]: Sigma1, Sigma2, Sigma3, Sigma2_Resume on the wire.
//! - [`signed_data`]: TBSData2/3 and TBEData2/3, with NOC and ICAC as opaque bytes.
//! - [`Transcript`]: the running hash over the exact Sigma payloads.
//! - [`OperationalCredentials`]: what a node holds per fabric for CASE (fabric identity, root,
//!   NOC/ICAC, operational key, IPK), validated once.
//! - [`CaseInitiator`] / [`CaseResponder`]: the handshakes of Matter 1.3 §4.14.2 as typed states,
//!   one type per state, full CASE and resumption (Matter 1.3 §4.14.2) with fallback (matter.js
//!   `session/case/CaseServer.ts`).
//! - [`CaseInitiatorState`] / [`CaseResponderState`]: the same handshakes behind one enum each,
//!   fed `(opcode, payload)` by a node driver; a wrong-state message is a typed error.
//!
//! A handshake ends in [`CaseEstablished`] (session ids, fabric, both node ids, peer CATs and
//! parameters, shared secret and salt, the resumption record to save) or [`CaseFailure`] (the
//! [`CaseError`] and the StatusReport owed to the peer). Certificate-chain validation comes
//! from the certificate module.

mod credentials;
mod dynamic;
mod error;
pub mod fabric_keys;
mod fields;
mod initiator;
pub mod key_schedule;
pub mod messages;
mod outcome;
mod responder;
pub mod signed_data;
mod steps;
mod transcript;

pub use credentials::{CredentialParts, CredentialsError, OperationalCredentials, TEST_VENDOR_ID};
pub use dynamic::{CaseInitiatorState, CaseResponderState, CaseStep};
pub use error::CaseError;
pub use fabric_keys::{
    COMPRESSED_FABRIC_ID_LEN, CompressedFabricId, DESTINATION_ID_LEN, DestinationCandidate,
    IPK_LEN, OperationalIpk, destination_id, find_destination,
};
pub use initiator::{AwaitSigma2, AwaitStatus, CaseInitiator, InitiatorRandomness};
pub use key_schedule::SigmaKey;
pub use messages::{Decoded, ResumptionRequest, Sigma1, Sigma2, Sigma2Resume, Sigma3};
pub use outcome::{CaseEstablished, CaseFailure, CaseRole, busy_status_payload};
pub use responder::{
    AwaitResumeStatus, AwaitSigma3, CaseResponder, ResponderRandomness, Sigma1Reply,
};
pub use signed_data::{TbeData2, TbeData3, TbsData};
pub use transcript::Transcript;

/// Length of initiatorRandom and responderRandom.
pub const RANDOM_LEN: usize = 32;
/// Length of an AES-CCM MIC, and so of the resume MICs (Matter 1.3 §4.14.2).
pub const MIC_LEN: usize = crate::crypto::CCM_MIC_LEN;
/// Length of a raw r ‖ s ECDSA-P256 signature in TBEData2/3.
pub const SIGNATURE_LEN: usize = crate::crypto::ECDSA_P256_SIGNATURE_LEN;
