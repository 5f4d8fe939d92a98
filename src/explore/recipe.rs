//! What `paseo explore` generates: a [`Recipe`] (topology, handshake mix, fault schedule) and
//! the proptest [`Strategy`] that draws one. Shrinking is proptest's: vectors lose elements,
//! numbers move toward their lower bound, booleans toward `false`, and `prop_oneof!` toward its
//! earlier (simpler) arms, so a shrunk recipe has fewer steps, fewer faults, fewer nodes and
//! smaller percentages and durations. Device indexes are taken modulo the device count, so
//! shrinking the count keeps every step valid.

use proptest::prelude::*;

/// Devices at most (plus one commissioner).
pub const MAX_DEVICES: u8 = 4;
/// Steps at most.
pub const MAX_OPS: usize = 14;

/// A node of the generated topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// The commissioner, `ctrl`.
    Ctrl,
    /// Device `n` (taken modulo the device count).
    Dev(u8),
}

/// A handshake step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handshake {
    /// `pair` (PASE).
    Pair,
    /// `commission` (PASE, NOC, CASE, close PASE); `pair` without CASE.
    Commission,
    /// `case`; `pair` without CASE.
    Case,
    /// `resume`; `pair` without CASE.
    Resume,
}

/// What a fault interrupts in a `parallel` step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Main {
    /// A handshake between `ctrl` and the device.
    Handshake(Handshake),
    /// Reliable messages from `ctrl` (or from the device) to the other.
    Exchange {
        /// The device sends.
        from_device: bool,
        /// How many.
        messages: u8,
    },
}

/// The fault that lands `after_ms` into a [`Main`] step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// Power cut.
    Crash(Who),
    /// Crash and start again.
    Restart(Who),
    /// Cut the link between `ctrl` and the device.
    Partition {
        /// Only `ctrl → device`.
        one_way: bool,
    },
    /// Close the session (`after_exchange` lets running exchanges end first).
    Close {
        /// The device closes (else `ctrl`).
        by_device: bool,
        /// Send CloseSession.
        send_close: bool,
        /// Wait for running exchanges.
        after_exchange: bool,
    },
}

/// One generated step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Let time pass (ms).
    Wait(u16),
    /// Make a device's disk writes durable.
    Sync(u8),
    /// Repair every partition.
    Heal,
    /// Loss of every link (percent; 0 ends a burst).
    Loss(u8),
    /// Duplication of every link (percent).
    Duplicate(u8),
    /// Reordering window of every link (ms).
    Reorder(u16),
    /// Cut the link between `ctrl` and a device.
    Partition {
        /// The device.
        dev: u8,
        /// Only `ctrl → device`.
        one_way: bool,
    },
    /// Power cut.
    Crash(Who),
    /// Start again.
    Restart(Who),
    /// A handshake from `ctrl` with a device.
    Handshake {
        /// Which.
        kind: Handshake,
        /// The device.
        dev: u8,
    },
    /// Reliable messages.
    Exchange {
        /// The device.
        dev: u8,
        /// The device sends.
        from_device: bool,
        /// How many.
        messages: u8,
        /// With MRP.
        reliable: bool,
    },
    /// Close the latest session between `ctrl` and a device.
    Close {
        /// The device.
        dev: u8,
        /// The device closes (else `ctrl`).
        by_device: bool,
        /// Send CloseSession.
        send_close: bool,
        /// Wait for running exchanges.
        after_exchange: bool,
    },
    /// A step with a fault landing during it.
    During {
        /// The device.
        dev: u8,
        /// The step.
        main: Main,
        /// When the fault lands (ms after the step starts).
        after_ms: u16,
        /// The fault.
        fault: Interrupt,
    },
}

/// The kinds of step the generator draws, in the order `paseo explore` reports them.
pub const OP_KINDS: [&str; 16] = [
    "pair",
    "commission",
    "case",
    "resume",
    "exchange",
    "close",
    "parallel",
    "crash",
    "restart",
    "partition",
    "heal",
    "loss",
    "duplicate",
    "reorder",
    "sync",
    "wait",
];

