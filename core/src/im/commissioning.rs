//! The commissioning commands of Matter 1.3 §5.5 (General Commissioning 0x0030,
//! Operational Credentials 0x003E, all on endpoint 0) and their responses.
//!
//! Flow: ArmFailSafe → CSRRequest → AddTrustedRootCertificate → AddNOC over PASE, then
//! CommissioningComplete over CASE. Each builder returns a [`Command`] for
//! [`encode_invoke_request`](super::encode_invoke_request); each response type reads the
//! [`CommandResponse`] of the matching request.

use core::fmt;

use crate::tlv::{StructView, Tag, Writer};

use super::error::ImError;
use super::invoke::{Command, CommandResponse};
use super::path::{AttributePath, CommandPath};

/// Every commissioning command goes to the root endpoint.
pub const ROOT_ENDPOINT: u16 = 0;

/// Cluster ids.
pub mod cluster {
    /// On/Off.
    pub const ON_OFF: u32 = 0x0006;
    /// General Commissioning.
    pub const GENERAL_COMMISSIONING: u32 = 0x0030;
    /// Operational Credentials.
    pub const OPERATIONAL_CREDENTIALS: u32 = 0x003e;
}

/// General Commissioning command ids.
pub mod general_commissioning {
    /// ArmFailSafe.
    pub const ARM_FAIL_SAFE: u32 = 0x00;
    /// ArmFailSafeResponse.
    pub const ARM_FAIL_SAFE_RESPONSE: u32 = 0x01;
    /// CommissioningComplete.
    pub const COMMISSIONING_COMPLETE: u32 = 0x04;
    /// CommissioningCompleteResponse.
    pub const COMMISSIONING_COMPLETE_RESPONSE: u32 = 0x05;
}

/// Operational Credentials command ids.
pub mod operational_credentials {
    /// CSRRequest.
    pub const CSR_REQUEST: u32 = 0x04;
    /// CSRResponse.
    pub const CSR_RESPONSE: u32 = 0x05;
    /// AddNOC.
    pub const ADD_NOC: u32 = 0x06;
    /// NOCResponse.
    pub const NOC_RESPONSE: u32 = 0x08;
    /// AddTrustedRootCertificate.
    pub const ADD_TRUSTED_ROOT_CERTIFICATE: u32 = 0x0b;
}

/// Length of CSRNonce.
pub const CSR_NONCE_LEN: usize = 32;
/// Length of the IPK epoch key in AddNOC.
pub const IPK_EPOCH_KEY_LEN: usize = 16;

/// The OnOff attribute (0x0000 of cluster 0x0006) on `endpoint`.
pub const fn on_off_attribute(endpoint: u16) -> AttributePath {
    AttributePath::new(endpoint, cluster::ON_OFF, 0x0000)
}

const fn general(command: u32) -> CommandPath {
    CommandPath::new(ROOT_ENDPOINT, cluster::GENERAL_COMMISSIONING, command)
}

const fn credentials(command: u32) -> CommandPath {
    CommandPath::new(ROOT_ENDPOINT, cluster::OPERATIONAL_CREDENTIALS, command)
}

/// ArmFailSafe `{0: ExpiryLengthSeconds u16, 1: Breadcrumb u64}`. Everything up to
/// CommissioningComplete must happen within `expiry_seconds` (Matter 1.3 §5.5).
pub fn arm_fail_safe(expiry_seconds: u16, breadcrumb: u64) -> Result<Command, ImError> {
    Command::new(general(general_commissioning::ARM_FAIL_SAFE), |w| {
        w.put_uint(Tag::Context(0), u64::from(expiry_seconds));
        w.put_uint(Tag::Context(1), breadcrumb);
    })
}

/// CSRRequest `{0: CSRNonce octets(32)}` (IsForUpdateNOC left out: false).
pub fn csr_request(nonce: &[u8; CSR_NONCE_LEN]) -> Result<Command, ImError> {
    Command::new(credentials(operational_credentials::CSR_REQUEST), |w| {
        w.put_bytes(Tag::Context(0), nonce);
    })
}

/// AddTrustedRootCertificate `{0: RootCACertificate}` (Matter TLV RCAC); answered by a plain
/// status.
pub fn add_trusted_root_certificate(rcac: &[u8]) -> Result<Command, ImError> {
    Command::new(
        credentials(operational_credentials::ADD_TRUSTED_ROOT_CERTIFICATE),
        |w| w.put_bytes(Tag::Context(0), rcac),
    )
}

