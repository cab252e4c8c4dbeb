//! `chart` and `run --charts` through the binary: every chart is written as
//! a valid PNG/SVG of the size the report states, the report pages list
//! every chart and show the figures of `summary.csv`, sweep and stress
//! folders get their charts, and the HTML page loads in headless Chromium
//! with every image and no console errors.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{restake_sim, root};

/// Charts of a run folder of a scenario with protocols, classes, assets and
/// slashing.
const RUN_CHARTS: [&str; 7] = [
    "tvl_usd",
    "apr",
    "stake_by_class",
    "losses_by_class",
    "net_apr_by_class",
    "loss_exceedance",
    "prices",
];

/// A small run of the EigenLayer scenario (5 protocols, 2 classes, 6
/// assets, slashing) into `out`, with `extra` arguments.
fn small_run(out: &Path, extra: &[&str]) {
    restake_sim()
        .arg("run")
        .arg(root().join("scenarios/eigenlayer-avs.toml"))
        .args(["--paths", "40", "--quiet", "--set", "staker.*.count=100"])
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

/// The `width="…" height="…"` of the first tag of `text` that has them.
fn svg_size(text: &str) -> (u32, u32) {
    let attr = |name: &str| -> u32 {
        let at = text.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
        let end = text[at..].find('"').expect("closing quote") + at;
        text[at..end].parse().expect("a number")
    };
    (attr("width"), attr("height"))
}

/// Decodes a whole PNG file and returns its size.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("PNG pixel data");
    (info.width, info.height)
}

/// The size the HTML report states for the image `file`.
fn stated_size(html: &str, file: &str) -> (u32, u32) {
    let at = html
        .find(&format!("data-file=\"{file}\""))
        .unwrap_or_else(|| panic!("report.html does not show {file}"));
    let tag_start = html[..at].rfind("<img").expect("an img tag");
    svg_size(&html[tag_start..at])
}

#[test]
fn chart_writes_every_chart_as_valid_png_and_svg_of_the_stated_size() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    small_run(&run, &[]);
    restake_sim()
        .arg("chart")
        .arg(&run)
        .args(["--format", "both"])
        .assert()
        .success();
    let html = fs::read_to_string(run.join("report.html")).unwrap();
    let markdown = fs::read_to_string(run.join("report.md")).unwrap();
    let mut files: Vec<String> = fs::read_dir(run.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = RUN_CHARTS
        .iter()
        .flat_map(|c| [format!("{c}.png"), format!("{c}.svg")])
        .collect();
    expected.sort();
    assert_eq!(files, expected);
    for chart in RUN_CHARTS {
        let png = fs::read(run.join(format!("charts/{chart}.png"))).unwrap();
        let svg = fs::read_to_string(run.join(format!("charts/{chart}.svg"))).unwrap();
        let size = png_size(&png);
        assert!(size.0 >= 1200 && size.1 >= 500, "{chart}: {size:?}");
        let svg_start = svg.find("<svg").expect("an svg element");
        assert_eq!(svg_size(&svg[svg_start..]), size, "{chart}.svg");
        assert!(
            svg.trim_end().ends_with("</svg>"),
            "{chart}.svg is cut short"
        );
        assert!(svg.contains("<text"), "{chart}.svg has no text");
        let link = format!("charts/{chart}.png");
        assert_eq!(stated_size(&html, &link), size, "{chart} in report.html");
        assert!(
            markdown.contains(&format!("]({link})")),
            "report.md lacks {link}"
        );
    }
}

#[test]
fn the_report_shows_the_summary_csv_figures_and_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    small_run(&run, &["--charts"]);
    assert!(run.join("charts/tvl_usd.png").is_file(), "run --charts");
    let html = fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("<h1>eigenlayer-avs: restake-sim report</h1>"));
    assert!(html.contains("unique stake"), "the scenario's description");
    assert!(html.contains("agent-steps per second"), "the manifest");
    assert!(!html.contains("src=\"charts/"), "images must be embedded");
    assert!(!html.contains("http"), "nothing may be fetched");

    let summary = fs::read_to_string(run.join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let shown = [
        "mean",
        "mean_se",
        "p05",
        "p50",
        "p95",
        "var99",
        "cvar99",
        "p_negative_return",
        "p_any_loss",
    ];
    let columns: Vec<usize> = shown
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap())
        .collect();
    let table_start = html.find("<h2>Summary</h2>").expect("a summary table");
    let table = &html[table_start..html[table_start..].find("</table>").unwrap() + table_start];
    let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
    let csv_rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        csv_rows.len(),
        "one table row per summary.csv row"
    );
    for (row, line) in rows.iter().zip(&csv_rows) {
        let cells: Vec<&str> = line.split(',').collect();
        assert!(row.contains(&format!("<td>{}</td>", cells[0])), "{line}");
        // An empty cell (a probability that does not apply) is shown as "–".
        let values: Vec<Option<f64>> = row
            .split("data-value=\"")
            .skip(1)
            .map(|v| v[..v.find('"').unwrap()].parse::<f64>().ok())
            .map(|v| v.filter(|x| x.is_finite()))
            .collect();
        let expected: Vec<Option<f64>> = columns.iter().map(|&c| cells[c].parse().ok()).collect();
        assert_eq!(values, expected, "{line}");
    }
    let markdown = fs::read_to_string(run.join("report.md")).unwrap();
    assert!(markdown.contains("| entity | kind | figure | mean |"));
    // The findings come first, with their error bars.
    let findings = html.find("<h2>Findings</h2>").expect("a findings section");
    assert!(findings < table_start, "findings open the report");
    for figure in [
        "mean net return (day-0 prices)",
        "mean net return in USD",
        "VaR 99 %",
        "CVaR 99.9 %",
        "P(net return &lt; 0)",
        "P(loss &gt; 0)",
        "95 % interval",
    ] {
        assert!(html[findings..table_start].contains(figure), "{figure}");
    }
}

