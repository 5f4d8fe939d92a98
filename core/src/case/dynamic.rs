//! Dynamic wrappers over the typed states, for a node driver that keeps handshakes in a table
//! and feeds them `(opcode, payload)` as messages arrive (the same shape as PASE's).
//!
//! A message whose opcode the current state does not expect ends the handshake with
//! [`CaseError::UnexpectedMessage`] and INVALID_PARAMETER for the peer (Matter 1.3 §4.14.2, for any
//! error); a StatusReport in a state that waits for a Sigma message ends it silently (the peer
//! gave up, matter.js `securechannel/SecureChannelMessenger.ts`; BUSY carries the wait time);
//! anything after the end is [`CaseError::Finished`]. Nothing here panics.

use core::num::NonZeroU16;

use rand_core::CryptoRngCore;

use super::credentials::OperationalCredentials;
use super::error::CaseError;
use super::initiator::{AwaitSigma2, AwaitStatus, CaseInitiator};
use super::outcome::{CaseEstablished, CaseFailure, peer_status_failure};
use super::responder::{AwaitResumeStatus, AwaitSigma3, CaseResponder, Sigma1Reply};
use crate::cert::ChainPolicy;
use crate::codec::SecureChannelOpcode;
use crate::fabric::NodeId;
use crate::session::{ResumptionId, ResumptionRecord, SessionParameters};

/// What to do after feeding a message to a CASE handshake (either role).
#[derive(Debug)]
pub enum CaseStep {
    /// Send `payload` with `opcode` on the establishment exchange and wait for the next message.
    Send {
        /// Secure Channel opcode of the payload.
        opcode: SecureChannelOpcode,
        /// The payload.
        payload: Vec<u8>,
    },
    /// The handshake is complete: install the session (and save its resumption record).
    Established {
        /// The session to install (boxed: it is large next to `Send`).
        session: Box<CaseEstablished>,
        /// The SUCCESS / SessionEstablishmentSuccess StatusReport payload (opcode 0x40) to
        /// send first, when it is ours to send: the responder's after Sigma3, the initiator's
        /// after Sigma2_Resume; `None` when we just received it.
        status_payload: Option<Vec<u8>>,
    },
}

/// The initiator's handshake in whatever state it is in.
#[derive(Debug)]
pub enum CaseInitiatorState {
    /// Waiting for Sigma2 or Sigma2_Resume.
    AwaitSigma2(Box<AwaitSigma2>),
    /// Waiting for the final StatusReport.
    AwaitStatus(Box<AwaitStatus>),
    /// Established or failed; takes no more messages.
    Finished,
}

impl CaseInitiatorState {
    /// Starts a handshake: the state and the Sigma1 payload (opcode 0x30); see
    /// [`CaseInitiator::start`].
    pub fn start(
        rng: &mut impl CryptoRngCore,
        credentials: &OperationalCredentials,
        peer_node_id: NodeId,
        local_session_id: NonZeroU16,
        our_params: SessionParameters,
        resumption: Option<&ResumptionRecord>,
    ) -> Result<(Self, Vec<u8>), CaseError> {
        let (state, payload) = CaseInitiator::start(
            rng,
            credentials,
            peer_node_id,
            local_session_id,
            our_params,
            resumption,
        )?;
        Ok((CaseInitiatorState::AwaitSigma2(Box::new(state)), payload))
    }

    /// The opcode the state waits for; `None` once finished. (After a resumption attempt
    /// Sigma2_Resume is accepted too.)
    pub fn expected_opcode(&self) -> Option<SecureChannelOpcode> {
        match self {
            CaseInitiatorState::AwaitSigma2(_) => Some(SecureChannelOpcode::Sigma2),
            CaseInitiatorState::AwaitStatus(_) => Some(SecureChannelOpcode::StatusReport),
            CaseInitiatorState::Finished => None,
        }
    }

    /// True once established or failed.
    pub fn is_finished(&self) -> bool {
        matches!(self, CaseInitiatorState::Finished)
    }

    /// Feeds one Secure Channel message; `policy` governs the responder's certificate chain.
    /// On `Err` the state is [`Self::Finished`] and the failure says which StatusReport, if
    /// any, to send.
    pub fn handle(
        &mut self,
        opcode: u8,
        payload: &[u8],
        policy: &ChainPolicy,
    ) -> Result<CaseStep, CaseFailure> {
        use SecureChannelOpcode as Op;
        let state = core::mem::replace(self, CaseInitiatorState::Finished);
        let Some(expected) = state.expected_opcode() else {
            return Err(CaseFailure::silent(CaseError::Finished));
        };
        match (state, Op::from_u8(opcode)) {
            (CaseInitiatorState::AwaitSigma2(s), Some(Op::Sigma2)) => {
                let (next, payload) = s.handle_sigma2(payload, policy)?;
                *self = CaseInitiatorState::AwaitStatus(Box::new(next));
                Ok(CaseStep::Send {
                    opcode: Op::Sigma3,
                    payload,
                })
            }
            (CaseInitiatorState::AwaitSigma2(s), Some(Op::Sigma2Resume)) => {
                let (session, status_payload) = s.handle_sigma2_resume(payload)?;
                Ok(CaseStep::Established {
                    session: Box::new(session),
                    status_payload: Some(status_payload),
                })
            }
            (CaseInitiatorState::AwaitStatus(s), Some(Op::StatusReport)) => {
                s.handle(payload).map(|session| CaseStep::Established {
                    session: Box::new(session),
                    status_payload: None,
                })
            }
            (_, Some(Op::StatusReport)) => Err(peer_status_failure(payload)),
            (_, _) => Err(CaseFailure::local(CaseError::UnexpectedMessage {
                opcode,
                expected,
            })),
        }
    }
}

