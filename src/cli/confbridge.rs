//! CLI commands of this module (being written).

use super::CliEntry;

pub fn commands() -> Vec<CliEntry> {
    Vec::new()
}
