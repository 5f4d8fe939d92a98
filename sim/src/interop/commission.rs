//! A commissioner, sans-IO: paseo as controller brings a factory-fresh device onto its fabric
//! (Matter 1.3 §5.5) and proves it by reading the light's OnOff attribute over CASE.
//!
//! ```text
//! PASE (passcode) ─▶ ArmFailSafe ─▶ CSRRequest ─▶ [issue NOC for the CSR key]
//!   ─▶ AddTrustedRootCertificate ─▶ AddNOC ─▶ CASE to the device's new node id
//!   ─▶ CommissioningComplete (over CASE) ─▶ drop PASE ─▶ ReadRequest OnOff (over CASE)
//! ```
//!
//! Device attestation is skipped, as test commissioners may (Matter 1.3 §5.5). The fabric is a
//! [`TestCa`] seeded by the caller, so certificates, keys and the IPK are reproducible.
//!
//! Driven by node events: [`Commissioner::start`] sends the first message,
//! [`Commissioner::on_event`] takes every event the node reports and returns the outcome once
//! the flow has finished. Time only comes in as the `now` of each call.

use std::net::SocketAddr;

use paseo_core::case::{CredentialsError, OperationalCredentials};
use paseo_core::cert::{CertError, CertificationRequest, CsrError, TestCa, TestCaConfig};
use paseo_core::codec::InteractionModelOpcode;
use paseo_core::exchange::ExchangeId;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::im::commissioning::{
    self, AddNoc, CSR_NONCE_LEN, CommissioningError, CommissioningResponse, CsrResponse,
    IPK_EPOCH_KEY_LEN, NocResponse, NocStatus,
};
use paseo_core::im::{
    Command, ImError, InvokeResponse, ReportData, StatusResponse, encode_invoke_request,
    encode_read_request,
};
use paseo_core::node::{Event, HandshakeError, HandshakeKind, Node, NodeError};
use paseo_core::pase::Passcode;
use paseo_core::time::Instant;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::request::{ImReply, ImRequest, RequestError};

/// Who commissions whom, and how.
#[derive(Clone, Debug)]
pub struct CommissionerConfig {
    /// The device's address (loopback).
    pub peer: SocketAddr,
    /// Its setup passcode.
    pub passcode: Passcode,
    /// Our local index for the fabric.
    pub fabric_index: FabricIndex,
    /// The fabric id in every certificate.
    pub fabric_id: u64,
    /// Our node id (the CaseAdminSubject the device's ACL grants Administer).
    pub controller_node_id: NodeId,
    /// The node id the device's NOC gives it.
    pub device_node_id: NodeId,
    /// AdminVendorId in AddNOC.
    pub admin_vendor_id: u16,
    /// ArmFailSafe expiry: the whole flow must fit in it.
    pub fail_safe_seconds: u16,
    /// Issue the NOCs from an ICAC (sent in AddNOC) instead of the root.
    pub use_icac: bool,
    /// The endpoint whose OnOff attribute proves the CASE session works.
    pub light_endpoint: u16,
    /// Seed of the fabric (CA keys, our operational key, IPK, CSR nonce).
    pub seed: u64,
}

impl CommissionerConfig {
    /// The test defaults of the interop device (docs/INTEROP.md): passcode 20202021, fabric index
    /// 1, fabric id 0x2906_C908_D115_D362, controller node 0x1122, device node 0xAB0001, vendor
    /// 0xFFF1, a 60 s fail-safe, no ICAC, the light on endpoint 1.
    pub fn new(peer: SocketAddr, seed: u64) -> Self {
        Self {
            peer,
            // 20202021 is a valid passcode (not one of the invalid passcodes of Matter 1.3 §5.1).
            passcode: Passcode::new(20_202_021).unwrap_or_else(|_| unreachable!()),
            fabric_index: FabricIndex(1),
            fabric_id: 0x2906_C908_D115_D362,
            controller_node_id: NodeId(0x1122),
            device_node_id: NodeId(0x0000_0000_00AB_0001),
            admin_vendor_id: 0xFFF1,
            fail_safe_seconds: 60,
            use_icac: false,
            light_endpoint: 1,
            seed,
        }
    }
}

