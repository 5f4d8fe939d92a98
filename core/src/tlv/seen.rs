//! The member tags one structure has used so far, for duplicate-tag rejection
//! (Matter 1.3 Appendix A: structure members have unique tags). Protocol structures use only
//! context tags, so those live in a 256-bit set with no allocation; any other tag form falls back
//! to an ordered set built on first use.

use std::collections::BTreeSet;

use super::tag::{Tag, TagIdentity};

/// Tags recorded in one structure.
#[derive(Debug, Default, Clone)]
pub(crate) struct SeenTags {
    /// Bit `n` set once context tag `n` was recorded.
    context: [u64; 4],
    /// Identities of non-context tags (disjoint from context ones: the form differs).
    other: Option<BTreeSet<TagIdentity>>,
}

impl SeenTags {
    /// Records `tag`; false if a tag naming the same member was recorded before.
    pub(crate) fn insert(&mut self, tag: Tag) -> bool {
        match tag {
            Tag::Context(n) => {
                let bit = 1u64 << (n & 63);
                // n >> 6 is at most 3 for a u8, so this index is always within the 4 words.
                let word = &mut self.context[usize::from(n >> 6)];
                let fresh = *word & bit == 0;
                *word |= bit;
                fresh
            }
            other => self
                .other
                .get_or_insert_with(BTreeSet::new)
                .insert(other.identity()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::TagNumber;

    #[test]
    fn every_context_tag_is_tracked_once() {
        let mut seen = SeenTags::default();
        for n in 0..=u8::MAX {
            assert!(seen.insert(Tag::Context(n)), "first {n}");
        }
        for n in 0..=u8::MAX {
            assert!(!seen.insert(Tag::Context(n)), "second {n}");
        }
        assert!(seen.other.is_none());
    }

    #[test]
    fn other_forms_compare_by_identity() {
        let mut seen = SeenTags::default();
        assert!(seen.insert(Tag::Context(7)));
        assert!(seen.insert(Tag::CommonProfile(TagNumber::Short(7))));
        assert!(!seen.insert(Tag::CommonProfile(TagNumber::Long(7))));
        assert!(seen.insert(Tag::ImplicitProfile(TagNumber::Short(7))));
        assert!(seen.insert(Tag::Anonymous));
        assert!(!seen.insert(Tag::Anonymous));
        assert!(!seen.insert(Tag::Context(7)));
    }
}
