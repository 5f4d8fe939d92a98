//! paseo as a device: a controller `Node` commissions a device `Node` whose IM requests an
//! `ImServer` answers (through `DeviceHost`), over a real PASE session and then CASE on the new
//! fabric; attestation checked against the public test PAA with RustCrypto's X.509 and CMS
//! decoders; the fail-safe's rollback; out-of-order and malformed requests; wildcard reads.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use der::{Decode, Encode};
use paseo_core::case::OperationalCredentials;
use paseo_core::cert::{CertificationRequest, TestCa, TestCaConfig, signature_from_der};
use paseo_core::codec::{InteractionModelOpcode, ProtocolId};
use paseo_core::crypto::P256PublicKey;
use paseo_core::exchange::ExchangeId;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::im::commissioning::{
    self, AddNoc, CommissioningError, CommissioningResponse, CsrResponse, NocResponse, NocStatus,
};
use paseo_core::im::server::attestation::{
    self, CertificationContent, DeviceAttestation, sign_certification_declaration,
    signing_key_from_sec1,
};
use paseo_core::im::server::node::DeviceHost;
use paseo_core::im::server::{DeviceConfig, ImServer};
use paseo_core::im::{
    AttributePath, AttributeReport, Command, CommandPath, ImStatus, InvokeResponse, ReportData,
    StatusResponse, encode_invoke_request, encode_read_request,
};
use paseo_core::node::{Event, HandshakeKind, Node, NodeConfig, SendOptions};
use paseo_core::pase::{Passcode, PbkdfParameters, Verifier};
use paseo_core::store::MemoryStore;
use paseo_core::time::Instant;
use paseo_core::tlv::{StructView, Tag};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const PASSCODE: u32 = 20202021;
const FABRIC: FabricIndex = FabricIndex(1);
const CONTROLLER: NodeId = NodeId(0x1122);
const DEVICE: NodeId = NodeId(0xAB_0001);
const IPK: [u8; 16] = [0x4A; 16];
const LATENCY: Duration = Duration::from_millis(2);

/// The controller, the device node with its IM server, and the network between them.
struct World {
    now: Instant,
    ctrl: Node,
    dev: Node,
    host: DeviceHost,
    ctrl_addr: SocketAddr,
    dev_addr: SocketAddr,
    /// (arrival, seq) -> (to the device?, datagram)
    in_flight: BTreeMap<(Instant, u64), (bool, Vec<u8>)>,
    seq: u64,
    ctrl_events: Vec<Event>,
    traces: Vec<String>,
}

impl World {
    fn new(seed: u64) -> World {
        let ctrl_addr: SocketAddr = "[::1]:5541".parse().expect("addr");
        let dev_addr: SocketAddr = "[::1]:5540".parse().expect("addr");
        let mut ctrl = Node::new(
            NodeConfig::default(),
            ChaCha20Rng::seed_from_u64(seed),
            Box::new(MemoryStore::new()),
        );
        ctrl.register_protocol(ProtocolId::INTERACTION_MODEL);
        let mut dev = Node::new(
            NodeConfig::default(),
            ChaCha20Rng::seed_from_u64(seed ^ 0xD),
            Box::new(MemoryStore::new()),
        );
        let pbkdf = PbkdfParameters::new(1000, &[0x5A; 32]).expect("pbkdf");
        let verifier = Verifier::from_passcode(&Passcode::new(PASSCODE).expect("pc"), &pbkdf)
            .expect("verifier");
        dev.open_commissioning_window(verifier, pbkdf);
        let server = ImServer::new(
            DeviceConfig::default(),
            DeviceAttestation::test().expect("test attestation"),
            seed,
        );
        let host = DeviceHost::new(server, &mut dev);
        World {
            now: Instant::ZERO,
            ctrl,
            dev,
            host,
            ctrl_addr,
            dev_addr,
            in_flight: BTreeMap::new(),
            seq: 0,
            ctrl_events: Vec::new(),
            traces: Vec::new(),
        }
    }

    fn collect(&mut self) {
        loop {
            let mut moved = false;
            while let Some(t) = self.ctrl.poll_transmit() {
                moved = true;
                self.seq += 1;
                self.in_flight
                    .insert((self.now + LATENCY, self.seq), (true, t.payload));
            }
            while let Some(t) = self.dev.poll_transmit() {
                moved = true;
                self.seq += 1;
                self.in_flight
                    .insert((self.now + LATENCY, self.seq), (false, t.payload));
            }
            while let Some(e) = self.dev.poll_event() {
                moved = true;
                self.host.on_event(self.now, &mut self.dev, &e);
            }
            while let Some(e) = self.ctrl.poll_event() {
                moved = true;
                self.ctrl_events.push(e);
            }
            while let Some(line) = self.host.server_mut().poll_trace() {
                self.traces.push(line);
            }
            if !moved {
                break;
            }
        }
    }

