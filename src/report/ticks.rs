//! Units of chart axes and how their tick labels read: `$210 M`, `6.5 %`,
//! `12,500`, `day 90`.

/// What an axis measures, which sets its description and tick labels.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    /// US dollars.
    Usd,
    /// A fraction shown as a percentage (0.06 → 6 %).
    Percent,
    /// An amount of an asset, or a count, with thousands separators.
    Amount,
    /// A probability on a log axis (0.01 → 1 %).
    Probability,
    /// Days since the start of the run.
    Day,
    /// Any other number, as written.
    Plain,
    /// Named categories at 0, 1, 2, …; other positions have no label.
    Categories(Vec<String>),
}

impl Unit {
    /// A tick label for `v`.
    pub fn tick(&self, v: f64) -> String {
        match self {
            Unit::Usd => usd_compact(v),
            Unit::Percent => format!("{} %", trim(v * 100.0, 2)),
            Unit::Probability => format!("{} %", significant(v * 100.0)),
            Unit::Amount => amount_compact(v),
            Unit::Day => grouped(v.round(), 0),
            Unit::Plain => trim(v, 4),
            Unit::Categories(names) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        }
    }
}

/// `v` with at most `decimals` digits after the point, trailing zeros trimmed.
fn trim(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// Two significant digits for small numbers, none lost for large ones.
fn significant(v: f64) -> String {
    if v == 0.0 || v.abs() >= 10.0 {
        trim(v, 0)
    } else {
        let decimals = (1.0 - v.abs().log10().floor()).max(0.0) as usize;
        trim(v, decimals)
    }
}

/// Thousands separators: `12500.5` → `12,500.5` (`decimals` at most).
pub fn grouped(v: f64, decimals: usize) -> String {
    let s = trim(v.abs(), decimals);
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// `$1.5 bn`, `$210 M`, `$12.5 k`, `$950`.
fn usd_compact(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    if a >= 1e9 {
        format!("{sign}${} bn", trim(a / 1e9, 2))
    } else if a >= 1e6 {
        format!("{sign}${} M", trim(a / 1e6, 2))
    } else if a >= 1e4 {
        format!("{sign}${} k", trim(a / 1e3, 1))
    } else {
        format!("{sign}${}", grouped(a, 2))
    }
}

/// `1.5 M`, `12,500`, `0.25`.
fn amount_compact(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{} M", trim(v / 1e6, 2))
    } else if v.abs() >= 100.0 {
        grouped(v, 0)
    } else {
        grouped(v, 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_read_as_people_write_them() {
        assert_eq!(Unit::Usd.tick(210e6), "$210 M");
        assert_eq!(Unit::Usd.tick(18.5e9), "$18.5 bn");
        assert_eq!(Unit::Usd.tick(12_500.0), "$12.5 k");
        assert_eq!(Unit::Usd.tick(2520.0), "$2,520");
        assert_eq!(Unit::Usd.tick(-3e6), "-$3 M");
        assert_eq!(Unit::Percent.tick(0.06), "6 %");
        assert_eq!(Unit::Percent.tick(0.0725), "7.25 %");
        assert_eq!(Unit::Percent.tick(-0.1), "-10 %");
        assert_eq!(Unit::Probability.tick(0.01), "1 %");
        assert_eq!(Unit::Probability.tick(0.001), "0.1 %");
        assert_eq!(Unit::Probability.tick(0.00025), "0.025 %");
        assert_eq!(Unit::Amount.tick(12_500.0), "12,500");
        assert_eq!(Unit::Amount.tick(2.5e6), "2.5 M");
        assert_eq!(Unit::Amount.tick(0.125), "0.125");
        assert_eq!(Unit::Day.tick(365.0), "365");
        assert_eq!(Unit::Day.tick(1460.0), "1,460");
        assert_eq!(grouped(-1234.5, 1), "-1,234.5");
        let names = Unit::Categories(vec!["a".into(), "b".into()]);
        assert_eq!(
            (names.tick(1.0), names.tick(0.5), names.tick(2.0)),
            ("b".into(), String::new(), String::new())
        );
    }
}
