//! ReadRequest (opcode 0x02) for concrete attribute paths and the ReportData (opcode 0x05)
//! that answers it (Matter Interaction Model; field tags as matter.js 0.17.9
//! `types/src/protocol/messages/TlvReadRequest.ts` and `TlvDataReport.ts` define them):
//!
//! ```text
//! ReadRequestMessage = struct { 0: AttributeRequests array[AttributePathIB],
//!                               3: IsFabricFiltered bool, 0xFF: revision }
//! ReportDataMessage  = struct { 0: SubscriptionId u32 (opt), 1: AttributeReports array (opt),
//!                               2: EventReports (opt), 3: MoreChunkedMessages bool (opt),
//!                               4: SuppressResponse bool (opt), 0xFF: revision }
//! AttributeReportIB  = struct { 0: AttributeStatusIB { 0: path, 1: StatusIB }
//!                             | 1: AttributeDataIB { 0: DataVersion u32 (opt), 1: path, 2: Data } }
//! ```

use crate::tlv::{Member, StructView, Tag, TlvError, Writer};

use super::error::ImError;
use super::path::AttributePath;
use super::status::StatusIb;
use super::{INTERACTION_MODEL_REVISION, REVISION_TAG};

/// Encodes a ReadRequest for `paths` (no events, no data-version filters).
pub fn encode_read_request(
    paths: &[AttributePath],
    fabric_filtered: bool,
) -> Result<Vec<u8>, ImError> {
    if paths.is_empty() {
        return Err(ImError::Empty("AttributeRequests"));
    }
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.start_array(Tag::Context(0));
    for path in paths {
        path.write(&mut w, Tag::Anonymous);
    }
    w.end_container();
    w.put_bool(Tag::Context(3), fabric_filtered);
    w.put_uint(
        Tag::Context(REVISION_TAG),
        u64::from(INTERACTION_MODEL_REVISION),
    );
    w.end_container();
    Ok(w.finish()?)
}

/// One AttributeReportIB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeReport<'a> {
    /// The attribute's value.
    Data {
        /// DataVersion of the cluster instance, when sent.
        data_version: Option<u32>,
        /// The attribute.
        path: AttributePath,
        /// The value element (context tag 2), any TLV type.
        data: Member<'a>,
    },
    /// Why the attribute could not be read.
    Status {
        /// The attribute.
        path: AttributePath,
        /// The status.
        status: StatusIb,
    },
}

impl<'a> AttributeReport<'a> {
    fn read(view: &StructView<'a>) -> Result<Self, ImError> {
        match (view.structure(0)?, view.structure(1)?) {
            (None, Some(data)) => Ok(Self::Data {
                data_version: data.u32(0)?,
                path: AttributePath::read(data.member(1).ok_or(TlvError::MissingField(1))?)?,
                data: *data.member(2).ok_or(TlvError::MissingField(2))?,
            }),
            (Some(status), None) => Ok(Self::Status {
                path: AttributePath::read(status.member(0).ok_or(TlvError::MissingField(0))?)?,
                status: StatusIb::read(&status.required_structure(1)?)?,
            }),
            _ => Err(ImError::Alternatives("AttributeReportIB")),
        }
    }
}

/// A decoded ReportData.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportData<'a> {
    /// Set in subscription reports.
    pub subscription_id: Option<u32>,
    /// The attribute reports, in order.
    pub reports: Vec<AttributeReport<'a>>,
    /// More reports follow in further ReportData messages.
    pub more_chunks: bool,
    /// The client must not answer with a StatusResponse (the last report of a read).
    pub suppress_response: bool,
    /// The peer's InteractionModelRevision, if sent.
    pub revision: Option<u8>,
}

