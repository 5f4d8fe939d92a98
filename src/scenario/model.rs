//! The scenario file as written: serde models, strict (`deny_unknown_fields` everywhere).
//! Names that other parts of the file refer to keep their position ([`Name`]) so that semantic
//! errors point at them too. `docs/SCENARIOS.md` documents every key.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::units::{Count, Dur, Latency, Percent};

/// A name with where it was written.
pub type Name = Spanned<String>;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Short name, printed with every seed.
    pub name: Spanned<String>,
    /// One line on what the scenario shows.
    pub description: String,
    /// Default seed.
    #[serde(default)]
    pub seed: u64,
    /// Capabilities the scenario needs (`case`).
    #[serde(default)]
    pub requires: Vec<Name>,
    /// End of the fault phase (virtual time).
    pub time_limit: Option<Dur>,
    /// What becomes of a step still running (or not started) at the time limit.
    #[serde(default)]
    pub after_time_limit: AfterTimeLimit,
    /// Length of the liveness phase after the steps (`off` for none).
    pub liveness: Option<Liveness>,
    /// Default impairments of every link.
    #[serde(default)]
    pub network: Network,
    /// Impairments of single directed links.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Test fabrics (CAs minted from the seed).
    #[serde(default)]
    pub fabrics: Vec<FabricDef>,
    /// The nodes.
    pub nodes: Vec<NodeDef>,
    /// What happens, in order.
    pub steps: Vec<Spanned<Step>>,
}

/// What becomes of a step that has not finished when the time limit ends the fault phase (it
/// goes on, if at all, on the network the liveness phase healed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterTimeLimit {
    /// It fails, whatever it does later (default).
    #[default]
    Fail,
    /// It may finish later; the step list marks it `late`, `finished after time limit`.
    Finish,
}

/// `liveness: 30s` or `liveness: off`.
#[derive(Clone, Copy, Debug)]
pub enum Liveness {
    /// No liveness phase.
    Off,
    /// A liveness phase this long.
    For(Dur),
}

impl<'de> Deserialize<'de> for Liveness {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim() == "off" {
            return Ok(Liveness::Off);
        }
        if !text.chars().any(|c| c.is_ascii_digit()) {
            // A word: a misspelt `off` (the diagnostics say "did you mean").
            return Err(serde::de::Error::custom(format!(
                "unknown variant `{}`, expected one of `off`, `a duration such as 30s`",
                text.trim()
            )));
        }
        super::units::parse_duration(&text)
            .map(|d| Liveness::For(Dur(d)))
            .map_err(|e| serde::de::Error::custom(format!("{e} (or `off`)")))
    }
}

/// Impairments (every key optional: perfect link with 1 ms latency by default).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// One-way delay, fixed or a range.
    pub latency: Option<Latency>,
    /// Probability of loss.
    pub loss: Option<Percent>,
    /// Probability of duplication.
    pub duplicate: Option<Percent>,
    /// Extra random delay window (datagrams overtake each other).
    pub reorder: Option<Dur>,
}

/// One directed link's impairments.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Sender.
    pub from: Name,
    /// Receiver.
    pub to: Name,
    /// As in [`Network`].
    pub latency: Option<Latency>,
    /// As in [`Network`].
    pub loss: Option<Percent>,
    /// As in [`Network`].
    pub duplicate: Option<Percent>,
    /// As in [`Network`].
    pub reorder: Option<Dur>,
}

/// A test fabric.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FabricDef {
    /// Name used by nodes and steps.
    pub name: Name,
    /// Sign NOCs with an intermediate CA.
    #[serde(default)]
    pub icac: bool,
}

/// A node's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Starts PASE and CASE.
    Commissioner,
    /// Opens a commissioning window at start.
    Device,
}

/// Where a node keeps resumption records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// Lost on crash and restart.
    Memory,
    /// Survives once synced (after `sync_delay`, or on a `sync` step).
    Disk,
}

