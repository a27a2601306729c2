//! check-config reports an option a template (`[name](!)`) sets once, at
//! the template's line, not again for every section built from it.

mod common;

#[test]
fn template_options_reported_once() {
    let dir = common::config_copy("office");
    let sip = dir.path().join("sip.conf");
    let mut text = std::fs::read_to_string(&sip).expect("sip.conf");
    let template_line = text.lines().count() + 2;
    text.push_str(
        "\n[phone-tpl](!)\ntype=friend\nhost=dynamic\nfrobnicate=yes\n\
         [4000](phone-tpl)\nsecret=a\n[5000](phone-tpl)\nsecret=b\nwibble=1\n",
    );
    std::fs::write(&sip, text).expect("write sip.conf");
    let report = asterism::check::build(&dir.path().join("asterisk.conf"));
    let notes: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.file.ends_with("sip.conf") && d.message.starts_with("unknown or unsupported"))
        .map(|d| format!("{}:{}", d.line, d.message))
        .collect();
    assert_eq!(
        notes,
        [
            format!(
                "{}:unknown or unsupported option 'frobnicate' in [phone-tpl]",
                template_line + 3
            ),
            format!(
                "{}:unknown or unsupported option 'wibble' in [5000]",
                template_line + 8
            ),
        ],
        "{notes:?}"
    );
}

/// agents.conf goes through Asterisk's config framework: an option no
/// agent has refuses the file (app_agent_pool would not load), reported
/// with its line; one set by a template is found through the template.
#[test]
fn agents_conf_refusals_are_reported() {
    let dir = common::config_copy("office");
    std::fs::write(
        dir.path().join("agents.conf"),
        "[general]\n[tpl](!)\nackcall=yes\nwrapuptime=soon\n[1001](tpl)\nfullname=A\nfrobnicate=1\n",
    )
    .expect("write agents.conf");
    let report = asterism::check::build(&dir.path().join("asterisk.conf"));
    let notes: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.file.ends_with("agents.conf"))
        .map(|d| format!("{}:{}", d.line, d.message))
        .collect();
    assert_eq!(
        notes,
        [
            "4:Error parsing wrapuptime=soon at line 4 of agents.conf",
            "7:Could not find option suitable for category '1001' named 'frobnicate' at line 7 of agents.conf",
        ],
        "{notes:?}"
    );
}
