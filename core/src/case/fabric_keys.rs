//! Fabric-level values CASE derives before any message is exchanged (Matter 1.3 §4.3.2.2,
//! §4.14.2.6.1, §4.14.2): the compressed fabric id, the operational IPK and the
//! destination identifier, plus the responder's search for the fabric a received destination
//! identifier names.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::RANDOM_LEN;
use super::key_schedule::hkdf_array;
use crate::crypto::{HMAC_SHA256_LEN, P256_PUBLIC_KEY_LEN, P256PublicKey};
use crate::crypto::{hmac_sha256, hmac_sha256_verify};
use crate::fabric::NodeId;

/// Length of a compressed fabric id.
pub const COMPRESSED_FABRIC_ID_LEN: usize = 8;
/// Length of an IPK (epoch key and operational key alike).
pub const IPK_LEN: usize = 16;
/// Length of a destination identifier (an HMAC-SHA256 tag).
pub const DESTINATION_ID_LEN: usize = HMAC_SHA256_LEN;

/// HKDF info of the compressed fabric id (Matter 1.3 §4.3.2.2).
const COMPRESSED_FABRIC_INFO: &[u8] = b"CompressedFabric";
/// HKDF info of the operational group key, here the operational IPK (Matter 1.3 §4.3.2.2,
/// §4.14.2.6.1).
const GROUP_KEY_INFO: &[u8] = b"GroupKey v1.0";

/// Length of the destination message: initiatorRandom ‖ root key ‖ fabric id ‖ node id.
const DESTINATION_MESSAGE_LEN: usize = RANDOM_LEN + P256_PUBLIC_KEY_LEN + 8 + 8;

/// The 8-byte compressed fabric id; also the left half of the operational DNS-SD instance
/// name, which [`fmt::Display`] renders (16 uppercase hex digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompressedFabricId(pub [u8; COMPRESSED_FABRIC_ID_LEN]);

impl CompressedFabricId {
    /// Derives it from the fabric's root public key and fabric id (Matter 1.3 §4.3.2.2):
    /// HKDF(ikm = root key without its 0x04 prefix, salt = fabric id as 8 BIG-endian
    /// bytes, info "CompressedFabric", 8 bytes).
    pub fn derive(root_public_key: &P256PublicKey, fabric_id: u64) -> Self {
        let [_prefix, xy @ ..] = root_public_key.to_uncompressed();
        Self(hkdf_array(
            &xy,
            &fabric_id.to_be_bytes(),
            COMPRESSED_FABRIC_INFO,
        ))
    }

    /// The 8 bytes.
    pub fn as_bytes(&self) -> &[u8; COMPRESSED_FABRIC_ID_LEN] {
        &self.0
    }

    /// The id as a big-endian number (how DNS-SD names print it).
    pub fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }
}

impl fmt::Display for CompressedFabricId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", self.to_u64())
    }
}

/// The operational Identity Protection Key CASE uses: derived from an IPK epoch key (group
/// key set 0 of the fabric) and the compressed fabric id. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct OperationalIpk([u8; IPK_LEN]);

impl OperationalIpk {
    /// Derives it (Matter 1.3 §4.3.2.2, §4.14.2.6.1): HKDF(ikm = epoch key, salt = compressed
    /// fabric id, info "GroupKey v1.0", 16 bytes).
    pub fn from_epoch_key(
        epoch_key: &[u8; IPK_LEN],
        compressed_fabric_id: &CompressedFabricId,
    ) -> Self {
        Self(hkdf_array(
            epoch_key,
            compressed_fabric_id.as_bytes(),
            GROUP_KEY_INFO,
        ))
    }

    /// An already derived operational IPK (e.g. restored from storage).
    pub fn from_bytes(bytes: [u8; IPK_LEN]) -> Self {
        Self(bytes)
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; IPK_LEN] {
        &self.0
    }
}

impl fmt::Debug for OperationalIpk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OperationalIpk(..)")
    }
}

/// initiatorRandom ‖ root public key (65) ‖ fabric id (8, LITTLE-endian) ‖ node id (8,
/// LITTLE-endian) (Matter 1.3 §4.14.2; the byte order differs from the compressed fabric id's
/// salt).
fn destination_message(
    initiator_random: &[u8; RANDOM_LEN],
    root_public_key: &P256PublicKey,
    fabric_id: u64,
    node_id: NodeId,
) -> Vec<u8> {
    let mut message = Vec::with_capacity(DESTINATION_MESSAGE_LEN);
    message.extend_from_slice(initiator_random);
    message.extend_from_slice(&root_public_key.to_uncompressed());
    message.extend_from_slice(&fabric_id.to_le_bytes());
    message.extend_from_slice(&node_id.0.to_le_bytes());
    message
}

