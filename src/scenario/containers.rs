//! A bound on the tables and arrays a scenario file builds, checked on the
//! TOML parser's events before any tree is built. A tree costs about two
//! kilobytes a table, and a table can cost two bytes of text (`a.a.a.…`
//! in a header or a dotted key, `{a={a=…}}`): without the bound, a file of
//! a few megabytes would take gigabytes to read.

use toml_parser::parser::{EventReceiver, RecursionGuard, parse_document};
use toml_parser::{ErrorSink, Source, Span};

/// Most tables and arrays a scenario file may build (each table header,
/// each part of a dotted key before the last, each inline table, each
/// array): ten times what 4,096 fully written protocols need, and a
/// quarter of a million trees' worth of memory at most.
pub const MAX_CONTAINERS: usize = 250_000;

/// Deepest nesting of inline tables and arrays followed while counting,
/// as deep as the TOML parser that reads the file afterwards goes.
const MAX_NESTING: u32 = 80;

/// The byte offset at which the tables and arrays of `source` exceed
/// `limit`, if they do. A text that is not TOML is counted as far as the
/// parser reads it (its syntax error is reported by the parse that
/// follows).
pub fn excess(source: &str, limit: usize) -> Option<usize> {
    let tokens = Source::new(source).lex().into_vec();
    let mut counter = Counter {
        count: 0,
        limit,
        at: None,
    };
    // Nesting is cut at the TOML parser's own depth: the event parser
    // recurses once a level, so a file of deeply nested inline tables
    // would otherwise overflow the stack here (the parse that follows
    // reports the depth as a syntax error).
    let mut guarded = RecursionGuard::new(&mut counter, MAX_NESTING);
    parse_document(&tokens, &mut guarded, &mut ());
    counter.at
}

/// Counts the events that build a table or an array; past the limit, it
/// records where and lets the parser skip what is nested.
struct Counter {
    count: usize,
    limit: usize,
    at: Option<usize>,
}

impl Counter {
    /// Counts one table or array at `span`; false once past the limit.
    fn add(&mut self, span: Span) -> bool {
        if self.at.is_some() {
            return false;
        }
        self.count += 1;
        if self.count > self.limit {
            self.at = Some(span.start());
            return false;
        }
        true
    }
}

impl EventReceiver for Counter {
    fn std_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        self.add(span);
    }

    fn array_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        self.add(span);
    }

    fn inline_table_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.add(span)
    }

    fn array_open(&mut self, span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.add(span)
    }

    fn key_sep(&mut self, span: Span, _error: &mut dyn ErrorSink) {
        self.add(span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_headers_dotted_keys_inline_tables_and_arrays() {
        let text = "[run]\nname = \"x\"\n[a.b.c]\nd.e = { f = [1, [2]] }\ng = 1.5\nh = \"i.j\"\n";
        // [run], [a.b.c] (3), d.e (1), { }, [ ], [ ]: 8; floats and
        // strings count nothing.
        assert_eq!(excess(text, 8), None);
        let at = excess(text, 7).expect("one too many");
        assert!(text[at..].starts_with("[2]"), "{}", &text[at..]);
    }

    #[test]
    fn deep_nesting_is_counted_without_recursing_past_the_parsers_depth() {
        // 100,000 nested inline tables once overflowed a 2 MiB stack here.
        let depth = 100_000;
        let text = format!("deep = {}1{}", "{ a = ".repeat(depth), " }".repeat(depth));
        let counted = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || excess(&text, MAX_CONTAINERS))
            .expect("spawn")
            .join();
        assert_eq!(counted.expect("no stack overflow"), None);
    }

    #[test]
    fn a_text_that_is_not_toml_is_counted_as_far_as_it_reads() {
        assert_eq!(excess("[[[[ = = {", 100), None);
        assert!(excess(&"[x]\n".repeat(3), 2).is_some());
    }
}