/// The fields of AddNOC.
#[derive(Clone, Copy)]
pub struct AddNoc<'a> {
    /// The device's NOC, Matter TLV; it must certify the public key of the device's CSR.
    pub noc: &'a [u8],
    /// The ICAC, when the fabric has one.
    pub icac: Option<&'a [u8]>,
    /// The IPK *epoch* key; the device derives the operational IPK from it (Matter 1.3
    /// §4.14.2.6.1).
    pub ipk_epoch_key: &'a [u8; IPK_EPOCH_KEY_LEN],
    /// Who gets Administer in the new fabric's ACL: the commissioner's node id (or a CAT).
    pub case_admin_subject: u64,
    /// The administrator's vendor id.
    pub admin_vendor_id: u16,
}

impl fmt::Debug for AddNoc<'_> {
    // By hand: the IPK epoch key stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddNoc")
            .field("noc_len", &self.noc.len())
            .field("has_icac", &self.icac.is_some())
            .field("case_admin_subject", &self.case_admin_subject)
            .field("admin_vendor_id", &self.admin_vendor_id)
            .finish_non_exhaustive()
    }
}

impl AddNoc<'_> {
    /// AddNOC `{0: NOCValue, 1: ICACValue (opt), 2: IPKValue, 3: CaseAdminSubject u64,
    /// 4: AdminVendorId u16}`.
    pub fn command(&self) -> Result<Command, ImError> {
        Command::new(credentials(operational_credentials::ADD_NOC), |w| {
            w.put_bytes(Tag::Context(0), self.noc);
            if let Some(icac) = self.icac {
                w.put_bytes(Tag::Context(1), icac);
            }
            w.put_bytes(Tag::Context(2), self.ipk_epoch_key);
            w.put_uint(Tag::Context(3), self.case_admin_subject);
            w.put_uint(Tag::Context(4), u64::from(self.admin_vendor_id));
        })
    }
}

/// CommissioningComplete, no fields. Must be sent over the CASE session (Matter 1.3 §5.5).
pub fn commissioning_complete() -> Result<Command, ImError> {
    Command::new(
        general(general_commissioning::COMMISSIONING_COMPLETE),
        |_: &mut Writer| {},
    )
}

/// The CommissioningError enumeration (ArmFailSafe and CommissioningComplete responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommissioningError(pub u8);

impl CommissioningError {
    /// OK.
    pub const OK: Self = Self(0);
    /// ValueOutsideRange.
    pub const VALUE_OUTSIDE_RANGE: Self = Self(1);
    /// InvalidAuthentication (e.g. CommissioningComplete over PASE in matter.js).
    pub const INVALID_AUTHENTICATION: Self = Self(2);
    /// NoFailSafe.
    pub const NO_FAIL_SAFE: Self = Self(3);
    /// BusyWithOtherAdmin.
    pub const BUSY_WITH_OTHER_ADMIN: Self = Self(4);

    /// Its name, for the values above.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "OK",
            1 => "ValueOutsideRange",
            2 => "InvalidAuthentication",
            3 => "NoFailSafe",
            4 => "BusyWithOtherAdmin",
            _ => return None,
        })
    }
}

impl fmt::Display for CommissioningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// ArmFailSafeResponse / CommissioningCompleteResponse `{0: ErrorCode, 1: DebugText}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissioningResponse {
    /// The error code (OK on success).
    pub error_code: CommissioningError,
    /// Free text from the device (may be empty).
    pub debug_text: String,
}

impl CommissioningResponse {
    fn read(fields: &StructView<'_>) -> Result<Self, ImError> {
        Ok(Self {
            error_code: CommissioningError(fields.required_u8(0)?),
            debug_text: fields.utf8(1)?.unwrap_or_default().to_owned(),
        })
    }

    /// The answer to ArmFailSafe.
    pub fn arm_fail_safe(response: &CommandResponse<'_>) -> Result<Self, ImError> {
        Self::read(response.expect_data(general(general_commissioning::ARM_FAIL_SAFE_RESPONSE))?)
    }

