//! One Interaction Model request/response on a fresh exchange of a secure session, sans-IO:
//! the request goes out reliably, the answer arrives on the same exchange, and the exchange is
//! closed at once so that our acknowledgement leaves as a standalone ack (docs/INTEROP.md,
//! "Findings"). A ReportData that does not suppress its response is answered with a StatusResponse
//! SUCCESS first, as the Interaction Model requires of a reader.

use paseo_core::codec::{InteractionModelOpcode, ProtocolId};
use paseo_core::exchange::ExchangeId;
use paseo_core::im::{ImStatus, ReportData, StatusResponse};
use paseo_core::node::{DeliveryError, Event, ExchangeCloseReason, Node, NodeError, SendOptions};
use paseo_core::time::Instant;

/// The answer to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImReply {
    /// Its IM opcode.
    pub opcode: u8,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The node refused to open the exchange or send.
    #[error("node: {0}")]
    Node(#[from] NodeError),
    /// MRP gave up on the request.
    #[error("request not acknowledged ({0:?})")]
    DeliveryFailed(DeliveryError),
    /// The exchange ended before an answer came (timeout, session closed).
    #[error("exchange closed before the answer ({0:?})")]
    ExchangeClosed(ExchangeCloseReason),
    /// The answer was not an Interaction Model message.
    #[error("answer on protocol {0:?}, not the Interaction Model")]
    WrongProtocol(ProtocolId),
}

/// A request in flight.
#[derive(Debug)]
pub struct ImRequest {
    exchange: ExchangeId,
}

impl ImRequest {
    /// Opens an exchange on `session_id` and sends `payload` as `opcode`, reliably, expecting
    /// an answer within the node's response timeout.
    pub fn start(
        now: Instant,
        node: &mut Node,
        session_id: u16,
        opcode: InteractionModelOpcode,
        payload: &[u8],
    ) -> Result<Self, RequestError> {
        let exchange = node.open_exchange(session_id, ProtocolId::INTERACTION_MODEL)?;
        let options = SendOptions {
            reliable: true,
            expect_response: true,
        };
        if let Err(e) = node.send(now, exchange, opcode.as_u8(), payload, options) {
            let _ = node.close_exchange(now, exchange);
            return Err(e.into());
        }
        Ok(Self { exchange })
    }

    /// The exchange the request runs on.
    pub fn exchange(&self) -> ExchangeId {
        self.exchange
    }

    /// Feeds one node event; `Some` once the request has its answer or has failed.
    pub fn on_event(
        &mut self,
        now: Instant,
        node: &mut Node,
        event: &Event,
    ) -> Option<Result<ImReply, RequestError>> {
        match event {
            Event::Message {
                exchange,
                protocol,
                opcode,
                payload,
            } if *exchange == self.exchange => {
                if *protocol != ProtocolId::INTERACTION_MODEL {
                    let _ = node.close_exchange(now, self.exchange);
                    return Some(Err(RequestError::WrongProtocol(*protocol)));
                }
                if *opcode == InteractionModelOpcode::ReportData.as_u8()
                    && ReportData::decode(payload).is_ok_and(|r| !r.suppress_response)
                {
                    self.acknowledge_report(now, node);
                }
                let _ = node.close_exchange(now, self.exchange);
                Some(Ok(ImReply {
                    opcode: *opcode,
                    payload: payload.clone(),
                }))
            }
            Event::DeliveryFailed {
                exchange, reason, ..
            } if *exchange == self.exchange => Some(Err(RequestError::DeliveryFailed(*reason))),
            Event::ExchangeClosed { exchange, reason } if *exchange == self.exchange => {
                Some(Err(RequestError::ExchangeClosed(*reason)))
            }
            _ => None,
        }
    }

    /// StatusResponse SUCCESS for a report that asks for one (it carries our ack).
    fn acknowledge_report(&self, now: Instant, node: &mut Node) {
        let status = StatusResponse {
            status: ImStatus::SUCCESS,
        };
        if let Ok(payload) = status.encode() {
            let _ = node.send(
                now,
                self.exchange,
                InteractionModelOpcode::StatusResponse.as_u8(),
                &payload,
                SendOptions::default(),
            );
        }
    }
}
