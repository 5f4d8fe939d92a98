//! Hostile actions: capturing a datagram off the wire, injecting replays, reflections,
//! forgeries and malformed bytes, flooding a node with handshake requests, and damaging a
//! node's stored records. Injected bytes leave from a node's address through the simulated
//! network (impairments, partitions, the receiver's trace line and decision) but never come
//! from that node's own stack, so no oracle takes them for the node's messages.

use paseo_core::codec::{
    Message, MessageHeader, ProtocolHeader, ProtocolId, ProtocolMessage, SecureChannelOpcode,
    StatusReport,
};
use paseo_core::pase::messages::PbkdfParamRequest;
use paseo_core::session::manager::{RESUMPTION_CONTEXT, RESUMPTION_KEY};
use paseo_core::time::Instant;

use super::action::{FloodMessage, Injection};
use super::*;
use crate::command::{ActionId, Command, Outcome};
use crate::seed;
use crate::trace::{RecordKind, header_ids, summarize};

/// Injected copies are padded to this size: beyond the 1280-byte Matter maximum (Matter 1.3 §4.4).
const OVERSIZED_LEN: usize = 1500;
/// Length of the made-up MIC of a forged message (AES-CCM's tag is 16 bytes).
const MIC_LEN: usize = 16;

impl Simulation {
    /// Starts a hostile action (`Ok(Some(_))`: finished at once).
    pub(super) fn execute_hostile(
        &mut self,
        id: ActionId,
        action: Action,
        now: Instant,
    ) -> Result<Option<Outcome>, SimError> {
        match action {
            Action::Capture {
                name,
                from,
                to,
                opcode,
            } => {
                let found = self.last_sent(&from, &to, |opcode_name| match &opcode {
                    Some(want) => opcode_name.is_some_and(|o| o.contains(want.as_str())),
                    None => opcode_name.is_none_or(|o| o != "StandaloneAck"),
                });
                let Some((bytes, text)) = found else {
                    let which = opcode.map_or_else(String::new, |o| format!(" {o}"));
                    return Ok(Some(Outcome::Failed(format!(
                        "{from} sent no{which} datagram to {to} to capture"
                    ))));
                };
                self.world.action_line(
                    now,
                    &from,
                    &to,
                    text,
                    &format!("captured as {name} ({} bytes)", bytes.len()),
                );
                self.captured.insert(name, bytes);
                Ok(Some(Outcome::Done))
            }
            Action::Inject {
                from,
                to,
                datagram,
                count,
            } => {
                let bytes = match self.injection_bytes(&from, &to, &datagram) {
                    Ok(bytes) => bytes,
                    Err(why) => return Ok(Some(Outcome::Failed(why))),
                };
                let copies = usize::try_from(count).unwrap_or(usize::MAX);
                let datagrams = std::iter::repeat_n(bytes, copies).collect();
                self.inject(id, &from, &to, datagrams, datagram.describe())
            }
            Action::Flood {
                from,
                to,
                message,
                sources,
            } => {
                let datagrams = match self.flood_datagrams(&to, message, sources) {
                    Ok(d) => d,
                    Err(why) => return Ok(Some(Outcome::Failed(why))),
                };
                let what = format!("flood {}", message.describe());
                self.inject(id, &from, &to, datagrams, what)
            }
            Action::CorruptStore { node, how } => {
                let index = self.index(&node)?;
                let Some(host) = self.host(index) else {
                    return Err(SimError::UnknownNode(node));
                };
                let file = format!("{RESUMPTION_CONTEXT}/{RESUMPTION_KEY}");
                match host.disk.corrupt(RESUMPTION_CONTEXT, RESUMPTION_KEY, how) {
                    Some((before, after)) => {
                        self.world.action_line(
                            now,
                            &node,
                            "-",
                            file,
                            &format!(
                                "store corrupted ({}: {before} -> {after} bytes)",
                                how.describe()
                            ),
                        );
                        Ok(Some(Outcome::Done))
                    }
                    None => Ok(Some(Outcome::Failed(format!(
                        "{node} has nothing stored at {file}"
                    )))),
                }
            }
            Action::FillSessionIds { node, leave } => {
                let index = self.index(&node)?;
                let Some(host) = self.host(index) else {
                    return Err(SimError::UnknownNode(node));
                };
                let filled = host.with_node_mut(|n| fill_session_ids(n, now, leave));
                match filled {
                    Some((added, in_use)) => {
                        self.world.action_line(
                            now,
                            &node,
                            "-",
                            String::new(),
                            &format!(
                                "{added} placeholder sessions installed ({in_use} session ids in use)"
                            ),
                        );
                        Ok(Some(Outcome::Done))
                    }
                    None => Ok(Some(Outcome::Failed(format!("{node} is not running")))),
                }
            }
            other => Err(SimError::Fabric(format!(
                "not a hostile action: {}",
                other.describe()
            ))),
        }
    }

