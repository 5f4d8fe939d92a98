//! The one error type of the IM module.

use super::path::{AttributePath, CommandPath};
use super::status::StatusIb;
use crate::tlv::TlvError;

/// Why an IM payload could not be built or was not the answer expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImError {
    /// Malformed TLV, a missing required field, or a field of the wrong type or range.
    #[error("TLV: {0}")]
    Tlv(#[from] TlvError),
    /// A message that must carry at least one item carried none (e.g. an InvokeResponse
    /// without responses).
    #[error("{0} is empty")]
    Empty(&'static str),
    /// More items than the single one this client asked for.
    #[error("{what}: expected one item, got {count}")]
    NotSingle {
        /// Which list.
        what: &'static str,
        /// How many items it had.
        count: usize,
    },
    /// A path list without one of the fields a concrete path needs (a wildcard path).
    #[error("path lacks its {0}")]
    IncompletePath(&'static str),
    /// An InvokeResponseIB, AttributeReportIB or status holds neither of its alternatives, or
    /// both.
    #[error("{0} holds neither or both of its alternatives")]
    Alternatives(&'static str),
    /// The device answered with a command other than the expected response command.
    #[error("expected response {expected:?}, got {actual:?}")]
    UnexpectedCommand {
        /// The response command we expected.
        expected: CommandPath,
        /// What came.
        actual: CommandPath,
    },
    /// The device answered the command with an IM status instead of response data (or with a
    /// failure status where a status was expected).
    #[error("command {path:?} answered with status {status}")]
    CommandStatus {
        /// The command path the status is for.
        path: CommandPath,
        /// The status.
        status: StatusIb,
    },
    /// The device answered with response data where only a status was expected.
    #[error("command {0:?} answered with data where a status was expected")]
    UnexpectedData(CommandPath),
    /// An octet string of the wrong length.
    #[error("field {tag} has {actual} bytes, expected {expected}")]
    FieldLength {
        /// Context tag of the field.
        tag: u8,
        /// Length required.
        expected: usize,
        /// Length received.
        actual: usize,
    },
    /// The response is chunked (MoreChunkedMessages): not supported by this minimal client.
    #[error("chunked {0} is not supported")]
    Chunked(&'static str),
    /// The CSRNonce inside NOCSRElements is not the one sent in CSRRequest (Matter 1.3 §5.5).
    #[error("NOCSRElements carry another CSRNonce than the request")]
    NonceMismatch,
    /// A report names another attribute than the one read.
    #[error("expected attribute {expected:?}, got {actual:?}")]
    UnexpectedAttribute {
        /// The attribute read.
        expected: AttributePath,
        /// What the report named.
        actual: AttributePath,
    },
    /// The device reported a status for the attribute instead of its value.
    #[error("attribute {path:?} reported status {status}")]
    AttributeStatus {
        /// The attribute.
        path: AttributePath,
        /// The status.
        status: StatusIb,
    },
}
