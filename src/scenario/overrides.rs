//! `--set key.path=value` and `--multiply key.path=factor` overrides,
//! applied to the parsed TOML tree before it is turned into typed structs.
//! Array elements are addressed by index, by their `name` (or `class`)
//! value, or all at once with `*`:
//! `protocol.*.slashing.yearly_probability=0.05`.
//!
//! A multiplied integer stays an integer where the key takes one: the
//! product is rounded to the nearest integer when the file is typed
//! ([`deserialize`]), not before, so a number key written as an integer
//! (`price_usd = 3`) keeps its exact product (1.5 for a factor of 0.5).

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::locate::{Segment, parse_key_path};

/// One override from the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Dotted key path.
    pub path: String,
    /// New value (for a multiplication: the factor, as a float).
    pub value: Value,
    /// Multiply the existing number by `value` instead of replacing it.
    pub multiply: bool,
    /// Where it came from, as errors name it: `--set key=value`,
    /// `--multiply key=factor`, `--paths 0`, a sweep axis.
    pub flag: String,
}

impl std::fmt::Display for Override {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = if self.multiply { "*=" } else { "=" };
        write!(f, "{}{op}{}", self.path, self.value)
    }
}

impl Override {
    /// Parses `key.path=value`; the value is read as TOML (number, bool,
    /// string, array, inline table) and otherwise taken as a bare string.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (path, raw) = spec
            .split_once('=')
            .ok_or_else(|| format!("expected key.path=value, found \"{spec}\""))?;
        let path = path.trim();
        if path.is_empty() {
            return Err(format!("expected a key path before '=', found \"{spec}\""));
        }
        let raw = raw.trim();
        let value = toml::from_str::<Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(raw.to_string()));
        Ok(Override {
            path: path.to_string(),
            value,
            multiply: false,
            flag: format!("--set {}", spec.trim()),
        })
    }

    /// An override that sets `path` to `value`, named `path=value` in
    /// errors until [`named`](Self::named) says where it came from.
    pub fn set(path: &str, value: Value) -> Self {
        Override {
            flag: format!("{path}={value}"),
            path: path.to_string(),
            value,
            multiply: false,
        }
    }

    /// The same override, named `flag` in errors (e.g. `--paths 0`).
    pub fn named(self, flag: impl Into<String>) -> Self {
        Override {
            flag: flag.into(),
            ..self
        }
    }

    /// Parses `key.path=factor`: multiply the number at `key.path` (every
    /// match of a `*`) by `factor`.
    pub fn parse_multiply(spec: &str) -> Result<Self, String> {
        let (path, raw) = spec
            .split_once('=')
            .ok_or_else(|| format!("expected key.path=factor, found \"{spec}\""))?;
        let factor: f64 = raw
            .trim()
            .parse()
            .map_err(|_| format!("expected a number after '=', found \"{}\"", raw.trim()))?;
        if !factor.is_finite() {
            return Err(format!("expected a finite factor, found {factor}"));
        }
        Ok(Override {
            path: path.trim().to_string(),
            value: Value::Float(factor),
            multiply: true,
            flag: format!("--multiply {}", spec.trim()),
        })
    }
}

/// Key paths (`staker[0].count`) where a multiplication turned an integer
/// into a product with a fractional part, left as a float until the file is
/// typed: [`deserialize`] rounds it where the key takes an integer.
pub type Products = Vec<String>;

/// The new value of a leaf at `at`: the override's value, or the old number
/// times the factor. An integer times the factor stays an integer when the
/// product is one; otherwise `at` is recorded in `products`.
fn new_leaf(
    old: Option<&Value>,
    o: &Override,
    at: &str,
    products: &mut Products,
) -> Result<Value, String> {
    if !o.multiply {
        return Ok(o.value.clone());
    }
    let factor = o.value.as_float().unwrap_or(1.0);
    match old {
        Some(Value::Integer(i)) => {
            let x = *i as f64 * factor;
            // Integers below 2^63 convert exactly; beyond, the float stays.
            if x.fract() == 0.0 && x.abs() < 9.0e18 {
                Ok(Value::Integer(x as i64))
            } else {
                products.push(at.to_string());
                Ok(Value::Float(x))
            }
        }
        Some(Value::Float(x)) => Ok(Value::Float(x * factor)),
        Some(other) => Err(format!(
            "{at} is {}, not a number: it cannot be multiplied",
            other.type_str()
        )),
        None => Err(format!(
            "{at} is not set in the file: there is nothing to multiply"
        )),
    }
}