    /// Queues raw datagrams on `from`'s host for `to`.
    fn inject(
        &mut self,
        id: ActionId,
        from: &str,
        to: &str,
        datagrams: Vec<Vec<u8>>,
        what: String,
    ) -> Result<Option<Outcome>, SimError> {
        let (fi, ti) = (self.index(from)?, self.index(to)?);
        let Some(to_addr) = self.host(ti).map(|h| h.addr) else {
            return Err(SimError::UnknownNode(to.to_owned()));
        };
        let cmd = Command::Inject {
            action: id,
            to: to_addr,
            datagrams,
            what,
        };
        Ok(self.send_pending(id, fi, cmd))
    }

    /// The newest datagram `from`'s own stack sent to `to` whose opcode name (`None` when the
    /// trace could not read it) passes `keep`: its bytes and its trace text.
    fn last_sent(
        &self,
        from: &str,
        to: &str,
        keep: impl Fn(Option<&str>) -> bool,
    ) -> Option<(Vec<u8>, String)> {
        let receiver = self.index(to).ok().and_then(|i| self.host(i));
        let recorder = self.world.recorder.borrow();
        recorder
            .trace
            .records
            .iter()
            .rev()
            .filter(|r| r.kind == RecordKind::Tx && r.node == from && r.peer == to)
            .filter(|r| !r.decision.starts_with("injected"))
            .filter_map(|r| {
                let wire = r.wire.as_ref()?;
                let readable = r.header.as_ref().filter(|h| h.exchange.is_some()).cloned();
                // Sent before the receiver's session existed (the first message after a
                // handshake): read it now with the receiver's keys.
                let header = readable.or_else(|| {
                    receiver.as_ref().and_then(|h| {
                        h.with_node(|n| {
                            let session = header_ids(&wire.bytes)
                                .and_then(|(sid, _)| n.sessions().get_session(sid));
                            summarize(&wire.bytes, session)
                        })
                    })
                });
                Some((wire.bytes.clone(), header))
            })
            .find(|(_, header)| {
                let opcode = header
                    .as_ref()
                    .and_then(|h| h.exchange.as_ref())
                    .map(|x| x.opcode.as_str());
                keep(opcode)
            })
            .map(|(bytes, header)| (bytes, header.map(|h| h.text()).unwrap_or_default()))
    }

    /// The bytes of one injection.
    fn injection_bytes(
        &self,
        from: &str,
        to: &str,
        injection: &Injection,
    ) -> Result<Vec<u8>, String> {
        let any = |_: Option<&str>| true;
        match injection {
            Injection::Replay(name) => self
                .captured
                .get(name)
                .cloned()
                .ok_or_else(|| format!("nothing was captured as {name}")),
            Injection::Reflect => self
                .last_sent(to, from, any)
                .map(|(bytes, _)| bytes)
                .ok_or_else(|| format!("{to} sent nothing to {from} to reflect")),
            Injection::Truncated => {
                let (mut bytes, _) = self
                    .last_sent(from, to, any)
                    .ok_or_else(|| format!("{from} sent nothing to {to} to truncate"))?;
                bytes.truncate(bytes.len() / 2);
                Ok(bytes)
            }
            Injection::Oversized => {
                let (mut bytes, _) = self
                    .last_sent(from, to, any)
                    .ok_or_else(|| format!("{from} sent nothing to {to} to pad"))?;
                bytes.resize(bytes.len().max(OVERSIZED_LEN), 0);
                Ok(bytes)
            }
            Injection::ForgedClose { peer } => self.forged_close(peer, to),
        }
    }

