//! Dynamic wrappers over the typed states, for a node driver that keeps handshakes in a table
//! and feeds them `(opcode, payload)` as messages arrive.
//!
//! A message whose opcode the current state does not expect ends the handshake with
//! [`PaseError::UnexpectedMessage`] and INVALID_PARAMETER for the peer (Matter 1.3 §4.11,
//! Appendix D, for any establishment failure); a StatusReport in any waiting state ends it silently
//! (the peer gave up, matter.js `securechannel/SecureChannelMessenger.ts`); anything after the end
//! is [`PaseError::Finished`]. Nothing here panics.

use core::num::NonZeroU16;

use rand_core::CryptoRngCore;

use super::error::PaseError;
use super::initiator::{AwaitPake2, AwaitPbkdfResponse, AwaitStatus, PaseInitiator};
use super::outcome::{PaseEstablished, PaseFailure, peer_status_failure};
use super::passcode::Passcode;
use super::responder::{AwaitPake1, AwaitPake3, PaseResponder};
use crate::codec::SecureChannelOpcode;
use crate::session::SessionParameters;

/// What to do after feeding a message to the initiator.
#[derive(Debug)]
pub enum InitiatorStep {
    /// Send `payload` with `opcode` on the establishment exchange and wait for the next message.
    Send {
        /// Secure Channel opcode of the payload.
        opcode: SecureChannelOpcode,
        /// The payload.
        payload: Vec<u8>,
    },
    /// The responder confirmed: install the session.
    Established(PaseEstablished),
}

/// The initiator's handshake in whatever state it is in.
#[derive(Debug)]
pub enum PaseInitiatorState {
    /// Waiting for PBKDFParamResponse.
    AwaitPbkdfResponse(AwaitPbkdfResponse),
    /// Waiting for Pake2.
    AwaitPake2(AwaitPake2),
    /// Waiting for the final StatusReport.
    AwaitStatus(AwaitStatus),
    /// Established or failed; takes no more messages.
    Finished,
}

impl PaseInitiatorState {
    /// Starts a handshake: the state and the PBKDFParamRequest payload (opcode 0x20).
    pub fn start(
        rng: &mut impl CryptoRngCore,
        passcode: Passcode,
        local_session_id: NonZeroU16,
        our_params: SessionParameters,
    ) -> (Self, Vec<u8>) {
        let (state, payload) = PaseInitiator::start(rng, passcode, local_session_id, our_params);
        (PaseInitiatorState::AwaitPbkdfResponse(state), payload)
    }

    /// The opcode the state waits for; `None` once finished.
    pub fn expected_opcode(&self) -> Option<SecureChannelOpcode> {
        match self {
            PaseInitiatorState::AwaitPbkdfResponse(_) => {
                Some(SecureChannelOpcode::PbkdfParamResponse)
            }
            PaseInitiatorState::AwaitPake2(_) => Some(SecureChannelOpcode::Pake2),
            PaseInitiatorState::AwaitStatus(_) => Some(SecureChannelOpcode::StatusReport),
            PaseInitiatorState::Finished => None,
        }
    }

    /// True once established or failed.
    pub fn is_finished(&self) -> bool {
        matches!(self, PaseInitiatorState::Finished)
    }

    /// Feeds one Secure Channel message. On `Err` the state is [`Self::Finished`] and the
    /// failure says which StatusReport, if any, to send.
    pub fn handle(&mut self, opcode: u8, payload: &[u8]) -> Result<InitiatorStep, PaseFailure> {
        use SecureChannelOpcode as Op;
        let state = core::mem::replace(self, PaseInitiatorState::Finished);
        let Some(expected) = state.expected_opcode() else {
            return Err(PaseFailure::silent(PaseError::Finished));
        };
        let received = Op::from_u8(opcode);
        match (state, received) {
            (PaseInitiatorState::AwaitPbkdfResponse(s), Some(Op::PbkdfParamResponse)) => {
                let (next, payload) = s.handle(payload)?;
                *self = PaseInitiatorState::AwaitPake2(next);
                Ok(InitiatorStep::Send {
                    opcode: Op::Pake1,
                    payload,
                })
            }
            (PaseInitiatorState::AwaitPake2(s), Some(Op::Pake2)) => {
                let (next, payload) = s.handle(payload)?;
                *self = PaseInitiatorState::AwaitStatus(next);
                Ok(InitiatorStep::Send {
                    opcode: Op::Pake3,
                    payload,
                })
            }
            (PaseInitiatorState::AwaitStatus(s), Some(Op::StatusReport)) => {
                s.handle(payload).map(InitiatorStep::Established)
            }
            (_, Some(Op::StatusReport)) => Err(peer_status_failure(payload)),
            (_, _) => Err(PaseFailure::local(PaseError::UnexpectedMessage {
                opcode,
                expected,
            })),
        }
    }
}

