//! The errors of the certificate module: [`CertError`] for a certificate that does not decode
//! (or cannot be built), [`ProfileError`] for one that decodes but breaks the rules of its kind
//! (Matter 1.3 §6.5.6.1, §6.5.11), [`ChainError`] for a chain that does not validate
//! (connectedhomeip `src/credentials/CHIPCert.cpp`).

use core::fmt;

use crate::crypto::CryptoError;
use crate::tlv::TlvError;

/// The top-level fields of a Matter TLV certificate, by context tag (Matter 1.3 §6.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertField {
    /// 1: serial-num.
    SerialNumber,
    /// 2: sig-algo.
    SignatureAlgorithm,
    /// 3: issuer.
    Issuer,
    /// 4: not-before.
    NotBefore,
    /// 5: not-after.
    NotAfter,
    /// 6: subject.
    Subject,
    /// 7: pub-key-algo.
    PublicKeyAlgorithm,
    /// 8: ec-curve-id.
    EcCurveId,
    /// 9: ec-pub-key.
    EcPublicKey,
    /// 10: extensions.
    Extensions,
    /// 11: signature.
    Signature,
}

impl CertField {
    /// All fields in tag order.
    pub const ALL: [CertField; 11] = [
        Self::SerialNumber,
        Self::SignatureAlgorithm,
        Self::Issuer,
        Self::NotBefore,
        Self::NotAfter,
        Self::Subject,
        Self::PublicKeyAlgorithm,
        Self::EcCurveId,
        Self::EcPublicKey,
        Self::Extensions,
        Self::Signature,
    ];

    /// The field with context tag `tag` (1–11).
    pub fn from_tag(tag: u8) -> Option<Self> {
        Self::ALL.get(usize::from(tag).checked_sub(1)?).copied()
    }

    /// The field's context tag.
    pub fn tag(self) -> u8 {
        match self {
            Self::SerialNumber => 1,
            Self::SignatureAlgorithm => 2,
            Self::Issuer => 3,
            Self::NotBefore => 4,
            Self::NotAfter => 5,
            Self::Subject => 6,
            Self::PublicKeyAlgorithm => 7,
            Self::EcCurveId => 8,
            Self::EcPublicKey => 9,
            Self::Extensions => 10,
            Self::Signature => 11,
        }
    }
}

impl fmt::Display for CertField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::SerialNumber => "serial-num",
            Self::SignatureAlgorithm => "sig-algo",
            Self::Issuer => "issuer",
            Self::NotBefore => "not-before",
            Self::NotAfter => "not-after",
            Self::Subject => "subject",
            Self::PublicKeyAlgorithm => "pub-key-algo",
            Self::EcCurveId => "ec-curve-id",
            Self::EcPublicKey => "ec-pub-key",
            Self::Extensions => "extensions",
            Self::Signature => "signature",
        };
        write!(f, "{name} (tag {})", self.tag())
    }
}