    /// A CloseSession for `to`'s newest session with `from` (the peer whose session is forged,
    /// not necessarily the sender), with a counter past the last one `from` sent on it, in the clear with a made-up MIC: what an attacker who knows the
    /// session id (it travels in the clear) but not the keys can build.
    fn forged_close(&self, from: &str, to: &str) -> Result<Vec<u8>, String> {
        let (fi, ti) = (
            self.index(from).map_err(|e| e.to_string())?,
            self.index(to).map_err(|e| e.to_string())?,
        );
        let session_id = self
            .table_session(ti, fi, None)
            .ok_or_else(|| format!("{to} holds no session with {from} to forge a close for"))?;
        let last_counter = self
            .last_sent(from, to, |_| true)
            .and_then(|(bytes, _)| {
                Message::decode(&bytes)
                    .ok()
                    .map(|m| (m.header.session_id, m.header.message_counter))
            })
            .filter(|(sid, _)| *sid == session_id)
            .map_or(0, |(_, counter)| counter);
        let mut out = Vec::new();
        MessageHeader::unicast(session_id, last_counter.wrapping_add(1)).encode(&mut out);
        let noise = seed::derive(self.seed, &format!("forged-close:{from}:{to}"));
        let exchange = u16::from_le_bytes([noise[0], noise[1]]);
        let header = ProtocolHeader {
            initiator: true,
            ..ProtocolHeader::new(
                ProtocolId::SECURE_CHANNEL,
                SecureChannelOpcode::StatusReport.as_u8(),
                exchange,
            )
        };
        let mut report = Vec::new();
        StatusReport::close_session().encode(&mut report);
        ProtocolMessage {
            header,
            payload: &report,
        }
        .encode(&mut out);
        out.extend_from_slice(noise.get(2..2 + MIC_LEN).unwrap_or(&[0xA5; MIC_LEN]));
        Ok(out)
    }

