//! Field readers shared by the Sigma messages and the inner structures: fixed-length octet
//! strings, session ids and the session-parameter struct, each with the exact checks of
//! Matter 1.3 §4.14.2.3.

use super::error::CaseError;
use crate::session::params::SessionParameters;
use crate::tlv::{StructView, Tag, Writer};

/// A required octet string of exactly `N` bytes.
pub(super) fn fixed<const N: usize>(
    view: &StructView<'_>,
    ctx: u8,
    field: &'static str,
) -> Result<[u8; N], CaseError> {
    exact(view.required_bytes(ctx)?, field)
}

/// An optional octet string that, when present, has exactly `N` bytes.
pub(super) fn optional_fixed<const N: usize>(
    view: &StructView<'_>,
    ctx: u8,
    field: &'static str,
) -> Result<Option<[u8; N]>, CaseError> {
    view.bytes(ctx)?
        .map(|bytes| exact(bytes, field))
        .transpose()
}

fn exact<const N: usize>(bytes: &[u8], field: &'static str) -> Result<[u8; N], CaseError> {
    bytes.try_into().map_err(|_| CaseError::WrongLength {
        field,
        expected: N,
        actual: bytes.len(),
    })
}

/// A required octet string of at least `min` bytes (encrypted2/encrypted3 end with a MIC).
pub(super) fn at_least(
    view: &StructView<'_>,
    ctx: u8,
    min: usize,
    field: &'static str,
) -> Result<Vec<u8>, CaseError> {
    let bytes = view.required_bytes(ctx)?;
    check_at_least(bytes, min, field)?;
    Ok(bytes.to_vec())
}

/// Rejects `bytes` shorter than `min`.
pub(super) fn check_at_least(
    bytes: &[u8],
    min: usize,
    field: &'static str,
) -> Result<(), CaseError> {
    if bytes.len() < min {
        return Err(CaseError::TooShort {
            field,
            min,
            actual: bytes.len(),
        });
    }
    Ok(())
}

/// A required, non-zero u16 session id (any integer width on the wire, Matter 1.3 Appendix A; 0
/// rejected, matter.js `session/SessionManager.ts`).
pub(super) fn session_id(
    view: &StructView<'_>,
    ctx: u8,
    field: &'static str,
) -> Result<u16, CaseError> {
    let id = view.required_u16(ctx)?;
    check_session_id(id, field)?;
    Ok(id)
}

/// Rejects session id 0 (matter.js `session/SessionManager.ts`).
pub(super) fn check_session_id(id: u16, field: &'static str) -> Result<(), CaseError> {
    if id == 0 {
        return Err(CaseError::ZeroSessionId { field });
    }
    Ok(())
}

/// An optional session-parameter struct (Matter 1.3 §4.12.8); unknown tags inside it are ignored.
pub(super) fn session_params(
    view: &StructView<'_>,
    ctx: u8,
) -> Result<Option<SessionParameters>, CaseError> {
    // Opened straight from the member rather than through `StructView::structure`, whose
    // Result<Option<StructView>> layers each copy the view's inline member list.
    match view.member(ctx) {
        Some(member) => Ok(Some(SessionParameters::decode(&member.structure()?)?)),
        None => Ok(None),
    }
}

/// Writes an optional session-parameter struct under context tag `ctx`.
pub(super) fn put_session_params(writer: &mut Writer, ctx: u8, params: Option<&SessionParameters>) {
    if let Some(params) = params {
        params.encode(writer, Tag::Context(ctx));
    }
}

/// Writes an optional octet string under context tag `ctx`.
pub(super) fn put_optional_bytes(writer: &mut Writer, ctx: u8, bytes: Option<&[u8]>) {
    if let Some(bytes) = bytes {
        writer.put_bytes(Tag::Context(ctx), bytes);
    }
}
