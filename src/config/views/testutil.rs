//! Building configs by hand for the views' unit tests.

use std::path::Path;
use std::sync::Arc;

use crate::config::{Category, Config, Origin, Variable};

pub fn origin(file: &str, line: u32) -> Origin {
    Origin {
        file: Arc::from(Path::new(file)),
        line,
    }
}

/// A section of `file` at line 1, its variables on lines 2, 3, ...
pub fn category(file: &str, name: &str, vars: &[(&str, &str)]) -> Category {
    Category {
        name: name.into(),
        template: false,
        inherits: Vec::new(),
        variables: vars
            .iter()
            .enumerate()
            .map(|(i, (n, v))| Variable {
                name: n.to_string(),
                value: v.to_string(),
                object: false,
                inherited: false,
                origin: origin(file, i as u32 + 2),
            })
            .collect(),
        origin: origin(file, 1),
    }
}

pub fn config(categories: Vec<Category>) -> Config {
    Config {
        categories,
        ..Default::default()
    }
}

/// One `name = value` (`=>` when `object`) at `line` of `file`.
pub fn variable(file: &str, name: &str, value: &str, line: u32) -> Variable {
    Variable {
        name: name.into(),
        value: value.into(),
        object: false,
        inherited: false,
        origin: origin(file, line),
    }
}

/// A section of `file` at line 1 with the given variables.
pub fn section(file: &str, name: &str, variables: Vec<Variable>) -> Category {
    Category {
        variables,
        ..category(file, name, &[])
    }
}