/// The sweep is charted afterwards by `chart`, the stress test by `--charts`.
#[test]
fn sweep_and_stress_folders_get_their_charts() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/babylon-btc.toml");
    let common = ["--paths", "20", "--quiet", "--set", "staker.*.count=50"];
    let sweep = dir.path().join("sweep");
    restake_sim()
        .arg("sweep")
        .arg(&scenario)
        .args([
            "--grid",
            "protocol.babylon.slashing.yearly_probability=0.01,0.1",
        ])
        .args(["--grid", "protocol.babylon.apr.value=0.04,0.06,0.08"])
        .args(common)
        .arg("--out")
        .arg(&sweep)
        .assert()
        .success();
    let stress = dir.path().join("stress");
    restake_sim()
        .arg("stress")
        .arg(&scenario)
        .args(["--preset", "slash-x10", "--preset", "btc-crash", "--charts"])
        .args(common)
        .arg("--out")
        .arg(&stress)
        .assert()
        .success();
    for (folder, charts) in [
        (
            &sweep,
            &[
                "sweep_results",
                "sweep_apr",
                "sweep_tvl",
                "sweep_heatmap_net_return",
                "sweep_heatmap_p_negative_return",
            ][..],
        ),
        (&stress, &["stress_results"][..]),
    ] {
        if folder == &sweep {
            restake_sim().arg("chart").arg(folder).assert().success();
        }
        let html = fs::read_to_string(folder.join("report.html")).unwrap();
        for chart in charts {
            let png = fs::read(folder.join(format!("charts/{chart}.png"))).unwrap();
            let link = format!("charts/{chart}.png");
            assert_eq!(stated_size(&html, &link), png_size(&png), "{chart}");
        }
        let count = fs::read_dir(folder.join("charts")).unwrap().count();
        assert_eq!(count, charts.len(), "{}", folder.display());
    }
    let html = fs::read_to_string(stress.join("report.html")).unwrap();
    for stress_name in ["baseline", "slash-x10", "btc-crash"] {
        assert!(
            html.contains(&format!("<td>{stress_name}</td>")),
            "{stress_name}"
        );
    }
}

#[test]
fn a_folder_without_outputs_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    restake_sim()
        .arg("chart")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("is not an output folder"))
        .stderr(predicates::str::contains(
            dir.path().to_string_lossy().as_ref(),
        ));
    assert!(!dir.path().join("charts").exists());
}

/// Debian's Chromium, if installed (`.ci/run` installs it).
fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// Flags for a headless Chromium that makes no network connection.
fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// A script put at the top of a copy of the page: records errors and, once
/// the page has loaded, writes how many images loaded into the page.
const PROBE: &str = r#"<script>
window.__problems = [];
window.addEventListener('error', function (e) {
  var what = e.message || (e.target && (e.target.src || e.target.tagName)) || 'unknown';
  window.__problems.push('error: ' + String(what).slice(0, 120));
}, true);
var originalError = console.error;
console.error = function () {
  window.__problems.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
  originalError.apply(console, arguments);
};
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                     .map(function (i) { return i.alt; });
  var out = document.createElement('pre');
  out.id = 'e2e-result';
  var mark = 'RESULT';
  out.textContent = mark + '[[' + JSON.stringify({ images: images.length, broken: broken, problems: window.__problems }) + ']]' + mark;
  document.body.appendChild(out);
});
</script>"#;

#[test]
fn report_html_loads_in_headless_chromium_with_every_image() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("RESTAKE_SIM_REQUIRE_BROWSER").is_none(),
            "RESTAKE_SIM_REQUIRE_BROWSER is set but Chromium is not installed"
        );
        eprintln!("note: Chromium not installed; the browser test did not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    small_run(&run, &["--charts"]);
    let html = fs::read_to_string(run.join("report.html")).unwrap();
    let images = html.matches("<img ").count();
    assert_eq!(images, RUN_CHARTS.len());

    // The page as written: no console message at all (it has no script).
    let profile = dir.path().join("profile");
    let page = format!("file://{}", run.join("report.html").display());
    let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("report-screenshot.png");
    let _ = fs::remove_file(&screenshot);
    let shot = headless(&chromium, &profile)
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg("--window-size=1400,2400")
        .arg(&page)
        .output()
        .expect("Chromium runs");
    let log = String::from_utf8_lossy(&shot.stderr);
    assert!(shot.status.success(), "Chromium failed: {log}");
    assert!(!log.contains("CONSOLE"), "console output: {log}");
    let (w, h) = png_size(&fs::read(&screenshot).expect("a screenshot"));
    assert_eq!((w, h), (1400, 2400));

    // A copy with the probe: every image loaded, no error event.
    let probed = dir.path().join("probed.html");
    fs::write(
        &probed,
        html.replacen("<head>", &format!("<head>\n{PROBE}"), 1),
    )
    .unwrap();
    let dom = headless(&chromium, &profile)
        .args(["--dump-dom", "--virtual-time-budget=10000"])
        .arg(format!("file://{}", probed.display()))
        .output()
        .expect("Chromium runs");
    let text = String::from_utf8_lossy(&dom.stdout);
    let result = text
        .split("RESULT[[")
        .nth(1)
        .and_then(|r| r.split("]]RESULT").next())
        .unwrap_or_else(|| {
            panic!(
                "no probe result in the page: {}",
                String::from_utf8_lossy(&dom.stderr)
            )
        });
    let expected = format!(r#"{{"images":{images},"broken":[],"problems":[]}}"#);
    assert_eq!(result, expected);
}