/// The destination identifier an initiator puts in Sigma1 to name (fabric, node) without
/// revealing either (Matter 1.3 §4.14.2): HMAC-SHA256(IPK, destination message).
pub fn destination_id(
    ipk: &OperationalIpk,
    initiator_random: &[u8; RANDOM_LEN],
    root_public_key: &P256PublicKey,
    fabric_id: u64,
    node_id: NodeId,
) -> [u8; DESTINATION_ID_LEN] {
    hmac_sha256(
        ipk.as_bytes(),
        &destination_message(initiator_random, root_public_key, fabric_id, node_id),
    )
}

/// One (fabric, own node id, IPK) a responder could be addressed as, with whatever the caller
/// needs to find the fabric again in `context` (a fabric index, say).
#[derive(Clone, Debug)]
pub struct DestinationCandidate<T> {
    /// The fabric's root public key (from its RCAC).
    pub root_public_key: P256PublicKey,
    /// The fabric id.
    pub fabric_id: u64,
    /// This node's operational node id in that fabric.
    pub node_id: NodeId,
    /// One operational IPK of the fabric (responders try every epoch key, Matter 1.3 §4.3.2.2,
    /// §4.14.2.6.1).
    pub ipk: OperationalIpk,
    /// The caller's handle for the fabric.
    pub context: T,
}

impl<T> DestinationCandidate<T> {
    /// Whether `destination_id` names this candidate (compared in constant time).
    pub fn matches(
        &self,
        destination_id: &[u8; DESTINATION_ID_LEN],
        initiator_random: &[u8; RANDOM_LEN],
    ) -> bool {
        let message = destination_message(
            initiator_random,
            &self.root_public_key,
            self.fabric_id,
            self.node_id,
        );
        hmac_sha256_verify(self.ipk.as_bytes(), &message, destination_id).is_ok()
    }
}

/// The first candidate, in the order given, that a received Sigma1 destination identifier
/// names; `None` means StatusReport NO_SHARED_TRUST_ROOTS (Matter 1.3 §4.14.2).
pub fn find_destination<'c, T: 'c>(
    destination_id: &[u8; DESTINATION_ID_LEN],
    initiator_random: &[u8; RANDOM_LEN],
    candidates: impl IntoIterator<Item = &'c DestinationCandidate<T>>,
) -> Option<&'c DestinationCandidate<T>> {
    candidates
        .into_iter()
        .find(|candidate| candidate.matches(destination_id, initiator_random))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SigningKeyPair;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    fn root_key(seed: u64) -> P256PublicKey {
        *SigningKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(seed)).public_key()
    }

    fn candidate(
        seed: u64,
        fabric_id: u64,
        node: u64,
        ipk: u8,
        context: u8,
    ) -> DestinationCandidate<u8> {
        DestinationCandidate {
            root_public_key: root_key(seed),
            fabric_id,
            node_id: NodeId(node),
            ipk: OperationalIpk::from_bytes([ipk; IPK_LEN]),
            context,
        }
    }

    #[test]
    fn compressed_fabric_id_display_is_uppercase_big_endian() {
        let id = CompressedFabricId([0x87, 0xe1, 0xb0, 0x04, 0xe2, 0x35, 0xa1, 0x30]);
        assert_eq!(id.to_string(), "87E1B004E235A130");
        assert_eq!(id.to_u64(), 0x87e1_b004_e235_a130);
    }

    #[test]
    fn fabric_id_byte_order_matters() {
        // Big-endian salt: a fabric id and its byte-swapped twin give different ids.
        let root = root_key(1);
        let a = CompressedFabricId::derive(&root, 0x0102_0304_0506_0708);
        let b = CompressedFabricId::derive(&root, 0x0807_0605_0403_0201);
        assert_ne!(a, b);
    }

    #[test]
    fn finds_the_candidate_the_initiator_meant() {
        let random = [7u8; RANDOM_LEN];
        let candidates = [
            candidate(1, 1, 0x55, 1, 10),
            candidate(2, 1, 0x55, 2, 20),
            candidate(2, 2, 0x55, 2, 30),
            candidate(2, 1, 0x56, 2, 40),
        ];
        for wanted in &candidates {
            let id = destination_id(
                &wanted.ipk,
                &random,
                &wanted.root_public_key,
                wanted.fabric_id,
                wanted.node_id,
            );
            let found = find_destination(&id, &random, &candidates).map(|c| c.context);
            assert_eq!(found, Some(wanted.context));
            // Another initiator random names nothing.
            assert!(find_destination(&id, &[8u8; RANDOM_LEN], &candidates).is_none());
        }
        assert!(find_destination(&[0u8; 32], &random, &candidates).is_none());
        assert!(
            find_destination(&[0u8; 32], &random, &[] as &[DestinationCandidate<u8>]).is_none()
        );
    }

    #[test]
    fn ipk_debug_hides_the_key() {
        let ipk = OperationalIpk::from_bytes([0xab; IPK_LEN]);
        assert_eq!(format!("{ipk:?}"), "OperationalIpk(..)");
    }
}
