//! Fuzzes the device's Interaction Model server (`ImServer`) with sequences of requests on
//! established sessions (two PASE sessions and, once an AddNOC succeeded, a CASE session on the
//! new fabric): raw `(opcode, payload)` messages, ReadRequests with arbitrary (wildcard) paths,
//! InvokeRequests with arbitrary paths and fields, and the honest commissioning commands a
//! controller sends (ArmFailSafe, CSRRequest, AddTrustedRootCertificate, AddNOC for the key of
//! the last CSR, CommissioningComplete, RemoveFabric, On/Off), optionally with one byte flipped,
//! interleaved with the clock moving on (fail-safe expiry).
//!
//! The sessions are given to the server directly as `SessionInfo` (what `DeviceHost` takes from
//! an established `SecureSession`): running PASE in every iteration would spend the budget on
//! PBKDF2 and SPAKE2+ instead of the IM server.
//!
//! Properties: nothing panics; every Read/Invoke (and every unknown opcode) gets an answer that
//! decodes as a StatusResponse, ReportData or InvokeResponse; and the commissioning state never
//! changes without a valid armed fail-safe: with none armed before a request, no fabric is
//! added, nothing is left pending, and no fabric is installed in the node; fabrics are only
//! ever removed (RemoveFabric) then. After the fail-safe's deadline passes, nothing is pending.

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use paseo_core::cert::{CertificationRequest, TestCa, TestCaConfig};
use paseo_core::codec::InteractionModelOpcode;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::im::commissioning::{self, AddNoc, CsrResponse, NocResponse, NocStatus};
use paseo_core::im::server::attestation::DeviceAttestation;
use paseo_core::im::server::{DeviceAction, DeviceConfig, ImServer, SessionInfo};
use paseo_core::im::{
    Command, CommandPath, InvokeResponse, ReportData, StatusResponse, encode_invoke_request,
};
use paseo_core::session::SessionKind;
use paseo_core::time::Instant;
use paseo_core::tlv::{Tag, Writer};

const CONTROLLER: u64 = 0x1122;
const DEVICE: u64 = 0xAB_0001;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Who {
    /// The first PASE session.
    Pase,
    /// Another commissioner's PASE session.
    OtherPase,
    /// CASE on the fabric the last successful AddNOC reported (PASE if none yet).
    Case,
}

#[derive(Arbitrary, Debug)]
enum FieldValue {
    Uint(u64),
    Bool(bool),
    Bytes(Vec<u8>),
    Text(String),
    Null,
}

#[derive(Arbitrary, Debug)]
enum Honest {
    Arm { seconds: u16, breadcrumb: u64 },
    Csr,
    AddRoot,
    AddNoc { admin: bool },
    Complete,
    Remove { index: u8 },
    OnOff { command: u8 },
    Attestation,
    Chain { which: u8 },
}

#[derive(Arbitrary, Debug)]
enum Step {
    Raw {
        who: Who,
        opcode: u8,
        payload: Vec<u8>,
    },
    Read {
        who: Who,
        paths: Vec<(Option<u16>, Option<u32>, Option<u32>)>,
        filtered: bool,
    },
    Invoke {
        who: Who,
        endpoint: u16,
        cluster: u32,
        command: u32,
        fields: Vec<(u8, FieldValue)>,
    },
    Honest {
        who: Who,
        step: Honest,
        /// Flip one byte of the request (index modulo its length) when non-zero.
        flip: Option<(u16, u8)>,
    },
    Advance {
        seconds: u16,
    },
}

struct Harness {
    server: ImServer,
    ca: TestCa,
    now: Instant,
    /// The public key of the last CSR the server answered with.
    csr_key: Option<paseo_core::crypto::P256PublicKey>,
    /// The fabric index of the last successful AddNOC.
    fabric: Option<u8>,
}

