//! Finding where a key path (`protocol[2].slashing.severity.alpha`) sits in
//! the source text, so errors can name a line and column.

use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Splits `a.b[2].c` into segments. A key in double quotes is taken whole,
/// dots included: `sweep."run.seed"[1]` (a `[sweep]` key is itself a key
/// path); other keys of the scenario format contain no dots or brackets.
pub fn parse_key_path(path: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut rest = path;
    while let Some(c) = rest.chars().next() {
        match c {
            '.' => rest = &rest[1..],
            '[' => {
                let inner = &rest[1..];
                let close = inner.find(']').unwrap_or(inner.len());
                if let Ok(i) = inner[..close].parse() {
                    segments.push(Segment::Index(i));
                }
                rest = inner.get(close + 1..).unwrap_or("");
            }
            '"' => {
                let inner = &rest[1..];
                let close = inner.find('"').unwrap_or(inner.len());
                segments.push(Segment::Key(inner[..close].to_string()));
                rest = inner.get(close + 1..).unwrap_or("");
            }
            _ => {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                segments.push(Segment::Key(rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
    }
    segments
}

/// Byte offset of the deepest part of `path` present in the parsed document
/// (the key itself when present, else its nearest enclosing table or array).
pub fn locate(root: &DeTable<'_>, path: &str) -> Option<usize> {
    let mut best = None;
    let mut current: Option<&DeValue<'_>> = None;
    for segment in parse_key_path(path) {
        let next = match (segment, current) {
            (Segment::Key(key), None) => root
                .iter()
                .find(|(k, _)| k.get_ref().as_ref() == key.as_str())
                .map(|(k, v)| (k.span().start, v)),
            (Segment::Key(key), Some(DeValue::Table(t))) => t
                .iter()
                .find(|(k, _)| k.get_ref().as_ref() == key.as_str())
                .map(|(k, v)| (k.span().start, v)),
            (Segment::Index(i), Some(DeValue::Array(a))) => {
                a.iter().skip(i).map(|v| (v.span().start, v)).next()
            }
            _ => None,
        };
        let Some((offset, value)) = next else { break };
        best = Some(offset);
        current = Some(value.get_ref());
    }
    best
}

/// 1-based (line, column) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_split_into_keys_and_indices() {
        assert_eq!(
            parse_key_path("protocol[2].slashing.alpha"),
            vec![
                Segment::Key("protocol".into()),
                Segment::Index(2),
                Segment::Key("slashing".into()),
                Segment::Key("alpha".into())
            ]
        );
    }

    #[test]
    fn quoted_keys_are_taken_whole() {
        assert_eq!(
            parse_key_path("sweep.\"protocol.a.apr.value\"[1]"),
            vec![
                Segment::Key("sweep".into()),
                Segment::Key("protocol.a.apr.value".into()),
                Segment::Index(1)
            ]
        );
        let src = "[run]\nname = \"x\"\n\n[sweep]\n\"run.seed\" = [1,\n  2]\n";
        let doc = DeTable::parse(src).unwrap();
        let at = locate(doc.get_ref(), "sweep.\"run.seed\"[1]").unwrap();
        assert_eq!(line_column(src, at), (6, 3));
        let at = locate(doc.get_ref(), "sweep.\"run.seed\"").unwrap();
        assert_eq!(line_column(src, at), (5, 1));
    }

    #[test]
    fn locates_nested_keys_in_arrays_of_tables() {
        let src = "[run]\nname = \"x\"\n\n[[protocol]]\nname = \"a\"\n\n[[protocol]]\nname = \"b\"\nslashing = { yearly_probability = 2 }\n";
        let doc = DeTable::parse(src).unwrap();
        let at = locate(doc.get_ref(), "protocol[1].slashing.yearly_probability").unwrap();
        assert_eq!(line_column(src, at), (9, 14));
        let at = locate(doc.get_ref(), "protocol[1].nonexistent").unwrap();
        assert_eq!(line_column(src, at).0, 7);
    }
}
