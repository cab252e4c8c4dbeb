//! libFuzzer target for `scenario::parse`: any bytes (read as UTF-8, lossily,
//! with the overrides of `# fuzz:` header lines) must give a valid model or
//! an error whose every problem is located; a panic, an unlocated error, a
//! timeout or an allocation beyond `-rss_limit_mb` is a finding.

#![no_main]

#[path = "../../examples/fuzz_scenarios/verdict.rs"]
mod verdict;

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let verdict::Verdict::Unlocated(why) = verdict::check(&text, Path::new("fuzz.toml")) {
        panic!("unlocated error: {why}");
    }
});
