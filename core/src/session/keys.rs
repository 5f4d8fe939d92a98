//! Session keys from a handshake's shared secret (Matter 1.3 §4.14.1, §4.14.2).
//!
//! `I2RKey ‖ R2IKey ‖ AttestationChallenge = HKDF-SHA256(secret, salt, info, 48)`, where the
//! info is "SessionKeys" for PASE and full CASE and "SessionResumptionKeys" for a resumed
//! CASE session. The initiator encrypts with I2R and decrypts with R2I; the responder the
//! reverse.

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::{Aes128CcmKey, hkdf_sha256};
use crate::session::error::SessionError;

/// HKDF info for PASE and full CASE session keys.
pub const SESSION_KEYS_INFO: &[u8] = b"SessionKeys";
/// HKDF info for resumed CASE session keys.
pub const SESSION_RESUMPTION_KEYS_INFO: &[u8] = b"SessionResumptionKeys";

/// The three 16-byte outputs of the session key derivation, in wire order.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionKeyMaterial {
    /// Initiator-to-responder key.
    pub i2r: [u8; 16],
    /// Responder-to-initiator key.
    pub r2i: [u8; 16],
    /// Attestation challenge (used by commissioning, not by the session layer).
    pub attestation_challenge: [u8; 16],
}

impl SessionKeyMaterial {
    /// Derives the keys; `is_resumption` picks the HKDF info string.
    pub fn derive(
        shared_secret: &[u8],
        salt: &[u8],
        is_resumption: bool,
    ) -> Result<Self, SessionError> {
        let info = if is_resumption {
            SESSION_RESUMPTION_KEYS_INFO
        } else {
            SESSION_KEYS_INFO
        };
        let mut okm = zeroize::Zeroizing::new([0u8; 48]);
        hkdf_sha256(shared_secret, salt, info, okm.as_mut_slice())
            .map_err(|_| SessionError::KeyDerivation)?;
        let mut keys = SessionKeyMaterial {
            i2r: [0; 16],
            r2i: [0; 16],
            attestation_challenge: [0; 16],
        };
        keys.i2r.copy_from_slice(&okm[..16]);
        keys.r2i.copy_from_slice(&okm[16..32]);
        keys.attestation_challenge.copy_from_slice(&okm[32..]);
        Ok(keys)
    }
}

/// The keys one side of a session uses, picked by role.
pub struct SessionKeys {
    /// Key for messages we send.
    pub encrypt: Aes128CcmKey,
    /// Key for messages we receive.
    pub decrypt: Aes128CcmKey,
    /// The attestation challenge.
    pub attestation_challenge: zeroize::Zeroizing<[u8; 16]>,
}

impl SessionKeys {
    /// Picks encrypt/decrypt keys for our role.
    pub fn for_role(material: &SessionKeyMaterial, is_initiator: bool) -> Self {
        let (encrypt, decrypt) = if is_initiator {
            (material.i2r, material.r2i)
        } else {
            (material.r2i, material.i2r)
        };
        SessionKeys {
            encrypt: Aes128CcmKey::new(&encrypt),
            decrypt: Aes128CcmKey::new(&decrypt),
            attestation_challenge: zeroize::Zeroizing::new(material.attestation_challenge),
        }
    }
}

/// One session's keys as a diagnostic key log line, so a capture of its traffic can be
/// decrypted outside the node (Wireshark's Matter dissector in `tools/wireshark/`, `paseo
/// decode --keylog`). Only the simulator and test harnesses, which own both ends, write these;
/// a trace never contains them.
///
/// The line (one per session, fields separated by single spaces):
///
/// ```text
/// MATTER_SESSION initiator_sid=<u16> responder_sid=<u16> initiator_node=<16 hex> responder_node=<16 hex> I2R=<32 hex> R2I=<32 hex>
/// ```
///
/// `initiator_sid` is the initiator's local session id (the responder's messages carry it);
/// `responder_sid` the responder's. The node ids are the ones the AES-CCM nonce takes for each
/// sender (0 for PASE), Matter Core Specification §4.8.1.1.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct KeyLogEntry {
    /// The initiator's local session id.
    pub initiator_session_id: u16,
    /// The responder's local session id.
    pub responder_session_id: u16,
    /// The initiator's nonce node id.
    pub initiator_node_id: u64,
    /// The responder's nonce node id.
    pub responder_node_id: u64,
    /// Initiator-to-responder key.
    pub i2r: [u8; 16],
    /// Responder-to-initiator key.
    pub r2i: [u8; 16],
}

/// The first word of a key log line.
pub const KEYLOG_LABEL: &str = "MATTER_SESSION";