/// The responder's handshake in whatever state it is in.
#[derive(Debug)]
pub enum CaseResponderState {
    /// Waiting for Sigma1; `local_session_id` and `our_params` go into Sigma2/Sigma2_Resume.
    AwaitSigma1 {
        /// Our session id for this handshake.
        local_session_id: NonZeroU16,
        /// The session parameters we announce.
        our_params: SessionParameters,
    },
    /// Sent Sigma2; waiting for Sigma3.
    AwaitSigma3(Box<AwaitSigma3>),
    /// Sent Sigma2_Resume; waiting for the initiator's SUCCESS.
    AwaitResumeStatus(Box<AwaitResumeStatus>),
    /// Established or failed; takes no more messages.
    Finished,
}

impl CaseResponderState {
    /// A responder waiting for Sigma1.
    pub fn new(local_session_id: NonZeroU16, our_params: SessionParameters) -> Self {
        CaseResponderState::AwaitSigma1 {
            local_session_id,
            our_params,
        }
    }

    /// The opcode the state waits for; `None` once finished.
    pub fn expected_opcode(&self) -> Option<SecureChannelOpcode> {
        match self {
            CaseResponderState::AwaitSigma1 { .. } => Some(SecureChannelOpcode::Sigma1),
            CaseResponderState::AwaitSigma3(_) => Some(SecureChannelOpcode::Sigma3),
            CaseResponderState::AwaitResumeStatus(_) => Some(SecureChannelOpcode::StatusReport),
            CaseResponderState::Finished => None,
        }
    }

    /// True once established or failed.
    pub fn is_finished(&self) -> bool {
        matches!(self, CaseResponderState::Finished)
    }

    /// Feeds one Secure Channel message. `rng`, `fabrics` and `find_record` are used only for
    /// Sigma1 ([`CaseResponder::handle_sigma1`]), `policy` only for Sigma3 (the initiator's
    /// chain). On `Err` the state is [`Self::Finished`] and the failure says which
    /// StatusReport, if any, to send.
    pub fn handle(
        &mut self,
        rng: &mut impl CryptoRngCore,
        opcode: u8,
        payload: &[u8],
        fabrics: &[OperationalCredentials],
        find_record: impl FnOnce(&ResumptionId) -> Option<ResumptionRecord>,
        policy: &ChainPolicy,
    ) -> Result<CaseStep, CaseFailure> {
        use SecureChannelOpcode as Op;
        let state = core::mem::replace(self, CaseResponderState::Finished);
        let Some(expected) = state.expected_opcode() else {
            return Err(CaseFailure::silent(CaseError::Finished));
        };
        match (state, Op::from_u8(opcode)) {
            (
                CaseResponderState::AwaitSigma1 {
                    local_session_id,
                    our_params,
                },
                Some(Op::Sigma1),
            ) => {
                let reply = CaseResponder::handle_sigma1(
                    rng,
                    payload,
                    fabrics,
                    find_record,
                    local_session_id,
                    our_params,
                )?;
                let opcode = reply.opcode();
                let payload = match reply {
                    Sigma1Reply::Resume(next, payload) => {
                        *self = CaseResponderState::AwaitResumeStatus(Box::new(next));
                        payload
                    }
                    Sigma1Reply::Full(next, payload) => {
                        *self = CaseResponderState::AwaitSigma3(next);
                        payload
                    }
                };
                Ok(CaseStep::Send { opcode, payload })
            }
            (CaseResponderState::AwaitSigma3(s), Some(Op::Sigma3)) => {
                let (session, status_payload) = s.handle(payload, policy)?;
                Ok(CaseStep::Established {
                    session: Box::new(session),
                    status_payload: Some(status_payload),
                })
            }
            (CaseResponderState::AwaitResumeStatus(s), Some(Op::StatusReport)) => {
                s.handle(payload).map(|session| CaseStep::Established {
                    session: Box::new(session),
                    status_payload: None,
                })
            }
            (_, Some(Op::StatusReport)) => Err(peer_status_failure(payload)),
            (_, _) => Err(CaseFailure::local(CaseError::UnexpectedMessage {
                opcode,
                expected,
            })),
        }
    }
}
