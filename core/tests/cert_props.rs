//! Property tests for operational certificates (Matter 1.3 §6.5): chains the test CA
//! issues always validate and report the identity they were issued for; any byte flip in any
//! certificate of such a chain is caught (by the decoder or by validation) without a panic;
//! issued certificates re-encode to their exact bytes; arbitrary bytes never panic.

use std::collections::BTreeSet;

use paseo_core::cert::{
    ChainPolicy, DEFAULT_NOT_BEFORE, MatterCertificate, TestCa, TestCaConfig, Validity,
    validate_chain,
};
use paseo_core::fabric::NodeId;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;

/// One issued chain and what it was issued for.
#[derive(Debug)]
struct Issued {
    rcac: Vec<u8>,
    icac: Option<Vec<u8>>,
    noc: Vec<u8>,
    node_id: u64,
    fabric_id: u64,
    cats: Vec<u32>,
}

/// Up to three CATs with distinct identifiers and non-zero versions (Matter 1.3 §6.5.6.1).
fn arb_cats() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::btree_set(any::<u16>(), 0..=3).prop_flat_map(|ids: BTreeSet<u16>| {
        let n = ids.len();
        prop::collection::vec(1u16..=u16::MAX, n).prop_map(move |versions| {
            ids.iter()
                .zip(versions)
                .map(|(&id, version)| (u32::from(id) << 16) | u32::from(version))
                .collect()
        })
    })
}

prop_compose! {
    fn arb_chain()(
        seed in any::<u64>(),
        with_icac in any::<bool>(),
        fabric_id in 1u64..,
        rcac_id in any::<u64>(),
        icac_id in any::<u64>(),
        node_id in 1u64..=0xFFFF_FFEF_FFFF_FFFF,
        cats in arb_cats(),
        fabric_id_in_ca_subjects in any::<bool>(),
        not_after in prop_oneof![Just(0u32), (DEFAULT_NOT_BEFORE + 1)..],
    ) -> Issued {
        let config = TestCaConfig {
            fabric_id,
            rcac_id,
            icac_id: with_icac.then_some(icac_id),
            validity: Validity { not_before: DEFAULT_NOT_BEFORE, not_after },
            fabric_id_in_ca_subjects,
        };
        let mut ca = TestCa::from_seed(seed, config).expect("CA builds");
        let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5eed);
        let issued = ca.issue_noc(NodeId(node_id), &cats, &mut rng).expect("NOC issues");
        Issued {
            rcac: ca.rcac().tlv().to_vec(),
            icac: ca.icac().map(|c| c.tlv().to_vec()),
            noc: issued.noc.tlv().to_vec(),
            node_id,
            fabric_id,
            cats,
        }
    }
}

fn strict_policy(chain: &Issued) -> ChainPolicy {
    ChainPolicy::at(DEFAULT_NOT_BEFORE).with_fabric_id(chain.fabric_id)
}

