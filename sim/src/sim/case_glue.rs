//! The seam between the simulator and CASE in paseo-core's node.
//!
//! Minting credentials from a test fabric's CA, giving them to a node and starting CASE are
//! the only places the simulator touches CASE. [`CASE_IN_NODE`] tells scenarios whether the
//! node runs CASE (`requires: [case]` is checked against it); [`CASE_MISSING`] is the failure
//! of a CASE action in a build without it.

use std::net::SocketAddr;

use paseo_core::case::OperationalCredentials;
use paseo_core::cert::{TestCa, TestCaConfig};
use paseo_core::exchange::ExchangeId;
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::node::Node;
use paseo_core::time::Instant;
use rand_chacha::ChaCha20Rng;

use crate::seed;

/// Whether the node runs CASE (see the module comment).
pub const CASE_IN_NODE: bool = true;

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
pub(crate) type Credentials = OperationalCredentials;

/// Mints `node_id`'s credentials on `fabric`: a fresh operational key from `rng` and a NOC
/// signed by the fabric's CA (its ICAC when it has one).
pub(crate) fn mint(
    fabric: &mut TestFabric,
    node_id: NodeId,
    rng: &mut ChaCha20Rng,
) -> Result<Credentials, String> {
    OperationalCredentials::from_test_ca(
        &mut fabric.ca,
        fabric.index,
        node_id,
        &[],
        fabric.ipk_epoch_key,
        rng,
    )
    .map_err(|e| e.to_string())
}

/// Gives the node its credentials (at the join, and again after each restart).
pub(crate) fn add_fabric(node: &mut Node, creds: &Credentials) -> Result<(), String> {
    node.add_fabric(creds.clone());
    Ok(())
}

/// Starts CASE (resumption when the node holds a record for the peer).
pub(crate) fn start_case(
    node: &mut Node,
    now: Instant,
    peer: SocketAddr,
    fabric: FabricIndex,
    peer_node_id: NodeId,
) -> Result<ExchangeId, String> {
    node.start_case(now, peer, fabric, peer_node_id)
        .map_err(|e| e.to_string())
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
