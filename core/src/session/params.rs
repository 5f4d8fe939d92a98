//! The session-parameter struct exchanged in PBKDFParamRequest/Response, Sigma1, Sigma2 and
//! Sigma2_Resume (Matter 1.3 §4.12.8): MRP intervals plus the peer's revisions.

use core::time::Duration;

use crate::mrp::{MrpError, MrpParameters};
use crate::tlv::{StructView, Tag, TlvError, Writer};

/// Context tags of the session-parameter struct (Matter 1.3 §4.12.8).
mod tag {
    pub const IDLE_INTERVAL: u8 = 1;
    pub const ACTIVE_INTERVAL: u8 = 2;
    pub const ACTIVE_THRESHOLD: u8 = 3;
    pub const DATA_MODEL_REVISION: u8 = 4;
    pub const INTERACTION_MODEL_REVISION: u8 = 5;
    pub const SPECIFICATION_VERSION: u8 = 6;
    pub const MAX_PATHS_PER_INVOKE: u8 = 7;
    pub const SUPPORTED_TRANSPORTS: u8 = 8;
    pub const MAX_TCP_MESSAGE_SIZE: u8 = 9;
}

/// A peer's (or our own advertised) session parameters. Absent fields take the Matter 1.3 §4.12.8
/// defaults for MRP and stay `None` for the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SessionParameters {
    /// SII / SAI / SAT.
    pub mrp: MrpParameters,
    /// DATA_MODEL_REVISION (tag 4).
    pub data_model_revision: Option<u16>,
    /// INTERACTION_MODEL_REVISION (tag 5).
    pub interaction_model_revision: Option<u16>,
    /// SPECIFICATION_VERSION (tag 6).
    pub specification_version: Option<u32>,
    /// MAX_PATHS_PER_INVOKE (tag 7).
    pub max_paths_per_invoke: Option<u16>,
    /// SUPPORTED_TRANSPORTS bitmap (tag 8).
    pub supported_transports: Option<u16>,
    /// MAX_TCP_MESSAGE_SIZE (tag 9).
    pub max_tcp_message_size: Option<u32>,
}

