//! Asterism: a config-compatible, drop-in replacement for the Asterisk PBX.
//!
//! The layout follows Asterisk's: `config` (main/config.c and the typed
//! views of each file), `pbx` (main/pbx.c, pbx_config), `cli` (main/cli.c
//! and each module's commands), `core` (main/asterisk.c: the daemon and its
//! control socket), `apps`/`funcs` (the registries of dialplan
//! applications and functions).

pub mod agi;
pub mod apps;
pub mod cdr;
pub mod channels;
pub mod check;
pub mod cli;
pub mod cmdline;
pub mod confbridge;
pub mod config;
pub mod core;
pub mod funcs;
pub mod http;
pub mod manager;
pub mod media;
pub mod parking;
pub mod pbx;
pub mod queue;
pub mod sip;
pub mod version;
