//! Path lists (Matter 1.3 §10.6, information blocks): CommandPathIB and AttributePathIB are TLV
//! *lists* of context-tagged fields, not structures.

use crate::tlv::{ContainerKind, Member, SequenceView, Tag, TlvError, Writer};

use super::error::ImError;

/// A concrete command path: endpoint, cluster, command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandPath {
    /// Endpoint number.
    pub endpoint: u16,
    /// Cluster id.
    pub cluster: u32,
    /// Command id.
    pub command: u32,
}

/// A concrete attribute path: endpoint, cluster, attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributePath {
    /// Endpoint number.
    pub endpoint: u16,
    /// Cluster id.
    pub cluster: u32,
    /// Attribute id.
    pub attribute: u32,
}

/// The context-tagged members of a path list, each tag at most once.
struct PathFields<'a> {
    members: Vec<(u8, Member<'a>)>,
}

impl<'a> PathFields<'a> {
    fn parse(member: &Member<'a>) -> Result<Self, ImError> {
        let list = member.sequence()?;
        if list.kind() != ContainerKind::List {
            return Err(TlvError::WrongType {
                tag: member.tag,
                expected: "a list",
            }
            .into());
        }
        Self::from_list(&list)
    }

    fn from_list(list: &SequenceView<'a>) -> Result<Self, ImError> {
        let mut members: Vec<(u8, Member<'a>)> = Vec::new();
        for m in list.members() {
            // Path fields are context-tagged; anything else is not a path member we know.
            let Some(ctx) = m.tag.context_number() else {
                continue;
            };
            if members.iter().any(|(t, _)| *t == ctx) {
                return Err(TlvError::DuplicateTag(m.tag).into());
            }
            members.push((ctx, *m));
        }
        Ok(Self { members })
    }

    fn get(&self, ctx: u8) -> Option<&Member<'a>> {
        self.members.iter().find(|(t, _)| *t == ctx).map(|(_, m)| m)
    }

    fn required(&self, ctx: u8, what: &'static str) -> Result<&Member<'a>, ImError> {
        self.get(ctx).ok_or(ImError::IncompletePath(what))
    }
}

impl CommandPath {
    /// A path.
    pub const fn new(endpoint: u16, cluster: u32, command: u32) -> Self {
        Self {
            endpoint,
            cluster,
            command,
        }
    }

    /// Writes `LIST { 0: endpoint, 1: cluster, 2: command }` under `tag`.
    pub(crate) fn write(&self, w: &mut Writer, tag: Tag) {
        w.start_list(tag);
        w.put_uint(Tag::Context(0), u64::from(self.endpoint));
        w.put_uint(Tag::Context(1), u64::from(self.cluster));
        w.put_uint(Tag::Context(2), u64::from(self.command));
        w.end_container();
    }

    /// Reads a CommandPathIB list; all three fields are required.
    pub(crate) fn read(member: &Member<'_>) -> Result<Self, ImError> {
        let f = PathFields::parse(member)?;
        Ok(Self {
            endpoint: f.required(0, "endpoint")?.u16()?,
            cluster: f.required(1, "cluster")?.u32()?,
            command: f.required(2, "command")?.u32()?,
        })
    }
}

impl AttributePath {
    /// A path.
    pub const fn new(endpoint: u16, cluster: u32, attribute: u32) -> Self {
        Self {
            endpoint,
            cluster,
            attribute,
        }
    }

    /// Writes `LIST { 2: endpoint, 3: cluster, 4: attribute }` (anonymous: it is an array
    /// member of AttributeRequests).
    pub(crate) fn write(&self, w: &mut Writer, tag: Tag) {
        w.start_list(tag);
        w.put_uint(Tag::Context(2), u64::from(self.endpoint));
        w.put_uint(Tag::Context(3), u64::from(self.cluster));
        w.put_uint(Tag::Context(4), u64::from(self.attribute));
        w.end_container();
    }

