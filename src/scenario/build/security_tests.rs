//! Tests of the network-security keys: `protocol.corruption` (checked in
//! `protocols.rs`) and `run.attacks` (checked on the whole model in
//! `model_checks.rs`).

use std::path::Path;

use crate::model::{Corruption, CorruptionProfit, DEFAULT_CORRUPTION_THRESHOLD, Model};
use crate::scenario::{Override, Problem, ScenarioError, parse};

/// Two ETH protocols secured by one operator that the only class delegates
/// to, and a USDC asset nobody stakes.
const BASE: &str = r#"[run]
name = "security"
horizon_days = 60
paths = 10

[[asset]]
name = "ETH"
price_usd = 3000

[[asset]]
name = "USDC"
price_usd = 1

[[protocol]]
name = "bridge"
assets = ["ETH"]
apr = { curve = "constant", value = 0.04 }

[[protocol]]
name = "oracle"
assets = ["ETH"]
apr = { curve = "constant", value = 0.03 }

[[operator]]
name = "op"
protocols = ["bridge", "oracle"]

[[staker]]
class = "s"
count = 10
asset = "ETH"
stake = { dist = "fixed", value = 32 }
allocate = { bridge = 1.0, oracle = 1.0 }
max_leverage = 2
operators = { op = 1.0 }
"#;

/// The bridge's APR line, after which its `corruption` goes.
const BRIDGE_APR: &str = "apr = { curve = \"constant\", value = 0.04 }\n";

fn parsed(text: &str, overrides: &[&str]) -> Result<Model, ScenarioError> {
    let overrides: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).unwrap())
        .collect();
    parse(text, Path::new("security.toml"), &overrides).map(|(_, model)| model)
}

