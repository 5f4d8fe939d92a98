//! The stored form of the resumption records: one Matter TLV value holding every record, the
//! way matter.js keeps them under `sessions/resumptionRecords` (`session/SessionManager.ts`).
//!
//! ```text
//! { 0: format version (1),
//!   1: [ { 1: resumption id (16 bytes), 2: shared secret (32 bytes), 3: fabric index,
//!          4: fabric id, 5: peer node id, 6: [peer CATs], 7: peer session parameters } … ] }
//! ```

use zeroize::Zeroizing;

use crate::fabric::{FabricIndex, NodeId};
use crate::session::params::{ParamsError, SessionParameters};
use crate::session::resumption::{RESUMPTION_ID_LEN, ResumptionRecord, SHARED_SECRET_LEN};
use crate::tlv::{StructView, Tag, TlvError, Writer};

/// The format version written by this code.
pub const FORMAT_VERSION: u8 = 1;

/// Why stored records could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordsError {
    /// Malformed TLV or a field of the wrong type.
    #[error("{0}")]
    Tlv(#[from] TlvError),
    /// A format version this code does not know.
    #[error("unknown resumption record format version {0}")]
    UnknownVersion(u8),
    /// A field with the wrong length.
    #[error("record {index}: {field} has {len} bytes, expected {expected}")]
    BadLength {
        /// Position of the record in the stored array.
        index: usize,
        /// Field name.
        field: &'static str,
        /// Length found.
        len: usize,
        /// Length required.
        expected: usize,
    },
    /// Bad session parameters in a record.
    #[error("record {index}: {source}")]
    Params {
        /// Position of the record in the stored array.
        index: usize,
        /// The problem.
        source: ParamsError,
    },
}

/// Encodes every record (in the order given; the table iterates deterministically).
pub fn encode_records<'a>(records: impl Iterator<Item = &'a ResumptionRecord>) -> Vec<u8> {
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_uint(Tag::Context(0), u64::from(FORMAT_VERSION));
    w.start_array(Tag::Context(1));
    for r in records {
        w.start_struct(Tag::Anonymous);
        w.put_bytes(Tag::Context(1), &r.resumption_id);
        w.put_bytes(Tag::Context(2), r.shared_secret.as_slice());
        w.put_uint(Tag::Context(3), u64::from(r.fabric_index.0));
        w.put_uint(Tag::Context(4), r.fabric_id);
        w.put_uint(Tag::Context(5), r.peer_node_id.0);
        w.start_array(Tag::Context(6));
        for cat in &r.peer_cats {
            w.put_uint(Tag::Anonymous, u64::from(*cat));
        }
        w.end_container();
        r.peer_parameters.encode(&mut w, Tag::Context(7));
        w.end_container();
    }
    w.end_container();
    w.end_container();
    // Every container opened above is closed above, so finishing cannot fail; an empty value
    // would only make the next load report corruption, never lose in-memory records.
    w.finish().unwrap_or_default()
}

/// Decodes what [`encode_records`] wrote; any defect is an error and nothing is returned.
pub fn decode_records(bytes: &[u8]) -> Result<Vec<ResumptionRecord>, RecordsError> {
    let top = StructView::parse_anonymous(bytes)?;
    let version = top.required_u8(0)?;
    if version != FORMAT_VERSION {
        return Err(RecordsError::UnknownVersion(version));
    }
    let array = top.required_array(1)?;
    let mut records = Vec::with_capacity(array.members().len());
    for (index, member) in array.members().iter().enumerate() {
        let s = member.structure()?;
        let resumption_id =
            fixed::<RESUMPTION_ID_LEN>(index, "resumption id", s.required_bytes(1)?)?;
        let secret = fixed::<SHARED_SECRET_LEN>(index, "shared secret", s.required_bytes(2)?)?;
        let mut peer_cats = Vec::new();
        for cat in s.required_array(6)?.members() {
            peer_cats.push(cat.u32()?);
        }
        let peer_parameters = match s.structure(7)? {
            Some(view) => SessionParameters::decode(&view)
                .map_err(|source| RecordsError::Params { index, source })?,
            None => SessionParameters::default(),
        };
        records.push(ResumptionRecord {
            resumption_id,
            shared_secret: Zeroizing::new(secret),
            fabric_index: FabricIndex(s.required_u8(3)?),
            fabric_id: s.required_u64(4)?,
            peer_node_id: NodeId(s.required_u64(5)?),
            peer_cats,
            peer_parameters,
        });
    }
    Ok(records)
}

fn fixed<const N: usize>(
    index: usize,
    field: &'static str,
    bytes: &[u8],
) -> Result<[u8; N], RecordsError> {
    bytes.try_into().map_err(|_| RecordsError::BadLength {
        index,
        field,
        len: bytes.len(),
        expected: N,
    })
}
