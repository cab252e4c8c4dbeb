//! Inputs of the first two kinds: random bytes, and random TOML made of the
//! scenario format's own words.

use rand::RngExt;
use rand::seq::IndexedRandom;
use rand_xoshiro::Xoshiro256PlusPlus as Rng;

/// Every key of the scenario format, and the top-level tables.
pub const KEYS: &[&str] = &[
    "run",
    "asset",
    "protocol",
    "shock",
    "operator",
    "staker",
    "lrt",
    "lending_market",
    "correlation",
    "sweep",
    "allocate",
    "allocation",
    "among",
    "apr",
    "apr_cap",
    "apr_floor",
    "arbitrage",
    "assets",
    "attacks",
    "backing",
    "base",
    "capacity",
    "capital_per_day",
    "change",
    "class",
    "close_factor",
    "collateral",
    "commission",
    "compounding",
    "corruption",
    "count",
    "daily_probability",
    "day",
    "deallocation_days",
    "depth",
    "description",
    "drift",
    "entry",
    "exit_fraction",
    "fault",
    "fee",
    "fee_revenue_usd",
    "horizon_days",
    "kink",
    "liquidation_bonus",
    "liquidation_threshold",
    "liquidity",
    "lrt_price",
    "ltv",
    "matrix",
    "max",
    "max_event_rows",
    "max_leverage",
    "max_new",
    "memory_limit_gib",
    "min",
    "min_discount",
    "min_stake",
    "name",
    "operators",
    "opportunity_apr",
    "oracle",
    "panic_sell_share",
    "paths",
    "per_review",
    "pool",
    "price",
    "price_usd",
    "profit_share",
    "profit_stake_multiple",
    "profit_usd",
    "protocols",
    "queue_days",
    "random_allocation",
    "rate",
    "record_every_days",
    "review_every_days",
    "reward_asset",
    "secured_amount",
    "secured_asset",
    "seed",
    "severity",
    "shock_groups",
    "slashing",
    "slope1",
    "slope2",
    "stake",
    "step_days",
    "strategy",
    "tax_rate",
    "threshold",
    "unbonding_days",
    "veto_days",
    "veto_probability",
    "volatility",
    "weight",
    "withdrawal_days",
    "yearly_probability",
    "yearly_rate",
    "dist",
    "curve",
    "model",
    "kind",
    "value",
    "low",
    "high",
    "alpha",
    "beta",
    "median",
    "sigma",
    "scale",
    "shape",
    "budget",
    "k",
    "points",
    "limit",
    "max_slash",
    "market",
    "leverage_min",
    "leverage_max",
    "probability",
    "min_improvement",
    "risk_weight",
    "exit_loss",
];

/// The tag values of the format's enums (`dist`, `curve`, `model`, `kind`,
/// `oracle`).
pub const TAGS: &[&str] = &[
    "fixed",
    "uniform",
    "beta",
    "lognormal",
    "pareto",
    "constant",
    "budget",
    "inverse_sqrt",
    "table",
    "full_restaking",
    "unique_stake",
    "network_limit",
    "capped",
    "yield_chasing",
    "risk_averse",
    "loop",
    "market",
    "nav",
];

/// Names that references may resolve to.
pub const NAMES: &[&str] = &[
    "BTC", "ETH", "a", "b", "op-a", "total", "", " ", "x.y", "ezETH",
];

/// Table headers, most of them the format's own.
const HEADERS: &[&str] = &[
    "[run]",
    "[[asset]]",
    "[[protocol]]",
    "[[staker]]",
    "[[shock]]",
    "[[operator]]",
    "[[lrt]]",
    "[[lending_market]]",
    "[correlation]",
    "[sweep]",
    "[protocol.apr]",
    "[protocol.slashing]",
    "[protocol.slashing.severity]",
    "[protocol.allocation]",
    "[protocol.corruption]",
    "[staker.stake]",
    "[staker.strategy]",
    "[staker.allocate]",
    "[staker.entry]",
    "[[shock.price]]",
    "[lrt.pool]",
    "[lending_market.rate]",
    "[[protocol.apr]]",
    "[run.run]",
    "[\"run\"]",
    "[ run . name ]",
    "[a.b.c]",
];

