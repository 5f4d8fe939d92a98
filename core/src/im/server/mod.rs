//! The device side of the Interaction Model: paseo as a commissionable On/Off Light.
//!
//! [`ImServer`] takes one IM request (opcode + TLV payload) received on a secure session
//! ([`SessionInfo`]: PASE or CASE, its fabric, the peer, the attestation challenge) and returns
//! the response message(s). It is sans-IO like the rest of the crate: time comes in as `now`,
//! randomness (operational keys) from the seeded RNG it is built with.
//!
//! - Read (Core §8.4, §8.9.2.3): concrete and wildcard attribute paths over the data model of
//!   [`model`] (endpoint 0: Descriptor, Basic Information, General Commissioning, Network
//!   Commissioning, Operational Credentials; endpoint 1: Descriptor, On/Off). A concrete path
//!   naming nothing gets UnsupportedEndpoint / UnsupportedCluster / UnsupportedAttribute; a
//!   wildcard skips what does not exist. A report larger than [`REPORT_CHUNK_BUDGET`] is split
//!   into chunks (MoreChunkedMessages) between attribute reports; a single attribute is never
//!   split (list chunking is not implemented; every attribute here fits one message).
//! - Invoke (Core §8.8, one path per request: MaxPathsPerInvoke 1): ArmFailSafe,
//!   SetRegulatoryConfig, CommissioningComplete; AttestationRequest, CertificateChainRequest,
//!   CSRRequest, AddTrustedRootCertificate, AddNOC, RemoveFabric; On/Off Off/On/Toggle.
//! - The fail-safe (Core §11.10.7.2): ArmFailSafe arms it on the virtual clock for the session
//!   (PASE) or fabric (CASE) that sent it; CSRRequest, AddTrustedRootCertificate and AddNOC need
//!   it armed by the same session/fabric; CommissioningComplete over CASE on the new fabric
//!   commits and disarms; expiry (or ArmFailSafe with 0 s) rolls back the pending root, NOC and
//!   fabric, and the CASE state bound to it ([`DeviceAction::RemoveFabric`]).
//!
//! Every request leaves one trace line ([`ImServer::poll_trace`]); bad input gets the status
//! the specification names and never a panic. [`node`] drives an [`ImServer`] from a
//! [`crate::node::Node`]'s events.

pub mod attestation;
pub mod model;
pub mod node;

use std::collections::{BTreeMap, VecDeque};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::case::{CredentialParts, CredentialsError, OperationalCredentials};
use crate::cert::{CertificationRequest, ChainPolicy, MatterCertificate, TrustedRoot};
use crate::codec::InteractionModelOpcode;
use crate::crypto::SigningKeyPair;
use crate::fabric::{Fabric, FabricIndex, NodeId};
use crate::session::{SecureSession, Session, SessionKind};
use crate::time::Instant;
use crate::tlv::{StructView, Tag, TlvError, Writer};

use self::attestation::DeviceAttestation;
use self::model::{Expansion, RequestPath, cluster, global};
use super::commissioning::{CommissioningError, NocStatus};
use super::error::ImError;
use super::path::{AttributePath, CommandPath};
use super::status::{ImStatus, StatusResponse};
use super::{INTERACTION_MODEL_REVISION, REVISION_TAG};

/// Reports of one ReportData message stay under this many bytes (an IPv6 minimum-MTU datagram
/// minus the Matter headers and MIC leaves ~1200; CHIP's kMaxAppMessageLen is 1200).
pub const REPORT_CHUNK_BUDGET: usize = 900;

/// A status code outside the shared table: TimedRequestMismatch (Core §8.10).
const TIMED_REQUEST_MISMATCH: ImStatus = ImStatus(0xc9);

/// Who sent a request: what the server needs of the secure session it arrived on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Local session id.
    pub session_id: u16,
    /// PASE or CASE.
    pub kind: SessionKind,
    /// The CASE session's fabric.
    pub fabric: Option<FabricIndex>,
    /// The peer's operational node id (CASE).
    pub peer_node_id: NodeId,
    /// The peer's CASE Authenticated Tags.
    pub peer_cats: Vec<u32>,
    /// The session's attestation challenge (Core §4.13.2.6, from the session keys).
    pub attestation_challenge: [u8; 16],
}

impl SessionInfo {
    /// What the server needs of `session`.
    pub fn of(session: &SecureSession) -> Self {
        Self {
            session_id: session.id(),
            kind: session.kind(),
            fabric: session.associated_fabric(),
            peer_node_id: session.peer_node_id(),
            peer_cats: session.peer_cats().to_vec(),
            attestation_challenge: *session.attestation_challenge(),
        }
    }
}

/// What the device says about itself (Basic Information, General Commissioning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// VendorName.
    pub vendor_name: String,
    /// VendorID (must match the DAC's).
    pub vendor_id: u16,
    /// ProductName.
    pub product_name: String,
    /// ProductID (must match the DAC's).
    pub product_id: u16,
    /// SerialNumber.
    pub serial_number: String,
    /// UniqueID.
    pub unique_id: String,
    /// HardwareVersion.
    pub hardware_version: u16,
    /// SoftwareVersion.
    pub software_version: u32,
    /// SoftwareVersionString.
    pub software_version_string: String,
    /// BasicCommissioningInfo.FailSafeExpiryLengthSeconds.
    pub fail_safe_expiry_seconds: u16,
    /// BasicCommissioningInfo.MaxCumulativeFailsafeSeconds.
    pub max_cumulative_failsafe_seconds: u16,
    /// SupportedFabrics (5..=254).
    pub supported_fabrics: u8,
    /// LocationCapability (0 Indoor, 1 Outdoor, 2 IndoorOutdoor).
    pub location_capability: u8,
}

impl Default for DeviceConfig {
    /// The test light: vendor 0xFFF1, product 0x8000 (the test DAC's).
    fn default() -> Self {
        Self {
            vendor_name: "paseo".to_owned(),
            vendor_id: attestation::TEST_VENDOR_ID,
            product_name: "paseo light".to_owned(),
            product_id: attestation::TEST_PRODUCT_ID,
            serial_number: "PASEO-0001".to_owned(),
            unique_id: "paseo-light-0001".to_owned(),
            hardware_version: 1,
            software_version: 1,
            software_version_string: env!("CARGO_PKG_VERSION").to_owned(),
            fail_safe_expiry_seconds: 60,
            max_cumulative_failsafe_seconds: 900,
            supported_fabrics: 5,
            location_capability: 2,
        }
    }
}

/// What the caller must do to the node after a request or a timeout.
#[derive(Debug, Clone)]
pub enum DeviceAction {
    /// AddNOC installed a fabric: give the node its CASE credentials.
    InstallFabric(OperationalCredentials),
    /// RemoveFabric, or a fail-safe rolled back an AddNOC: drop the fabric's credentials,
    /// sessions and resumption records (`Node::remove_fabric`).
    RemoveFabric(FabricIndex),
}

/// One IM message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImMessage {
    /// Its IM opcode.
    pub opcode: InteractionModelOpcode,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// Who armed the fail-safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Armer {
    /// A PASE session, by local id.
    Pase(u16),
    /// A CASE session's fabric.
    Fabric(FabricIndex),
}

