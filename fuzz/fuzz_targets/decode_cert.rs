//! Fuzz the certificate decoder and chain validation (Matter 1.3 §6.5).
//!
//! Properties: no input panics. Whatever decodes re-encodes to TLV that decodes to the same
//! fields, and rebuilds to X.509 DER that is one DER SEQUENCE opening with the certificate's
//! TBSCertificate, the same DER its re-decoded copy rebuilds. The input is then validated
//! once, in the one chain position its profile fits (NOC, ICAC or RCAC; a NOC under the root
//! its issuer names: the test CA's ICAC, or a second test CA's root directly), against fixed
//! genuine certificates around it; and whatever validates is, field for field, the genuine
//! certificate of that position: re-encoding a certificate (other TLV widths, order or
//! lengths) never yields a second certificate that validates with other content, and nothing
//! the fuzzer builds passes as the CA's signature.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use paseo_core::cert::der;
use paseo_core::cert::{
    CertKind, ChainPolicy, MatterCertificate, TestCa, TestCaConfig, TrustedRoot, validate_chain,
};
use paseo_core::fabric::NodeId;

struct Fixture {
    rcac: MatterCertificate,
    icac: MatterCertificate,
    /// Issued under the ICAC.
    noc: MatterCertificate,
    root: TrustedRoot,
    /// A second CA without ICAC, and a NOC it issued directly.
    direct_rcac: MatterCertificate,
    direct_noc: MatterCertificate,
    direct_root: TrustedRoot,
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
        let mut direct = TestCa::from_seed(2, TestCaConfig::default()).expect("test CA builds");
        let direct_noc = direct
            .issue_noc_for_public_key(&key, NodeId(0x5678), &[])
            .expect("NOC issues");
        let root = ca.trusted_root().expect("root validates");
        let direct_root = direct.trusted_root().expect("root validates");
        // The genuine chains validate in the positions and under the policies used below, so
        // the forgery checks are not vacuous.
        let icac = ca.icac().expect("configured").clone();
        let strict = ChainPolicy::at(800_000_000);
        let lenient = ChainPolicy::skip_validity();
        root.validate(noc.tlv(), Some(icac.tlv()), &strict)
            .expect("NOC validates");
        root.validate(noc.tlv(), Some(icac.tlv()), &lenient)
            .expect("ICAC validates");
        direct_root
            .validate(direct_noc.tlv(), None, &lenient)
            .expect("direct NOC validates");
        validate_chain(direct_noc.tlv(), None, direct.rcac().tlv(), &strict).expect("RCAC");
        validate_chain(noc.tlv(), Some(icac.tlv()), ca.rcac().tlv(), &lenient).expect("RCAC");
        Fixture {
            rcac: ca.rcac().clone(),
            icac,
            noc,
            root,
            direct_rcac: direct.rcac().clone(),
            direct_noc,
            direct_root,
        }
    })
}

/// Whatever validated in a position must be the genuine certificate of that position.
fn genuine(cert: &MatterCertificate, expected: &MatterCertificate, what: &str) {
    assert_eq!(
        cert.fields(),
        expected.fields(),
        "a forged {what} validated (fields differ from the genuine one)"
    );
    assert_eq!(cert.to_x509_der(), expected.to_x509_der());
}

fuzz_target!(|data: &[u8]| {
    // Every validation below starts with this same decode: an input it refuses is refused in
    // every position, so validating it would only repeat the refusal.
    let Ok(cert) = MatterCertificate::decode(data) else {
        return;
    };
    let again = cert.encode().expect("a decoded certificate re-encodes");
    let again = MatterCertificate::decode(&again).expect("a re-encoding decodes");
    assert_eq!(
        again.fields(),
        cert.fields(),
        "re-encoding changed the fields"
    );

    let x509 = cert.to_x509_der();
    assert!(
        der::is_single_sequence(&x509),
        "X.509 DER is not one SEQUENCE"
    );
    let (_, start, _) = der::read_header(&x509).expect("one SEQUENCE");
    assert!(
        x509[start..].starts_with(&cert.tbs_der()),
        "X.509 DER does not open with the TBS"
    );
    assert_eq!(
        again.to_x509_der(),
        x509,
        "equal fields rebuilt to other DER"
    );

    let f = fixture();
    let lenient = ChainPolicy::skip_validity();
    let strict = ChainPolicy::at(800_000_000);
    if cert.check_profile(CertKind::Noc).is_ok() {
        if cert.issuer() == f.icac.subject() {
            if f.root.validate(data, Some(f.icac.tlv()), &strict).is_ok() {
                genuine(&cert, &f.noc, "NOC");
            }
        } else if f.direct_root.validate(data, None, &lenient).is_ok() {
            genuine(&cert, &f.direct_noc, "NOC");
        }
    } else if cert.check_profile(CertKind::Icac).is_ok() {
        if f.root.validate(f.noc.tlv(), Some(data), &lenient).is_ok() {
            genuine(&cert, &f.icac, "ICAC");
        }
    } else if cert.check_profile(CertKind::Rcac).is_ok() {
        if cert.subject() == f.direct_rcac.subject() {
            if validate_chain(f.direct_noc.tlv(), None, data, &strict).is_ok() {
                genuine(&cert, &f.direct_rcac, "RCAC");
            }
        } else if validate_chain(f.noc.tlv(), Some(f.icac.tlv()), data, &lenient).is_ok() {
            genuine(&cert, &f.rcac, "RCAC");
        }
    }
});
