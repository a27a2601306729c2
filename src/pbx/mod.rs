//! The dialplan: patterns and their order, contexts, time specifications.

pub mod dialplan;
pub mod expr;
pub mod pattern;
pub mod timing;

pub use dialplan::Dialplan;
