//! Just enough of the Interaction Model (protocol 0x0001) to commission a device and read one
//! attribute from it (Matter 1.3 §5.5): the session layer's first real payloads.
//!
//! - [`CommandPath`] / [`AttributePath`]: the path lists every request and report carries.
//! - [`StatusIb`] / [`ImStatus`]: IM statuses, and the [`StatusResponse`] message.
//! - [`Command`], [`encode_invoke_request`], [`InvokeResponse`]: InvokeRequest (opcode 0x08)
//!   and InvokeResponse (0x09).
//! - [`encode_read_request`], [`ReportData`]: ReadRequest (0x02) for concrete attribute paths
//!   and the ReportData (0x05) answering it.
//! - [`server`]: the device side: an [`server::ImServer`] answering Read and Invoke over the
//!   data model of a commissionable light, with the fail-safe and device attestation.
//! - [`commissioning`]: the fields of the General Commissioning and Operational Credentials
//!   commands a commissioner sends, and their responses.
//!
//! Decoders take the payload of one message, read nothing past it and answer every malformed
//! or unexpected input with an [`ImError`]. Unknown context tags are ignored, as Matter 1.3
//! Appendix A asks of protocol structures, so newer peers may add fields.

pub mod commissioning;
mod error;
mod invoke;
mod path;
mod read;
pub mod server;
mod status;

pub use error::ImError;
pub use invoke::{Command, CommandResponse, InvokeResponse, encode_invoke_request};
pub use path::{AttributePath, CommandPath};
pub use read::{AttributeReport, ReportData, encode_read_request};
pub use status::{ImStatus, StatusIb, StatusResponse};

/// The InteractionModelRevision paseo writes under context tag 0xFF. matter.js 0.17.9 answers
/// with 12 and does not need the tag; CHIP peers expect it (Matter 1.3 ch. 10).
pub const INTERACTION_MODEL_REVISION: u8 = 11;

/// Context tag of InteractionModelRevision in every IM message (Matter 1.3 ch. 10).
pub(crate) const REVISION_TAG: u8 = 0xFF;
