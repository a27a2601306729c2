//! `voicemail.conf` (app_voicemail): `[general]`, `[zonemessages]`, and
//! one section per voicemail context holding `box => pw,name,email,pager,opts`.

use super::values::set_option;
use super::{View, bad_value, check_known, unknown_option};
use crate::config::{Config, Diagnostic, Origin, is_true};

/// `[general]` options of app_voicemail that Asterism's VoiceMail does
/// not act on yet (e-mail and pager notification, external notify and
/// password programs, SMDI, gain, review): check-config lists them.
const UNBUILT_GENERAL_OPTIONS: &[&str] = &[
    "attachfmt",
    "serveremail",
    "emailsubject",
    "emailbody",
    "emaildateformat",
    "fromstring",
    "mailcmd",
    "pagerbody",
    "pagersubject",
    "pagerfromstring",
    "pagerdateformat",
    "externnotify",
    "externpass",
    "externpasscheck",
    "externpassnotify",
    "smdienable",
    "smdiport",
    "volgain",
    "review",
];

/// Options of VoiceMailMain Asterism does not act on, listed only when
/// they ask for something (choosing a forwarding target from the
/// directory, keeping deleted messages, the password kept in the spool's
/// secret.conf).
fn unbuilt_when_on(name: &str, value: &str) -> bool {
    match name {
        // usedirectory: forwarding would offer app_directory first.
        "usedirectory" => is_true(value),
        // review: the caller's review menu after recording a message (a
        // mailbox's own; `[general]`'s is listed whatever its value).
        "review" => is_true(value),
        "passwordlocation" => value.trim().eq_ignore_ascii_case("spooldir"),
        "backupdeleted" => value.trim().parse::<i64>().is_ok_and(|n| n > 0),
        // Mailbox aliases: counts, MWI and lookups by alias are not built.
        "aliasescontext" => !value.trim().is_empty(),
        // The thread polling the spool for changes made behind app_voicemail's
        // back (VoicemailRefresh does it on request).
        "pollmailboxes" => is_true(value),
        _ => false,
    }
}

/// Every `[general]` option app_voicemail reads (Asterisk 20).
const GENERAL_OPTIONS: &[&str] = &[
    "adsifdn",
    "adsisec",
    "adsiver",
    "aliasescontext",
    "attach",
    "attachfmt",
    "authpassword",
    "authuser",
    "backupdeleted",
    "callback",
    "charset",
    "cidinternalcontexts",
    "delete",
    "dialout",
    "emailbody",
    "emaildateformat",
    "emailsubject",
    "envelope",
    "exitcontext",
    "expungeonhangup",
    "externnotify",
    "externpass",
    "externpasscheck",
    "externpassnotify",
    "forcegreetings",
    "forcename",
    "format",
    "forward_urgent_auto",
    "fromstring",
    "greetingfolder",
    "greetingsfolder",
    "hidefromdir",
    "imap_poll_logout",
    "imapclosetimeout",
    "imapflags",
    "imapfolder",
    "imapgreetings",
    "imapopentimeout",
    "imapparentfolder",
    "imapport",
    "imapreadtimeout",
    "imapserver",
    "imapwritetimeout",
    "language",
    "leaveurgent",
    "listen-control-forward-key",
    "listen-control-pause-key",
    "listen-control-restart-key",
    "listen-control-reverse-key",
    "listen-control-stop-key",
    "locale",
    "mailcmd",
    "maxgreet",
    "maxlogins",
    "maxmessage",
    "maxmsg",
    "maxsecs",
    "maxsilence",
    "messagewrap",
    "minmessage",
    "minpassword",
    "minsecs",
    "moveheard",
    "nextaftercmd",
    "odbc_audio_on_disk",
    "odbcstorage",
    "odbctable",
    "operator",
    "pagerbody",
    "pagerdateformat",
    "pagerfromstring",
    "pagersubject",
    "passwordlocation",
    "pbxskip",
    "pollfreq",
    "pollmailboxes",
    "review",
    "saycid",
    "sayduration",
    "saydurationm",
    "searchcontexts",
    "sendvoicemail",
    "serveremail",
    "silencethreshold",
    "skipms",
    "smdienable",
    "smdiport",
    "tempgreetwarn",
    "tps_queue_high",
    "tps_queue_low",
    "tz",
    "usedirectory",
    "userscontext",
    "vm-login",
    "vm-mismatch",
    "vm-newpassword",
    "vm-newuser",
    "vm-passchanged",
    "vm-password",
    "vm-pls-try-again",
    "vm-prepend-timeout",
    "vm-reenterpassword",
    "vm-invalid-password",
    "volgain",
];