/// The armed fail-safe and what commissioning added under it.
struct FailSafe {
    armer: Armer,
    /// When the first arming happened (MaxCumulativeFailsafeSeconds counts from here).
    started: Instant,
    expires: Instant,
    /// The operational key of the last CSRRequest.
    csr_key: Option<SigningKeyPair>,
    /// The RCAC of AddTrustedRootCertificate.
    pending_root: Option<Vec<u8>>,
    /// The fabric AddNOC added (installed, not yet committed).
    added_fabric: Option<FabricIndex>,
}

/// A fabric in the table.
struct FabricEntry {
    credentials: OperationalCredentials,
    /// CaseAdminSubject from AddNOC: the node id (or CAT) granted Administer.
    admin_subject: u64,
}

/// The commissioning state the fuzz target watches: committed fabrics and whether anything is
/// pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissioningState {
    /// (fabric index, fabric id, node id) of every fabric in the table.
    pub fabrics: Vec<(u8, u64, u64)>,
    /// The fail-safe is armed.
    pub armed: bool,
    /// A root certificate waits for its AddNOC.
    pub pending_root: bool,
    /// An AddNOC waits for CommissioningComplete.
    pub pending_fabric: Option<u8>,
    /// The Breadcrumb attribute.
    pub breadcrumb: u64,
}

/// The device's Interaction Model server.
pub struct ImServer {
    config: DeviceConfig,
    attestation: DeviceAttestation,
    rng: ChaCha20Rng,
    fabrics: BTreeMap<u8, FabricEntry>,
    fail_safe: Option<FailSafe>,
    breadcrumb: u64,
    regulatory_config: u8,
    on_off: bool,
    /// DataVersion per (endpoint, cluster).
    versions: BTreeMap<(u16, u32), u32>,
    actions: VecDeque<DeviceAction>,
    traces: VecDeque<String>,
}

/// Why a command failed: an IM status, or a cluster response carrying an error code.
enum Outcome {
    /// A plain status (SUCCESS for commands without response data).
    Status(ImStatus),
    /// A response command with its fields.
    Data(u32, Vec<u8>, String),
}

/// The result of one command, before encoding.
struct CommandResult {
    outcome: Outcome,
}

impl ImServer {
    /// A factory-fresh device: no fabrics, fail-safe disarmed, the light off. `seed` drives the
    /// operational keys and the first DataVersions.
    pub fn new(config: DeviceConfig, attestation: DeviceAttestation, seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut versions = BTreeMap::new();
        for ep in &model::ENDPOINTS {
            for cl in ep.clusters {
                versions.insert((ep.id, cl.id), rand_core::RngCore::next_u32(&mut rng));
            }
        }
        Self {
            config,
            attestation,
            rng,
            fabrics: BTreeMap::new(),
            fail_safe: None,
            breadcrumb: 0,
            regulatory_config: 0,
            on_off: false,
            versions,
            actions: VecDeque::new(),
            traces: VecDeque::new(),
        }
    }

    /// The device's attestation material.
    pub fn attestation(&self) -> &DeviceAttestation {
        &self.attestation
    }

    /// The OnOff attribute of endpoint 1.
    pub fn on_off(&self) -> bool {
        self.on_off
    }

    /// The commissioning state (fabrics, fail-safe, pending certificates).
    pub fn commissioning_state(&self) -> CommissioningState {
        CommissioningState {
            fabrics: self
                .fabrics
                .iter()
                .map(|(i, f)| (*i, f.credentials.fabric_id(), f.credentials.node_id().0))
                .collect(),
            armed: self.fail_safe.is_some(),
            pending_root: self
                .fail_safe
                .as_ref()
                .is_some_and(|f| f.pending_root.is_some()),
            pending_fabric: self
                .fail_safe
                .as_ref()
                .and_then(|f| f.added_fabric.map(|i| i.0)),
            breadcrumb: self.breadcrumb,
        }
    }