    /// Reads an AttributePathIB list. Endpoint, cluster and attribute are required (a report
    /// names a concrete attribute); the other fields (tag compression, node, list index,
    /// wildcard flags) are ignored.
    pub(crate) fn read(member: &Member<'_>) -> Result<Self, ImError> {
        let f = PathFields::parse(member)?;
        Ok(Self {
            endpoint: f.required(2, "endpoint")?.u16()?,
            cluster: f.required(3, "cluster")?.u32()?,
            attribute: f.required(4, "attribute")?.u32()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::StructView;

    /// `{ 0: <path> }` around a path list, so the path can be read as a member.
    fn wrapped(path: &[u8]) -> Vec<u8> {
        let mut out = vec![0x15];
        out.extend_from_slice(path);
        out.push(0x18);
        out
    }

    #[test]
    fn command_path_bytes() {
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        CommandPath::new(0, 0x3e, 0x0b).write(&mut w, Tag::Context(0));
        w.end_container();
        let bytes = w.finish().unwrap();
        // 37 00: list with context tag 0; 24 tt vv: one-byte unsigned members.
        assert_eq!(
            bytes,
            [
                0x15, 0x37, 0x00, 0x24, 0x00, 0x00, 0x24, 0x01, 0x3e, 0x24, 0x02, 0x0b, 0x18, 0x18
            ]
        );
        let view = StructView::parse(&bytes).unwrap();
        assert_eq!(
            CommandPath::read(view.member(0).unwrap()).unwrap(),
            CommandPath::new(0, 0x3e, 0x0b)
        );
    }

    #[test]
    fn wide_ids_round_trip() {
        let path = CommandPath::new(0xfffe, 0xfff1_fc01, 0x1234_5678);
        let mut w = Writer::new();
        w.start_struct(Tag::Anonymous);
        path.write(&mut w, Tag::Context(0));
        w.end_container();
        let bytes = w.finish().unwrap();
        let view = StructView::parse(&bytes).unwrap();
        assert_eq!(CommandPath::read(view.member(0).unwrap()).unwrap(), path);
    }

    #[test]
    fn attribute_path_ignores_extra_fields_and_needs_the_concrete_ones() {
        // LIST { 1: node 0x1122, 2: ep 1, 3: cluster 6, 4: attr 0, 5: null }
        let with_extras = wrapped(&[
            0x37, 0x00, 0x25, 0x01, 0x22, 0x11, 0x24, 0x02, 0x01, 0x24, 0x03, 0x06, 0x24, 0x04,
            0x00, 0x34, 0x05, 0x18,
        ]);
        let view = StructView::parse(&with_extras).unwrap();
        assert_eq!(
            AttributePath::read(view.member(0).unwrap()).unwrap(),
            AttributePath::new(1, 6, 0)
        );
        // Wildcard endpoint (absent): refused.
        let wildcard = wrapped(&[0x37, 0x00, 0x24, 0x03, 0x06, 0x24, 0x04, 0x00, 0x18]);
        let view = StructView::parse(&wildcard).unwrap();
        assert_eq!(
            AttributePath::read(view.member(0).unwrap()),
            Err(ImError::IncompletePath("endpoint"))
        );
    }

    #[test]
    fn malformed_paths_are_typed_errors() {
        // A structure where a list belongs.
        let as_struct = wrapped(&[0x35, 0x00, 0x24, 0x00, 0x00, 0x18]);
        let view = StructView::parse(&as_struct).unwrap();
        assert!(matches!(
            CommandPath::read(view.member(0).unwrap()),
            Err(ImError::Tlv(TlvError::WrongType { .. }))
        ));
        // An array (anonymous members) where a list belongs.
        let as_array = wrapped(&[0x36, 0x00, 0x04, 0x00, 0x18]);
        let view = StructView::parse(&as_array).unwrap();
        assert!(matches!(
            CommandPath::read(view.member(0).unwrap()),
            Err(ImError::Tlv(TlvError::WrongType { .. }))
        ));
        // Repeated endpoint.
        let repeated = wrapped(&[
            0x37, 0x00, 0x24, 0x00, 0x00, 0x24, 0x00, 0x01, 0x24, 0x01, 0x06, 0x24, 0x02, 0x00,
            0x18,
        ]);
        let view = StructView::parse(&repeated).unwrap();
        assert!(matches!(
            CommandPath::read(view.member(0).unwrap()),
            Err(ImError::Tlv(TlvError::DuplicateTag(_)))
        ));
        // Endpoint beyond u16.
        let wide = wrapped(&[
            0x37, 0x00, 0x26, 0x00, 0x00, 0x00, 0x01, 0x00, 0x24, 0x01, 0x06, 0x24, 0x02, 0x00,
            0x18,
        ]);
        let view = StructView::parse(&wide).unwrap();
        assert!(matches!(
            CommandPath::read(view.member(0).unwrap()),
            Err(ImError::Tlv(TlvError::OutOfRange { .. }))
        ));
        // Missing command.
        let short = wrapped(&[0x37, 0x00, 0x24, 0x00, 0x00, 0x24, 0x01, 0x06, 0x18]);
        let view = StructView::parse(&short).unwrap();
        assert_eq!(
            CommandPath::read(view.member(0).unwrap()),
            Err(ImError::IncompletePath("command"))
        );
    }
}
