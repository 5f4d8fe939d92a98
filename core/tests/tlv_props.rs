//! Property tests for Matter TLV: owned trees round-trip through the encoder and decoder,
//! arbitrary or corrupted bytes never panic and, when accepted, re-encode identically, and the
//! writer and structure view honour the width rules of Matter 1.3 Appendix A.

use paseo_core::tlv::{
    Data, Reader, SignedInt, StructView, Tag, TagNumber, TlvError, UnsignedInt, Value, Width,
    Writer, decode_element, encode_value,
};
use proptest::collection::vec;
use proptest::prelude::*;

fn arb_tag_number() -> impl Strategy<Value = TagNumber> + Clone {
    prop_oneof![
        any::<u16>().prop_map(TagNumber::Short),
        any::<u32>().prop_map(TagNumber::Long),
    ]
}

fn arb_tag() -> impl Strategy<Value = Tag> + Clone {
    prop_oneof![
        Just(Tag::Anonymous),
        any::<u8>().prop_map(Tag::Context),
        arb_tag_number().prop_map(Tag::CommonProfile),
        arb_tag_number().prop_map(Tag::ImplicitProfile),
        (any::<u16>(), any::<u16>(), arb_tag_number()).prop_map(|(vendor, profile, tag)| {
            Tag::FullyQualified {
                vendor,
                profile,
                tag,
            }
        }),
    ]
}

fn arb_width() -> impl Strategy<Value = Width> {
    prop_oneof![
        Just(Width::One),
        Just(Width::Two),
        Just(Width::Four),
        Just(Width::Eight)
    ]
}

fn arb_leaf() -> impl Strategy<Value = Data> {
    prop_oneof![
        any::<i8>().prop_map(|v| Data::Int(SignedInt::I8(v))),
        any::<i16>().prop_map(|v| Data::Int(SignedInt::I16(v))),
        any::<i32>().prop_map(|v| Data::Int(SignedInt::I32(v))),
        any::<i64>().prop_map(|v| Data::Int(SignedInt::I64(v))),
        any::<u8>().prop_map(|v| Data::UInt(UnsignedInt::U8(v))),
        any::<u16>().prop_map(|v| Data::UInt(UnsignedInt::U16(v))),
        any::<u32>().prop_map(|v| Data::UInt(UnsignedInt::U32(v))),
        any::<u64>().prop_map(|v| Data::UInt(UnsignedInt::U64(v))),
        any::<bool>().prop_map(Data::Bool),
        any::<u32>().prop_map(|bits| Data::F32 { bits }),
        any::<u64>().prop_map(|bits| Data::F64 { bits }),
        // At most 60 bytes, so every length width holds the length.
        ("\\PC{0,15}", arb_width()).prop_map(|(value, len_width)| Data::Utf8 { value, len_width }),
        (vec(any::<u8>(), 0..40), arb_width())
            .prop_map(|(value, len_width)| Data::Bytes { value, len_width }),
        Just(Data::Null),
    ]
}

/// Structure members need a tag, unique by member identity (width aside): drop the others.
fn struct_members(candidates: Vec<(Tag, Data)>) -> Vec<Value> {
    let mut members: Vec<Value> = Vec::new();
    for (tag, data) in candidates {
        if !tag.is_anonymous() && !members.iter().any(|m| m.tag.same_member(tag)) {
            members.push(Value::new(tag, data));
        }
    }
    members
}

fn arb_data() -> impl Strategy<Value = Data> {
    arb_leaf().prop_recursive(6, 96, 8, |inner| {
        let member = (arb_tag(), inner.clone());
        prop_oneof![
            vec(member.clone(), 0..8).prop_map(|m| Data::Struct(struct_members(m))),
            vec(inner, 0..8).prop_map(|items| Data::Array(
                items
                    .into_iter()
                    .map(|d| Value::new(Tag::Anonymous, d))
                    .collect()
            )),
            vec(member, 0..8)
                .prop_map(|m| Data::List(m.into_iter().map(|(t, d)| Value::new(t, d)).collect())),
        ]
    })
}

fn arb_value() -> impl Strategy<Value = Value> {
    (arb_tag(), arb_data()).prop_map(|(tag, data)| Value::new(tag, data))
}

