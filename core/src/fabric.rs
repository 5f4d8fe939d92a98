//! Fabric identity as the session layer sees it.
//!
//! A fabric is a trust domain: a root CA, a fabric id, and this node's operational identity in
//! it. The session layer needs only who the fabric is (to label sessions, index resumption
//! records and answer `get_active_session_information`); certificates, keys and the IPK join
//! this type with the CASE issue.

use core::fmt;

/// Local index of a fabric on this node (1..=254 in Matter; 0 means "no fabric").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FabricIndex(pub u8);

impl fmt::Display for FabricIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A 64-bit Matter node id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u64);

impl NodeId {
    /// The "unspecified" node id: PASE sessions use it for both ends (Matter 1.3 §4.8).
    pub const UNSPECIFIED: NodeId = NodeId(0);

    /// Whether the id lies in the operational range 0x1 ..= 0xFFFF_FFEF_FFFF_FFFF (Matter 1.3
    /// §2.5.5).
    pub const fn is_operational(self) -> bool {
        self.0 >= 1 && self.0 <= 0xFFFF_FFEF_FFFF_FFFF
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", self.0)
    }
}

/// The identity of a fabric this node belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fabric {
    /// Local index (what sessions and resumption records refer to).
    pub index: FabricIndex,
    /// The 64-bit fabric id from the certificates.
    pub fabric_id: u64,
    /// A human-readable label (may be empty).
    pub label: String,
    /// This node's operational node id in the fabric.
    pub node_id: NodeId,
    /// The node id of the administrator that commissioned us (the root node id of matter.js).
    pub root_node_id: NodeId,
    /// Vendor id of that administrator.
    pub root_vendor_id: u16,
}