/// What a device answers to a PASE request while one is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Busy {
    /// StatusReport BUSY (spec).
    Busy,
    /// Only the MRP ack (matter.js 0.17.9).
    Ignore,
}

/// MRP jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// From the node's seeded RNG.
    Random,
    /// None: the minimum schedule (exact timing).
    None,
    /// The largest: the maximum schedule.
    Max,
}

/// MRP parameters advertised by a node.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mrp {
    /// Idle retransmission interval (SII).
    pub idle: Option<Dur>,
    /// Active retransmission interval (SAI).
    pub active: Option<Dur>,
    /// Active threshold (SAT).
    pub threshold: Option<Dur>,
    /// Jitter of this node's retransmission waits.
    pub jitter: Option<Jitter>,
}

/// A node.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    /// Its name (a host name in traces).
    pub name: Name,
    /// Commissioner or device.
    pub role: Spanned<Role>,
    /// Operational node id (default: position in the list, from 1).
    pub node_id: Option<u64>,
    /// Fabrics it belongs to from the start.
    #[serde(default)]
    pub fabrics: Vec<Name>,
    /// A device's setup passcode.
    pub passcode: Option<Spanned<u32>>,
    /// A device's discriminator (12 bits).
    pub discriminator: Option<Spanned<u16>>,
    /// MRP parameters.
    pub mrp: Option<Mrp>,
    /// Memory or disk.
    pub store: Option<StoreKind>,
    /// Disk writes become durable this long after they are made.
    pub sync_delay: Option<Spanned<Dur>>,
    /// PASE busy policy.
    pub busy: Option<Spanned<Busy>>,
    /// Wait announced in BUSY.
    pub busy_wait: Option<Spanned<Dur>>,
    /// First outbound message counter of every secure session.
    pub counter_start: Option<u32>,
    /// Secure sessions held at once.
    pub max_sessions: Option<Spanned<usize>>,
    /// CASE sessions one peer may hold.
    pub max_sessions_per_peer: Option<Spanned<usize>>,
    /// Deliberate protocol violations (to see the oracles fire).
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// A real stack in this node's place: `matterjs`, or `any` (substitutable by
    /// `paseo conform`; our simulated device otherwise).
    pub peer: Option<Spanned<super::real_peer::PeerKind>>,
}

/// A deliberate protocol violation of a node (`paseo_core::node::NodeFaults`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Reuse the previous message counter (nonce reuse).
    ReuseCounter,
    /// Deliver duplicates to the application.
    DeliverDuplicates,
    /// Never acknowledge.
    ForgetAck,
    /// Keep a closed session's retransmission timers.
    KeepClosedSessionTimers,
    /// Record a wrong peer session id.
    SkewPeerSessionId,
}

/// What a step's outcome must be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// Succeeds (default).
    #[default]
    Ok,
    /// Fails.
    Failed,
    /// Either.
    Any,
}

/// `pair`: PASE.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairStep {
    /// Initiator.
    pub commissioner: Name,
    /// Responder.
    pub device: Name,
    /// Passcode tried (default: the device's).
    pub passcode: Option<Spanned<u32>>,
    /// Name for `expect.outcome`.
    pub label: Option<Name>,
    /// Expected outcome.
    #[serde(default)]
    pub outcome: Expected,
}

/// `commission`: PASE, NOC, CASE, close PASE.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionStep {
    /// Commissioner (on the fabric).
    pub commissioner: Name,
    /// Device.
    pub device: Name,
    /// Fabric the device joins.
    pub fabric: Name,
    /// Passcode tried (default: the device's).
    pub passcode: Option<Spanned<u32>>,
    /// Name for `expect.outcome`.
    pub label: Option<Name>,
    /// Expected outcome.
    #[serde(default)]
    pub outcome: Expected,
}

