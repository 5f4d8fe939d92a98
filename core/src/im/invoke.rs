//! InvokeRequest (opcode 0x08) and InvokeResponse (opcode 0x09), Matter 1.3 ch. 10 (Interaction
//! Model encoding):
//!
//! ```text
//! InvokeRequestMessage  = struct { 0: SuppressResponse bool, 1: TimedRequest bool,
//!                                  2: InvokeRequests array[CommandDataIB], 0xFF: revision }
//! CommandDataIB         = struct { 0: CommandPathIB, 1: CommandFields struct, 2: CommandRef }
//! InvokeResponseMessage = struct { 0: SuppressResponse bool, 1: InvokeResponses array[
//!                                  InvokeResponseIB], 2: MoreChunkedMessages bool, 0xFF: rev }
//! InvokeResponseIB      = struct { 0: Command CommandDataIB | 1: Status CommandStatusIB }
//! CommandStatusIB       = struct { 0: CommandPathIB, 1: StatusIB, 2: CommandRef }
//! ```

use crate::tlv::{StructView, Tag, TlvError, Writer, decode_element};

use super::error::ImError;
use super::path::CommandPath;
use super::status::StatusIb;
use super::{INTERACTION_MODEL_REVISION, REVISION_TAG};

/// One command to invoke: its path and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Where the command goes.
    pub path: CommandPath,
    /// The CommandFields structure, encoded as an anonymous TLV structure.
    fields: Vec<u8>,
}

impl Command {
    /// A command whose fields `build` writes (context-tagged members; the surrounding
    /// structure is written here).
    pub fn new(path: CommandPath, build: impl FnOnce(&mut Writer)) -> Result<Self, ImError> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        build(&mut w);
        w.end_container();
        Ok(Self {
            path,
            fields: w.finish()?,
        })
    }

    /// The fields, as an anonymous TLV structure.
    pub fn fields(&self) -> &[u8] {
        &self.fields
    }
}

/// Encodes an InvokeRequest carrying `commands` (not timed, response wanted).
pub fn encode_invoke_request(commands: &[Command]) -> Result<Vec<u8>, ImError> {
    if commands.is_empty() {
        return Err(ImError::Empty("InvokeRequests"));
    }
    let mut w = Writer::new();
    w.start_struct(Tag::Anonymous);
    w.put_bool(Tag::Context(0), false);
    w.put_bool(Tag::Context(1), false);
    w.start_array(Tag::Context(2));
    for command in commands {
        w.start_struct(Tag::Anonymous);
        command.path.write(&mut w, Tag::Context(0));
        // The fields were built as an anonymous structure; re-tag them as member 1 (decoding
        // and re-encoding keeps every width).
        let mut fields = decode_element(&command.fields)?;
        fields.tag = Tag::Context(1);
        w.put_value(&fields);
        w.end_container();
    }
    w.end_container();
    w.put_uint(
        Tag::Context(REVISION_TAG),
        u64::from(INTERACTION_MODEL_REVISION),
    );
    w.end_container();
    Ok(w.finish()?)
}

/// One InvokeResponseIB: response data for a command, or a status for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandResponse<'a> {
    /// A response command with its fields.
    Data {
        /// The response command's path (the response command id, not the request's).
        path: CommandPath,
        /// Its CommandFields structure.
        fields: StructView<'a>,
    },
    /// A status for the request command.
    Status {
        /// The request command's path.
        path: CommandPath,
        /// The status.
        status: StatusIb,
    },
}

impl<'a> CommandResponse<'a> {
    fn read(view: &StructView<'a>) -> Result<Self, ImError> {
        match (view.structure(0)?, view.structure(1)?) {
            (Some(data), None) => Ok(Self::Data {
                path: CommandPath::read(data.member(0).ok_or(TlvError::MissingField(0))?)?,
                fields: data.required_structure(1)?,
            }),
            (None, Some(status)) => Ok(Self::Status {
                path: CommandPath::read(status.member(0).ok_or(TlvError::MissingField(0))?)?,
                status: StatusIb::read(&status.required_structure(1)?)?,
            }),
            _ => Err(ImError::Alternatives("InvokeResponseIB")),
        }
    }

    /// The response data of `expected` (the response command's path). A status instead is
    /// [`ImError::CommandStatus`]; another command is [`ImError::UnexpectedCommand`].
    pub fn expect_data(&self, expected: CommandPath) -> Result<&StructView<'a>, ImError> {
        match self {
            Self::Data { path, fields } if *path == expected => Ok(fields),
            Self::Data { path, .. } => Err(ImError::UnexpectedCommand {
                expected,
                actual: *path,
            }),
            Self::Status { path, status } => Err(ImError::CommandStatus {
                path: *path,
                status: *status,
            }),
        }
    }

    /// A plain SUCCESS status for `request` (commands without a response command, such as
    /// AddTrustedRootCertificate).
    pub fn expect_success(&self, request: CommandPath) -> Result<(), ImError> {
        match self {
            Self::Status { path, .. } if *path != request => Err(ImError::UnexpectedCommand {
                expected: request,
                actual: *path,
            }),
            Self::Status { status, .. } if status.is_success() => Ok(()),
            Self::Status { path, status } => Err(ImError::CommandStatus {
                path: *path,
                status: *status,
            }),
            Self::Data { path, .. } => Err(ImError::UnexpectedData(*path)),
        }
    }
}

