//! `--set key.path=value` and `--multiply key.path=factor` overrides,
//! applied to the parsed TOML tree before it is turned into typed structs.
//! Array elements are addressed by index, by their `name` (or `class`)
//! value, or all at once with `*`:
//! `protocol.*.slashing.yearly_probability=0.05`.

use toml::{Table, Value};

/// One override from the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Dotted key path.
    pub path: String,
    /// New value (for a multiplication: the factor, as a float).
    pub value: Value,
    /// Multiply the existing number by `value` instead of replacing it.
    pub multiply: bool,
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
        })
    }

    /// An override that sets `path` to `value`.
    pub fn set(path: &str, value: Value) -> Self {
        Override {
            path: path.to_string(),
            value,
            multiply: false,
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
        })
    }
}

/// The new value of a leaf: the override's value, or the old number times
/// the factor.
fn new_leaf(old: Option<&Value>, o: &Override, at: &str) -> Result<Value, String> {
    if !o.multiply {
        return Ok(o.value.clone());
    }
    let factor = o.value.as_float().unwrap_or(1.0);
    match old {
        Some(Value::Integer(i)) => Ok(Value::Float(*i as f64 * factor)),
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

/// Applies overrides in order. An error names the path and the keys or
/// elements that do exist at the point where the path went wrong.
pub fn apply(root: &mut Table, overrides: &[Override]) -> Result<(), String> {
    for o in overrides {
        let segments: Vec<&str> = o.path.split('.').collect();
        let applied =
            set_in_table(root, &segments, o, "").map_err(|e| format!("--set {}: {e}", o.path))?;
        if applied == 0 {
            return Err(format!("--set {}: no element matched", o.path));
        }
    }
    Ok(())
}

fn set_in_table(
    table: &mut Table,
    segments: &[&str],
    value: &Override,
    at: &str,
) -> Result<usize, String> {
    let (key, rest) = segments.split_first().ok_or("empty key path")?;
    let here = if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    };
    if rest.is_empty() {
        let leaf = new_leaf(table.get(*key), value, &here)?;
        table.insert(key.to_string(), leaf);
        return Ok(1);
    }
    match table.get_mut(*key) {
        Some(Value::Table(t)) => set_in_table(t, rest, value, &here),
        Some(Value::Array(items)) => set_in_array(items, rest, value, &here),
        Some(_) => Err(format!(
            "{here} is a value, not a table: nothing below it to set"
        )),
        None if value.multiply => Err(format!(
            "{here} is not set in the file: there is nothing to multiply"
        )),
        None => {
            let mut known: Vec<&str> = table.keys().map(String::as_str).collect();
            known.sort_unstable();
            let mut t = Table::new();
            let n = set_in_table(&mut t, rest, value, &here).map_err(|_| {
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

fn element_name(v: &Value) -> Option<&str> {
    let t = v.as_table()?;
    t.get("name").or_else(|| t.get("class"))?.as_str()
}

fn set_in_array(
    items: &mut [Value],
    segments: &[&str],
    value: &Override,
    at: &str,
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
            *item = new_leaf(Some(item), value, &here)?;
            applied += 1;
            continue;
        }
        match item {
            Value::Table(t) => applied += set_in_table(t, rest, value, &here)?,
            _ => return Err(format!("{here} is not a table")),
        }
    }
    if applied == 0 {
        return Err(format!(
            "no element of \"{at}\" is named \"{selector}\"; use an index, '*' or one of: {}",
            names.join(", ")
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
    fn unknown_element_lists_the_known_names() {
        let mut t = doc();
        let err = apply(
            &mut t,
            &[Override::parse("protocol.zz.slashing=1").unwrap()],
        )
        .unwrap_err();
        assert!(err.contains("a, b"), "{err}");
    }
}