    /// The answer to CommissioningComplete.
    pub fn commissioning_complete(response: &CommandResponse<'_>) -> Result<Self, ImError> {
        Self::read(response.expect_data(general(
            general_commissioning::COMMISSIONING_COMPLETE_RESPONSE,
        ))?)
    }
}

/// CSRResponse `{0: NOCSRElements octets, 1: AttestationSignature octets}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrResponse<'a> {
    /// The NOCSRElements TLV, as signed by the attestation key.
    pub nocsr_elements: &'a [u8],
    /// ECDSA by the device attestation key over NOCSRElements ‖ attestation challenge (not
    /// verified by a test commissioner, Matter 1.3 §5.5).
    pub attestation_signature: &'a [u8],
}

impl<'a> CsrResponse<'a> {
    /// The answer to CSRRequest.
    pub fn read(response: &CommandResponse<'a>) -> Result<Self, ImError> {
        let fields = response.expect_data(credentials(operational_credentials::CSR_RESPONSE))?;
        Ok(Self {
            nocsr_elements: fields.required_bytes(0)?,
            attestation_signature: fields.required_bytes(1)?,
        })
    }

    /// The decoded NOCSRElements.
    pub fn elements(&self) -> Result<NocsrElements<'a>, ImError> {
        NocsrElements::decode(self.nocsr_elements)
    }
}

/// NOCSRElements: anonymous struct `{1: csr (DER PKCS#10), 2: CSRNonce, 3–5: vendor data}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NocsrElements<'a> {
    /// The DER CertificationRequest (parse with [`crate::cert::CertificationRequest`]).
    pub csr: &'a [u8],
    /// The CSRNonce the device echoes.
    pub nonce: &'a [u8],
}

impl<'a> NocsrElements<'a> {
    /// Decodes the NOCSRElements TLV.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, ImError> {
        let view = StructView::parse_anonymous(bytes)?;
        let nonce = view.required_bytes(2)?;
        if nonce.len() != CSR_NONCE_LEN {
            return Err(ImError::FieldLength {
                tag: 2,
                expected: CSR_NONCE_LEN,
                actual: nonce.len(),
            });
        }
        Ok(Self {
            csr: view.required_bytes(1)?,
            nonce,
        })
    }

    /// The nonce must be the one of our CSRRequest (Matter 1.3 §5.5): a stale or replayed CSR is
    /// refused.
    pub fn check_nonce(&self, sent: &[u8; CSR_NONCE_LEN]) -> Result<(), ImError> {
        if self.nonce == sent {
            Ok(())
        } else {
            Err(ImError::NonceMismatch)
        }
    }
}

/// NodeOperationalCertStatusEnum (NOCResponse StatusCode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NocStatus(pub u8);

impl NocStatus {
    /// OK.
    pub const OK: Self = Self(0);
    /// InvalidPublicKey.
    pub const INVALID_PUBLIC_KEY: Self = Self(1);
    /// InvalidNodeOpId.
    pub const INVALID_NODE_OP_ID: Self = Self(2);
    /// InvalidNOC.
    pub const INVALID_NOC: Self = Self(3);
    /// MissingCsr.
    pub const MISSING_CSR: Self = Self(4);
    /// TableFull.
    pub const TABLE_FULL: Self = Self(5);
    /// InvalidAdminSubject.
    pub const INVALID_ADMIN_SUBJECT: Self = Self(6);
    /// FabricConflict.
    pub const FABRIC_CONFLICT: Self = Self(9);
    /// LabelConflict.
    pub const LABEL_CONFLICT: Self = Self(10);
    /// InvalidFabricIndex.
    pub const INVALID_FABRIC_INDEX: Self = Self(11);

    /// Its name, for the values above.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "OK",
            1 => "InvalidPublicKey",
            2 => "InvalidNodeOpId",
            3 => "InvalidNOC",
            4 => "MissingCsr",
            5 => "TableFull",
            6 => "InvalidAdminSubject",
            9 => "FabricConflict",
            10 => "LabelConflict",
            11 => "InvalidFabricIndex",
            _ => return None,
        })
    }
}

impl fmt::Display for NocStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// NOCResponse `{0: StatusCode, 1: FabricIndex (opt), 2: DebugText (opt)}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NocResponse {
    /// The status.
    pub status: NocStatus,
    /// The fabric index the device gave the new fabric.
    pub fabric_index: Option<u8>,
    /// Free text.
    pub debug_text: Option<String>,
}

