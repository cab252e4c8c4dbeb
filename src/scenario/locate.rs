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
/// dots included, `\"` and `\\` standing for `"` and `\`:
/// `sweep."run.seed"[1]` (a `[sweep]` key is itself a key path); other keys
/// of the scenario format contain no dots or brackets.
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
                let mut key = String::new();
                let mut chars = rest[1..].char_indices();
                let mut close = rest.len() - 1;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '"' => {
                            close = i;
                            break;
                        }
                        '\\' => key.extend(chars.next().map(|(_, c)| c)),
                        _ => key.push(c),
                    }
                }
                segments.push(Segment::Key(key));
                rest = rest.get(close + 2..).unwrap_or("");
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

/// Writes segments as a key path, as [`parse_key_path`] reads it back: a
/// key that is empty or holds a `.`, `[` or `"` is written in double quotes
/// (`run.""`, `sweep."run.seed"`), with `\"` and `\\` for `"` and `\`.
pub fn join_key_path(segments: &[Segment]) -> String {
    let mut path = String::new();
    for segment in segments {
        match segment {
            Segment::Index(i) => path.push_str(&format!("[{i}]")),
            Segment::Key(key) => {
                if !path.is_empty() {
                    path.push('.');
                }
                if key.is_empty() || key.contains(['.', '[', '"']) {
                    let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
                    path.push_str(&format!("\"{escaped}\""));
                } else {
                    path.push_str(key);
                }
            }
        }
    }
    path
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
    Lines::new(source).line_column(offset)
}

/// A text's line starts, found once, so that locating many offsets (a
/// problem for each of thousands of tables) does not scan the text each
/// time.
pub struct Lines<'a> {
    source: &'a str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
    /// Whether every character is one byte.
    ascii: bool,
}

impl<'a> Lines<'a> {
    /// Indexes the lines of `source`.
    pub fn new(source: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            source,
            starts,
            ascii: source.is_ascii(),
        }
    }

    /// 1-based (line, column) of a byte offset; the column counts
    /// characters.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = match self.source.get(start..offset) {
            Some(text) if !self.ascii => text.chars().count(),
            _ => offset - start,
        };
        (line, column + 1)
    }
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
    fn joined_key_paths_read_back() {
        let segments = vec![
            Segment::Key("sweep".into()),
            Segment::Key("run.seed".into()),
            Segment::Index(1),
            Segment::Key(String::new()),
            Segment::Key("a\"b\\".into()),
        ];
        let path = join_key_path(&segments);
        assert_eq!(path, r#"sweep."run.seed"[1].""."a\"b\\""#);
        assert_eq!(parse_key_path(&path), segments);
        let src = "[run]\nname = \"x\"\n\"\" = 1\n";
        let doc = DeTable::parse(src).unwrap();
        let at = locate(doc.get_ref(), "run.\"\"").unwrap();
        assert_eq!(line_column(src, at), (3, 1));
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
