//! The sans-IO [`Commissioner`] against a device built from paseo itself, in memory and on
//! virtual time: a paseo node with a commissioning window, whose small scripted application
//! answers the commissioning commands of Matter 1.3 §5.5 (a real CSR, the NOC it gets
//! installed as its CASE credentials, OnOff on endpoint 1). Deterministic, no Node.js needed;
//! each test breaks one answer and checks the typed error the commissioner reports.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use paseo_core::case::{CredentialParts, OperationalCredentials};
use paseo_core::cert::der::DerWriter;
use paseo_core::cert::{ChainPolicy, CsrError, MatterCertificate, signature_to_der};
use paseo_core::codec::{InteractionModelOpcode, ProtocolId};
use paseo_core::crypto::SigningKeyPair;
use paseo_core::exchange::ExchangeId;
use paseo_core::fabric::{Fabric, FabricIndex, NodeId};
use paseo_core::im::ImError;
use paseo_core::node::{Event, HandshakeKind, Node, NodeConfig, SendOptions};
use paseo_core::pase::{Passcode, PbkdfParameters, Verifier};
use paseo_core::session::Session;
use paseo_core::store::MemoryStore;
use paseo_core::time::Instant;
use paseo_core::tlv::{StructView, Tag, Writer};
use paseo_sim::interop::commission::{
    CommissionError, Commissioned, Commissioner, CommissionerConfig, Step,
};
use paseo_sim::interop::request::RequestError;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const PASSCODE: u32 = 20_202_021;

/// What the scripted device gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    /// Its window uses another passcode.
    OtherPasscode,
    /// Answers ArmFailSafe with a StatusResponse (UnsupportedAccess).
    StatusResponseToArm,
    /// Echoes another CSRNonce.
    WrongNonce,
    /// Signs its CSR with another key than the one inside.
    ForgedCsr,
    /// Refuses the NOC (InvalidNOC).
    RefuseNoc,
    /// Never answers ArmFailSafe.
    Silent,
}

/// A commissionee made of a paseo node and a scripted application.
struct Device {
    node: Node,
    fault: Fault,
    key: Option<SigningKeyPair>,
    rcac: Option<Vec<u8>>,
    rng: ChaCha20Rng,
}

/// A command path as the test reads it: (endpoint, cluster, command).
type Path = (u64, u64, u64);

fn read_path(list: &paseo_core::tlv::Member<'_>) -> Path {
    let members = list.sequence().expect("path list");
    let get = |tag: u8| {
        members
            .members()
            .iter()
            .find(|m| m.tag == Tag::Context(tag))
            .map(|m| m.u64().expect("path field"))
            .expect("path field present")
    };
    (get(0), get(1), get(2))
}

fn write_path(w: &mut Writer, tag: Tag, path: Path) {
    w.start_list(tag);
    w.put_uint(Tag::Context(0), path.0);
    w.put_uint(Tag::Context(1), path.1);
    w.put_uint(Tag::Context(2), path.2);
    w.end_container();
}

/// InvokeResponse with response data for `path`.
fn invoke_data(path: Path, fields: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bool(Tag::Context(0), false);
    w.start_array(Tag::Context(1));
    w.start_struct(Tag::Anonymous);
    w.start_struct(Tag::Context(0));
    write_path(&mut w, Tag::Context(0), path);
    w.start_struct(Tag::Context(1));
    fields(&mut w);
    w.end_container();
    w.end_container();
    w.end_container();
    w.end_container();
    w.put_uint(Tag::Context(0xff), 12);
    w.end_container();
    w.finish().unwrap()
}

/// InvokeResponse with a status for `path`.
fn invoke_status(path: Path, status: u8) -> Vec<u8> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bool(Tag::Context(0), false);
    w.start_array(Tag::Context(1));
    w.start_struct(Tag::Anonymous);
    w.start_struct(Tag::Context(1));
    write_path(&mut w, Tag::Context(0), path);
    w.start_struct(Tag::Context(1));
    w.put_uint(Tag::Context(0), u64::from(status));
    w.end_container();
    w.end_container();
    w.end_container();
    w.end_container();
    w.end_container();
    w.finish().unwrap()
}

