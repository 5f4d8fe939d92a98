//! Matter operational certificates (Matter 1.3 §6.5): RCAC, ICAC and NOC.
//!
//! - [`MatterCertificate`]: the compact Matter TLV form (Matter 1.3 §6.5.2) decoded into typed
//!   fields ([`DistinguishedName`], [`Extensions`], validity in Matter epoch seconds), keeping the
//!   exact input bytes, which CASE sends and signs verbatim. Every malformed input is a
//!   [`CertError`]; nothing panics or reads past the buffer.
//! - [`MatterCertificate::tbs_der`] / [`MatterCertificate::to_x509_der`]: the X.509 DER the
//!   signature covers, rebuilt per Matter 1.3 §6.5 (as connectedhomeip
//!   `src/credentials/CHIPCertToX509.cpp` does) with the small [`der`] writer and the calendar
//!   conversions of [`time`].
//! - [`MatterCertificate::check_profile`]: the rules of each [`CertKind`] ([`ProfileError`]).
//! - [`TrustedRoot`] / [`validate_chain`]: NOC → \[ICAC\] → RCAC validation (connectedhomeip
//!   `src/credentials/CHIPCert.cpp`) yielding the [`ValidatedPeer`] CASE needs, or a [`ChainError`]
//!   naming the failing certificate.
//! - [`TestCa`]: a deterministic certificate authority for tests and the simulator.
//! - [`CertificationRequest`]: the PKCS#10 CSR a commissionee returns, key and self-signature
//!   checked ([`CsrError`]).

mod chain;
mod csr;
pub mod der;
mod dn;
mod error;
mod extensions;
mod issue;
mod key_id;
mod profile;
pub mod time;
mod tlv_cert;
mod tlv_read;
mod x509;

pub use chain::{
    ChainPolicy, MAX_TLV_CERT_LEN, TrustedRoot, ValidatedPeer, ValidityCheck, validate_chain,
};
pub use csr::{CertificationRequest, CsrError};
pub use dn::{
    CaseAuthTag, DistinguishedName, DnAttribute, TextAttribute, X509StringType, tags as dn_tags,
};
pub use error::{CertError, CertField, ChainError, ChainPosition, DnRole, ProfileError};
pub use extensions::{
    BasicConstraints, Extension, Extensions, KEY_ID_LEN, KeyPurpose, KeyUsage,
    tags as extension_tags,
};
pub use issue::{DEFAULT_NOT_BEFORE, IssuedNoc, TestCa, TestCaConfig, Validity, sign_certificate};
pub use key_id::key_identifier;
pub use profile::{CertKind, MAX_CATS, MAX_DN_ATTRIBUTES};
pub use time::{Asn1Time, Asn1TimeKind, MatterClock, UtcTime};
pub use tlv_cert::{CertificateFields, MAX_SERIAL_LEN, MatterCertificate};
pub use x509::{signature_from_der, signature_to_der};