    /// When the fail-safe expires, if armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.fail_safe.as_ref().map(|f| f.expires)
    }

    /// Expires the fail-safe if its time has come (rolling back what it guarded).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.fail_safe.as_ref().is_some_and(|f| f.expires <= now) {
            self.trace("fail-safe expired".to_owned());
            self.roll_back();
        }
    }

    /// The next action for the node.
    pub fn poll_action(&mut self) -> Option<DeviceAction> {
        self.actions.pop_front()
    }

    /// The next trace line.
    pub fn poll_trace(&mut self) -> Option<String> {
        self.traces.pop_front()
    }

    fn trace(&mut self, line: String) {
        self.traces.push_back(line);
    }

    fn bump(&mut self, endpoint: u16, cluster_id: u32) {
        if let Some(v) = self.versions.get_mut(&(endpoint, cluster_id)) {
            *v = v.wrapping_add(1);
        }
    }

    /// Handles one IM message received on `session` and returns what to send back (empty when
    /// nothing is owed, e.g. for a StatusResponse). Chunks of a large report come in order;
    /// the caller sends the next one when the client's StatusResponse arrives.
    pub fn handle(
        &mut self,
        now: Instant,
        session: &SessionInfo,
        opcode: u8,
        payload: &[u8],
    ) -> Vec<ImMessage> {
        // Expiry happens before any request is judged.
        self.handle_timeout(now);
        let result = match InteractionModelOpcode::from_u8(opcode) {
            Some(InteractionModelOpcode::ReadRequest) => self.read(session, payload),
            Some(InteractionModelOpcode::InvokeRequest) => self.invoke(now, session, payload),
            Some(InteractionModelOpcode::StatusResponse) => return Vec::new(),
            Some(op) => {
                self.trace(format!(
                    "IM {} on session {}: not supported -> InvalidAction",
                    op.name(),
                    session.session_id
                ));
                Err(ImStatus::INVALID_ACTION)
            }
            None => {
                self.trace(format!(
                    "IM opcode {opcode:#04x} on session {}: unknown -> InvalidAction",
                    session.session_id
                ));
                Err(ImStatus::INVALID_ACTION)
            }
        };
        match result {
            Ok(messages) => messages,
            Err(status) => vec![status_response(status)],
        }
    }

    // ----- access -----

    /// The fabric the request acts for (Core §7.5.2 "accessing fabric"): a CASE session's
    /// fabric; for PASE, the fabric an AddNOC on this session's fail-safe added.
    fn accessing_fabric(&self, session: &SessionInfo) -> Option<FabricIndex> {
        match session.kind {
            SessionKind::Case => session.fabric,
            SessionKind::Pase => self.fail_safe.as_ref().and_then(|f| {
                (f.armer == Armer::Pase(session.session_id))
                    .then_some(f.added_fabric)
                    .flatten()
            }),
        }
    }

    /// Whether the session holds Administer: a PASE session does (commissioning channel,
    /// Core §6.6.2.9); a CASE peer does when it is its fabric's CaseAdminSubject (node id, or
    /// a CAT of the same identifier and at least its version).
    fn is_admin(&self, session: &SessionInfo) -> bool {
        match session.kind {
            SessionKind::Pase => true,
            SessionKind::Case => {
                let Some(entry) = session.fabric.and_then(|f| self.fabrics.get(&f.0)) else {
                    return false;
                };
                let subject = entry.admin_subject;
                if subject == session.peer_node_id.0 {
                    return true;
                }
                // CAT subjects: 0xFFFF_FFFD_IIII_VVVV.
                if subject >> 32 == 0xFFFF_FFFD {
                    let wanted = subject as u32;
                    return session
                        .peer_cats
                        .iter()
                        .any(|c| c >> 16 == wanted >> 16 && (c & 0xffff) >= (wanted & 0xffff));
                }
                false
            }
        }
    }

    // ----- Read -----

    fn read(&mut self, session: &SessionInfo, payload: &[u8]) -> Result<Vec<ImMessage>, ImStatus> {
        let parsed = (|| -> Result<(Vec<RequestPath>, bool), ImError> {
            let view = StructView::parse_anonymous(payload)?;
            let filtered = view.required_bool(3)?;
            let paths = match view.array(0)? {
                Some(list) => list
                    .members()
                    .iter()
                    .map(RequestPath::read)
                    .collect::<Result<Vec<_>, _>>()?,
                None => Vec::new(),
            };
            Ok((paths, filtered))
        })();
        let (paths, filtered) = match parsed {
            Ok(p) => p,
            Err(e) => {
                self.trace(format!(
                    "IM ReadRequest on session {}: malformed ({e}) -> InvalidAction",
                    session.session_id
                ));
                return Err(ImStatus::INVALID_ACTION);
            }
        };
        let admin = self.is_admin(session);
        let fabric = self.accessing_fabric(session);
        let mut reports: Vec<Vec<u8>> = Vec::new();
        let (mut values, mut statuses) = (0usize, 0usize);
        for path in &paths {
            match model::expand(path) {
                Expansion::Status(concrete, status) => {
                    statuses += 1;
                    reports.push(encode_attribute_status(concrete, status));
                }
                Expansion::Attributes(list) => {
                    let concrete = path.concrete().is_some();
                    for attribute in list {
                        if !admin {
                            // A wildcard skips what the subject may not see (§8.4.3.2).
                            if concrete {
                                statuses += 1;
                                reports.push(encode_attribute_status(
                                    attribute,
                                    ImStatus::UNSUPPORTED_ACCESS,
                                ));
                            }
                            continue;
                        }
                        match self.encode_attribute_data(attribute, fabric, filtered) {
                            Ok(report) => {
                                values += 1;
                                reports.push(report);
                            }
                            Err(status) => {
                                statuses += 1;
                                reports.push(encode_attribute_status(attribute, status));
                            }
                        }
                    }
                }
            }
        }
        let chunks = chunk_reports(&reports);
        self.trace(format!(
            "IM ReadRequest on session {}: {} path(s) -> {values} value(s), {statuses} status(es), {} ReportData",
            session.session_id,
            paths.len(),
            chunks.len()
        ));
        let last = chunks.len().saturating_sub(1);
        Ok(chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| ImMessage {
                opcode: InteractionModelOpcode::ReportData,
                payload: encode_report_data(chunk, i != last),
            })
            .collect())
    }

    /// `{0: DataVersion, 1: path, 2: value}` of one attribute, as an AttributeReportIB.
    fn encode_attribute_data(
        &self,
        path: AttributePath,
        fabric: Option<FabricIndex>,
        filtered: bool,
    ) -> Result<Vec<u8>, ImStatus> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.start_struct(Tag::Context(1));
        let version = self
            .versions
            .get(&(path.endpoint, path.cluster))
            .copied()
            .unwrap_or(0);
        w.put_uint(Tag::Context(0), u64::from(version));
        write_report_path(&mut w, path);
        self.write_value(&mut w, path, fabric, filtered)?;
        w.end_container();
        w.end_container();
        w.finish().map_err(|_| ImStatus::FAILURE)
    }

    /// Writes the value of an existing attribute under context tag 2.
    fn write_value(
        &self,
        w: &mut Writer,
        path: AttributePath,
        fabric: Option<FabricIndex>,
        filtered: bool,
    ) -> Result<(), ImStatus> {
        let tag = Tag::Context(2);
        let spec =
            model::cluster_on(path.endpoint, path.cluster).ok_or(ImStatus::UNSUPPORTED_CLUSTER)?;
        let u16_list = |w: &mut Writer, items: &[u32]| {
            w.start_array(tag);
            for i in items {
                w.put_uint(Tag::Anonymous, u64::from(*i));
            }
            w.end_container();
        };
        match path.attribute {
            global::CLUSTER_REVISION => w.put_uint(tag, u64::from(spec.revision)),
            global::FEATURE_MAP => w.put_uint(tag, u64::from(spec.feature_map)),
            global::ATTRIBUTE_LIST => {
                let all: Vec<u32> = spec.all_attributes().collect();
                u16_list(w, &all);
            }
            global::ACCEPTED_COMMAND_LIST => u16_list(w, spec.accepted),
            global::GENERATED_COMMAND_LIST => u16_list(w, spec.generated),
            attribute => match (path.cluster, attribute) {
                (cluster::DESCRIPTOR, _) => self.write_descriptor(w, path.endpoint, attribute)?,
                (cluster::BASIC_INFORMATION, _) => self.write_basic(w, attribute)?,
                (cluster::GENERAL_COMMISSIONING, 0x0000) => w.put_uint(tag, self.breadcrumb),
                (cluster::GENERAL_COMMISSIONING, 0x0001) => {
                    w.start_struct(tag);
                    w.put_uint(
                        Tag::Context(0),
                        u64::from(self.config.fail_safe_expiry_seconds),
                    );
                    w.put_uint(
                        Tag::Context(1),
                        u64::from(self.config.max_cumulative_failsafe_seconds),
                    );
                    w.end_container();
                }
                (cluster::GENERAL_COMMISSIONING, 0x0002) => {
                    w.put_uint(tag, u64::from(self.regulatory_config))
                }
                (cluster::GENERAL_COMMISSIONING, 0x0003) => {
                    w.put_uint(tag, u64::from(self.config.location_capability))
                }
                (cluster::GENERAL_COMMISSIONING, 0x0004) => w.put_bool(tag, true),
                (cluster::NETWORK_COMMISSIONING, 0x0000) => w.put_uint(tag, 1),
                (cluster::NETWORK_COMMISSIONING, 0x0001) => {
                    // One Ethernet interface, connected (NetworkInfoStruct).
                    w.start_array(tag);
                    w.start_struct(Tag::Anonymous);
                    w.put_bytes(Tag::Context(0), b"eth0");
                    w.put_bool(Tag::Context(1), true);
                    w.end_container();
                    w.end_container();
                }
                (cluster::NETWORK_COMMISSIONING, 0x0004) => w.put_bool(tag, true),
                (cluster::NETWORK_COMMISSIONING, 0x0005..=0x0007) => w.put_null(tag),
                (cluster::OPERATIONAL_CREDENTIALS, _) => {
                    self.write_credentials(w, attribute, fabric, filtered)?
                }
                (cluster::ON_OFF, 0x0000) => w.put_bool(tag, self.on_off),
                _ => return Err(ImStatus::UNSUPPORTED_ATTRIBUTE),
            },
        }
        Ok(())
    }

    fn write_descriptor(
        &self,
        w: &mut Writer,
        endpoint: u16,
        attribute: u32,
    ) -> Result<(), ImStatus> {
        let tag = Tag::Context(2);
        let ep = model::endpoint(endpoint).ok_or(ImStatus::UNSUPPORTED_ENDPOINT)?;
        w.start_array(tag);
        match attribute {
            0x0000 => {
                w.start_struct(Tag::Anonymous);
                w.put_uint(Tag::Context(0), u64::from(ep.device_type.0));
                w.put_uint(Tag::Context(1), u64::from(ep.device_type.1));
                w.end_container();
            }
            0x0001 => {
                for c in ep.clusters {
                    w.put_uint(Tag::Anonymous, u64::from(c.id));
                }
            }
            0x0002 => {}
            0x0003 => {
                // The root endpoint lists every other endpoint; the light has no parts.
                if endpoint == 0 {
                    for e in model::ENDPOINTS.iter().filter(|e| e.id != 0) {
                        w.put_uint(Tag::Anonymous, u64::from(e.id));
                    }
                }
            }
            _ => return Err(ImStatus::UNSUPPORTED_ATTRIBUTE),
        }
        w.end_container();
        Ok(())
    }

    fn write_basic(&self, w: &mut Writer, attribute: u32) -> Result<(), ImStatus> {
        let tag = Tag::Context(2);
        let c = &self.config;
        match attribute {
            0x0000 => w.put_uint(tag, 17),
            0x0001 => w.put_utf8(tag, &c.vendor_name),
            0x0002 => w.put_uint(tag, u64::from(c.vendor_id)),
            0x0003 => w.put_utf8(tag, &c.product_name),
            0x0004 => w.put_uint(tag, u64::from(c.product_id)),
            0x0005 => w.put_utf8(tag, ""),
            0x0006 => w.put_utf8(tag, "XX"),
            0x0007 => w.put_uint(tag, u64::from(c.hardware_version)),
            0x0008 => w.put_utf8(tag, &c.hardware_version.to_string()),
            0x0009 => w.put_uint(tag, u64::from(c.software_version)),
            0x000a => w.put_utf8(tag, &c.software_version_string),
            0x000f => w.put_utf8(tag, &c.serial_number),
            0x0012 => w.put_utf8(tag, &c.unique_id),
            0x0013 => {
                // CapabilityMinima: CaseSessionsPerFabric 3, SubscriptionsPerFabric 3.
                w.start_struct(tag);
                w.put_uint(Tag::Context(0), 3);
                w.put_uint(Tag::Context(1), 3);
                w.end_container();
            }
            // SpecificationVersion 1.3.0.0.
            0x0015 => w.put_uint(tag, 0x0103_0000),
            0x0016 => w.put_uint(tag, 1),
            _ => return Err(ImStatus::UNSUPPORTED_ATTRIBUTE),
        }
        Ok(())
    }

    fn write_credentials(
        &self,
        w: &mut Writer,
        attribute: u32,
        fabric: Option<FabricIndex>,
        filtered: bool,
    ) -> Result<(), ImStatus> {
        let tag = Tag::Context(2);
        // Fabric-scoped lists: a filtered read sees only the accessing fabric's entry.
        let visible = |index: u8| !filtered || fabric.map(|f| f.0) == Some(index);
        match attribute {
            0x0000 => {
                w.start_array(tag);
                for (index, entry) in self.fabrics.iter().filter(|(i, _)| visible(**i)) {
                    w.start_struct(Tag::Anonymous);
                    // NOC and ICAC are fabric-sensitive: only the accessing fabric sees them.
                    if fabric.map(|f| f.0) == Some(*index) {
                        w.put_bytes(Tag::Context(1), entry.credentials.noc());
                        match entry.credentials.icac() {
                            Some(icac) => w.put_bytes(Tag::Context(2), icac),
                            None => w.put_null(Tag::Context(2)),
                        }
                    }
                    w.put_uint(Tag::Context(0xfe), u64::from(*index));
                    w.end_container();
                }
                w.end_container();
            }
            0x0001 => {
                w.start_array(tag);
                for (index, entry) in self.fabrics.iter().filter(|(i, _)| visible(**i)) {
                    let f = entry.credentials.fabric();
                    w.start_struct(Tag::Anonymous);
                    w.put_bytes(
                        Tag::Context(1),
                        &entry.credentials.root().public_key().to_uncompressed(),
                    );
                    w.put_uint(Tag::Context(2), u64::from(f.root_vendor_id));
                    w.put_uint(Tag::Context(3), f.fabric_id);
                    w.put_uint(Tag::Context(4), f.node_id.0);
                    w.put_utf8(Tag::Context(5), &f.label);
                    w.put_uint(Tag::Context(0xfe), u64::from(*index));
                    w.end_container();
                }
                w.end_container();
            }
            0x0002 => w.put_uint(tag, u64::from(self.config.supported_fabrics)),
            0x0003 => w.put_uint(tag, self.fabrics.len() as u64),
            0x0004 => {
                w.start_array(tag);
                for entry in self.fabrics.values() {
                    w.put_bytes(Tag::Anonymous, entry.credentials.rcac());
                }
                if let Some(root) = self
                    .fail_safe
                    .as_ref()
                    .and_then(|f| f.pending_root.as_ref())
                    && self
                        .fail_safe
                        .as_ref()
                        .is_some_and(|f| f.added_fabric.is_none())
                {
                    w.put_bytes(Tag::Anonymous, root);
                }
                w.end_container();
            }
            0x0005 => w.put_uint(tag, u64::from(fabric.map_or(0, |f| f.0))),
            _ => return Err(ImStatus::UNSUPPORTED_ATTRIBUTE),
        }
        Ok(())
    }

    // ----- Invoke -----

    fn invoke(
        &mut self,
        now: Instant,
        session: &SessionInfo,
        payload: &[u8],
    ) -> Result<Vec<ImMessage>, ImStatus> {
        struct Request<'a> {
            path: CommandPath,
            fields: Option<StructView<'a>>,
            command_ref: Option<u16>,
            timed: bool,
        }
        let parsed = (|| -> Result<Vec<Request<'_>>, ImError> {
            let view = StructView::parse_anonymous(payload)?;
            let timed = view.bool(1)?.unwrap_or(false);
            let requests = view.required_array(2)?;
            requests
                .members()
                .iter()
                .map(|m| {
                    let data = m.structure()?;
                    let path = CommandPath::read(data.member(0).ok_or(TlvError::MissingField(0))?)?;
                    // Fields of the wrong type are the command's problem (InvalidCommand).
                    let fields = data.member(1).and_then(|f| f.structure().ok());
                    Ok(Request {
                        path,
                        fields,
                        command_ref: data.u16(2)?,
                        timed,
                    })
                })
                .collect()
        })();
        let requests = match parsed {
            Ok(r) => r,
            Err(e) => {
                self.trace(format!(
                    "IM InvokeRequest on session {}: malformed ({e}) -> InvalidAction",
                    session.session_id
                ));
                return Err(ImStatus::INVALID_ACTION);
            }
        };
        let [request] = requests.as_slice() else {
            self.trace(format!(
                "IM InvokeRequest on session {}: {} commands (MaxPathsPerInvoke 1) -> InvalidAction",
                session.session_id,
                requests.len()
            ));
            return Err(ImStatus::INVALID_ACTION);
        };
        if request.timed {
            self.trace(format!(
                "IM InvokeRequest on session {}: TimedRequest flag without a TimedRequest -> TimedRequestMismatch",
                session.session_id
            ));
            return Err(TIMED_REQUEST_MISMATCH);
        }
        let path = request.path;
        let result = self.dispatch(now, session, path, request.fields.as_ref());
        let (name, detail) = (command_name(path), describe(&result.outcome));
        self.trace(format!(
            "IM Invoke {name} ep{}/{:#06x}/{:#04x} on session {} -> {detail}",
            path.endpoint, path.cluster, path.command, session.session_id
        ));
        Ok(vec![ImMessage {
            opcode: InteractionModelOpcode::InvokeResponse,
            payload: encode_invoke_response(path, request.command_ref, &result.outcome),
        }])
    }

    fn dispatch(
        &mut self,
        now: Instant,
        session: &SessionInfo,
        path: CommandPath,
        fields: Option<&StructView<'_>>,
    ) -> CommandResult {
        let status = |s| CommandResult {
            outcome: Outcome::Status(s),
        };
        let Some(ep) = model::endpoint(path.endpoint) else {
            return status(ImStatus::UNSUPPORTED_ENDPOINT);
        };
        let Some(spec) = ep.clusters.iter().find(|c| c.id == path.cluster) else {
            return status(ImStatus::UNSUPPORTED_CLUSTER);
        };
        if !spec.accepted.contains(&path.command) {
            return status(ImStatus::UNSUPPORTED_COMMAND);
        }
        if !self.is_admin(session) {
            return status(ImStatus::UNSUPPORTED_ACCESS);
        }
        let Some(fields) = fields else {
            return status(ImStatus::INVALID_COMMAND);
        };
        let outcome = match (path.cluster, path.command) {
            (cluster::GENERAL_COMMISSIONING, 0x00) => self.arm_fail_safe(now, session, fields),
            (cluster::GENERAL_COMMISSIONING, 0x02) => self.set_regulatory_config(fields),
            (cluster::GENERAL_COMMISSIONING, 0x04) => self.commissioning_complete(session),
            (cluster::OPERATIONAL_CREDENTIALS, 0x00) => self.attestation_request(session, fields),
            (cluster::OPERATIONAL_CREDENTIALS, 0x02) => self.certificate_chain_request(fields),
            (cluster::OPERATIONAL_CREDENTIALS, 0x04) => self.csr_request(session, fields),
            (cluster::OPERATIONAL_CREDENTIALS, 0x06) => self.add_noc(session, fields),
            (cluster::OPERATIONAL_CREDENTIALS, 0x0a) => self.remove_fabric(fields),
            (cluster::OPERATIONAL_CREDENTIALS, 0x0b) => self.add_trusted_root(session, fields),
            (cluster::ON_OFF, command) => {
                let before = self.on_off;
                self.on_off = match command {
                    0x00 => false,
                    0x01 => true,
                    _ => !self.on_off,
                };
                if before != self.on_off {
                    self.bump(path.endpoint, cluster::ON_OFF);
                }
                Ok(Outcome::Status(ImStatus::SUCCESS))
            }
            // `accepted` lists only the commands above.
            _ => Ok(Outcome::Status(ImStatus::UNSUPPORTED_COMMAND)),
        };
        CommandResult {
            outcome: outcome.unwrap_or_else(Outcome::Status),
        }
    }

    /// The fail-safe, if armed by this session (PASE) or this session's fabric (CASE).
    fn fail_safe_of(&mut self, session: &SessionInfo) -> Option<&mut FailSafe> {
        let armer = match session.kind {
            SessionKind::Pase => Armer::Pase(session.session_id),
            SessionKind::Case => Armer::Fabric(session.fabric?),
        };
        self.fail_safe.as_mut().filter(|f| {
            f.armer == armer
                // The PASE session's commissioning continues over CASE on the added fabric.
                || (session.kind == SessionKind::Case && f.added_fabric == session.fabric)
        })
    }

    fn arm_fail_safe(
        &mut self,
        now: Instant,
        session: &SessionInfo,
        fields: &StructView<'_>,
    ) -> Result<Outcome, ImStatus> {
        let expiry = fields
            .required_u16(0)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        let breadcrumb = fields
            .required_u64(1)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        let respond = |code: CommissioningError, text: &str| {
            Ok(Outcome::Data(
                0x01,
                commissioning_response(code, text),
                text.to_owned(),
            ))
        };
        let armer = match (session.kind, session.fabric) {
            (SessionKind::Pase, _) => Armer::Pase(session.session_id),
            (SessionKind::Case, Some(f)) => Armer::Fabric(f),
            (SessionKind::Case, None) => return Err(ImStatus::UNSUPPORTED_ACCESS),
        };
        if self.fail_safe.is_some() && self.fail_safe_of(session).is_none() {
            return respond(
                CommissioningError::BUSY_WITH_OTHER_ADMIN,
                "fail-safe armed by another administrator",
            );
        }
        if expiry == 0 {
            if self.fail_safe.is_some() {
                self.trace("fail-safe disarmed by ArmFailSafe(0): rolling back".to_owned());
                self.roll_back();
            }
            self.set_breadcrumb(breadcrumb);
            return respond(CommissioningError::OK, "");
        }
        let max =
            core::time::Duration::from_secs(u64::from(self.config.max_cumulative_failsafe_seconds));
        let wanted = now + core::time::Duration::from_secs(u64::from(expiry));
        match self.fail_safe_of(session) {
            Some(f) => {
                // Re-arming extends, never beyond MaxCumulativeFailsafeSeconds from the start.
                f.expires = wanted.min(f.started + max);
            }
            None => {
                self.fail_safe = Some(FailSafe {
                    armer,
                    started: now,
                    expires: wanted.min(now + max),
                    csr_key: None,
                    pending_root: None,
                    added_fabric: None,
                });
            }
        }
        self.set_breadcrumb(breadcrumb);
        respond(CommissioningError::OK, "")
    }

    fn set_breadcrumb(&mut self, value: u64) {
        if self.breadcrumb != value {
            self.breadcrumb = value;
            self.bump(0, cluster::GENERAL_COMMISSIONING);
        }
    }

    fn set_regulatory_config(&mut self, fields: &StructView<'_>) -> Result<Outcome, ImStatus> {
        let config = fields
            .required_u8(0)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        let country = fields
            .required_utf8(1)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        let breadcrumb = fields
            .required_u64(2)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        if config > 2 || country.len() != 2 {
            return Err(ImStatus::CONSTRAINT_ERROR);
        }
        let capability = self.config.location_capability;
        if capability != 2 && config != capability {
            let text = "location capability does not allow it";
            return Ok(Outcome::Data(
                0x03,
                commissioning_response(CommissioningError::VALUE_OUTSIDE_RANGE, text),
                text.to_owned(),
            ));
        }
        if self.regulatory_config != config {
            self.regulatory_config = config;
            self.bump(0, cluster::GENERAL_COMMISSIONING);
        }
        self.set_breadcrumb(breadcrumb);
        Ok(Outcome::Data(
            0x03,
            commissioning_response(CommissioningError::OK, ""),
            String::new(),
        ))
    }

    fn commissioning_complete(&mut self, session: &SessionInfo) -> Result<Outcome, ImStatus> {
        let respond = |code: CommissioningError, text: &str| {
            Ok(Outcome::Data(
                0x05,
                commissioning_response(code, text),
                text.to_owned(),
            ))
        };
        if self.fail_safe.is_none() {
            return respond(CommissioningError::NO_FAIL_SAFE, "no fail-safe armed");
        }
        if session.kind != SessionKind::Case {
            return respond(
                CommissioningError::INVALID_AUTHENTICATION,
                "CommissioningComplete must come over CASE",
            );
        }
        if self.fail_safe_of(session).is_none() {
            return respond(
                CommissioningError::INVALID_AUTHENTICATION,
                "fail-safe belongs to another fabric",
            );
        }
        // Commit: what the fail-safe guarded stays; the fail-safe and breadcrumb go.
        self.fail_safe = None;
        self.set_breadcrumb(0);
        respond(CommissioningError::OK, "")
    }

    fn attestation_request(
        &mut self,
        session: &SessionInfo,
        fields: &StructView<'_>,
    ) -> Result<Outcome, ImStatus> {
        let nonce = fields
            .required_bytes(0)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        if nonce.len() != 32 {
            return Err(ImStatus::INVALID_COMMAND);
        }
        // AttestationElements (Core §11.18.6.2): {1: CD, 2: nonce, 3: timestamp 0}.
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(
            Tag::Context(1),
            self.attestation.certification_declaration(),
        );
        w.put_bytes(Tag::Context(2), nonce);
        w.put_uint(Tag::Context(3), 0);
        w.end_container();
        let elements = w.finish().map_err(|_| ImStatus::FAILURE)?;
        let response = self.signed_elements(elements, session)?;
        Ok(Outcome::Data(0x01, response, String::new()))
    }

    /// AttestationResponse and CSRResponse share one shape (Core §11.18.6.2, §11.18.6.6):
    /// `{0: elements, 1: the DAC's signature over elements ‖ the session's attestation
    /// challenge}`.
    fn signed_elements(
        &self,
        elements: Vec<u8>,
        session: &SessionInfo,
    ) -> Result<Vec<u8>, ImStatus> {
        let signature = self
            .attestation
            .sign_with_challenge(&elements, &session.attestation_challenge)
            .map_err(|_| ImStatus::FAILURE)?;
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(0), &elements);
        w.put_bytes(Tag::Context(1), &signature);
        w.end_container();
        w.finish().map_err(|_| ImStatus::FAILURE)
    }

    fn certificate_chain_request(&mut self, fields: &StructView<'_>) -> Result<Outcome, ImStatus> {
        let which = fields
            .required_u8(0)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        let certificate = match which {
            1 => self.attestation.dac(),
            2 => self.attestation.pai(),
            _ => return Err(ImStatus::INVALID_COMMAND),
        };
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(0), certificate);
        w.end_container();
        let response = w.finish().map_err(|_| ImStatus::FAILURE)?;
        Ok(Outcome::Data(0x03, response, String::new()))
    }

    fn csr_request(
        &mut self,
        session: &SessionInfo,
        fields: &StructView<'_>,
    ) -> Result<Outcome, ImStatus> {
        let nonce = fields
            .required_bytes(0)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        let for_update = fields.bool(1).map_err(|_| ImStatus::INVALID_COMMAND)?;
        if nonce.len() != 32 {
            return Err(ImStatus::INVALID_COMMAND);
        }
        let Some(fail_safe) = self.fail_safe_of(session) else {
            return Err(ImStatus::FAILSAFE_REQUIRED);
        };
        // UpdateNOC is not supported; after AddNOC a new CSR has no use in this fail-safe.
        if for_update == Some(true) || fail_safe.added_fabric.is_some() {
            return Err(ImStatus::CONSTRAINT_ERROR);
        }
        // A fresh operational key per CSRRequest; the last one is what AddNOC must certify.
        let key = SigningKeyPair::generate(&mut self.rng);
        let csr = CertificationRequest::build(&key).map_err(|_| ImStatus::FAILURE)?;
        if let Some(fail_safe) = self.fail_safe_of(session) {
            fail_safe.csr_key = Some(key);
        }
        // NOCSRElements (Core §11.18.6.6): {1: CSR, 2: CSRNonce}.
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(1), &csr);
        w.put_bytes(Tag::Context(2), nonce);
        w.end_container();
        let elements = w.finish().map_err(|_| ImStatus::FAILURE)?;
        let response = self.signed_elements(elements, session)?;
        Ok(Outcome::Data(0x05, response, String::new()))
    }

    fn add_trusted_root(
        &mut self,
        session: &SessionInfo,
        fields: &StructView<'_>,
    ) -> Result<Outcome, ImStatus> {
        let rcac = fields
            .required_bytes(0)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        let Some(fail_safe) = self.fail_safe_of(session) else {
            return Err(ImStatus::FAILSAFE_REQUIRED);
        };
        // One root per fail-safe, before AddNOC (Core §11.18.6.13).
        if fail_safe.pending_root.is_some() || fail_safe.added_fabric.is_some() {
            return Err(ImStatus::CONSTRAINT_ERROR);
        }
        if TrustedRoot::from_tlv(rcac).is_err() {
            return Err(ImStatus::INVALID_COMMAND);
        }
        fail_safe.pending_root = Some(rcac.to_vec());
        self.bump(0, cluster::OPERATIONAL_CREDENTIALS);
        Ok(Outcome::Status(ImStatus::SUCCESS))
    }

    fn add_noc(
        &mut self,
        session: &SessionInfo,
        fields: &StructView<'_>,
    ) -> Result<Outcome, ImStatus> {
        let bad = |_| ImStatus::INVALID_COMMAND;
        let noc = fields.required_bytes(0).map_err(bad)?;
        let icac = fields.bytes(1).map_err(bad)?;
        let ipk = fields.required_bytes(2).map_err(bad)?;
        let admin_subject = fields.required_u64(3).map_err(bad)?;
        let admin_vendor = fields.required_u16(4).map_err(bad)?;
        let ipk: [u8; 16] = ipk.try_into().map_err(|_| ImStatus::CONSTRAINT_ERROR)?;
        let respond = |status: NocStatus, index: Option<u8>, text: &str| {
            Ok(Outcome::Data(
                0x08,
                noc_response(status, index, text),
                text.to_owned(),
            ))
        };
        let supported = self.config.supported_fabrics;
        let used: Vec<u8> = self.fabrics.keys().copied().collect();
        let Some(fail_safe) = self.fail_safe_of(session) else {
            return Err(ImStatus::FAILSAFE_REQUIRED);
        };
        if fail_safe.added_fabric.is_some() {
            return Err(ImStatus::CONSTRAINT_ERROR);
        }
        let Some(rcac) = fail_safe.pending_root.clone() else {
            return respond(NocStatus::INVALID_NOC, None, "no trusted root added");
        };
        let Some(key) = fail_safe.csr_key.clone() else {
            return respond(
                NocStatus::MISSING_CSR,
                None,
                "no CSRRequest in this fail-safe",
            );
        };
        if used.len() >= usize::from(supported) {
            return respond(NocStatus::TABLE_FULL, None, "fabric table full");
        }
        let node_ok = NodeId(admin_subject).is_operational() || admin_subject >> 32 == 0xFFFF_FFFD;
        if !node_ok {
            return respond(
                NocStatus::INVALID_ADMIN_SUBJECT,
                None,
                "bad CaseAdminSubject",
            );
        }
        let Ok(cert) = MatterCertificate::decode(noc) else {
            return respond(NocStatus::INVALID_NOC, None, "NOC does not decode");
        };
        let (Some(node_id), Some(fabric_id)) =
            (cert.subject().node_id(), cert.subject().fabric_id())
        else {
            return respond(NocStatus::INVALID_NOC, None, "NOC lacks node or fabric id");
        };
        // The lowest free index (1..=254).
        let Some(index) = (1..=254u8).find(|i| !used.contains(i)) else {
            return respond(NocStatus::TABLE_FULL, None, "no free fabric index");
        };
        let root_key = TrustedRoot::from_tlv(&rcac)
            .map(|r| r.public_key().to_uncompressed())
            .map_err(|_| ImStatus::FAILURE)?;
        if self.fabrics.values().any(|f| {
            f.credentials.fabric_id() == fabric_id
                && f.credentials.root().public_key().to_uncompressed() == root_key
        }) {
            return respond(
                NocStatus::FABRIC_CONFLICT,
                None,
                "fabric already commissioned",
            );
        }
        let parts = CredentialParts {
            fabric: Fabric {
                index: FabricIndex(index),
                fabric_id,
                label: String::new(),
                node_id: NodeId(node_id),
                root_node_id: NodeId(admin_subject),
                root_vendor_id: admin_vendor,
            },
            rcac,
            icac: icac.map(<[u8]>::to_vec),
            noc: noc.to_vec(),
            signing_key: key,
            ipk_epoch_key: ipk,
        };
        // No wall clock on the device: validity periods are not checked (Core §6.5.x allows a
        // node without time to skip them).
        let credentials =
            match OperationalCredentials::from_parts(parts, &ChainPolicy::skip_validity()) {
                Ok(c) => c,
                Err(CredentialsError::KeyMismatch) => {
                    return respond(
                        NocStatus::INVALID_PUBLIC_KEY,
                        None,
                        "NOC is not for our CSR key",
                    );
                }
                Err(e) => {
                    let text = format!("chain refused: {e}");
                    return respond(NocStatus::INVALID_NOC, None, &text);
                }
            };
        if let Some(f) = self.fail_safe.as_mut() {
            f.added_fabric = Some(FabricIndex(index));
            f.csr_key = None;
        }
        self.fabrics.insert(
            index,
            FabricEntry {
                credentials: credentials.clone(),
                admin_subject,
            },
        );
        self.bump(0, cluster::OPERATIONAL_CREDENTIALS);
        self.actions
            .push_back(DeviceAction::InstallFabric(credentials));
        respond(NocStatus::OK, Some(index), "")
    }

    fn remove_fabric(&mut self, fields: &StructView<'_>) -> Result<Outcome, ImStatus> {
        let index = fields
            .required_u8(0)
            .map_err(|_| ImStatus::INVALID_COMMAND)?;
        if self.fabrics.remove(&index).is_none() {
            return Ok(Outcome::Data(
                0x08,
                noc_response(
                    NocStatus::INVALID_FABRIC_INDEX,
                    Some(index),
                    "no such fabric",
                ),
                "no such fabric".to_owned(),
            ));
        }
        // A fail-safe guarding this fabric has nothing left to guard.
        if self.fail_safe.as_ref().is_some_and(|f| {
            f.added_fabric == Some(FabricIndex(index))
                || f.armer == Armer::Fabric(FabricIndex(index))
        }) {
            self.fail_safe = None;
        }
        self.bump(0, cluster::OPERATIONAL_CREDENTIALS);
        self.actions
            .push_back(DeviceAction::RemoveFabric(FabricIndex(index)));
        Ok(Outcome::Data(
            0x08,
            noc_response(NocStatus::OK, Some(index), ""),
            String::new(),
        ))
    }

    /// Fail-safe cleanup (Core §11.10.7.2.2): forget the CSR key and pending root, remove the
    /// fabric AddNOC added (and with it its CASE sessions and resumption records), reset the
    /// breadcrumb.
    fn roll_back(&mut self) {
        let Some(fail_safe) = self.fail_safe.take() else {
            return;
        };
        if let Some(index) = fail_safe.added_fabric {
            self.fabrics.remove(&index.0);
            self.actions.push_back(DeviceAction::RemoveFabric(index));
            self.trace(format!("fail-safe rollback: fabric {index} removed"));
        }
        if fail_safe.pending_root.is_some() || fail_safe.added_fabric.is_some() {
            self.bump(0, cluster::OPERATIONAL_CREDENTIALS);
        }
        self.set_breadcrumb(0);
    }
}