fn model(text: &str) -> Model {
    parsed(text, &[]).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn problems(text: &str) -> Vec<Problem> {
    match parsed(text, &[]) {
        Ok(_) => panic!("expected problems, the scenario is valid:\n{text}"),
        Err(e) => e.problems().to_vec(),
    }
}

/// BASE with `corruption = <table>` on the bridge (protocol[0]).
fn with_corruption(table: &str) -> String {
    BASE.replacen(
        BRIDGE_APR,
        &format!("{BRIDGE_APR}corruption = {table}\n"),
        1,
    )
}

/// BASE with `attacks = <value>` in `[run]`.
fn with_attacks(text: &str, value: bool) -> String {
    text.replacen(
        "paths = 10\n",
        &format!("paths = 10\nattacks = {value}\n"),
        1,
    )
}

#[test]
fn each_form_of_corruption_builds_into_the_model() {
    let cases = [
        (
            "{ profit_usd = 2.0e8, threshold = 0.5 }",
            Corruption {
                profit: CorruptionProfit::Fixed(2.0e8),
                threshold: 0.5,
            },
        ),
        (
            "{ profit_stake_multiple = 0.4 }",
            Corruption {
                profit: CorruptionProfit::StakeMultiple(0.4),
                threshold: DEFAULT_CORRUPTION_THRESHOLD,
            },
        ),
        (
            "{ secured_asset = \"USDC\", secured_amount = 100000, profit_share = 0.8 }",
            Corruption {
                profit: CorruptionProfit::Secured {
                    asset: 1,
                    amount: 100_000.0,
                    share: 0.8,
                },
                threshold: DEFAULT_CORRUPTION_THRESHOLD,
            },
        ),
        (
            "{ secured_asset = \"ETH\", secured_amount = 0, threshold = 1 }",
            Corruption {
                profit: CorruptionProfit::Secured {
                    asset: 0,
                    amount: 0.0,
                    share: 1.0,
                },
                threshold: 1.0,
            },
        ),
        (
            "{ profit_usd = 0, threshold = 1e-9 }",
            Corruption {
                profit: CorruptionProfit::Fixed(0.0),
                threshold: 1e-9,
            },
        ),
    ];
    for (table, expected) in cases {
        let m = model(&with_corruption(table));
        assert_eq!(m.protocols[0].corruption, Some(expected), "{table}");
        assert_eq!(m.protocols[1].corruption, None, "{table}");
        assert!(!m.run.attacks);
    }
    assert_eq!(DEFAULT_CORRUPTION_THRESHOLD, 1.0 / 3.0);
}

#[test]
fn a_scenario_without_the_keys_builds_as_before() {
    let base = model(BASE);
    assert!(!base.run.attacks);
    assert!(base.protocols.iter().all(|p| p.corruption.is_none()));
    // `attacks = false` is the default.
    assert_eq!(model(&with_attacks(BASE, false)), base);
    // A corruption table changes that protocol's attack model and nothing
    // else.
    let mut attacked = model(&with_corruption("{ profit_usd = 1e6 }"));
    assert!(attacked.protocols[0].corruption.is_some());
    attacked.protocols[0].corruption = None;
    assert_eq!(attacked, base);
    // Every shipped scenario but the one about security, and the starter:
    // no attack model, attacks off.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut texts: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| p.file_stem().is_none_or(|s| s != "security-cascade"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    texts.push(crate::scenario::starter::STARTER_SCENARIO.to_string());
    assert!(texts.len() >= 6);
    for text in &texts {
        let m = model(text);
        assert!(!m.run.attacks, "{}", m.run.name);
        assert!(
            m.protocols.iter().all(|p| p.corruption.is_none()),
            "{}",
            m.run.name
        );
    }
}

#[test]
fn corruption_keys_reach_overrides() {
    let text = with_corruption("{ profit_usd = 2.0e8 }");
    let m = parsed(
        &text,
        &[
            "protocol.bridge.corruption.threshold=0.5",
            "protocol.oracle.corruption={ profit_stake_multiple = 2 }",
            "run.attacks=true",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.protocols[0].corruption.unwrap().threshold, 0.5);
    assert_eq!(
        m.protocols[1].corruption.unwrap().profit,
        CorruptionProfit::StakeMultiple(2.0)
    );
    assert!(m.run.attacks);
}

#[test]
fn every_invalid_corruption_is_reported_at_its_key_path() {
    let c = "protocol[0].corruption";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "{}",
            c.into(),
            "expected one of profit_usd, profit_stake_multiple, secured_amount (what corrupting the protocol is worth to an attacker), found none",
        ),
        ("{ threshold = 0.5 }", c.into(), "found none"),
        (
            "{ profit_usd = 1, profit_stake_multiple = 1 }",
            c.into(),
            "expected one of profit_usd, profit_stake_multiple, secured_amount, found profit_usd and profit_stake_multiple",
        ),
        (
            "{ profit_stake_multiple = 1, secured_asset = \"ETH\", secured_amount = 5 }",
            c.into(),
            "found profit_stake_multiple and secured_amount",
        ),
        (
            "{ secured_amount = 5 }",
            format!("{c}.secured_asset"),
            "expected the asset secured_amount is counted in (e.g. secured_asset = \"ETH\"), found none",
        ),
        (
            "{ profit_usd = 1, secured_asset = \"ETH\" }",
            format!("{c}.secured_asset"),
            "expected secured_asset only with a secured_amount, found secured_asset = \"ETH\" without one",
        ),
        (
            "{ secured_asset = \"DOGE\", secured_amount = 5 }",
            format!("{c}.secured_asset"),
            "expected the name of a defined asset (ETH, USDC), found \"DOGE\"",
        ),
        (
            "{ profit_usd = 1, profit_share = 0.5 }",
            format!("{c}.profit_share"),
            "expected profit_share only with a secured_amount",
        ),
        (
            "{ secured_asset = \"ETH\", secured_amount = 5, profit_share = 1.5 }",
            format!("{c}.profit_share"),
            "expected a value in [0, 1], found 1.5",
        ),
        (
            "{ secured_asset = \"ETH\", secured_amount = 5, profit_share = -0.1 }",
            format!("{c}.profit_share"),
            "expected a value in [0, 1], found -0.1",
        ),
        (
            "{ profit_usd = -1 }",
            format!("{c}.profit_usd"),
            "expected a number ≥ 0, found -1",
        ),
        (
            "{ profit_usd = 2e15 }",
            format!("{c}.profit_usd"),
            "expected a magnitude of at most 1e15, found 2e15",
        ),
        (
            "{ profit_usd = nan }",
            format!("{c}.profit_usd"),
            "expected a finite number, found NaN",
        ),
        (
            "{ profit_stake_multiple = -0.5 }",
            format!("{c}.profit_stake_multiple"),
            "expected a number ≥ 0, found -0.5",
        ),
        (
            "{ profit_stake_multiple = inf }",
            format!("{c}.profit_stake_multiple"),
            "expected a finite number, found inf",
        ),
        (
            "{ secured_asset = \"ETH\", secured_amount = -5 }",
            format!("{c}.secured_amount"),
            "expected a number ≥ 0, found -5",
        ),
        (
            "{ secured_asset = \"ETH\", secured_amount = inf }",
            format!("{c}.secured_amount"),
            "expected a finite number, found inf",
        ),
        (
            "{ profit_usd = 1, threshold = 0 }",
            format!("{c}.threshold"),
            "expected a fraction of the stake in (0, 1], found 0",
        ),
        (
            "{ profit_usd = 1, threshold = 1.5 }",
            format!("{c}.threshold"),
            "expected a fraction of the stake in (0, 1], found 1.5",
        ),
        (
            "{ profit_usd = 1, threshold = nan }",
            format!("{c}.threshold"),
            "expected a finite number, found NaN",
        ),
        (
            "{ profit_usd = 1, profit = 2 }",
            format!("{c}.profit"),
            "unknown field `profit`, expected one of `profit_usd`, `profit_stake_multiple`, `secured_asset`, `secured_amount`, `profit_share`, `threshold`",
        ),
    ];
    for (table, path, message) in &cases {
        let text = with_corruption(table);
        let found = problems(&text);
        assert_eq!(found.len(), 1, "{table}: {found:#?}");
        let p = &found[0];
        assert_eq!(&p.key_path, path, "{table}: {p:?}");
        assert!(p.message.contains(message), "{table}: {}", p.message);
        // Located on the corruption line.
        assert_eq!(p.line, line_of(&text, "corruption ="), "{table}: {p:?}");
    }
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn attacks_build_when_there_is_a_target_and_an_attacker() {
    let text = with_attacks(&with_corruption("{ profit_usd = 2.0e8 }"), true);
    let m = model(&text);
    assert!(m.run.attacks);
    // Off, the same keys build as they did, attacks aside.
    let mut off = model(&with_corruption("{ profit_usd = 2.0e8 }"));
    assert!(!off.run.attacks);
    off.run.attacks = true;
    assert_eq!(off, m);
}

#[test]
fn attacks_need_a_protocol_with_corruption_and_delegated_operators() {
    let attacks_line = |text: &str| line_of(text, "[run]");
    // No protocol can be attacked.
    let text = with_attacks(BASE, true);
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key_path, "run.attacks");
    assert!(
        found[0]
            .message
            .contains("attacks need protocols with a `corruption` table"),
        "{}",
        found[0].message
    );
    assert!(found[0].message.starts_with(
        "expected at least one [[protocol]] with a corruption table when attacks = true, found none"
    ));
    assert_eq!(found[0].line, line_of(&text, "attacks = true"));
    // No operator to attack with.
    let solo = with_corruption("{ profit_usd = 2.0e8 }")
        .replace(
            "[[operator]]\nname = \"op\"\nprotocols = [\"bridge\", \"oracle\"]\n",
            "",
        )
        .replace("operators = { op = 1.0 }\n", "");
    assert_eq!(model(&solo).operators.len(), 0);
    let found = problems(&with_attacks(&solo, true));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key_path, "run.attacks");
    assert!(
        found[0].message.starts_with(
            "expected at least one [[operator]] that a staker class delegates to when attacks = true, found no [[operator]]: coalitions of operators attack, so define operators and delegate to them"
        ),
        "{}",
        found[0].message
    );
    // Operators nobody delegates to.
    let undelegated =
        with_corruption("{ profit_usd = 2.0e8 }").replace("operators = { op = 1.0 }\n", "");
    let found = problems(&with_attacks(&undelegated, true));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key_path, "run.attacks");
    assert!(
        found[0]
            .message
            .contains("found operators that no class delegates to: coalitions of operators attack"),
        "{}",
        found[0].message
    );
    // Neither: both problems, on the attacks line.
    let bare = BASE
        .replace(
            "[[operator]]\nname = \"op\"\nprotocols = [\"bridge\", \"oracle\"]\n",
            "",
        )
        .replace("operators = { op = 1.0 }\n", "");
    let text = with_attacks(&bare, true);
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|p| p.key_path == "run.attacks"));
    assert!(found.iter().all(|p| p.line == line_of(&text, "attacks =")));
    assert!(attacks_line(&text) < found[0].line);
    // Off, none of this matters.
    model(&with_attacks(&bare, false));
}
