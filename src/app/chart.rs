//! `chart`: the figures and the report pages of an output folder (a run, a
//! sweep or a stress test), written into `charts/`, `report.html` and
//! `report.md` beside its CSV files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{ChartArgs, ChartFormat};
use crate::export::{OutputLock, RunFolder, write_file_atomically};
use crate::report::{self, ImageFormats};

/// Draws every chart of `args.output_dir` and writes its report pages.
pub fn chart(args: &ChartArgs) -> anyhow::Result<ExitCode> {
    let written = write_charts(&args.output_dir, image_formats(args.format))?;
    for path in written {
        crate::sayln!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The image files a `--format` asks for.
pub fn image_formats(format: ChartFormat) -> ImageFormats {
    ImageFormats {
        png: matches!(format, ChartFormat::Png | ChartFormat::Both),
        svg: matches!(format, ChartFormat::Svg | ChartFormat::Both),
    }
}

/// Writes `folder/charts/*` and `folder/report.{html,md}` into an existing
/// output folder; returns the files written. `charts/` appears whole (a
/// staging folder renamed into place, replacing earlier charts) and each
/// page is renamed into place once written, so a failure leaves the earlier
/// charts and pages as they were. The folder is locked while it is read
/// and written, so it is never charted while a run replaces it.
pub fn write_charts(folder: &Path, formats: ImageFormats) -> anyhow::Result<Vec<PathBuf>> {
    // A folder that is not there gets the reader's error below.
    let _lock = folder
        .is_dir()
        .then(|| OutputLock::acquire(folder))
        .transpose()?;
    let rendered = report::render(folder, formats)
        .with_context(|| format!("cannot chart {}", folder.display()))?;
    let charts = RunFolder::create_replacing(&folder.join("charts"))?;
    let mut written = Vec::new();
    for (name, bytes) in &rendered.charts {
        charts.write(name.trim_start_matches("charts/"), bytes)?;
        written.push(folder.join(name));
    }
    charts.commit()?;
    for (name, bytes) in &rendered.pages {
        let path = folder.join(name);
        write_file_atomically(&path, bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes the charts and pages of a run folder still being written (its
/// staging folder), so that they appear with the rest of the run.
pub fn write_into(out: &RunFolder, formats: ImageFormats) -> anyhow::Result<()> {
    let rendered = report::render(out.staging(), formats).context("cannot draw the charts")?;
    for (name, bytes) in rendered.charts.iter().chain(&rendered.pages) {
        out.write(name, bytes)?;
    }
    Ok(())
}