// The response builders below write fixed, balanced structures: `finish` cannot fail, and an
// empty payload would only ever come from a bug the tests would see as a decode error.

fn commissioning_response(code: CommissioningError, text: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_uint(Tag::Context(0), u64::from(code.0));
    w.put_utf8(Tag::Context(1), text);
    w.end_container();
    w.finish().unwrap_or_default()
}

fn noc_response(status: NocStatus, index: Option<u8>, text: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_uint(Tag::Context(0), u64::from(status.0));
    if let Some(index) = index {
        w.put_uint(Tag::Context(1), u64::from(index));
    }
    if !text.is_empty() {
        w.put_utf8(Tag::Context(2), text);
    }
    w.end_container();
    w.finish().unwrap_or_default()
}

/// A StatusResponse message.
fn status_response(status: ImStatus) -> ImMessage {
    ImMessage {
        opcode: InteractionModelOpcode::StatusResponse,
        // A one-byte status in a fixed structure always encodes.
        payload: StatusResponse { status }.encode().unwrap_or_default(),
    }
}

/// `LIST {2: endpoint, 3: cluster, 4: attribute}` under context tag 1 (data) or 0 (status).
fn write_report_path(w: &mut Writer, path: AttributePath) {
    path.write(w, Tag::Context(1));
}

