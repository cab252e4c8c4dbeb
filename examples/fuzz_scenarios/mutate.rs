//! Inputs of the third kind: structure-aware mutations of valid scenarios.
//! A seed file is parsed to a TOML tree, changed in one to eight ways
//! (extreme numbers, huge counts, swapped types, deleted, renamed or added
//! keys, duplicated, reordered or emptied arrays, deep nesting, names
//! swapped, subtrees grafted from another seed, tables multiplied by the
//! thousand), written back as TOML, sometimes edited as text, and sometimes
//! given `--set`/`--multiply` overrides in its header lines.

use rand::RngExt;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_xoshiro::Xoshiro256PlusPlus as Rng;
use toml::{Table, Value};

use crate::generate::{self, KEYS, NAMES};
use crate::verdict::{MULTIPLY_HEADER, SET_HEADER};

/// Largest text a multiplied table may grow a case to, in bytes.
const MAX_SCALED_BYTES: usize = 1_000_000;

/// One step from a node to a child.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A table's key.
    Key(String),
    /// An array's element.
    Index(usize),
}

/// Keys that count something (stakers, paths, days, rows, elements).
const COUNT_KEYS: &[&str] = &[
    "count",
    "paths",
    "horizon_days",
    "step_days",
    "record_every_days",
    "max_event_rows",
    "max_new",
    "per_review",
    "review_every_days",
    "unbonding_days",
    "withdrawal_days",
    "deallocation_days",
    "veto_days",
    "queue_days",
    "day",
    "min",
    "max",
    "seed",
];

/// A seed: a valid scenario, as text and as a tree.
pub struct Seed {
    /// Its text.
    pub text: String,
    /// Its TOML tree.
    pub tree: Table,
}

/// A mutated scenario from one of `seeds` (at least one).
pub fn mutate(rng: &mut Rng, seeds: &[Seed]) -> String {
    let seed = seeds.choose(rng).expect("at least one seed");
    let mut doc = seed.tree.clone();
    let rounds = 1 + (rng.random::<u32>() % 8).min(rng.random::<u32>() % 8);
    for _ in 0..rounds {
        mutate_tree(rng, &mut doc, seeds);
    }
    let mut text = toml::to_string(&doc).unwrap_or_else(|_| seed.text.clone());
    if rng.random_bool(0.2) {
        text = mutate_text(rng, &text);
    }
    if rng.random_bool(0.12) {
        text = with_overrides(rng, &doc, &text);
    }
    text
}

/// One change of the tree.
fn mutate_tree(rng: &mut Rng, doc: &mut Table, seeds: &[Seed]) {
    let nodes = paths(doc);
    let Some(path) = nodes.choose(rng).cloned() else {
        doc.insert("run".into(), Value::Table(Table::new()));
        return;
    };
    match rng.random_range(0..15) {
        0 | 1 => {
            if let Some(p) = pick(rng, &nodes, |p| is_number(doc, p)) {
                set(doc, &p, extreme_number(rng));
            }
        }
        2 => {
            if let Some(p) = pick(rng, &nodes, |p| {
                last_key(p).is_some_and(|k| COUNT_KEYS.contains(&k))
            }) {
                set(doc, &p, huge_count(rng));
            }
        }
        3 => set(doc, &path, other_type(rng, node(doc, &path))),
        4 | 5 => remove(doc, &path),
        6 => {
            if let Some(p) = pick(rng, &nodes, |p| {
                matches!(node(doc, p), Some(Value::Array(_)))
            }) {
                duplicate(rng, doc, &p);
            }
        }
        7 => rename(rng, doc, &path),
        8 => {
            if let Some(Value::Array(items)) = node_mut(doc, &path) {
                if rng.random_bool(0.5) {
                    items.reverse();
                } else {
                    items.shuffle(rng);
                }
            }
        }
        9 => match node_mut(doc, &path) {
            Some(Value::Array(items)) => items.clear(),
            Some(Value::Table(t)) => t.clear(),
            _ => set(doc, &path, Value::Array(Vec::new())),
        },
        10 => set(doc, &path, nested(rng)),
        11 => {
            if let Some(p) = pick(rng, &nodes, |p| {
                matches!(node(doc, p), Some(Value::String(_)))
            }) {
                let strings = strings(doc);
                set(doc, &p, Value::String(odd_string(rng, &strings)));
            }
        }
        12 => graft(rng, doc, seeds),
        13 => {
            let key = if rng.random_bool(0.5) {
                (*KEYS.choose(rng).expect("keys")).to_string()
            } else {
                let key = KEYS.choose(rng).expect("keys");
                near_miss(rng, key)
            };
            if let Some(Value::Table(t)) = node_mut(doc, &path) {
                t.insert(key, any_value(rng));
            } else {
                doc.insert(key, any_value(rng));
            }
        }
        _ if rng.random_bool(0.2) => scale(rng, doc),
        _ => rename(rng, doc, &path),
    }
}