/// `case` / `resume`: CASE between fabric members.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseStep {
    /// Initiator.
    pub initiator: Name,
    /// Responder.
    pub responder: Name,
    /// Fabric.
    pub fabric: Name,
    /// Name for `expect.outcome`.
    pub label: Option<Name>,
    /// Expected outcome.
    #[serde(default)]
    pub outcome: Expected,
}

/// A session kind in steps and expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// PASE.
    Pase,
    /// CASE.
    Case,
}

/// `exchange`: application messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeStep {
    /// Sender.
    pub from: Name,
    /// Receiver.
    pub to: Name,
    /// How many (default 1).
    pub messages: Option<u32>,
    /// With MRP (default true).
    pub reliable: Option<bool>,
    /// Session kind to use (default: the latest session).
    pub session: Option<Kind>,
    /// Name for `expect.outcome`.
    pub label: Option<Name>,
    /// Expected outcome.
    #[serde(default)]
    pub outcome: Expected,
}

/// `close`: a node closes its session with a peer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseStep {
    /// Who closes.
    pub node: Name,
    /// The other end.
    pub peer: Name,
    /// Session kind (default: the latest session).
    pub session: Option<Kind>,
    /// Send CloseSession (default true).
    pub send_close: Option<bool>,
    /// Let running exchanges finish first (default false).
    pub after_exchange: Option<bool>,
    /// Name for `expect.outcome`.
    pub label: Option<Name>,
    /// Expected outcome.
    #[serde(default)]
    pub outcome: Expected,
}

/// `partition` / `heal` of a link.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkStep {
    /// One end (`all` with `heal`: every link).
    pub from: Option<Name>,
    /// Other end.
    pub to: Option<Name>,
    /// Only `from → to`.
    #[serde(default)]
    pub one_way: bool,
    /// `heal` only: repair every partition.
    #[serde(default)]
    pub all: bool,
}

/// `set_network`: new impairments, of one link or the default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNetworkStep {
    /// Sender of the link (with `to`); absent: the default of all links.
    pub from: Option<Name>,
    /// Receiver of the link.
    pub to: Option<Name>,
    /// As in [`Network`].
    pub latency: Option<Latency>,
    /// As in [`Network`].
    pub loss: Option<Percent>,
    /// As in [`Network`].
    pub duplicate: Option<Percent>,
    /// As in [`Network`].
    pub reorder: Option<Dur>,
}

/// One session expectation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionExpect {
    /// Whose table (with `peer`).
    pub node: Option<Name>,
    /// The other end.
    pub peer: Option<Name>,
    /// Both ends' tables (instead of `node` and `peer`).
    pub between: Option<Vec<Name>>,
    /// PASE or CASE (default either).
    pub kind: Option<Kind>,
    /// Held (default) or not.
    #[serde(default = "yes")]
    pub present: bool,
}

fn yes() -> bool {
    true
}

/// Resumption used (or not) by the last session a node opened with a peer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumptionExpect {
    /// Who opened it.
    pub node: Name,
    /// With whom.
    pub peer: Name,
    /// Resumed (default true).
    #[serde(default = "yes")]
    pub used: bool,
}

/// Event kinds: the trace's words joined by `-` (`paseo_sim::EventKind::name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventName {
    /// Session opened by a full handshake.
    SessionOpened,
    /// Session resumed.
    SessionResumed,
    /// Session closed.
    SessionClosed,
    /// Handshake failed.
    HandshakeFailed,
    /// Reliable message not acknowledged.
    DeliveryFailed,
    /// Reliable message acknowledged.
    Acked,
    /// Application message received (trace: `app received`).
    AppReceived,
    /// Exchange ended.
    ExchangeClosed,
}

/// Events a node reported.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventExpect {
    /// Whose events.
    pub node: Name,
    /// Which kind.
    pub event: EventName,
    /// Only those with this peer.
    pub peer: Option<Name>,
    /// Text the event line contains.
    pub detail: Option<String>,
    /// How many (default `>=1`).
    pub count: Option<Count>,
}

