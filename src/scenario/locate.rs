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

/// Splits `a.b[2].c` into segments. Keys containing dots or brackets are not
/// produced by the scenario format, so no quoting is handled.
pub fn parse_key_path(path: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            segments.push(Segment::Key(rest[..open].to_string()));
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(i) = stripped[..close].parse() {
                    segments.push(Segment::Index(i));
                }
                rest = stripped.get(close + 1..).unwrap_or("");
            }
        } else {
            segments.push(Segment::Key(rest.to_string()));
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
    fn locates_nested_keys_in_arrays_of_tables() {
        let src = "[run]\nname = \"x\"\n\n[[protocol]]\nname = \"a\"\n\n[[protocol]]\nname = \"b\"\nslashing = { yearly_probability = 2 }\n";
        let doc = DeTable::parse(src).unwrap();
        let at = locate(doc.get_ref(), "protocol[1].slashing.yearly_probability").unwrap();
        assert_eq!(line_column(src, at), (9, 14));
        let at = locate(doc.get_ref(), "protocol[1].nonexistent").unwrap();
        assert_eq!(line_column(src, at).0, 7);
    }
}
