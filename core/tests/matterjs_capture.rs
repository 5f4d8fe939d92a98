//! Payloads matter.js 0.17.9 sent to paseo during the interop runs of
//! `sim/tests/interop_matterjs.rs` (captured from the device's debug log,
//! `PASEO_PEER_LOG_LEVEL=debug`), read back with `paseo_core::im` and `paseo_core::cert`.
//! They pin our decoders to what a real device writes, beside the hand-built vectors of the
//! unit tests (Matter 1.3 §5.5; docs/INTEROP.md, "Findings").

use paseo_core::cert::CertificationRequest;
use paseo_core::im::commissioning::{
    CommissioningError, CommissioningResponse, NocResponse, NocStatus, NocsrElements,
    on_off_attribute,
};
use paseo_core::im::{CommandPath, InvokeResponse, ReportData};

fn bytes(text: &str) -> Vec<u8> {
    hex::decode(text).expect("hex")
}

/// ArmFailSafeResponse, ErrorCode OK: byte for byte the vector written out by hand in
/// `im::invoke`'s unit tests.
const ARM_FAIL_SAFE_RESPONSE: &str =
    "152800360115350037002400002401302402011835012400002c01001818181824ff0c18";

/// The CSRNonce paseo sent, and the NOCSRElements the device returned for it.
const CSR_NONCE: &str = "0493bb0a4ce7c28f4c3b1bbf0c230e7e69c37833c9c071c2fc2e60c75021f98f";
const NOCSR_ELEMENTS: &str = "153001cb3081c83070020100300e310c300a060355040a0c034353523059301306\
    072a8648ce3d020106082a8648ce3d03010703420004a6e48cfc696b40eed8843ff60486594b1e137951cea4ba62\
    d681bb02497e9b07e88f5cbbf8457fff807e62fd9014065c7bb2dd288350642b653f2d925b21548ba000300a0608\
    2a8648ce3d0403020348003045022100ea7f978a59b87544514399a468853e655ca5b5dc7ace8284ea5c5daab3e2\
    07dc022043e935bbad1092996e158ab18fbff1070aeac7c1492cc4725147786bf500a2cd3002200493bb0a4ce7c2\
    8f4c3b1bbf0c230e7e69c37833c9c071c2fc2e60c75021f98f18";

/// AddTrustedRootCertificate answered with a plain SUCCESS status.
const ADD_ROOT_RESPONSE: &str =
    "1528003601153501370024000024013e24020b1835012400001818181824ff0c18";

/// NOCResponse: StatusCode OK, FabricIndex 1.
const NOC_RESPONSE: &str =
    "1528003601153500370024000024013e2402081835012400002401011818181824ff0c18";

/// ReportData for OnOff on endpoint 1 (off, then on after a Toggle), SuppressResponse true.
const REPORT_OFF: &str = "15360115350126007f3e2fc43701240201240306240400182802181818290424ff0c18";
const REPORT_ON: &str = "1536011535012600803e2fc43701240201240306240400182902181818290424ff0c18";

#[test]
fn arm_fail_safe_response() {
    let payload = bytes(ARM_FAIL_SAFE_RESPONSE);
    let response = InvokeResponse::decode(&payload).unwrap();
    assert_eq!(response.revision, Some(12));
    let r = CommissioningResponse::arm_fail_safe(response.single().unwrap()).unwrap();
    assert_eq!(r.error_code, CommissioningError::OK);
    assert_eq!(r.debug_text, "");
}

#[test]
fn csr_from_the_device_verifies_and_carries_our_nonce() {
    let elements_bytes = bytes(&NOCSR_ELEMENTS.replace(' ', ""));
    let elements = NocsrElements::decode(&elements_bytes).unwrap();
    let nonce: [u8; 32] = bytes(CSR_NONCE).try_into().unwrap();
    elements.check_nonce(&nonce).unwrap();
    let csr = CertificationRequest::parse(elements.csr).unwrap();
    // matter.js names the subject O=CSR.
    assert_eq!(&csr.subject_der()[csr.subject_der().len() - 3..], b"CSR");
    assert_eq!(csr.public_key().to_uncompressed()[..3], [0x04, 0xa6, 0xe4]);
    // One flipped bit in the signed part and the self-signature no longer holds.
    let mut tampered = elements.csr.to_vec();
    tampered[20] ^= 0x01;
    assert!(CertificationRequest::parse(&tampered).is_err());
}

#[test]
fn add_root_and_add_noc_responses() {
    let payload = bytes(ADD_ROOT_RESPONSE);
    let response = InvokeResponse::decode(&payload).unwrap();
    response
        .single()
        .unwrap()
        .expect_success(CommandPath::new(0, 0x3e, 0x0b))
        .unwrap();
    let payload = bytes(NOC_RESPONSE);
    let response = InvokeResponse::decode(&payload).unwrap();
    let noc = NocResponse::read(response.single().unwrap()).unwrap();
    assert_eq!(noc.status, NocStatus::OK);
    assert_eq!(noc.fabric_index, Some(1));
}

#[test]
fn on_off_reports() {
    for (text, expected) in [(REPORT_OFF, false), (REPORT_ON, true)] {
        let payload = bytes(text);
        let report = ReportData::decode(&payload).unwrap();
        assert!(
            report.suppress_response,
            "a read's report needs no StatusResponse"
        );
        let value = report.single_value(on_off_attribute(1)).unwrap();
        assert_eq!(value.bool(), Ok(expected));
    }
}
