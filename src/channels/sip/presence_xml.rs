//! res_pjsip's notifier for the `dialog` and `presence` event packages
//! (res_pjsip_exten_state and its body generators): which body a
//! SUBSCRIBE's Accept headers choose, and each body as pjsip prints it
//! (pjlib's XML printer: one space of indent per level, `<x />` for an
//! empty element). chan_sip writes the same packages differently
//! ([`super::subscribe`]).

use super::subscribe::Format;
use crate::core::devicestate::ExtensionState;

/// The body pjsip picks for a SUBSCRIBE: the first Accept value a
/// generator serves (resource-list types passed over), or the event
/// package's default when there is no Accept at all. None: nothing the
/// notifier can write (489).
pub fn choose(accepts: &[&str], event: &str) -> Option<Format> {
    let values: Vec<&str> = accepts
        .iter()
        .flat_map(|a| a.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .filter(|v| !matches!(*v, "multipart/related" | "application/rlmi+xml"))
        .collect();
    if values.is_empty() {
        return Some(match event {
            "dialog" => Format::DialogInfo,
            _ => Format::Pidf,
        });
    }
    values.into_iter().find_map(|v| match v {
        "application/pidf+xml" => Some(Format::Pidf),
        "application/xpidf+xml" => Some(Format::Xpidf),
        "application/cpim-pidf+xml" => Some(Format::CpimPidf),
        "application/dialog-info+xml" => Some(Format::DialogInfo),
        _ => None,
    })
}

/// The channel whose ringing a dialog-info NOTIFY describes (the oldest
/// ringing channel of the hint's devices), in the words the body uses:
/// who calls, as its connected line says (`anonymous` when restricted,
/// `invalid` for no number), and who would be calling were the watched
/// phone the caller (its caller id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ringing {
    pub remote_name: String,
    pub remote_number: String,
    /// The connected number is restricted: the target's domain hides too.
    pub remote_restricted: bool,
    pub local_name: String,
    pub local_number: String,
}

/// What one NOTIFY body says about the watched extension.
pub struct Notice<'a> {
    pub state: ExtensionState,
    pub exten: &'a str,
    /// The watched resource's URI (the SUBSCRIBE's request URI): the
    /// bodies' entity.
    pub local: &'a str,
    /// The subscriber's URI as pjsip prints a From (no port).
    pub remote: &'a str,
    /// The host of the dialog's local URI (dialog-info's targets).
    pub domain: &'a str,
    /// The dialog-info `version`.
    pub version: u32,
    /// The endpoint's `notify_early_inuse_ringing`.
    pub early_inuse_ringing: bool,
    pub ringing: Option<&'a Ringing>,
    /// xpidf's `atomid` (pjsip makes a fresh unique string each time).
    pub atom_id: &'a str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Local {
    Open,
    InUse,
    Closed,
}

/// `ast_sip_presence_exten_state_to_str`: the dialog state, the local
/// state, the rpid activity and the pidf note.
fn words(
    state: ExtensionState,
    early_inuse_ringing: bool,
) -> (&'static str, Local, &'static str, &'static str) {
    use ExtensionState as E;
    match state {
        E::Ringing => ("early", Local::InUse, "on-the-phone", "Ringing"),
        E::InUseRinging => (
            if early_inuse_ringing {
                "early"
            } else {
                "confirmed"
            },
            Local::InUse,
            "on-the-phone",
            "Ringing",
        ),
        E::InUse | E::Busy => ("confirmed", Local::InUse, "on-the-phone", "On the phone"),
        E::Unavailable => ("terminated", Local::Closed, "--", "Unavailable"),
        E::Hold => ("confirmed", Local::InUse, "on-the-phone", "On hold"),
        E::Idle | E::InUseHold => ("terminated", Local::Open, "--", "Ready"),
    }
}

