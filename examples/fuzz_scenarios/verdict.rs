//! The verdict on one fuzz case: a scenario text, with the overrides its
//! header lines carry, must give a valid model or an error whose every
//! problem is located. Anything else is a bug. Shared by the fuzz harness
//! (`examples/fuzz_scenarios`), the corpus replay test and the cargo-fuzz
//! target, so that all three judge alike.

#![allow(dead_code)]

use std::path::Path;

use restake_sim::scenario::{self, Override, Problem, ScenarioError, locate};
use toml::de::DeTable;

/// A header line that adds a `--set` override to a case.
pub const SET_HEADER: &str = "# fuzz: --set ";

/// A header line that adds a `--multiply` override to a case.
pub const MULTIPLY_HEADER: &str = "# fuzz: --multiply ";

/// What parsing a case gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A valid model.
    Valid,
    /// An error whose every problem is located; the signature of each
    /// problem (see [`signature`]).
    Rejected(Vec<String>),
    /// A bug: an error that is not located as it should be, and why.
    Unlocated(String),
}

/// The overrides of a case: its leading lines `# fuzz: --set key=value`
/// and `# fuzz: --multiply key=factor`, in order (a line that does not
/// parse as an override is ignored, as any comment).
pub fn overrides(text: &str) -> Vec<Override> {
    text.lines()
        .take_while(|line| line.starts_with("# fuzz: "))
        .filter_map(|line| {
            if let Some(spec) = line.strip_prefix(SET_HEADER) {
                Override::parse(spec).ok()
            } else {
                Override::parse_multiply(line.strip_prefix(MULTIPLY_HEADER)?).ok()
            }
        })
        .collect()
}

/// Parses and validates `text` as the file `label`, with the overrides of
/// its header lines, and judges the outcome. A panic in the parser
/// propagates.
pub fn check(text: &str, label: &Path) -> Verdict {
    let overrides = overrides(text);
    match scenario::parse(text, label, &overrides) {
        Ok(_) => Verdict::Valid,
        Err(error) => judge(text, label, &error),
    }
}

/// Judges an error of [`scenario::parse`] on `text`: the error's text shows
/// every problem, in order, after the option that set the value or after
/// the file's name, line and column; the line and column lie inside the
/// text; a problem without a key path is about the whole text; a problem
/// with one whose table is in the text does not fall back to the start of
/// the file.
pub fn judge(text: &str, label: &Path, error: &ScenarioError) -> Verdict {
    let ScenarioError::Invalid { problems, .. } = error else {
        return Verdict::Unlocated(format!("not a validation error: {error}"));
    };
    if problems.is_empty() {
        return Verdict::Unlocated("an invalid scenario with no problem".into());
    }
    let shown = error.to_string();
    let file = label.display().to_string();
    if !shown.contains(&file) {
        return Verdict::Unlocated(format!("the error does not name the file {file}: {shown}"));
    }
    // Each problem is shown, in order, after its place.
    let mut rest = shown.as_str();
    for p in problems {
        let what = if p.key_path.is_empty() {
            p.message.clone()
        } else {
            format!("{}: {}", p.key_path, p.message)
        };
        let entry = match &p.flag {
            Some(flag) => format!("\n  {flag} (not the file): {what}"),
            None => format!("\n  {file}:{}:{}: {what}", p.line, p.column),
        };
        let Some(at) = rest.find(&entry) else {
            return Verdict::Unlocated(format!("a problem is not shown with its place: {entry}"));
        };
        rest = &rest[at + entry.len()..];
    }
    let context = Context {
        lines: text.split('\n').map(|l| l.chars().count()).collect(),
        text,
        doc: std::cell::OnceCell::new(),
    };
    for p in problems {
        if let Err(why) = context.located(p) {
            return Verdict::Unlocated(format!(
                "{why}: {}:{}: {}: {}",
                p.line, p.column, p.key_path, p.message
            ));
        }
    }
    Verdict::Rejected(problems.iter().map(signature).collect())
}

/// What every problem of one error is checked against, worked out once.
struct Context<'a> {
    /// The length of each line of the text, in characters.
    lines: Vec<usize>,
    /// The text.
    text: &'a str,
    /// The text parsed as TOML, when it is needed.
    doc: std::cell::OnceCell<Option<DeTable<'a>>>,
}