/// A PKCS#10 request for `key`, signed by `signer` (RFC 2986, subject O=CSR like matter.js).
fn csr(key: &SigningKeyPair, signer: &SigningKeyPair) -> Vec<u8> {
    let mut info = DerWriter::new();
    info.sequence(|w| {
        w.integer_u64(0);
        w.sequence(|w| {
            w.set(|w| {
                w.sequence(|w| {
                    w.oid(&[2, 5, 4, 10]);
                    w.utf8_string("CSR");
                })
            })
        });
        w.sequence(|w| {
            w.sequence(|w| {
                w.oid(&[1, 2, 840, 10045, 2, 1]);
                w.oid(&[1, 2, 840, 10045, 3, 1, 7]);
            });
            w.bit_string(0, &key.public_key().to_uncompressed());
        });
        w.constructed(0xa0, |_| {});
    });
    let info = info.finish();
    let signature = signature_to_der(&signer.sign(&info).unwrap());
    let mut out = DerWriter::new();
    out.sequence(|w| {
        w.raw(&info);
        w.sequence(|w| w.oid(&[1, 2, 840, 10045, 4, 3, 2]));
        w.bit_string(0, &signature);
    });
    out.finish()
}

impl Device {
    fn new(fault: Fault) -> Self {
        let mut node = Node::new(
            NodeConfig::default(),
            ChaCha20Rng::seed_from_u64(77),
            Box::new(MemoryStore::new()),
        );
        node.register_protocol(ProtocolId::INTERACTION_MODEL);
        let passcode = if fault == Fault::OtherPasscode {
            PASSCODE + 1
        } else {
            PASSCODE
        };
        let pbkdf = PbkdfParameters::new(1000, &[0x5A; 32]).unwrap();
        let verifier = Verifier::from_passcode(&Passcode::new(passcode).unwrap(), &pbkdf).unwrap();
        node.open_commissioning_window(verifier, pbkdf);
        Self {
            node,
            fault,
            key: None,
            rcac: None,
            rng: ChaCha20Rng::seed_from_u64(78),
        }
    }

    fn reply(
        &mut self,
        now: Instant,
        exchange: ExchangeId,
        opcode: InteractionModelOpcode,
        payload: &[u8],
    ) {
        let options = SendOptions::default();
        self.node
            .send(now, exchange, opcode.as_u8(), payload, options)
            .expect("device reply");
        self.node.close_exchange(now, exchange).unwrap();
    }