/// The NOTIFY body in `format`, as res_pjsip writes it.
pub fn body(format: Format, n: &Notice<'_>) -> String {
    let root = match format {
        Format::DialogInfo => dialog_info(n),
        Format::Pidf => pidf(n),
        Format::Xpidf | Format::CpimPidf => xpidf(n),
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    root.print(0, &mut out);
    out.push('\n');
    out
}

fn dialog_info(n: &Notice<'_>) -> Node {
    let (state, ..) = words(n.state, n.early_inuse_ringing);
    let entity = sanitize(n.local);
    let mut dialog = Node::new("dialog").attr("id", n.exten);
    if state == "early" {
        dialog = dialog.attr("direction", "recipient");
        let mut local_identity = entity.clone();
        let mut local_display = None;
        if let Some(r) = n.ringing {
            let domain = sanitize(n.domain);
            let remote_target = format!(
                "sip:{}@{}",
                r.remote_number,
                if r.remote_restricted {
                    "anonymous.invalid"
                } else {
                    &domain
                }
            );
            let mut identity = Node::new("identity").text(&remote_target);
            if !r.remote_name.is_empty() {
                identity = identity.attr("display", &sanitize(&r.remote_name));
            }
            dialog = dialog.child(
                Node::new("remote")
                    .child(identity)
                    .child(Node::new("target").attr("uri", &remote_target)),
            );
            local_identity = format!("sip:{}@{domain}", r.local_number);
            local_display = Some(r.local_name.clone()).filter(|s| !s.is_empty());
        }
        let mut identity = Node::new("identity").text(&local_identity);
        if let Some(name) = local_display {
            identity = identity.attr("display", &sanitize(&name));
        }
        dialog = dialog.child(
            Node::new("local")
                .child(identity)
                .child(Node::new("target").attr("uri", &entity)),
        );
    }
    dialog = dialog.child(Node::new("state").text(state));
    if n.state == ExtensionState::Hold {
        dialog = dialog.child(
            Node::new("local").child(
                Node::new("target").attr("uri", &entity).child(
                    Node::new("param")
                        .attr("pname", "+sip.rendering")
                        .attr("pvalue", "no"),
                ),
            ),
        );
    }
    Node::new("dialog-info")
        .attr("xmlns", "urn:ietf:params:xml:ns:dialog-info")
        .attr("version", &n.version.to_string())
        .attr("state", "full")
        .attr("entity", &entity)
        .child(dialog)
}

/// pidf with the eyebeam supplement's person element (which res_pjsip
/// always adds).
fn pidf(n: &Notice<'_>) -> Node {
    let (_, local, activity, note) = words(n.state, false);
    let mut person = Node::new("dm:person");
    if !activity.starts_with('-') {
        person = person
            .child(Node::new("rpid:activities").child(Node::new(&format!("rpid:{activity}"))));
    }
    let basic = if local == Local::Closed {
        "closed"
    } else {
        "open"
    };
    Node::new("presence")
        .attr("entity", n.local)
        .attr("xmlns", "urn:ietf:params:xml:ns:pidf")
        .child(Node::new("note").text(note))
        .child(
            Node::new("tuple")
                .attr("id", n.exten)
                .child(Node::new("status").child(Node::new("basic").text(basic)))
                .child(
                    Node::new("contact")
                        .attr("priority", "1")
                        .text(&sanitize(n.remote)),
                ),
        )
        .child(person)
        .attr("xmlns:dm", "urn:ietf:params:xml:ns:pidf:data-model")
        .attr("xmlns:rpid", "urn:ietf:params:xml:ns:pidf:rpid")
}

/// xpidf (and cpim-pidf, which pjsip writes the same way).
fn xpidf(n: &Notice<'_>) -> Node {
    let (_, local, ..) = words(n.state, false);
    let (status, substatus) = match local {
        Local::Open => ("open", "online"),
        Local::InUse => ("inuse", "onthephone"),
        Local::Closed => ("closed", "offline"),
    };
    Node::new("presence")
        .child(Node::new("presentity").attr("uri", &format!("{};method=SUBSCRIBE", n.local)))
        .child(
            Node::new("atom")
                .attr("atomid", n.atom_id)
                .attr("id", n.exten)
                .child(
                    Node::new("address")
                        .attr("uri", &format!("{};user=ip", sanitize(n.remote)))
                        .attr("priority", "0.80000")
                        .child(Node::new("status").attr("status", status))
                        .child(Node::new("msnsubstatus").attr("substatus", substatus)),
                ),
        )
}

/// `ast_sip_sanitize_xml`: the five XML specials (as `ast_xml_escape`)
/// and line breaks as character references.
pub fn sanitize(s: &str) -> String {
    crate::http::response::xml_escape(s)
        .replace('\r', "&#13;")
        .replace('\n', "&#10;")
}

/// An element as pjlib's XML printer sees it: values go out as given
/// (the generators sanitise what needs it).
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    content: String,
    children: Vec<Node>,
}

impl Node {
    fn new(name: &str) -> Node {
        Node {
            name: name.to_string(),
            attrs: Vec::new(),
            content: String::new(),
            children: Vec::new(),
        }
    }

    fn attr(mut self, name: &str, value: &str) -> Node {
        self.attrs.push((name.to_string(), value.to_string()));
        self
    }

    fn text(mut self, content: &str) -> Node {
        self.content = content.to_string();
        self
    }

    fn child(mut self, node: Node) -> Node {
        self.children.push(node);
        self
    }

