//! Drives an [`ImServer`] from a [`Node`]: IM requests arriving as [`Event::Message`] on secure
//! sessions are answered on their exchange, the server's [`DeviceAction`]s are applied to the
//! node (fabrics installed and removed), and chunked reports continue when the client's
//! StatusResponse arrives.

use std::collections::BTreeMap;

use crate::codec::{InteractionModelOpcode, ProtocolId};
use crate::exchange::{ExchangeId, SessionRef};
use crate::node::{Event, Node, SendOptions};
use crate::time::Instant;

use super::super::{ImStatus, StatusResponse};
use super::{DeviceAction, ImMessage, ImServer, SessionInfo};

/// An [`ImServer`] attached to a node.
pub struct DeviceHost {
    server: ImServer,
    /// Report chunks still to send, per exchange, in order.
    pending: BTreeMap<ExchangeId, Vec<ImMessage>>,
}

impl DeviceHost {
    /// Attaches `server`; the node must accept IM messages
    /// (`Node::register_protocol(ProtocolId::INTERACTION_MODEL)`, done here).
    pub fn new(server: ImServer, node: &mut Node) -> Self {
        node.register_protocol(ProtocolId::INTERACTION_MODEL);
        Self {
            server,
            pending: BTreeMap::new(),
        }
    }

    /// The server.
    pub fn server(&self) -> &ImServer {
        &self.server
    }

    /// The server, mutably (traces, state).
    pub fn server_mut(&mut self) -> &mut ImServer {
        &mut self.server
    }

    /// When the fail-safe expires, if armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.server.poll_timeout()
    }

    /// Expires the fail-safe if due and applies the rollback to the node.
    pub fn handle_timeout(&mut self, now: Instant, node: &mut Node) {
        self.server.handle_timeout(now);
        self.apply(now, node);
    }

    /// Takes one node event; returns whether it was an IM request this host answered.
    pub fn on_event(&mut self, now: Instant, node: &mut Node, event: &Event) -> bool {
        let Event::Message {
            exchange,
            protocol,
            opcode,
            payload,
        } = event
        else {
            if let Event::ExchangeClosed { exchange, .. } = event {
                self.pending.remove(exchange);
            }
            return false;
        };
        if *protocol != ProtocolId::INTERACTION_MODEL || exchange.we_initiated {
            return false;
        }
        let SessionRef::Secure(session_id) = exchange.session else {
            return false;
        };
        let Some(info) = node.sessions().get_session(session_id).map(SessionInfo::of) else {
            return false;
        };
        // A StatusResponse on an exchange with chunks pending asks for the next chunk.
        let replies = if *opcode == InteractionModelOpcode::StatusResponse.as_u8()
            && self.pending.contains_key(exchange)
        {
            let rest = self.pending.remove(exchange).unwrap_or_default();
            // A client that answers a chunk with anything but SUCCESS ends the read.
            match StatusResponse::decode(payload) {
                Ok(s) if s.status == ImStatus::SUCCESS => rest,
                _ => Vec::new(),
            }
        } else {
            self.server.handle(now, &info, *opcode, payload)
        };
        let mut replies = replies.into_iter();
        match replies.next() {
            Some(first) => {
                let rest: Vec<ImMessage> = replies.collect();
                let more = !rest.is_empty();
                let options = SendOptions {
                    reliable: true,
                    expect_response: more,
                };
                let sent = node.send(
                    now,
                    *exchange,
                    first.opcode.as_u8(),
                    &first.payload,
                    options,
                );
                if more && sent.is_ok() {
                    self.pending.insert(*exchange, rest);
                } else {
                    let _ = node.close_exchange(now, *exchange);
                }
            }
            None => {
                let _ = node.close_exchange(now, *exchange);
            }
        }
        self.apply(now, node);
        true
    }

    fn apply(&mut self, now: Instant, node: &mut Node) {
        while let Some(action) = self.server.poll_action() {
            match action {
                DeviceAction::InstallFabric(credentials) => node.add_fabric(credentials),
                DeviceAction::RemoveFabric(index) => {
                    node.remove_fabric(now, index);
                }
            }
        }
    }
}
