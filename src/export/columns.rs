//! Per-path figures kept column by column on disk: written one path at a
//! time ([`ColumnWriter::push`]) and read back one figure of every path
//! at a time ([`ColumnFile::column`]), so that the summary of a run with
//! any number of paths needs memory for one column, not for every row.
//! A column is stored as little-endian `f64`s, exactly.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::ExportError;
use super::folder::io;

/// Paths buffered before their values are written out, column by column.
const BLOCK_PATHS: usize = 8192;

/// Writes `figures` values for each of `paths` paths into a column file.
pub struct ColumnWriter {
    file: File,
    path: PathBuf,
    figures: usize,
    paths: usize,
    /// `[figure][path in block]`.
    block: Vec<f64>,
    /// Paths in the block.
    filled: usize,
    /// Paths written out before the block.
    written: usize,
}

/// A finished column file.
pub struct ColumnFile {
    file: File,
    path: PathBuf,
    paths: usize,
}

impl ColumnWriter {
    /// Creates the file `path` for `figures` figures of `paths` paths.
    pub fn create(path: &Path, figures: usize, paths: usize) -> Result<Self, ExportError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(io("create", path))?;
        Ok(ColumnWriter {
            file,
            path: path.to_path_buf(),
            figures,
            paths,
            block: vec![0.0; figures * BLOCK_PATHS.min(paths.max(1))],
            filled: 0,
            written: 0,
        })
    }

    /// Adds the next path's figures, in figure order (`figures` of them).
    pub fn push(&mut self, values: impl IntoIterator<Item = f64>) -> Result<(), ExportError> {
        let width = self.block.len() / self.figures.max(1);
        for (f, v) in values.into_iter().enumerate().take(self.figures) {
            self.block[f * width + self.filled] = v;
        }
        self.filled += 1;
        if self.filled == width {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the block's values at their places in each column.
    fn flush(&mut self) -> Result<(), ExportError> {
        let width = self.block.len() / self.figures.max(1);
        let mut bytes = Vec::with_capacity(self.filled * 8);
        for f in 0..self.figures {
            bytes.clear();
            for v in &self.block[f * width..f * width + self.filled] {
                bytes.extend(v.to_le_bytes());
            }
            let at = ((f * self.paths + self.written) * 8) as u64;
            self.file
                .write_all_at(&bytes, at)
                .map_err(io("write", &self.path))?;
        }
        self.written += self.filled;
        self.filled = 0;
        Ok(())
    }

    /// Writes what is buffered; the file, once every path was pushed.
    pub fn finish(mut self) -> Result<ColumnFile, ExportError> {
        self.flush()?;
        Ok(ColumnFile {
            file: self.file,
            path: self.path,
            paths: self.written,
        })
    }
}

impl ColumnFile {
    /// Figure `figure` of every path, in path order.
    pub fn column(&self, figure: usize) -> Result<Vec<f64>, ExportError> {
        let mut bytes = vec![0; self.paths * 8];
        self.file
            .read_exact_at(&mut bytes, (figure * self.paths * 8) as u64)
            .map_err(io("read", &self.path))?;
        Ok(bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_back_what_each_path_pushed_across_blocks() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let paths = BLOCK_PATHS * 2 + 3;
        let mut w = ColumnWriter::create(&dir.path().join("c.f64"), 3, paths).expect("create");
        for p in 0..paths {
            let x = p as f64;
            w.push([x, -x, x * 0.5]).expect("push");
        }
        let file = w.finish().expect("finish");
        let expect = |f: fn(f64) -> f64| (0..paths).map(|p| f(p as f64)).collect::<Vec<_>>();
        assert_eq!(file.column(0).expect("read"), expect(|x| x));
        assert_eq!(file.column(1).expect("read"), expect(|x| -x));
        assert_eq!(file.column(2).expect("read"), expect(|x| x * 0.5));
    }
}
