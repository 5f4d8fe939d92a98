//! A fixed test fabric for the CASE fuzz targets: a controller and a device with ICAC-issued
//! NOCs, and the resumption records one honest full CASE between them left on each side.
//! Built once per process (key generation and a full handshake are too slow per input).

use std::num::NonZeroU16;
use std::sync::OnceLock;

use paseo_core::case::{CaseInitiator, CaseResponder, OperationalCredentials, Sigma1Reply};
use paseo_core::cert::{ChainPolicy, DEFAULT_NOT_BEFORE, TestCa, TestCaConfig};
use paseo_core::fabric::{FabricIndex, NodeId};
use paseo_core::session::{ResumptionRecord, SessionParameters};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

/// The controller's node id.
pub const CONTROLLER: NodeId = NodeId(0x1111);
/// The device's node id.
pub const DEVICE: NodeId = NodeId(0x2222);

/// Both sides of the fabric.
pub struct CaseFabric {
    pub controller: OperationalCredentials,
    pub device: OperationalCredentials,
    pub controller_record: ResumptionRecord,
    pub device_record: ResumptionRecord,
}

/// A non-zero session id.
pub fn session_id(value: u16) -> NonZeroU16 {
    NonZeroU16::new(value).unwrap_or(NonZeroU16::MIN)
}

/// The certificate policy: inside the test CA's validity.
pub fn policy() -> ChainPolicy {
    ChainPolicy::at(DEFAULT_NOT_BEFORE + 1)
}

/// The fabric, built on first use.
pub fn fabric() -> &'static CaseFabric {
    static FABRIC: OnceLock<CaseFabric> = OnceLock::new();
    FABRIC.get_or_init(|| {
        let config = TestCaConfig {
            fabric_id: 0xFAB1,
            icac_id: Some(0x1CAC),
            ..TestCaConfig::default()
        };
        let mut ca = TestCa::from_seed(1, config).expect("CA");
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let controller = OperationalCredentials::from_test_ca(
            &mut ca,
            FabricIndex(1),
            CONTROLLER,
            &[0x0001_0001],
            [7; 16],
            &mut rng,
        )
        .expect("controller");
        let device = OperationalCredentials::from_test_ca(
            &mut ca,
            FabricIndex(2),
            DEVICE,
            &[],
            [7; 16],
            &mut rng,
        )
        .expect("device");
        let params = SessionParameters::paseo_default;
        let (await2, sigma1) =
            CaseInitiator::start(&mut rng, &controller, DEVICE, session_id(1), params(), None)
                .expect("Sigma1");
        let Ok(Sigma1Reply::Full(await3, sigma2)) = CaseResponder::handle_sigma1(
            &mut rng,
            &sigma1,
            std::slice::from_ref(&device),
            |_: &_| None,
            session_id(2),
            params(),
        ) else {
            panic!("Sigma2")
        };
        let (await_status, sigma3) = await2.handle_sigma2(&sigma2, &policy()).expect("Sigma3");
        let (at_device, status) = await3.handle(&sigma3, &policy()).expect("device");
        let at_controller = await_status.handle(&status).expect("controller");
        CaseFabric {
            controller_record: at_controller.resumption_record(),
            device_record: at_device.resumption_record(),
            controller,
            device,
        }
    })
}
