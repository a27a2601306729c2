//! Park, ParkedCalls and Parkinglots (`res/parking/parking_manager.c`).

use super::{BoxFuture, now};
use crate::manager::message::{Message, Reply};
use crate::manager::session::{Flow, Session};

/// One listed parked call: the event's body (no Privilege: the list is
/// appended to the response), then the ActionID.
fn list_item(r: &mut Reply, m: &Message, pu: &crate::parking::ParkedUser) {
    r.line("Event", "ParkedCall");
    r.raw(&crate::parking::parked_call_body(pu, true));
    r.action_id(m);
    r.end();
}

/// `manager_parking_status`: every lot's calls, or one lot's.
pub fn parked_calls<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let loaded = sys.loaded();
    let wanted = m.get("ParkingLot");
    let lots: Vec<String> = if wanted.is_empty() {
        lot_names(&loaded.parking)
    } else {
        if loaded.parking.lot(wanted).is_none() {
            return now(Flow::Reply(Reply::error(
                m,
                "Requested parking lot could not be found.",
            )));
        }
        vec![wanted.to_string()]
    };
    let mut r = Reply::list_start(m, "Parked calls will follow");
    let mut total = 0;
    for lot in &lots {
        for pu in sys.parking.parked(lot) {
            list_item(&mut r, m, &pu);
            total += 1;
        }
    }
    r.list_complete_open(m, "ParkedCallsComplete", total);
    r.line("Total", total);
    r.end();
    now(Flow::Reply(r))
}

/// The lots in the container's order (by name).
fn lot_names(conf: &crate::config::views::parking::ParkingConf) -> Vec<String> {
    let mut names: Vec<String> = conf.lots.iter().map(|l| l.name.clone()).collect();
    names.sort();
    names
}

/// `manager_parking_lot_list`.
pub fn parkinglots<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let loaded = s.sys().loaded();
    let mut r = Reply::list_start(m, "Parking lots will follow");
    let names = lot_names(&loaded.parking);
    for name in &names {
        let Some(l) = loaded.parking.lot(name) else {
            continue;
        };
        r.item("Parkinglot", m)
            .line("Name", &l.name)
            .line("StartSpace", l.start)
            .line("StopSpace", l.stop)
            .line("Timeout", l.parkingtime)
            .end();
    }
    r.list_complete(m, "ParkinglotsComplete", names.len());
    now(Flow::Reply(r))
}

/// `manager_park`: parks `Channel`. With a `TimeoutChannel` that is its
/// bridge peer, that peer parks it as the parkcall feature would;
/// otherwise the channel leaves what it runs and is parked on its own.
pub fn park<'a>(s: &'a mut Session, m: &'a Message) -> BoxFuture<'a> {
    let sys = s.sys().clone();
    let channel = m.get("Channel");
    let timeout_channel = match m.get("TimeoutChannel") {
        "" => m.get("Channel2"),
        t => t,
    };
    let announce = m.get("AnnounceChannel");
    let timeout = m.get("Timeout");
    let lot = m.get("Parkinglot");
    let space = m.get("ParkingSpace");
    if channel.is_empty() {
        return now(Flow::Reply(Reply::error(m, "Channel not specified")));
    }
    let mut time_limit = None;
    if !timeout.is_empty() {
        match crate::config::views::values::scan_d(timeout) {
            Some(n) if n >= 0 => {
                // Milliseconds, at least a second once not 0.
                time_limit = Some(if n == 0 { 0 } else { (n / 1000).max(1) as u32 });
            }
            _ => return now(Flow::Reply(Reply::error(m, "Invalid Timeout value."))),
        }
    }
    let Some(chan) = sys.pbx.channels.by_name(channel) else {
        return now(Flow::Reply(Reply::error(
            m,
            &format!("Channel does not exist: {channel}"),
        )));
    };
    if !timeout_channel.is_empty() {
        // ast_bridge_set_transfer_variables: as if a blind transfer by it.
        chan.set_var_event("BLINDTRANSFER", timeout_channel);
    }
    if !space.is_empty() {
        crate::pbx::set_var(&sys, Some(&chan), "PARKINGEXTEN", Some(space));
    }
    let parker = chan.bridge_peer();
    let bridged_to_parker = parker
        .as_ref()
        .is_some_and(|p| !timeout_channel.is_empty() && p.name == timeout_channel);
    if !announce.is_empty() {
        // Announcing the space to another channel is not built.
        sys.pbx.logger.notice(
            crate::site!("parking_manager.c", 0, "manager_park"),
            None,
            &format!("Park: AnnounceChannel {announce} is not announced to by Asterism"),
        );
    }
    let opts = crate::parking::ParkOptions {
        lot: lot.to_string(),
        time_limit,
        ..Default::default()
    };
    let ok = match (bridged_to_parker, parker) {
        (true, Some(p)) => crate::parking::features::park_bridged(&sys, &p, &chan, opts),
        _ => crate::parking::features::park_unbridged(&sys, &chan, opts),
    };
    if ok {
        now(Flow::Reply(Reply::ack(m, "Park successful\n")))
    } else {
        now(Flow::Reply(Reply::error(m, "Park action failed\n")))
    }
}