fn encode_attribute_status(path: AttributePath, status: ImStatus) -> Vec<u8> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.start_struct(Tag::Context(0));
    path.write(&mut w, Tag::Context(0));
    w.start_struct(Tag::Context(1));
    w.put_uint(Tag::Context(0), u64::from(status.0));
    w.end_container();
    w.end_container();
    w.end_container();
    w.finish().unwrap_or_default()
}

/// Groups encoded AttributeReportIBs into chunks of at most [`REPORT_CHUNK_BUDGET`] bytes
/// (one oversized report makes a chunk of its own). Always at least one (possibly empty) chunk.
fn chunk_reports(reports: &[Vec<u8>]) -> Vec<Vec<&[u8]>> {
    let mut chunks: Vec<Vec<&[u8]>> = vec![Vec::new()];
    let mut size = 0;
    for report in reports {
        if size + report.len() > REPORT_CHUNK_BUDGET && size > 0 {
            chunks.push(Vec::new());
            size = 0;
        }
        size += report.len();
        if let Some(last) = chunks.last_mut() {
            last.push(report);
        }
    }
    chunks
}

/// ReportData `{1: [reports], 3: MoreChunkedMessages (when true), 4: SuppressResponse (last),
/// 0xFF: revision}`.
fn encode_report_data(reports: &[&[u8]], more: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(reports.iter().map(|r| r.len()).sum::<usize>() + 16);
    out.extend_from_slice(&[0x15, 0x36, 0x01]);
    for report in reports {
        out.extend_from_slice(report);
    }
    out.push(0x18);
    if more {
        out.extend_from_slice(&[0x29, 0x03]);
    } else {
        out.extend_from_slice(&[0x29, 0x04]);
    }
    out.extend_from_slice(&[0x24, REVISION_TAG, INTERACTION_MODEL_REVISION, 0x18]);
    out
}