impl NocResponse {
    /// The answer to AddNOC.
    pub fn read(response: &CommandResponse<'_>) -> Result<Self, ImError> {
        let fields = response.expect_data(credentials(operational_credentials::NOC_RESPONSE))?;
        Ok(Self {
            status: NocStatus(fields.required_u8(0)?),
            fabric_index: fields.u8(1)?,
            debug_text: fields.utf8(2)?.map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::im::{InvokeResponse, encode_invoke_request};
    use crate::tlv::TlvError;

    /// The InvokeRequest's CommandDataIB fields for `command`, re-read.
    fn fields_of(command: &Command) -> Vec<u8> {
        command.fields().to_vec()
    }

    /// An InvokeResponse with one CommandDataIB for `path` whose fields `build` writes.
    fn response(path: CommandPath, build: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bool(Tag::Context(0), false);
        w.start_array(Tag::Context(1));
        w.start_struct(Tag::Anonymous);
        w.start_struct(Tag::Context(0));
        path.write(&mut w, Tag::Context(0));
        w.start_struct(Tag::Context(1));
        build(&mut w);
        w.end_container();
        w.end_container();
        w.end_container();
        w.end_container();
        w.put_uint(Tag::Context(0xff), 12);
        w.end_container();
        w.finish().unwrap()
    }

    #[test]
    fn request_fields() {
        assert_eq!(
            fields_of(&arm_fail_safe(60, 0).unwrap()),
            [0x15, 0x24, 0x00, 0x3c, 0x24, 0x01, 0x00, 0x18]
        );
        assert_eq!(
            fields_of(&arm_fail_safe(900, 0x1_0000_0000).unwrap()),
            [
                0x15, 0x25, 0x00, 0x84, 0x03, 0x27, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                0x00, 0x18
            ]
        );
        let nonce = [0xab; 32];
        let csr = csr_request(&nonce).unwrap();
        assert_eq!(csr.path, CommandPath::new(0, 0x3e, 0x04));
        assert_eq!(&fields_of(&csr)[..3], [0x15, 0x30, 0x00]);
        assert_eq!(fields_of(&csr)[3], 32);
        assert_eq!(&fields_of(&csr)[4..36], nonce);
        let root = add_trusted_root_certificate(&[1, 2, 3]).unwrap();
        assert_eq!(root.path, CommandPath::new(0, 0x3e, 0x0b));
        assert_eq!(fields_of(&root), [0x15, 0x30, 0x00, 0x03, 1, 2, 3, 0x18]);
        let complete = commissioning_complete().unwrap();
        assert_eq!(complete.path, CommandPath::new(0, 0x30, 0x04));
        assert_eq!(fields_of(&complete), [0x15, 0x18]);
        // The whole request for CommissioningComplete: an empty fields structure.
        let bytes = encode_invoke_request(&[complete]).unwrap();
        assert!(bytes.windows(3).any(|w| w == [0x35, 0x01, 0x18]));
    }

    #[test]
    fn add_noc_fields() {
        let ipk = [0x11; 16];
        let add = AddNoc {
            noc: &[0xaa, 0xbb],
            icac: None,
            ipk_epoch_key: &ipk,
            case_admin_subject: 0x1122,
            admin_vendor_id: 0xfff1,
        };
        let command = add.command().unwrap();
        assert_eq!(command.path, CommandPath::new(0, 0x3e, 0x06));
        let mut expected = vec![0x15, 0x30, 0x00, 0x02, 0xaa, 0xbb, 0x30, 0x02, 0x10];
        expected.extend_from_slice(&ipk);
        expected.extend_from_slice(&[0x25, 0x03, 0x22, 0x11, 0x25, 0x04, 0xf1, 0xff, 0x18]);
        assert_eq!(fields_of(&command), expected);
        let with_icac = AddNoc {
            icac: Some(&[0xcc]),
            ..add
        }
        .command()
        .unwrap();
        let view_bytes = fields_of(&with_icac);
        let view = StructView::parse(&view_bytes).unwrap();
        assert_eq!(view.bytes(1).unwrap(), Some(&[0xcc][..]));
        // The debug form leaves the key out.
        assert!(!format!("{add:?}").contains("17"));
    }

    #[test]
    fn commissioning_responses() {
        let ok = response(general(1), |w| {
            w.put_uint(Tag::Context(0), 0);
            w.put_utf8(Tag::Context(1), "");
        });
        let decoded = InvokeResponse::decode(&ok).unwrap();
        let arm = CommissioningResponse::arm_fail_safe(decoded.single().unwrap()).unwrap();
        assert_eq!(arm.error_code, CommissioningError::OK);
        // The same bytes are not a CommissioningCompleteResponse.
        assert!(matches!(
            CommissioningResponse::commissioning_complete(decoded.single().unwrap()),
            Err(ImError::UnexpectedCommand { .. })
        ));
        let refused = response(general(5), |w| {
            w.put_uint(Tag::Context(0), 2);
            w.put_utf8(
                Tag::Context(1),
                "Command must be executed over CASE session",
            );
        });
        let decoded = InvokeResponse::decode(&refused).unwrap();
        let complete =
            CommissioningResponse::commissioning_complete(decoded.single().unwrap()).unwrap();
        assert_eq!(
            complete.error_code,
            CommissioningError::INVALID_AUTHENTICATION
        );
        assert_eq!(complete.error_code.to_string(), "InvalidAuthentication (2)");
        assert!(complete.debug_text.contains("CASE"));
    }

    #[test]
    fn csr_response_and_elements() {
        let nonce = [7u8; 32];
        let mut elements = Writer::new();
        elements.start_struct(Tag::Anonymous);
        elements.put_bytes(Tag::Context(1), &[0x30, 0x00]);
        elements.put_bytes(Tag::Context(2), &nonce);
        elements.end_container();
        let elements = elements.finish().unwrap();
        let bytes = response(credentials(5), |w| {
            w.put_bytes(Tag::Context(0), &elements);
            w.put_bytes(Tag::Context(1), &[0x55; 64]);
        });
        let decoded = InvokeResponse::decode(&bytes).unwrap();
        let csr = CsrResponse::read(decoded.single().unwrap()).unwrap();
        assert_eq!(csr.attestation_signature, [0x55; 64]);
        let parsed = csr.elements().unwrap();
        assert_eq!(parsed.csr, [0x30, 0x00]);
        assert_eq!(parsed.check_nonce(&nonce), Ok(()));
        assert_eq!(parsed.check_nonce(&[8; 32]), Err(ImError::NonceMismatch));
    }

    #[test]
    fn bad_nocsr_elements() {
        // Short nonce.
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(1), &[0x30, 0x00]);
        w.put_bytes(Tag::Context(2), &[1; 16]);
        w.end_container();
        assert_eq!(
            NocsrElements::decode(&w.finish().unwrap()),
            Err(ImError::FieldLength {
                tag: 2,
                expected: 32,
                actual: 16
            })
        );
        // No CSR.
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(2), &[1; 32]);
        w.end_container();
        assert_eq!(
            NocsrElements::decode(&w.finish().unwrap()),
            Err(ImError::Tlv(TlvError::MissingField(1)))
        );
        assert!(NocsrElements::decode(&[]).is_err());
    }

    #[test]
    fn noc_response() {
        let bytes = response(credentials(8), |w| {
            w.put_uint(Tag::Context(0), 0);
            w.put_uint(Tag::Context(1), 1);
        });
        let decoded = InvokeResponse::decode(&bytes).unwrap();
        let noc = NocResponse::read(decoded.single().unwrap()).unwrap();
        assert_eq!(noc.status, NocStatus::OK);
        assert_eq!(noc.fabric_index, Some(1));
        assert_eq!(noc.debug_text, None);
        let bytes = response(credentials(8), |w| {
            w.put_uint(Tag::Context(0), 3);
            w.put_utf8(Tag::Context(2), "bad chain");
        });
        let decoded = InvokeResponse::decode(&bytes).unwrap();
        let noc = NocResponse::read(decoded.single().unwrap()).unwrap();
        assert_eq!(noc.status, NocStatus::INVALID_NOC);
        assert_eq!(noc.status.to_string(), "InvalidNOC (3)");
        assert_eq!(noc.debug_text.as_deref(), Some("bad chain"));
        assert_eq!(NocStatus(7).to_string(), "7");
    }
}
