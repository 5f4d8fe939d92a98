//! Property tests for the message codec: generated headers round-trip, arbitrary bytes never
//! panic, and whatever decodes re-encodes to exactly the bytes it came from.

use paseo_core::codec::{
    Destination, Extensions, GeneralCode, Message, MessageFlagsReserved, MessageHeader,
    ProtocolHeader, ProtocolId, ProtocolMessage, Reserved, SecurityFlagsReserved, SessionType,
    StatusReport,
};
use proptest::prelude::*;

/// Owned inputs for a [`MessageHeader`], which borrows its extensions.
#[derive(Debug, Clone)]
struct HeaderInput {
    session_id: u16,
    group: bool,
    privacy: bool,
    control: bool,
    message_counter: u32,
    source_node_id: Option<u64>,
    destination: Destination,
    extensions: Option<Vec<u8>>,
    reserved_message: u8,
    reserved_security: u8,
}

impl HeaderInput {
    fn header(&self) -> MessageHeader<'_> {
        MessageHeader {
            session_id: self.session_id,
            session_type: if self.group {
                SessionType::Group
            } else {
                SessionType::Unicast
            },
            privacy: self.privacy,
            control: self.control,
            message_counter: self.message_counter,
            source_node_id: self.source_node_id,
            destination: self.destination,
            extensions: self
                .extensions
                .as_deref()
                .map(|e| Extensions::new(e).expect("strategy keeps extensions short")),
            reserved_message_flags: MessageFlagsReserved::from_flags(self.reserved_message),
            reserved_security_flags: SecurityFlagsReserved::from_flags(self.reserved_security),
        }
    }
}

fn destination() -> impl Strategy<Value = Destination> {
    prop_oneof![
        Just(Destination::None),
        any::<u64>().prop_map(Destination::Node),
        any::<u16>().prop_map(Destination::Group),
    ]
}

fn extension_bytes() -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::of(proptest::collection::vec(any::<u8>(), 0..48))
}

prop_compose! {
    fn header_input()(
        session_id in any::<u16>(),
        group in any::<bool>(),
        privacy in any::<bool>(),
        control in any::<bool>(),
        message_counter in any::<u32>(),
        source_node_id in proptest::option::of(any::<u64>()),
        destination in destination(),
        extensions in extension_bytes(),
        reserved_message in any::<u8>(),
        reserved_security in any::<u8>(),
    ) -> HeaderInput {
        HeaderInput {
            session_id, group, privacy, control, message_counter, source_node_id,
            destination, extensions, reserved_message, reserved_security,
        }
    }
}

/// Owned inputs for a [`ProtocolHeader`].
#[derive(Debug, Clone)]
struct ProtocolInput {
    initiator: bool,
    reliable: bool,
    opcode: u8,
    exchange_id: u16,
    vendor_id: Option<u16>,
    protocol_id: u16,
    ack_counter: Option<u32>,
    secured_extensions: Option<Vec<u8>>,
    reserved: u8,
}

impl ProtocolInput {
    fn header(&self) -> ProtocolHeader<'_> {
        ProtocolHeader {
            initiator: self.initiator,
            reliable: self.reliable,
            opcode: self.opcode,
            exchange_id: self.exchange_id,
            vendor_id: self.vendor_id,
            protocol_id: self.protocol_id,
            ack_counter: self.ack_counter,
            secured_extensions: self
                .secured_extensions
                .as_deref()
                .map(|e| Extensions::new(e).expect("strategy keeps extensions short")),
            reserved_exchange_flags: Reserved::from_flags(self.reserved),
        }
    }
}

prop_compose! {
    fn protocol_input()(
        initiator in any::<bool>(),
        reliable in any::<bool>(),
        opcode in any::<u8>(),
        exchange_id in any::<u16>(),
        vendor_id in proptest::option::of(any::<u16>()),
        protocol_id in any::<u16>(),
        ack_counter in proptest::option::of(any::<u32>()),
        secured_extensions in extension_bytes(),
        reserved in any::<u8>(),
    ) -> ProtocolInput {
        ProtocolInput {
            initiator, reliable, opcode, exchange_id, vendor_id, protocol_id, ack_counter,
            secured_extensions, reserved,
        }
    }
}

