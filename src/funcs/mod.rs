//! Dialplan functions (`${NAME(args)}` and `Set(NAME(args)=value)`): one
//! registry, one file per family as Asterisk's `funcs/func_*.c`, and the
//! catalogue of every function Asterisk 20 ships, so `check-config` reports
//! each use as supported or not from the code itself.

pub mod agent;
pub mod base64;
pub mod c;
pub mod callerid;
pub mod cdr;
pub mod channel;
pub mod config;
pub mod cut;
pub mod db;
pub mod devstate;
pub mod dialgroup;
pub mod dialplan;
pub mod env;
pub mod evalexten;
pub mod export;
pub mod extstate;
pub mod features;
pub mod global;
pub mod groupcount;
pub mod hangupcause;
pub mod hash;
pub mod json;
pub mod lists;
pub mod lock;
pub mod logic;
pub mod math;
pub mod md5;
pub mod message;
pub mod module;
pub mod mutestream;
pub mod pjsip;
pub mod pjsip_objects;
pub mod presencestate;
pub mod queue;
pub mod rand;
pub mod sayfiles;
pub mod sha1;
pub mod shell;
pub mod sipheader;
pub mod sippeer;
pub mod sprintf;
pub mod strings;
pub mod sysinfo;
pub mod time;
pub mod timeout;
pub mod uri;
pub mod uuid;
pub mod version;
pub mod voicemail;

use std::sync::{Arc, LazyLock};

pub use crate::apps::Support;
use crate::channels::Channel;
use crate::core::System;
use crate::core::logger::Site;

/// The function failed; it has logged why, as Asterisk's functions do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// What a function sees: the system and the channel it runs for (none when
/// substituting without a channel, e.g. from the CLI).
pub struct FuncCtx<'a> {
    pub sys: &'a System,
    pub chan: Option<&'a Arc<Channel>>,
    /// The function's name as called (families share one handler).
    pub name: &'a str,
}

impl FuncCtx<'_> {
    pub fn warning(&self, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.warning(site, None, msg);
    }

    pub fn error(&self, site: &Site<'_>, msg: &str) {
        self.sys.pbx.logger.error(site, None, msg);
    }

    /// A channel variable, else a global (`pbx_builtin_getvar_helper`).
    pub fn var(&self, name: &str) -> Option<String> {
        crate::pbx::get_var(self.sys, self.chan, name)
    }

    pub fn set_var(&self, name: &str, value: Option<&str>) {
        crate::pbx::set_var(self.sys, self.chan, name, value)
    }

    /// The channel, or the warning Asterisk logs (from `site`) when a
    /// function needs one.
    pub fn require_channel(&self, site: &Site<'_>) -> Result<&Arc<Channel>, Failed> {
        match self.chan {
            Some(c) => Ok(c),
            None => {
                self.warning(
                    site,
                    &format!("No channel was provided to {} function.", self.name),
                );
                Err(Failed)
            }
        }
    }
}