/// A decoded InvokeResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeResponse<'a> {
    /// SuppressResponse (false when absent).
    pub suppress_response: bool,
    /// The responses, in order.
    pub responses: Vec<CommandResponse<'a>>,
    /// The peer's InteractionModelRevision, if sent.
    pub revision: Option<u8>,
}

impl<'a> InvokeResponse<'a> {
    /// Decodes the payload of an InvokeResponse. A chunked response (MoreChunkedMessages
    /// true) is refused: this client invokes one command at a time.
    pub fn decode(payload: &'a [u8]) -> Result<Self, ImError> {
        let view = StructView::parse_anonymous(payload)?;
        if view.bool(2)?.unwrap_or(false) {
            return Err(ImError::Chunked("InvokeResponse"));
        }
        let responses = view
            .required_array(1)?
            .members()
            .iter()
            .map(|m| CommandResponse::read(&m.structure()?))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            suppress_response: view.bool(0)?.unwrap_or(false),
            responses,
            revision: view.u8(REVISION_TAG)?,
        })
    }

    /// The one response of a single-command invoke.
    pub fn single(&self) -> Result<&CommandResponse<'a>, ImError> {
        match self.responses.as_slice() {
            [one] => Ok(one),
            [] => Err(ImError::Empty("InvokeResponses")),
            more => Err(ImError::NotSingle {
                what: "InvokeResponses",
                count: more.len(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::im::status::ImStatus;
    use proptest::prelude::*;

    const ARM: CommandPath = CommandPath::new(0, 0x30, 0x00);
    const ARM_RESPONSE: CommandPath = CommandPath::new(0, 0x30, 0x01);

    /// The ArmFailSafeResponse matter.js 0.17.9 sent during an interop run (docs/INTEROP.md),
    /// written out from its notation `{0: false, 1: [{0: {0: [ep 0, cluster 0x30, cmd 1], 1: {0: 0,
    /// 1: ""}}}], 0xFF: 12}`.
    const ARM_FAIL_SAFE_RESPONSE: [u8; 36] = [
        0x15, // anonymous struct
        0x28, 0x00, // 0: SuppressResponse false
        0x36, 0x01, // 1: InvokeResponses [
        0x15, //   InvokeResponseIB {
        0x35, 0x00, //     0: CommandDataIB {
        0x37, 0x00, //       0: CommandPathIB list
        0x24, 0x00, 0x00, //   endpoint 0
        0x24, 0x01, 0x30, //   cluster 0x30
        0x24, 0x02, 0x01, //   command 1
        0x18, //
        0x35, 0x01, //       1: fields {
        0x24, 0x00, 0x00, //   ErrorCode 0
        0x2c, 0x01, 0x00, //   DebugText ""
        0x18, 0x18, 0x18, 0x18, // } } } ]
        0x24, 0xff, 0x0c, // 0xFF: revision 12
        0x18,
    ];

    #[test]
    fn arm_fail_safe_request_bytes() {
        let command = Command::new(ARM, |w| {
            w.put_uint(Tag::Context(0), 60);
            w.put_uint(Tag::Context(1), 0);
        })
        .unwrap();
        let bytes = encode_invoke_request(&[command]).unwrap();
        assert_eq!(
            bytes,
            [
                0x15, 0x28, 0x00, 0x28, 0x01, 0x36, 0x02, 0x15, 0x37, 0x00, 0x24, 0x00, 0x00, 0x24,
                0x01, 0x30, 0x24, 0x02, 0x00, 0x18, 0x35, 0x01, 0x24, 0x00, 0x3c, 0x24, 0x01, 0x00,
                0x18, 0x18, 0x18, 0x24, 0xff, 0x0b, 0x18,
            ]
        );
    }

    #[test]
    fn empty_request_is_refused() {
        assert_eq!(
            encode_invoke_request(&[]),
            Err(ImError::Empty("InvokeRequests"))
        );
    }

    #[test]
    fn decodes_the_captured_arm_fail_safe_response() {
        let response = InvokeResponse::decode(&ARM_FAIL_SAFE_RESPONSE).unwrap();
        assert!(!response.suppress_response);
        assert_eq!(response.revision, Some(12));
        let fields = response
            .single()
            .unwrap()
            .expect_data(ARM_RESPONSE)
            .unwrap();
        assert_eq!(fields.required_u8(0).unwrap(), 0);
        assert_eq!(fields.utf8(1).unwrap(), Some(""));
        // The same response is not the one of another command, nor a status.
        assert!(matches!(
            response
                .single()
                .unwrap()
                .expect_data(CommandPath::new(0, 0x30, 0x05)),
            Err(ImError::UnexpectedCommand { .. })
        ));
        assert_eq!(
            response.single().unwrap().expect_success(ARM),
            Err(ImError::UnexpectedData(ARM_RESPONSE))
        );
    }

    fn status_response(path: CommandPath, status: u8) -> Vec<u8> {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        w.put_bool(Tag::Context(0), false);
        w.start_array(Tag::Context(1));
        w.start_struct(Tag::Anonymous);
        w.start_struct(Tag::Context(1));
        path.write(&mut w, Tag::Context(0));
        w.start_struct(Tag::Context(1));
        w.put_uint(Tag::Context(0), u64::from(status));
        w.end_container();
        w.end_container();
        w.end_container();
        w.end_container();
        w.end_container();
        w.finish().unwrap()
    }

    #[test]
    fn status_responses() {
        let add_root = CommandPath::new(0, 0x3e, 0x0b);
        let ok = status_response(add_root, 0);
        let response = InvokeResponse::decode(&ok).unwrap();
        assert_eq!(response.revision, None);
        assert_eq!(response.single().unwrap().expect_success(add_root), Ok(()));
        assert!(matches!(
            response.single().unwrap().expect_data(add_root),
            Err(ImError::CommandStatus { .. })
        ));
        assert!(matches!(
            response.single().unwrap().expect_success(ARM),
            Err(ImError::UnexpectedCommand { .. })
        ));
        let denied = status_response(add_root, 0x7e);
        let response = InvokeResponse::decode(&denied).unwrap();
        match response.single().unwrap().expect_success(add_root) {
            Err(ImError::CommandStatus { status, .. }) => {
                assert_eq!(status.status, ImStatus::UNSUPPORTED_ACCESS)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_responses_are_typed_errors() {
        // Chunked.
        let mut chunked = ARM_FAIL_SAFE_RESPONSE.to_vec();
        chunked.splice(1..1, [0x29, 0x02]);
        assert_eq!(
            InvokeResponse::decode(&chunked),
            Err(ImError::Chunked("InvokeResponse"))
        );
        // No responses array.
        assert_eq!(
            InvokeResponse::decode(&[0x15, 0x28, 0x00, 0x18]),
            Err(ImError::Tlv(TlvError::MissingField(1)))
        );
        // Empty array: decodes, but `single` refuses it.
        let empty = InvokeResponse::decode(&[0x15, 0x36, 0x01, 0x18, 0x18]).unwrap();
        assert_eq!(empty.single(), Err(ImError::Empty("InvokeResponses")));
        // An InvokeResponseIB with neither alternative.
        assert_eq!(
            InvokeResponse::decode(&[0x15, 0x36, 0x01, 0x15, 0x18, 0x18, 0x18]),
            Err(ImError::Alternatives("InvokeResponseIB"))
        );
        // Not an anonymous structure.
        assert!(InvokeResponse::decode(&[0x35, 0x01, 0x18]).is_err());
        // Every truncation fails without panicking.
        for len in 0..ARM_FAIL_SAFE_RESPONSE.len() {
            assert!(
                InvokeResponse::decode(&ARM_FAIL_SAFE_RESPONSE[..len]).is_err(),
                "{len}"
            );
        }
    }

    #[test]
    fn two_responses_are_not_single() {
        let mut two = ARM_FAIL_SAFE_RESPONSE.to_vec();
        // Duplicate the one InvokeResponseIB (bytes 5..31) inside the array.
        let ib = two[5..31].to_vec();
        two.splice(31..31, ib);
        let response = InvokeResponse::decode(&two).unwrap();
        assert_eq!(
            response.single(),
            Err(ImError::NotSingle {
                what: "InvokeResponses",
                count: 2
            })
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = InvokeResponse::decode(&bytes);
        }

        #[test]
        fn request_fields_round_trip(endpoint: u16, cluster: u32, command: u32, a: u64, b: Vec<u8>) {
            let path = CommandPath::new(endpoint, cluster, command);
            let cmd = Command::new(path, |w| {
                w.put_uint(Tag::Context(0), a);
                w.put_bytes(Tag::Context(1), &b);
            }).unwrap();
            let bytes = encode_invoke_request(&[cmd]).unwrap();
            let view = StructView::parse_anonymous(&bytes).unwrap();
            let requests = view.required_array(2).unwrap();
            prop_assert_eq!(requests.members().len(), 1);
            let data = requests.members()[0].structure().unwrap();
            prop_assert_eq!(CommandPath::read(data.member(0).unwrap()).unwrap(), path);
            let fields = data.required_structure(1).unwrap();
            prop_assert_eq!(fields.required_u64(0).unwrap(), a);
            prop_assert_eq!(fields.required_bytes(1).unwrap(), &b[..]);
        }
    }
}