/// Why bytes are not a Matter TLV certificate, or why a certificate could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The bytes are not well-formed TLV (truncated, reserved type, …).
    #[error("malformed TLV: {0}")]
    Tlv(#[from] TlvError),
    /// The certificate structure carries a tag; it must be anonymous (Matter 1.3 §6.5.2).
    #[error("certificate structure is not anonymous")]
    NotAnonymous,
    /// The top-level element is not a structure.
    #[error("certificate is not a TLV structure")]
    NotAStructure,
    /// An element inside the certificate has a tag form other than a context tag.
    #[error("element inside {0} has a non-context tag")]
    NonContextTag(&'static str),
    /// A top-level field tag outside 1–11.
    #[error("unknown certificate field with tag {0}")]
    UnknownField(u8),
    /// A top-level field appears twice.
    #[error("duplicate field {0}")]
    DuplicateField(CertField),
    /// Top-level fields out of ascending tag order.
    #[error("field {field} after {after}: fields must be in tag order")]
    FieldOrder {
        /// The field that came too late.
        field: CertField,
        /// The field before it.
        after: CertField,
    },
    /// A mandatory field is absent.
    #[error("missing field {0}")]
    MissingField(CertField),
    /// A field has the wrong TLV element type.
    #[error("field {0} has the wrong TLV type")]
    WrongType(CertField),
    /// sig-algo, pub-key-algo or ec-curve-id other than 1.
    #[error("unsupported {field} value {value}")]
    UnsupportedAlgorithm {
        /// Which of the three fields.
        field: CertField,
        /// The value found.
        value: u64,
    },
    /// A serial number that is empty or longer than 20 bytes.
    #[error("serial number of {0} bytes (must be 1–20)")]
    InvalidSerial(usize),
    /// ec-pub-key is not a 65-byte uncompressed point on P-256.
    #[error("public key is not an uncompressed P-256 point")]
    InvalidPublicKey,
    /// The signature is not 64 bytes.
    #[error("signature of {0} bytes (must be 64)")]
    InvalidSignatureLength(usize),
    /// Bytes follow the certificate structure.
    #[error("bytes after the certificate structure")]
    TrailingData,
    /// An issuer or subject list with no attributes.
    #[error("empty distinguished name in {0}")]
    EmptyDistinguishedName(CertField),
    /// A distinguished-name attribute tag outside 1–23 and 129–143.
    #[error("unknown distinguished-name attribute tag {0}")]
    UnknownDnAttribute(u8),
    /// A distinguished-name attribute of the wrong TLV type or out of range (a CAT over 32
    /// bits).
    #[error("distinguished-name attribute {0} has the wrong type or range")]
    InvalidDnAttribute(u8),
    /// An extension tag outside 1–6.
    #[error("unknown extension tag {0}")]
    UnknownExtension(u8),
    /// One of the extensions 1–5 appears twice.
    #[error("extension {0} appears twice")]
    DuplicateExtension(u8),
    /// An extension's content is malformed.
    #[error("extension {tag} is invalid: {reason}")]
    InvalidExtension {
        /// The extension's TLV tag.
        tag: u8,
        /// What is wrong.
        reason: &'static str,
    },
    /// A DER ECDSA signature is not `SEQUENCE { INTEGER r, INTEGER s }` with r, s < 2²⁵⁶.
    #[error("malformed DER ECDSA signature")]
    InvalidDerSignature,
    /// The signature does not verify with the issuer's key.
    #[error("signature does not verify: {0}")]
    Signature(CryptoError),
    /// Signing a certificate failed.
    #[error("signing failed: {0}")]
    Sign(CryptoError),
    /// The certificate a caller asked to issue would break its kind's profile.
    #[error("certificate breaks its profile: {0}")]
    Profile(#[from] ProfileError),
}

/// Which distinguished name of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnRole {
    /// The issuer name.
    Issuer,
    /// The subject name.
    Subject,
}

impl fmt::Display for DnRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Issuer => "issuer",
            Self::Subject => "subject",
        })
    }
}

/// A decoded certificate that breaks a rule of its kind (Matter 1.3 §6.5.6.1, §6.5.11;
/// chip_certificates.json `profile_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// More distinguished-name attributes than matter.js accepts (5).
    #[error("{role} has {count} attributes (at most 5)")]
    TooManyDnAttributes {
        /// Issuer or subject.
        role: DnRole,
        /// How many it has.
        count: usize,
    },
    /// basic-constraints absent.
    #[error("basic-constraints extension missing")]
    MissingBasicConstraints,
    /// key-usage absent.
    #[error("key-usage extension missing")]
    MissingKeyUsage,
    /// subject-key-identifier absent.
    #[error("subject-key-identifier extension missing")]
    MissingSubjectKeyId,
    /// authority-key-identifier absent.
    #[error("authority-key-identifier extension missing")]
    MissingAuthorityKeyId,
    /// An RCAC or ICAC whose basic constraints do not say is-ca.
    #[error("CA certificate without is-ca")]
    CaWithoutIsCa,
    /// An RCAC or ICAC without the keyCertSign key usage.
    #[error("CA certificate without keyCertSign")]
    CaWithoutKeyCertSign,
    /// A NOC that says is-ca.
    #[error("NOC marked as a CA")]
    NocIsCa,
    /// A path-length constraint on a certificate that is not a CA (RFC 5280 §4.2.1.9).
    #[error("path length constraint on a non-CA certificate")]
    PathLenWithoutCa,
    /// A NOC without the digitalSignature key usage.
    #[error("NOC without digitalSignature key usage")]
    NocWithoutDigitalSignature,
    /// A NOC whose extended key usage lacks serverAuth or clientAuth (paseo is strict: both;
    /// matter.js `certificate/kinds/Noc.ts` accepts either).
    #[error("NOC extended key usage lacks serverAuth or clientAuth")]
    NocExtendedKeyUsage,
    /// An RCAC subject without exactly one matter-rcac-id, or with another identifier.
    #[error("RCAC subject must carry exactly one matter-rcac-id and no other Matter identifier")]
    RcacIdentifier,
    /// An ICAC subject without exactly one matter-icac-id, or with another identifier.
    #[error("ICAC subject must carry exactly one matter-icac-id and no other Matter identifier")]
    IcacIdentifier,
    /// A NOC subject without exactly one matter-node-id.
    #[error("NOC subject must carry exactly one matter-node-id")]
    NodeIdCount,
    /// A node id outside the operational range (Matter 1.3 §2.5.5).
    #[error("matter-node-id {0:#018x} outside the operational range")]
    NodeIdOutOfRange(u64),
    /// A NOC subject without exactly one matter-fabric-id.
    #[error("NOC subject must carry exactly one matter-fabric-id")]
    FabricIdCount,
    /// A CA subject with more than one matter-fabric-id.
    #[error("CA subject carries more than one matter-fabric-id")]
    CaFabricIdCount,
    /// A matter-fabric-id of 0.
    #[error("matter-fabric-id is 0")]
    FabricIdZero,
    /// A NOC subject with an RCAC, ICAC or firmware-signing identifier.
    #[error("NOC subject carries a CA or firmware-signing identifier")]
    NocWithCaIdentifier,
    /// More than three CATs.
    #[error("{0} CATs (at most 3)")]
    TooManyCats(usize),
    /// A CAT with version 0.
    #[error("CAT {0:#010x} has version 0")]
    CatVersionZero(u32),
    /// Two CATs with the same identifier.
    #[error("two CATs with identifier {0:#06x}")]
    DuplicateCatIdentifier(u16),
    /// CATs in a CA certificate's subject.
    #[error("CATs in a CA certificate")]
    CatsInCa,
    /// An RCAC whose issuer differs from its subject.
    #[error("RCAC issuer differs from its subject")]
    RcacNotSelfIssued,
    /// An RCAC whose authority key id differs from its subject key id.
    #[error("RCAC authority key id differs from its subject key id")]
    RcacKeyIdMismatch,
}

