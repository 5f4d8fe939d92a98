//! Fuzzes the message header and, behind it, the protocol header: decoding must never
//! panic, and whatever decodes must re-encode to exactly the bytes it was decoded from.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paseo_core::codec::{Message, ProtocolMessage};

fuzz_target!(|data: &[u8]| {
    let strict = Message::decode(data);
    let Ok(msg) = Message::decode_permissive(data) else {
        assert!(
            strict.is_err(),
            "strict decode accepted what the layout decode rejected"
        );
        return;
    };

    let mut header = Vec::new();
    msg.header.encode(&mut header);
    assert_eq!(header, msg.header_bytes, "message header re-encode");
    assert_eq!(msg.header.encoded_len(), msg.header_bytes.len());
    assert_eq!(msg.header_bytes.len() + msg.payload.len(), data.len());
    // Strict decoding is the layout decode plus the Matter 1.3 §4.4.1 validity rules.
    assert_eq!(strict, msg.header.validate().map(|()| msg));

    // On the unsecured session the payload is the protocol header in clear; on a secure one
    // it is ciphertext, which is still a byte string the protocol decoder must survive.
    if let Ok(body) = ProtocolMessage::decode(msg.payload) {
        let mut plain = Vec::new();
        body.encode(&mut plain);
        assert_eq!(plain, msg.payload, "protocol header re-encode");
        assert_eq!(
            body.header.encoded_len() + body.payload.len(),
            msg.payload.len()
        );
        let _ = body.header.opcode_name();
    }
});
