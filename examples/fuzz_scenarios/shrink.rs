//! Shrinking a case while it keeps what made it worth keeping (a new kind
//! of problem, or a bug), so that the corpus stays small: a TOML text loses
//! runs of elements of its arrays, then whole nodes, one at a time; any
//! other text loses runs of lines. Override header lines are kept.

use toml::{Table, Value};

use crate::mutate::{Step, node, paths, remove};

/// Shrinks `text` while `keeps` holds, trying at most `budget` candidates
/// (`keeps` gives `None` to stop early, when time is up).
pub fn shrink(text: &str, budget: usize, keeps: &mut dyn FnMut(&str) -> Option<bool>) -> String {
    let header_len: usize = text
        .lines()
        .take_while(|l| l.starts_with("# fuzz: "))
        .map(|l| l.len() + 1)
        .sum::<usize>()
        .min(text.len());
    let (header, body) = text.split_at(header_len);
    let mut tries = 0;
    // `None` once the budget is spent, which ends every loop below.
    let mut keeps_body = |body: &str| {
        tries += 1;
        if tries > budget {
            None
        } else {
            keeps(&format!("{header}{body}"))
        }
    };
    let body = match toml::from_str::<Table>(body) {
        Ok(doc) => shrink_tree(doc, &mut keeps_body).unwrap_or_else(|| body.to_string()),
        Err(_) => body.to_string(),
    };
    let body = shrink_lines(&body, &mut keeps_body);
    format!("{header}{body}")
}

/// The smallest tree found, written as TOML, if any removal kept the case
/// (`keeps` gives `None` when the budget is spent).
fn shrink_tree(mut doc: Table, keeps: &mut dyn FnMut(&str) -> Option<bool>) -> Option<String> {
    let mut best = None;
    // Cut runs out of every long array, halves first, then quarters, down
    // to runs of an eighth, while that keeps the case.
    for path in paths(&doc) {
        for parts in [2, 4, 8] {
            let mut start = 0;
            while let Some(Value::Array(items)) = node(&doc, &path) {
                let run = items.len() / parts;
                if items.len() < 4 || run == 0 || start >= items.len() {
                    break;
                }
                let mut candidate = doc.clone();
                drain(&mut candidate, &path, start..(start + run).min(items.len()));
                let Ok(text) = toml::to_string(&candidate) else {
                    break;
                };
                match keeps(&text) {
                    Some(true) => {
                        doc = candidate;
                        best = Some(text);
                    }
                    Some(false) => start += run,
                    None => return best,
                }
            }
        }
    }
    // Then remove nodes one at a time, largest first, until none can go.
    let mut progress = true;
    while progress {
        progress = false;
        for path in paths(&doc) {
            let mut candidate = doc.clone();
            remove(&mut candidate, &path);
            let Ok(text) = toml::to_string(&candidate) else {
                continue;
            };
            match keeps(&text) {
                Some(true) => {
                    doc = candidate;
                    best = Some(text);
                    progress = true;
                    break;
                }
                Some(false) => {}
                None => return best,
            }
        }
    }
    best
}

/// Removes the elements `range` of the array at `path`.
fn drain(doc: &mut Table, path: &[Step], range: std::ops::Range<usize>) {
    let mut value = match path.first() {
        Some(Step::Key(k)) => doc.get_mut(k),
        _ => None,
    };
    for step in &path[1..] {
        value = match (step, value) {
            (Step::Key(k), Some(Value::Table(t))) => t.get_mut(k),
            (Step::Index(i), Some(Value::Array(a))) => a.get_mut(*i),
            _ => None,
        };
    }
    if let Some(Value::Array(items)) = value {
        items.drain(range);
    }
}

/// Removes runs of lines, long runs first, while `keeps` holds (`None`:
/// stop, the budget is spent).
fn shrink_lines(text: &str, keeps: &mut dyn FnMut(&str) -> Option<bool>) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let trailing = if text.ends_with('\n') { "\n" } else { "" };
    let join = |lines: &[String]| lines.join("\n") + trailing;
    let mut run = (lines.len() / 2).max(1);
    loop {
        let mut start = 0;
        while start < lines.len() {
            let end = (start + run).min(lines.len());
            let mut candidate = lines.clone();
            candidate.drain(start..end);
            if candidate.is_empty() {
                start = end;
                continue;
            }
            match keeps(&join(&candidate)) {
                Some(true) => lines = candidate,
                Some(false) => start = end,
                None => return join(&lines),
            }
        }
        if run == 1 {
            break;
        }
        run /= 2;
    }
    join(&lines)
}