/// Why a key log line did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyLogError {
    /// The line does not start with [`KEYLOG_LABEL`].
    #[error("a key log line starts with {KEYLOG_LABEL}")]
    Label,
    /// A field is missing.
    #[error("missing field {0}=")]
    Missing(&'static str),
    /// A field's value is not what it should be.
    #[error("bad value for {0}=")]
    Value(&'static str),
}

impl KeyLogEntry {
    /// The line, without a line break.
    pub fn line(&self) -> String {
        format!(
            "{KEYLOG_LABEL} initiator_sid={} responder_sid={} initiator_node={:016x} responder_node={:016x} I2R={} R2I={}",
            self.initiator_session_id,
            self.responder_session_id,
            self.initiator_node_id,
            self.responder_node_id,
            hex16(&self.i2r),
            hex16(&self.r2i),
        )
    }

    /// Parses a line written by [`KeyLogEntry::line`] (fields in any order).
    pub fn parse(line: &str) -> Result<Self, KeyLogError> {
        let mut words = line.split_whitespace();
        if words.next() != Some(KEYLOG_LABEL) {
            return Err(KeyLogError::Label);
        }
        let fields: Vec<(&str, &str)> = words.filter_map(|w| w.split_once('=')).collect();
        let get = |name: &'static str| {
            fields
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| *v)
                .ok_or(KeyLogError::Missing(name))
        };
        let sid = |name: &'static str| {
            get(name)?
                .parse::<u16>()
                .map_err(|_| KeyLogError::Value(name))
        };
        let node = |name: &'static str| {
            u64::from_str_radix(get(name)?, 16).map_err(|_| KeyLogError::Value(name))
        };
        let key = |name: &'static str| {
            let text = get(name)?;
            let mut out = [0u8; 16];
            if text.len() != 32 || !text.is_ascii() {
                return Err(KeyLogError::Value(name));
            }
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = text
                    .get(2 * i..2 * i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(KeyLogError::Value(name))?;
            }
            Ok(out)
        };
        Ok(KeyLogEntry {
            initiator_session_id: sid("initiator_sid")?,
            responder_session_id: sid("responder_sid")?,
            initiator_node_id: node("initiator_node")?,
            responder_node_id: node("responder_node")?,
            i2r: key("I2R")?,
            r2i: key("R2I")?,
        })
    }
}

impl KeyLogEntry {
    /// Decrypts `message` if it belongs to this session: I2R with the initiator's node id in
    /// the nonce when its header names the responder's session id, R2I with the responder's
    /// when it names the initiator's. `None` when it names neither or does not authenticate.
    pub fn open(&self, message: &crate::codec::Message<'_>) -> Option<Vec<u8>> {
        let header = &message.header;
        let mut tries = Vec::with_capacity(2);
        if header.session_id == self.responder_session_id {
            tries.push((&self.i2r, self.initiator_node_id));
        }
        if header.session_id == self.initiator_session_id {
            tries.push((&self.r2i, self.responder_node_id));
        }
        tries.into_iter().find_map(|(key, node)| {
            let nonce =
                crate::codec::message_nonce(header.security_flags(), header.message_counter, node);
            Aes128CcmKey::new(key)
                .decrypt(&nonce, message.header_bytes, message.payload)
                .ok()
        })
    }
}

impl core::fmt::Debug for KeyLogEntry {
    /// Never prints key material.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyLogEntry")
            .field("initiator_session_id", &self.initiator_session_id)
            .field("responder_session_id", &self.responder_session_id)
            .finish_non_exhaustive()
    }
}

fn hex16(bytes: &[u8; 16]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod keylog_tests {
    use super::*;

    fn entry() -> KeyLogEntry {
        KeyLogEntry {
            initiator_session_id: 4660,
            responder_session_id: 1,
            initiator_node_id: 0x0102_0304_0506_0708,
            responder_node_id: 0,
            i2r: [0xab; 16],
            r2i: core::array::from_fn(|i| i as u8),
        }
    }

    #[test]
    fn line_round_trips() {
        let line = entry().line();
        assert_eq!(
            line,
            "MATTER_SESSION initiator_sid=4660 responder_sid=1 initiator_node=0102030405060708 \
             responder_node=0000000000000000 I2R=abababababababababababababababab \
             R2I=000102030405060708090a0b0c0d0e0f"
        );
        assert_eq!(KeyLogEntry::parse(&line), Ok(entry()));
    }

    #[test]
    fn bad_lines_are_typed_errors() {
        assert_eq!(
            KeyLogEntry::parse("CLIENT_RANDOM x y"),
            Err(KeyLogError::Label)
        );
        let line = entry().line();
        assert_eq!(
            KeyLogEntry::parse(&line.replace(" I2R=", " X=")),
            Err(KeyLogError::Missing("I2R"))
        );
        assert_eq!(
            KeyLogEntry::parse(&line.replace("I2R=ab", "I2R=")),
            Err(KeyLogError::Value("I2R"))
        );
        assert_eq!(
            KeyLogEntry::parse(&line.replace("I2R=ab", "I2R=é")),
            Err(KeyLogError::Value("I2R"))
        );
        assert_eq!(
            KeyLogEntry::parse(&line.replace("=4660", "=70000")),
            Err(KeyLogError::Value("initiator_sid"))
        );
    }
}
