//! Steps both CASE roles take on the other's certificates and signature (Matter 1.3 §4.14.2.3):
//! validate the peer's chain against our fabric's root, sign our TBSData, verify theirs.

use super::SIGNATURE_LEN;
use super::credentials::OperationalCredentials;
use super::error::CaseError;
use super::signed_data::TbsData;
use crate::cert::{ChainPolicy, ValidatedPeer};
use crate::crypto::{P256PublicKey, SigningKeyPair};

/// Validates the peer's NOC (and ICAC) against our fabric's root under `policy`, requiring the
/// NOC to name our fabric (Matter 1.3 §4.14.2.3: the initiator on Sigma2, the responder on
/// Sigma3).
pub(super) fn validate_peer(
    credentials: &OperationalCredentials,
    noc: &[u8],
    icac: Option<&[u8]>,
    policy: &ChainPolicy,
) -> Result<ValidatedPeer, CaseError> {
    credentials
        .root()
        .validate(noc, icac, &policy.with_fabric_id(credentials.fabric_id()))
        .map_err(CaseError::InvalidChain)
}

/// Signs the TBS bytes with our operational key (raw r ‖ s). `what` names the structure.
pub(super) fn sign_tbs(
    key: &SigningKeyPair,
    tbs: &TbsData,
    what: &'static str,
) -> Result<[u8; SIGNATURE_LEN], CaseError> {
    key.sign(&tbs.encode()?)
        .map_err(|_| CaseError::SignFailed(what))
}

/// Verifies the peer's signature over the TBS bytes we rebuilt from what we saw (the verifier
/// never uses TBS bytes from the wire, Matter 1.3 §4.14.2.3).
pub(super) fn verify_tbs(
    key: &P256PublicKey,
    tbs: &TbsData,
    signature: &[u8; SIGNATURE_LEN],
    what: &'static str,
) -> Result<(), CaseError> {
    key.verify(&tbs.encode()?, signature)
        .map_err(|_| CaseError::BadSignature(what))
}
