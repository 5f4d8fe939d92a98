//! Outbound path: application sends, standalone acks, encoding on the right session.

use std::net::SocketAddr;

use super::{Node, NodeError, SendOptions};
use crate::codec::{ProtocolHeader, ProtocolId, ProtocolMessage, SecureChannelOpcode};
use crate::exchange::{ExchangeId, ExchangeState, SessionRef};
use crate::mrp::reliability::{Outstanding, wait_after};
use crate::session::{Session, SessionError};
use crate::time::Instant;

impl Node {
    /// Encodes `message` on `session` and returns the datagram, where it goes and its counter.
    pub(super) fn encode_on(
        &mut self,
        now: Instant,
        session: SessionRef,
        message: &ProtocolMessage<'_>,
    ) -> Result<(Vec<u8>, SocketAddr, u32), NodeError> {
        let (datagram, destination) = match session {
            SessionRef::Secure(id) => {
                let s = self
                    .sessions
                    .get_session_mut(id)
                    .ok_or(NodeError::UnknownSession(id))?;
                let destination = s.context().peer_address.ok_or(NodeError::NoPeerAddress)?;
                match s.encode(now, message) {
                    Ok(datagram) => (datagram, destination),
                    Err(SessionError::CounterExhausted) => {
                        // The session ended itself rather than wrap (Matter 1.3 §4.6): tear it
                        // down.
                        self.teardown_session(id);
                        return Err(SessionError::CounterExhausted.into());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            SessionRef::Unsecure(key) => {
                let s = self
                    .sessions
                    .get_unsecure_session_mut(key.peer, key.initiator_node_id)
                    .ok_or(SessionError::UnknownUnsecureSession)?;
                (s.encode(now, message)?, key.peer)
            }
        };
        // The counter sits at bytes 4..8 of the header we just wrote (Matter 1.3 §4.4.1).
        let counter = datagram
            .get(4..8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_le_bytes);
        Ok((datagram, destination, counter))
    }

    pub(super) fn send_on_exchange(
        &mut self,
        now: Instant,
        id: ExchangeId,
        opcode: u8,
        payload: &[u8],
        options: SendOptions,
    ) -> Result<u32, NodeError> {
        let ex = self
            .exchanges
            .get_mut(&id)
            .ok_or(NodeError::UnknownExchange(id))?;
        if ex.state == ExchangeState::Closing {
            return Err(NodeError::ExchangeClosing(id));
        }
        if options.reliable && ex.reliability.outstanding.is_some() {
            return Err(NodeError::MessageOutstanding(id));
        }
        let protocol = ex.protocol;
        // Always piggyback the ack we owe on this exchange (matter.js treats a reply without it
        // as an error, matter.js `protocol/MessageExchange.ts`).
        let ack = ex
            .reliability
            .pending_ack
            .filter(|_| !self.fault_forgets_acks());
        let header = ProtocolHeader {
            initiator: id.we_initiated,
            reliable: options.reliable,
            ack_counter: ack.map(|a| a.counter),
            ..ProtocolHeader::new(protocol, opcode, id.id)
        };
        self.fault_rewind_counter(id.session);
        let (datagram, destination, counter) =
            self.encode_on(now, id.session, &ProtocolMessage { header, payload })?;
        let (peer, active) = self.peer_timing(id.session, now);
        let first_wait = options
            .reliable
            .then(|| wait_after(&peer, active, 0, self.config.jitter.next(&mut self.rng)));
        if let Some(ex) = self.exchanges.get_mut(&id) {
            ex.reliability.pending_ack = None;
            if options.expect_response {
                ex.response_deadline = Some(now + self.config.response_timeout);
            }
            if let Some(wait) = first_wait {
                ex.reliability.outstanding = Some(Outstanding {
                    datagram: datagram.clone(),
                    destination,
                    message_counter: counter,
                    transmissions: 1,
                    next_at: now + wait,
                });
            }
        }
        self.queue_transmit(destination, datagram, id.id, 0);
        Ok(counter)
    }

    /// Sends a standalone acknowledgement (secure channel opcode 0x10, `A = 1`, `R = 0`, our
    /// role's `I` flag) for `counter` on exchange `id`, which need not exist (Matter 1.3 §4.12.5.2,
    /// §4.10.5.2).
    pub(super) fn send_standalone_ack(&mut self, now: Instant, id: ExchangeId, counter: u32) {
        if self.fault_forgets_acks() {
            return;
        }
        let header = ProtocolHeader {
            initiator: id.we_initiated,
            reliable: false,
            ack_counter: Some(counter),
            ..ProtocolHeader::new(
                ProtocolId::SECURE_CHANNEL,
                SecureChannelOpcode::StandaloneAck.as_u8(),
                id.id,
            )
        };
        if let Ok((datagram, destination, _)) = self.encode_on(
            now,
            id.session,
            &ProtocolMessage {
                header,
                payload: &[],
            },
        ) {
            self.stats.standalone_acks += 1;
            self.queue_transmit(destination, datagram, id.id, 0);
        }
    }
}