/// Every node of the tree, by its path from the root.
pub fn paths(doc: &Table) -> Vec<Vec<Step>> {
    fn walk(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(path.clone());
        match value {
            Value::Table(t) => {
                for (k, v) in t {
                    path.push(Step::Key(k.clone()));
                    walk(v, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(v, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in doc {
        walk(v, &mut vec![Step::Key(k.clone())], &mut out);
    }
    out
}

/// A random path among those for which `keep` holds.
fn pick(rng: &mut Rng, nodes: &[Vec<Step>], keep: impl Fn(&[Step]) -> bool) -> Option<Vec<Step>> {
    let kept: Vec<&Vec<Step>> = nodes.iter().filter(|p| keep(p)).collect();
    kept.choose(rng).map(|p| (*p).clone())
}

fn last_key(path: &[Step]) -> Option<&str> {
    path.iter().rev().find_map(|s| match s {
        Step::Key(k) => Some(k.as_str()),
        Step::Index(_) => None,
    })
}

pub fn node<'a>(doc: &'a Table, path: &[Step]) -> Option<&'a Value> {
    let (Step::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut value = doc.get(first)?;
    for step in rest {
        value = match (step, value) {
            (Step::Key(k), Value::Table(t)) => t.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

fn node_mut<'a>(doc: &'a mut Table, path: &[Step]) -> Option<&'a mut Value> {
    let (Step::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut value = doc.get_mut(first)?;
    for step in rest {
        value = match (step, value) {
            (Step::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

fn is_number(doc: &Table, path: &[Step]) -> bool {
    matches!(node(doc, path), Some(Value::Integer(_) | Value::Float(_)))
}

fn set(doc: &mut Table, path: &[Step], value: Value) {
    if let Some(v) = node_mut(doc, path) {
        *v = value;
    }
}

/// Removes the node at `path` from its table or array.
pub fn remove(doc: &mut Table, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let container = if parent.is_empty() {
        None
    } else {
        node_mut(doc, parent)
    };
    match (last, container) {
        (Step::Key(k), None) => {
            doc.remove(k);
        }
        (Step::Key(k), Some(Value::Table(t))) => {
            t.remove(k);
        }
        (Step::Index(i), Some(Value::Array(a))) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

/// Renames the key at `path` to a near miss of itself.
fn rename(rng: &mut Rng, doc: &mut Table, path: &[Step]) {
    let Some((Step::Key(key), parent)) = path.split_last() else {
        return;
    };
    let new = near_miss(rng, key);
    let table = if parent.is_empty() {
        Some(doc)
    } else {
        match node_mut(doc, parent) {
            Some(Value::Table(t)) => Some(t),
            _ => None,
        }
    };
    if let Some(t) = table
        && let Some(v) = t.remove(key)
    {
        t.insert(new, v);
    }
}

/// A key one typo away: a character dropped, doubled or swapped with the
/// next, `_` and `-` exchanged, a letter's case changed, an `s` added or
/// dropped.
fn near_miss(rng: &mut Rng, key: &str) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    if chars.is_empty() {
        return "x".into();
    }
    let i = rng.random_range(0..chars.len());
    match rng.random_range(0..6) {
        0 => {
            chars.remove(i);
        }
        1 => chars.insert(i, chars[i]),
        2 if i + 1 < chars.len() => chars.swap(i, i + 1),
        3 => {
            for c in &mut chars {
                *c = match *c {
                    '_' => '-',
                    '-' => '_',
                    other => other,
                };
            }
        }
        4 => chars[i] = chars[i].to_ascii_uppercase(),
        _ => {
            if chars.last() == Some(&'s') {
                chars.pop();
            } else {
                chars.push('s');
            }
        }
    }
    chars.into_iter().collect()
}

/// Appends copies of elements of the array at `path`: one to three usually,
/// sometimes a hundred.
fn duplicate(rng: &mut Rng, doc: &mut Table, path: &[Step]) {
    let copies = if rng.random_bool(0.9) {
        rng.random_range(1..4)
    } else {
        100
    };
    if let Some(Value::Array(items)) = node_mut(doc, path)
        && let Some(item) = items.choose(rng).cloned()
    {
        items.extend(std::iter::repeat_n(item, copies));
    }
}

/// Multiplies one element of a top-level array of tables tens to tens of
/// thousands of times, each copy renamed (`name-1`, `name-2`, …), within
/// [`MAX_SCALED_BYTES`] of text.
fn scale(rng: &mut Rng, doc: &mut Table) {
    let arrays: Vec<String> = doc
        .iter()
        .filter(|(_, v)| matches!(v, Value::Array(a) if !a.is_empty()))
        .map(|(k, _)| k.clone())
        .collect();
    let Some(key) = arrays.choose(rng) else {
        return;
    };
    let Some(Value::Array(items)) = doc.get_mut(key) else {
        return;
    };
    let Some(item) = items.choose(rng).cloned() else {
        return;
    };
    let size = toml::to_string(&item).map_or(200, |s| s.len()).max(20);
    let wanted = 10usize.pow(rng.random_range(1..5)) * rng.random_range(1..5);
    let copies = wanted.min(MAX_SCALED_BYTES / size);
    for i in 1..=copies {
        let mut copy = item.clone();
        if let Value::Table(t) = &mut copy {
            for name_key in ["name", "class"] {
                if let Some(Value::String(s)) = t.get_mut(name_key) {
                    s.push_str(&format!("-{i}"));
                }
            }
        }
        items.push(copy);
    }
}

/// Numbers at and beyond the edges of what the format takes.
fn extreme_number(rng: &mut Rng) -> Value {
    const FLOATS: &[f64] = &[
        0.0,
        -0.0,
        -1.0,
        0.5,
        1.0,
        1.0 - 1e-12,
        1.0 + 1e-12,
        2.0,
        10.0,
        10.000001,
        1e15,
        1.0000001e15,
        1e16,
        1e30,
        1.0001e30,
        1e300,
        f64::MAX,
        -f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        1e-300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        9007199254740993.0,
        4294967296.0,
        -1e300,
    ];
    const INTS: &[i64] = &[
        0,
        -1,
        1,
        2,
        7,
        365,
        4096,
        4097,
        36500,
        36501,
        65535,
        65536,
        u32::MAX as i64,
        u32::MAX as i64 + 1,
        i64::MAX,
        i64::MIN,
        4_000_000_000,
        1 << 31,
        1 << 53,
    ];
    match rng.random_range(0..3) {
        0 => Value::Float(*FLOATS.choose(rng).expect("floats")),
        1 => Value::Integer(*INTS.choose(rng).expect("ints")),
        _ => Value::Float(
            rng.random::<f64>()
                * 10f64.powi(rng.random_range(-30..40))
                * if rng.random_bool(0.2) { -1.0 } else { 1.0 },
        ),
    }
}

/// A huge (or zero, or negative) count.
fn huge_count(rng: &mut Rng) -> Value {
    const COUNTS: &[i64] = &[
        0,
        -1,
        4_000_000_000,
        u32::MAX as i64,
        u32::MAX as i64 - 1,
        u32::MAX as i64 + 1,
        1 << 31,
        100_000_000,
        1_000_000,
        36_500,
        36_501,
        i64::MAX,
    ];
    if rng.random_bool(0.1) {
        Value::Float(4e9)
    } else {
        Value::Integer(*COUNTS.choose(rng).expect("counts"))
    }
}

/// A value of another type than `old`.
fn other_type(rng: &mut Rng, old: Option<&Value>) -> Value {
    loop {
        let new = any_value(rng);
        if old.is_none_or(|o| o.type_str() != new.type_str()) {
            return new;
        }
    }
}

/// Any value: a scalar of each type, an array or a table.
pub fn any_value(rng: &mut Rng) -> Value {
    match rng.random_range(0..8) {
        0 => Value::Integer(rng.random_range(-5..1_000)),
        1 => extreme_number(rng),
        2 => Value::String((*NAMES.choose(rng).expect("names")).to_string()),
        3 => Value::Boolean(rng.random()),
        4 => Value::Datetime("1979-05-27T07:32:00Z".parse().expect("a datetime")),
        5 => Value::Array(
            (0..rng.random_range(0..3))
                .map(|_| Value::Integer(1))
                .collect(),
        ),
        6 => Value::Array(vec![Value::Array(vec![
            Value::Float(0.5),
            Value::String("x".into()),
        ])]),
        _ => {
            let mut t = Table::new();
            for _ in 0..rng.random_range(0..3) {
                t.insert(
                    (*KEYS.choose(rng).expect("keys")).to_string(),
                    Value::Float(0.5),
                );
            }
            Value::Table(t)
        }
    }
}

/// Arrays or tables nested from 2 to 200 levels.
fn nested(rng: &mut Rng) -> Value {
    let depth = rng.random_range(2..200);
    let tables = rng.random_bool(0.5);
    let mut v = Value::Integer(1);
    for _ in 0..depth {
        v = if tables {
            let mut t = Table::new();
            t.insert("a".into(), v);
            Value::Table(t)
        } else {
            Value::Array(vec![v])
        };
    }
    v
}

/// Every string of the tree (names, references, tags).
fn strings(doc: &Table) -> Vec<String> {
    paths(doc)
        .iter()
        .filter_map(|p| match node(doc, p) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Another name from the file, a blank, reserved or odd one, or a very
/// long one.
fn odd_string(rng: &mut Rng, known: &[String]) -> String {
    match rng.random_range(0..6) {
        0 | 1 => known.choose(rng).cloned().unwrap_or_default(),
        2 => (*NAMES.choose(rng).expect("names")).to_string(),
        3 => "é".repeat(rng.random_range(1..20_000)),
        4 => [
            "a\nb",
            "\"",
            "'",
            "\\",
            "\u{0}",
            "\u{202e}rtl",
            "na me",
            "x.y.z",
            "*",
            "0",
            "-",
        ]
        .choose(rng)
        .expect("strings")
        .to_string(),
        _ => {
            let name = known.choose(rng).map_or("x", String::as_str);
            near_miss(rng, name)
        }
    }
}

/// Copies a subtree of another seed under its own key into a table of
/// `doc` (a protocol's `slashing` into a staker, a whole `[[lrt]]` array
/// into a scenario without one).
fn graft(rng: &mut Rng, doc: &mut Table, seeds: &[Seed]) {
    let other = &seeds.choose(rng).expect("seeds").tree;
    let from = paths(other);
    let Some(source) = pick(rng, &from, |p| matches!(p.last(), Some(Step::Key(_)))) else {
        return;
    };
    let (Some(Step::Key(key)), Some(value)) = (source.last(), node(other, &source)) else {
        return;
    };
    let value = value.clone();
    let targets = paths(doc);
    let target = pick(rng, &targets, |p| {
        matches!(node(doc, p), Some(Value::Table(_)))
    });
    match target.and_then(|t| node_mut(doc, &t)) {
        Some(Value::Table(t)) => {
            t.insert(key.clone(), value);
        }
        _ => {
            doc.insert(key.clone(), value);
        }
    }
}

/// A text edit: a line or a table repeated or deleted, deep nesting or
/// random bytes inserted, or the text cut short.
fn mutate_text(rng: &mut Rng, text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let i = rng.random_range(0..lines.len());
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match rng.random_range(0..6) {
        0 => out.insert(i, lines[i].to_string()),
        1 => {
            out.remove(i);
        }
        2 => {
            // A whole table, from a header to the next, written twice.
            let headers: Vec<usize> = (0..lines.len())
                .filter(|&j| lines[j].starts_with('['))
                .collect();
            if let Some(&start) = headers.choose(rng) {
                let end = (start + 1..lines.len())
                    .find(|&j| lines[j].starts_with('['))
                    .unwrap_or(lines.len());
                let block: Vec<String> = out[start..end].to_vec();
                let at = rng.random_range(0..=out.len());
                out.splice(at..at, block);
            }
        }
        3 => out.insert(i, generate::toml(rng)),
        4 => out.insert(i, generate::bytes(rng)),
        _ => {
            let cut = rng.random_range(0..=text.len());
            let cut = (0..=cut)
                .rev()
                .find(|&c| text.is_char_boundary(c))
                .unwrap_or(0);
            return text[..cut].to_string();
        }
    }
    out.join("\n") + "\n"
}

/// `text` with one to three override header lines: a `--set` of a key path
/// of the tree (or a near miss, or `*`) to any value, or a `--multiply` by
/// an extreme factor.
fn with_overrides(rng: &mut Rng, doc: &Table, text: &str) -> String {
    let nodes = paths(doc);
    let mut header = String::new();
    for _ in 0..rng.random_range(1..4) {
        let Some(path) = nodes.choose(rng) else { break };
        let mut segments: Vec<String> = path
            .iter()
            .map(|s| match s {
                Step::Key(k) => k.clone(),
                Step::Index(i) => match rng.random_range(0..3) {
                    0 => "*".into(),
                    1 => (i + rng.random_range(0..2)).to_string(),
                    _ => "a".into(),
                },
            })
            .collect();
        if rng.random_bool(0.2)
            && let Some(last) = segments.last_mut()
        {
            *last = near_miss(rng, last);
        }
        let key = segments.join(".");
        if rng.random_bool(0.7) {
            let value = any_value(rng).to_string().replace('\n', " ");
            header.push_str(&format!("{SET_HEADER}{key}={value}\n"));
        } else {
            let factor = ["0", "-1", "0.5", "1.5", "10", "1e300", "1e-300", "4e9"]
                .choose(rng)
                .expect("factors");
            header.push_str(&format!("{MULTIPLY_HEADER}{key}={factor}\n"));
        }
    }
    header + text
}
