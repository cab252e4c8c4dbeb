//! Operators: run services for delegated stake, keep a commission, and
//! fault — a fault slashes the stake delegated to them in that protocol.

use serde::Serialize;

use super::Severity;

/// An operator's fault risk in each protocol it serves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fault {
    /// Probability of a fault per protocol served per step.
    pub step_probability: f64,
    /// Severity; `None`: the protocol's own.
    pub severity: Option<Severity>,
}

/// A node operator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operator {
    /// Name.
    pub name: String,
    /// Share of rewards kept, in [0, 1].
    pub commission: f64,
    /// `serves[p]`: whether the operator serves protocol p.
    pub serves: Vec<bool>,
    /// Fault risk, if any.
    pub fault: Option<Fault>,
}