impl Harness {
    fn session(&self, who: Who) -> SessionInfo {
        let pase = |id: u16| SessionInfo {
            session_id: id,
            kind: SessionKind::Pase,
            fabric: None,
            peer_node_id: NodeId::UNSPECIFIED,
            peer_cats: Vec::new(),
            attestation_challenge: [0x11; 16],
        };
        match (who, self.fabric) {
            (Who::Pase, _) | (Who::Case, None) => pase(1),
            (Who::OtherPase, _) => pase(2),
            (Who::Case, Some(index)) => SessionInfo {
                session_id: 3,
                kind: SessionKind::Case,
                fabric: Some(FabricIndex(index)),
                peer_node_id: NodeId(CONTROLLER),
                peer_cats: Vec::new(),
                attestation_challenge: [0x22; 16],
            },
        }
    }

    fn honest(&mut self, step: &Honest) -> Option<Vec<u8>> {
        let command = match step {
            Honest::Arm {
                seconds,
                breadcrumb,
            } => commissioning::arm_fail_safe(*seconds % 120, *breadcrumb),
            Honest::Csr => commissioning::csr_request(&[0x5C; 32]),
            Honest::AddRoot => commissioning::add_trusted_root_certificate(self.ca.rcac().tlv()),
            Honest::AddNoc { admin } => {
                let key = self.csr_key?;
                let noc = self
                    .ca
                    .issue_noc_for_public_key(&key, NodeId(DEVICE), &[])
                    .ok()?;
                AddNoc {
                    noc: noc.tlv(),
                    icac: None,
                    ipk_epoch_key: &[0x4A; 16],
                    case_admin_subject: if *admin { CONTROLLER } else { 0 },
                    admin_vendor_id: 0xFFF1,
                }
                .command()
            }
            Honest::Complete => commissioning::commissioning_complete(),
            Honest::Remove { index } => Command::new(CommandPath::new(0, 0x3e, 0x0a), |w| {
                w.put_uint(Tag::Context(0), u64::from(*index % 4))
            }),
            Honest::OnOff { command } => {
                Command::new(CommandPath::new(1, 6, u32::from(*command % 4)), |_| {})
            }
            Honest::Attestation => Command::new(CommandPath::new(0, 0x3e, 0x00), |w| {
                w.put_bytes(Tag::Context(0), &[0xA5; 32])
            }),
            Honest::Chain { which } => Command::new(CommandPath::new(0, 0x3e, 0x02), |w| {
                w.put_uint(Tag::Context(0), u64::from(*which % 4))
            }),
        };
        encode_invoke_request(&[command.ok()?]).ok()
    }

    /// Sends one request and checks the answer and the commissioning state.
    fn request(&mut self, who: Who, opcode: u8, payload: &[u8]) {
        let session = self.session(who);
        // Expiry is judged before the request; take it first so "armed before" is honest.
        self.server.handle_timeout(self.now);
        self.drain_actions(true);
        let before = self.server.commissioning_state();
        let answers = self.server.handle(self.now, &session, opcode, payload);
        let after = self.server.commissioning_state();

        if opcode != InteractionModelOpcode::StatusResponse.as_u8() {
            assert!(!answers.is_empty(), "every request gets an answer");
        }
        for answer in &answers {
            match answer.opcode {
                InteractionModelOpcode::StatusResponse => {
                    StatusResponse::decode(&answer.payload).expect("StatusResponse decodes");
                }
                InteractionModelOpcode::ReportData => {
                    ReportData::decode(&answer.payload).expect("ReportData decodes");
                }
                InteractionModelOpcode::InvokeResponse => {
                    let response =
                        InvokeResponse::decode(&answer.payload).expect("InvokeResponse decodes");
                    self.learn(&response);
                }
                other => panic!("unexpected answer {other:?}"),
            }
        }

        if !before.armed {
            assert!(
                after.fabrics.iter().all(|f| before.fabrics.contains(f)),
                "a fabric appeared without a fail-safe: {before:?} -> {after:?}"
            );
            assert!(!after.pending_root, "root pending without a fail-safe");
            assert_eq!(
                after.pending_fabric, None,
                "NOC pending without a fail-safe"
            );
        }
        self.drain_actions(before.armed);
    }

