//! CASE in memory, both roles in one process, next to the bare crypto the protocol cannot
//! avoid, measured in the same run (Matter 1.3 §4.14.2.3, §4.14.2; chain validation as
//! connectedhomeip `src/credentials/CHIPCert.cpp`). Each handshake
//! iteration also derives both sides' session keys (what installing the sessions costs).
//!
//! Full CASE floor (EC operations only), per handshake:
//! - 2 ephemeral key generations (one fixed-base scalar multiplication each);
//! - 2 ECDH (one variable-base multiplication each);
//! - 2 ECDSA signs (TBSData2 by the responder, TBSData3 by the initiator);
//! - 2 ECDSA verifies of those TBS signatures;
//! - chain verification of the peer's certificates on each side: the NOC signature (2
//!   verifies), and with an ICAC also the ICAC signature (2 more). The RCAC self-signature is
//!   checked once when the credentials are built, not per handshake.
//!
//! So 2 keygen + 2 ECDH + 2 sign + 4 verify without ICAC, + 6 verify with one. Left out: the
//! symmetric work (destination-id HMAC, S2K/S3K HKDF, TBEData AES-CCM, transcript SHA-256,
//! session-key HKDF), TLV and certificate decoding, the X.509 TBS rebuild, profile checks.
//!
//! Resumption floor, per handshake: 1 ephemeral key generation (the initiator's: a resuming
//! Sigma1 still carries a fresh key for fallback, Matter 1.3 §4.14.2; the responder makes none), no
//! ECDH, no signature, no certificate; plus the symmetric work, which dominates what remains: 1
//! HMAC-SHA256 (destination id), 4 HKDF-SHA256 to 16 bytes (S1RK and S2RK on each side), 4 AES-CCM
//! tags over empty input (two resume MICs made, two checked), 2 HKDF-SHA256 to 48 bytes (the
//! session keys of each side). Left out: TLV, record lookup, state moves.
//!
//! Run: `cargo bench -p paseo-core --bench case -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::num::NonZeroU16;

use criterion::{Criterion, criterion_group};
use paseo_core::case::{
    CaseEstablished, CaseInitiator, CaseResponder, OperationalCredentials, Sigma1Reply,
};
use paseo_core::cert::{ChainPolicy, DEFAULT_NOT_BEFORE, MatterCertificate, TestCa, TestCaConfig};
use paseo_core::crypto::{Aes128CcmKey, EphemeralKeyPair, P256PublicKey, hkdf_sha256, hmac_sha256};
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::{ResumptionId, ResumptionRecord, SessionParameters};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[path = "ratio.rs"]
mod ratio;

const DEVICE: NodeId = NodeId(0x2222);

fn sid(id: u16) -> NonZeroU16 {
    NonZeroU16::new(id).expect("non-zero")
}

fn policy() -> ChainPolicy {
    ChainPolicy::at(DEFAULT_NOT_BEFORE + 1)
}

struct Setup {
    ca: TestCa,
    controller: OperationalCredentials,
    device: OperationalCredentials,
}

fn setup(icac: bool) -> Setup {
    let config = TestCaConfig {
        fabric_id: 0xFAB1,
        icac_id: icac.then_some(0x1CAC),
        ..TestCaConfig::default()
    };
    let mut ca = TestCa::from_seed(1, config).expect("CA");
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut creds = |node, cats: &[u32], index| {
        OperationalCredentials::from_test_ca(
            &mut ca,
            FabricIndex(index),
            NodeId(node),
            cats,
            [7; 16],
            &mut rng,
        )
        .expect("credentials")
    };
    let controller = creds(0x1111, &[0x0001_0001], 1);
    let device = creds(DEVICE.0, &[], 2);
    Setup {
        ca,
        controller,
        device,
    }
}

/// One full CASE, both roles; returns both sessions.
fn full_case(rng: &mut ChaCha20Rng, s: &Setup) -> (CaseEstablished, CaseEstablished) {
    let params = SessionParameters::paseo_default;
    let (await2, sigma1) =
        CaseInitiator::start(rng, &s.controller, DEVICE, sid(1), params(), None).unwrap();
    let Sigma1Reply::Full(await3, sigma2) = CaseResponder::handle_sigma1(
        rng,
        &sigma1,
        std::slice::from_ref(&s.device),
        |_: &ResumptionId| None,
        sid(2),
        params(),
    )
    .unwrap() else {
        panic!("full CASE")
    };
    let (await_status, sigma3) = await2.handle_sigma2(&sigma2, &policy()).unwrap();
    let (at_responder, status) = await3.handle(&sigma3, &policy()).unwrap();
    let at_initiator = await_status.handle(&status).unwrap();
    (at_initiator, at_responder)
}

/// One resumption, both roles.
fn resumption(
    rng: &mut ChaCha20Rng,
    s: &Setup,
    records: &(ResumptionRecord, ResumptionRecord),
) -> (CaseEstablished, CaseEstablished) {
    let params = SessionParameters::paseo_default;
    let (await2, sigma1) = CaseInitiator::start(
        rng,
        &s.controller,
        DEVICE,
        sid(1),
        params(),
        Some(&records.0),
    )
    .unwrap();
    let Sigma1Reply::Resume(await_status, sigma2_resume) = CaseResponder::handle_sigma1(
        rng,
        &sigma1,
        std::slice::from_ref(&s.device),
        |_: &ResumptionId| Some(records.1.clone()),
        sid(2),
        params(),
    )
    .unwrap() else {
        panic!("resumption")
    };
    let (at_initiator, status) = await2.handle_sigma2_resume(&sigma2_resume).unwrap();
    let at_responder = await_status.handle(&status).unwrap();
    (at_initiator, at_responder)
}