pub type ReadFn = fn(&FuncCtx<'_>, &str) -> Result<String, Failed>;
pub type WriteFn = fn(&FuncCtx<'_>, &str, &str) -> Result<(), Failed>;

/// One dialplan function.
pub struct Function {
    pub name: &'static str,
    pub read: Option<ReadFn>,
    pub write: Option<WriteFn>,
    /// One line, in our own words, for `core show functions`.
    pub synopsis: &'static str,
    /// The call syntax, for `core show function`.
    pub syntax: &'static str,
}

/// Every function Asterism evaluates, sorted by name.
static REGISTRY: LazyLock<Vec<Function>> = LazyLock::new(|| {
    let mut all = Vec::new();
    all.extend(agent::functions());
    all.extend(callerid::functions());
    all.extend(cdr::functions());
    all.extend(channel::functions());
    all.extend(db::functions());
    all.extend(devstate::functions());
    all.extend(global::functions());
    all.extend(groupcount::functions());
    all.extend(hash::functions());
    all.extend(hangupcause::functions());
    all.extend(lists::functions());
    all.extend(strings::functions());
    all.extend(time::functions());
    all.extend(timeout::functions());
    all.extend(features::functions());
    all.extend(logic::functions());
    all.extend(math::functions());
    all.extend(rand::functions());
    all.extend(queue::functions());
    all.extend(uri::functions());
    all.extend(base64::functions());
    all.extend(md5::functions());
    all.extend(message::functions());
    all.extend(mutestream::functions());
    all.extend(sha1::functions());
    all.extend(cut::functions());
    all.extend(sprintf::functions());
    all.extend(env::functions());
    all.extend(extstate::functions());
    all.extend(shell::functions());
    all.extend(version::functions());
    all.extend(sysinfo::functions());
    all.extend(dialplan::functions());
    all.extend(voicemail::functions());
    all.extend(pjsip::functions());
    all.extend(pjsip_objects::functions());
    all.extend(sippeer::functions());
    all.extend(presencestate::functions());
    all.extend(sipheader::functions());
    all.extend(export::functions());
    all.extend(uuid::functions());
    all.extend(evalexten::functions());
    all.extend(module::functions());
    all.extend(sayfiles::functions());
    all.extend(json::functions());
    all.extend(dialgroup::functions());
    all.extend(config::functions());
    all.extend(lock::functions());
    all.extend(crate::apps::stack::functions());
    all.extend(crate::apps::mixmonitor::functions());
    all.extend(crate::apps::confbridge::functions());
    all.sort_by(|a, b| a.name.cmp(b.name));
    all
});

pub fn registry() -> &'static [Function] {
    &REGISTRY
}

/// Looks a function up by exact name, as Asterisk (case-sensitive).
pub fn find(name: &str) -> Option<&'static Function> {
    REGISTRY
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &REGISTRY[i])
}

/// Splits `NAME(args)` (`func_args`): the arguments run to the last `)`.
fn split_call<'a>(sys: &System, call: &'a str) -> (&'a str, &'a str) {
    match call.find('(') {
        None => {
            sys.pbx.logger.warning(
                crate::site!("pbx_functions.c", 468, "func_args"),
                None,
                &format!("Function '{call}' doesn't contain parentheses.  Assuming null argument."),
            );
            (call, "")
        }
        Some(i) => {
            let rest = &call[i + 1..];
            match rest.rfind(')') {
                Some(j) => (&call[..i], &rest[..j]),
                None => {
                    sys.pbx.logger.warning(
                        crate::site!("pbx_functions.c", 475, "func_args"),
                        None,
                        &format!(
                            "Can't find trailing parenthesis for function '{}({rest}'?",
                            &call[..i]
                        ),
                    );
                    (&call[..i], rest)
                }
            }
        }
    }
}

/// Splits a call and finds its function, logging Asterisk's error when
/// no function has that name (ast_func_read and ast_func_write each from
/// their own line: `site`).
fn lookup<'a>(
    sys: &System,
    call: &'a str,
    site: &Site<'_>,
) -> Option<(&'static Function, &'a str, &'a str)> {
    let (name, args) = split_call(sys, call);
    match find(name) {
        Some(f) => Some((f, name, args)),
        None => {
            sys.pbx
                .logger
                .error(site, None, &format!("Function {name} not registered"));
            None
        }
    }
}

/// `ast_func_read`: `None` when the function is unknown or failed.
pub fn read(sys: &System, chan: Option<&Arc<Channel>>, call: &str) -> Option<String> {
    let (f, name, args) = lookup(
        sys,
        call,
        crate::site!("pbx_functions.c", 631, "ast_func_read"),
    )?;
    let Some(read) = f.read else {
        sys.pbx.logger.error(
            crate::site!("pbx_functions.c", 633, "ast_func_read"),
            None,
            &format!("Function {name} cannot be read"),
        );
        return None;
    };
    read(&FuncCtx { sys, chan, name }, args).ok()
}

/// `ast_func_write`.
pub fn write(sys: &System, chan: Option<&Arc<Channel>>, call: &str, value: &str) -> bool {
    let Some((f, name, args)) = lookup(
        sys,
        call,
        crate::site!("pbx_functions.c", 739, "ast_func_write"),
    ) else {
        return false;
    };
    let Some(write) = f.write else {
        sys.pbx.logger.error(
            crate::site!("pbx_functions.c", 741, "ast_func_write"),
            None,
            &format!("Function {name} cannot be written to"),
        );
        return false;
    };
    write(&FuncCtx { sys, chan, name }, args, value).is_ok()
}