impl Op {
    /// Its kind, one of [`OP_KINDS`]: the handshake's name for a handshake, `parallel` for a
    /// step with a fault landing during it, the network knob for a network change.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Wait(_) => "wait",
            Op::Sync(_) => "sync",
            Op::Heal => "heal",
            Op::Loss(_) => "loss",
            Op::Duplicate(_) => "duplicate",
            Op::Reorder(_) => "reorder",
            Op::Partition { .. } => "partition",
            Op::Crash(_) => "crash",
            Op::Restart(_) => "restart",
            Op::Handshake { kind, .. } => match kind {
                Handshake::Pair => "pair",
                Handshake::Commission => "commission",
                Handshake::Case => "case",
                Handshake::Resume => "resume",
            },
            Op::Exchange { .. } => "exchange",
            Op::Close { .. } => "close",
            Op::During { .. } => "parallel",
        }
    }
}

/// A generated scenario before it is written as YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipe {
    /// Devices (1..=4).
    pub devices: u8,
    /// With a fabric and CASE (`requires: [case]`).
    pub case: bool,
    /// Devices start on the fabric (else only `commission` puts them there).
    pub devices_on_fabric: bool,
    /// Devices keep their store in memory (else on disk).
    pub memory_store: bool,
    /// Disk writes become durable this long after (ms).
    pub sync_delay_ms: u16,
    /// Lower bound of the one-way latency (ms); the upper is 10 ms more.
    pub latency_ms: u8,
    /// The steps.
    pub ops: Vec<Op>,
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![3 => (0..MAX_DEVICES).prop_map(Who::Dev), 1 => Just(Who::Ctrl)]
}

fn handshake() -> impl Strategy<Value = Handshake> {
    prop_oneof![
        Just(Handshake::Pair),
        Just(Handshake::Commission),
        Just(Handshake::Case),
        Just(Handshake::Resume),
    ]
}

fn main_step() -> impl Strategy<Value = Main> {
    prop_oneof![
        handshake().prop_map(Main::Handshake),
        (any::<bool>(), 1..6u8).prop_map(|(from_device, messages)| Main::Exchange {
            from_device,
            messages
        }),
    ]
}

fn interrupt() -> impl Strategy<Value = Interrupt> {
    prop_oneof![
        who().prop_map(Interrupt::Crash),
        who().prop_map(Interrupt::Restart),
        any::<bool>().prop_map(|one_way| Interrupt::Partition { one_way }),
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(by_device, send_close, after_exchange)| Interrupt::Close {
                by_device,
                send_close,
                after_exchange
            }
        ),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let dev = || 0..MAX_DEVICES;
    prop_oneof![
        1 => (0..2000u16).prop_map(Op::Wait),
        1 => dev().prop_map(Op::Sync),
        1 => Just(Op::Heal),
        3 => prop_oneof![Just(0u8), 1..=60u8].prop_map(Op::Loss),
        1 => (0..=50u8).prop_map(Op::Duplicate),
        1 => (0..=200u16).prop_map(Op::Reorder),
        1 => (dev(), any::<bool>()).prop_map(|(dev, one_way)| Op::Partition { dev, one_way }),
        1 => who().prop_map(Op::Crash),
        2 => who().prop_map(Op::Restart),
        6 => (handshake(), dev()).prop_map(|(kind, dev)| Op::Handshake { kind, dev }),
        4 => (dev(), any::<bool>(), 1..6u8, prop_oneof![3 => Just(true), 1 => Just(false)])
            .prop_map(|(dev, from_device, messages, reliable)| Op::Exchange {
                dev,
                from_device,
                messages,
                reliable
            }),
        2 => (dev(), any::<bool>(), prop_oneof![Just(true), Just(false)], any::<bool>())
            .prop_map(|(dev, by_device, send_close, after_exchange)| Op::Close {
                dev,
                by_device,
                send_close,
                after_exchange
            }),
        3 => (dev(), main_step(), 0..400u16, interrupt()).prop_map(
            |(dev, main, after_ms, fault)| Op::During {
                dev,
                main,
                after_ms,
                fault
            }
        ),
    ]
}

/// The strategy `paseo explore` draws recipes from.
pub fn recipe() -> impl Strategy<Value = Recipe> {
    (
        1..=MAX_DEVICES,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0..200u16,
        1..20u8,
        proptest::collection::vec(op(), 1..=MAX_OPS),
    )
        .prop_map(
            |(devices, case, devices_on_fabric, memory_store, sync_delay_ms, latency_ms, ops)| {
                Recipe {
                    devices,
                    case,
                    devices_on_fabric,
                    memory_store,
                    sync_delay_ms,
                    latency_ms,
                    ops,
                }
            },
        )
}
