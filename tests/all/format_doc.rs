//! docs/scenario-format.md documents every key the scenario files use.
//!
//! The doc's key tables are read as (table, key) pairs: a key table's header
//! starts with "key in `<table path>`" (the table is the last segment of that
//! path, e.g. `protocol.slashing` → `slashing`) or "top-level key". The same
//! pairs are read from the serde shapes in `src/scenario/file.rs` (a field's
//! table is the name of the field holding its struct) and from the shipped
//! scenario files; the three must agree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use restake_sim::scenario::{self, Override};

use crate::support::root;

/// A documented key: (table, key), table `""` for the top level.
type Pair = (String, String);

/// Keys whose tables map user-chosen names (protocols, operators, key paths)
/// to values: their children are not format keys.
const NAME_MAPS: [&str; 3] = ["allocate", "operators", "sweep"];

/// Keys whose string value selects a variant of a tagged table.
const TAGS: [&str; 4] = ["curve", "dist", "model", "kind"];

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/scenario-format.md"))
        .expect("docs/scenario-format.md is readable")
}

fn file_rs() -> String {
    std::fs::read_to_string(root().join("src/scenario/file.rs"))
        .expect("src/scenario/file.rs is readable")
}

/// The text inside the first pair of backticks of `s`.
fn first_code_span(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(&s[start..start + len])
}

/// The table a path like `[[protocol]]`, `protocol.slashing` or `severity`
/// names: its last dotted segment, brackets stripped.
fn table_of(path: &str) -> String {
    let bare = path.trim_matches(|c| c == '[' || c == ']');
    bare.rsplit('.').next().unwrap_or(bare).to_string()
}

