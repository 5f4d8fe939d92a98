//! What a node holds per fabric to take part in CASE (Matter 1.3 §4.3.2.2, §4.14.2.6.1, §6.5): its
//! fabric identity, the fabric's root certificate as a trust anchor, its own NOC (and ICAC) with
//! the operational key the NOC certifies, and the IPK with the values derived from it.
//!
//! [`OperationalCredentials`] is checked once when built (the NOC chains to the root, names the
//! fabric and node it claims, and certifies the key we sign with), so the state machines never
//! meet an inconsistent set.

use std::sync::Arc;

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use super::fabric_keys::{CompressedFabricId, DestinationCandidate, IPK_LEN, OperationalIpk};
use crate::cert::{CertError, ChainError, ChainPolicy, TestCa, TrustedRoot};
use crate::crypto::SigningKeyPair;
use crate::fabric::{Fabric, FabricIndex, NodeId};

/// Vendor id [`OperationalCredentials::from_test_ca`] records as the fabric's root vendor
/// (0xFFF1, the first test vendor id of the Matter specification).
pub const TEST_VENDOR_ID: u16 = 0xFFF1;

/// Why a set of credentials was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// The RCAC is not a valid root, or the NOC (and ICAC) do not chain to it (connectedhomeip
    /// `src/credentials/CHIPCert.cpp`).
    #[error("operational certificates: {0}")]
    Chain(#[from] ChainError),
    /// The NOC names another node id than the fabric identity says.
    #[error("NOC node id {noc} differs from the fabric's node id {fabric}")]
    NodeIdMismatch {
        /// The node id in the fabric identity.
        fabric: NodeId,
        /// The node id in the NOC.
        noc: NodeId,
    },
    /// The NOC names another fabric id than the fabric identity says.
    #[error("NOC fabric id {noc:#x} differs from the fabric's id {fabric:#x}")]
    FabricIdMismatch {
        /// The fabric id in the fabric identity.
        fabric: u64,
        /// The fabric id in the NOC.
        noc: u64,
    },
    /// The NOC certifies another public key than the operational key we would sign with.
    #[error("NOC public key is not the operational signing key's")]
    KeyMismatch,
    /// The test CA could not issue the NOC (node id or CATs outside Matter 1.3 §6.5.6.1).
    #[error("test CA: {0}")]
    Issue(#[from] CertError),
}

/// The raw parts of a node's credentials on one fabric, as AddNOC / AddTrustedRootCertificate
/// deliver them.
#[derive(Clone)]
pub struct CredentialParts {
    /// Who the fabric is to us; its `fabric_id` and `node_id` must be the NOC's.
    pub fabric: Fabric,
    /// The RCAC, Matter TLV.
    pub rcac: Vec<u8>,
    /// The ICAC, Matter TLV, when the fabric uses one.
    pub icac: Option<Vec<u8>>,
    /// Our NOC, Matter TLV.
    pub noc: Vec<u8>,
    /// The operational key pair the NOC certifies.
    pub signing_key: SigningKeyPair,
    /// The IPK epoch key (group key set 0, Matter 1.3 §4.14.2.6.1).
    pub ipk_epoch_key: [u8; IPK_LEN],
}

impl core::fmt::Debug for CredentialParts {
    // By hand: the IPK epoch key stays out of logs.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CredentialParts")
            .field("fabric", &self.fabric)
            .field("has_icac", &self.icac.is_some())
            .finish_non_exhaustive()
    }
}

/// A node's validated CASE credentials on one fabric. Cheap to clone (shared, immutable):
/// every handshake state keeps a handle to the credentials it runs under.
#[derive(Clone)]
pub struct OperationalCredentials {
    inner: Arc<Inner>,
}

struct Inner {
    fabric: Fabric,
    root: TrustedRoot,
    icac: Option<Vec<u8>>,
    noc: Vec<u8>,
    cats: Vec<u32>,
    signing_key: SigningKeyPair,
    ipk_epoch_key: Zeroizing<[u8; IPK_LEN]>,
    ipk: OperationalIpk,
    compressed_fabric_id: CompressedFabricId,
}

