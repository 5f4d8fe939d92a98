//! IM statuses: the StatusIB structure inside command and attribute statuses, and the
//! StatusResponse message (opcode 0x01).

use core::fmt;

use crate::tlv::{StructView, Tag, Writer};

use super::error::ImError;
use super::{INTERACTION_MODEL_REVISION, REVISION_TAG};

/// An IM status code (the Matter "Status Codes" table; names as matter.js 0.17.9
/// `types/src/globals/Status.ts` has them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImStatus(pub u8);

impl ImStatus {
    /// Success.
    pub const SUCCESS: Self = Self(0x00);
    /// Failure.
    pub const FAILURE: Self = Self(0x01);
    /// UnsupportedAccess (the ACL denied it).
    pub const UNSUPPORTED_ACCESS: Self = Self(0x7e);
    /// UnsupportedEndpoint.
    pub const UNSUPPORTED_ENDPOINT: Self = Self(0x7f);
    /// InvalidAction.
    pub const INVALID_ACTION: Self = Self(0x80);
    /// UnsupportedCommand.
    pub const UNSUPPORTED_COMMAND: Self = Self(0x81);
    /// InvalidCommand.
    pub const INVALID_COMMAND: Self = Self(0x85);
    /// UnsupportedAttribute.
    pub const UNSUPPORTED_ATTRIBUTE: Self = Self(0x86);
    /// ConstraintError.
    pub const CONSTRAINT_ERROR: Self = Self(0x87);
    /// ResourceExhausted.
    pub const RESOURCE_EXHAUSTED: Self = Self(0x89);
    /// Busy.
    pub const BUSY: Self = Self(0x9c);
    /// UnsupportedCluster.
    pub const UNSUPPORTED_CLUSTER: Self = Self(0xc3);
    /// FailsafeRequired.
    pub const FAILSAFE_REQUIRED: Self = Self(0xca);

    /// The name of a known code.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "Success",
            0x01 => "Failure",
            0x7e => "UnsupportedAccess",
            0x7f => "UnsupportedEndpoint",
            0x80 => "InvalidAction",
            0x81 => "UnsupportedCommand",
            0x85 => "InvalidCommand",
            0x86 => "UnsupportedAttribute",
            0x87 => "ConstraintError",
            0x89 => "ResourceExhausted",
            0x9c => "Busy",
            0xc3 => "UnsupportedCluster",
            0xca => "FailsafeRequired",
            _ => return None,
        })
    }
}

impl fmt::Display for ImStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({:#04x})", self.0),
            None => write!(f, "{:#04x}", self.0),
        }
    }
}

/// StatusIB: `{ 0: Status u8, 1: ClusterStatus u8 (optional) }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusIb {
    /// The IM status.
    pub status: ImStatus,
    /// A cluster-specific status, when the cluster defines one.
    pub cluster_status: Option<u8>,
}

impl StatusIb {
    /// Plain success.
    pub const SUCCESS: Self = Self {
        status: ImStatus::SUCCESS,
        cluster_status: None,
    };

    /// Success without a cluster status.
    pub fn is_success(&self) -> bool {
        self.status == ImStatus::SUCCESS && self.cluster_status.is_none()
    }

    pub(crate) fn read(view: &StructView<'_>) -> Result<Self, ImError> {
        Ok(Self {
            status: ImStatus(view.required_u8(0)?),
            cluster_status: view.u8(1)?,
        })
    }
}

impl fmt::Display for StatusIb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cluster_status {
            Some(c) => write!(f, "{} (cluster status {c:#04x})", self.status),
            None => write!(f, "{}", self.status),
        }
    }
}

/// StatusResponse message (opcode 0x01): `{ 0: Status u8, 0xFF: revision }`. A device sends it
/// instead of a ReportData or InvokeResponse when the whole interaction fails, and a client
/// sends it to acknowledge a ReportData that does not suppress its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusResponse {
    /// The status.
    pub status: ImStatus,
}

impl StatusResponse {
    /// Decodes the payload.
    pub fn decode(payload: &[u8]) -> Result<Self, ImError> {
        let view = StructView::parse_anonymous(payload)?;
        Ok(Self {
            status: ImStatus(view.required_u8(0)?),
        })
    }

    /// Encodes the payload, with our IM revision.
    pub fn encode(&self) -> Result<Vec<u8>, ImError> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_uint(Tag::Context(0), u64::from(self.status.0));
        w.put_uint(
            Tag::Context(REVISION_TAG),
            u64::from(INTERACTION_MODEL_REVISION),
        );
        w.end_container();
        Ok(w.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::TlvError;

    #[test]
    fn status_response_bytes() {
        let bytes = StatusResponse {
            status: ImStatus::SUCCESS,
        }
        .encode()
        .unwrap();
        assert_eq!(bytes, [0x15, 0x24, 0x00, 0x00, 0x24, 0xff, 0x0b, 0x18]);
        // A device's UnsupportedAccess, revision 12.
        let decoded = StatusResponse::decode(&[0x15, 0x24, 0x00, 0x7e, 0x24, 0xff, 0x0c, 0x18]);
        assert_eq!(
            decoded,
            Ok(StatusResponse {
                status: ImStatus::UNSUPPORTED_ACCESS
            })
        );
    }

    #[test]
    fn status_response_errors() {
        assert_eq!(
            StatusResponse::decode(&[0x15, 0x18]),
            Err(ImError::Tlv(TlvError::MissingField(0)))
        );
        assert_eq!(
            StatusResponse::decode(&[0x15, 0x25, 0x00, 0x00, 0x01, 0x18]),
            Err(ImError::Tlv(TlvError::OutOfRange {
                tag: Tag::Context(0)
            }))
        );
        assert!(StatusResponse::decode(&[0x15, 0x24, 0x00]).is_err());
        assert!(StatusResponse::decode(&[]).is_err());
    }

    #[test]
    fn status_ib_reads_cluster_status() {
        let bytes = [0x15, 0x24, 0x00, 0x01, 0x24, 0x01, 0x03, 0x18];
        let ib = StatusIb::read(&StructView::parse(&bytes).unwrap()).unwrap();
        assert_eq!(ib.status, ImStatus::FAILURE);
        assert_eq!(ib.cluster_status, Some(3));
        assert!(!ib.is_success());
        assert_eq!(ib.to_string(), "Failure (0x01) (cluster status 0x03)");
        assert!(StatusIb::SUCCESS.is_success());
        assert_eq!(ImStatus(0x42).to_string(), "0x42");
    }
}
