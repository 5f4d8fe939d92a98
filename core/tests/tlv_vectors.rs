//! Known-answer tests from tlv.json: every valid case decodes to its JSON value model and that
//! model re-encodes to exactly the given bytes; every malformed case is rejected.

mod common;

use paseo_core::tlv::{
    Data, SignedInt, Tag, TagNumber, TlvError, UnsignedInt, Value, Width, decode_element,
    encode_value,
};
use serde_json::Value as Json;

fn uint_field(json: &Json, field: &str) -> u64 {
    json[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} missing or not an unsigned number in {json}"))
}

fn width(json: &Json, field: &str) -> Width {
    match uint_field(json, field) {
        1 => Width::One,
        2 => Width::Two,
        4 => Width::Four,
        8 => Width::Eight,
        other => panic!("bad {field} {other} in {json}"),
    }
}

fn tag_number(json: &Json, field: &str) -> TagNumber {
    let number = uint_field(json, field);
    match uint_field(json, "width") {
        2 => TagNumber::Short(u16::try_from(number).expect("2-byte tag number")),
        4 => TagNumber::Long(u32::try_from(number).expect("4-byte tag number")),
        other => panic!("bad tag width {other} in {json}"),
    }
}

/// The JSON tag model: null, {context}, {common, width}, {implicit, width},
/// {vendor, profile, tag, width}.
fn tag_from_json(json: &Json) -> Tag {
    if json.is_null() {
        Tag::Anonymous
    } else if json.get("context").is_some() {
        Tag::Context(u8::try_from(uint_field(json, "context")).expect("context tag < 256"))
    } else if json.get("common").is_some() {
        Tag::CommonProfile(tag_number(json, "common"))
    } else if json.get("implicit").is_some() {
        Tag::ImplicitProfile(tag_number(json, "implicit"))
    } else if json.get("vendor").is_some() {
        Tag::FullyQualified {
            vendor: u16::try_from(uint_field(json, "vendor")).expect("vendor id"),
            profile: u16::try_from(uint_field(json, "profile")).expect("profile number"),
            tag: tag_number(json, "tag"),
        }
    } else {
        panic!("unknown tag model {json}")
    }
}

fn decimal<T: std::str::FromStr>(json: &Json) -> T
where
    T::Err: std::fmt::Debug,
{
    let text = json["value"]
        .as_str()
        .expect("integer value as a decimal string");
    text.parse()
        .unwrap_or_else(|e| panic!("{text} does not fit the stated width: {e:?}"))
}

fn hex_bits(json: &Json) -> u64 {
    let bits = json["bits"].as_str().expect("float bits as hex");
    u64::from_str_radix(bits, 16).expect("float bits are hex")
}

fn members(json: &Json) -> Vec<Value> {
    json["elements"]
        .as_array()
        .expect("container elements")
        .iter()
        .map(value_from_json)
        .collect()
}

/// The JSON value model {tag, type, ...} as an owned `Value`.
fn value_from_json(json: &Json) -> Value {
    let data = match json["type"].as_str().expect("type") {
        "int" => Data::Int(match width(json, "width") {
            Width::One => SignedInt::I8(decimal(json)),
            Width::Two => SignedInt::I16(decimal(json)),
            Width::Four => SignedInt::I32(decimal(json)),
            Width::Eight => SignedInt::I64(decimal(json)),
        }),
        "uint" => Data::UInt(match width(json, "width") {
            Width::One => UnsignedInt::U8(decimal(json)),
            Width::Two => UnsignedInt::U16(decimal(json)),
            Width::Four => UnsignedInt::U32(decimal(json)),
            Width::Eight => UnsignedInt::U64(decimal(json)),
        }),
        "bool" => Data::Bool(json["value"].as_bool().expect("bool value")),
        "float" => Data::F32 {
            bits: u32::try_from(hex_bits(json)).expect("8 hex digits"),
        },
        "double" => Data::F64 {
            bits: hex_bits(json),
        },
        "utf8" => Data::Utf8 {
            value: json["value"].as_str().expect("string value").to_owned(),
            len_width: width(json, "len_width"),
        },
        "bytes" => Data::Bytes {
            value: hex::decode(json["value"].as_str().expect("hex value")).expect("hex"),
            len_width: width(json, "len_width"),
        },
        "null" => Data::Null,
        "struct" => Data::Struct(members(json)),
        "array" => Data::Array(members(json)),
        "list" => Data::List(members(json)),
        other => panic!("unknown type {other}"),
    };
    Value::new(tag_from_json(&json["tag"]), data)
}

/// Whether `err` is the error the vector's informative `error_kind` names; unknown kinds only
/// need some error.
fn matches_kind(kind: Option<&str>, err: TlvError) -> bool {
    match kind {
        Some("truncated") => err == TlvError::Truncated,
        Some("unexpected_end") => err == TlvError::UnexpectedEnd,
        Some("trailing") => err == TlvError::TrailingBytes,
        Some("reserved_type") => matches!(err, TlvError::ReservedType(_)),
        Some("tagged_end") => err == TlvError::TaggedEnd,
        Some("depth_or_truncated") => {
            matches!(err, TlvError::DepthExceeded | TlvError::Truncated)
        }
        _ => true,
    }
}

#[test]
fn every_tlv_case() {
    let cases = common::cases("tlv.json");
    let (mut valid, mut invalid) = (0, 0);
    for case in &cases {
        let description = case["description"].as_str().unwrap_or("?");
        let encoded = common::hex_field(case, "encoded");
        if case["valid"].as_bool().expect("valid flag") {
            let expected = value_from_json(&case["value"]);
            assert_eq!(
                decode_element(&encoded).as_ref(),
                Ok(&expected),
                "decode: {description}"
            );
            assert_eq!(
                encode_value(&expected).as_deref(),
                Ok(&encoded[..]),
                "encode: {description}"
            );
            valid += 1;
        } else {
            let kind = case["error_kind"].as_str();
            match decode_element(&encoded) {
                Ok(value) => panic!("{description}: accepted as {value:?}"),
                Err(err) => assert!(
                    matches_kind(kind, err),
                    "{description}: expected {kind:?}, got {err:?}"
                ),
            }
            invalid += 1;
        }
    }
    assert_eq!(valid + invalid, cases.len());
    eprintln!("tlv.json: {valid} valid and {invalid} malformed cases pass");
}

#[test]
fn float_models_with_a_numeric_value_match_their_bits() {
    // The informative `value` of a float case, when it is a plain number, agrees with `bits`.
    let mut checked = 0;
    for case in common::cases("tlv.json") {
        let model = &case["value"];
        let Some(number) = model.get("value").and_then(Json::as_f64) else {
            continue;
        };
        match model["type"].as_str() {
            Some("float") => {
                let decoded = decode_element(&common::hex_field(&case, "encoded")).unwrap();
                let Data::F32 { bits } = decoded.data else {
                    panic!("not a float: {decoded:?}")
                };
                assert_eq!(f32::from_bits(bits), number as f32, "{case}");
                checked += 1;
            }
            Some("double") => {
                let decoded = decode_element(&common::hex_field(&case, "encoded")).unwrap();
                let Data::F64 { bits } = decoded.data else {
                    panic!("not a double: {decoded:?}")
                };
                assert_eq!(f64::from_bits(bits), number, "{case}");
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(checked > 0, "no float case with a numeric value");
}