    /// `xml_print_node`: children each on a line of their own, one space
    /// deeper; an attribute without a value is its bare name.
    fn print(&self, indent: usize, out: &mut String) {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attrs {
            out.push(' ');
            out.push_str(name);
            if !value.is_empty() {
                out.push_str("=\"");
                out.push_str(value);
                out.push('"');
            }
        }
        if self.content.is_empty() && self.children.is_empty() {
            out.push_str(" />");
            return;
        }
        out.push('>');
        for child in &self.children {
            out.push('\n');
            child.print(indent + 1, out);
        }
        out.push_str(&self.content);
        if !self.children.is_empty() {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', indent));
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(state: ExtensionState) -> Notice<'static> {
        Notice {
            state,
            exten: "1060",
            local: "sip:1060@127.0.0.1:5070",
            remote: "sip:2001@127.0.0.1",
            domain: "127.0.0.1",
            version: 1,
            early_inuse_ringing: false,
            ringing: None,
            atom_id: "49bf4c45-53dc-479e-9578-074d455151c4",
        }
    }

    #[test]
    fn accept_values_and_defaults() {
        assert_eq!(
            choose(&["application/dialog-info+xml"], "dialog"),
            Some(Format::DialogInfo)
        );
        assert_eq!(choose(&[], "presence"), Some(Format::Pidf));
        assert_eq!(choose(&[], "dialog"), Some(Format::DialogInfo));
        assert_eq!(
            choose(
                &[
                    "multipart/related, application/rlmi+xml",
                    "application/xpidf+xml"
                ],
                "presence"
            ),
            Some(Format::Xpidf)
        );
        // Only resource-list types: as if there were no Accept.
        assert_eq!(
            choose(&["application/rlmi+xml"], "dialog"),
            Some(Format::DialogInfo)
        );
        assert_eq!(choose(&["application/x-unknown"], "presence"), None);
    }

    #[test]
    fn dialog_info_ringing_names_the_local_target() {
        let b = body(Format::DialogInfo, &notice(ExtensionState::Ringing));
        assert_eq!(
            b,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"1\" state=\"full\" entity=\"sip:1060@127.0.0.1:5070\">\n \
<dialog id=\"1060\" direction=\"recipient\">\n  \
<local>\n   \
<identity>sip:1060@127.0.0.1:5070</identity>\n   \
<target uri=\"sip:1060@127.0.0.1:5070\" />\n  \
</local>\n  \
<state>early</state>\n \
</dialog>\n\
</dialog-info>\n"
        );
        assert_eq!(b.len(), 358);
    }

    #[test]
    fn dialog_info_ringing_with_a_caller() {
        let r = Ringing {
            remote_name: "Al <x>".into(),
            remote_number: "1000".into(),
            local_number: "1060".into(),
            ..Ringing::default()
        };
        let mut n = notice(ExtensionState::Ringing);
        n.ringing = Some(&r);
        let b = body(Format::DialogInfo, &n);
        assert!(b.contains(
            "  <remote>\n   <identity display=\"Al &lt;x&gt;\">sip:1000@127.0.0.1</identity>\n   <target uri=\"sip:1000@127.0.0.1\" />\n  </remote>\n  <local>\n   <identity>sip:1060@127.0.0.1</identity>\n   <target uri=\"sip:1060@127.0.0.1:5070\" />\n  </local>\n"
        ), "{b}");
        let hidden = Ringing {
            remote_number: "anonymous".into(),
            remote_restricted: true,
            ..r.clone()
        };
        let mut n = notice(ExtensionState::Ringing);
        n.ringing = Some(&hidden);
        let b = body(Format::DialogInfo, &n);
        assert!(b.contains("sip:anonymous@anonymous.invalid"), "{b}");
    }

    #[test]
    fn dialog_info_on_hold_is_not_rendering() {
        let b = body(Format::DialogInfo, &notice(ExtensionState::Hold));
        assert!(b.contains("  <state>confirmed</state>\n  <local>\n   <target uri=\"sip:1060@127.0.0.1:5070\">\n    <param pname=\"+sip.rendering\" pvalue=\"no\" />\n   </target>\n  </local>\n"), "{b}");
        assert_eq!(b.len(), 352);
    }

    #[test]
    fn pidf_idle_and_in_use() {
        let idle = body(Format::Pidf, &notice(ExtensionState::Idle));
        assert_eq!(idle.len(), 390, "{idle}");
        assert!(idle.ends_with(" <dm:person />\n</presence>\n"), "{idle}");
        let busy = body(Format::Pidf, &notice(ExtensionState::InUse));
        assert_eq!(busy.len(), 475, "{busy}");
        assert!(busy.contains(" <note>On the phone</note>\n"), "{busy}");
        let gone = body(Format::Pidf, &notice(ExtensionState::Unavailable));
        assert!(gone.contains("<basic>closed</basic>"), "{gone}");
    }

    #[test]
    fn xpidf_states() {
        let idle = body(Format::Xpidf, &notice(ExtensionState::Idle));
        assert_eq!(idle.len(), 342, "{idle}");
        let busy = body(Format::Xpidf, &notice(ExtensionState::Hold));
        assert!(
            busy.contains(
                "<status status=\"inuse\" />\n   <msnsubstatus substatus=\"onthephone\" />"
            ),
            "{busy}"
        );
        assert_eq!(busy.len(), 347, "{busy}");
    }

    #[test]
    fn sanitising_escapes_markup() {
        assert_eq!(sanitize("a<b>&\"'\n"), "a&lt;b&gt;&amp;&quot;&apos;&#10;");
    }
}