    fn next_time(&self) -> Option<Instant> {
        let flight = self.in_flight.keys().next().map(|(t, _)| *t);
        [
            flight,
            self.ctrl.poll_timeout(),
            self.dev.poll_timeout(),
            self.host.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs until `done` holds or nothing is left before `until`.
    fn drive_until(&mut self, until: Instant, mut done: impl FnMut(&World) -> bool) {
        self.collect();
        while !done(self) {
            let Some(t) = self.next_time().filter(|t| *t <= until) else {
                break;
            };
            self.now = self.now.max(t);
            while let Some(entry) = self.in_flight.first_entry() {
                if entry.key().0 > self.now {
                    break;
                }
                let (to_dev, bytes) = entry.remove();
                let now = self.now;
                if to_dev {
                    self.dev.handle_datagram(now, self.ctrl_addr, &bytes);
                } else {
                    self.ctrl.handle_datagram(now, self.dev_addr, &bytes);
                }
            }
            let now = self.now;
            if self.ctrl.poll_timeout().is_some_and(|d| d <= now) {
                self.ctrl.handle_timeout(now);
            }
            if self.dev.poll_timeout().is_some_and(|d| d <= now) {
                self.dev.handle_timeout(now);
            }
            if self.host.poll_timeout().is_some_and(|d| d <= now) {
                self.host.handle_timeout(now, &mut self.dev);
            }
            self.collect();
        }
        if self.now < until && self.next_time().is_none_or(|t| t > until) && !done(self) {
            self.now = until;
        }
    }

    fn settle(&mut self) {
        let until = self.now + Duration::from_secs(5);
        self.drive_until(until, |_| false);
    }

    /// Advances the clock to `until`, running everything due on the way.
    fn advance_to(&mut self, until: Instant) {
        self.drive_until(until, |_| false);
        self.now = self.now.max(until);
    }

    fn pase(&mut self) -> u16 {
        let (now, addr) = (self.now, self.dev_addr);
        self.ctrl
            .start_pase(now, addr, Passcode::new(PASSCODE).expect("pc"))
            .expect("start PASE");
        let until = self.now + Duration::from_secs(30);
        self.drive_until(until, |w| w.opened(true).is_some());
        self.opened(true).expect("PASE session")
    }

    fn case(&mut self) -> Result<u16, String> {
        let (now, addr) = (self.now, self.dev_addr);
        let before = self.ctrl_events.len();
        let exchange = self
            .ctrl
            .start_case(now, addr, FABRIC, DEVICE)
            .map_err(|e| e.to_string())?;
        let until = self.now + Duration::from_secs(60);
        self.drive_until(until, |w| {
            w.ctrl_events[before..].iter().any(|e| match e {
                Event::SessionOpened { is_pase: false, .. } => true,
                Event::HandshakeFailed { exchange: x, .. } => *x == exchange,
                _ => false,
            })
        });
        for e in &self.ctrl_events[before..] {
            match e {
                Event::SessionOpened {
                    session_id,
                    is_pase: false,
                    ..
                } => return Ok(*session_id),
                Event::HandshakeFailed {
                    kind: HandshakeKind::Case,
                    error,
                    ..
                } => return Err(error.to_string()),
                _ => {}
            }
        }
        Err("no CASE outcome".to_owned())
    }

    fn opened(&self, pase: bool) -> Option<u16> {
        self.ctrl_events.iter().rev().find_map(|e| match e {
            Event::SessionOpened {
                session_id,
                is_pase,
                ..
            } if *is_pase == pase => Some(*session_id),
            _ => None,
        })
    }

    /// Sends one IM request and returns every IM message answering it (ReportData chunks
    /// acknowledged with StatusResponse as a client does).
    fn request(
        &mut self,
        session: u16,
        opcode: InteractionModelOpcode,
        payload: &[u8],
    ) -> Vec<(u8, Vec<u8>)> {
        let exchange = self
            .ctrl
            .open_exchange(session, ProtocolId::INTERACTION_MODEL)
            .expect("exchange");
        let options = SendOptions {
            reliable: true,
            expect_response: true,
        };
        let now = self.now;
        self.ctrl
            .send(now, exchange, opcode.as_u8(), payload, options)
            .expect("send");
        let mut answers = Vec::new();
        loop {
            let before = self.ctrl_events.len();
            let until = self.now + Duration::from_secs(30);
            self.drive_until(until, |w| {
                answered(&w.ctrl_events[before..], exchange).is_some()
            });
            let Some((op, body)) = answered(&self.ctrl_events[before..], exchange) else {
                break;
            };
            let more = op == InteractionModelOpcode::ReportData.as_u8()
                && ReportData::decode(&body).is_ok_and(|r| r.more_chunks);
            answers.push((op, body));
            if !more {
                break;
            }
            let ack = StatusResponse {
                status: ImStatus::SUCCESS,
            }
            .encode()
            .expect("status");
            let now = self.now;
            self.ctrl
                .send(
                    now,
                    exchange,
                    InteractionModelOpcode::StatusResponse.as_u8(),
                    &ack,
                    options,
                )
                .expect("ack chunk");
        }
        let now = self.now;
        let _ = self.ctrl.close_exchange(now, exchange);
        self.settle();
        answers
    }

    fn invoke(&mut self, session: u16, command: Command) -> (u8, Vec<u8>) {
        let payload = encode_invoke_request(&[command]).expect("invoke");
        let mut answers = self.request(session, InteractionModelOpcode::InvokeRequest, &payload);
        assert_eq!(answers.len(), 1, "one answer to an invoke");
        answers.remove(0)
    }

    fn read(&mut self, session: u16, payload: &[u8]) -> Vec<Vec<u8>> {
        let answers = self.request(session, InteractionModelOpcode::ReadRequest, payload);
        answers
            .into_iter()
            .map(|(op, body)| {
                assert_eq!(op, InteractionModelOpcode::ReportData.as_u8(), "ReportData");
                body
            })
            .collect()
    }

    fn challenge(&self, session: u16) -> [u8; 16] {
        *self
            .ctrl
            .sessions()
            .get_session(session)
            .expect("session")
            .attestation_challenge()
    }
}

fn answered(events: &[Event], exchange: ExchangeId) -> Option<(u8, Vec<u8>)> {
    events.iter().find_map(|e| match e {
        Event::Message {
            exchange: x,
            opcode,
            payload,
            ..
        } if *x == exchange => Some((*opcode, payload.clone())),
        _ => None,
    })
}

/// The status of a single-command InvokeResponse that answered with a status.
fn command_status(answer: &(u8, Vec<u8>)) -> ImStatus {
    assert_eq!(answer.0, InteractionModelOpcode::InvokeResponse.as_u8());
    let response = InvokeResponse::decode(&answer.1).expect("InvokeResponse");
    match response.single().expect("single") {
        paseo_core::im::CommandResponse::Status { status, .. } => status.status,
        other => panic!("expected a status, got {other:?}"),
    }
}

fn fabric_ca(seed: u64) -> TestCa {
    TestCa::from_seed(
        seed,
        TestCaConfig {
            fabric_id: 0x2906_C908_D115_D362,
            ..TestCaConfig::default()
        },
    )
    .expect("CA")
}

/// The controller's fabric and the device's operational pieces issued by it.
struct Commissioner {
    ca: TestCa,
}

impl Commissioner {
    fn new(world: &mut World, seed: u64) -> Commissioner {
        let mut ca = fabric_ca(seed);
        let ours = OperationalCredentials::from_test_ca(
            &mut ca,
            FABRIC,
            CONTROLLER,
            &[],
            IPK,
            &mut ChaCha20Rng::seed_from_u64(seed + 1),
        )
        .expect("controller credentials");
        world.ctrl.add_fabric(ours);
        Commissioner { ca }
    }

    /// ArmFailSafe → CSRRequest → AddTrustedRootCertificate → AddNOC over `pase`.
    fn credentials(&mut self, w: &mut World, pase: u16, fail_safe_s: u16) -> u8 {
        let arm = w.invoke(
            pase,
            commissioning::arm_fail_safe(fail_safe_s, 7).expect("cmd"),
        );
        let arm = InvokeResponse::decode(&arm.1).expect("decode");
        let arm = CommissioningResponse::arm_fail_safe(arm.single().expect("one")).expect("arm");
        assert_eq!(arm.error_code, CommissioningError::OK);

        let nonce = [0x3C; 32];
        let answer = w.invoke(pase, commissioning::csr_request(&nonce).expect("cmd"));
        let decoded = InvokeResponse::decode(&answer.1).expect("decode");
        let csr = CsrResponse::read(decoded.single().expect("one")).expect("CSRResponse");
        let elements = csr.elements().expect("NOCSRElements");
        elements.check_nonce(&nonce).expect("nonce echoed");
        // The device signed NOCSRElements ‖ challenge with its DAC key.
        let mut tbs = csr.nocsr_elements.to_vec();
        tbs.extend_from_slice(&w.challenge(pase));
        dac_public_key()
            .verify(&tbs, csr.attestation_signature)
            .expect("CSR attestation signature");
        let request = CertificationRequest::parse(elements.csr).expect("CSR");
        let noc = self
            .ca
            .issue_noc_for_public_key(request.public_key(), DEVICE, &[])
            .expect("NOC");

        let rcac = self.ca.rcac().tlv().to_vec();
        let root = w.invoke(
            pase,
            commissioning::add_trusted_root_certificate(&rcac).expect("cmd"),
        );
        assert_eq!(command_status(&root), ImStatus::SUCCESS);
        let add = AddNoc {
            noc: noc.tlv(),
            icac: None,
            ipk_epoch_key: &IPK,
            case_admin_subject: CONTROLLER.0,
            admin_vendor_id: 0xFFF1,
        };
        let answer = w.invoke(pase, add.command().expect("cmd"));
        let decoded = InvokeResponse::decode(&answer.1).expect("decode");
        let noc = NocResponse::read(decoded.single().expect("one")).expect("NOCResponse");
        assert_eq!(noc.status, NocStatus::OK, "{:?}", noc.debug_text);
        noc.fabric_index.expect("fabric index")
    }
}

fn dac_public_key() -> P256PublicKey {
    *signing_key_from_sec1(attestation::TEST_DAC_KEY)
        .expect("DAC key")
        .public_key()
}

fn on_off_value(w: &mut World, session: u16) -> bool {
    let path = commissioning::on_off_attribute(1);
    let reports = w.read(session, &encode_read_request(&[path], true).expect("read"));
    assert_eq!(reports.len(), 1);
    let report = ReportData::decode(&reports[0]).expect("ReportData");
    report
        .single_value(path)
        .expect("value")
        .bool()
        .expect("bool")
}

#[test]
fn full_commissioning_then_case_and_on_off() {
    let mut w = World::new(1);
    let mut commissioner = Commissioner::new(&mut w, 11);
    let pase = w.pase();

    // What a commissioner reads first: BasicCommissioningInfo and the Breadcrumb.
    let info = AttributePath::new(0, 0x30, 0x0001);
    let reports = w.read(pase, &encode_read_request(&[info], false).expect("read"));
    let report = ReportData::decode(&reports[0]).expect("ReportData");
    let value = report.single_value(info).expect("BasicCommissioningInfo");
    let fields = value.structure().expect("struct");
    assert_eq!(fields.required_u16(0).expect("expiry"), 60);
    assert_eq!(fields.required_u16(1).expect("max"), 900);

    let index = commissioner.credentials(&mut w, pase, 60);
    assert_eq!(index, 1);
    assert_eq!(
        w.dev.fabrics().len(),
        1,
        "AddNOC gave the node CASE credentials"
    );

    let case = w.case().expect("CASE on the new fabric");
    let done = w.invoke(case, commissioning::commissioning_complete().expect("cmd"));
    let done = InvokeResponse::decode(&done.1).expect("decode");
    let done = CommissioningResponse::commissioning_complete(done.single().expect("one"))
        .expect("CommissioningCompleteResponse");
    assert_eq!(
        done.error_code,
        CommissioningError::OK,
        "{}",
        done.debug_text
    );
    let state = w.host.server().commissioning_state();
    assert!(!state.armed);
    assert_eq!(state.breadcrumb, 0);
    assert_eq!(state.fabrics, [(1, 0x2906_C908_D115_D362, DEVICE.0)]);

    // The committed fabric survives the old fail-safe's deadline.
    let later = w.now + Duration::from_secs(120);
    w.advance_to(later);
    assert_eq!(w.dev.fabrics().len(), 1);

    // OnOff over CASE: off, toggled on, then Off.
    let case = w.case().expect("CASE after commissioning");
    assert!(!on_off_value(&mut w, case));
    let toggle = Command::new(CommandPath::new(1, 6, 2), |_| {}).expect("cmd");
    assert_eq!(command_status(&w.invoke(case, toggle)), ImStatus::SUCCESS);
    assert!(on_off_value(&mut w, case));
    assert!(w.host.server().on_off());
    let off = Command::new(CommandPath::new(1, 6, 0), |_| {}).expect("cmd");
    assert_eq!(command_status(&w.invoke(case, off)), ImStatus::SUCCESS);
    assert!(!on_off_value(&mut w, case));

    // Fabric-scoped reads over CASE see our fabric.
    let fabrics = AttributePath::new(0, 0x3e, 0x0001);
    let reports = w.read(case, &encode_read_request(&[fabrics], true).expect("read"));
    let report = ReportData::decode(&reports[0]).expect("ReportData");
    let list = report
        .single_value(fabrics)
        .expect("Fabrics")
        .sequence()
        .expect("list");
    assert_eq!(list.members().len(), 1);
    let entry = list.members()[0].structure().expect("descriptor");
    assert_eq!(
        entry.required_u64(3).expect("fabric id"),
        0x2906_C908_D115_D362
    );
    assert_eq!(entry.required_u64(4).expect("node id"), DEVICE.0);
    assert_eq!(
        entry.required_bytes(1).expect("root key"),
        commissioner.ca.root_public_key().to_uncompressed()
    );

    // RemoveFabric over CASE: the fabric and its sessions are gone; CASE fails afterwards.
    let remove = Command::new(CommandPath::new(0, 0x3e, 0x0a), |w| {
        w.put_uint(Tag::Context(0), 1)
    })
    .expect("cmd");
    // The answer still arrives: the session closes once the exchange is done.
    let answer = w.invoke(case, remove);
    let decoded = InvokeResponse::decode(&answer.1).expect("decode");
    let removed = NocResponse::read(decoded.single().expect("one")).expect("NOCResponse");
    assert_eq!(removed.status, NocStatus::OK);
    assert_eq!(removed.fabric_index, Some(1));
    assert!(
        w.dev
            .sessions()
            .sessions()
            .all(paseo_core::session::Session::is_pase),
        "the removed fabric's CASE sessions are gone"
    );
    assert!(w.dev.fabrics().is_empty());
    assert!(w.host.server().commissioning_state().fabrics.is_empty());
    assert!(w.case().is_err(), "CASE with a removed fabric must fail");
    assert!(
        w.traces.iter().any(|t| t.contains("RemoveFabric")),
        "{:#?}",
        w.traces
    );
}

#[test]
fn fail_safe_expiry_rolls_back_the_fabric_and_its_case_state() {
    let mut w = World::new(2);
    let mut commissioner = Commissioner::new(&mut w, 22);
    let pase = w.pase();
    commissioner.credentials(&mut w, pase, 30);
    // CASE works on the pending fabric (CommissioningComplete needs it) ...
    w.case().expect("CASE before CommissioningComplete");
    assert!(
        w.dev
            .sessions()
            .sessions()
            .any(|s| !paseo_core::session::Session::is_pase(s)),
        "the device holds a CASE session on the pending fabric"
    );
    // ... but without CommissioningComplete the fail-safe expires and takes it all back.
    let deadline = Instant::ZERO + Duration::from_secs(40);
    w.advance_to(deadline);
    let state = w.host.server().commissioning_state();
    assert!(!state.armed);
    assert!(state.fabrics.is_empty());
    assert_eq!(state.breadcrumb, 0);
    assert!(w.dev.fabrics().is_empty(), "node credentials removed");
    assert!(
        w.dev
            .sessions()
            .sessions()
            .all(paseo_core::session::Session::is_pase),
        "no CASE session survives on the device"
    );
    assert!(w.traces.iter().any(|t| t.contains("fail-safe expired")));
    assert!(w.traces.iter().any(|t| t.contains("fabric 1 removed")));
    assert!(
        w.case().is_err(),
        "CASE with the rolled-back fabric must fail"
    );
    // The PASE session can start over: a new fail-safe, a new root, a new NOC.
    let index = commissioner.credentials(&mut w, pase, 30);
    assert_eq!(index, 1);
    assert!(w.case().is_ok());
}

#[test]
fn arm_fail_safe_zero_disarms_and_rolls_back() {
    let mut w = World::new(3);
    let mut commissioner = Commissioner::new(&mut w, 33);
    let pase = w.pase();
    commissioner.credentials(&mut w, pase, 60);
    assert_eq!(w.dev.fabrics().len(), 1);
    let answer = w.invoke(pase, commissioning::arm_fail_safe(0, 0).expect("cmd"));
    let answer = InvokeResponse::decode(&answer.1).expect("decode");
    let arm = CommissioningResponse::arm_fail_safe(answer.single().expect("one")).expect("arm");
    assert_eq!(arm.error_code, CommissioningError::OK);
    assert!(w.dev.fabrics().is_empty());
    assert!(!w.host.server().commissioning_state().armed);
}

#[test]
fn out_of_order_and_malformed_requests_get_the_spec_status() {
    let mut w = World::new(4);
    let mut commissioner = Commissioner::new(&mut w, 44);
    let pase = w.pase();
    let before = w.host.server().commissioning_state();
    let nonce = [1u8; 32];
    let rcac = commissioner.ca.rcac().tlv().to_vec();
    let noc = commissioner
        .ca
        .issue_noc_for_public_key(&dac_public_key(), DEVICE, &[])
        .expect("noc");
    let add = AddNoc {
        noc: noc.tlv(),
        icac: None,
        ipk_epoch_key: &IPK,
        case_admin_subject: CONTROLLER.0,
        admin_vendor_id: 0xFFF1,
    };

    // Without a fail-safe: FailsafeRequired for every credential command.
    for command in [
        commissioning::csr_request(&nonce).expect("cmd"),
        commissioning::add_trusted_root_certificate(&rcac).expect("cmd"),
        add.command().expect("cmd"),
    ] {
        let answer = w.invoke(pase, command.clone());
        assert_eq!(
            command_status(&answer),
            ImStatus::FAILSAFE_REQUIRED,
            "{command:?}"
        );
    }
    // CommissioningComplete without a fail-safe: NoFailSafe.
    let done = w.invoke(pase, commissioning::commissioning_complete().expect("cmd"));
    let done = InvokeResponse::decode(&done.1).expect("decode");
    let done =
        CommissioningResponse::commissioning_complete(done.single().expect("one")).expect("r");
    assert_eq!(done.error_code, CommissioningError::NO_FAIL_SAFE);
    assert_eq!(
        w.host.server().commissioning_state(),
        before,
        "nothing changed"
    );

    // Armed, but AddNOC before any root: InvalidNOC; root then AddNOC before CSR: MissingCsr.
    let arm = w.invoke(pase, commissioning::arm_fail_safe(60, 0).expect("cmd"));
    assert_eq!(arm.0, InteractionModelOpcode::InvokeResponse.as_u8());
    let answer = w.invoke(pase, add.command().expect("cmd"));
    let decoded = InvokeResponse::decode(&answer.1).expect("decode");
    assert_eq!(
        NocResponse::read(decoded.single().expect("one"))
            .expect("r")
            .status,
        NocStatus::INVALID_NOC
    );
    let root = w.invoke(
        pase,
        commissioning::add_trusted_root_certificate(&rcac).expect("c"),
    );
    assert_eq!(command_status(&root), ImStatus::SUCCESS);
    let again = w.invoke(
        pase,
        commissioning::add_trusted_root_certificate(&rcac).expect("c"),
    );
    assert_eq!(command_status(&again), ImStatus::CONSTRAINT_ERROR);
    let answer = w.invoke(pase, add.command().expect("cmd"));
    let decoded = InvokeResponse::decode(&answer.1).expect("decode");
    assert_eq!(
        NocResponse::read(decoded.single().expect("one"))
            .expect("r")
            .status,
        NocStatus::MISSING_CSR
    );
    // A CSR, then a NOC for another key: InvalidPublicKey.
    let csr = w.invoke(pase, commissioning::csr_request(&nonce).expect("cmd"));
    assert_eq!(csr.0, InteractionModelOpcode::InvokeResponse.as_u8());
    let answer = w.invoke(pase, add.command().expect("cmd"));
    let decoded = InvokeResponse::decode(&answer.1).expect("decode");
    assert_eq!(
        NocResponse::read(decoded.single().expect("one"))
            .expect("r")
            .status,
        NocStatus::INVALID_PUBLIC_KEY
    );
    assert!(w.dev.fabrics().is_empty());
    // CommissioningComplete over PASE: InvalidAuthentication.
    let done = w.invoke(pase, commissioning::commissioning_complete().expect("cmd"));
    let done = InvokeResponse::decode(&done.1).expect("decode");
    let done =
        CommissioningResponse::commissioning_complete(done.single().expect("one")).expect("r");
    assert_eq!(done.error_code, CommissioningError::INVALID_AUTHENTICATION);

    // Bad nonce length: InvalidCommand. Unknown cluster / command / endpoint.
    let short = Command::new(CommandPath::new(0, 0x3e, 0x04), |w| {
        w.put_bytes(Tag::Context(0), &[1; 5])
    })
    .expect("cmd");
    assert_eq!(
        command_status(&w.invoke(pase, short)),
        ImStatus::INVALID_COMMAND
    );
    let cases = [
        (
            CommandPath::new(0, 0x0101, 0),
            ImStatus::UNSUPPORTED_CLUSTER,
        ),
        (
            CommandPath::new(0, 0x3e, 0x07),
            ImStatus::UNSUPPORTED_COMMAND,
        ),
        (CommandPath::new(5, 6, 0), ImStatus::UNSUPPORTED_ENDPOINT),
    ];
    for (path, want) in cases {
        let command = Command::new(path, |_| {}).expect("cmd");
        assert_eq!(command_status(&w.invoke(pase, command)), want, "{path:?}");
    }
    // SetRegulatoryConfig with an out-of-range value: ConstraintError.
    let reg = Command::new(CommandPath::new(0, 0x30, 0x02), |w| {
        w.put_uint(Tag::Context(0), 7);
        w.put_utf8(Tag::Context(1), "XX");
        w.put_uint(Tag::Context(2), 1);
    })
    .expect("cmd");
    assert_eq!(
        command_status(&w.invoke(pase, reg)),
        ImStatus::CONSTRAINT_ERROR
    );

    // Malformed IM messages: a StatusResponse InvalidAction, never a panic.
    for (opcode, payload) in [
        (InteractionModelOpcode::InvokeRequest, vec![0x15, 0x36]),
        (InteractionModelOpcode::ReadRequest, vec![0x15, 0x18]),
        (InteractionModelOpcode::WriteRequest, vec![0x15, 0x18]),
    ] {
        let answers = w.request(pase, opcode, &payload);
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].0, InteractionModelOpcode::StatusResponse.as_u8());
        let status = StatusResponse::decode(&answers[0].1).expect("StatusResponse");
        assert_eq!(status.status, ImStatus::INVALID_ACTION, "{opcode:?}");
    }
    // Two commands in one request (MaxPathsPerInvoke is 1).
    let two = encode_invoke_request(&[
        commissioning::arm_fail_safe(60, 0).expect("c"),
        commissioning::arm_fail_safe(60, 0).expect("c"),
    ])
    .expect("encode");
    let answers = w.request(pase, InteractionModelOpcode::InvokeRequest, &two);
    assert_eq!(
        StatusResponse::decode(&answers[0].1)
            .expect("status")
            .status,
        ImStatus::INVALID_ACTION
    );
    // Every refusal left a trace line naming its status.
    for status in [
        "FailsafeRequired",
        "InvalidCommand",
        "UnsupportedCluster",
        "InvalidAction",
    ] {
        assert!(
            w.traces.iter().any(|t| t.contains(status)),
            "{status}: {:#?}",
            w.traces
        );
    }
}