/// Decoding must never panic; whatever it accepts must re-encode to the same bytes, and every
/// other entry point must agree with it on acceptance.
fn check_any_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
    let decoded = decode_element(bytes);
    if let Ok(value) = &decoded {
        let again = encode_value(value);
        prop_assert_eq!(again.as_deref(), Ok(bytes));
    }
    // Walk the same bytes with the pull reader: it stops with None or an error, never loops.
    let mut reader = Reader::new(bytes);
    let mut steps = 0usize;
    while let Ok(Some(_)) = reader.next() {
        steps += 1;
        prop_assert!(steps <= bytes.len());
    }
    match StructView::parse(bytes) {
        // The view checks duplicate tags of nested structures only when they are opened, so
        // the tree decoder may still reject what it accepts, but for no other reason.
        Ok(_) if decoded.is_err() => {
            prop_assert!(matches!(decoded, Err(TlvError::DuplicateTag(_))));
        }
        Ok(view) => {
            let value = decoded.expect("checked just above");
            let members = value.data.members().expect("a structure has members");
            prop_assert_eq!(view.members().len(), members.len());
            for (member, expected) in view.members().iter().zip(members) {
                prop_assert_eq!(member.tag, expected.tag);
                let alone = decode_element(member.raw);
                prop_assert_eq!(alone.as_ref(), Ok(expected));
            }
        }
        Err(_) => {
            if let Ok(value) = decoded {
                prop_assert!(!matches!(value.data, Data::Struct(_)));
            }
        }
    }
    Ok(())
}

/// Smallest n in 1, 2, 4, 8 with `bits_needed <= 8n`.
fn smallest_width(bits_needed: u32) -> usize {
    [1usize, 2, 4, 8]
        .into_iter()
        .find(|n| bits_needed as usize <= 8 * n)
        .unwrap_or(8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_gives_the_same_tree(value in arb_value()) {
        let bytes = encode_value(&value).expect("generated trees follow the rules");
        prop_assert_eq!(decode_element(&bytes), Ok(value));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..64)) {
        check_any_bytes(&bytes)?;
    }

    #[test]
    fn corrupted_encodings_never_panic(
        value in arb_value(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = encode_value(&value).expect("generated trees follow the rules");
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        check_any_bytes(&bytes)?;
    }

    #[test]
    fn writer_picks_the_smallest_unsigned_width(v in any::<u64>()) {
        let mut w = Writer::new();
        w.put_uint(Tag::Anonymous, v);
        let bytes = w.finish().unwrap();
        let width = smallest_width(64 - v.leading_zeros());
        prop_assert_eq!(bytes.len(), 1 + width);
        let decoded = decode_element(&bytes).unwrap();
        let Data::UInt(u) = decoded.data else { panic!("not unsigned: {decoded:?}") };
        prop_assert_eq!(u.get(), v);
    }

    #[test]
    fn writer_picks_the_smallest_signed_width(v in any::<i64>()) {
        let mut w = Writer::new();
        w.put_int(Tag::Anonymous, v);
        let bytes = w.finish().unwrap();
        // Two's complement needs the magnitude bits plus a sign bit.
        let magnitude = if v < 0 { !v } else { v };
        let width = smallest_width(64 - magnitude.leading_zeros() + 1);
        prop_assert_eq!(bytes.len(), 1 + width);
        let decoded = decode_element(&bytes).unwrap();
        let Data::Int(i) = decoded.data else { panic!("not signed: {decoded:?}") };
        prop_assert_eq!(i.get(), v);
    }

    #[test]
    fn writer_picks_the_smallest_length_width(len in 0usize..70_000) {
        let mut w = Writer::new();
        w.put_bytes(Tag::Anonymous, &vec![0x5a; len]);
        let bytes = w.finish().unwrap();
        let len_field = if len < 256 { 1 } else if len < 65_536 { 2 } else { 4 };
        prop_assert_eq!(bytes.len(), 1 + len_field + len);
    }

    #[test]
    fn struct_getters_accept_any_width_and_range_check(v in any::<u64>(), wide in any::<bool>()) {
        // Encode v in its minimal width or in 8 bytes: the getters must not care (Matter 1.3
        // Appendix A).
        let encoded_as = if wide { UnsignedInt::U64(v) } else { UnsignedInt::minimal(v) };
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_uint_exact(Tag::Context(1), encoded_as);
        w.end_container();
        let bytes = w.finish().unwrap();
        let view = StructView::parse(&bytes).unwrap();
        let out_of_range = TlvError::OutOfRange { tag: Tag::Context(1) };
        prop_assert_eq!(view.u64(1), Ok(Some(v)));
        prop_assert_eq!(view.u32(1), u32::try_from(v).map(Some).map_err(|_| out_of_range));
        prop_assert_eq!(view.u16(1), u16::try_from(v).map(Some).map_err(|_| out_of_range));
        prop_assert_eq!(view.u8(1), u8::try_from(v).map(Some).map_err(|_| out_of_range));
    }
}
