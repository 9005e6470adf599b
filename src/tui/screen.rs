//! What the whole screen shows: the scan's progress, why there is nothing to
//! explore, one volume's session, or a partitioned disk's volume list.

use std::sync::Arc;

use crate::analysis::ScanResult;
use crate::tui::session::Session;
use crate::tui::source::Source;
use crate::tui::theme::Theme;
use crate::tui::views::disk::{self, VolumeList, VolumeRow};
use crate::volume::PartitionTable;

pub enum Screen {
    /// The scan is running on another thread.
    Loading {
        name: String,
        phase: String,
        done: u64,
        total: u64,
    },
    /// Nothing to explore: the reason, shown until the user quits.
    Failed {
        name: String,
        error: String,
    },
    Ready(Box<Session>),
    /// A partitioned disk: the volume list, and the volume being explored.
    Disk(Box<Disk>),
}

/// A partitioned disk in the inspector: one row per partition, each volume
/// with a filesystem explorable as a [`Session`] of its own.
pub struct Disk {
    pub list: VolumeList,
    pub state: disk::State,
    /// One per row of the list: None where there is no filesystem.
    pub sessions: Vec<Option<Box<Session>>>,
    /// The row being explored; None shows the list.
    pub open: Option<usize>,
}

impl Disk {
    pub fn new(
        result: ScanResult,
        table: PartitionTable,
        source: &Arc<Source>,
        theme: Theme,
    ) -> Disk {
        let image = result.image.clone();
        let (volumes, sessions) = result
            .volumes
            .into_iter()
            .map(|v| {
                let row = VolumeRow::new(&v);
                let session = Session::for_volume(image.clone(), v, Arc::clone(source), theme);
                (row, session.ok().map(Box::new))
            })
            .unzip();
        Disk {
            list: VolumeList {
                image,
                table,
                volumes,
            },
            state: disk::State::default(),
            sessions,
            open: None,
        }
    }

    /// The session being explored, if one is open.
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        let i = self.open?;
        self.sessions.get_mut(i)?.as_deref_mut()
    }

    pub fn session(&self) -> Option<&Session> {
        let i = self.open?;
        self.sessions.get(i)?.as_deref()
    }
}

/// What the scan thread hands to the UI: one volume to explore, or a disk.
pub enum Opened {
    Session(Result<Box<Session>, String>),
    Disk(Box<Disk>),
}

impl Opened {
    /// A partitioned disk opens on its volume list (its table's findings are
    /// there); a bare filesystem opens straight on its overview.
    pub fn new(mut result: ScanResult, source: Arc<Source>, theme: Theme) -> Opened {
        match result.partition_table.take() {
            Some(table) => Opened::Disk(Box::new(Disk::new(result, table, &source, theme))),
            None => Opened::Session(Session::new(result, source, theme).map(Box::new)),
        }
    }
}
