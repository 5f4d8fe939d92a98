//! CASE, the certificate-authenticated session establishment (SESSION-LAYER.md §6.5, §8):
//! everything that does not need certificate parsing.
//!
//! - [`fabric_keys`]: compressed fabric id, operational IPK, destination identifier, and the
//!   responder's search for the (fabric, node, IPK) a destination identifier names (§8.1–8.2).
//! - [`key_schedule`]: ECDH, S2K/S3K and TBEData2/3 encryption, session keys, resumption
//!   S1RK/S2RK and MICs, resumed session keys (§8.3, §8.5, §8.6).
//! - [`messages`]: Sigma1, Sigma2, Sigma3, Sigma2_Resume on the wire.
//! - [`signed_data`]: TBSData2/3 and TBEData2/3, with NOC and ICAC as opaque bytes.
//! - [`Transcript`]: the running hash over the exact Sigma payloads.
//!
//! The state machines (§8.4) build on these; certificate-chain validation and the NOC's node
//! id, fabric id and public key come from the certificate module.

mod error;
pub mod fabric_keys;
mod fields;
pub mod key_schedule;
pub mod messages;
pub mod signed_data;
mod transcript;

pub use error::CaseError;
pub use fabric_keys::{
    COMPRESSED_FABRIC_ID_LEN, CompressedFabricId, DESTINATION_ID_LEN, DestinationCandidate,
    IPK_LEN, OperationalIpk, destination_id, find_destination,
};
pub use key_schedule::SigmaKey;
pub use messages::{Decoded, ResumptionRequest, Sigma1, Sigma2, Sigma2Resume, Sigma3};
pub use signed_data::{TbeData2, TbeData3, TbsData};
pub use transcript::Transcript;

/// Length of initiatorRandom and responderRandom.
pub const RANDOM_LEN: usize = 32;
/// Length of an AES-CCM MIC, and so of the resume MICs (§8.6).
pub const MIC_LEN: usize = crate::crypto::CCM_MIC_LEN;
/// Length of a raw r ‖ s ECDSA-P256 signature in TBEData2/3.
pub const SIGNATURE_LEN: usize = crate::crypto::ECDSA_P256_SIGNATURE_LEN;