/// The values of a ReportData sequence, by path (statuses separately).
fn collect_reports(chunks: &[Vec<u8>]) -> (Vec<AttributePath>, Vec<(AttributePath, ImStatus)>) {
    let (mut values, mut statuses) = (Vec::new(), Vec::new());
    for (i, chunk) in chunks.iter().enumerate() {
        let report = ReportData::decode(chunk).expect("ReportData");
        assert_eq!(report.more_chunks, i + 1 < chunks.len(), "chunk flags");
        assert_eq!(report.suppress_response, i + 1 == chunks.len());
        for r in &report.reports {
            match r {
                AttributeReport::Data {
                    path, data_version, ..
                } => {
                    assert!(data_version.is_some());
                    values.push(*path);
                }
                AttributeReport::Status { path, status } => statuses.push((*path, status.status)),
            }
        }
    }
    (values, statuses)
}

/// A ReadRequest with raw AttributePathIB lists (wildcards: fields left out).
fn wildcard_read(paths: &[(Option<u16>, Option<u32>, Option<u32>)]) -> Vec<u8> {
    let mut w = paseo_core::tlv::Writer::new();
    w.start_struct(Tag::Anonymous);
    w.start_array(Tag::Context(0));
    for (e, c, a) in paths {
        w.start_list(Tag::Anonymous);
        if let Some(e) = e {
            w.put_uint(Tag::Context(2), u64::from(*e));
        }
        if let Some(c) = c {
            w.put_uint(Tag::Context(3), u64::from(*c));
        }
        if let Some(a) = a {
            w.put_uint(Tag::Context(4), u64::from(*a));
        }
        w.end_container();
    }
    w.end_container();
    w.put_bool(Tag::Context(3), true);
    w.end_container();
    w.finish().expect("encode")
}