/// Which certificate of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChainPosition {
    /// The leaf (node operational certificate).
    Noc,
    /// The optional intermediate.
    Icac,
    /// The trusted root.
    Rcac,
}

impl fmt::Display for ChainPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Noc => "noc",
            Self::Icac => "icac",
            Self::Rcac => "rcac",
        })
    }
}

/// Why a NOC → \[ICAC\] → RCAC chain does not validate (connectedhomeip
/// `src/credentials/CHIPCert.cpp`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// A TLV certificate over the 400-byte limit (Matter 1.3 §6.5; matter.js).
    #[error("{position} is {len} bytes (at most 400)")]
    TooLarge {
        /// Which certificate.
        position: ChainPosition,
        /// Its length.
        len: usize,
    },
    /// A certificate does not decode.
    #[error("{position} does not decode: {error}")]
    Decode {
        /// Which certificate.
        position: ChainPosition,
        /// Why.
        error: CertError,
    },
    /// A certificate breaks the profile of its position.
    #[error("{position} profile: {error}")]
    Profile {
        /// Which certificate.
        position: ChainPosition,
        /// Which rule.
        error: ProfileError,
    },
    /// A certificate's issuer DN differs from its issuer's subject DN.
    #[error("{0} issuer DN does not match the subject DN of its issuer")]
    IssuerMismatch(ChainPosition),
    /// A certificate's authority key id differs from its issuer's subject key id.
    #[error("{0} authority key id does not match the issuer's subject key id")]
    AuthorityKeyIdMismatch(ChainPosition),
    /// A certificate's signature does not verify with its issuer's key.
    #[error("{position} signature does not verify with the issuer's public key: {error}")]
    Signature {
        /// Which certificate.
        position: ChainPosition,
        /// The verifier's verdict.
        error: CryptoError,
    },
    /// The RCAC's path-length constraint of 0 forbids an ICAC.
    #[error("rcac path length constraint forbids an icac")]
    PathLength,
    /// An ICAC or RCAC carries a matter-fabric-id different from the NOC's.
    #[error("{position} matter-fabric-id {found:#x} differs from the NOC's {noc:#x}")]
    FabricIdMismatch {
        /// The CA certificate.
        position: ChainPosition,
        /// Its fabric id.
        found: u64,
        /// The NOC's fabric id.
        noc: u64,
    },
    /// The NOC's fabric id is not the fabric the caller validates for.
    #[error("noc fabric id {found:#x} is not the expected fabric {expected:#x}")]
    WrongFabric {
        /// The fabric id the caller expected.
        expected: u64,
        /// The NOC's fabric id.
        found: u64,
    },
    /// A certificate is outside its validity period at the check time (both ends inclusive).
    #[error("{position} not valid at Matter epoch time {at}")]
    NotValidAt {
        /// Which certificate.
        position: ChainPosition,
        /// The check time, Matter epoch seconds.
        at: u32,
    },
}

impl ChainError {
    /// The certificate the failure is about (the RCAC for a path-length failure, the NOC for a
    /// fabric the caller did not expect).
    pub fn position(&self) -> ChainPosition {
        match self {
            Self::TooLarge { position, .. }
            | Self::Decode { position, .. }
            | Self::Profile { position, .. }
            | Self::Signature { position, .. }
            | Self::FabricIdMismatch { position, .. }
            | Self::NotValidAt { position, .. } => *position,
            Self::IssuerMismatch(position) | Self::AuthorityKeyIdMismatch(position) => *position,
            Self::PathLength => ChainPosition::Rcac,
            Self::WrongFabric { .. } => ChainPosition::Noc,
        }
    }
}