/// A labelled step's outcome.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeExpect {
    /// The step's label.
    pub step: Name,
    /// ok or failed.
    pub is: Spanned<Expected>,
    /// Text the failure contains.
    pub reason: Option<String>,
}

/// Datagram counters of the run so far.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatagramExpect {
    /// Only datagrams of this node (sender; receiver for `duplicates_received`).
    pub node: Option<Name>,
    /// Handed to the network.
    pub sent: Option<Count>,
    /// MRP retransmissions.
    pub retransmitted: Option<Count>,
    /// Dropped by the network.
    pub dropped: Option<Count>,
    /// Duplicated by the network.
    pub duplicated: Option<Count>,
    /// Recognised as duplicates by their receiver.
    pub duplicates_received: Option<Count>,
}

/// A node's counters (`paseo_core::node::NodeStats` since its last start) and table sizes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterExpect {
    /// Whose (must be running).
    pub node: Name,
    /// Datagrams handed to the node.
    pub received: Option<Count>,
    /// Dropped for any reason but being a duplicate.
    pub dropped: Option<Count>,
    /// Dropped: beyond the maximum datagram size.
    pub oversized: Option<Count>,
    /// Dropped: did not parse.
    pub malformed: Option<Count>,
    /// Dropped: unknown session, or a reflection of the node's own unsecured message.
    pub unknown_session: Option<Count>,
    /// Dropped: failed authentication.
    pub undecryptable: Option<Count>,
    /// Dropped: unsupported security flags.
    pub unsupported: Option<Count>,
    /// Dropped: unsecured table full of running handshakes.
    pub unsecured_table_full: Option<Count>,
    /// Authenticated duplicates (acked again, not delivered).
    pub duplicates: Option<Count>,
    /// Dropped: unsolicited or session closing.
    pub unsolicited_dropped: Option<Count>,
    /// Handshake requests refused.
    pub handshakes_refused: Option<Count>,
    /// Messages delivered.
    pub delivered: Option<Count>,
    /// Unsecured sessions evicted for room.
    pub unsecured_evicted: Option<Count>,
    /// Resumption records that could not be written.
    pub store_errors: Option<Count>,
    /// Handshakes running now.
    pub handshakes_running: Option<Count>,
    /// Unsecured sessions held now.
    pub unsecured_sessions: Option<Count>,
    /// Secure sessions held now.
    pub secure_sessions: Option<Count>,
}

/// `expect`: everything listed must hold (by `within`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectStep {
    /// How long it may take to hold (default: now).
    pub within: Option<Dur>,
    /// Session tables.
    #[serde(default)]
    pub sessions: Vec<SessionExpect>,
    /// Resumption used or not.
    #[serde(default)]
    pub resumption: Vec<ResumptionExpect>,
    /// Events seen.
    #[serde(default)]
    pub events: Vec<EventExpect>,
    /// Outcomes of labelled steps.
    #[serde(default)]
    pub outcome: Vec<OutcomeExpect>,
    /// Datagram counters.
    pub datagrams: Option<DatagramExpect>,
    /// Node counters and table sizes.
    #[serde(default)]
    pub counters: Vec<CounterExpect>,
    /// Trace lines containing a text.
    #[serde(default)]
    pub trace: Vec<TraceExpect>,
}

/// Trace lines of a node that contain a text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceExpect {
    /// Whose lines (the first name on the line).
    pub node: Name,
    /// Text the line contains.
    pub contains: String,
    /// How many (default `>=1`).
    pub count: Option<Count>,
}

/// `capture`: keep a datagram for a later `inject: {datagram: replay}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureStep {
    /// The name it is kept under.
    pub name: Name,
    /// Its sender.
    pub from: Name,
    /// Its receiver.
    pub to: Name,
    /// Text its opcode name contains (default: any but a standalone ack).
    pub opcode: Option<String>,
}