#[test]
fn wildcard_reads_expand_and_concrete_misses_get_statuses() {
    let mut w = World::new(5);
    let mut commissioner = Commissioner::new(&mut w, 55);
    let pase = w.pase();
    commissioner.credentials(&mut w, pase, 60);

    // Everything on endpoint 1: OnOff (1 + 5 globals) and Descriptor (4 + 5 globals).
    let chunks = w.read(pase, &wildcard_read(&[(Some(1), None, None)]));
    let (values, statuses) = collect_reports(&chunks);
    assert!(statuses.is_empty());
    assert_eq!(values.len(), 15);
    assert!(values.contains(&AttributePath::new(1, 6, 0)));
    assert!(values.iter().all(|p| p.endpoint == 1));

    // Every ClusterRevision on every endpoint, and a wildcard that matches nothing.
    let chunks = w.read(
        pase,
        &wildcard_read(&[(None, None, Some(0xfffd)), (None, Some(0x28), Some(0x4242))]),
    );
    let (values, statuses) = collect_reports(&chunks);
    assert_eq!(values.len(), 7);
    assert!(
        statuses.is_empty(),
        "wildcards never report missing attributes"
    );

    // Concrete misses name the missing level.
    let chunks = w.read(
        pase,
        &wildcard_read(&[
            (Some(3), Some(6), Some(0)),
            (Some(1), Some(0x28), Some(0)),
            (Some(0), Some(0x28), Some(0x4242)),
            (Some(0), Some(0x31), Some(0xfffc)),
        ]),
    );
    let (values, statuses) = collect_reports(&chunks);
    assert_eq!(values, [AttributePath::new(0, 0x31, 0xfffc)]);
    assert_eq!(
        statuses,
        [
            (AttributePath::new(3, 6, 0), ImStatus::UNSUPPORTED_ENDPOINT),
            (
                AttributePath::new(1, 0x28, 0),
                ImStatus::UNSUPPORTED_CLUSTER
            ),
            (
                AttributePath::new(0, 0x28, 0x4242),
                ImStatus::UNSUPPORTED_ATTRIBUTE
            ),
        ]
    );

    // The whole device, with a fabric installed, does not fit one message: chunks, in order,
    // each under the MTU, covering every attribute exactly once.
    let chunks = w.read(pase, &wildcard_read(&[(None, None, None)]));
    assert!(chunks.len() > 1, "expected a chunked report");
    assert!(chunks.iter().all(|c| c.len() < 1200));
    let (values, statuses) = collect_reports(&chunks);
    assert!(statuses.is_empty());
    let mut sorted = values.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, values, "in order, no duplicates");
    assert_eq!(values.len(), 15 + 5 * 5 + 4 + 16 + 5 + 6 + 6);
    // NetworkCommissioning FeatureMap says Ethernet; the fabric is visible over PASE after
    // AddNOC (the PASE session acts for the fabric it added).
    let fm = AttributePath::new(0, 0x31, 0xfffc);
    let reports = w.read(pase, &encode_read_request(&[fm], false).expect("read"));
    let report = ReportData::decode(&reports[0]).expect("ReportData");
    assert_eq!(report.single_value(fm).expect("fm").u32().expect("u32"), 4);
    let nocs = AttributePath::new(0, 0x3e, 0x0000);
    let reports = w.read(pase, &encode_read_request(&[nocs], true).expect("read"));
    let report = ReportData::decode(&reports[0]).expect("ReportData");
    let list = report
        .single_value(nocs)
        .expect("NOCs")
        .sequence()
        .expect("list");
    assert_eq!(list.members().len(), 1);
    assert!(
        list.members()[0]
            .structure()
            .expect("s")
            .required_bytes(1)
            .is_ok()
    );
}