/// What to do after feeding a message to the responder.
#[derive(Debug)]
pub enum ResponderStep {
    /// Send `payload` with `opcode` on the establishment exchange and wait for the next message.
    Send {
        /// Secure Channel opcode of the payload.
        opcode: SecureChannelOpcode,
        /// The payload.
        payload: Vec<u8>,
    },
    /// cA verified: send the SUCCESS StatusReport (opcode 0x40) and install the session.
    Established {
        /// The session to install.
        session: PaseEstablished,
        /// The SUCCESS / SessionEstablishmentSuccess payload.
        status_payload: Vec<u8>,
    },
}

/// The responder's handshake in whatever state it is in.
#[derive(Debug)]
pub enum PaseResponderState {
    /// Waiting for PBKDFParamRequest; `local_session_id` is the id we will announce.
    AwaitPbkdfRequest {
        /// The window's responder.
        responder: PaseResponder,
        /// Our session id for this handshake.
        local_session_id: NonZeroU16,
    },
    /// Waiting for Pake1.
    AwaitPake1(AwaitPake1),
    /// Waiting for Pake3.
    AwaitPake3(AwaitPake3),
    /// Established or failed; takes no more messages.
    Finished,
}

impl PaseResponderState {
    /// A responder waiting for PBKDFParamRequest.
    pub fn new(responder: PaseResponder, local_session_id: NonZeroU16) -> Self {
        PaseResponderState::AwaitPbkdfRequest {
            responder,
            local_session_id,
        }
    }

    /// The opcode the state waits for; `None` once finished.
    pub fn expected_opcode(&self) -> Option<SecureChannelOpcode> {
        match self {
            PaseResponderState::AwaitPbkdfRequest { .. } => {
                Some(SecureChannelOpcode::PbkdfParamRequest)
            }
            PaseResponderState::AwaitPake1(_) => Some(SecureChannelOpcode::Pake1),
            PaseResponderState::AwaitPake3(_) => Some(SecureChannelOpcode::Pake3),
            PaseResponderState::Finished => None,
        }
    }

    /// True once established or failed.
    pub fn is_finished(&self) -> bool {
        matches!(self, PaseResponderState::Finished)
    }

    /// Feeds one Secure Channel message; `rng` is used only for PBKDFParamRequest. On `Err`
    /// the state is [`Self::Finished`] and the failure says which StatusReport, if any, to send.
    pub fn handle(
        &mut self,
        rng: &mut impl CryptoRngCore,
        opcode: u8,
        payload: &[u8],
    ) -> Result<ResponderStep, PaseFailure> {
        use SecureChannelOpcode as Op;
        let state = core::mem::replace(self, PaseResponderState::Finished);
        let Some(expected) = state.expected_opcode() else {
            return Err(PaseFailure::silent(PaseError::Finished));
        };
        match (state, Op::from_u8(opcode)) {
            (
                PaseResponderState::AwaitPbkdfRequest {
                    responder,
                    local_session_id,
                },
                Some(Op::PbkdfParamRequest),
            ) => {
                let (next, payload) =
                    responder.handle_pbkdf_request(rng, local_session_id, payload)?;
                *self = PaseResponderState::AwaitPake1(next);
                Ok(ResponderStep::Send {
                    opcode: Op::PbkdfParamResponse,
                    payload,
                })
            }
            (PaseResponderState::AwaitPake1(s), Some(Op::Pake1)) => {
                let (next, payload) = s.handle(payload)?;
                *self = PaseResponderState::AwaitPake3(next);
                Ok(ResponderStep::Send {
                    opcode: Op::Pake2,
                    payload,
                })
            }
            (PaseResponderState::AwaitPake3(s), Some(Op::Pake3)) => {
                let (session, status_payload) = s.handle(payload)?;
                Ok(ResponderStep::Established {
                    session,
                    status_payload,
                })
            }
            (_, Some(Op::StatusReport)) => Err(peer_status_failure(payload)),
            (_, _) => Err(PaseFailure::local(PaseError::UnexpectedMessage {
                opcode,
                expected,
            })),
        }
    }
}