/// Numbers as TOML writes them, the awkward ones included.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "+0",
    "1",
    "-1",
    "0.5",
    "-0.0",
    "1e308",
    "1.7976931348623157e308",
    "5e-324",
    "1e15",
    "1e16",
    "1e30",
    "1e31",
    "4294967295",
    "4294967296",
    "4000000000",
    "65535",
    "65536",
    "4096",
    "4097",
    "36500",
    "36501",
    "9223372036854775807",
    "-9223372036854775808",
    "nan",
    "+nan",
    "-nan",
    "inf",
    "+inf",
    "-inf",
    "0x7fffffff",
    "0o777",
    "0b1011",
    "1_000_000",
    "3.0",
    "1e-9",
    "0.999999999",
    "1.000000001",
    "2",
    "10",
    "10.000001",
    "7",
    "365",
];

/// Random bytes: half the time any byte, half the time the characters TOML
/// is made of; invalid UTF-8 is replaced as a lossy conversion does.
pub fn bytes(rng: &mut Rng) -> String {
    let len = match rng.random_range(0..10) {
        0 => 0,
        1..=6 => rng.random_range(1..64),
        7 | 8 => rng.random_range(64..1024),
        _ => rng.random_range(1024..8192),
    };
    let alphabet: &[u8] = b"[]{}=\"'.,#\n\r\t -+_:0123456789eEinfatrusxob\\";
    let raw: Vec<u8> = if rng.random_bool(0.5) {
        (0..len).map(|_| rng.random()).collect()
    } else {
        (0..len)
            .map(|_| *alphabet.choose(rng).expect("alphabet"))
            .collect()
    };
    String::from_utf8_lossy(&raw).into_owned()
}

/// A random TOML document of the format's words: headers, keys, tags and
/// names, with values of every type; half the time it starts with the
/// required tables, filled at random, so that validation is reached.
pub fn toml(rng: &mut Rng) -> String {
    let mut out = String::new();
    if rng.random_bool(0.5) {
        skeleton(rng, &mut out);
    }
    for _ in 0..rng.random_range(0..8) {
        if rng.random_bool(0.8) {
            out.push_str(HEADERS.choose(rng).expect("headers"));
        } else {
            out.push_str(&format!("[{}]", dotted_key(rng)));
        }
        out.push('\n');
        for _ in 0..rng.random_range(0..8) {
            key_value(rng, &mut out);
        }
    }
    if rng.random_bool(0.1) {
        out.push_str(&deep(rng));
    }
    out
}

/// `[run]`, `[[asset]]`, `[[protocol]]` and `[[staker]]` with their
/// required keys, each value right in type most of the time.
fn skeleton(rng: &mut Rng, out: &mut String) {
    let tables: [(&str, &[&str]); 4] = [
        ("[run]", &["name", "horizon_days", "paths"]),
        ("[[asset]]", &["name", "price_usd"]),
        ("[[protocol]]", &["name", "assets", "apr"]),
        (
            "[[staker]]",
            &["class", "count", "asset", "stake", "allocate"],
        ),
    ];
    for (header, keys) in tables {
        out.push_str(header);
        out.push('\n');
        for key in keys {
            out.push_str(&format!("{key} = {}\n", value_for(rng, key, 0)));
        }
        for _ in 0..rng.random_range(0..3) {
            key_value(rng, out);
        }
    }
}

/// One `key = value` line.
fn key_value(rng: &mut Rng, out: &mut String) {
    let key = if rng.random_bool(0.85) {
        (*KEYS.choose(rng).expect("keys")).to_string()
    } else {
        dotted_key(rng)
    };
    let value = value_for(rng, key.rsplit('.').next().unwrap_or(&key), 0);
    out.push_str(&format!("{key} = {value}\n"));
}