    fn on_event(&mut self, now: Instant, event: &Event) {
        let Event::Message {
            exchange,
            protocol,
            opcode,
            payload,
        } = event
        else {
            return;
        };
        if *protocol != ProtocolId::INTERACTION_MODEL || exchange.we_initiated {
            return;
        }
        if *opcode == InteractionModelOpcode::ReadRequest.as_u8() {
            // { 1: [ { 1: { 0: 1, 1: [ep 1, cl 6, at 0], 2: false } } ], 4: true }
            let mut w = Writer::new();
            w.start_struct(Tag::Anonymous);
            w.start_array(Tag::Context(1));
            w.start_struct(Tag::Anonymous);
            w.start_struct(Tag::Context(1));
            w.put_uint(Tag::Context(0), 1);
            w.start_list(Tag::Context(1));
            w.put_uint(Tag::Context(2), 1);
            w.put_uint(Tag::Context(3), 6);
            w.put_uint(Tag::Context(4), 0);
            w.end_container();
            w.put_bool(Tag::Context(2), false);
            w.end_container();
            w.end_container();
            w.end_container();
            w.put_bool(Tag::Context(4), true);
            w.end_container();
            let report = w.finish().unwrap();
            return self.reply(now, *exchange, InteractionModelOpcode::ReportData, &report);
        }
        assert_eq!(*opcode, InteractionModelOpcode::InvokeRequest.as_u8());
        let request = StructView::parse_anonymous(payload).unwrap();
        let commands = request.required_array(2).unwrap();
        let command = commands.members()[0].structure().unwrap();
        let path = read_path(command.member(0).unwrap());
        let fields = command.required_structure(1).unwrap();
        let invoke = InteractionModelOpcode::InvokeResponse;
        match (path.1, path.2) {
            (0x30, 0x00) => match self.fault {
                Fault::Silent => {}
                Fault::StatusResponseToArm => {
                    // StatusResponse { 0: UnsupportedAccess }
                    let status = [0x15, 0x24, 0x00, 0x7e, 0x18];
                    self.reply(
                        now,
                        *exchange,
                        InteractionModelOpcode::StatusResponse,
                        &status,
                    );
                }
                _ => {
                    let body = invoke_data((0, 0x30, 0x01), |w| {
                        w.put_uint(Tag::Context(0), 0);
                        w.put_utf8(Tag::Context(1), "");
                    });
                    self.reply(now, *exchange, invoke, &body);
                }
            },
            (0x3e, 0x04) => {
                let mut nonce = fields.required_bytes(0).unwrap().to_vec();
                if self.fault == Fault::WrongNonce {
                    nonce[0] ^= 0xff;
                }
                let key = SigningKeyPair::generate(&mut self.rng);
                let signer = if self.fault == Fault::ForgedCsr {
                    SigningKeyPair::generate(&mut self.rng)
                } else {
                    key.clone()
                };
                let mut elements = Writer::new();
                elements.start_struct(Tag::Anonymous);
                elements.put_bytes(Tag::Context(1), &csr(&key, &signer));
                elements.put_bytes(Tag::Context(2), &nonce);
                elements.end_container();
                let elements = elements.finish().unwrap();
                self.key = Some(key);
                let body = invoke_data((0, 0x3e, 0x05), |w| {
                    w.put_bytes(Tag::Context(0), &elements);
                    w.put_bytes(Tag::Context(1), &[0u8; 64]);
                });
                self.reply(now, *exchange, invoke, &body);
            }
            (0x3e, 0x0b) => {
                self.rcac = Some(fields.required_bytes(0).unwrap().to_vec());
                self.reply(now, *exchange, invoke, &invoke_status(path, 0));
            }
            (0x3e, 0x06) => {
                let status = if self.fault == Fault::RefuseNoc {
                    3
                } else {
                    self.install_noc(&fields);
                    0
                };
                let body = invoke_data((0, 0x3e, 0x08), |w| {
                    w.put_uint(Tag::Context(0), status);
                    w.put_uint(Tag::Context(1), 1);
                });
                self.reply(now, *exchange, invoke, &body);
            }
            (0x30, 0x04) => {
                // Only over CASE (matter.js answers InvalidAuthentication on PASE).
                let session = match exchange.session {
                    paseo_core::exchange::SessionRef::Secure(id) => id,
                    _ => panic!("CommissioningComplete on an unsecured session"),
                };
                let over_case = !self.node.sessions().get_session(session).unwrap().is_pase();
                let body = invoke_data((0, 0x30, 0x05), |w| {
                    w.put_uint(Tag::Context(0), if over_case { 0 } else { 2 });
                    w.put_utf8(Tag::Context(1), "");
                });
                self.reply(now, *exchange, invoke, &body);
            }
            other => panic!("unexpected command {other:x?}"),
        }
    }

    /// AddNOC: the device's CASE credentials from the NOC, the stored root and its CSR key.
    fn install_noc(&mut self, fields: &StructView<'_>) {
        let noc = fields.required_bytes(0).unwrap().to_vec();
        let icac = fields.bytes(1).unwrap().map(<[u8]>::to_vec);
        let ipk: [u8; 16] = fields.required_bytes(2).unwrap().try_into().unwrap();
        let admin = fields.required_u64(3).unwrap();
        let vendor = fields.required_u16(4).unwrap();
        let cert = MatterCertificate::decode(&noc).unwrap();
        let fabric = Fabric {
            index: FabricIndex(1),
            fabric_id: cert.subject().fabric_id().unwrap(),
            label: String::new(),
            node_id: NodeId(cert.subject().node_id().unwrap()),
            root_node_id: NodeId(admin),
            root_vendor_id: vendor,
        };
        let parts = CredentialParts {
            fabric,
            rcac: self.rcac.clone().expect("root first"),
            icac,
            noc,
            signing_key: self.key.clone().expect("CSR first"),
            ipk_epoch_key: ipk,
        };
        let credentials = OperationalCredentials::from_parts(parts, &ChainPolicy::skip_validity())
            .expect("the commissioner's NOC chains to its root and certifies our CSR key");
        self.node.add_fabric(credentials);
    }
}

