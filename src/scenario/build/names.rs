//! The name indexes: one map from name to index for each kind of entity a
//! scenario refers to by name (assets, protocols, shocks, operators, staker
//! classes, LRTs, lending markets),
//! built once at the start of [`super::build`] and handed to every table's
//! validator as [`Names`]. Building them finds the duplicate and blank names
//! and the names shared across kinds ([`NameIssues`]); `build` reports those
//! at the points they have always been reported, so the order of the issues
//! does not depend on when the indexes are built.

use std::collections::{HashMap, HashSet};

use super::{Issue, Validator};
use crate::scenario::file::ScenarioFile;

/// The entity name of the whole scenario in the outputs, reserved.
const TOTAL: &str = "total";

/// The names of one kind of entity: name → index of its definition in the
/// file (the last one when a name is defined twice, which is reported).
#[derive(Debug)]
pub(super) struct Index {
    /// Every name as written, blank ones included.
    map: HashMap<String, usize>,
    /// The names, sorted once for every error that lists them: all of
    /// them, and those that are not blank.
    sorted: Vec<String>,
    sorted_named: Vec<String>,
}

impl Index {
    fn of<'a>(names: impl Iterator<Item = &'a str>) -> Self {
        let map: HashMap<String, usize> = (names.enumerate())
            .map(|(i, name)| (name.to_string(), i))
            .collect();
        let mut sorted: Vec<String> = map.keys().cloned().collect();
        sorted.sort_unstable();
        let sorted_named = sorted.iter().filter(|n| !is_blank(n)).cloned().collect();
        Self {
            map,
            sorted,
            sorted_named,
        }
    }

    /// The index of the entity called `name`; a blank name never resolves
    /// (it is reported where it is defined).
    pub(super) fn get(&self, name: &str) -> Option<usize> {
        if is_blank(name) {
            None
        } else {
            self.map.get(name).copied()
        }
    }

    /// Like [`Index::get`], but a blank name resolves too when some entity
    /// has it: how shock price moves (assets) and delegation (operators) have
    /// always resolved names, kept so that no message changes.
    pub(super) fn get_or_blank(&self, name: &str) -> Option<usize> {
        self.map.get(name).copied()
    }

    /// The names [`Index::get`] resolves, sorted; `or_blank` adds the blank
    /// ones, as [`Index::get_or_blank`] resolves them.
    pub(super) fn known(&self, or_blank: bool) -> &[String] {
        if or_blank {
            &self.sorted
        } else {
            &self.sorted_named
        }
    }
}

/// The names references resolve to, by kind; the only place names are
/// indexed.
#[derive(Debug)]
pub(super) struct Names {
    /// `asset[i].name`.
    pub(super) assets: Index,
    /// `protocol[i].name`.
    pub(super) protocols: Index,
    /// `shock[i].name`.
    pub(super) shocks: Index,
    /// `operator[i].name`.
    pub(super) operators: Index,
    /// `staker[i].class` (referred to by `lrt[i].backing`).
    pub(super) stakers: Index,
    /// `lrt[i].name`.
    pub(super) lrts: Index,
    /// `lending_market[i].name`.
    pub(super) markets: Index,
}

/// The problems found while indexing the names, by kind, for `build` to
/// report in its order.
#[derive(Debug)]
pub(super) struct NameIssues {
    /// Blank or repeated asset names.
    pub(super) assets: Vec<Issue>,
    /// Blank or repeated protocol names.
    pub(super) protocols: Vec<Issue>,
    /// Blank or repeated shock names.
    pub(super) shocks: Vec<Issue>,
    /// Blank or repeated operator names.
    pub(super) operators: Vec<Issue>,
    /// Blank or repeated staker class names.
    pub(super) stakers: Vec<Issue>,
    /// Names used by two kinds of entity, or `total` (see [`entity_names`]),
    /// found at an asset, protocol or staker class.
    pub(super) entities: Vec<Issue>,
    /// Blank or repeated LRT names.
    pub(super) lrts: Vec<Issue>,
    /// Blank or repeated lending market names.
    pub(super) markets: Vec<Issue>,
    /// Like `entities`, found at an LRT or a lending market (reported with
    /// the DeFi tables, after every other issue).
    pub(super) defi_entities: Vec<Issue>,
}

