//! `timesheets import`: read, check locally, upload in chunks, report.

use std::{
    io::{IsTerminal, Read},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::{
    api::{ApiClient, Credentials},
    rows::{self, CsvRow, Rejected},
};

pub struct ImportOptions {
    /// The CSV file, or `-` for standard input.
    pub input: PathBuf,
    pub api_url: String,
    /// `None` with `dry_run`: nothing is sent.
    pub credentials: Option<Credentials>,
    /// Rows per upload request (the API takes at most 10,000).
    pub chunk_size: usize,
    /// Where refused rows and their reasons go.
    pub rejected_file: PathBuf,
    pub dry_run: bool,
}

#[derive(Debug, Default)]
pub struct ImportSummary {
    /// Data rows in the file.
    pub rows: usize,
    /// Stored by this run.
    pub added: usize,
    /// Stored by an earlier run (same external id): nothing new.
    pub already_present: usize,
    pub rejected: Vec<Rejected>,
    pub elapsed: Duration,
}

impl ImportSummary {
    pub fn describe(&self, dry_run: bool) -> String {
        let secs = self.elapsed.as_secs_f64().max(0.001);
        if dry_run {
            return format!(
                "dry run: {} rows read, {} valid, {} rejected; nothing was sent",
                self.rows,
                self.rows - self.rejected.len(),
                self.rejected.len()
            );
        }
        format!(
            "{} rows read: {} added, {} already present, {} rejected ({:.1} s, {:.0} rows/s)",
            self.rows,
            self.added,
            self.already_present,
            self.rejected.len(),
            self.elapsed.as_secs_f64(),
            self.rows as f64 / secs
        )
    }
}

fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(bytes)
}

/// Imports the file; refused rows (local or the server's) are written to
/// `rejected_file` with their line and reason.
pub async fn import(options: &ImportOptions) -> anyhow::Result<ImportSummary> {
    let started = Instant::now();
    let bytes = read_input(&options.input)?;
    let (valid, mut rejected) = rows::read(bytes.as_slice())?;
    let mut summary = ImportSummary {
        rows: valid.len() + rejected.len(),
        ..ImportSummary::default()
    };
    if !options.dry_run {
        let credentials = options
            .credentials
            .clone()
            .context("client credentials are needed to upload")?;
        let mut api = ApiClient::sign_in(&options.api_url, credentials).await?;
        upload(
            &mut api,
            &valid,
            options.chunk_size.clamp(1, 10_000),
            &mut summary,
            &mut rejected,
        )
        .await?;
    }
    rejected.sort_by_key(|row| row.line);
    if !rejected.is_empty() {
        write_rejected(&options.rejected_file, &rejected)?;
    }
    summary.rejected = rejected;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

async fn upload(
    api: &mut ApiClient,
    valid: &[CsvRow],
    chunk_size: usize,
    summary: &mut ImportSummary,
    rejected: &mut Vec<Rejected>,
) -> anyhow::Result<()> {
    let on_terminal = std::io::stderr().is_terminal();
    let progress = if on_terminal {
        let bar = ProgressBar::new(valid.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:30} {pos}/{len} rows  {per_sec}  eta {eta}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut sent = 0;
    for chunk in valid.chunks(chunk_size) {
        let rows: Vec<_> = chunk.iter().map(|row| row.row.clone()).collect();
        let report = api.upload(&rows).await?;
        for accepted in &report.accepted {
            if accepted.duplicate {
                summary.already_present += 1;
            } else {
                summary.added += 1;
            }
        }
        for refused in report.rejected {
            let line = chunk.get(refused.index).map_or(0, |row| row.line);
            rejected.push(Rejected {
                line,
                external_id: refused.external_id.unwrap_or_default(),
                field: refused.field,
                message: refused.message,
            });
        }
        sent += chunk.len();
        progress.set_position(sent as u64);
        if !on_terminal {
            eprintln!("uploaded {sent}/{} rows", valid.len());
        }
    }
    progress.finish_and_clear();
    Ok(())
}

fn write_rejected(path: &Path, rejected: &[Rejected]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path)
        .with_context(|| format!("cannot write the rejected rows to {}", path.display()))?;
    writer.write_record(["line", "external_id", "field", "message"])?;
    for row in rejected {
        writer.write_record([
            row.line.to_string().as_str(),
            row.external_id.as_str(),
            row.field.as_str(),
            row.message.as_str(),
        ])?;
    }
    writer
        .flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
