//! The parsed models of the office configuration's views, as snapshots
//! (tests/snapshots/). A change to a default or to how an option is read
//! shows up here as a diff to review. Origins are `<file>:<line>`, so the
//! snapshots do not depend on where the copy of the configuration is.

mod common;

use asterism::core::System;

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("views serialize")
}

fn loaded(config: &str) -> (tempfile::TempDir, std::sync::Arc<asterism::core::Loaded>) {
    let dir = common::config_copy(config);
    let sys = System::start(&dir.path().join("asterisk.conf")).expect("system starts");
    let loaded = sys.loaded();
    (dir, loaded)
}

#[test]
fn office_views() {
    let (_dir, l) = loaded("office");
    insta::assert_snapshot!("office_logger", json(&*l.logger));
    insta::assert_snapshot!("office_sip", json(&*l.sip));
    insta::assert_snapshot!("office_voicemail", json(&*l.voicemail));
    insta::assert_snapshot!("office_queues", json(&*l.queues));
    insta::assert_snapshot!("office_confbridge", json(&*l.confbridge));
    insta::assert_snapshot!("office_musiconhold", json(&*l.moh));
    insta::assert_snapshot!("office_manager", json(&*l.manager));
    insta::assert_snapshot!("office_http", json(&*l.http));
    insta::assert_snapshot!("office_ari", json(&*l.ari));
    insta::assert_snapshot!("office_cdr", json(&*l.cdr));
    insta::assert_snapshot!("office_rtp", json(&*l.rtp));
    insta::assert_snapshot!("office_features", json(&*l.features));
    insta::assert_snapshot!("office_indications", json(&*l.indications));
    insta::assert_snapshot!("office_modules", json(&*l.modules));
}

#[test]
fn office_pjsip_views() {
    let (_dir, l) = loaded("office-pjsip");
    insta::assert_snapshot!("office_pjsip_pjsip", json(&*l.pjsip));
}

/// geolocation.conf of tests/configs/geoloc: what res_geolocation keeps
/// (the refused objects are left out; see golden/…/cli/geoloc.messages.log).
#[test]
fn geoloc_view() {
    use asterism::config::views::View;
    use asterism::config::views::geolocation::GeolocationConf;
    let dir = common::repo().join("tests/configs/geoloc");
    let opts = asterism::config::LoadOptions::new(&dir);
    let cfg = asterism::config::load(GeolocationConf::FILE, &opts)
        .expect("parses")
        .expect("exists");
    let view = GeolocationConf::from_config(&cfg, &mut Vec::new());
    insta::assert_snapshot!("geoloc_geolocation", json(&view));
}