/// What `inject` sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Datagram {
    /// A captured datagram (`capture:` names it).
    Replay,
    /// The last datagram `to` sent to `from`, back to `to`.
    Reflect,
    /// CloseSession on `to`'s session with `from`, without the keys.
    ForgedClose,
    /// The last datagram `from` sent to `to`, cut in half.
    Truncated,
    /// The last datagram `from` sent to `to`, padded to 1500 bytes.
    Oversized,
}

/// `inject`: hostile bytes from `from`'s address.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectStep {
    /// Whose address they leave from.
    pub from: Name,
    /// The target.
    pub to: Name,
    /// What.
    pub datagram: Spanned<Datagram>,
    /// The captured datagram (`replay` only).
    pub capture: Option<Name>,
    /// `forged_close`: whose session with `to` is forged (default `from`).
    pub peer: Option<Name>,
    /// Copies (default 1).
    pub count: Option<Spanned<u32>>,
    /// Name for `expect.outcome`.
    pub label: Option<Name>,
    /// Expected outcome.
    #[serde(default)]
    pub outcome: Expected,
}

/// Which handshake request `flood` sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FloodKind {
    /// PASE's first message.
    PbkdfParamRequest,
    /// CASE's first message (a replay of the last one the target received).
    Sigma1,
    /// Sigma1 with a random payload (fails to decode; the answer lingers).
    GarbageSigma1,
}

/// `flood`: handshake requests from many initiators.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloodStep {
    /// Whose address they leave from.
    pub from: Name,
    /// The target.
    pub to: Name,
    /// Which request.
    pub message: FloodKind,
    /// How many initiators (1..=10000).
    pub sources: Spanned<u32>,
    /// Name for `expect.outcome`.
    pub label: Option<Name>,
    /// Expected outcome.
    #[serde(default)]
    pub outcome: Expected,
}

/// How `corrupt_store` damages the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorruptHow {
    /// Invert one byte (`at`, default 0).
    FlipByte,
    /// Keep the first half.
    Truncate,
}

/// `corrupt_store`: damage a node's stored resumption records.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorruptStoreStep {
    /// Whose disk.
    pub node: Name,
    /// How.
    pub how: Spanned<CorruptHow>,
    /// `flip_byte`: the byte's offset (modulo the length).
    pub at: Option<Spanned<usize>>,
}

/// One step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Step {
    /// PASE.
    Pair(PairStep),
    /// PASE → credentials → CASE → close PASE.
    Commission(CommissionStep),
    /// CASE (resumes when a record exists).
    Case(CaseStep),
    /// CASE that must resume.
    Resume(CaseStep),
    /// Application messages.
    Exchange(ExchangeStep),
    /// Close a session.
    Close(CloseStep),
    /// Cut a link.
    Partition(LinkStep),
    /// Repair a link (or all).
    Heal(LinkStep),
    /// Change impairments.
    SetNetwork(SetNetworkStep),
    /// Power cut.
    Crash(Name),
    /// Start again.
    Restart(Name),
    /// Make disk writes durable now.
    Sync(Name),
    /// Do nothing for a while.
    Wait(Dur),
    /// Check.
    Expect(ExpectStep),
    /// Steps at the same time.
    Parallel(Vec<Spanned<Step>>),
    /// Steps one after the other (inside `parallel`).
    Sequence(Vec<Spanned<Step>>),
    /// Keep a datagram off the wire.
    Capture(CaptureStep),
    /// Send hostile bytes.
    Inject(InjectStep),
    /// Handshake requests from many initiators.
    Flood(FloodStep),
    /// Damage stored records.
    CorruptStore(CorruptStoreStep),
    /// Use up a node's session ids.
    FillSessionIds(FillSessionIdsStep),
}

/// `fill_session_ids`: placeholder sessions until only `leave` ids are free.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillSessionIdsStep {
    /// Whose table.
    pub node: Name,
    /// Ids left free (default 0).
    #[serde(default)]
    pub leave: u32,
}
