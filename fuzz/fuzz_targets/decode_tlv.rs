//! Fuzz the TLV decoders: no input may panic, and any input `decode_element` accepts must
//! re-encode to exactly the same bytes (widths and member order are kept in the tree).

#![no_main]

use libfuzzer_sys::fuzz_target;
use paseo_core::tlv::{Reader, StructView, TlvError, decode_element, encode_value};

fuzz_target!(|data: &[u8]| {
    let decoded = decode_element(data);
    if let Ok(value) = &decoded {
        let again = encode_value(value).expect("a decoded tree re-encodes");
        assert_eq!(again, data, "re-encoding changed the bytes");
    }

    // The pull reader over the same bytes ends (None or an error) without panicking.
    let mut reader = Reader::new(data);
    while let Ok(Some(_)) = reader.next() {}

    // The structure view accepts only what the tree decoder accepts, except duplicate tags
    // inside nested structures, which it reports only when such a structure is opened.
    if StructView::parse(data).is_ok() {
        assert!(
            matches!(decoded, Ok(_) | Err(TlvError::DuplicateTag(_))),
            "view accepted bytes the decoder rejects: {decoded:?}"
        );
    }
});