    /// Remembers the CSR key and the fabric index the device reported.
    fn learn(&mut self, response: &InvokeResponse<'_>) {
        let Ok(single) = response.single() else {
            return;
        };
        if let Ok(csr) = CsrResponse::read(single)
            && let Ok(elements) = csr.elements()
            && let Ok(request) = CertificationRequest::parse(elements.csr)
        {
            self.csr_key = Some(*request.public_key());
        }
        if let Ok(noc) = NocResponse::read(single)
            && noc.status == NocStatus::OK
            && let Some(index) = noc.fabric_index
            && self
                .server
                .commissioning_state()
                .fabrics
                .iter()
                .any(|f| f.0 == index)
        {
            self.fabric = Some(index);
        }
    }

    fn drain_actions(&mut self, armed_before: bool) {
        while let Some(action) = self.server.poll_action() {
            if let DeviceAction::InstallFabric(_) = action {
                assert!(armed_before, "a fabric installed without a fail-safe");
            }
        }
    }
}

/// The controller's CA and the device's attestation material, built once (key generation and
/// CD signing would otherwise dominate each run).
fn fixtures() -> &'static (TestCa, DeviceAttestation) {
    static FIXTURES: OnceLock<(TestCa, DeviceAttestation)> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let ca = TestCa::from_seed(
            7,
            TestCaConfig {
                fabric_id: 0x2906_C908_D115_D362,
                ..TestCaConfig::default()
            },
        )
        .expect("test CA");
        (ca, DeviceAttestation::test().expect("test attestation"))
    })
}

fuzz_target!(|steps: Vec<Step>| {
    let (ca, attestation) = fixtures().clone();
    let mut h = Harness {
        server: ImServer::new(DeviceConfig::default(), attestation, 3),
        ca,
        now: Instant::ZERO,
        csr_key: None,
        fabric: None,
    };
    for step in steps.iter().take(48) {
        match step {
            Step::Raw {
                who,
                opcode,
                payload,
            } => h.request(*who, *opcode, payload),
            Step::Read {
                who,
                paths,
                filtered,
            } => {
                let mut w = Writer::new();
                w.start_struct(Tag::Anonymous);
                w.start_array(Tag::Context(0));
                for (e, c, a) in paths.iter().take(16) {
                    w.start_list(Tag::Anonymous);
                    if let Some(e) = e {
                        w.put_uint(Tag::Context(2), u64::from(*e % 4));
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
                w.put_bool(Tag::Context(3), *filtered);
                w.end_container();
                let payload = w.finish().expect("read request encodes");
                h.request(*who, InteractionModelOpcode::ReadRequest.as_u8(), &payload);
            }
            Step::Invoke {
                who,
                endpoint,
                cluster,
                command,
                fields,
            } => {
                let built =
                    Command::new(CommandPath::new(*endpoint % 3, *cluster, *command), |w| {
                        for (tag, value) in fields.iter().take(8) {
                            let tag = Tag::Context(*tag);
                            match value {
                                FieldValue::Uint(v) => w.put_uint(tag, *v),
                                FieldValue::Bool(v) => w.put_bool(tag, *v),
                                FieldValue::Bytes(v) => w.put_bytes(tag, v),
                                FieldValue::Text(v) => w.put_utf8(tag, v),
                                FieldValue::Null => w.put_null(tag),
                            }
                        }
                    });
                // Repeated tags make the fields structure invalid TLV: not a request.
                if let Ok(payload) = built.and_then(|c| encode_invoke_request(&[c])) {
                    h.request(
                        *who,
                        InteractionModelOpcode::InvokeRequest.as_u8(),
                        &payload,
                    );
                }
            }
            Step::Honest { who, step, flip } => {
                let Some(mut payload) = h.honest(step) else {
                    continue;
                };
                if let Some((index, xor)) = flip
                    && *xor != 0
                    && !payload.is_empty()
                {
                    let i = usize::from(*index) % payload.len();
                    payload[i] ^= xor;
                }
                h.request(
                    *who,
                    InteractionModelOpcode::InvokeRequest.as_u8(),
                    &payload,
                );
            }
            Step::Advance { seconds } => {
                h.now += core::time::Duration::from_secs(u64::from(*seconds % 200));
                let deadline = h.server.poll_timeout();
                h.server.handle_timeout(h.now);
                h.drain_actions(true);
                if deadline.is_some_and(|d| d <= h.now) {
                    let state = h.server.commissioning_state();
                    assert!(!state.armed && !state.pending_root && state.pending_fabric.is_none());
                }
            }
        }
    }
});
