//! Operators as entities along one path: the stake delegated to each (a
//! tally over the stakers, taken when it is read), and what each kept and
//! its delegators lost, read off the classes' running totals (each class
//! counts the commission its stakers paid and their losses per operator and
//! protocol, in native units; here they are valued at t = 0 prices).

use super::classes::Classes;
use super::stakers::NO_OPERATOR;
use crate::model::Model;

/// The operators' delegated stake on one path.
#[derive(Debug, Clone)]
pub struct Operators {
    /// Per operator: stake of its delegators (unbonding included), USD at
    /// the prices of the last [`Operators::tally`].
    pub delegated_usd: Vec<f64>,
    /// Per operator: the same at t = 0.
    pub initial_usd: Vec<f64>,
}

impl Operators {
    /// Nothing delegated yet to any of `model`'s operators.
    pub fn new(model: &Model) -> Operators {
        Operators {
            delegated_usd: vec![0.0; model.operators.len()],
            initial_usd: vec![0.0; model.operators.len()],
        }
    }

    /// Tallies the stake delegated to each operator at `prices`, staker by
    /// staker in index order.
    pub fn tally(&mut self, model: &Model, classes: &Classes, prices: &[f64]) {
        self.delegated_usd.fill(0.0);
        if self.delegated_usd.is_empty() {
            return;
        }
        let st = &classes.stakers;
        for (run, class) in classes.runs.iter().zip(&model.classes) {
            let price = prices[class.asset];
            for i in run.members() {
                if st.operator[i] != NO_OPERATOR {
                    self.delegated_usd[st.operator[i] as usize] += st.stake[i] * price;
                }
            }
        }
    }

    /// Keeps the last tally as the stake delegated at t = 0.
    pub fn mark_initial(&mut self) {
        self.initial_usd.clone_from(&self.delegated_usd);
    }
}

/// Commission operator `o` has kept, USD at the prices `p0`.
pub fn commission_usd(model: &Model, classes: &Classes, p0: &[f64], o: usize) -> f64 {
    classes.value(model, p0, |r| r.commission[o])
}

/// Stake operator `o`'s delegators have lost in protocol `p`, USD at the
/// prices `p0`.
pub fn delegator_losses_usd(
    model: &Model,
    classes: &Classes,
    p0: &[f64],
    o: usize,
    p: usize,
) -> f64 {
    let n = model.protocols.len();
    classes.value(model, p0, |r| r.delegator_losses[o * n + p])
}

/// Stake operator `o`'s delegators have lost in every protocol, USD at the
/// prices `p0`: the sum of [`delegator_losses_usd`] in protocol order.
pub fn delegator_losses_total_usd(model: &Model, classes: &Classes, p0: &[f64], o: usize) -> f64 {
    (0..model.protocols.len())
        .map(|p| delegator_losses_usd(model, classes, p0, o, p))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_support::{Parts, model};

    /// Two classes of different assets delegating to two operators, and
    /// one that delegates to nobody.
    fn delegating() -> Model {
        model(
            r#"
[[asset]]
name = "BTC"
price_usd = 40000

[[protocol]]
name = "p"
assets = ["ETH", "BTC"]
apr = { curve = "constant", value = 0.05 }

[[operator]]
name = "a"
commission = 0.1
protocols = ["p"]

[[operator]]
name = "b"
commission = 0.2
protocols = ["p"]

[[staker]]
class = "eth"
count = 2
asset = "ETH"
stake = { dist = "fixed", value = 10 }
allocate = { p = 1.0 }
operators = { a = 0.5, b = 0.5 }

[[staker]]
class = "btc"
count = 1
asset = "BTC"
stake = { dist = "fixed", value = 1 }
allocate = { p = 1.0 }
operators = { a = 1.0 }

[[staker]]
class = "solo"
count = 1
asset = "ETH"
stake = { dist = "fixed", value = 100 }
allocate = { p = 1.0 }
"#,
        )
    }

    #[test]
    fn the_tally_values_each_delegators_stake_at_the_prices_given() {
        let model = delegating();
        let mut parts = Parts::start(&model);
        parts.classes.stakers.operator[0..2].copy_from_slice(&[0, 1]);
        let mut ops = Operators::new(&model);
        ops.tally(&model, &parts.classes, &[2000.0, 40_000.0]);
        // a: 10 ETH and 1 BTC; b: 10 ETH; "solo" delegates to nobody.
        assert_eq!(ops.delegated_usd, [20_000.0 + 40_000.0, 20_000.0]);
        ops.mark_initial();
        ops.tally(&model, &parts.classes, &[1000.0, 40_000.0]);
        assert_eq!(ops.delegated_usd, [10_000.0 + 40_000.0, 10_000.0]);
        assert_eq!(ops.initial_usd, [60_000.0, 20_000.0]);
    }

    #[test]
    fn commission_and_losses_are_valued_at_the_prices_given() {
        let model = delegating();
        let mut parts = Parts::start(&model);
        let runs = &mut parts.classes.runs;
        runs[0].commission = vec![0.5, 0.25];
        runs[1].commission = vec![0.01, 0.0];
        runs[0].delegator_losses = vec![2.0, 3.0];
        runs[1].delegator_losses = vec![0.1, 0.0];
        let p0 = [2000.0, 40_000.0];
        let classes = &parts.classes;
        assert_eq!(commission_usd(&model, classes, &p0, 0), 1000.0 + 400.0);
        assert_eq!(commission_usd(&model, classes, &p0, 1), 500.0);
        assert_eq!(delegator_losses_usd(&model, classes, &p0, 0, 0), 8000.0);
        assert_eq!(delegator_losses_total_usd(&model, classes, &p0, 1), 6000.0);
    }
}
