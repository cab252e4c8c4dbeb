//! Human-readable numbers for the terminal: thousands separators, USD with
//! k/M/bn suffixes, percentages.

/// `1234567.891` → `1,234,567.89` (`decimals` digits after the point).
pub fn thousands(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `18.5e9` → `$18.50 bn`, `2.1e8` → `$210.00 M`, `2520` → `$2,520`.
pub fn usd(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("${:.2} bn", x / 1e9)
    } else if a >= 1e6 {
        format!("${:.2} M", x / 1e6)
    } else {
        format!("${}", thousands(x, 0))
    }
}

/// `0.0612` → `6.12 %`.
pub fn percent(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// `x` to `digits` significant digits in plain decimal notation, without
/// trailing zeros (`0.000123456` at 3 → `0.000123`, `123456.7` at 3 →
/// `123457`, `0.5` at 6 → `0.5`).
pub fn significant(x: f64, digits: u32) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i64;
    let decimals = (i64::from(digits) - 1 - magnitude).clamp(0, 15) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(thousands(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(thousands(-1_000.0, 0), "-1,000");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(usd(18.5e9), "$18.50 bn");
        assert_eq!(usd(2.1e8), "$210.00 M");
        assert_eq!(usd(2520.0), "$2,520");
        assert_eq!(percent(0.0612), "6.12 %");
        assert_eq!(significant(0.000_123_456, 3), "0.000123");
        assert_eq!(significant(123_456.7, 3), "123457");
        assert_eq!(significant(-0.5, 2), "-0.5");
        assert_eq!(significant(0.109_375, 6), "0.109375");
        assert_eq!(significant(1200.0, 2), "1200");
        assert_eq!(significant(0.0, 4), "0");
    }
}