/// A DER X.509 certificate: its TBS bytes, raw signature, subject key and SKID/AKID.
struct X509 {
    tbs: Vec<u8>,
    signature: [u8; 64],
    public_key: P256PublicKey,
}

fn x509(der_bytes: &[u8]) -> X509 {
    let cert = x509_cert::Certificate::from_der(der_bytes).expect("X.509 DER");
    let tbs = cert.tbs_certificate.to_der().expect("tbs");
    let signature = signature_from_der(cert.signature.raw_bytes()).expect("ECDSA-Sig-Value");
    let key = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    X509 {
        tbs,
        signature,
        public_key: P256PublicKey::from_uncompressed(key).expect("P-256 key"),
    }
}

#[test]
fn attestation_verifies_against_the_test_paa() {
    let mut w = World::new(6);
    let pase = w.pase();
    let chain = |w: &mut World, which: u8| {
        let command = Command::new(CommandPath::new(0, 0x3e, 0x02), |t| {
            t.put_uint(Tag::Context(0), u64::from(which))
        })
        .expect("cmd");
        let answer = w.invoke(pase, command);
        let decoded = InvokeResponse::decode(&answer.1).expect("decode");
        let fields = decoded
            .single()
            .expect("one")
            .expect_data(CommandPath::new(0, 0x3e, 0x03))
            .expect("CertificateChainResponse");
        fields.required_bytes(0).expect("cert").to_vec()
    };
    let dac_der = chain(&mut w, 1);
    let pai_der = chain(&mut w, 2);
    let bad = Command::new(CommandPath::new(0, 0x3e, 0x02), |t| {
        t.put_uint(Tag::Context(0), 3)
    })
    .expect("cmd");
    assert_eq!(
        command_status(&w.invoke(pase, bad)),
        ImStatus::INVALID_COMMAND
    );

    // DAC ← PAI ← PAA (the development root a controller trusts).
    let (dac, pai, paa) = (x509(&dac_der), x509(&pai_der), x509(attestation::TEST_PAA));
    pai.public_key
        .verify(&dac.tbs, &dac.signature)
        .expect("DAC signed by PAI");
    paa.public_key
        .verify(&pai.tbs, &pai.signature)
        .expect("PAI signed by PAA");
    paa.public_key
        .verify(&paa.tbs, &paa.signature)
        .expect("PAA self-signed");
    assert_eq!(dac.public_key, dac_public_key());
    // A PAA other than the issuer (the CD signer) does not verify the PAI.
    let other = x509(attestation::TEST_CD_SIGNING_CERT);
    assert!(other.public_key.verify(&pai.tbs, &pai.signature).is_err());

    // AttestationRequest: elements signed over elements ‖ challenge.
    let nonce = [0xA5; 32];
    let command = Command::new(CommandPath::new(0, 0x3e, 0x00), |t| {
        t.put_bytes(Tag::Context(0), &nonce)
    })
    .expect("cmd");
    let answer = w.invoke(pase, command);
    let decoded = InvokeResponse::decode(&answer.1).expect("decode");
    let fields = decoded
        .single()
        .expect("one")
        .expect_data(CommandPath::new(0, 0x3e, 0x01))
        .expect("AttestationResponse");
    let elements = fields.required_bytes(0).expect("elements");
    let signature = fields.required_bytes(1).expect("signature");
    let mut tbs = elements.to_vec();
    tbs.extend_from_slice(&w.challenge(pase));
    dac.public_key
        .verify(&tbs, signature)
        .expect("attestation signature");
    // Over another challenge it does not verify.
    let mut wrong = elements.to_vec();
    wrong.extend_from_slice(&[0; 16]);
    assert!(dac.public_key.verify(&wrong, signature).is_err());
    let view = StructView::parse_anonymous(elements).expect("AttestationElements");
    assert_eq!(view.required_bytes(2).expect("nonce"), nonce);
    assert_eq!(view.required_u32(3).expect("timestamp"), 0);
    let cd = view.required_bytes(1).expect("CD");

    // The CD: CMS SignedData over the CD TLV, signed by the CD signing certificate's key.
    let info = cms::content_info::ContentInfo::from_der(cd).expect("ContentInfo");
    assert_eq!(info.content_type.to_string(), "1.2.840.113549.1.7.2");
    let signed: cms::signed_data::SignedData = info.content.decode_as().expect("SignedData");
    assert_eq!(
        signed.encap_content_info.econtent_type.to_string(),
        "1.2.840.113549.1.7.1"
    );
    let content = signed
        .encap_content_info
        .econtent
        .as_ref()
        .expect("eContent")
        .value()
        .to_vec();
    assert_eq!(
        content,
        CertificationContent::test().encode_tlv().expect("tlv")
    );
    let signer = signed.signer_infos.0.iter().next().expect("one signer");
    let cd_cert = x509_cert::Certificate::from_der(attestation::TEST_CD_SIGNING_CERT).expect("c");
    let skid_ext = cd_cert
        .tbs_certificate
        .extensions
        .as_ref()
        .expect("extensions")
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.14")
        .expect("SKID")
        .extn_value
        .as_bytes()
        .to_vec();
    match &signer.sid {
        cms::signed_data::SignerIdentifier::SubjectKeyIdentifier(skid) => {
            // The extension value is an OCTET STRING wrapping the 20-byte identifier.
            assert_eq!(&skid_ext[2..], skid.0.as_bytes());
        }
        other => panic!("signer named by {other:?}"),
    }
    let cd_signature = signature_from_der(signer.signature.as_bytes()).expect("sig");
    x509(attestation::TEST_CD_SIGNING_CERT)
        .public_key
        .verify(&content, &cd_signature)
        .expect("CD signature");
    // Deterministic: rebuilding gives the same bytes.
    let key = signing_key_from_sec1(attestation::TEST_CD_SIGNING_KEY).expect("key");
    assert_eq!(
        sign_certification_declaration(&content, &key).expect("cd"),
        cd
    );
    // The CD names the vendor and product the device reports.
    let content_view = StructView::parse_anonymous(&content).expect("CD TLV");
    assert_eq!(content_view.required_u16(1).expect("vid"), 0xFFF1);
    let vid = AttributePath::new(0, 0x28, 0x0002);
    let pid = AttributePath::new(0, 0x28, 0x0004);
    let reports = w.read(
        pase,
        &encode_read_request(&[vid, pid], false).expect("read"),
    );
    let report = ReportData::decode(&reports[0]).expect("ReportData");
    let values: Vec<u16> = report
        .reports
        .iter()
        .map(|r| match r {
            AttributeReport::Data { data, .. } => data.u16().expect("u16"),
            AttributeReport::Status { .. } => panic!("status"),
        })
        .collect();
    assert_eq!(values, [0xFFF1, 0x8000]);
}