impl Names {
    /// Indexes every name of `file` and checks them.
    pub(super) fn of(file: &ScenarioFile) -> (Self, NameIssues) {
        let (assets, asset_issues) =
            index_names("asset", file.assets.iter().map(|a| a.name.as_str()));
        let (protocols, protocol_issues) =
            index_names("protocol", file.protocols.iter().map(|p| p.name.as_str()));
        let (shocks, shock_issues) =
            index_names("shock", file.shocks.iter().map(|s| s.name.as_str()));
        let (operators, operator_issues) =
            index_names("operator", file.operators.iter().map(|o| o.name.as_str()));
        let (stakers, staker_issues) =
            index_names("staker", file.stakers.iter().map(|s| s.class.as_str()));
        let (lrts, lrt_issues) = index_names("lrt", file.lrts.iter().map(|l| l.name.as_str()));
        let (markets, market_issues) = index_names(
            "lending_market",
            file.lending_markets.iter().map(|m| m.name.as_str()),
        );
        let names = Self {
            assets,
            protocols,
            shocks,
            operators,
            stakers,
            lrts,
            markets,
        };
        let (entities, defi_entities) = entity_names(file);
        let issues = NameIssues {
            assets: asset_issues,
            protocols: protocol_issues,
            shocks: shock_issues,
            operators: operator_issues,
            stakers: staker_issues,
            entities,
            lrts: lrt_issues,
            markets: market_issues,
            defi_entities,
        };
        (names, issues)
    }
}

fn is_blank(name: &str) -> bool {
    name.trim().is_empty()
}

/// Indexes the names of `table`, reporting duplicates and blank names.
fn index_names<'a>(
    table: &str,
    names: impl Iterator<Item = &'a str> + Clone,
) -> (Index, Vec<Issue>) {
    let mut v = Validator::default();
    let mut seen = HashSet::new();
    for (i, name) in names.clone().enumerate() {
        let key = if table == "staker" { "class" } else { "name" };
        let path = format!("{table}[{i}].{key}");
        if is_blank(name) {
            v.issue(&path, "expected a non-empty name, found \"\"".into());
        } else if !seen.insert(name) {
            v.issue(
                &path,
                format!("expected a unique name, found \"{name}\" a second time"),
            );
        }
    }
    (Index::of(names), v.issues)
}

/// Assets, protocols, staker classes, LRTs and lending markets share one
/// namespace in the outputs (`timeseries.csv`'s `entity`, `paths.csv`'s
/// column prefixes), where `total` stands for the whole scenario: a name
/// must not be used by an entity of another kind, nor be `total`.
/// Duplicates within one kind are reported by [`index_names`]. Returns the
/// issues found at assets, protocols and classes, then those found at LRTs
/// and lending markets (which come last, so a name they share is always
/// reported at them, with a message naming the two new kinds).
fn entity_names(file: &ScenarioFile) -> (Vec<Issue>, Vec<Issue>) {
    let mut v = Validator::default();
    let mut defi = Validator::default();
    let names = (file.assets.iter().enumerate())
        .map(|(i, a)| ("asset", format!("asset[{i}].name"), a.name.as_str()))
        .chain(
            (file.protocols.iter().enumerate())
                .map(|(i, p)| ("protocol", format!("protocol[{i}].name"), p.name.as_str())),
        )
        .chain(
            (file.stakers.iter().enumerate())
                .map(|(i, s)| ("staker", format!("staker[{i}].class"), s.class.as_str())),
        )
        .chain(
            (file.lrts.iter().enumerate())
                .map(|(i, l)| ("lrt", format!("lrt[{i}].name"), l.name.as_str())),
        )
        .chain((file.lending_markets.iter().enumerate()).map(|(i, m)| {
            (
                "lending_market",
                format!("lending_market[{i}].name"),
                m.name.as_str(),
            )
        }));
    let mut first: HashMap<&str, (&str, String)> = HashMap::new();
    for (kind, path, name) in names {
        if is_blank(name) {
            continue;
        }
        let is_defi = matches!(kind, "lrt" | "lending_market");
        let v = if is_defi { &mut defi } else { &mut v };
        if name == TOTAL {
            v.issue(
                &path,
                format!(
                    "expected a name other than \"{TOTAL}\" (reserved for the whole scenario in the outputs), found \"{name}\""
                ),
            );
            continue;
        }
        match first.get(name) {
            Some((other, at)) if *other != kind => {
                let message = if is_defi {
                    format!(
                        "expected a name not used by another asset, protocol, staker class, LRT or lending market, found \"{name}\" ({at})"
                    )
                } else {
                    format!(
                        "expected a name not used by another asset, protocol or staker class, found \"{name}\" ({at})"
                    )
                };
                v.issue(&path, message);
            }
            Some(_) => {}
            None => {
                first.insert(name, (kind, path));
            }
        }
    }
    (v.issues, defi.issues)
}