/// The steps after PASE, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// General Commissioning ArmFailSafe (PASE).
    ArmFailSafe,
    /// Operational Credentials CSRRequest (PASE).
    CsrRequest,
    /// AddTrustedRootCertificate (PASE).
    AddTrustedRoot,
    /// AddNOC (PASE).
    AddNoc,
    /// CommissioningComplete (CASE).
    CommissioningComplete,
    /// ReadRequest for OnOff (CASE).
    ReadOnOff,
}

/// Why commissioning failed.
#[derive(Debug, thiserror::Error)]
pub enum CommissionError {
    /// The node refused a call.
    #[error("node: {0}")]
    Node(#[from] NodeError),
    /// PASE or CASE failed.
    #[error("{kind:?} handshake failed: {error}")]
    Handshake {
        /// Which handshake.
        kind: HandshakeKind,
        /// Why.
        error: HandshakeError,
    },
    /// A request got no answer.
    #[error("{step:?}: {error}")]
    Request {
        /// The step.
        step: Step,
        /// Why.
        error: RequestError,
    },
    /// An answer could not be read or was not the expected one.
    #[error("{step:?}: {error}")]
    Im {
        /// The step.
        step: Step,
        /// Why.
        error: ImError,
    },
    /// The device answered with another IM message than expected (e.g. a StatusResponse).
    #[error("{step:?}: answered with opcode {opcode:#04x} ({detail})")]
    UnexpectedAnswer {
        /// The step.
        step: Step,
        /// The opcode that came.
        opcode: u8,
        /// What it said, when readable.
        detail: String,
    },
    /// The device refused the step (non-OK ErrorCode or NOC status).
    #[error("{step:?} refused: {detail}")]
    Refused {
        /// The step.
        step: Step,
        /// Its status and debug text.
        detail: String,
    },
    /// The device's CSR was unusable.
    #[error("CSR: {0}")]
    Csr(#[from] CsrError),
    /// Our CA could not issue a certificate.
    #[error("certificate: {0}")]
    Certificate(#[from] CertError),
    /// Our own credentials could not be built.
    #[error("credentials: {0}")]
    Credentials(#[from] CredentialsError),
}

/// When each part of the flow started and ended (the node's clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Which part: "PASE", a [`Step`] name, or "CASE".
    pub name: &'static str,
    /// When its first message was handed to the node.
    pub started: Instant,
    /// When its outcome arrived.
    pub finished: Instant,
}

impl Timing {
    /// Wall time it took, in microseconds.
    pub fn micros(&self) -> u64 {
        self.finished
            .as_micros()
            .saturating_sub(self.started.as_micros())
    }
}

/// A commissioned device.
#[derive(Clone, Debug)]
pub struct Commissioned {
    /// The PASE session (already dropped on our side after CommissioningComplete, as matter.js
    /// does: `common/FailsafeContext.ts`).
    pub pase_session: u16,
    /// The CASE session to the device.
    pub case_session: u16,
    /// The device's operational node id.
    pub device_node_id: NodeId,
    /// Our fabric index.
    pub fabric_index: FabricIndex,
    /// The fabric index the device reported in NOCResponse.
    pub device_fabric_index: Option<u8>,
    /// The OnOff value read over CASE.
    pub on_off: bool,
    /// The IM revision the device wrote in its InvokeResponses.
    pub device_im_revision: Option<u8>,
    /// Per-part timings, in order.
    pub timings: Vec<Timing>,
}

#[derive(Debug)]
enum Stage {
    Idle,
    Pase { exchange: ExchangeId },
    Invoke { step: Step, request: ImRequest },
    Case { exchange: ExchangeId },
    Finished,
}

/// The commissioning flow.
pub struct Commissioner {
    config: CommissionerConfig,
    ca: TestCa,
    credentials: OperationalCredentials,
    csr_nonce: [u8; CSR_NONCE_LEN],
    stage: Stage,
    started: Instant,
    pase_session: Option<u16>,
    case_session: Option<u16>,
    device_noc: Vec<u8>,
    device_fabric_index: Option<u8>,
    device_im_revision: Option<u8>,
    timings: Vec<Timing>,
}

impl Commissioner {
    /// Builds the fabric (root, optional ICAC, our NOC, IPK epoch key) from `config.seed`.
    pub fn new(config: CommissionerConfig) -> Result<Self, CommissionError> {
        let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
        let ca_config = TestCaConfig {
            fabric_id: config.fabric_id,
            icac_id: config.use_icac.then_some(2),
            ..TestCaConfig::default()
        };
        let mut ca = TestCa::new(ca_config, &mut rng)?;
        let mut ipk_epoch_key = [0u8; IPK_EPOCH_KEY_LEN];
        rng.fill_bytes(&mut ipk_epoch_key);
        let credentials = OperationalCredentials::from_test_ca(
            &mut ca,
            config.fabric_index,
            config.controller_node_id,
            &[],
            ipk_epoch_key,
            &mut rng,
        )?;
        let mut csr_nonce = [0u8; CSR_NONCE_LEN];
        rng.fill_bytes(&mut csr_nonce);
        Ok(Self {
            config,
            ca,
            credentials,
            csr_nonce,
            stage: Stage::Idle,
            started: Instant::ZERO,
            pase_session: None,
            case_session: None,
            device_noc: Vec::new(),
            device_fabric_index: None,
            device_im_revision: None,
            timings: Vec::new(),
        })
    }

    /// Our credentials on the new fabric (the node gets them in [`Commissioner::start`]).
    pub fn credentials(&self) -> &OperationalCredentials {
        &self.credentials
    }

    /// The NOC issued to the device (empty until the CSR came back).
    pub fn device_noc(&self) -> &[u8] {
        &self.device_noc
    }

    /// Gives the node our fabric credentials and starts PASE.
    pub fn start(&mut self, now: Instant, node: &mut Node) -> Result<(), CommissionError> {
        node.add_fabric(self.credentials.clone());
        let exchange = node.start_pase(now, self.config.peer, self.config.passcode.clone())?;
        self.started = now;
        self.stage = Stage::Pase { exchange };
        Ok(())
    }

    /// Takes one node event; returns the outcome once the flow has ended (then never again).
    pub fn on_event(
        &mut self,
        now: Instant,
        node: &mut Node,
        event: &Event,
    ) -> Option<Result<Commissioned, CommissionError>> {
        let result = self.advance(now, node, event);
        match result {
            Ok(None) => None,
            Ok(Some(done)) => {
                self.stage = Stage::Finished;
                Some(Ok(done))
            }
            Err(e) => {
                self.stage = Stage::Finished;
                Some(Err(e))
            }
        }
    }

    fn mark(&mut self, name: &'static str, now: Instant) {
        self.timings.push(Timing {
            name,
            started: self.started,
            finished: now,
        });
        self.started = now;
    }

    fn advance(
        &mut self,
        now: Instant,
        node: &mut Node,
        event: &Event,
    ) -> Result<Option<Commissioned>, CommissionError> {
        match &mut self.stage {
            Stage::Idle | Stage::Finished => Ok(None),
            Stage::Pase { exchange } => match event {
                Event::SessionOpened {
                    session_id,
                    is_pase: true,
                    ..
                } => {
                    self.pase_session = Some(*session_id);
                    self.mark("PASE", now);
                    let command = commissioning::arm_fail_safe(self.config.fail_safe_seconds, 0);
                    self.invoke(now, node, Step::ArmFailSafe, *session_id, command)?;
                    Ok(None)
                }
                Event::HandshakeFailed {
                    exchange: failed,
                    kind,
                    error,
                } if failed == exchange => Err(CommissionError::Handshake {
                    kind: *kind,
                    error: error.clone(),
                }),
                _ => Ok(None),
            },
            Stage::Case { exchange } => match event {
                Event::SessionOpened {
                    session_id,
                    is_pase: false,
                    ..
                } => {
                    self.case_session = Some(*session_id);
                    self.mark("CASE", now);
                    let command = commissioning::commissioning_complete();
                    self.invoke(now, node, Step::CommissioningComplete, *session_id, command)?;
                    Ok(None)
                }
                Event::HandshakeFailed {
                    exchange: failed,
                    kind,
                    error,
                } if failed == exchange => Err(CommissionError::Handshake {
                    kind: *kind,
                    error: error.clone(),
                }),
                _ => Ok(None),
            },
            Stage::Invoke { step, request } => {
                let step = *step;
                match request.on_event(now, node, event) {
                    None => Ok(None),
                    Some(Err(error)) => Err(CommissionError::Request { step, error }),
                    Some(Ok(reply)) => {
                        self.mark(step_name(step), now);
                        self.answered(now, node, step, &reply)
                    }
                }
            }
        }
    }

    /// Sends `command` on `session` as the request of `step`.
    fn invoke(
        &mut self,
        now: Instant,
        node: &mut Node,
        step: Step,
        session: u16,
        command: Result<Command, ImError>,
    ) -> Result<(), CommissionError> {
        let payload = command
            .and_then(|c| encode_invoke_request(&[c]))
            .map_err(|error| CommissionError::Im { step, error })?;
        self.request(
            now,
            node,
            step,
            session,
            InteractionModelOpcode::InvokeRequest,
            &payload,
        )
    }

    fn request(
        &mut self,
        now: Instant,
        node: &mut Node,
        step: Step,
        session: u16,
        opcode: InteractionModelOpcode,
        payload: &[u8],
    ) -> Result<(), CommissionError> {
        let request = ImRequest::start(now, node, session, opcode, payload)
            .map_err(|error| CommissionError::Request { step, error })?;
        self.stage = Stage::Invoke { step, request };
        Ok(())
    }

    /// The answer of `step` arrived: check it and start the next step.
    fn answered(
        &mut self,
        now: Instant,
        node: &mut Node,
        step: Step,
        reply: &ImReply,
    ) -> Result<Option<Commissioned>, CommissionError> {
        let im = |error| CommissionError::Im { step, error };
        if step == Step::ReadOnOff {
            expect_opcode(step, reply, InteractionModelOpcode::ReportData)?;
            let report = ReportData::decode(&reply.payload).map_err(im)?;
            let path = commissioning::on_off_attribute(self.config.light_endpoint);
            let on_off = report
                .single_value(path)
                .and_then(|m| m.bool().map_err(ImError::from))
                .map_err(im)?;
            return Ok(Some(self.commissioned(on_off)));
        }
        expect_opcode(step, reply, InteractionModelOpcode::InvokeResponse)?;
        let response = InvokeResponse::decode(&reply.payload).map_err(im)?;
        self.device_im_revision = response.revision;
        let answer = response.single().map_err(im)?;
        let pase = self.pase_session.unwrap_or_default();
        match step {
            Step::ArmFailSafe => {
                let r = CommissioningResponse::arm_fail_safe(answer).map_err(im)?;
                check_commissioning(step, &r)?;
                let command = commissioning::csr_request(&self.csr_nonce);
                self.invoke(now, node, Step::CsrRequest, pase, command)?;
            }
            Step::CsrRequest => {
                let csr = CsrResponse::read(answer).map_err(im)?;
                let elements = csr.elements().map_err(im)?;
                elements.check_nonce(&self.csr_nonce).map_err(im)?;
                let request = CertificationRequest::parse(elements.csr)?;
                let noc = self.ca.issue_noc_for_public_key(
                    request.public_key(),
                    self.config.device_node_id,
                    &[],
                )?;
                self.device_noc = noc.tlv().to_vec();
                let rcac = self.ca.rcac().tlv().to_vec();
                let command = commissioning::add_trusted_root_certificate(&rcac);
                self.invoke(now, node, Step::AddTrustedRoot, pase, command)?;
            }
            Step::AddTrustedRoot => {
                answer
                    .expect_success(commissioning_path(
                        commissioning::operational_credentials::ADD_TRUSTED_ROOT_CERTIFICATE,
                    ))
                    .map_err(im)?;
                let icac = self.ca.icac().map(|c| c.tlv().to_vec());
                let add = AddNoc {
                    noc: &self.device_noc,
                    icac: icac.as_deref(),
                    ipk_epoch_key: self.credentials.ipk_epoch_key(),
                    case_admin_subject: self.config.controller_node_id.0,
                    admin_vendor_id: self.config.admin_vendor_id,
                };
                let command = add.command();
                self.invoke(now, node, Step::AddNoc, pase, command)?;
            }
            Step::AddNoc => {
                let r = NocResponse::read(answer).map_err(im)?;
                if r.status != NocStatus::OK {
                    return Err(CommissionError::Refused {
                        step,
                        detail: format!("{} {}", r.status, r.debug_text.unwrap_or_default()),
                    });
                }
                self.device_fabric_index = r.fabric_index;
                let exchange = node.start_case(
                    now,
                    self.config.peer,
                    self.config.fabric_index,
                    self.config.device_node_id,
                )?;
                self.stage = Stage::Case { exchange };
            }
            Step::CommissioningComplete => {
                let r = CommissioningResponse::commissioning_complete(answer).map_err(im)?;
                check_commissioning(step, &r)?;
                // The device force-closed PASE without a CloseSession (matter.js
                // `common/FailsafeContext.ts`): drop ours the same
                // way, then prove the CASE session with a read.
                if let Some(pase) = self.pase_session {
                    let _ = node.close_session(now, pase, false, false);
                }
                let path = commissioning::on_off_attribute(self.config.light_endpoint);
                let payload = encode_read_request(&[path], true).map_err(im)?;
                let case = self.case_session.unwrap_or_default();
                self.request(
                    now,
                    node,
                    Step::ReadOnOff,
                    case,
                    InteractionModelOpcode::ReadRequest,
                    &payload,
                )?;
            }
            Step::ReadOnOff => {}
        }
        Ok(None)
    }

    fn commissioned(&self, on_off: bool) -> Commissioned {
        Commissioned {
            pase_session: self.pase_session.unwrap_or_default(),
            case_session: self.case_session.unwrap_or_default(),
            device_node_id: self.config.device_node_id,
            fabric_index: self.config.fabric_index,
            device_fabric_index: self.device_fabric_index,
            on_off,
            device_im_revision: self.device_im_revision,
            timings: self.timings.clone(),
        }
    }
}

fn commissioning_path(command: u32) -> paseo_core::im::CommandPath {
    paseo_core::im::CommandPath::new(
        commissioning::ROOT_ENDPOINT,
        commissioning::cluster::OPERATIONAL_CREDENTIALS,
        command,
    )
}

fn step_name(step: Step) -> &'static str {
    match step {
        Step::ArmFailSafe => "ArmFailSafe",
        Step::CsrRequest => "CSRRequest",
        Step::AddTrustedRoot => "AddTrustedRootCertificate",
        Step::AddNoc => "AddNOC",
        Step::CommissioningComplete => "CommissioningComplete",
        Step::ReadOnOff => "Read OnOff",
    }
}

/// The answer must be `expected`; a StatusResponse instead is reported with its status.
fn expect_opcode(
    step: Step,
    reply: &ImReply,
    expected: InteractionModelOpcode,
) -> Result<(), CommissionError> {
    if reply.opcode == expected.as_u8() {
        return Ok(());
    }
    let detail = if reply.opcode == InteractionModelOpcode::StatusResponse.as_u8() {
        match StatusResponse::decode(&reply.payload) {
            Ok(s) => format!("StatusResponse {}", s.status),
            Err(e) => format!("unreadable StatusResponse: {e}"),
        }
    } else {
        "unexpected message".to_owned()
    };
    Err(CommissionError::UnexpectedAnswer {
        step,
        opcode: reply.opcode,
        detail,
    })
}

fn check_commissioning(step: Step, r: &CommissioningResponse) -> Result<(), CommissionError> {
    if r.error_code == CommissioningError::OK {
        Ok(())
    } else {
        Err(CommissionError::Refused {
            step,
            detail: format!("{} {:?}", r.error_code, r.debug_text),
        })
    }
}