proptest! {
    // Each case signs and verifies several ECDSA signatures; 64 keeps the debug build quick.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn issued_chains_validate(chain in arb_chain()) {
        for tlv in [Some(&chain.rcac), chain.icac.as_ref(), Some(&chain.noc)].into_iter().flatten() {
            prop_assert!(tlv.len() <= paseo_core::cert::MAX_TLV_CERT_LEN);
        }
        let peer = validate_chain(&chain.noc, chain.icac.as_deref(), &chain.rcac, &strict_policy(&chain))
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(peer.node_id, NodeId(chain.node_id));
        prop_assert_eq!(peer.fabric_id, chain.fabric_id);
        prop_assert_eq!(&peer.cats, &chain.cats);
        let noc = MatterCertificate::decode(&chain.noc).unwrap();
        prop_assert_eq!(&peer.public_key, noc.public_key());
        // One second before not-before nothing validates.
        let early = ChainPolicy::at(DEFAULT_NOT_BEFORE - 1);
        prop_assert!(validate_chain(&chain.noc, chain.icac.as_deref(), &chain.rcac, &early).is_err());
    }

    #[test]
    fn any_byte_flip_is_caught(
        chain in arb_chain(),
        which in 0usize..3,
        position in any::<prop::sample::Index>(),
        mask in 1u8..,
    ) {
        let mut noc = chain.noc.clone();
        let mut icac = chain.icac.clone();
        let mut rcac = chain.rcac.clone();
        let target = match (which, icac.as_mut()) {
            (0, _) | (1, None) => &mut noc,
            (1, Some(icac)) => icac,
            _ => &mut rcac,
        };
        let i = position.index(target.len());
        target[i] ^= mask;
        let flipped = target.clone();
        let decoded = MatterCertificate::decode(&flipped);
        let verdict = validate_chain(&noc, icac.as_deref(), &rcac, &ChainPolicy::skip_validity());
        prop_assert!(
            decoded.is_err() || verdict.is_err(),
            "flip at {} with {:#04x} went unnoticed", i, mask
        );
    }

    #[test]
    fn issued_certificates_re_encode_exactly(chain in arb_chain()) {
        for tlv in [Some(&chain.rcac), chain.icac.as_ref(), Some(&chain.noc)].into_iter().flatten() {
            let cert = MatterCertificate::decode(tlv).unwrap();
            prop_assert_eq!(&cert.encode().unwrap(), tlv);
            let rebuilt = MatterCertificate::from_parts(cert.fields().clone(), *cert.signature()).unwrap();
            prop_assert_eq!(rebuilt.tlv(), tlv.as_slice());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..450)) {
        if let Ok(cert) = MatterCertificate::decode(&bytes) {
            // Whatever decodes can be rebuilt and re-encoded.
            let _ = cert.to_x509_der();
            let again = MatterCertificate::decode(&cert.encode().unwrap()).unwrap();
            prop_assert_eq!(again.fields(), cert.fields());
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let mut ca = TestCa::from_seed(
        3,
        TestCaConfig {
            icac_id: Some(2),
            ..TestCaConfig::default()
        },
    )
    .unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let noc = ca
        .issue_noc(NodeId(0x42), &[0x0001_0001], &mut rng)
        .unwrap()
        .noc;
    for tlv in [ca.rcac().tlv(), ca.icac().unwrap().tlv(), noc.tlv()] {
        assert!(MatterCertificate::decode(tlv).is_ok());
        for cut in 0..tlv.len() {
            assert!(
                MatterCertificate::decode(&tlv[..cut]).is_err(),
                "prefix of {cut} bytes decoded"
            );
        }
    }
}

#[test]
fn a_bit_flip_in_every_byte_of_every_certificate_is_caught() {
    let mut ca = TestCa::from_seed(
        8,
        TestCaConfig {
            icac_id: Some(5),
            fabric_id_in_ca_subjects: true,
            ..TestCaConfig::default()
        },
    )
    .unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let noc = ca
        .issue_noc(NodeId(0x77), &[0x0003_0001], &mut rng)
        .unwrap()
        .noc;
    let chain = [
        noc.tlv().to_vec(),
        ca.icac().unwrap().tlv().to_vec(),
        ca.rcac().tlv().to_vec(),
    ];
    let policy = ChainPolicy::skip_validity();
    assert!(validate_chain(&chain[0], Some(&chain[1]), &chain[2], &policy).is_ok());
    let mut checked = 0;
    for which in 0..chain.len() {
        for i in 0..chain[which].len() {
            // One bit per byte, rotating through the bit positions (every bit of every byte
            // takes ~40 s in a debug build; the proptest above samples arbitrary masks).
            let bit = (i + which) % 8;
            let mut flipped = chain.clone();
            flipped[which][i] ^= 1 << bit;
            let verdict = validate_chain(&flipped[0], Some(&flipped[1]), &flipped[2], &policy);
            assert!(
                verdict.is_err(),
                "cert {which} byte {i} bit {bit} went unnoticed"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, chain.iter().map(Vec::len).sum::<usize>());
}