/// Both nodes on a 1 ms link, on virtual time, until the commissioner has its outcome.
struct Run {
    now: Instant,
    controller: Node,
    device: Device,
    in_flight: BTreeMap<(Instant, u64), (bool, SocketAddr, Vec<u8>)>,
    sent: u64,
    /// Every datagram the controller sent, in order.
    controller_wire: Vec<Vec<u8>>,
}

const CONTROLLER: &str = "127.0.0.1:5541";
const DEVICE: &str = "127.0.0.1:5540";

impl Run {
    fn new(fault: Fault, response_timeout: Duration) -> Self {
        let config = NodeConfig {
            response_timeout,
            ..NodeConfig::default()
        };
        Self {
            now: Instant::ZERO,
            controller: Node::new(
                config,
                ChaCha20Rng::seed_from_u64(5),
                Box::new(MemoryStore::new()),
            ),
            device: Device::new(fault),
            in_flight: BTreeMap::new(),
            sent: 0,
            controller_wire: Vec::new(),
        }
    }

    fn commission(
        &mut self,
        config: CommissionerConfig,
    ) -> (Commissioner, Result<Commissioned, CommissionError>) {
        let mut commissioner = Commissioner::new(config).unwrap();
        commissioner.start(self.now, &mut self.controller).unwrap();
        let controller_addr: SocketAddr = CONTROLLER.parse().unwrap();
        let device_addr: SocketAddr = DEVICE.parse().unwrap();
        let latency = Duration::from_millis(1);
        for _ in 0..100_000 {
            let mut busy = false;
            while let Some(t) = self.controller.poll_transmit() {
                busy = true;
                assert_eq!(t.destination, device_addr);
                self.controller_wire.push(t.payload.clone());
                self.sent += 1;
                self.in_flight.insert(
                    (self.now + latency, self.sent),
                    (true, controller_addr, t.payload),
                );
            }
            while let Some(t) = self.device.node.poll_transmit() {
                busy = true;
                self.sent += 1;
                self.in_flight.insert(
                    (self.now + latency, self.sent),
                    (false, device_addr, t.payload),
                );
            }
            while let Some(event) = self.device.node.poll_event() {
                busy = true;
                self.device.on_event(self.now, &event);
            }
            while let Some(event) = self.controller.poll_event() {
                busy = true;
                if let Some(outcome) = commissioner.on_event(self.now, &mut self.controller, &event)
                {
                    return (commissioner, outcome);
                }
            }
            if busy {
                continue;
            }
            let next = [
                self.in_flight.keys().next().map(|k| k.0),
                self.controller.poll_timeout(),
                self.device.node.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min()
            .expect("something is pending while the commissioner waits");
            self.now = self.now.max(next);
            while let Some(entry) = self.in_flight.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let (to_device, from, bytes) = entry.remove();
                if to_device {
                    self.device.node.handle_datagram(self.now, from, &bytes);
                } else {
                    self.controller.handle_datagram(self.now, from, &bytes);
                }
            }
            for node in [&mut self.controller, &mut self.device.node] {
                if node.poll_timeout().is_some_and(|t| t <= self.now) {
                    node.handle_timeout(self.now);
                }
            }
        }
        panic!("no outcome");
    }
}

fn config(use_icac: bool) -> CommissionerConfig {
    let mut config = CommissionerConfig::new(DEVICE.parse().unwrap(), 9);
    config.use_icac = use_icac;
    config
}

