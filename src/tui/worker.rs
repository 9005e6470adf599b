//! Work that must not hold up the UI thread: scanning (and building the
//! session's indexes), hashing, and saving the heatmap picture. Each job runs
//! on a thread of its own and reports over the channel the event loop reads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Sender;

use crate::analysis::{self, JournalMode, ScanOptions};
use crate::fs::Progress;
use crate::tui::export::HeatmapPicture;
use crate::tui::screen::Opened;
use crate::tui::source::Source;
use crate::tui::theme::Theme;

/// What the UI asks the worker to do.
#[derive(Debug, Clone)]
pub enum Job {
    /// Scan the image with this view of a journal needing recovery; the
    /// first scan then hashes the image.
    Scan { journal: JournalMode, hash: bool },
    /// Draw the picture and write it to a new file in the current directory.
    SaveHeatmap(HeatmapPicture),
}

/// What the worker reports back.
pub enum Message {
    Progress(String, u64, u64),
    /// The scan and the session's indexes, built off the UI thread.
    Done(Opened),
    /// Hashing after the scan: MiB done of total, then the digest.
    HashProgress(u64, u64),
    Hash(String),
    /// Where the heatmap picture was saved, or why it was not.
    Saved(Result<PathBuf, String>),
}

/// Sends progress to the UI thread, at most a few hundred reports a phase so
/// that a million-inode scan does not flood the channel.
struct ChannelProgress(Sender<Message>);

impl Progress for ChannelProgress {
    fn step(&self, phase: &str, done: u64, total: u64) {
        let reports = if phase == "sha256" { 1000 } else { 200 };
        let stride = (total / reports).max(1);
        if done.is_multiple_of(stride) || done == total {
            let msg = if phase == "sha256" {
                Message::HashProgress(done, total)
            } else {
                Message::Progress(phase.to_string(), done, total)
            };
            let _ = self.0.send(msg);
        }
    }
}

/// Starts jobs on the image being inspected.
pub struct Worker {
    pub source: Arc<Source>,
    pub theme: Theme,
    pub tx: Sender<Message>,
}

impl Worker {
    pub fn start(&self, job: Job) -> std::io::Result<()> {
        let source = Arc::clone(&self.source);
        let theme = self.theme;
        let tx = self.tx.clone();
        let name = match job {
            Job::Scan { .. } => "scan",
            Job::SaveHeatmap(_) => "heatmap-png",
        };
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || match job {
                Job::Scan { journal, hash } => scan(&source, theme, journal, hash, &tx),
                Job::SaveHeatmap(picture) => {
                    let saved = picture.save(Path::new(".")).map_err(|e| e.to_string());
                    let _ = tx.send(Message::Saved(saved));
                }
            })?;
        Ok(())
    }
}

/// Scans `source`, builds what the UI explores, and (the first time) hashes
/// the image: a full read, so it comes last and the UI never waits for it.
fn scan(
    source: &Arc<Source>,
    theme: Theme,
    journal: JournalMode,
    hash: bool,
    tx: &Sender<Message>,
) {
    let progress = ChannelProgress(tx.clone());
    let options = ScanOptions {
        journal,
        ..ScanOptions::default()
    };
    let result = analysis::scan_view(&source.name(), &source.view(), &options, &progress);
    progress.step("indexing", 0, 1);
    let opened = Opened::new(result, Arc::clone(source), theme);
    let _ = tx.send(Message::Done(opened));
    if hash {
        let digest = analysis::sha256(&source.view(), &progress);
        let _ = tx.send(Message::Hash(digest));
    }
}
