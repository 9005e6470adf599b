//! Every name in the filesystem, stored once, and names from the image as text.

use super::*;
use std::borrow::Cow;
use std::collections::HashMap;

/// Index of a name in [`Names`].
pub type NameId = u32;

/// One directory entry: its name and the entry of the directory holding it.
#[derive(Debug, Clone, Copy)]
struct NameEntry {
    /// The parent directory's entry; always an earlier entry, so walking up
    /// ends. `NO_PARENT` for the root.
    parent: NameId,
    start: u32,
    len: u32,
}

const NO_PARENT: NameId = NameId::MAX;

/// Paths longer than this (bytes) are cut at the front when built.
pub const MAX_PATH_LEN: usize = 4096;

/// Every name in the filesystem, stored once: a parent-pointer tree over one
/// text arena. Full paths are built on demand; 12 bytes plus the name per entry.
#[derive(Debug, Clone, Default)]
pub struct Names {
    entries: Vec<NameEntry>,
    text: String,
    /// Names after the first, by inode: hard links are rare, so they live
    /// here rather than in every inode.
    more: HashMap<InodeNo, Vec<NameId>>,
}

impl Names {
    /// An empty tree with room for `entries` names of `text` bytes in all.
    pub fn with_capacity(entries: usize, text: usize) -> Names {
        Names {
            entries: Vec::with_capacity(entries),
            text: String::with_capacity(text),
            more: HashMap::new(),
        }
    }

    /// Adds `name` under `parent` (None: the root). None when the arena is full
    /// (4 GiB of names) or the parent does not exist.
    pub fn push(&mut self, parent: Option<NameId>, name: &str) -> Option<NameId> {
        let id = NameId::try_from(self.entries.len())
            .ok()
            .filter(|&i| i != NO_PARENT)?;
        let parent = match parent {
            Some(p) if p < id => p,
            Some(_) => return None,
            None => NO_PARENT,
        };
        let start = u32::try_from(self.text.len()).ok()?;
        let len = u32::try_from(name.len()).ok()?;
        start.checked_add(len)?;
        self.text.push_str(name);
        self.entries.push(NameEntry { parent, start, len });
        Some(id)
    }

    /// The name of one entry (its last path component).
    pub fn name(&self, id: NameId) -> &str {
        self.entries
            .get(id as usize)
            .and_then(|e| {
                self.text
                    .get(e.start as usize..(e.start as usize + e.len as usize))
            })
            .unwrap_or("")
    }

    /// The full path of an entry, `/` for the root; cut at the front past
    /// [`MAX_PATH_LEN`] bytes.
    pub fn path(&self, id: NameId) -> String {
        let mut parts = Vec::new();
        let mut total = 0usize;
        let mut at = id;
        // Parents are always earlier entries: at most `entries.len()` steps.
        while let Some(e) = self.entries.get(at as usize) {
            if e.parent == NO_PARENT {
                break;
            }
            let name = self.name(at);
            total += name.len() + 1;
            if total > MAX_PATH_LEN {
                parts.push("…");
                break;
            }
            parts.push(name);
            at = e.parent;
        }
        if parts.is_empty() {
            return "/".into();
        }
        let mut out = String::with_capacity(total);
        for part in parts.iter().rev() {
            if *part != "…" {
                out.push('/');
            }
            out.push_str(part);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Records `id` as a name of `inode` (the first one goes in the inode).
    pub fn add_to(&mut self, inode: &mut Inode, id: NameId) {
        if inode.first_name == NO_NAME {
            inode.first_name = id;
        } else {
            self.more.entry(inode.ino).or_default().push(id);
        }
    }

    /// Every name of `inode`, the first one first.
    pub fn of<'a>(&'a self, inode: &Inode) -> impl Iterator<Item = NameId> + 'a {
        let more = self.more.get(&inode.ino).map_or(&[][..], Vec::as_slice);
        (inode.first_name != NO_NAME)
            .then_some(inode.first_name)
            .into_iter()
            .chain(more.iter().copied())
    }

    /// How many names `inode` has.
    pub fn count(&self, inode: &Inode) -> usize {
        usize::from(inode.first_name != NO_NAME) + self.more.get(&inode.ino).map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A name from the image as a string that keeps the exact bytes recoverable:
/// valid UTF-8 is kept, a backslash becomes `\\`, and every byte of an invalid
/// sequence becomes `\xNN` — so `a\xffb` (bytes 61 FF 62) and a name spelled
/// with a literal backslash (`a\\xffb`) never collide. Control characters are
/// kept here (they are evidence) and escaped by the presentation layer before
/// they reach a terminal.
pub fn name_from_bytes(bytes: &[u8]) -> Cow<'_, str> {
    // The common case, valid UTF-8 without a backslash, costs no allocation.
    if let Ok(s) = std::str::from_utf8(bytes)
        && !s.contains('\\')
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    Cow::Owned(out)
}
