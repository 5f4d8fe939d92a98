//! Fuzzes the StatusReport decoder: never panics, rejects exactly the inputs shorter than
//! the fixed 8 bytes, and re-encodes every accepted input byte for byte.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paseo_core::codec::{STATUS_REPORT_FIXED_LEN, StatusReport};

fuzz_target!(|data: &[u8]| {
    match StatusReport::decode(data) {
        Ok(report) => {
            let mut out = Vec::new();
            report.encode(&mut out);
            assert_eq!(out, data, "status report re-encode");
            assert_eq!(report.encoded_len(), data.len());
            let _ = (report.secure_channel_status(), report.busy_wait_ms());
            let _ = report.general_code.name();
        }
        Err(_) => assert!(data.len() < STATUS_REPORT_FIXED_LEN),
    }
});