/// Splits arguments on `,` as `AST_STANDARD_APP_ARGS` does (see
/// [`crate::apps::split_args`]). A function that declares a fixed number
/// of fields in Asterisk gets its last field raw (quotes kept): use
/// [`crate::apps::separate_args`] with that number for those.
pub fn standard_args(args: &str) -> Vec<String> {
    crate::apps::split_args(args, ',')
}

/// Functions that exist in Asterisk 20.20.1 (its `core show functions`
/// with every module loaded, plus those of modules it builds on request).
pub const ASTERISK_FUNCTIONS: &[&str] = &[
    "ABS",
    "AES_DECRYPT",
    "AES_ENCRYPT",
    "AGC",
    "AGENT",
    "AMI_CLIENT",
    "ARRAY",
    "AST_CONFIG",
    "AST_SORCERY",
    "BASE64_DECODE",
    "BASE64_ENCODE",
    "BASENAME",
    "BLACKLIST",
    "CALENDAR_BUSY",
    "CALENDAR_EVENT",
    "CALENDAR_QUERY",
    "CALENDAR_QUERY_RESULT",
    "CALENDAR_WRITE",
    "CALLCOMPLETION",
    "CALLERID",
    "CDR",
    "CDR_PROP",
    "CHANNEL",
    "CHANNELS",
    "CHANNEL_EXISTS",
    "CHECKSIPDOMAIN",
    "CONFBRIDGE",
    "CONFBRIDGE_CHANNELS",
    "CONFBRIDGE_INFO",
    "CONNECTEDLINE",
    "CSV_QUOTE",
    "CURL",
    "CURLOPT",
    "CUT",
    "DB",
    "DB_DELETE",
    "DB_EXISTS",
    "DB_KEYCOUNT",
    "DB_KEYS",
    "DEC",
    "DELETE",
    "DENOISE",
    "DEVICE_STATE",
    "DIALGROUP",
    "DIALPLAN_EXISTS",
    "DIGIT_SUM",
    "DIRNAME",
    "DUNDIQUERY",
    "DUNDIRESULT",
    "ENUMLOOKUP",
    "ENUMQUERY",
    "ENUMRESULT",
    "ENV",
    "EVAL",
    "EVAL_EXTEN",
    "EVAL_SUB",
    "EXCEPTION",
    "EXISTS",
    "EXPORT",
    "EXTENSION_STATE",
    "FAXOPT",
    "FEATURE",
    "FEATUREMAP",
    "FIELDNUM",
    "FIELDQTY",
    "FILE",
    "FILE_COUNT_LINE",
    "FILE_FORMAT",
    "FILTER",
    "FRAME_DROP",
    "FRAME_TRACE",
    "GEOLOC_PROFILE",
    "GLOBAL",
    "GLOBAL_DELETE",
    "GLOBAL_EXISTS",
    "GROUP",
    "GROUP_COUNT",
    "GROUP_LIST",
    "GROUP_MATCH_COUNT",
    "HANGUPCAUSE",
    "HANGUPCAUSE_KEYS",
    "HASH",
    "HASHKEYS",
    "HINT",
    "HOLD_INTERCEPT",
    "IAXPEER",
    "IAXVAR",
    "ICONV",
    "IF",
    "IFMODULE",
    "IFTIME",
    "IMPORT",
    "INC",
    "ISNULL",
    "JABBER_RECEIVE",
    "JABBER_STATUS",
    "JITTERBUFFER",
    "JSON_DECODE",
    "KEYPADHASH",
    "LEN",
    "LISTFILTER",
    "LOCAL",
    "LOCAL_PEEK",
    "LOCK",
    "LOG_GROUP",
    "LTRIM",
    "MASTER_CHANNEL",
    "MATH",
    "MAX",
    "MD5",
    "MEETME_INFO",
    "MESSAGE",
    "MESSAGE_DATA",
    "MIN",
    "MINIVMACCOUNT",
    "MINIVMCOUNTER",
    "MIXMONITOR",
    "MUTEAUDIO",
    "ODBC",
    "ODBC_FETCH",
    "PASSTHRU",
    "PERIODIC_HOOK",
    "PITCH_SHIFT",
    "PJSIP_AOR",
    "PJSIP_CONTACT",
    "PJSIP_DIAL_CONTACTS",
    "PJSIP_DTMF_MODE",
    "PJSIP_ENDPOINT",
    "PJSIP_HEADER",
    "PJSIP_HEADERS",
    "PJSIP_HEADER_PARAM",
    "PJSIP_INHERITABLE_HEADER",
    "PJSIP_MEDIA_OFFER",
    "PJSIP_PARSE_URI",
    "PJSIP_RESPONSE_HEADER",
    "PJSIP_RESPONSE_HEADERS",
    "PJSIP_SEND_SESSION_REFRESH",
    "POP",
    "PP_EACH_EXTENSION",
    "PP_EACH_USER",
    "PRESENCE_STATE",
    "PUSH",
    "QUEUE_EXISTS",
    "QUEUE_GET_CHANNEL",
    "QUEUE_MEMBER",
    "QUEUE_MEMBER_COUNT",
    "QUEUE_MEMBER_LIST",
    "QUEUE_MEMBER_PENALTY",
    "QUEUE_VARIABLES",
    "QUEUE_WAITING_COUNT",
    "QUOTE",
    "RAND",
    "REALTIME",
    "REALTIME_DESTROY",
    "REALTIME_FIELD",
    "REALTIME_HASH",
    "REALTIME_STORE",
    "RECORDING_INFO",
    "REDIRECTING",
    "REGEX",
    "REPLACE",
    "RTRIM",
    "SAYFILES",
    "SCRAMBLE",
    "SET",
    "SHA1",
    "SHARED",
    "SHELL",
    "SHIFT",
    "SIPPEER",
    "SIP_HEADER",
    "SIP_HEADERS",
    "SMDI_MSG",
    "SMDI_MSG_RETRIEVE",
    "SORT",
    "SPEECH",
    "SPEECH_ENGINE",
    "SPEECH_GRAMMAR",
    "SPEECH_RESULTS_TYPE",
    "SPEECH_SCORE",
    "SPEECH_TEXT",
    "SPRINTF",
    "SQL_ESC",
    "SRVQUERY",
    "SRVRESULT",
    "STACK_PEEK",
    "STAT",
    "STRBETWEEN",
    "STRFTIME",
    "STRPTIME",
    "STRREPLACE",
    "SYSINFO",
    "TALK_DETECT",
    "TESTTIME",
    "TIMEOUT",
    "TOLOWER",
    "TONE_DETECT",
    "TOUPPER",
    "TRIM",
    "TRYLOCK",
    "TXTCIDNAME",
    "UNLOCK",
    "UNSHIFT",
    "URIDECODE",
    "URIENCODE",
    "UUID",
    "VALID_EXTEN",
    "VARIABLE_EXISTS",
    "VERSION",
    "VMCOUNT",
    "VM_INFO",
    "VOLUME",
];