/// Applies overrides in order, returning where a multiplied integer became
/// a fractional product (for [`deserialize`]). An error names the path and
/// the keys or elements that do exist at the point where the path went
/// wrong, with the flag of the override that failed: `(flag, message)`.
pub fn apply(root: &mut Table, overrides: &[Override]) -> Result<Products, (String, String)> {
    let mut products = Products::new();
    for o in overrides {
        apply_one(root, o, &mut products).map_err(|e| (o.flag.clone(), e))?;
    }
    Ok(products)
}

/// Applies one override; the error does not repeat its path.
pub fn apply_one(root: &mut Table, o: &Override, products: &mut Products) -> Result<(), String> {
    let segments: Vec<&str> = o.path.split('.').collect();
    let applied = set_in_table(root, &segments, o, "", products)?;
    if applied == 0 {
        return Err("no element matched".into());
    }
    Ok(())
}

/// Types an overridden tree as `T`. Where a multiplied integer (`products`)
/// lands on a key that takes an integer, its product is rounded to the
/// nearest integer (halves away from zero) and typing tried again; a
/// rounded value out of the key's range is then an error like any other.
pub fn deserialize<T: DeserializeOwned>(
    mut root: Table,
    mut products: Products,
) -> Result<T, serde_path_to_error::Error<toml::de::Error>> {
    loop {
        if products.is_empty() {
            return serde_path_to_error::deserialize(Value::Table(root));
        }
        let error = match serde_path_to_error::deserialize(Value::Table(root.clone())) {
            Ok(typed) => return Ok(typed),
            Err(e) => e,
        };
        let path = error.path().to_string();
        let at = products.iter().position(|p| *p == path);
        match at {
            Some(i)
                if error
                    .inner()
                    .message()
                    .starts_with("invalid type: floating point") =>
            {
                products.swap_remove(i);
                round_at(&mut root, &path);
            }
            _ => return Err(error),
        }
    }
}

/// Rounds the float at the key path `path` (as [`apply`] records it) to the
/// nearest integer; large values saturate at the integer range.
fn round_at(root: &mut Table, path: &str) {
    let mut segments = parse_key_path(path).into_iter();
    let Some(Segment::Key(first)) = segments.next() else {
        return;
    };
    let mut value = root.get_mut(&first);
    for segment in segments {
        value = match (segment, value) {
            (Segment::Key(k), Some(Value::Table(t))) => t.get_mut(&k),
            (Segment::Index(i), Some(Value::Array(a))) => a.get_mut(i),
            _ => None,
        };
    }
    if let Some(v) = value
        && let Some(x) = v.as_float()
    {
        *v = Value::Integer(x.round() as i64);
    }
}

fn set_in_table(
    table: &mut Table,
    segments: &[&str],
    value: &Override,
    at: &str,
    products: &mut Products,
) -> Result<usize, String> {
    let (key, rest) = segments.split_first().ok_or("empty key path")?;
    let here = if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    };
    if rest.is_empty() {
        let leaf = new_leaf(table.get(*key), value, &here, products)?;
        table.insert(key.to_string(), leaf);
        return Ok(1);
    }
    match table.get_mut(*key) {
        Some(Value::Table(t)) => set_in_table(t, rest, value, &here, products),
        Some(Value::Array(items)) => set_in_array(items, rest, value, &here, products),
        Some(_) => Err(format!(
            "{here} is a value, not a table: nothing below it to set"
        )),
        None if value.multiply => Err(format!(
            "{here} is not set in the file: there is nothing to multiply"
        )),
        None if rest[0] == "*" || rest[0].parse::<usize>().is_ok() => Err(format!(
            "the file has no \"{here}\" to set an element of; add a [[{here}]] table first"
        )),
        None => {
            let mut known: Vec<&str> = table.keys().map(String::as_str).collect();
            known.sort_unstable();
            let mut t = Table::new();
            let n = set_in_table(&mut t, rest, value, &here, products).map_err(|_| {
                format!(
                    "unknown key \"{here}\"; keys present here: {}",
                    known.join(", ")
                )
            })?;
            table.insert(key.to_string(), Value::Table(t));
            Ok(n)
        }
    }
}

/// The candidates closest to `wanted` by edit distance (at most a third of
/// its length, and at least 2, edits away), best first; empty when none is
/// close.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(wanted, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup();
    let best = scored.first().map_or(0, |s| s.0);
    scored
        .into_iter()
        .take_while(|s| s.0 == best)
        .map(|s| s.1)
        .collect()
}

