//! Where reports go: standard output, or a new file that is never the image.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::anyhow;

/// Writes a report to standard output, ending it with a newline if it does
/// not end with one (the JSON documents, an empty listing). Write errors
/// stop the printer and are not reported, as they never were: the common
/// one is a closed pipe (`| head`); a full disk behind `>` goes unsaid too.
pub fn to_stdout(print: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
    let mut out = LineEnded {
        inner: BufWriter::new(io::stdout().lock()),
        last: None,
    };
    let _ = print(&mut out).and_then(|()| out.finish());
}

/// Writes a report to a new file (see [`create`]).
pub fn to_file(
    path: &Path,
    image: &Path,
    force: bool,
    print: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let written = create(path, image, force).and_then(|file| {
        let mut out = BufWriter::new(file);
        print(&mut out)?;
        out.flush()
    });
    written.map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// A new output file: refused if it is the image itself (even with
/// `force`), or if it exists and `force` is not given.
pub fn create(path: &Path, image: &Path, force: bool) -> io::Result<File> {
    let same = |a: &Path, b: &Path| {
        std::fs::canonicalize(a)
            .ok()
            .zip(std::fs::canonicalize(b).ok())
            .is_some_and(|(a, b)| a == b)
    };
    if same(path, image) {
        return Err(io::Error::other(
            "that is the image itself: the evidence is never written",
        ));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path)
}

/// A writer that remembers the last byte written, so that the output can be
/// ended with a newline.
struct LineEnded<W: Write> {
    inner: W,
    last: Option<u8>,
}

impl<W: Write> LineEnded<W> {
    fn finish(&mut self) -> io::Result<()> {
        if self.last != Some(b'\n') {
            self.inner.write_all(b"\n")?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Write for LineEnded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(&byte) = buf.get(..n).and_then(<[u8]>::last) {
            self.last = Some(byte);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