/// Why a session-parameter struct was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// The TLV was malformed or a field had the wrong type or range.
    #[error("session parameters: {0}")]
    Tlv(#[from] TlvError),
    /// An interval or threshold outside the MRP limits (Matter 1.3 §4.12.8).
    #[error("session parameters: {0}")]
    Mrp(#[from] MrpError),
}

impl SessionParameters {
    /// What paseo advertises: the MRP defaults and the revisions of Matter 1.3, sent
    /// explicitly so peers do not fall back to their pre-1.3 assumptions (matter.js
    /// `session/Session.ts`).
    pub fn paseo_default() -> Self {
        SessionParameters {
            mrp: MrpParameters::default(),
            data_model_revision: Some(17),
            interaction_model_revision: Some(11),
            specification_version: Some(0x0103_0000),
            max_paths_per_invoke: Some(1),
            supported_transports: None,
            max_tcp_message_size: None,
        }
    }

    /// Parameters with the given MRP values and no revisions.
    pub fn with_mrp(mrp: MrpParameters) -> Self {
        SessionParameters {
            mrp,
            ..Self::default()
        }
    }

    /// Writes the struct under `tag` (members in canonical ascending order, Matter 1.3 Appendix A).
    pub fn encode(&self, writer: &mut Writer, tag: Tag) {
        writer.start_struct(tag);
        writer.put_uint(
            Tag::Context(tag::IDLE_INTERVAL),
            millis(self.mrp.idle_interval()),
        );
        writer.put_uint(
            Tag::Context(tag::ACTIVE_INTERVAL),
            millis(self.mrp.active_interval()),
        );
        writer.put_uint(
            Tag::Context(tag::ACTIVE_THRESHOLD),
            millis(self.mrp.active_threshold()),
        );
        let optional = [
            (
                tag::DATA_MODEL_REVISION,
                self.data_model_revision.map(u64::from),
            ),
            (
                tag::INTERACTION_MODEL_REVISION,
                self.interaction_model_revision.map(u64::from),
            ),
            (
                tag::SPECIFICATION_VERSION,
                self.specification_version.map(u64::from),
            ),
            (
                tag::MAX_PATHS_PER_INVOKE,
                self.max_paths_per_invoke.map(u64::from),
            ),
            (
                tag::SUPPORTED_TRANSPORTS,
                self.supported_transports.map(u64::from),
            ),
            (
                tag::MAX_TCP_MESSAGE_SIZE,
                self.max_tcp_message_size.map(u64::from),
            ),
        ];
        for (t, value) in optional {
            if let Some(value) = value {
                writer.put_uint(Tag::Context(t), value);
            }
        }
        writer.end_container();
    }

    /// Reads the struct; unknown context tags are skipped (forward compatibility, Matter 1.3
    /// Appendix A).
    pub fn decode(view: &StructView<'_>) -> Result<Self, ParamsError> {
        let defaults = MrpParameters::default();
        let idle = view
            .u32(tag::IDLE_INTERVAL)?
            .map_or(defaults.idle_interval(), ms);
        let active = view
            .u32(tag::ACTIVE_INTERVAL)?
            .map_or(defaults.active_interval(), ms);
        let threshold = view
            .u16(tag::ACTIVE_THRESHOLD)?
            .map_or(defaults.active_threshold(), |v| ms(u32::from(v)));
        Ok(SessionParameters {
            mrp: MrpParameters::new(idle, active, threshold)?,
            data_model_revision: view.u16(tag::DATA_MODEL_REVISION)?,
            interaction_model_revision: view.u16(tag::INTERACTION_MODEL_REVISION)?,
            specification_version: view.u32(tag::SPECIFICATION_VERSION)?,
            max_paths_per_invoke: view.u16(tag::MAX_PATHS_PER_INVOKE)?,
            supported_transports: view.u16(tag::SUPPORTED_TRANSPORTS)?,
            max_tcp_message_size: view.u32(tag::MAX_TCP_MESSAGE_SIZE)?,
        })
    }
}

fn ms(value: u32) -> Duration {
    Duration::from_millis(u64::from(value))
}

/// Whole milliseconds of a validated MRP duration (≤ 1 h, so it fits easily).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(p: &SessionParameters) -> SessionParameters {
        let mut w = Writer::new();
        p.encode(&mut w, Tag::Anonymous);
        let bytes = w.finish().expect("balanced");
        SessionParameters::decode(&StructView::parse(&bytes).expect("struct")).expect("valid")
    }

    #[test]
    fn round_trips_every_field() {
        let p = SessionParameters {
            mrp: MrpParameters::from_millis(5000, 250, 10_000).expect("in range"),
            data_model_revision: Some(21),
            interaction_model_revision: Some(12),
            specification_version: Some(0x0106_0000),
            max_paths_per_invoke: Some(10),
            supported_transports: Some(0),
            max_tcp_message_size: Some(64_000),
        };
        assert_eq!(roundtrip(&p), p);
        assert_eq!(
            roundtrip(&SessionParameters::paseo_default()),
            SessionParameters::paseo_default()
        );
    }

    #[test]
    fn absent_fields_take_the_defaults() {
        // An empty anonymous struct.
        let p = SessionParameters::decode(&StructView::parse(&[0x15, 0x18]).expect("struct"))
            .expect("valid");
        assert_eq!(p, SessionParameters::default());
        assert_eq!(p.mrp.idle_interval(), Duration::from_millis(500));
    }

    #[test]
    fn decodes_what_matter_js_sends_and_skips_unknown_tags() {
        // matter.js 0.17.9 device parameters (Matter 1.3 §4.12.8) plus an unknown tag 10 = 7.
        let bytes = hex("152501f40125022c012503a00f24041524050c26060000060124070a240800240a0718");
        let p =
            SessionParameters::decode(&StructView::parse(&bytes).expect("struct")).expect("valid");
        assert_eq!(
            p.mrp,
            MrpParameters::from_millis(500, 300, 4000).expect("in range")
        );
        assert_eq!(p.data_model_revision, Some(21));
        assert_eq!(p.interaction_model_revision, Some(12));
        assert_eq!(p.specification_version, Some(0x0106_0000));
        assert_eq!(p.max_paths_per_invoke, Some(10));
        assert_eq!(p.supported_transports, Some(0));
    }

    #[test]
    fn rejects_out_of_range_values() {
        // idle interval 3_600_001 ms (> 1 h)
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_uint(Tag::Context(1), 3_600_001);
        w.end_container();
        let bytes = w.finish().expect("balanced");
        let err = SessionParameters::decode(&StructView::parse(&bytes).expect("struct"));
        assert!(matches!(err, Err(ParamsError::Mrp(_))), "{err:?}");
        // active threshold as a u32 beyond u16
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_uint(Tag::Context(3), 70_000);
        w.end_container();
        let bytes = w.finish().expect("balanced");
        let err = SessionParameters::decode(&StructView::parse(&bytes).expect("struct"));
        assert!(matches!(err, Err(ParamsError::Tlv(_))), "{err:?}");
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }
}