/// The cells of a Markdown table row.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// A key of the format: lowercase letters, digits (`slope1`) and `_`,
/// starting with a letter.
fn is_key_name(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// What the doc's key tables document.
struct DocKeys {
    /// Every (table, key) pair, with the line it is on.
    pairs: BTreeMap<Pair, usize>,
    /// The variants named in the range cell of a tag key's row
    /// (`` `"inverse_sqrt"` `` in a `curve` row).
    variants: BTreeSet<String>,
}

/// Reads the doc's key tables. Panics on a key table row that is malformed.
fn doc_keys(doc: &str) -> DocKeys {
    let mut pairs = BTreeMap::new();
    let mut variants = BTreeSet::new();
    let mut table: Option<String> = None;
    let mut columns = 0;
    for (n, line) in doc.lines().enumerate() {
        let line_no = n + 1;
        if !line.trim_start().starts_with('|') {
            table = None;
            continue;
        }
        let row = cells(line);
        if row
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
        {
            continue;
        }
        match &table {
            None => {
                // A header row: is this a key table?
                let first = &row[0];
                table = if first == "top-level key" {
                    Some(String::new())
                } else if let Some(rest) = first.strip_prefix("key in ") {
                    let path = first_code_span(rest).unwrap_or_else(|| {
                        panic!("line {line_no}: key table header without a `table path`")
                    });
                    Some(table_of(path))
                } else {
                    // Another kind of table: skip its rows.
                    Some("\0".to_string())
                };
                columns = row.len();
                if table.as_deref() != Some("\0") {
                    assert_eq!(
                        row[1..],
                        ["type", "unit", "default", "range", "meaning"],
                        "line {line_no}: key table columns"
                    );
                }
            }
            Some(t) if t == "\0" => {}
            Some(t) => {
                assert_eq!(row.len(), columns, "line {line_no}: {} cells", row.len());
                assert!(
                    row.iter().all(|c| !c.is_empty()),
                    "line {line_no}: an empty cell in {line}"
                );
                let key = first_code_span(&row[0])
                    .unwrap_or_else(|| panic!("line {line_no}: key cell without `key`"));
                assert!(
                    is_key_name(key),
                    "line {line_no}: {key:?} is not a key name"
                );
                if TAGS.contains(&key) {
                    let variant = first_code_span(&row[4])
                        .and_then(|v| v.strip_prefix('"')?.strip_suffix('"'))
                        .unwrap_or_else(|| {
                            panic!("line {line_no}: the range of `{key}` is not a `\"variant\"`")
                        });
                    variants.insert(variant.to_string());
                }
                pairs.insert((t.clone(), key.to_string()), line_no);
            }
        }
    }
    DocKeys { pairs, variants }
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The value of `name = "value"` inside an attribute line, if present.
fn attribute(line: &str, name: &str) -> Option<String> {
    let at = line.find(&format!("{name} = \""))? + name.len() + 4;
    let len = line[at..].find('"')?;
    Some(line[at..at + len].to_string())
}

/// What `src/scenario/file.rs` accepts.
struct CodeShapes {
    /// (table, key) for every field and every tag key.
    pairs: BTreeSet<Pair>,
    /// Tag values of the tagged enums (`"inverse_sqrt"`, `"beta"`, …).
    variants: BTreeSet<String>,
}

/// Reads the serde shapes from the source: struct fields (with `rename`),
/// enum variant fields, `tag` keys and snake-case variant names. A type's
/// table is the key of the field holding it, starting from `ScenarioFile`.
fn code_shapes(src: &str) -> CodeShapes {
    // (type, key, field type text) and type → tag key, enum → variants.
    let mut fields: Vec<(String, String, String)> = Vec::new();
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    let mut variants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<(String, bool)> = None;
    let (mut rename, mut tag) = (None, None);
    for line in src.lines() {
        let t = line.trim();
        if t.starts_with("#[serde(") {
            rename = attribute(t, "rename").or(rename);
            tag = attribute(t, "tag").or(tag);
            continue;
        }
        if t.starts_with("///") || t.starts_with("#[") {
            continue;
        }
        for (prefix, is_enum) in [("pub struct ", false), ("pub enum ", true)] {
            if let Some(rest) = t.strip_prefix(prefix) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if let Some(k) = tag.take() {
                    tags.insert(name.clone(), k);
                }
                current = Some((name, is_enum));
                rename = None;
            }
        }
        if line == "}" {
            current = None;
            continue;
        }
        let Some((ty, is_enum)) = &current else {
            continue;
        };
        if *is_enum && t.starts_with(|c: char| c.is_ascii_uppercase()) {
            let variant: String = t.chars().take_while(|c| c.is_alphanumeric()).collect();
            variants
                .entry(ty.clone())
                .or_default()
                .push(snake_case(&variant));
            continue;
        }
        let decl = t.strip_prefix("pub ").unwrap_or(t);
        if let Some((name, rest)) = decl.split_once(": ")
            && !name.is_empty()
            && is_key_name(name)
            && t.ends_with(',')
        {
            let key = rename.take().unwrap_or_else(|| name.to_string());
            fields.push((ty.clone(), key, rest.to_string()));
        }
    }
    // Each type's table: the key of the field holding it.
    let mut table_of_type: BTreeMap<String, String> = BTreeMap::new();
    table_of_type.insert("ScenarioFile".into(), String::new());
    for (_, key, field_type) in &fields {
        for word in field_type.split(|c: char| !c.is_alphanumeric()) {
            if word.ends_with("File") {
                let previous = table_of_type.insert(word.to_string(), key.clone());
                assert!(
                    previous.as_ref().is_none_or(|p| p == key),
                    "{word} is held by fields of different names ({key}, {previous:?})"
                );
            }
        }
    }
    let table = |ty: &str| {
        table_of_type
            .get(ty)
            .unwrap_or_else(|| panic!("{ty} is not reachable from ScenarioFile"))
            .clone()
    };
    let mut pairs: BTreeSet<Pair> = fields
        .iter()
        .map(|(ty, k, _)| (table(ty), k.clone()))
        .collect();
    pairs.extend(tags.iter().map(|(ty, k)| (table(ty), k.clone())));
    let variants = tags
        .keys()
        .flat_map(|ty| variants.get(ty).cloned().unwrap_or_default())
        .collect();
    CodeShapes { pairs, variants }
}

/// Every (table, key) pair and tag value used in a parsed TOML document.
fn toml_pairs(
    table: &toml::Table,
    parent: &str,
    pairs: &mut BTreeSet<Pair>,
    tags: &mut BTreeSet<String>,
) {
    for (key, value) in table {
        pairs.insert((parent.to_string(), key.clone()));
        if TAGS.contains(&key.as_str())
            && let Some(v) = value.as_str()
        {
            tags.insert(v.to_string());
        }
        if NAME_MAPS.contains(&key.as_str()) {
            continue;
        }
        match value {
            toml::Value::Table(t) => toml_pairs(t, key, pairs, tags),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(t) = item {
                        toml_pairs(t, key, pairs, tags);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The ```toml blocks of the doc: (line of the fence, text).
fn toml_blocks(doc: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (n, line) in doc.lines().enumerate() {
        match &mut open {
            None if line.trim() == "```toml" => open = Some((n + 1, String::new())),
            None => {}
            Some(_) if line.trim() == "```" => blocks.extend(open.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(open.is_none(), "an unclosed ```toml block");
    blocks
}

/// The text of the ```toml block following the heading "## A complete example".
fn complete_example(doc: &str) -> String {
    let at = doc
        .find("\n## A complete example\n")
        .expect("a heading \"## A complete example\"");
    let line = doc[..at].lines().count() + 1;
    toml_blocks(doc)
        .into_iter()
        .find(|(l, _)| *l > line)
        .map(|(_, text)| text)
        .expect("a ```toml block after \"## A complete example\"")
}

fn describe(pair: &Pair) -> String {
    if pair.0.is_empty() {
        format!("top-level `{}`", pair.1)
    } else {
        format!("`{}` in `{}`", pair.1, pair.0)
    }
}

#[test]
fn every_key_the_code_accepts_is_documented_in_its_table() {
    let documented = doc_keys(&doc());
    let code = code_shapes(&file_rs());
    // The parser must have found the format, not an empty set.
    for pair in [
        ("", "run"),
        ("run", "horizon_days"),
        ("severity", "alpha"),
        ("apr", "curve"),
        ("", "asset"),
    ] {
        assert!(
            code.pairs
                .contains(&(pair.0.to_string(), pair.1.to_string())),
            "file.rs reading lost {pair:?}: {:?}",
            code.pairs
        );
    }
    assert!(code.variants.contains("inverse_sqrt") && code.variants.contains("yield_chasing"));
    let missing: Vec<String> = code
        .pairs
        .iter()
        .filter(|p| !documented.pairs.contains_key(*p))
        .map(describe)
        .collect();
    assert!(
        missing.is_empty(),
        "keys accepted by file.rs but not documented: {missing:?}"
    );
    let untold: Vec<&String> = code.variants.difference(&documented.variants).collect();
    assert!(
        untold.is_empty(),
        "variants without a key table: {untold:?}"
    );
}

#[test]
fn the_doc_documents_no_key_the_code_lacks() {
    let documented = doc_keys(&doc());
    assert!(
        documented.pairs.len() >= 80,
        "only {} documented keys",
        documented.pairs.len()
    );
    let code = code_shapes(&file_rs());
    let invented_variants: Vec<&String> = documented.variants.difference(&code.variants).collect();
    assert!(
        invented_variants.is_empty(),
        "documented variants file.rs does not accept: {invented_variants:?}"
    );
    let invented: Vec<String> = documented
        .pairs
        .iter()
        .filter(|(p, _)| !code.pairs.contains(*p))
        .map(|(p, line)| format!("line {line}: {}", describe(p)))
        .collect();
    assert!(
        invented.is_empty(),
        "documented keys file.rs does not accept: {invented:?}"
    );
}

#[test]
fn every_key_in_the_shipped_scenarios_is_documented() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "only {} shipped scenarios", files.len());
    files.push(root().join("src/scenario/starter.toml"));
    let documented = doc_keys(&doc());
    let mut problems = Vec::new();
    let mut seen = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("scenario readable");
        let table: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (mut pairs, mut tags) = (BTreeSet::new(), BTreeSet::new());
        toml_pairs(&table, "", &mut pairs, &mut tags);
        seen += pairs.len();
        for pair in &pairs {
            if !documented.pairs.contains_key(pair) {
                problems.push(format!(
                    "{}: {} is not documented",
                    file.display(),
                    describe(pair)
                ));
            }
        }
        for tag in &tags {
            if !documented.variants.contains(tag) {
                problems.push(format!(
                    "{}: variant \"{tag}\" is not documented",
                    file.display()
                ));
            }
        }
    }
    assert!(
        seen > 100,
        "only {seen} keys read from the shipped scenarios"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_toml_example_in_the_doc_parses_and_uses_documented_keys() {
    let doc = doc();
    let documented = doc_keys(&doc).pairs;
    let blocks = toml_blocks(&doc);
    assert!(blocks.len() >= 15, "only {} TOML examples", blocks.len());
    let mut problems = Vec::new();
    for (line, text) in &blocks {
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("example at line {line}: not TOML: {e}"));
                continue;
            }
        };
        let (mut pairs, mut tags) = (BTreeSet::new(), BTreeSet::new());
        toml_pairs(&table, "", &mut pairs, &mut tags);
        for pair in pairs.iter().filter(|p| !documented.contains_key(*p)) {
            problems.push(format!(
                "example at line {line}: {} is not documented",
                describe(pair)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_complete_example_validates_and_its_sweep_axes_apply() {
    let text = complete_example(&doc());
    let label = Path::new("docs/scenario-format.md");
    let (file, model) = scenario::parse(&text, label, &[])
        .unwrap_or_else(|e| panic!("the complete example is invalid: {e}"));
    // It uses every top-level table.
    let table: toml::Table = text.parse().expect("TOML");
    for key in [
        "run",
        "asset",
        "correlation",
        "protocol",
        "shock",
        "operator",
        "staker",
        "sweep",
    ] {
        assert!(
            table.contains_key(key),
            "the complete example has no `{key}`"
        );
    }
    assert!(model.protocols.len() >= 4 && model.classes.len() >= 3);
    // Every axis value is a valid override of the example.
    let axes = file.sweep.expect("a [sweep] table");
    assert!(!axes.is_empty());
    for (key, values) in &axes {
        assert!(!values.is_empty(), "sweep axis {key} has no values");
        for value in values {
            let set = [Override::set(key, value.clone())];
            if let Err(e) = scenario::parse(&text, label, &set) {
                panic!("sweep axis {key} = {value} is invalid: {e}");
            }
        }
    }
}
