//! The report pages: one model of the page ([`Page`]: title, tables,
//! charts) written as a self-contained HTML file (inline style, charts
//! embedded as data URIs, no script, nothing fetched) and as Markdown with
//! image links, for people who write reports in Markdown.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;

use super::chart::Chart;
use super::data::{CsvTable, RunData};
use super::ticks::{Unit, grouped};

/// A table cell: the text shown and, for numbers, the value as written in
/// the CSV file (kept in the HTML as `data-value`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// What the reader sees, with its unit.
    pub text: String,
    /// The exact value, for numbers.
    pub value: Option<String>,
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            value: None,
        }
    }

    fn number(v: f64, unit: &Unit) -> Cell {
        Cell {
            text: if v.is_finite() {
                unit.tick(v)
            } else {
                "–".into()
            },
            value: Some(v.to_string()),
        }
    }
}

/// A table of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Section heading.
    pub title: String,
    /// A sentence on how to read it (units, sign conventions).
    pub note: String,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// A chart on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartEntry {
    /// File stem.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What it shows.
    pub caption: String,
    /// Relative link to the image file (`charts/<stem>.png`).
    pub link: String,
    /// The PNG image, base64-encoded, for the HTML page.
    pub png_base64: String,
    /// Image size in pixels.
    pub size: (u32, u32),
}

/// A report page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Page title.
    pub title: String,
    /// The scenario's description, or what the folder holds.
    pub description: String,
    /// Tables, in order.
    pub tables: Vec<Table>,
    /// Charts, in order.
    pub charts: Vec<ChartEntry>,
}

/// Manifest fields shown in the run settings, with their labels and units.
const SETTINGS: [(&str, &str); 17] = [
    ("scenario_file", "scenario file"),
    ("scenario_sha256", "scenario SHA-256"),
    ("overrides", "overrides"),
    ("seed", "seed"),
    ("paths", "paths"),
    ("first_path", "first path"),
    ("merged_from_shards", "merged from shards"),
    ("steps", "steps"),
    ("step_days", "days per step"),
    ("stakers", "stakers at t = 0"),
    ("protocols", "protocols"),
    ("threads", "threads"),
    ("wall_time_seconds", "wall time (s)"),
    ("agent_steps_per_second", "agent-steps per second"),
    ("events_logged", "slashing events logged"),
    (
        "bookkeeping_max_relative_error",
        "bookkeeping max. relative error",
    ),
    ("version", "restake-sim version"),
];

/// The page of a run folder: settings, summary table, charts.
pub fn run_page(data: &RunData) -> Page {
    let name = data.manifest_text("name").unwrap_or_else(|| "run".into());
    let settings = SETTINGS
        .iter()
        .filter_map(|(key, label)| {
            let v = data.manifest.get(*key)?;
            let text = match v {
                serde_json::Value::Array(items) if items.is_empty() => "none".to_string(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(" "),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => match n.as_f64() {
                    Some(f) if *key == "bookkeeping_max_relative_error" => format!("{f:.1e}"),
                    Some(f) if n.is_f64() => grouped(f, 2),
                    Some(f) => grouped(f, 0),
                    None => n.to_string(),
                },
                other => other.to_string(),
            };
            Some(vec![Cell::text(*label), Cell::text(text)])
        })
        .collect();
    let percent = Unit::Percent;
    let summary = data
        .summary
        .iter()
        .map(|r| {
            let mut row = vec![
                Cell::text(r.entity.clone()),
                Cell::text(r.kind.clone()),
                Cell::text(r.metric.clone()),
            ];
            row.extend(
                [
                    r.mean,
                    r.mean_se,
                    r.p05,
                    r.p50,
                    r.p95,
                    r.var99,
                    r.cvar99,
                    r.p_negative_return.unwrap_or(f64::NAN),
                    r.p_any_loss.unwrap_or(f64::NAN),
                ]
                .iter()
                .map(|v| Cell::number(*v, &percent)),
            );
            row
        })
        .collect();
    Page {
        title: format!("{name}: restake-sim report"),
        description: data.manifest_text("description").unwrap_or_default(),
        tables: vec![
            Table {
                title: "Run settings".into(),
                note: "From manifest.json.".into(),
                header: vec!["setting".into(), "value".into()],
                rows: settings,
            },
            Table {
                title: "Summary".into(),
                note: "From summary.csv: the distribution across paths of each figure, as a percentage of the initial stake (net returns over the run; loss fractions). ± se is the mean's Monte Carlo standard error. VaR and CVaR are of the loss (for a return, its negative): a positive value is a loss. P(return < 0) is the share of paths whose return is negative (return rows); P(loss > 0) the share of paths with any loss (loss rows).".into(),
                header: [
                    "entity", "kind", "figure", "mean", "± se", "p5", "median", "p95", "VaR 99 %",
                    "CVaR 99 %", "P(return < 0)", "P(loss > 0)",
                ]
                .map(String::from)
                .to_vec(),
                rows: summary,
            },
        ],
        charts: Vec::new(),
    }
}

/// The unit a comparison-table column is shown in.
fn column_unit(header: &str) -> Unit {
    if header.contains("usd") {
        Unit::Usd
    } else if [
        "return",
        "var99",
        "cvar99",
        "var999",
        "p_negative",
        "p_any",
        "apr",
    ]
    .iter()
    .any(|k| header.contains(k))
    {
        Unit::Percent
    } else {
        Unit::Amount
    }
}

/// The page of a sweep or stress folder: its table and charts.
pub fn table_page(kind: &str, folder: &Path, table: &CsvTable) -> Page {
    let name = folder.file_name().map_or_else(
        || folder.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let file = if kind == "Stress test" {
        "stress.csv"
    } else {
        "sweep.csv"
    };
    let rows = table
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&table.header)
                .map(|(cell, header)| match cell.parse::<f64>() {
                    Ok(v) if header != "paths" => Cell::number(v, &column_unit(header)),
                    _ => Cell::text(cell.clone()),
                })
                .collect()
        })
        .collect();
    Page {
        title: format!("{name}: restake-sim report ({})", kind.to_lowercase()),
        description: format!(
            "{kind} of {} variants with common random numbers: every variant runs the same paths, so differences come from the parameters, not from noise.",
            table.rows.len()
        ),
        tables: vec![Table {
            title: "Results".into(),
            note: format!(
                "From {file}: returns, losses, VaR, CVaR, probabilities and APR as percentages of the initial stake; TVL in USD or native units; `_se` columns are standard errors; `change_` columns are the difference from the baseline, and `change_…_se` the standard error of that paired difference."
            ),
            header: table.header.clone(),
            rows,
        }],
        charts: Vec::new(),
    }
}