/// What Asterism knows about a function name (case-sensitive, as Asterisk).
pub fn support(name: &str) -> Option<Support> {
    if find(name).is_some() {
        Some(Support::Supported)
    } else if ASTERISK_FUNCTIONS.contains(&name) {
        Some(Support::Unsupported)
    } else {
        None
    }
}

/// A system started on a scratch directory that holds every one of its
/// directories, with `files` written into it; for unit tests that need a
/// whole daemon's state without its sockets.
#[cfg(test)]
pub(crate) fn test_system(
    files: &[(&str, &str)],
) -> (tempfile::TempDir, std::sync::Arc<crate::core::System>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let etc = dir.path();
    std::fs::write(
        etc.join("asterisk.conf"),
        format!(
            "[directories]\nastetcdir => {0}\nastlogdir => {0}\nastrundir => {0}\nastspooldir => {0}\nastvarlibdir => {0}\nastdbdir => {0}\n",
            etc.display()
        ),
    )
    .expect("asterisk.conf");
    for (name, text) in files {
        std::fs::write(etc.join(name), text).expect("config file");
    }
    let sys = crate::core::System::start(&etc.join("asterisk.conf")).expect("system");
    (dir, sys)
}

#[cfg(test)]
mod hostile_tests {
    use super::test_system;

