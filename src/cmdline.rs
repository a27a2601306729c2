//! The command line of `asterism` (also built as `asterisk`): Asterisk's flags.
//!
//! Flags follow Asterisk's getopt string so scripts and the Asterisk
//! testsuite (`asterisk -f -g -q -m -n -C <conf>`, `asterisk -rx "<cmd>"`)
//! work unchanged. `asterism check-config` is Asterism's own addition.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::core::daemon::{self, DaemonOptions};
use crate::core::remote;

const DEFAULT_CONFIG: &str = "/etc/asterisk/asterisk.conf";

/// Asterisk's option letters; those followed by ':' take an argument.
const GETOPT: &str = "BC:cde:FfG:ghIiL:M:mnpqRrs:TtU:VvWXx:";

#[derive(Debug, Default)]
struct Args {
    config: Option<PathBuf>,
    console: bool,
    foreground: bool,
    remote: bool,
    exec: Option<String>,
    quiet: bool,
    verbose: u32,
    /// `-m`: a remote console starts muted.
    mute: bool,
    /// `-n`: no colours.
    no_color: bool,
    /// `-R`: a remote console that reconnects.
    reconnect: bool,
    socket: Option<PathBuf>,
    version: bool,
    help: bool,
}

fn parse(argv: &[String]) -> Result<Args, String> {
    let mut a = Args::default();
    let mut i = 0;
    while i < argv.len() {
        let arg = &argv[i];
        i += 1;
        let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else {
            return Err(format!("unexpected argument '{arg}'"));
        };
        let mut chars = letters.char_indices();
        while let Some((pos, c)) = chars.next() {
            let Some(spec) = GETOPT.find(c) else {
                return Err(format!("invalid option -- '{c}'"));
            };
            let takes_arg = GETOPT[spec + 1..].starts_with(':');
            let value = if takes_arg {
                let rest = &letters[pos + c.len_utf8()..];
                let v = if !rest.is_empty() {
                    rest.to_string()
                } else if i < argv.len() {
                    i += 1;
                    argv[i - 1].clone()
                } else {
                    return Err(format!("option requires an argument -- '{c}'"));
                };
                Some(v)
            } else {
                None
            };
            match c {
                'C' => a.config = value.map(PathBuf::from),
                'c' => {
                    a.console = true;
                    a.foreground = true;
                }
                'f' | 'F' => a.foreground = true,
                'q' => a.quiet = true,
                'm' => a.mute = true,
                'n' => a.no_color = true,
                'v' => a.verbose += 1,
                'r' => a.remote = true,
                'R' => {
                    a.remote = true;
                    a.reconnect = true;
                }
                'x' => {
                    a.remote = true;
                    a.exec = value;
                }
                's' => a.socket = value.map(PathBuf::from),
                'V' => a.version = true,
                'h' => a.help = true,
                // Accepted as Asterisk accepts them; they change nothing
                // Asterism does: core dumps (-g), background colours (-W, -B),
                // debug level (-d), privileges (-U, -G), etc.
                _ => {}
            }
            if takes_arg {
                break;
            }
        }
    }
    Ok(a)
}

fn usage() {
    println!(
        "Asterisk {}, Copyright (C) the Asterism authors.",
        crate::version::ASTERISK_VERSION
    );
    println!("Usage: asterisk [OPTIONS]");
    println!("Valid Options:");
    println!("   -V              Display version number and exit");
    println!("   -C <configfile> Use an alternate configuration file");
    println!("   -c              Provide console CLI");
    println!("   -f              Do not fork");
    println!("   -q              Quiet mode (suppress output)");
    println!("   -r              Connect to Asterisk on this machine");
    println!("   -x <cmd>        Execute command <cmd> (implies -r)");
    println!("   -v              Increase verbosity (multiple v's = more verbose)");
    println!("   -s <socket>     Connect to Asterisk via socket <socket> (only valid with -r)");
    println!("Asterism only:");
    println!("   check-config [-C <configfile>] [--json]   Report on a configuration");
}

pub fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("check-config") {
        return crate::check::main(&argv[1..]);
    }
    let args = match parse(&argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("asterisk: {e}");
            usage();
            return ExitCode::from(1);
        }
    };
    if args.help {
        usage();
        return ExitCode::SUCCESS;
    }
    if args.version {
        println!("Asterisk {}", crate::version::ASTERISK_VERSION);
        return ExitCode::SUCCESS;
    }
    let config = args
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    if args.remote {
        // The socket (unless -s names it) and the prompt's system name
        // come from asterisk.conf.
        let conf = crate::config::asterisk_conf::AsteriskConf::load(&config);
        let socket = match (&args.socket, &conf) {
            (Some(s), _) => s.clone(),
            (None, Ok(c)) => c.dirs.socket(),
            (None, Err(e)) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        };
        let res = match &args.exec {
            Some(cmd) => remote::execute(&socket, cmd),
            None => {
                remote::welcome();
                remote::interactive(
                    &socket,
                    remote::ConsoleOptions {
                        verbose: args.verbose,
                        mute: args.mute,
                        no_color: args.no_color,
                        reconnect: args.reconnect,
                        system_name: conf
                            .as_ref()
                            .map(|c| c.options.system_name.clone())
                            .unwrap_or_default(),
                        no_shell: conf
                            .as_ref()
                            .is_ok_and(|c| c.options.disable_remote_console_shell),
                    },
                )
            }
        };
        return match res {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        };
    }
    if !args.foreground {
        // Asterism stays in the foreground; service managers (systemd,
        // the testsuite) run it that way. Say so rather than pretend.
        eprintln!(
            "asterisk: Asterism does not fork into the background; running in the foreground (use -f)"
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("asterisk: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = DaemonOptions {
        config_file: config,
        console: args.console,
        quiet: args.quiet,
        verbose: args.verbose,
    };
    match runtime.block_on(daemon::run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[&str]) -> Args {
        parse(&s.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("parses")
    }

    #[test]
    fn asterisk_flags() {
        let a = p(&["-f", "-g", "-q", "-m", "-n", "-C", "/x/asterisk.conf"]);
        assert!(a.foreground && a.quiet);
        assert_eq!(a.config, Some(PathBuf::from("/x/asterisk.conf")));
        let a = p(&["-rx", "core show version"]);
        assert!(a.remote);
        assert_eq!(a.exec.as_deref(), Some("core show version"));
        let a = p(&["-vvvc"]);
        assert_eq!(a.verbose, 3);
        assert!(a.console);
        assert!(parse(&["-Z".to_string()]).is_err());
    }
}
