//! Fuzz the TLV decoders: no input may panic, and any input `decode_element` accepts must
//! re-encode to exactly the same bytes (widths and member order are kept in the tree).

#![no_main]

use libfuzzer_sys::fuzz_target;
use paseo_core::tlv::{Reader, StructView, decode_element, encode_value};

fuzz_target!(|data: &[u8]| {
    let decoded = decode_element(data);
    if let Ok(value) = &decoded {
        let again = encode_value(value).expect("a decoded tree re-encodes");
        assert_eq!(again, data, "re-encoding changed the bytes");
    }

    // The pull reader over the same bytes ends (None or an error) without panicking.
    let mut reader = Reader::new(data);
    while let Ok(Some(_)) = reader.next() {}

    // The structure view accepts only what the tree decoder accepts.
    if StructView::parse(data).is_ok() {
        assert!(decoded.is_ok(), "view accepted bytes the decoder rejects");
    }
});
