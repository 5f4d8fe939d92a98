//! The seam between the simulator and CASE in paseo-core's node.
//!
//! CASE runs in the node once `Node::add_fabric(OperationalCredentials)` and
//! `Node::start_case(now, peer, fabric, peer_node_id)` exist there. Until then this module is
//! the only place that knows: [`CASE_IN_NODE`] is `false`, minting credentials and starting
//! CASE fail with [`CASE_MISSING`], and scenarios that need CASE say so (`requires: [case]`)
//! and are skipped. When CASE lands, swap the bodies as each function's comment says and set
//! [`CASE_IN_NODE`] to `true`; nothing else in the simulator changes.

use std::net::SocketAddr;

use paseo_core::cert::{TestCa, TestCaConfig};
use paseo_core::exchange::ExchangeId;
use paseo_core::fabric::{Fabric, FabricIndex, NodeId};
use paseo_core::node::Node;
use paseo_core::time::Instant;
use rand_chacha::ChaCha20Rng;

use crate::seed;

/// Whether the node runs CASE (see the module comment).
pub const CASE_IN_NODE: bool = false;

/// Why a CASE action fails while [`CASE_IN_NODE`] is `false`.
pub const CASE_MISSING: &str = "CASE is not in paseo-core's node yet";

/// A test fabric: its CA (minted from the run's seed) and IPK epoch key.
#[derive(Clone, Debug)]
pub(crate) struct TestFabric {
    pub index: FabricIndex,
    pub ca: TestCa,
    pub ipk_epoch_key: [u8; 16],
}

impl TestFabric {
    /// Fabric `index` of the run with `seed`: fabric id `0xFAB000 + index`, an ICAC if asked,
    /// every key from the stream `fabric:{index}`.
    pub fn new(seed: u64, index: u8, icac: bool) -> Result<Self, String> {
        let config = TestCaConfig {
            fabric_id: 0xFAB000 + u64::from(index),
            rcac_id: u64::from(index),
            icac_id: icac.then_some(0x1C00 + u64::from(index)),
            ..TestCaConfig::default()
        };
        let mut rng = seed::rng(seed, &format!("fabric:{index}"));
        let ca = TestCa::new(config, &mut rng).map_err(|e| e.to_string())?;
        let ipk = seed::derive(seed, &format!("ipk:{index}"));
        let mut ipk_epoch_key = [0u8; 16];
        // A SHA-256 digest is 32 bytes: the first 16 are in range.
        ipk_epoch_key.copy_from_slice(&ipk[..16]);
        Ok(TestFabric {
            index: FabricIndex(index),
            ca,
            ipk_epoch_key,
        })
    }
}

/// A node's credentials on one fabric.
///
/// Swap: `pub(crate) type Credentials = paseo_core::case::OperationalCredentials;`.
#[derive(Clone, Debug)]
pub(crate) struct Credentials {
    fabric: Fabric,
}

impl Credentials {
    /// The fabric identity (swap: `creds.fabric().clone()`).
    pub fn fabric(&self) -> &Fabric {
        &self.fabric
    }
}

/// Mints `node_id`'s credentials on `fabric` (the stub keeps only the fabric identity).
///
/// Swap: `OperationalCredentials::from_test_ca(&mut fabric.ca, fabric.index, node_id, &[],
/// fabric.ipk_epoch_key, rng).map_err(|e| e.to_string())`.
pub(crate) fn mint(
    fabric: &mut TestFabric,
    node_id: NodeId,
    rng: &mut ChaCha20Rng,
) -> Result<Credentials, String> {
    // The stub issues no NOC: neither the RNG nor the IPK is used yet.
    let _ = (rng, fabric.ipk_epoch_key);
    Ok(Credentials {
        fabric: Fabric {
            index: fabric.index,
            fabric_id: fabric.ca.fabric_id(),
            label: String::new(),
            node_id,
            root_node_id: NodeId::UNSPECIFIED,
            root_vendor_id: 0xFFF1,
        },
    })
}

/// Gives the node its credentials (at the join, and again after each restart).
///
/// Swap: `node.add_fabric(creds.clone()).map_err(|e| e.to_string())`.
pub(crate) fn add_fabric(node: &mut Node, creds: &Credentials) -> Result<(), String> {
    let _ = (node, creds);
    Err(CASE_MISSING.to_owned())
}

/// Starts CASE (resumption when the node holds a record for the peer).
///
/// Swap: `node.start_case(now, peer, fabric, peer_node_id).map_err(|e| e.to_string())`.
pub(crate) fn start_case(
    node: &mut Node,
    now: Instant,
    peer: SocketAddr,
    fabric: FabricIndex,
    peer_node_id: NodeId,
) -> Result<ExchangeId, String> {
    let _ = (node, now, peer, fabric, peer_node_id);
    Err(CASE_MISSING.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fabrics_are_minted_from_the_seed() {
        let a = TestFabric::new(5, 1, true).expect("fabric");
        let b = TestFabric::new(5, 1, true).expect("fabric");
        let c = TestFabric::new(6, 1, true).expect("fabric");
        assert_eq!(a.ca.rcac().tlv(), b.ca.rcac().tlv());
        assert_ne!(a.ca.rcac().tlv(), c.ca.rcac().tlv());
        assert!(a.ca.icac().is_some());
        assert!(
            TestFabric::new(5, 2, false)
                .expect("fabric")
                .ca
                .icac()
                .is_none()
        );
        assert_eq!(a.ipk_epoch_key, b.ipk_epoch_key);
    }
}