    /// Every function of these families, fed odd and hostile arguments,
    /// answers without panicking (with no channel, as from the CLI).
    #[test]
    fn odd_arguments_never_panic() {
        let (_dir, sys) = test_system(&[("extensions.conf", "[c]\nexten => s,1,NoOp()\n")]);
        let names = [
            "ISNULL",
            "SET",
            "EXISTS",
            "IF",
            "IFTIME",
            "IMPORT",
            "VARIABLE_EXISTS",
            "MATH",
            "INC",
            "DEC",
            "MIN",
            "MAX",
            "ABS",
            "DIGIT_SUM",
            "RAND",
            "URIENCODE",
            "URIDECODE",
            "BASE64_ENCODE",
            "BASE64_DECODE",
            "MD5",
            "SHA1",
            "CUT",
            "SORT",
            "SPRINTF",
            "ENV",
            "STAT",
            "FILE",
            "FILE_COUNT_LINE",
            "FILE_FORMAT",
            "DIRNAME",
            "BASENAME",
            "VERSION",
            "DIALPLAN_EXISTS",
            "VALID_EXTEN",
            "VM_INFO",
            "VMCOUNT",
            "GLOBAL_EXISTS",
            "UUID",
            "IFMODULE",
            "EVAL_EXTEN",
            "SAYFILES",
            "JSON_DECODE",
            "DIALGROUP",
            "STACK_PEEK",
            "SIPPEER",
            "PJSIP_ENDPOINT",
            "PJSIP_AOR",
            "PJSIP_CONTACT",
        ];
        let huge = "9".repeat(5000);
        let args = [
            "".to_string(),
            ",".to_string(),
            ",,,,,".to_string(),
            "(".to_string(),
            "\"".to_string(),
            "\\".to_string(),
            "%".to_string(),
            "%%%".to_string(),
            "%z%".to_string(),
            "?:?:".to_string(),
            "=".to_string(),
            "1/0".to_string(),
            "-2147483648%-1,int".to_string(),
            "1<<99,i".to_string(),
            "1e999999*-1e999999,c".to_string(),
            "nan^nan,h".to_string(),
            format!("{huge}+{huge}"),
            format!("%{huge}d,1"),
            format!("%.{huge}f,1"),
            "%.99999a,1".to_string(),
            "%*.*d,1,2".to_string(),
            "%-+ #0'I20.10hhlLqjzt,5".to_string(),
            "€%€".to_string(),
            "%C3%".to_string(),
            "!!!===".to_string(),
            "a:nan,b:-nan,c:inf,d:-0,e:0".to_string(),
            "V,\\x,1".to_string(),
            "V,\\0777,1-2&-&x".to_string(),
            "/nonexistent,-99999999999999999999,-5,l".to_string(),
            "/nonexistent,1,2,l,d".to_string(),
            format!("/dev/null,{huge},{huge},l"),
            "/dev/null,-1,-1".to_string(),
            "/,0,1,l".to_string(),
            "e,/".to_string(),
            "c,s,label".to_string(),
            ",s,-5".to_string(),
            "-5,2147483647".to_string(),
            "-2147483648,2147483647".to_string(),
        ];
        for name in names {
            for a in &args {
                let _ = super::read(&sys, None, &format!("{name}({a})"));
            }
        }
        // Writes: ENV with odd names, FILE onto a path that cannot exist.
        assert!(super::write(&sys, None, "ENV(A=B)", "x"));
        let _ = super::write(&sys, None, "FILE(/nonexistent/x,,,l,u)", "x");
        for a in &args {
            for name in ["EXPORT", "DIALGROUP", "GLOBAL_DELETE"] {
                let _ = super::write(&sys, None, &format!("{name}({a})"), a);
            }
        }
        assert_eq!(super::read(&sys, None, "ENV(A=B)").as_deref(), Some(""));
    }

    #[test]
    fn every_registered_function_is_one_asterisk_has() {
        for f in super::registry() {
            assert!(
                super::ASTERISK_FUNCTIONS.contains(&f.name),
                "{} is not an Asterisk 20.20.1 function",
                f.name
            );
        }
    }
}