/// Keys a mailbox's `|`-separated options may set (`apply_option`).
const MAILBOX_OPTIONS: &[&str] = &[
    // Read by app_directory (Directory's `hidefromdir=yes` and its `a`
    // option's aliases), not by app_voicemail.
    "hidefromdir",
    "alias",
    "attach",
    "attachfmt",
    "attachextrecs",
    "serveremail",
    "fromstring",
    "emailbody",
    "emailsubject",
    "language",
    "tz",
    "locale",
    "imapuser",
    "imapserver",
    "imapport",
    "imapflags",
    "imappassword",
    "imapsecret",
    "imapfolder",
    "imapvmshareid",
    "delete",
    "deletevoicemail",
    "saycid",
    "sendvoicemail",
    "review",
    "leaveurgent",
    "tempgreetwarn",
    "messagewrap",
    "operator",
    "envelope",
    "moveheard",
    "sayduration",
    "saydurationm",
    "forcename",
    "forcegreetings",
    "callback",
    "dialout",
    "exitcontext",
    "minsecs",
    "maxmessage",
    "maxsecs",
    "maxmsg",
    "nextaftercmd",
    "backupdeleted",
    "volgain",
    "passwordlocation",
    "options",
];

/// `[general]` with Asterisk 20's defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct General {
    /// Recording formats, `|`-separated in the file (default `wav`).
    pub formats: Vec<String>,
    pub attach: bool,
    /// Most messages per folder (default 100).
    pub maxmsg: u32,
    /// Longest message in seconds; 0 means no limit (the default).
    pub maxsecs: u32,
    pub minsecs: u32,
    /// Seconds of silence that end a recording; 0 disables it.
    pub maxsilence: u32,
    pub silencethreshold: u32,
    /// Failed logins before hanging up (default 3).
    pub maxlogins: u32,
    pub searchcontexts: bool,
    pub aliasescontext: String,
    /// Every `[general]` option as written, for options only stored.
    pub raw: Vec<(String, String)>,
}

impl Default for General {
    fn default() -> Self {
        Self {
            formats: vec!["wav".to_string()],
            attach: false,
            maxmsg: 100,
            maxsecs: 0,
            minsecs: 0,
            maxsilence: 0,
            silencethreshold: 128,
            maxlogins: 3,
            searchcontexts: false,
            aliasescontext: String::new(),
            raw: Vec::new(),
        }
    }
}

/// One mailbox line.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mailbox {
    pub context: String,
    pub mailbox: String,
    pub password: String,
    pub fullname: String,
    pub email: String,
    /// Whether the line has an e-mail field at all: app_voicemail leaves
    /// a missing one unset, which its manager listing shows as `(null)`.
    #[serde(skip)]
    pub email_set: bool,
    pub pager: String,
    /// `key=value` options in the order written.
    pub options: Vec<(String, String)>,
    /// The `tz=` option: a `[zonemessages]` name.
    pub zonetag: String,
    #[serde(serialize_with = "super::serialize_origin")]
    pub origin: Origin,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VoicemailConf {
    pub general: General,
    /// `[zonemessages]`: name and its `timezone|format` value.
    pub zonemessages: Vec<(String, String)>,
    /// Mailboxes in load order (the order `voicemail show users` lists them).
    pub mailboxes: Vec<Mailbox>,
}

impl View for VoicemailConf {
    const FILE: &'static str = "voicemail.conf";