/// A key: bare, quoted or dotted.
fn dotted_key(rng: &mut Rng) -> String {
    let parts = rng.random_range(1..4);
    (0..parts)
        .map(|_| match rng.random_range(0..4) {
            0 => format!("\"{}\"", string_text(rng)),
            1 => "'lit eral'".into(),
            _ => (*KEYS.choose(rng).expect("keys")).to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A value for `key`: a tag or a name where the key takes one, a likely
/// shape for the format's tables, anything otherwise.
fn value_for(rng: &mut Rng, key: &str, depth: usize) -> String {
    if rng.random_bool(0.75) {
        match key {
            "dist" | "curve" | "model" | "kind" | "oracle" => {
                return format!("\"{}\"", TAGS.choose(rng).expect("tags"));
            }
            "name" | "class" | "asset" | "reward_asset" | "market" | "collateral" | "lrt"
            | "secured_asset" => {
                return format!("\"{}\"", NAMES.choose(rng).expect("names"));
            }
            "assets" | "backing" | "among" | "shock_groups" | "protocols" => {
                let n = rng.random_range(0..3);
                let names: Vec<String> = (0..n)
                    .map(|_| format!("\"{}\"", NAMES.choose(rng).expect("names")))
                    .collect();
                return format!("[{}]", names.join(", "));
            }
            "stake" | "severity" | "apr" | "allocation" | "strategy" | "allocate" | "operators"
            | "slashing" | "entry" | "fault" | "pool" | "rate" | "corruption"
            | "random_allocation" | "arbitrage" => return inline_table(rng, depth + 1),
            _ => return NUMBERS.choose(rng).expect("numbers").to_string(),
        }
    }
    value(rng, depth)
}

/// An inline table of the format's keys.
fn inline_table(rng: &mut Rng, depth: usize) -> String {
    let n = if depth > 4 { 0 } else { rng.random_range(0..5) };
    let pairs: Vec<String> = (0..n)
        .map(|_| {
            let key = KEYS.choose(rng).expect("keys");
            format!("{key} = {}", value_for(rng, key, depth))
        })
        .collect();
    format!("{{ {} }}", pairs.join(", "))
}

/// Any TOML value.
fn value(rng: &mut Rng, depth: usize) -> String {
    let pick = if depth > 4 {
        rng.random_range(0..6)
    } else {
        rng.random_range(0..8)
    };
    match pick {
        0 | 1 => NUMBERS.choose(rng).expect("numbers").to_string(),
        2 => format!(
            "{}",
            rng.random::<f64>() * 10f64.powi(rng.random_range(-20..40))
        ),
        3 => format!("\"{}\"", string_text(rng)),
        4 => [
            "true",
            "false",
            "1979-05-27T07:32:00Z",
            "07:32:00",
            "1979-05-27",
            "'''multi\nline'''",
            "\"\"\"a\\\nb\"\"\"",
        ]
        .choose(rng)
        .expect("values")
        .to_string(),
        5 => format!("{}", rng.random::<i64>()),
        6 => {
            let n = rng.random_range(0..5);
            let items: Vec<String> = (0..n).map(|_| value(rng, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        _ => inline_table(rng, depth + 1),
    }
}

/// The text of a basic string, escapes and odd characters included.
fn string_text(rng: &mut Rng) -> String {
    [
        "BTC",
        "",
        " ",
        "a b",
        "ünïcödé",
        "\\u00e9",
        "\\U0001F600",
        "\\t",
        "run.paths",
        "protocol.*.apr.value",
        "staker.0.count",
        "\\\"",
        "x",
        "total",
        "..",
        "-",
        "a\\nb",
    ]
    .choose(rng)
    .expect("strings")
    .to_string()
}

/// Deep nesting: arrays, inline tables, dotted keys or table headers, from
/// tens to tens of thousands of levels.
fn deep(rng: &mut Rng) -> String {
    let depth = 10usize.pow(rng.random_range(1..5)) * rng.random_range(1..10);
    match rng.random_range(0..4) {
        0 => format!("deep = {}1{}\n", "[".repeat(depth), "]".repeat(depth)),
        1 => format!("deep = {}1{}\n", "{ a = ".repeat(depth), " }".repeat(depth)),
        2 => format!("{} = 1\n", vec!["a"; depth].join(".")),
        _ => format!("[{}]\nx = 1\n", vec!["a"; depth].join(".")),
    }
}