/// InvokeResponse with one InvokeResponseIB.
fn encode_invoke_response(
    request: CommandPath,
    command_ref: Option<u16>,
    outcome: &Outcome,
) -> Vec<u8> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bool(Tag::Context(0), false);
    w.start_array(Tag::Context(1));
    w.start_struct(Tag::Anonymous);
    match outcome {
        Outcome::Data(command, fields, _) => {
            w.start_struct(Tag::Context(0));
            CommandPath::new(request.endpoint, request.cluster, *command)
                .write(&mut w, Tag::Context(0));
            match crate::tlv::decode_element(fields) {
                Ok(mut value) => {
                    value.tag = Tag::Context(1);
                    w.put_value(&value);
                }
                Err(_) => {
                    w.start_struct(Tag::Context(1));
                    w.end_container();
                }
            }
        }
        Outcome::Status(status) => {
            w.start_struct(Tag::Context(1));
            request.write(&mut w, Tag::Context(0));
            w.start_struct(Tag::Context(1));
            w.put_uint(Tag::Context(0), u64::from(status.0));
            w.end_container();
        }
    }
    if let Some(r) = command_ref {
        w.put_uint(Tag::Context(2), u64::from(r));
    }
    w.end_container();
    w.end_container();
    w.end_container();
    w.put_uint(
        Tag::Context(REVISION_TAG),
        u64::from(INTERACTION_MODEL_REVISION),
    );
    w.end_container();
    w.finish().unwrap_or_default()
}