#[test]
fn a_non_admin_case_peer_is_refused() {
    // A fabric whose CaseAdminSubject is another node: our CASE peer may not administer.
    let mut w = World::new(7);
    let mut ca = fabric_ca(77);
    let ours = OperationalCredentials::from_test_ca(
        &mut ca,
        FABRIC,
        CONTROLLER,
        &[],
        IPK,
        &mut ChaCha20Rng::seed_from_u64(78),
    )
    .expect("creds");
    w.ctrl.add_fabric(ours);
    let pase = w.pase();
    let arm = w.invoke(pase, commissioning::arm_fail_safe(60, 0).expect("c"));
    assert_eq!(arm.0, InteractionModelOpcode::InvokeResponse.as_u8());
    let answer = w.invoke(pase, commissioning::csr_request(&[9; 32]).expect("c"));
    let decoded = InvokeResponse::decode(&answer.1).expect("decode");
    let csr = CsrResponse::read(decoded.single().expect("one")).expect("csr");
    let request = CertificationRequest::parse(csr.elements().expect("e").csr).expect("csr");
    let noc = ca
        .issue_noc_for_public_key(request.public_key(), DEVICE, &[])
        .expect("noc");
    let rcac = ca.rcac().tlv().to_vec();
    w.invoke(
        pase,
        commissioning::add_trusted_root_certificate(&rcac).expect("c"),
    );
    let add = AddNoc {
        noc: noc.tlv(),
        icac: None,
        ipk_epoch_key: &IPK,
        case_admin_subject: 0x9999,
        admin_vendor_id: 0xFFF1,
    };
    w.invoke(pase, add.command().expect("c"));
    let case = w.case().expect("CASE");
    let toggle = Command::new(CommandPath::new(1, 6, 2), |_| {}).expect("cmd");
    assert_eq!(
        command_status(&w.invoke(case, toggle)),
        ImStatus::UNSUPPORTED_ACCESS
    );
    let path = commissioning::on_off_attribute(1);
    let reports = w.read(case, &encode_read_request(&[path], true).expect("read"));
    let report = ReportData::decode(&reports[0]).expect("ReportData");
    assert!(matches!(
        report.single_value(path),
        Err(paseo_core::im::ImError::AttributeStatus { status, .. })
            if status.status == ImStatus::UNSUPPORTED_ACCESS
    ));
    assert!(!w.host.server().on_off());
}
