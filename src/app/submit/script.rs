//! Shell command lines: POSIX quoting, and words that hold the job's index
//! (a Slurm array task, a Kubernetes completion index, an `xargs` item).

/// Characters that need no quoting anywhere in a word.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c)
}

/// `s` as one word of a POSIX shell: as is when it holds only safe
/// characters, else in single quotes (a `'` written `'\''`).
pub fn quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(is_safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A command line of plain words, each quoted; the first word is quoted
/// also when it holds `=` (else the shell reads an assignment).
pub fn command_line<S: AsRef<str>>(words: &[S]) -> String {
    let words: Vec<Word> = words.iter().map(|w| Word::text(w.as_ref())).collect();
    render(&words, "")
}

/// One piece of a [`Word`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// The job's index (1-based), spelt as the runner spells it.
    Index,
}

/// A word of a command line, perhaps holding the job's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word(pub Vec<Piece>);

impl Word {
    /// A literal word.
    pub fn text(s: impl Into<String>) -> Word {
        Word(vec![Piece::Text(s.into())])
    }

    /// `prefix`, the index, `suffix`.
    pub fn indexed(prefix: impl Into<String>, suffix: impl Into<String>) -> Word {
        Word(vec![
            Piece::Text(prefix.into()),
            Piece::Index,
            Piece::Text(suffix.into()),
        ])
    }

    /// The word with the index written as `index` (for display and tests).
    pub fn with_index(&self, index: &str) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Index => index,
            })
            .collect()
    }
}

/// The words as a shell command line: literal pieces quoted, the index
/// written as `index` (e.g. `"$I"` or `{}`), unquoted.
pub fn render(words: &[Word], index: &str) -> String {
    let mut out = Vec::with_capacity(words.len());
    for (n, word) in words.iter().enumerate() {
        let mut s = String::new();
        for piece in &word.0 {
            match piece {
                Piece::Text(t) if t.is_empty() => {}
                Piece::Text(t) => {
                    let q = quote(t);
                    if n == 0 && s.is_empty() && q == *t && t.contains('=') {
                        s.push_str(&format!("'{t}'"));
                    } else {
                        s.push_str(&q);
                    }
                }
                Piece::Index => s.push_str(index),
            }
        }
        if s.is_empty() {
            s.push_str("''");
        }
        out.push(s);
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn safe_words_stay_as_they_are() {
        assert_eq!(quote("run.paths=100"), "run.paths=100");
        assert_eq!(quote("/opt/x/restake-sim"), "/opt/x/restake-sim");
        assert_eq!(quote("--dependency=afterok:12"), "--dependency=afterok:12");
    }

    #[test]
    fn other_words_are_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("protocol.*.x=1"), "'protocol.*.x=1'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote("~/x"), "'~/x'");
        assert_eq!(quote("a\nb"), "'a\nb'");
    }

    #[test]
    fn a_first_word_with_equals_is_not_an_assignment() {
        assert_eq!(command_line(&["a=b", "c=d"]), "'a=b' c=d");
    }

    #[test]
    fn the_index_is_written_unquoted_between_quoted_pieces() {
        let words = [
            Word::text("run"),
            Word::indexed("", "/4"),
            Word::indexed("/tmp/my parts/shard-", ""),
        ];
        assert_eq!(
            render(&words, "\"$I\""),
            "run \"$I\"/4 '/tmp/my parts/shard-'\"$I\""
        );
        assert_eq!(words[2].with_index("3"), "/tmp/my parts/shard-3");
    }

    #[test]
    fn the_shell_reads_back_every_word() {
        let words = [
            "plain",
            "",
            "two words",
            "it's",
            "$HOME `x` \\ \" ; | & * ? [a] {b,c} ~",
            "tab\there",
            "line\nbreak",
            "ünïcode €",
        ];
        let Ok(out) = Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {}", command_line(&words)))
            .output()
        else {
            return; // no shell here
        };
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_string)
            .collect();
        assert_eq!(got, words);
    }
}
