//! Fuzzes the Interaction Model decoders that read what a device sends a commissioner:
//! InvokeResponse (with its CommandDataIB / CommandStatusIB and their command paths),
//! ReportData (AttributeDataIB / AttributeStatusIB and attribute paths), StatusResponse, and
//! the commissioning responses read out of an InvokeResponse (ArmFailSafeResponse,
//! CommissioningCompleteResponse, CSRResponse with its NOCSRElements, NOCResponse).
//!
//! The first input byte picks the decoder (InvokeResponse, ReportData, StatusResponse,
//! NOCSRElements, or all of them), the rest is the payload. Properties: no panic, every
//! refusal an `ImError`; whatever decodes is re-encoded here (an encoder written from the
//! message layouts, independent of the decoders; command fields and attribute data are
//! carried in their exact widths) and the re-encoding decodes to an equal value and
//! re-encodes to the same bytes (one canonical form); each commissioning response that reads
//! out of a decoded InvokeResponse is re-encoded the same way, inside a fresh InvokeResponse,
//! and reads back equal. StatusResponse uses the crate's own encoder.
//!
//! The decoders skip unknown context tags (§6.2) and accept non-minimal integer widths, so
//! the first re-encoding need not equal the input; it must be a fixed point. Command fields
//! or attribute data whose unopened inner structures the owned TLV decoder refuses (a
//! duplicate tag nested deeper than any decoder looks) cannot be carried over and are skipped.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paseo_core::im::commissioning::{
    CommissioningResponse, CsrResponse, NocResponse, NocsrElements,
};
use paseo_core::im::{
    AttributePath, AttributeReport, CommandPath, CommandResponse, InvokeResponse, ReportData,
    StatusIb, StatusResponse,
};
use paseo_core::tlv::{Member, Tag, Writer, decode_element};

/// Context tag of InteractionModelRevision.
const REVISION: u8 = 0xFF;

fn command_path(w: &mut Writer, tag: Tag, path: &CommandPath) {
    w.start_list(tag);
    w.put_uint(Tag::Context(0), u64::from(path.endpoint));
    w.put_uint(Tag::Context(1), u64::from(path.cluster));
    w.put_uint(Tag::Context(2), u64::from(path.command));
    w.end_container();
}

fn attribute_path(w: &mut Writer, tag: Tag, path: &AttributePath) {
    w.start_list(tag);
    w.put_uint(Tag::Context(2), u64::from(path.endpoint));
    w.put_uint(Tag::Context(3), u64::from(path.cluster));
    w.put_uint(Tag::Context(4), u64::from(path.attribute));
    w.end_container();
}

fn status_ib(w: &mut Writer, tag: Tag, status: &StatusIb) {
    w.start_struct(tag);
    w.put_uint(Tag::Context(0), u64::from(status.status.0));
    if let Some(cluster) = status.cluster_status {
        w.put_uint(Tag::Context(1), u64::from(cluster));
    }
    w.end_container();
}

/// A member's exact value under a new tag; `None` if the owned decoder refuses it.
fn retagged(w: &mut Writer, tag: Tag, raw: &[u8]) -> Option<()> {
    let mut value = decode_element(raw).ok()?;
    value.tag = tag;
    w.put_value(&value);
    Some(())
}

fn encode_invoke_response(response: &InvokeResponse<'_>) -> Option<Vec<u8>> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bool(Tag::Context(0), response.suppress_response);
    w.start_array(Tag::Context(1));
    for ib in &response.responses {
        w.start_struct(Tag::Anonymous);
        match ib {
            CommandResponse::Data { path, fields } => {
                w.start_struct(Tag::Context(0));
                command_path(&mut w, Tag::Context(0), path);
                retagged(&mut w, Tag::Context(1), fields.raw())?;
                w.end_container();
            }
            CommandResponse::Status { path, status } => {
                w.start_struct(Tag::Context(1));
                command_path(&mut w, Tag::Context(0), path);
                status_ib(&mut w, Tag::Context(1), status);
                w.end_container();
            }
        }
        w.end_container();
    }
    w.end_container();
    if let Some(revision) = response.revision {
        w.put_uint(Tag::Context(REVISION), u64::from(revision));
    }
    w.end_container();
    Some(w.finish().expect("every container is closed"))
}

fn encode_report_data(report: &ReportData<'_>) -> Option<Vec<u8>> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    if let Some(id) = report.subscription_id {
        w.put_uint(Tag::Context(0), u64::from(id));
    }
    w.start_array(Tag::Context(1));
    for ib in &report.reports {
        w.start_struct(Tag::Anonymous);
        match ib {
            AttributeReport::Data {
                data_version,
                path,
                data,
            } => {
                w.start_struct(Tag::Context(1));
                if let Some(version) = data_version {
                    w.put_uint(Tag::Context(0), u64::from(*version));
                }
                attribute_path(&mut w, Tag::Context(1), path);
                retagged(&mut w, Tag::Context(2), data.raw)?;
                w.end_container();
            }
            AttributeReport::Status { path, status } => {
                w.start_struct(Tag::Context(0));
                attribute_path(&mut w, Tag::Context(0), path);
                status_ib(&mut w, Tag::Context(1), status);
                w.end_container();
            }
        }
        w.end_container();
    }
    w.end_container();
    w.put_bool(Tag::Context(3), report.more_chunks);
    w.put_bool(Tag::Context(4), report.suppress_response);
    if let Some(revision) = report.revision {
        w.put_uint(Tag::Context(REVISION), u64::from(revision));
    }
    w.end_container();
    Some(w.finish().expect("every container is closed"))
}