prop_compose! {
    fn status_report()(
        general in any::<u16>(),
        protocol in any::<u32>(),
        protocol_code in any::<u16>(),
        data in proptest::collection::vec(any::<u8>(), 0..32),
    ) -> StatusReport {
        StatusReport {
            general_code: GeneralCode::from_u16(general),
            protocol: ProtocolId::from_u32(protocol),
            protocol_code,
            data,
        }
    }
}

/// Raw bytes, half of them nudged towards a decodable fixed header (version 0, DSIZ and
/// session type not reserved) so the decode-then-re-encode property sees many successes.
fn datagram_bytes() -> impl Strategy<Value = Vec<u8>> {
    let raw = proptest::collection::vec(any::<u8>(), 0..96);
    prop_oneof![
        raw.clone(),
        raw.prop_map(|mut bytes| {
            if let Some(flags) = bytes.get_mut(0) {
                *flags &= 0x0e;
            }
            if let Some(security) = bytes.get_mut(3) {
                *security &= 0xfd;
            }
            bytes
        }),
    ]
}

fn encode_header(header: &MessageHeader<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    header.encode(&mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn message_header_round_trips(input in header_input(), payload in proptest::collection::vec(any::<u8>(), 0..16)) {
        let header = input.header();
        let mut datagram = encode_header(&header);
        prop_assert_eq!(datagram.len(), header.encoded_len());
        datagram.extend_from_slice(&payload);

        let msg = Message::decode_permissive(&datagram).expect("encoded header decodes");
        prop_assert_eq!(msg.header, header);
        prop_assert_eq!(msg.header_len(), header.encoded_len());
        prop_assert_eq!(msg.payload, &payload[..]);
        // Strict decoding adds exactly the validity rules.
        prop_assert_eq!(Message::decode(&datagram).map(|m| m.header), header.validate().map(|()| header));
    }

    #[test]
    fn protocol_header_round_trips(input in protocol_input(), payload in proptest::collection::vec(any::<u8>(), 0..16)) {
        let header = input.header();
        let mut plaintext = Vec::new();
        header.encode(&mut plaintext);
        prop_assert_eq!(plaintext.len(), header.encoded_len());
        plaintext.extend_from_slice(&payload);

        let msg = ProtocolMessage::decode(&plaintext).expect("encoded header decodes");
        prop_assert_eq!(msg.header, header);
        prop_assert_eq!(msg.payload, &payload[..]);
        prop_assert_eq!(msg.header.protocol().vendor_id, input.vendor_id.unwrap_or(0));
    }

    #[test]
    fn status_report_round_trips(report in status_report()) {
        let mut out = Vec::new();
        report.encode(&mut out);
        prop_assert_eq!(out.len(), report.encoded_len());
        prop_assert_eq!(StatusReport::decode(&out), Ok(report));
    }

    #[test]
    fn truncating_an_encoded_header_is_an_error(input in header_input(), cut in any::<prop::sample::Index>()) {
        let header = input.header();
        let bytes = encode_header(&header);
        let short = &bytes[..cut.index(bytes.len())];
        prop_assert!(Message::decode_permissive(short).is_err());
    }

    #[test]
    fn anything_decoded_re_encodes_to_its_bytes(bytes in datagram_bytes()) {
        // Never panics, whatever the outcome.
        let strict = Message::decode(&bytes);
        let permissive = Message::decode_permissive(&bytes);
        if let Ok(strict) = strict {
            prop_assert_eq!(Ok(strict), permissive);
        }
        if let Ok(msg) = permissive {
            prop_assert_eq!(encode_header(&msg.header), msg.header_bytes);
            prop_assert_eq!(msg.header_bytes.len() + msg.payload.len(), bytes.len());
        }

        if let Ok(body) = ProtocolMessage::decode(&bytes) {
            let mut out = Vec::new();
            body.encode(&mut out);
            prop_assert_eq!(out, bytes.clone());
        }

        match StatusReport::decode(&bytes) {
            Ok(report) => {
                let mut out = Vec::new();
                report.encode(&mut out);
                prop_assert_eq!(out, bytes);
            }
            Err(_) => prop_assert!(bytes.len() < 8),
        }
    }
}
