//! The wording of validation messages as a user reads them: the type names
//! of the parser (`u32`, `f64`) said in words, with a hint when a number
//! was written in quotes, and huge numbers written short (`1e300`, not 301
//! digits).

/// Rewrites a message of the typed parser, such as `invalid type: string
/// "30", expected u32`, as `expected a whole number ≥ 0, found the text
/// "30" (write numbers without quotes)`; other messages are returned as
/// they are.
pub fn plain_type_message(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    else {
        return message.to_string();
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return message.to_string();
    };
    let expected = match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number ≥ 0",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        other => other,
    };
    // TOML integers are 64-bit; the parser reads a longer one as i128.
    if let Some(number) = found
        .strip_prefix("integer `")
        .and_then(|n| n.strip_suffix("` as i128"))
    {
        return format!(
            "expected an integer within 64 bits (magnitude below 9.2e18), found {number} (write a number this large as a float, with a decimal point or an exponent)"
        );
    }
    let found = if let Some(text) = found.strip_prefix("string ") {
        let hint = if text.trim_matches('"').trim().parse::<f64>().is_ok() {
            " (write numbers without quotes)"
        } else {
            ""
        };
        format!("the text {text}{hint}")
    } else if let Some(number) = found
        .strip_prefix("floating point `")
        .or_else(|| found.strip_prefix("integer `"))
    {
        number.trim_end_matches('`').to_string()
    } else {
        found.to_string()
    };
    format!("expected {expected}, found {found}")
}

/// Writes every number with more than 15 digits before its decimal point
/// in scientific notation (`1e300`), so that a message stays readable.
pub fn compact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut number = String::new();
    let flush = |number: &mut String, out: &mut String| {
        let digits = number.split('.').next().map_or(0, str::len);
        match number.parse::<f64>() {
            Ok(x) if digits > 15 => out.push_str(&format!("{x:e}")),
            _ => out.push_str(number),
        }
        number.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '.' && !number.is_empty()) {
            number.push(c);
        } else {
            flush(&mut number, &mut out);
            out.push(c);
        }
    }
    flush(&mut number, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_types_are_said_in_words() {
        assert_eq!(
            plain_type_message("invalid type: string \"30\", expected u32"),
            "expected a whole number ≥ 0, found the text \"30\" (write numbers without quotes)"
        );
        assert_eq!(
            plain_type_message("invalid value: integer `-1`, expected u32"),
            "expected a whole number ≥ 0, found -1"
        );
        assert_eq!(
            plain_type_message("invalid type: string \"long\", expected u32"),
            "expected a whole number ≥ 0, found the text \"long\""
        );
        assert_eq!(
            plain_type_message(
                "invalid type: integer `99999999999999999999` as i128, expected any valid TOML value"
            ),
            "expected an integer within 64 bits (magnitude below 9.2e18), found 99999999999999999999 (write a number this large as a float, with a decimal point or an exponent)"
        );
        assert_eq!(
            plain_type_message("unknown variant `x`, expected `a` or `b`"),
            "unknown variant `x`, expected `a` or `b`"
        );
    }

    #[test]
    fn huge_numbers_are_written_short() {
        let huge = format!("found {}", 1e300);
        assert_eq!(compact_numbers(&huge), "found 1e300");
        assert_eq!(
            compact_numbers("staker[0].count: found 12.5 at 1,000"),
            "staker[0].count: found 12.5 at 1,000"
        );
        let long_fraction = format!("found {} and more", 1.0 / 3.0);
        assert_eq!(compact_numbers(&long_fraction), long_fraction);
    }
}
