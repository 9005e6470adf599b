//! What EROFS metadata is, in the model's terms.

use crate::model::{MetaKind, MetaRole};

/// A block holding the superblock, inode slots (with their inline xattrs,
/// tails and chunk indexes) or shared xattrs: EROFS keeps them together in
/// the metadata area, addressed by nid (Documentation/filesystems/erofs.rst).
pub const METADATA: MetaRole = MetaRole {
    kind: MetaKind::InodeTable,
    name: "erofs_metadata",
    words: |_| "the EROFS metadata (superblock, inode slots, xattrs)".into(),
};
