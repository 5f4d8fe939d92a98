//! Fuzz the certificate decoder and chain validation (Matter 1.3 §6.5): no input may panic.
//! Whatever decodes must rebuild to X.509 DER and re-encode to TLV that decodes to the same
//! fields; the input is then validated as a NOC (directly under a fixed test-CA root and under
//! its ICAC), as an ICAC in front of a genuine NOC, and as an RCAC.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use paseo_core::cert::{
    ChainPolicy, MatterCertificate, TestCa, TestCaConfig, TrustedRoot, validate_chain,
};
use paseo_core::fabric::NodeId;

struct Fixture {
    rcac: Vec<u8>,
    icac: Vec<u8>,
    noc: Vec<u8>,
    root: TrustedRoot,
    root_without_icac: TrustedRoot,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let config = TestCaConfig {
            icac_id: Some(2),
            ..TestCaConfig::default()
        };
        let mut ca = TestCa::from_seed(1, config).expect("test CA builds");
        let key = *ca.root_public_key();
        let noc = ca
            .issue_noc_for_public_key(&key, NodeId(0x1234), &[0x0001_0001])
            .expect("NOC issues");
        let direct = TestCa::from_seed(2, TestCaConfig::default()).expect("test CA builds");
        Fixture {
            rcac: ca.rcac().tlv().to_vec(),
            icac: ca.icac().expect("configured").tlv().to_vec(),
            noc: noc.tlv().to_vec(),
            root: ca.trusted_root().expect("root validates"),
            root_without_icac: direct.trusted_root().expect("root validates"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = MatterCertificate::decode(data) {
        let _ = cert.to_x509_der();
        let again = cert.encode().expect("a decoded certificate re-encodes");
        let again = MatterCertificate::decode(&again).expect("a re-encoding decodes");
        assert_eq!(
            again.fields(),
            cert.fields(),
            "re-encoding changed the fields"
        );
    }

    let f = fixture();
    let strict = ChainPolicy::at(800_000_000);
    let lenient = ChainPolicy::skip_validity();
    let _ = f.root_without_icac.validate(data, None, &strict);
    let _ = f.root.validate(data, Some(&f.icac), &lenient);
    let _ = f.root.validate(&f.noc, Some(data), &strict);
    let _ = validate_chain(&f.noc, Some(&f.icac), data, &lenient);
    let _ = validate_chain(data, None, &f.rcac, &lenient);
});