/// `; did you mean "a" or "b"?` for the closest candidates, or nothing.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let near = closest(wanted, candidates);
    if near.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = near.iter().map(|n| format!("\"{n}\"")).collect();
    format!("; did you mean {}?", quoted.join(" or "))
}

fn element_name(v: &Value) -> Option<&str> {
    let t = v.as_table()?;
    t.get("name").or_else(|| t.get("class"))?.as_str()
}

fn set_in_array(
    items: &mut [Value],
    segments: &[&str],
    value: &Override,
    at: &str,
    products: &mut Products,
) -> Result<usize, String> {
    let (selector, rest) = segments.split_first().ok_or("empty key path")?;
    let names: Vec<String> = items
        .iter()
        .filter_map(element_name)
        .map(str::to_string)
        .collect();
    let mut applied = 0;
    for (i, item) in items.iter_mut().enumerate() {
        let matches = *selector == "*"
            || selector.parse::<usize>() == Ok(i)
            || element_name(item) == Some(selector);
        if !matches {
            continue;
        }
        let here = format!("{at}[{i}]");
        if rest.is_empty() {
            *item = new_leaf(Some(item), value, &here, products)?;
            applied += 1;
            continue;
        }
        match item {
            Value::Table(t) => applied += set_in_table(t, rest, value, &here, products)?,
            _ => return Err(format!("{here} is not a table")),
        }
    }
    if applied == 0
        && let Ok(index) = selector.parse::<usize>()
    {
        return Err(match items.len() {
            0 => format!("index {index} is out of range: \"{at}\" has no elements"),
            1 => format!("index {index} is out of range: \"{at}\" has one element, index 0"),
            n => format!(
                "index {index} is out of range: \"{at}\" has {n} elements, indices 0 to {}",
                n - 1
            ),
        });
    }
    if applied == 0 {
        return Err(format!(
            "no element of \"{at}\" is named \"{selector}\"; use an index, '*' or one of: {}{}",
            names.join(", "),
            did_you_mean(selector, names.iter().map(String::as_str)),
        ));
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        toml::from_str(
            "[run]\npaths = 10\n[[protocol]]\nname = \"a\"\nslashing = { yearly_probability = 0.01 }\n[[protocol]]\nname = \"b\"\nslashing = { yearly_probability = 0.02 }\n",
        )
        .unwrap()
    }

    #[test]
    fn star_sets_every_element() {
        let mut t = doc();
        let o = Override::parse("protocol.*.slashing.yearly_probability=0.05").unwrap();
        apply(&mut t, &[o]).unwrap();
        for p in t["protocol"].as_array().unwrap() {
            assert_eq!(p["slashing"]["yearly_probability"].as_float(), Some(0.05));
        }
    }

    #[test]
    fn names_and_indices_select_one_element() {
        let mut t = doc();
        apply(
            &mut t,
            &[Override::parse("protocol.b.slashing.yearly_probability=0.5").unwrap()],
        )
        .unwrap();
        apply(&mut t, &[Override::parse("protocol.0.name=\"z\"").unwrap()]).unwrap();
        let ps = t["protocol"].as_array().unwrap();
        assert_eq!(ps[0]["name"].as_str(), Some("z"));
        assert_eq!(
            ps[1]["slashing"]["yearly_probability"].as_float(),
            Some(0.5)
        );
    }

    #[test]
    fn multiply_scales_every_match_and_refuses_missing_keys() {
        let mut t = doc();
        let o = Override::parse_multiply("protocol.*.slashing.yearly_probability=10").unwrap();
        apply(&mut t, &[o]).unwrap();
        let ps = t["protocol"].as_array().unwrap();
        assert_eq!(
            ps[0]["slashing"]["yearly_probability"].as_float(),
            Some(0.1)
        );
        assert_eq!(
            ps[1]["slashing"]["yearly_probability"].as_float(),
            Some(0.2)
        );
        let missing = Override::parse_multiply("protocol.*.capacity=2").unwrap();
        assert!(apply(&mut t, &[missing]).is_err());
    }

    #[test]
    fn multiplied_integers_stay_integers() {
        let mut t = doc();
        let double = Override::parse_multiply("run.paths=2").unwrap();
        assert!(apply(&mut t, &[double]).unwrap().is_empty());
        assert_eq!(t["run"]["paths"], Value::Integer(20));
        // A fractional product is left as a float and recorded.
        let third = Override::parse_multiply("run.paths=0.125").unwrap();
        assert_eq!(apply(&mut t, &[third]).unwrap(), vec!["run.paths"]);
        assert_eq!(t["run"]["paths"].as_float(), Some(2.5));
    }

    #[derive(Debug, serde::Deserialize)]
    struct Typed {
        run: TypedRun,
        protocol: Vec<TypedProtocol>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct TypedRun {
        paths: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    struct TypedProtocol {
        days: u32,
        price: f64,
    }

    fn typed(o: &str) -> Result<Typed, String> {
        let mut t: Table = toml::from_str(
            "[run]\npaths = 10\n[[protocol]]\ndays = 7\nprice = 3\n[[protocol]]\ndays = 3\nprice = 5\n",
        )
        .unwrap();
        let products =
            apply(&mut t, &[Override::parse_multiply(o).unwrap()]).map_err(|(_, e)| e)?;
        deserialize(t, products).map_err(|e| format!("{}: {}", e.path(), e.inner().message()))
    }

    #[test]
    fn a_product_is_rounded_where_the_key_takes_an_integer() {
        // 7 × 1.5 = 10.5 and 3 × 1.5 = 4.5 round half away from zero.
        let t = typed("protocol.*.days=1.5").unwrap();
        assert_eq!((t.protocol[0].days, t.protocol[1].days), (11, 5));
        let t = typed("run.paths=0.33").unwrap();
        assert_eq!(t.run.paths, 3);
        // A number key written as an integer keeps the exact product.
        let t = typed("protocol.*.price=0.5").unwrap();
        assert_eq!((t.protocol[0].price, t.protocol[1].price), (1.5, 2.5));
        // A rounded value out of range fails like any other.
        let err = typed("run.paths=-0.5").unwrap_err();
        assert!(
            err.starts_with("run.paths: invalid value: integer `-5`"),
            "{err}"
        );
    }

    #[test]
    fn a_multiplied_count_gives_a_valid_scenario() {
        let text = "[run]\nname = \"m\"\nhorizon_days = 30\npaths = 10\n\n[[asset]]\nname = \"ETH\"\nprice_usd = 3\n\n[[protocol]]\nname = \"p\"\nassets = [\"ETH\"]\napr = { curve = \"constant\", value = 0.05 }\nunbonding_days = 7\n\n[[staker]]\nclass = \"s\"\ncount = 3\nasset = \"ETH\"\nstake = { dist = \"fixed\", value = 1 }\nallocate = { p = 1.0 }\n";
        let parse = |specs: &[&str]| {
            let o: Vec<Override> = specs
                .iter()
                .map(|s| Override::parse_multiply(s).unwrap())
                .collect();
            crate::scenario::parse(text, std::path::Path::new("m.toml"), &o)
        };
        let (file, model) = parse(&[
            "staker.*.count=1.5",
            "protocol.p.unbonding_days=2",
            "asset.ETH.price_usd=0.5",
        ])
        .unwrap();
        assert_eq!(file.stakers[0].count, 5);
        assert_eq!(file.protocols[0].unbonding_days, 14);
        assert_eq!(model.assets[0].price_usd, 1.5);
        // run.paths = 10 × 0.04 rounds to 0, which validation refuses.
        let err = parse(&["run.paths=0.04"]).unwrap_err();
        let problems = err.problems();
        assert_eq!(problems.len(), 1, "{err}");
        assert_eq!(problems[0].key_path, "run.paths");
        assert_eq!(problems[0].message, "expected an integer ≥ 1, found 0");
    }

    #[test]
    fn closest_names_are_suggested_by_edit_distance() {
        let names = ["babylon", "babylon-bsn", "eigen-da", "run"];
        assert_eq!(closest("babylom", names), vec!["babylon"]);
        assert_eq!(closest("eigen_da", names), vec!["eigen-da"]);
        assert!(closest("zzzzzz", names).is_empty());
        assert_eq!(did_you_mean("rn", names), "; did you mean \"run\"?");
        assert_eq!(did_you_mean("zzzzzz", names), "");
    }

    #[test]
    fn unknown_element_lists_the_known_names() {
        let mut t = doc();
        let err = apply(
            &mut t,
            &[Override::parse("protocol.zz.slashing=1").unwrap()],
        )
        .unwrap_err();
        assert_eq!(err.0, "--set protocol.zz.slashing=1");
        assert!(err.1.contains("a, b"), "{}", err.1);
    }
}