impl<'a> ReportData<'a> {
    /// Decodes the payload of a ReportData. Event reports are skipped.
    pub fn decode(payload: &'a [u8]) -> Result<Self, ImError> {
        let view = StructView::parse_anonymous(payload)?;
        let reports = match view.array(1)? {
            Some(list) => list
                .members()
                .iter()
                .map(|m| AttributeReport::read(&m.structure()?))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        Ok(Self {
            subscription_id: view.u32(0)?,
            reports,
            more_chunks: view.bool(3)?.unwrap_or(false),
            suppress_response: view.bool(4)?.unwrap_or(false),
            revision: view.u8(REVISION_TAG)?,
        })
    }

    /// The value of `path` in a complete (unchunked) report of that one attribute.
    pub fn single_value(&self, path: AttributePath) -> Result<&Member<'a>, ImError> {
        if self.more_chunks {
            return Err(ImError::Chunked("ReportData"));
        }
        let report = match self.reports.as_slice() {
            [one] => one,
            [] => return Err(ImError::Empty("AttributeReports")),
            more => {
                return Err(ImError::NotSingle {
                    what: "AttributeReports",
                    count: more.len(),
                });
            }
        };
        let (actual, value) = match report {
            AttributeReport::Data { path, data, .. } => (*path, Ok(data)),
            AttributeReport::Status { path, status } => (
                *path,
                Err(ImError::AttributeStatus {
                    path: *path,
                    status: *status,
                }),
            ),
        };
        if actual != path {
            return Err(ImError::UnexpectedAttribute {
                expected: path,
                actual,
            });
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::im::status::ImStatus;
    use proptest::prelude::*;

    const ON_OFF: AttributePath = AttributePath::new(1, 0x0006, 0x0000);

    #[test]
    fn read_request_bytes() {
        let bytes = encode_read_request(&[ON_OFF], true).unwrap();
        assert_eq!(
            bytes,
            [
                0x15, // {
                0x36, 0x00, // 0: [
                0x17, 0x24, 0x02, 0x01, 0x24, 0x03, 0x06, 0x24, 0x04, 0x00, 0x18, // list
                0x18, // ]
                0x29, 0x03, // 3: true
                0x24, 0xff, 0x0b, // 0xFF: 11
                0x18,
            ]
        );
        assert_eq!(
            encode_read_request(&[], false),
            Err(ImError::Empty("AttributeRequests"))
        );
    }

    /// `{ 1: [ { 1: { 0: 7, 1: [ep 1, cl 6, at 0], 2: <value> } } ], 4: true, 0xFF: 12 }`
    fn report(value: &[u8]) -> Vec<u8> {
        let mut out = vec![
            0x15, 0x36, 0x01, 0x15, 0x35, 0x01, 0x24, 0x00, 0x07, 0x37, 0x01, 0x24, 0x02, 0x01,
            0x24, 0x03, 0x06, 0x24, 0x04, 0x00, 0x18,
        ];
        out.extend_from_slice(value);
        out.extend_from_slice(&[0x18, 0x18, 0x18, 0x29, 0x04, 0x24, 0xff, 0x0c, 0x18]);
        out
    }

    #[test]
    fn decodes_an_on_off_report() {
        let bytes = report(&[0x28, 0x02]); // 2: false
        let data = ReportData::decode(&bytes).unwrap();
        assert!(data.suppress_response);
        assert!(!data.more_chunks);
        assert_eq!(data.revision, Some(12));
        assert_eq!(data.single_value(ON_OFF).unwrap().bool(), Ok(false));
        match &data.reports[0] {
            AttributeReport::Data { data_version, .. } => assert_eq!(*data_version, Some(7)),
            other => panic!("{other:?}"),
        }
        let on = report(&[0x29, 0x02]);
        let data = ReportData::decode(&on).unwrap();
        assert_eq!(data.single_value(ON_OFF).unwrap().bool(), Ok(true));
        // Asked for another attribute.
        assert!(matches!(
            data.single_value(AttributePath::new(1, 6, 0x4000)),
            Err(ImError::UnexpectedAttribute { .. })
        ));
    }

    #[test]
    fn attribute_status_and_shapes() {
        // { 1: [ { 0: { 0: [ep 1, cl 6, at 0], 1: { 0: 0x7e } } } ] }
        let denied = [
            0x15, 0x36, 0x01, 0x15, 0x35, 0x00, 0x37, 0x00, 0x24, 0x02, 0x01, 0x24, 0x03, 0x06,
            0x24, 0x04, 0x00, 0x18, 0x35, 0x01, 0x24, 0x00, 0x7e, 0x18, 0x18, 0x18, 0x18, 0x18,
        ];
        let data = ReportData::decode(&denied).unwrap();
        assert!(!data.suppress_response);
        match data.single_value(ON_OFF) {
            Err(ImError::AttributeStatus { status, .. }) => {
                assert_eq!(status.status, ImStatus::UNSUPPORTED_ACCESS)
            }
            other => panic!("{other:?}"),
        }
        // No reports at all.
        let none = ReportData::decode(&[0x15, 0x18]).unwrap();
        assert_eq!(
            none.single_value(ON_OFF),
            Err(ImError::Empty("AttributeReports"))
        );
        // Chunked.
        let chunked = ReportData::decode(&[0x15, 0x29, 0x03, 0x18]).unwrap();
        assert_eq!(
            chunked.single_value(ON_OFF),
            Err(ImError::Chunked("ReportData"))
        );
        // Both alternatives.
        assert_eq!(
            ReportData::decode(&[
                0x15, 0x36, 0x01, 0x15, 0x35, 0x00, 0x18, 0x35, 0x01, 0x18, 0x18, 0x18, 0x18
            ]),
            Err(ImError::Alternatives("AttributeReportIB"))
        );
        // Data without a value.
        let mut no_value = report(&[]);
        assert_eq!(
            ReportData::decode(&no_value),
            Err(ImError::Tlv(TlvError::MissingField(2)))
        );
        no_value.truncate(10);
        assert!(ReportData::decode(&no_value).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            if let Ok(data) = ReportData::decode(&bytes) {
                let _ = data.single_value(ON_OFF);
            }
        }
    }
}
