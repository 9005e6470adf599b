//! What a key asks for. A view's key handler changes its own state and, when
//! the key reaches further (another view, the history, the prompt, a file, a
//! rescan), returns an [`Action`]; the session or the app applies it. Views
//! import this module, never the app or the session.

use crate::model::{BlockNo, InodeNo};

/// The views, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewId {
    Overview,
    Inodes,
    Detail,
    Heatmap,
    Crosslinks,
    Block,
    Explain,
}

impl ViewId {
    pub const ALL: [ViewId; 7] = [
        ViewId::Overview,
        ViewId::Inodes,
        ViewId::Detail,
        ViewId::Heatmap,
        ViewId::Crosslinks,
        ViewId::Block,
        ViewId::Explain,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ViewId::Overview => "Overview",
            ViewId::Inodes => "Inodes",
            ViewId::Detail => "Inode",
            ViewId::Heatmap => "Heatmap",
            ViewId::Crosslinks => "Cross-links",
            ViewId::Block => "Block",
            ViewId::Explain => "Explain",
        }
    }

    fn position(self) -> usize {
        ViewId::ALL.iter().position(|&v| v == self).unwrap_or(0)
    }

    /// The view `step` tabs away (wrapping).
    pub fn cycle(self, step: isize) -> ViewId {
        let n = ViewId::ALL.len() as isize;
        let i = (self.position() as isize + step).rem_euclid(n) as usize;
        ViewId::ALL.get(i).copied().unwrap_or(ViewId::Overview)
    }
}

/// The two one-line inputs at the bottom of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: filter the inode table.
    Search,
    /// `:`: go to a block, an inode, a byte offset or a path.
    Goto,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show a view (Tab, 1–7); a view with nothing chosen yet picks something.
    SwitchView(ViewId),
    /// Esc, Backspace: back along the history.
    Back,
    /// `?`: the key overlay.
    Help,
    /// Open a prompt; the search prompt starts from the current filter.
    OpenPrompt(PromptKind),
    /// Esc in a prompt (a search prompt also clears the filter).
    CancelPrompt,
    /// Enter in a prompt.
    SubmitPrompt,
    /// The text of the search prompt changed: filter the inode table by it.
    Filter(String),
    /// Explain the finding selected in the overview.
    Explain,
    /// The detail view of an inode, remembering where we came from.
    OpenInode(InodeNo),
    /// The hex dump of a block, remembering where we came from.
    JumpToBlock(BlockNo),
    /// Another block in the block view (`[`, `]`), not remembered.
    ShowBlock(BlockNo),
    /// The heatmap, one block per cell, with the cursor on this block.
    ShowInHeatmap(BlockNo),
    /// Save the visible heatmap as a PNG (on the worker thread).
    ExportHeatmap,
    /// A line for the footer: what a key did, or why it did nothing.
    Status(String),
    /// A partitioned disk's list: explore this volume (a row index).
    OpenVolume(usize),
    /// Back from a volume to the disk's list (`v`).
    LeaveVolume,
    /// `J`: scan again in the other view of a journal needing recovery (as
    /// the kernel will mount it, or as it lies on disk).
    SwitchJournal,
    /// `m`: mouse capture on or off.
    ToggleMouse,
    Quit,
}