impl Page {
    /// Adds a chart, linked as `link`, embedding `png` in the HTML page.
    pub fn add_chart(&mut self, chart: &Chart, link: String, png: &[u8]) {
        self.charts.push(ChartEntry {
            stem: chart.stem.clone(),
            title: chart.title.clone(),
            caption: chart.caption.clone(),
            link,
            png_base64: base64::engine::general_purpose::STANDARD.encode(png),
            size: chart.size(),
        });
    }

    /// The page as one self-contained HTML file.
    pub fn html(&self) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
            escape(&self.title),
            escape(&self.title)
        );
        if !self.description.is_empty() {
            let _ = writeln!(
                s,
                "<p class=\"description\">{}</p>",
                escape(&self.description)
            );
        }
        if !self.charts.is_empty() {
            s.push_str("<nav><h2>Charts</h2>\n<ol>\n");
            for c in &self.charts {
                let _ = writeln!(
                    s,
                    "<li><a href=\"#{}\">{}</a></li>",
                    escape(&c.stem),
                    escape(&c.title)
                );
            }
            s.push_str("</ol></nav>\n");
        }
        for t in &self.tables {
            let _ = write!(
                s,
                "<section>\n<h2>{}</h2>\n<p class=\"note\">{}</p>\n<div class=\"scroll\"><table>\n<thead><tr>",
                escape(&t.title),
                escape(&t.note)
            );
            for h in &t.header {
                let _ = write!(s, "<th>{}</th>", escape(h));
            }
            s.push_str("</tr></thead>\n<tbody>\n");
            for row in &t.rows {
                s.push_str("<tr>");
                for c in row {
                    match &c.value {
                        Some(v) => {
                            let _ = write!(
                                s,
                                "<td class=\"num\" data-value=\"{}\">{}</td>",
                                escape(v),
                                escape(&c.text)
                            );
                        }
                        None => {
                            let _ = write!(s, "<td>{}</td>", escape(&c.text));
                        }
                    }
                }
                s.push_str("</tr>\n");
            }
            s.push_str("</tbody></table></div>\n</section>\n");
        }
        for c in &self.charts {
            let _ = write!(
                s,
                "<figure id=\"{}\">\n<img src=\"data:image/png;base64,{}\" width=\"{}\" height=\"{}\" alt=\"{}\" data-file=\"{}\">\n<figcaption><strong>{}.</strong> {} <span class=\"file\">({})</span></figcaption>\n</figure>\n",
                escape(&c.stem),
                c.png_base64,
                c.size.0,
                c.size.1,
                escape(&c.title),
                escape(&c.link),
                escape(&c.title),
                escape(&c.caption),
                escape(&c.link)
            );
        }
        s.push_str("</body>\n</html>\n");
        s
    }

    /// The page as Markdown, images linked from `charts/`.
    pub fn markdown(&self) -> String {
        let mut s = format!("# {}\n\n", self.title);
        if !self.description.is_empty() {
            let _ = writeln!(s, "{}\n", self.description);
        }
        for t in &self.tables {
            let _ = writeln!(s, "## {}\n\n{}\n", t.title, t.note);
            let _ = writeln!(s, "| {} |", t.header.join(" | "));
            let _ = writeln!(
                s,
                "|{}",
                t.header.iter().map(|_| "---|").collect::<String>()
            );
            for row in &t.rows {
                let cells: Vec<String> = row.iter().map(|c| c.text.replace('|', "\\|")).collect();
                let _ = writeln!(s, "| {} |", cells.join(" | "));
            }
            s.push('\n');
        }
        if !self.charts.is_empty() {
            s.push_str("## Charts\n\n");
        }
        for c in &self.charts {
            let _ = writeln!(
                s,
                "### {}\n\n![{}]({})\n\n{}\n",
                c.title, c.title, c.link, c.caption
            );
        }
        s
    }
}

/// The page's style: readable on screen and on paper, tables that scroll
/// sideways rather than overflow.
const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1640px;margin:2em auto;padding:0 1em;color:#141414;line-height:1.45}\
h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}\
.description{font-size:1.1em;color:#333}.note{color:#555;font-size:.95em}\
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.92em}\
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;white-space:nowrap}\
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}\
tbody tr:nth-child(even){background:#fafafa}\
figure{margin:2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#333;max-width:60em}.file{color:#777}\
@media print{figure{break-inside:avoid}body{max-width:none}}";

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_it_shows() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