    fn from_config(cfg: &Config, diags: &mut Vec<Diagnostic>) -> Self {
        let mut conf = VoicemailConf::default();
        if let Some(cat) = cfg.section("general") {
            check_known(cfg, diags, cat, GENERAL_OPTIONS);
            for v in &cat.variables {
                let name = v.name.to_ascii_lowercase();
                let unbuilt = UNBUILT_GENERAL_OPTIONS.contains(&name.as_str())
                    // attach=no is what Asterism does anyway.
                    || (name == "attach" && is_true(&v.value))
                    || unbuilt_when_on(&name, &v.value);
                if unbuilt {
                    unknown_option(diags, v, &cat.name);
                }
            }
            let g = &mut conf.general;
            if let Some(f) = cat.get("format") {
                g.formats = f
                    .split('|')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
            }
            g.attach = cat.get("attach").is_some_and(is_true);
            g.searchcontexts = cat.get("searchcontexts").is_some_and(is_true);
            g.aliasescontext = cat.get("aliasescontext").unwrap_or("").to_string();
            set_option(
                diags,
                cat,
                "maxmsg",
                &mut g.maxmsg,
                "a non-negative integer",
            );
            set_option(
                diags,
                cat,
                "maxsecs",
                &mut g.maxsecs,
                "a non-negative integer",
            );
            set_option(
                diags,
                cat,
                "minsecs",
                &mut g.minsecs,
                "a non-negative integer",
            );
            set_option(
                diags,
                cat,
                "maxsilence",
                &mut g.maxsilence,
                "a non-negative integer",
            );
            set_option(
                diags,
                cat,
                "silencethreshold",
                &mut g.silencethreshold,
                "a non-negative integer",
            );
            set_option(
                diags,
                cat,
                "maxlogins",
                &mut g.maxlogins,
                "a non-negative integer",
            );
            g.raw = cat
                .variables
                .iter()
                .map(|v| (v.name.clone(), v.value.clone()))
                .collect();
        }
        if let Some(cat) = cfg.section("zonemessages") {
            conf.zonemessages = cat
                .variables
                .iter()
                .map(|v| (v.name.clone(), v.value.clone()))
                .collect();
        }
        let aliases = conf.general.aliasescontext.clone();
        for cat in cfg.sections() {
            if cat.name.eq_ignore_ascii_case("general")
                || cat.name.eq_ignore_ascii_case("zonemessages")
                || cat.name.eq_ignore_ascii_case(&aliases)
            {
                continue;
            }
            for var in &cat.variables {
                let box_name = var.name.as_str();
                // Asterisk refuses a box starting with '*' (it jumps to 'a')
                // and ignores a box already defined in the same context.
                if box_name.starts_with('*') {
                    bad_value(diags, var, "a mailbox not starting with '*'");
                    continue;
                }
                let duplicate = conf.mailboxes.iter().any(|m| {
                    m.mailbox.eq_ignore_ascii_case(box_name)
                        && (conf.general.searchcontexts
                            || m.context.eq_ignore_ascii_case(&cat.name))
                });
                if duplicate {
                    bad_value(diags, var, "a mailbox not already defined");
                    continue;
                }
                conf.mailboxes.push(parse_mailbox(&cat.name, var, diags));
            }
        }
        conf
    }
}

