//! The Monte Carlo engine: many paths of the agents over time, in parallel
//! and deterministically. It knows nothing of files or terminals: progress
//! is a callback, results are plain data ([`crate::results`]).
//!
//! - [`rng`]: the only place random generators are made;
//! - [`path`]: one path — its state grouped by owner, and the step loop;
//! - the path's parts, each owning its state and the phases over it:
//!   [`market`] (prices), [`events`] (drawing slashes and shocks),
//!   [`protocols`] (TVL and APRs), [`classes`] and [`stakers`] (staker
//!   state and rewards), [`members`] (each cohort member's figures) and
//!   [`member_room`] (where members lie), [`slashing`] (applying slashes, the event log),
//!   [`behaviour`] (entries, strategies, exits, releases), [`recorder`]
//!   (the time series), [`outcome`] (final figures and the result check);
//!   the DeFi layer: [`lrt`] (NAV, pool trades, redemption queue), [`pool`]
//!   (the constant-product pool), [`lending`] (loops, interest,
//!   liquidations); [`attacks`] (coalitions of operators attacking
//!   services, with `run.attacks`); [`operators`] (the stake delegated
//!   to each operator, its commission and its delegators' losses);
//! - [`mod@simulate`]: many paths, folded in path order into
//!   [`crate::results::Collected`].

pub mod attacks;
pub mod behaviour;
pub mod classes;
pub mod events;
pub mod lending;
pub mod lrt;
pub mod market;
pub mod member_room;
pub mod members;
pub mod operators;
pub mod outcome;
pub mod path;
pub mod pool;
pub mod protocols;
pub mod recorder;
pub mod reward_pass;
pub mod rng;
pub mod simulate;
pub mod slashing;
pub mod stakers;
#[cfg(test)]
pub(crate) mod test_support;

pub use path::initial_network;
pub use simulate::simulate;