fn install(sessions: (CaseEstablished, CaseEstablished)) -> [u8; 16] {
    let (a, b) = sessions;
    let ka = a.session_key_material().unwrap();
    let kb = b.session_key_material().unwrap();
    debug_assert_eq!(ka.i2r, kb.i2r);
    kb.r2i
}

/// A certificate's signature check as chain validation does it: issuer key over the TBS DER.
struct CertCheck {
    issuer: P256PublicKey,
    tbs: Vec<u8>,
    signature: [u8; 64],
}

impl CertCheck {
    fn new(cert: &MatterCertificate, issuer: &P256PublicKey) -> Self {
        let check = CertCheck {
            issuer: *issuer,
            tbs: cert.tbs_der(),
            signature: *cert.signature(),
        };
        check.run();
        check
    }

    fn run(&self) {
        self.issuer
            .verify(black_box(&self.tbs), &self.signature)
            .expect("certificate signature");
    }
}

/// The peer-certificate checks one side makes: NOC by its issuer, ICAC by the root.
fn chain_checks(s: &Setup, peer: &OperationalCredentials) -> Vec<CertCheck> {
    let noc = MatterCertificate::decode(peer.noc()).unwrap();
    match s.ca.icac() {
        Some(icac) => vec![
            CertCheck::new(&noc, icac.public_key()),
            CertCheck::new(icac, s.ca.root_public_key()),
        ],
        None => vec![CertCheck::new(&noc, s.ca.root_public_key())],
    }
}

fn bench_full(c: &mut Criterion) {
    let mut group = c.benchmark_group("case_full_vs_floor");
    for (icac, label) in [(false, "no_icac"), (true, "icac")] {
        let s = setup(icac);
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        group.bench_function(format!("full_case_{label}"), |b| {
            b.iter(|| install(full_case(&mut rng, &s)))
        });

        // The floor's inputs: TBS-sized messages signed by the two operational keys, and the
        // real certificate signatures each side checks.
        let tbs2 = vec![0x5a; 420];
        let tbs3 = vec![0xa5; 420];
        let device_key = s.device.signing_key().clone();
        let controller_key = s.controller.signing_key().clone();
        let (device_pub, controller_pub) = (*device_key.public_key(), *controller_key.public_key());
        let mut checks = chain_checks(&s, &s.device);
        checks.extend(chain_checks(&s, &s.controller));
        assert_eq!(checks.len(), if icac { 4 } else { 2 });
        group.bench_function(format!("floor_{label}"), |b| {
            b.iter(|| {
                let ie = EphemeralKeyPair::generate(&mut rng);
                let re = EphemeralKeyPair::generate(&mut rng);
                let secret_r = re.diffie_hellman(ie.public_key());
                let secret_i = ie.diffie_hellman(re.public_key());
                let sig2 = device_key.sign(&tbs2).unwrap();
                device_pub.verify(&tbs2, &sig2).unwrap();
                let sig3 = controller_key.sign(&tbs3).unwrap();
                controller_pub.verify(&tbs3, &sig3).unwrap();
                for check in &checks {
                    check.run();
                }
                black_box((secret_i, secret_r))
            })
        });
    }
    group.finish();
}

fn bench_resumption(c: &mut Criterion) {
    let mut group = c.benchmark_group("case_resumption_vs_floor");
    let s = setup(false);
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (i, r) = full_case(&mut rng, &s);
    let records = (i.resumption_record(), r.resumption_record());
    group.bench_function("resumption", |b| {
        b.iter(|| install(resumption(&mut rng, &s, &records)))
    });

    let secret = *records.0.shared_secret;
    let ipk = [0x11u8; 16];
    let destination_message = [0x22u8; 32 + 65 + 8 + 8];
    let salt = [0x33u8; 48];
    let nonce = [0x44u8; 13];
    group.bench_function("floor", |b| {
        b.iter(|| {
            let ephemeral = EphemeralKeyPair::generate(&mut rng);
            let destination = hmac_sha256(&ipk, &destination_message);
            // S1RK, then S2RK: each derived on both sides, its MIC made on one, checked on
            // the other.
            let mut tags = [[0u8; 16]; 2];
            for (info, tag) in [b"Sigma1_Resume", b"Sigma2_Resume"].iter().zip(&mut tags) {
                let mut maker = [0u8; 16];
                hkdf_sha256(&secret, &salt, *info, &mut maker).unwrap();
                *tag = Aes128CcmKey::new(&maker)
                    .encrypt_in_place_detached(&nonce, &[], &mut [])
                    .unwrap();
                let mut checker = [0u8; 16];
                hkdf_sha256(&secret, &salt, *info, &mut checker).unwrap();
                Aes128CcmKey::new(&checker)
                    .decrypt_in_place_detached(&nonce, &[], &mut [], tag)
                    .unwrap();
            }
            let mut keys = [[0u8; 48]; 2];
            for k in &mut keys {
                hkdf_sha256(&secret, &salt, b"SessionResumptionKeys", k).unwrap();
            }
            black_box((
                ephemeral.public_key().to_uncompressed(),
                destination,
                keys,
                tags,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_full, bench_resumption);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    ratio::report(&[
        (
            "case_full_vs_floor",
            "full_case_no_icac",
            "floor_no_icac",
            1.1,
        ),
        ("case_full_vs_floor", "full_case_icac", "floor_icac", 1.1),
        ("case_resumption_vs_floor", "resumption", "floor", 1.5),
    ]);
}