fn parse_mailbox(
    context: &str,
    var: &crate::config::Variable,
    diags: &mut Vec<Diagnostic>,
) -> Mailbox {
    // Only the first four commas split fields; the rest is the options.
    let mut fields = var.value.splitn(5, ',');
    let mut next = || fields.next().unwrap_or("").to_string();
    let email_set = var.value.matches(',').count() >= 2;
    let password = next();
    let fullname = next();
    let email = next();
    let pager = next();
    let rest = next();
    let mut options = Vec::new();
    let mut zonetag = String::new();
    for item in rest.split('|') {
        let Some((k, v)) = item.split_once('=') else {
            continue;
        };
        if !MAILBOX_OPTIONS.iter().any(|o| o.eq_ignore_ascii_case(k)) {
            unknown_option(
                diags,
                var,
                &format!("{context}: mailbox {} option {k}", var.name),
            );
        }
        if unbuilt_when_on(&k.to_ascii_lowercase(), v) {
            unknown_option(
                diags,
                var,
                &format!("{context}: mailbox {} option {k}", var.name),
            );
        }
        if k.eq_ignore_ascii_case("tz") {
            zonetag = v.to_string();
        }
        options.push((k.to_string(), v.to_string()));
    }
    Mailbox {
        context: context.to_string(),
        mailbox: var.name.clone(),
        password,
        fullname,
        email,
        email_set,
        pager,
        options,
        zonetag,
        origin: var.origin.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::views::testutil::{section, variable};
    use crate::config::{Category, Variable};

    /// Mailboxes are written with `=>`.
    fn var(name: &str, value: &str, line: u32) -> Variable {
        Variable {
            object: true,
            ..variable("voicemail.conf", name, value, line)
        }
    }

    fn cat(name: &str, vars: Vec<Variable>) -> Category {
        section("voicemail.conf", name, vars)
    }

    #[test]
    fn defaults_and_mailboxes() {
        let cfg = Config {
            categories: vec![
                cat(
                    "general",
                    vec![
                        var("format", "wav49|gsm", 2),
                        var("maxmsg", "50", 3),
                        var("bogus", "1", 4),
                    ],
                ),
                cat(
                    "zonemessages",
                    vec![var(
                        "eastern",
                        "America/New_York|'vm-received' Q 'digits/at' IMp",
                        6,
                    )],
                ),
                cat(
                    "default",
                    vec![
                        var("1000", "1234,Alice,a@x,p@x,tz=eastern|attach=yes", 8),
                        var("1001", "4321", 9),
                        var("1000", "9", 10),
                    ],
                ),
            ],
            ..Default::default()
        };
        let mut d = Vec::new();
        let v = VoicemailConf::from_config(&cfg, &mut d);
        assert_eq!(v.general.formats, ["wav49", "gsm"]);
        assert_eq!(v.general.maxmsg, 50);
        assert_eq!(v.general.maxlogins, 3);
        assert_eq!(v.mailboxes.len(), 2);
        let m = &v.mailboxes[0];
        assert_eq!(
            (m.password.as_str(), m.fullname.as_str(), m.email.as_str()),
            ("1234", "Alice", "a@x")
        );
        assert_eq!(m.zonetag, "eastern");
        assert_eq!(v.mailboxes[1].fullname, "");
        assert_eq!(d.len(), 2, "{d:?}"); // bogus + duplicate 1000
    }

    /// A mailbox asking for the review menu (not built) is listed with
    /// its line; `review=no` is what VoiceMail does.
    #[test]
    fn mailbox_review_is_reported() {
        let cfg = Config {
            categories: vec![cat(
                "default",
                vec![
                    var("1000", "1234,Alice,,,review=yes", 2),
                    var("1001", "1234,Bob,,,review=no|sendvoicemail=yes", 3),
                ],
            )],
            ..Default::default()
        };
        let mut d = Vec::new();
        VoicemailConf::from_config(&cfg, &mut d);
        let lines: Vec<u32> = d.iter().map(|x| x.line).collect();
        assert_eq!(lines, [2], "{d:?}");
    }

    /// Options VoiceMail does not act on yet are listed with their line;
    /// `attach=no` is what it does anyway.
    #[test]
    fn unbuilt_options_are_reported() {
        let cfg = Config {
            categories: vec![cat(
                "general",
                vec![
                    var("attach", "no", 2),
                    var("serveremail", "pbx@example.com", 3),
                    var("attach", "yes", 4),
                    var("volgain", "2.0", 5),
                    var("maxsecs", "60", 6),
                    // Built: the new-user setup.
                    var("forcename", "yes", 7),
                    var("usedirectory", "yes", 8),
                    var("passwordlocation", "voicemail.conf", 9),
                    var("passwordlocation", "spooldir", 10),
                    // Built: VoiceMailMain's advanced options and saycid.
                    var("sendvoicemail", "yes", 11),
                    var("saycid", "yes", 12),
                    var("callback", "fromvm", 13),
                    var("aliasescontext", "aliases", 14),
                    var("pollmailboxes", "no", 15),
                ],
            )],
            ..Default::default()
        };
        let mut d = Vec::new();
        VoicemailConf::from_config(&cfg, &mut d);
        let lines: Vec<(u32, &str)> = d.iter().map(|x| (x.line, x.message.as_str())).collect();
        assert_eq!(
            lines,
            [
                (
                    3,
                    "unknown or unsupported option 'serveremail' in [general]"
                ),
                (4, "unknown or unsupported option 'attach' in [general]"),
                (5, "unknown or unsupported option 'volgain' in [general]"),
                (
                    8,
                    "unknown or unsupported option 'usedirectory' in [general]"
                ),
                (
                    10,
                    "unknown or unsupported option 'passwordlocation' in [general]"
                ),
                (
                    14,
                    "unknown or unsupported option 'aliasescontext' in [general]"
                ),
            ]
        );
    }

    #[test]
    fn empty_file_has_asterisk_defaults() {
        let v = VoicemailConf::from_config(&Config::default(), &mut Vec::new());
        assert_eq!(v.general, General::default());
        assert_eq!(v.general.formats, ["wav"]);
        assert!(v.mailboxes.is_empty());
    }
}