    /// One handshake request per source, each under its own ephemeral node id (Matter 1.3
    /// "Unsecured Session Context": the unsecured session is keyed by address and initiator node
    /// id).
    fn flood_datagrams(
        &self,
        to: &str,
        message: FloodMessage,
        sources: u32,
    ) -> Result<Vec<Vec<u8>>, String> {
        let template = match message {
            FloodMessage::PbkdfParamRequest | FloodMessage::GarbageSigma1 => None,
            FloodMessage::Sigma1 => {
                let recorder = self.world.recorder.borrow();
                let found = recorder
                    .trace
                    .records
                    .iter()
                    .rev()
                    .filter(|r| r.kind == RecordKind::Tx && r.peer == to)
                    .filter(|r| !r.decision.starts_with("injected"))
                    .find(|r| {
                        r.header
                            .as_ref()
                            .and_then(|h| h.exchange.as_ref())
                            .is_some_and(|x| x.opcode == "Sigma1")
                    })
                    .and_then(|r| r.wire.as_ref().map(|w| w.bytes.clone()));
                Some(found.ok_or_else(|| format!("nobody sent a Sigma1 to {to} to replay"))?)
            }
        };
        let mut out = Vec::new();
        for i in 0..sources {
            let noise = seed::derive(self.seed, &format!("flood:{to}:{i}"));
            let word = |at: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(noise.get(at..at + 8).unwrap_or(&[1; 8]));
                u64::from_le_bytes(b)
            };
            // An operational-range ephemeral id, never 0.
            let node_id = (word(0) >> 1).max(1);
            let counter = (word(8) as u32).max(1);
            let datagram = match &template {
                None => {
                    let random = seed::derive(self.seed, &format!("random:{to}:{i}"));
                    let (opcode, payload) = if message == FloodMessage::GarbageSigma1 {
                        let mut junk = random.to_vec();
                        junk.extend_from_slice(&seed::derive(self.seed, &format!("junk:{to}:{i}")));
                        (SecureChannelOpcode::Sigma1, junk)
                    } else {
                        let request = PbkdfParamRequest {
                            initiator_random: random,
                            initiator_session_id: u16::try_from(i % 0xFFFF + 1).unwrap_or(1),
                            passcode_id: 0,
                            has_pbkdf_parameters: false,
                            initiator_session_params: None,
                        };
                        (SecureChannelOpcode::PbkdfParamRequest, request.encode())
                    };
                    let mut bytes = Vec::new();
                    let mut header = MessageHeader::unicast(0, counter);
                    header.source_node_id = Some(node_id);
                    header.encode(&mut bytes);
                    let exchange = (word(16) as u16).max(1);
                    let ph = ProtocolHeader {
                        initiator: true,
                        reliable: true,
                        ..ProtocolHeader::new(ProtocolId::SECURE_CHANNEL, opcode.as_u8(), exchange)
                    };
                    ProtocolMessage {
                        header: ph,
                        payload: &payload,
                    }
                    .encode(&mut bytes);
                    bytes
                }
                Some(template) => {
                    let message = Message::decode(template)
                        .map_err(|e| format!("the Sigma1 to replay does not parse: {e}"))?;
                    let mut header = message.header;
                    header.source_node_id = Some(node_id);
                    header.message_counter = counter;
                    let mut bytes = Vec::new();
                    header.encode(&mut bytes);
                    bytes.extend_from_slice(message.payload);
                    bytes
                }
            };
            out.push(datagram);
        }
        Ok(out)
    }
}

/// Installs placeholder CASE sessions until `leave` ids are free (or the table evicts instead
/// of growing); returns (sessions added, ids in use). Their lifecycle events are drained here:
/// they are scenery, not sessions anyone opened, so they leave no trace lines.
fn fill_session_ids(node: &mut paseo_core::node::Node, now: Instant, leave: u32) -> (u32, usize) {
    use paseo_core::fabric::{FabricIndex, NodeId};
    use paseo_core::session::{SecureSessionArgs, SessionKind, SessionParameters};
    let total = usize::from(u16::MAX);
    let mut added = 0u32;
    let secret = [0x5Au8; 32];
    let mut in_use = node.sessions().sessions().count();
    loop {
        if total.saturating_sub(in_use) <= usize::try_from(leave).unwrap_or(usize::MAX) {
            break;
        }
        let Ok(id) = node.sessions_mut().get_next_available_session_id() else {
            break;
        };
        let args = SecureSessionArgs {
            now,
            session_id: id,
            peer_session_id: id,
            kind: SessionKind::Case,
            fabric: Some(FabricIndex(1)),
            local_node_id: NodeId(1),
            // One placeholder per peer: no per-peer limit applies.
            peer_node_id: NodeId(0xFFFF_0000_0000 + u64::from(added)),
            peer_cats: Vec::new(),
            shared_secret: &secret,
            salt: b"placeholder",
            // Initiator side: the per-peer limit (responder sessions) does not scan for them.
            is_initiator: true,
            is_resumption: false,
            peer_parameters: SessionParameters::default(),
            peer_address: None,
        };
        let before = in_use;
        if node.sessions_mut().create_secure_session(args).is_err() {
            break;
        }
        added += 1;
        // A map's iterator knows its length: O(1), not a count.
        in_use = node.sessions().sessions().size_hint().0;
        if in_use <= before {
            // The table evicted instead of growing (`max_sessions` too low): stop.
            break;
        }
    }
    while node.sessions_mut().poll_event().is_some() {}
    (added, node.sessions().sessions().count())
}