#[test]
fn commissions_a_paseo_device_with_and_without_icac() {
    for use_icac in [false, true] {
        let mut run = Run::new(Fault::None, Duration::from_secs(30));
        let (commissioner, outcome) = run.commission(config(use_icac));
        let done = outcome.expect("commissioning");
        assert!(!done.on_off);
        assert_eq!(done.device_fabric_index, Some(1));
        assert_eq!(done.device_im_revision, Some(12));
        let names: Vec<&str> = done.timings.iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "PASE",
                "ArmFailSafe",
                "CSRRequest",
                "AddTrustedRootCertificate",
                "AddNOC",
                "CASE",
                "CommissioningComplete",
                "Read OnOff"
            ]
        );
        // The NOC certifies the key the device generated for its CSR, for the configured node.
        let noc = MatterCertificate::decode(commissioner.device_noc()).unwrap();
        assert_eq!(
            noc.public_key(),
            run.device.key.as_ref().unwrap().public_key()
        );
        assert_eq!(
            noc.subject().node_id(),
            Some(config(use_icac).device_node_id.0)
        );
        // PASE is gone on our side (matter.js `common/FailsafeContext.ts`); the CASE session
        // remains, with the device's node id.
        assert!(
            run.controller
                .sessions()
                .get_session(done.pase_session)
                .is_none()
        );
        let case = run
            .controller
            .sessions()
            .get_session(done.case_session)
            .unwrap();
        assert!(!case.is_pase());
        assert_eq!(case.peer_node_id(), config(use_icac).device_node_id);
        assert_eq!(run.device.node.fabrics().len(), 1);
    }
}

#[test]
fn same_seeds_same_datagrams() {
    let mut a = Run::new(Fault::None, Duration::from_secs(30));
    let mut b = Run::new(Fault::None, Duration::from_secs(30));
    let (_, ra) = a.commission(config(false));
    let (_, rb) = b.commission(config(false));
    assert!(ra.is_ok() && rb.is_ok());
    assert_eq!(a.controller_wire, b.controller_wire);
    assert!(a.controller_wire.len() > 10);
}

fn failure(fault: Fault, timeout: Duration) -> CommissionError {
    let mut run = Run::new(fault, timeout);
    let (_, outcome) = run.commission(config(false));
    outcome.expect_err("the fault must stop commissioning")
}

#[test]
fn a_wrong_passcode_fails_pase() {
    assert!(matches!(
        failure(Fault::OtherPasscode, Duration::from_secs(30)),
        CommissionError::Handshake {
            kind: HandshakeKind::Pase,
            ..
        }
    ));
}

#[test]
fn a_status_response_is_reported_with_its_status() {
    match failure(Fault::StatusResponseToArm, Duration::from_secs(30)) {
        CommissionError::UnexpectedAnswer {
            step: Step::ArmFailSafe,
            opcode: 0x01,
            detail,
        } => assert!(detail.contains("UnsupportedAccess"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_stale_nonce_is_refused() {
    assert!(matches!(
        failure(Fault::WrongNonce, Duration::from_secs(30)),
        CommissionError::Im {
            step: Step::CsrRequest,
            error: ImError::NonceMismatch
        }
    ));
}

#[test]
fn a_csr_not_signed_by_its_key_is_refused() {
    assert!(matches!(
        failure(Fault::ForgedCsr, Duration::from_secs(30)),
        CommissionError::Csr(CsrError::Signature)
    ));
}

#[test]
fn a_refused_noc_stops_before_case() {
    match failure(Fault::RefuseNoc, Duration::from_secs(30)) {
        CommissionError::Refused {
            step: Step::AddNoc,
            detail,
        } => assert!(detail.contains("InvalidNOC"), "{detail}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_silent_device_times_the_step_out() {
    assert!(matches!(
        failure(Fault::Silent, Duration::from_secs(3)),
        CommissionError::Request {
            step: Step::ArmFailSafe,
            error: RequestError::ExchangeClosed(_)
        }
    ));
}
