//! Findings: a problem or notable fact, its severity and stable code.

use super::*;

/// How severe a finding is, most severe last so that `>=` means "at least".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL_DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A problem (or notable fact) found in an image. Codes are stable identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub inodes: Vec<InodeNo>,
    /// Block runs as `[start, count]` pairs.
    pub blocks: Vec<[u64; 2]>,
    /// Only in the filesystem as the kernel will mount it, once the journal
    /// is replayed (not in the image as it lies on disk).
    pub after_replay: bool,
    /// Only in the image as it lies on disk: replaying the journal removes it.
    pub before_replay: bool,
}

/// See [`Finding::key`].
pub type FindingKey<'a> = (Code, &'a str, &'a [InodeNo], &'a [[u64; 2]]);

impl Finding {
    /// A finding of `code` at the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            severity: code.default_severity(),
            code,
            message: message.into(),
            inodes: Vec::new(),
            blocks: Vec::new(),
            after_replay: false,
            before_replay: false,
        }
    }

    /// What a report adds to the finding's message about the journal.
    pub fn replay_note(&self) -> Option<&'static str> {
        if self.after_replay {
            Some("appears when the journal is replayed")
        } else if self.before_replay {
            Some("only on disk: replaying the journal removes it")
        } else {
            None
        }
    }

    /// The message as reports show it: with the journal note in front.
    pub fn shown_message(&self) -> String {
        match self.replay_note() {
            Some(note) => format!("[{note}] {}", self.message),
            None => self.message.clone(),
        }
    }

    /// What makes two findings the same (code, message, inodes, blocks),
    /// whatever the replay marks.
    pub fn key(&self) -> FindingKey<'_> {
        (self.code, &self.message, &self.inodes, &self.blocks)
    }

    /// The finding at another severity than its code's default.
    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    pub fn with_inodes(mut self, inodes: impl IntoIterator<Item = InodeNo>) -> Finding {
        self.inodes.extend(inodes);
        self
    }

    pub fn with_blocks(mut self, blocks: impl IntoIterator<Item = [u64; 2]>) -> Finding {
        self.blocks.extend(blocks);
        self
    }
}