impl core::fmt::Debug for OperationalCredentials {
    // By hand: the IPK epoch key stays out of logs.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let inner = &self.inner;
        f.debug_struct("OperationalCredentials")
            .field("fabric", &inner.fabric)
            .field("cats", &inner.cats)
            .field("compressed_fabric_id", &inner.compressed_fabric_id)
            .field("has_icac", &inner.icac.is_some())
            .finish_non_exhaustive()
    }
}

impl OperationalCredentials {
    /// Checks and assembles `parts`: the RCAC is a valid root, the NOC (through the ICAC, if
    /// any) validates against it under `policy` and belongs to `parts.fabric` (same fabric id
    /// and node id), and the NOC's public key is `parts.signing_key`'s. Derives the compressed
    /// fabric id and the operational IPK (Matter 1.3 §4.3.2.2, §4.14.2.6.1).
    pub fn from_parts(
        parts: CredentialParts,
        policy: &ChainPolicy,
    ) -> Result<Self, CredentialsError> {
        let CredentialParts {
            fabric,
            rcac,
            icac,
            noc,
            signing_key,
            ipk_epoch_key,
        } = parts;
        let root = TrustedRoot::from_tlv(&rcac)?;
        let own = root.validate(&noc, icac.as_deref(), policy)?;
        if own.fabric_id != fabric.fabric_id {
            return Err(CredentialsError::FabricIdMismatch {
                fabric: fabric.fabric_id,
                noc: own.fabric_id,
            });
        }
        if own.node_id != fabric.node_id {
            return Err(CredentialsError::NodeIdMismatch {
                fabric: fabric.node_id,
                noc: own.node_id,
            });
        }
        if own.public_key != *signing_key.public_key() {
            return Err(CredentialsError::KeyMismatch);
        }
        let compressed_fabric_id = CompressedFabricId::derive(root.public_key(), fabric.fabric_id);
        let ipk = OperationalIpk::from_epoch_key(&ipk_epoch_key, &compressed_fabric_id);
        let inner = Inner {
            fabric,
            root,
            icac,
            noc,
            cats: own.cats,
            signing_key,
            ipk_epoch_key: Zeroizing::new(ipk_epoch_key),
            ipk,
            compressed_fabric_id,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Credentials for node `node_id` (with `cats`) on `ca`'s fabric: a fresh operational key
    /// from `rng`, a NOC for it, the CA's RCAC and ICAC. The fabric identity gets an empty
    /// label, root node id 0 and [`TEST_VENDOR_ID`]. Validity periods are not checked here
    /// (the test CA's certificates start at [`crate::cert::DEFAULT_NOT_BEFORE`]).
    pub fn from_test_ca(
        ca: &mut TestCa,
        fabric_index: FabricIndex,
        node_id: NodeId,
        cats: &[u32],
        ipk_epoch_key: [u8; IPK_LEN],
        rng: &mut impl CryptoRngCore,
    ) -> Result<Self, CredentialsError> {
        let issued = ca.issue_noc(node_id, cats, rng)?;
        let parts = CredentialParts {
            fabric: Fabric {
                index: fabric_index,
                fabric_id: ca.fabric_id(),
                label: String::new(),
                node_id,
                root_node_id: NodeId::UNSPECIFIED,
                root_vendor_id: TEST_VENDOR_ID,
            },
            rcac: ca.rcac().tlv().to_vec(),
            icac: ca.icac().map(|icac| icac.tlv().to_vec()),
            noc: issued.noc.tlv().to_vec(),
            signing_key: issued.key_pair,
            ipk_epoch_key,
        };
        Self::from_parts(
            parts,
            &ChainPolicy::skip_validity().with_fabric_id(ca.fabric_id()),
        )
    }

    /// The fabric identity.
    pub fn fabric(&self) -> &Fabric {
        &self.inner.fabric
    }

    /// The local fabric index.
    pub fn fabric_index(&self) -> FabricIndex {
        self.inner.fabric.index
    }

    /// The fabric id.
    pub fn fabric_id(&self) -> u64 {
        self.inner.fabric.fabric_id
    }

    /// Our node id on the fabric.
    pub fn node_id(&self) -> NodeId {
        self.inner.fabric.node_id
    }

    /// Our own CASE Authenticated Tags (from our NOC).
    pub fn cats(&self) -> &[u32] {
        &self.inner.cats
    }

    /// The fabric's root, against which peers' chains are validated.
    pub fn root(&self) -> &TrustedRoot {
        &self.inner.root
    }

    /// The RCAC, Matter TLV.
    pub fn rcac(&self) -> &[u8] {
        self.inner.root.certificate().tlv()
    }

    /// Our ICAC, Matter TLV, if the fabric uses one.
    pub fn icac(&self) -> Option<&[u8]> {
        self.inner.icac.as_deref()
    }

    /// Our NOC, Matter TLV.
    pub fn noc(&self) -> &[u8] {
        &self.inner.noc
    }

    /// The operational key pair our NOC certifies (signs TBSData2/TBSData3).
    pub fn signing_key(&self) -> &SigningKeyPair {
        &self.inner.signing_key
    }

    /// The IPK epoch key.
    pub fn ipk_epoch_key(&self) -> &[u8; IPK_LEN] {
        &self.inner.ipk_epoch_key
    }

    /// The operational IPK CASE uses (Matter 1.3 §4.14.2.6.1).
    pub fn ipk(&self) -> &OperationalIpk {
        &self.inner.ipk
    }

    /// The compressed fabric id (Matter 1.3 §4.3.2.2).
    pub fn compressed_fabric_id(&self) -> CompressedFabricId {
        self.inner.compressed_fabric_id
    }

    /// What a responder matches a Sigma1 destination id against for this fabric: root key,
    /// fabric id, our node id and the operational IPK, with the fabric index as the handle.
    pub fn destination_candidate(&self) -> DestinationCandidate<FabricIndex> {
        DestinationCandidate {
            root_public_key: *self.inner.root.public_key(),
            fabric_id: self.inner.fabric.fabric_id,
            node_id: self.inner.fabric.node_id,
            ipk: self.inner.ipk.clone(),
            context: self.inner.fabric.index,
        }
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    use super::*;
    use crate::case::fabric_keys::destination_id;
    use crate::cert::TestCaConfig;

    fn ca(seed: u64, fabric_id: u64, icac: bool) -> TestCa {
        let config = TestCaConfig {
            fabric_id,
            icac_id: icac.then_some(7),
            ..TestCaConfig::default()
        };
        TestCa::from_seed(seed, config).unwrap()
    }

    fn parts(ca: &mut TestCa, node: u64, rng: &mut ChaCha20Rng) -> CredentialParts {
        let issued = ca.issue_noc(NodeId(node), &[0x0001_0001], rng).unwrap();
        CredentialParts {
            fabric: Fabric {
                index: FabricIndex(3),
                fabric_id: ca.fabric_id(),
                label: "home".into(),
                node_id: NodeId(node),
                root_node_id: NodeId(1),
                root_vendor_id: 0xFFF2,
            },
            rcac: ca.rcac().tlv().to_vec(),
            icac: ca.icac().map(|c| c.tlv().to_vec()),
            noc: issued.noc.tlv().to_vec(),
            signing_key: issued.key_pair,
            ipk_epoch_key: [0x11; IPK_LEN],
        }
    }

    #[test]
    fn valid_parts_derive_the_fabric_values() {
        for icac in [false, true] {
            let mut rng = ChaCha20Rng::seed_from_u64(1);
            let mut ca = ca(2, 0xABCD, icac);
            let creds = OperationalCredentials::from_parts(
                parts(&mut ca, 42, &mut rng),
                &ChainPolicy::at(crate::cert::DEFAULT_NOT_BEFORE),
            )
            .unwrap();
            assert_eq!(creds.node_id(), NodeId(42));
            assert_eq!(creds.fabric_id(), 0xABCD);
            assert_eq!(creds.fabric_index(), FabricIndex(3));
            assert_eq!(creds.cats(), [0x0001_0001]);
            assert_eq!(creds.icac().is_some(), icac);
            assert_eq!(creds.rcac(), ca.rcac().tlv());
            let cfid = CompressedFabricId::derive(ca.root_public_key(), 0xABCD);
            assert_eq!(creds.compressed_fabric_id(), cfid);
            assert_eq!(
                creds.ipk().as_bytes(),
                OperationalIpk::from_epoch_key(&[0x11; IPK_LEN], &cfid).as_bytes()
            );
            // The candidate matches exactly the destination id an initiator computes for us.
            let candidate = creds.destination_candidate();
            let random = [5u8; 32];
            let id = destination_id(
                creds.ipk(),
                &random,
                ca.root_public_key(),
                0xABCD,
                NodeId(42),
            );
            assert!(candidate.matches(&id, &random));
            assert_eq!(candidate.context, FabricIndex(3));
            let other = destination_id(
                creds.ipk(),
                &random,
                ca.root_public_key(),
                0xABCD,
                NodeId(43),
            );
            assert!(!candidate.matches(&other, &random));
        }
    }

    #[test]
    fn inconsistent_parts_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut ca_a = ca(4, 0x10, false);
        let mut ca_b = ca(5, 0x10, false);
        let policy = ChainPolicy::skip_validity();

        let mut wrong_node = parts(&mut ca_a, 42, &mut rng);
        wrong_node.fabric.node_id = NodeId(43);
        assert_eq!(
            OperationalCredentials::from_parts(wrong_node, &policy).unwrap_err(),
            CredentialsError::NodeIdMismatch {
                fabric: NodeId(43),
                noc: NodeId(42)
            }
        );

        let mut wrong_fabric = parts(&mut ca_a, 42, &mut rng);
        wrong_fabric.fabric.fabric_id = 0x11;
        assert_eq!(
            OperationalCredentials::from_parts(wrong_fabric, &policy).unwrap_err(),
            CredentialsError::FabricIdMismatch {
                fabric: 0x11,
                noc: 0x10
            }
        );

        let mut wrong_key = parts(&mut ca_a, 42, &mut rng);
        wrong_key.signing_key = SigningKeyPair::generate(&mut rng);
        assert_eq!(
            OperationalCredentials::from_parts(wrong_key, &policy).unwrap_err(),
            CredentialsError::KeyMismatch
        );

        // A NOC of another CA with the same fabric id does not chain to this root.
        let mut foreign = parts(&mut ca_b, 42, &mut rng);
        foreign.rcac = ca_a.rcac().tlv().to_vec();
        assert!(matches!(
            OperationalCredentials::from_parts(foreign, &policy),
            Err(CredentialsError::Chain(_))
        ));

        let mut not_a_root = parts(&mut ca_a, 42, &mut rng);
        not_a_root.rcac = not_a_root.noc.clone();
        assert!(matches!(
            OperationalCredentials::from_parts(not_a_root, &policy),
            Err(CredentialsError::Chain(_))
        ));
    }

    #[test]
    fn test_ca_credentials_refuse_invalid_node_ids() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let mut ca = ca(7, 1, true);
        let creds = OperationalCredentials::from_test_ca(
            &mut ca,
            FabricIndex(1),
            NodeId(9),
            &[],
            [0; IPK_LEN],
            &mut rng,
        )
        .unwrap();
        assert_eq!(creds.fabric().root_vendor_id, TEST_VENDOR_ID);
        assert!(creds.icac().is_some());
        assert!(matches!(
            OperationalCredentials::from_test_ca(
                &mut ca,
                FabricIndex(1),
                NodeId(0),
                &[],
                [0; IPK_LEN],
                &mut rng,
            ),
            Err(CredentialsError::Issue(_))
        ));
    }
}