impl Context<'_> {
    /// The text parsed as TOML, if it parses.
    fn doc(&self) -> Option<&DeTable<'_>> {
        self.doc
            .get_or_init(|| DeTable::parse(self.text).ok().map(|d| d.into_inner()))
            .as_ref()
    }

    /// Whether one problem is located (see [`judge`]).
    fn located(&self, p: &Problem) -> Result<(), &'static str> {
        if let Some(flag) = &p.flag {
            return if flag.is_empty() {
                Err("an empty option")
            } else {
                Ok(())
            };
        }
        if p.line == 0 || p.line > self.lines.len() {
            return Err("a line outside the text");
        }
        if p.column == 0 || p.column > self.lines[p.line - 1] + 1 {
            return Err("a column outside its line");
        }
        // An empty key written bare is lost when the path is read back.
        let bare = unquoted(&p.key_path);
        if bare.starts_with('.') || bare.ends_with('.') || bare.contains("..") {
            return Err("a key path with an empty key not quoted");
        }
        let at_start = (p.line, p.column) == (1, 1);
        if p.key_path.is_empty() {
            let whole_text = p.message.starts_with("TOML syntax error")
                || p.message.starts_with("expected a scenario with at least")
                || p.message.starts_with("expected a file of at most")
                || p.message.starts_with("missing field");
            if !whole_text {
                return Err("no key path, and not about the whole text");
            }
            // A syntax error is located where the parser found it; one at
            // the very start of a text that parses as TOML was not.
            if at_start && p.message.starts_with("TOML syntax error") && self.doc().is_some() {
                return Err("a syntax error of a text that parses, at its start");
            }
            return Ok(());
        }
        if at_start && let Some(doc) = self.doc() {
            let top = locate::parse_key_path(&p.key_path)
                .into_iter()
                .next()
                .and_then(|s| match s {
                    locate::Segment::Key(k) => Some(k),
                    locate::Segment::Index(_) => None,
                });
            let start = top
                .and_then(|k| locate::locate(doc, &k))
                .map(|offset| locate::line_column(self.text, offset));
            if start.is_some_and(|(line, _)| line != 1) {
                return Err("a key path whose table is in the text, located at its start");
            }
        }
        Ok(())
    }
}

/// A key path with each quoted key (`"…"`, with `\"` and `\\` escapes)
/// written `""`.
fn unquoted(path: &str) -> String {
    let mut out = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            while let Some(d) = chars.next() {
                match d {
                    '"' => break,
                    '\\' => {
                        chars.next();
                    }
                    _ => {}
                }
            }
            out.push('"');
        }
    }
    out
}

/// The kind of a problem, for telling new kinds from known ones: the shape
/// of what its message says was expected (up to "found", which describes
/// the input rather than the check).
pub fn signature(p: &Problem) -> String {
    let expected = p.message.split(" found ").next().unwrap_or(&p.message);
    shape(expected.trim_end_matches([',', ' ']))
}

/// `message` with every number written `#`, every quoted or back-quoted
/// text `"…"` (a list of them as one), every parenthesised part `(…)` and
/// what follows "one of:" as `…`, cut at 160 characters.
pub fn shape(message: &str) -> String {
    let mut out = placeholders(message.split(" one of:").next().unwrap_or(message));
    if message.contains(" one of:") {
        out.push_str(" one of: …");
    }
    while out.contains("`…`, `…`") {
        out = out.replace("`…`, `…`", "`…`");
    }
    out
}

/// `message` with numbers, quoted text and parenthesised parts written as
/// placeholders (see [`shape`]).
fn placeholders(message: &str) -> String {
    let mut out = String::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '`' => {
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                out.push_str(if c == '"' { "\"…\"" } else { "`…`" });
            }
            '(' => {
                let mut depth = 1;
                for d in chars.by_ref() {
                    match d {
                        '(' => depth += 1,
                        ')' if depth == 1 => break,
                        ')' => depth -= 1,
                        _ => {}
                    }
                }
                out.push_str("(…)");
            }
            _ if c.is_ascii_digit() => {
                while chars.peek().is_some_and(|d| {
                    d.is_ascii_alphanumeric() || matches!(d, '.' | '_' | '+' | '-')
                }) {
                    chars.next();
                }
                out.push('#');
            }
            _ => out.push(c),
        }
        if out.chars().count() >= 160 {
            break;
        }
    }
    out
}
