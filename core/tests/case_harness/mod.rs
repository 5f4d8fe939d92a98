//! Shared by the CASE handshake tests: test-CA fabrics and credentials, and in-memory runs of
//! the typed state machines (both roles in one process, messages passed by hand).

#![allow(dead_code)]

use std::num::NonZeroU16;

use paseo_core::case::{
    CaseEstablished, CaseFailure, CaseInitiator, CaseResponder, OperationalCredentials, Sigma1Reply,
};
use paseo_core::cert::{ChainPolicy, TestCa, TestCaConfig};
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::{ResumptionId, ResumptionRecord, SessionParameters};
use rand_chacha::ChaCha20Rng;

/// The IPK epoch key of the test fabrics.
pub const EPOCH_KEY: [u8; 16] = [0x4a; 16];
/// Session ids used by the handshakes.
pub const INITIATOR_SESSION: u16 = 0x1001;
/// The responder's.
pub const RESPONDER_SESSION: u16 = 0x2002;

/// A non-zero session id.
pub fn sid(id: u16) -> NonZeroU16 {
    NonZeroU16::new(id).expect("non-zero session id")
}

/// A test CA for `fabric_id`, with an ICAC when `icac`.
pub fn ca(seed: u64, fabric_id: u64, icac: bool) -> TestCa {
    let config = TestCaConfig {
        fabric_id,
        icac_id: icac.then_some(0x1CAC),
        ..TestCaConfig::default()
    };
    TestCa::from_seed(seed, config).expect("test CA")
}

/// Credentials for `node` (with `cats`) on `ca`'s fabric under local index `index`.
pub fn creds(
    ca: &mut TestCa,
    index: u8,
    node: u64,
    cats: &[u32],
    rng: &mut ChaCha20Rng,
) -> OperationalCredentials {
    OperationalCredentials::from_test_ca(ca, FabricIndex(index), NodeId(node), cats, EPOCH_KEY, rng)
        .expect("credentials")
}

/// The policy the test handshakes validate under: the test CA's certificates are valid from
/// 2023-01-01 with no expiry, so any later time works.
pub fn policy() -> ChainPolicy {
    ChainPolicy::at(paseo_core::cert::DEFAULT_NOT_BEFORE + 86_400)
}

/// A record lookup that knows nothing.
pub fn no_records(_: &ResumptionId) -> Option<ResumptionRecord> {
    None
}

/// A record lookup over a list of saved records.
pub fn records(saved: &[ResumptionRecord]) -> impl Fn(&ResumptionId) -> Option<ResumptionRecord> {
    move |id| saved.iter().find(|r| &r.resumption_id == id).cloned()
}

/// Both ends of a completed handshake and the payloads exchanged.
#[derive(Debug)]
pub struct Outcome {
    /// The initiator's session.
    pub initiator: CaseEstablished,
    /// The responder's session.
    pub responder: CaseEstablished,
    /// Sigma1 as sent.
    pub sigma1: Vec<u8>,
    /// Sigma2 or Sigma2_Resume.
    pub sigma2: Vec<u8>,
    /// Sigma3 (full CASE only).
    pub sigma3: Option<Vec<u8>>,
}

/// Runs a whole handshake through the typed states: `initiator` addresses `peer` on its
/// fabric, optionally resuming `record`; the responder holds `fabrics` and `saved` records.
pub fn handshake(
    rng: &mut ChaCha20Rng,
    initiator: &OperationalCredentials,
    peer: NodeId,
    record: Option<&ResumptionRecord>,
    fabrics: &[OperationalCredentials],
    saved: &[ResumptionRecord],
    policy: &ChainPolicy,
) -> Result<Outcome, CaseFailure> {
    let (await2, sigma1) = CaseInitiator::start(
        rng,
        initiator,
        peer,
        sid(INITIATOR_SESSION),
        SessionParameters::paseo_default(),
        record,
    )?;
    let reply = CaseResponder::handle_sigma1(
        rng,
        &sigma1,
        fabrics,
        records(saved),
        sid(RESPONDER_SESSION),
        SessionParameters::paseo_default(),
    )?;
    match reply {
        Sigma1Reply::Full(await3, sigma2) => {
            let (await_status, sigma3) = await2.handle_sigma2(&sigma2, policy)?;
            let (responder, status) = await3.handle(&sigma3, policy)?;
            let initiator = await_status.handle(&status)?;
            Ok(Outcome {
                initiator,
                responder,
                sigma1,
                sigma2,
                sigma3: Some(sigma3),
            })
        }
        Sigma1Reply::Resume(await_status, sigma2) => {
            let (initiator, status) = await2.handle_sigma2_resume(&sigma2)?;
            let responder = await_status.handle(&status)?;
            Ok(Outcome {
                initiator,
                responder,
                sigma1,
                sigma2,
                sigma3: None,
            })
        }
    }
}

/// Asserts the two ends agree on everything they share: keys (derived from the same secret
/// and salt), session ids crosswise, fabric, node ids crosswise, kind, and resumption record
/// (id and secret).
pub fn assert_matching(outcome: &Outcome) {
    let (i, r) = (&outcome.initiator, &outcome.responder);
    assert!(i.is_initiator() && !r.is_initiator());
    let (ki, kr) = (
        i.session_key_material().expect("keys"),
        r.session_key_material().expect("keys"),
    );
    assert_eq!(ki.i2r, kr.i2r);
    assert_eq!(ki.r2i, kr.r2i);
    assert_eq!(ki.attestation_challenge, kr.attestation_challenge);
    assert_ne!(ki.i2r, ki.r2i);
    assert_eq!(i.shared_secret(), r.shared_secret());
    assert_eq!(i.salt(), r.salt());
    assert_eq!(i.is_resumption(), r.is_resumption());
    assert_eq!(i.local_session_id(), r.peer_session_id());
    assert_eq!(r.local_session_id(), i.peer_session_id());
    assert_eq!(i.local_session_id(), INITIATOR_SESSION);
    assert_eq!(r.local_session_id(), RESPONDER_SESSION);
    assert_eq!(i.peer_node_id(), r.local_node_id());
    assert_eq!(r.peer_node_id(), i.local_node_id());
    let (ri, rr) = (i.resumption_record(), r.resumption_record());
    assert_eq!(ri.resumption_id, rr.resumption_id);
    assert_eq!(ri.shared_secret, rr.shared_secret);
    assert_eq!(&*ri.shared_secret, i.shared_secret());
    assert_eq!(ri.peer_node_id, i.peer_node_id());
    assert_eq!(rr.peer_node_id, r.peer_node_id());
    assert_eq!(ri.peer_cats, i.peer_cats());
    assert_eq!(rr.peer_cats, r.peer_cats());
    assert_eq!(ri.fabric_index, i.fabric_index());
    assert_eq!(rr.fabric_index, r.fabric_index());
}