/// The name of a command this device knows, for traces.
fn command_name(path: CommandPath) -> &'static str {
    match (path.cluster, path.command) {
        (cluster::GENERAL_COMMISSIONING, 0x00) => "ArmFailSafe",
        (cluster::GENERAL_COMMISSIONING, 0x02) => "SetRegulatoryConfig",
        (cluster::GENERAL_COMMISSIONING, 0x04) => "CommissioningComplete",
        (cluster::OPERATIONAL_CREDENTIALS, 0x00) => "AttestationRequest",
        (cluster::OPERATIONAL_CREDENTIALS, 0x02) => "CertificateChainRequest",
        (cluster::OPERATIONAL_CREDENTIALS, 0x04) => "CSRRequest",
        (cluster::OPERATIONAL_CREDENTIALS, 0x06) => "AddNOC",
        (cluster::OPERATIONAL_CREDENTIALS, 0x0a) => "RemoveFabric",
        (cluster::OPERATIONAL_CREDENTIALS, 0x0b) => "AddTrustedRootCertificate",
        (cluster::ON_OFF, 0x00) => "Off",
        (cluster::ON_OFF, 0x01) => "On",
        (cluster::ON_OFF, 0x02) => "Toggle",
        _ => "command",
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Status(status) => status.to_string(),
        Outcome::Data(command, fields, text) => {
            // The first field of every response here is its status / error code, if any.
            let code = StructView::parse_anonymous(fields)
                .ok()
                .and_then(|v| v.u8(0).ok().flatten());
            match (code, text.is_empty()) {
                (Some(code), true) => format!("response {command:#04x} code {code}"),
                (Some(code), false) => format!("response {command:#04x} code {code} ({text})"),
                (None, _) => format!("response {command:#04x}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pase() -> SessionInfo {
        SessionInfo {
            session_id: 1,
            kind: SessionKind::Pase,
            fabric: None,
            peer_node_id: NodeId::UNSPECIFIED,
            peer_cats: Vec::new(),
            attestation_challenge: [7; 16],
        }
    }

    fn server() -> ImServer {
        ImServer::new(
            DeviceConfig::default(),
            DeviceAttestation::test().expect("test attestation"),
            1,
        )
    }

    #[test]
    fn report_data_layout() {
        let one =
            encode_attribute_status(AttributePath::new(1, 6, 0), ImStatus::UNSUPPORTED_ACCESS);
        let bytes = encode_report_data(&[&one], false);
        let decoded = super::super::ReportData::decode(&bytes).expect("decodes");
        assert!(decoded.suppress_response && !decoded.more_chunks);
        assert_eq!(decoded.revision, Some(INTERACTION_MODEL_REVISION));
        let chunked = encode_report_data(&[&one], true);
        let decoded = super::super::ReportData::decode(&chunked).expect("decodes");
        assert!(!decoded.suppress_response && decoded.more_chunks);
        // Chunks split between reports, never inside one.
        let big = vec![0u8; REPORT_CHUNK_BUDGET / 2 + 1];
        let reports = vec![big.clone(), big.clone(), big];
        assert_eq!(chunk_reports(&reports).len(), 3);
        assert_eq!(chunk_reports(&[]).len(), 1);
    }

    #[test]
    fn fail_safe_extends_only_up_to_the_cumulative_limit() {
        let mut s = server();
        let arm = |s: &mut ImServer, now: Instant, secs: u64| {
            let cmd = super::super::commissioning::arm_fail_safe(secs as u16, 0).expect("cmd");
            let payload = super::super::encode_invoke_request(&[cmd]).expect("encode");
            s.handle(now, &pase(), 0x08, &payload)
        };
        arm(&mut s, Instant::ZERO, 60);
        assert_eq!(
            s.poll_timeout(),
            Some(Instant::ZERO + core::time::Duration::from_secs(60))
        );
        let later = Instant::ZERO + core::time::Duration::from_secs(850);
        // Kept alive by re-arming every 50 s.
        for t in (50..=850).step_by(50) {
            arm(
                &mut s,
                Instant::ZERO + core::time::Duration::from_secs(t),
                60,
            );
        }
        assert_eq!(
            s.poll_timeout(),
            Some(Instant::ZERO + core::time::Duration::from_secs(900)),
            "MaxCumulativeFailsafeSeconds caps the extension"
        );
        s.handle_timeout(later + core::time::Duration::from_secs(50));
        assert!(!s.commissioning_state().armed);
        assert!(s.poll_trace().is_some());
    }

    proptest! {
        #[test]
        fn arbitrary_requests_never_panic_nor_commission(
            opcode in 0u8..12,
            bytes in proptest::collection::vec(any::<u8>(), 0..160),
        ) {
            let mut s = server();
            let before = s.commissioning_state();
            let answers = s.handle(Instant::ZERO, &pase(), opcode, &bytes);
            if opcode != 0x01 {
                prop_assert!(!answers.is_empty());
            }
            let after = s.commissioning_state();
            prop_assert_eq!(&after.fabrics, &before.fabrics);
            prop_assert!(!after.pending_root && after.pending_fabric.is_none());
            prop_assert!(s.poll_action().is_none());
        }
    }
}