/// An InvokeResponse holding one CommandDataIB for `path` with the fields `build` writes.
fn invoke_response_with(path: CommandPath, build: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bool(Tag::Context(0), false);
    w.start_array(Tag::Context(1));
    w.start_struct(Tag::Anonymous);
    w.start_struct(Tag::Context(0));
    command_path(&mut w, Tag::Context(0), &path);
    w.start_struct(Tag::Context(1));
    build(&mut w);
    w.end_container();
    w.end_container();
    w.end_container();
    w.end_container();
    w.end_container();
    w.finish().expect("every container is closed")
}

/// Reads `response`'s single command response with `read`, after re-encoding its fields.
fn reread<T>(bytes: &[u8], read: impl Fn(&CommandResponse<'_>) -> T) -> T {
    let response = InvokeResponse::decode(bytes).expect("a re-encoded response decodes");
    read(response.single().expect("one response"))
}

fn commissioning_responses(response: &CommandResponse<'_>) {
    let CommandResponse::Data { path, .. } = response else {
        return;
    };
    let path = *path;
    let commissioning = [
        CommissioningResponse::arm_fail_safe,
        CommissioningResponse::commissioning_complete,
    ];
    for read in commissioning {
        if let Ok(ours) = read(response) {
            let bytes = invoke_response_with(path, |w| {
                w.put_uint(Tag::Context(0), u64::from(ours.error_code.0));
                w.put_utf8(Tag::Context(1), &ours.debug_text);
            });
            assert_eq!(reread(&bytes, read), Ok(ours));
        }
    }
    if let Ok(csr) = CsrResponse::read(response) {
        let bytes = invoke_response_with(path, |w| {
            w.put_bytes(Tag::Context(0), csr.nocsr_elements);
            w.put_bytes(Tag::Context(1), csr.attestation_signature);
        });
        assert_eq!(
            reread(&bytes, |r| CsrResponse::read(r).map(|c| (
                c.nocsr_elements.to_vec(),
                c.attestation_signature.to_vec()
            ))),
            Ok((
                csr.nocsr_elements.to_vec(),
                csr.attestation_signature.to_vec()
            ))
        );
        nocsr_elements(csr.nocsr_elements);
    }
    if let Ok(noc) = NocResponse::read(response) {
        let bytes = invoke_response_with(path, |w| {
            w.put_uint(Tag::Context(0), u64::from(noc.status.0));
            if let Some(index) = noc.fabric_index {
                w.put_uint(Tag::Context(1), u64::from(index));
            }
            if let Some(text) = &noc.debug_text {
                w.put_utf8(Tag::Context(2), text);
            }
        });
        assert_eq!(reread(&bytes, NocResponse::read), Ok(noc));
    }
}

fn nocsr_elements(bytes: &[u8]) {
    let Ok(elements) = NocsrElements::decode(bytes) else {
        return;
    };
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bytes(Tag::Context(1), elements.csr);
    w.put_bytes(Tag::Context(2), elements.nonce);
    w.end_container();
    let again = w.finish().expect("closed");
    assert_eq!(NocsrElements::decode(&again), Ok(elements));
}

fn invoke_response(payload: &[u8]) {
    let Ok(response) = InvokeResponse::decode(payload) else {
        return;
    };
    for ib in &response.responses {
        commissioning_responses(ib);
    }
    let Some(bytes) = encode_invoke_response(&response) else {
        return;
    };
    let again = InvokeResponse::decode(&bytes).expect("a re-encoded InvokeResponse decodes");
    assert_eq!(again, response, "re-encoding changed the InvokeResponse");
    assert_eq!(
        encode_invoke_response(&again).as_deref(),
        Some(&bytes[..]),
        "not a fixed point"
    );
}

fn report_data(payload: &[u8]) {
    let Ok(report) = ReportData::decode(payload) else {
        return;
    };
    for ib in &report.reports {
        if let AttributeReport::Data { path, .. } = ib {
            // The single-value accessor agrees with the list.
            if report.reports.len() == 1 && !report.more_chunks {
                let value: Option<&Member<'_>> = report.single_value(*path).ok();
                assert!(value.is_some());
            }
        }
    }
    let Some(bytes) = encode_report_data(&report) else {
        return;
    };
    let again = ReportData::decode(&bytes).expect("a re-encoded ReportData decodes");
    assert_eq!(again, report, "re-encoding changed the ReportData");
    assert_eq!(
        encode_report_data(&again).as_deref(),
        Some(&bytes[..]),
        "not a fixed point"
    );
}

fn status_response(payload: &[u8]) {
    let Ok(status) = StatusResponse::decode(payload) else {
        return;
    };
    let bytes = status.encode().expect("encodes");
    assert_eq!(StatusResponse::decode(&bytes), Ok(status));
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, payload)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => invoke_response(payload),
        1 => report_data(payload),
        2 => status_response(payload),
        3 => nocsr_elements(payload),
        _ => {
            invoke_response(payload);
            report_data(payload);
            status_response(payload);
            nocsr_elements(payload);
        }
    }
});
