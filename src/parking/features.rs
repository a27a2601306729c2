//! The ways into a lot other than Park(): the one-touch parkcall
//! feature and a blind transfer to a park extension
//! (`res/parking/parking_bridge_features.c`), and the AMI Park action's
//! parking of a channel that is not bridged to its parker.

use std::sync::Arc;

use super::{ParkOptions, Parked};
use crate::apps::AppCtx;
use crate::channels::Channel;
use crate::channels::bridge::Bridge;
use crate::core::{System, lock};

/// Whether `exten@context` runs Park (`parking_is_exten_park`).
pub fn is_park_exten(sys: &System, context: &str, exten: &str) -> Option<String> {
    let loaded = sys.loaded();
    let found = crate::pbx::find::find(
        &loaded.dialplan,
        context,
        exten,
        crate::pbx::find::Want::Priority(1),
        None,
    )
    .ok()?;
    found
        .priority
        .app
        .eq_ignore_ascii_case("Park")
        .then(|| found.priority.data.clone())
}

/// The parkcall feature (`parking_park_call`): `parker`'s peer in
/// `bridge` goes to its lot's park extension. `true` once it is parked;
/// the parker has heard the space and is out of the bridge.
pub async fn park_call(
    sys: &Arc<System>,
    parker: &Arc<Channel>,
    parkee: &Arc<Channel>,
    bridge: &Arc<Bridge>,
) -> bool {
    let lot_name = super::channel_lot_name(parker);
    let loaded = sys.loaded();
    let Some(cfg) = loaded.parking.lot(&lot_name).cloned() else {
        sys.pbx.logger.warning(
            crate::site!("parking_bridge_features.c", 478, "parking_park_call"),
            None,
            &format!("Cannot Park {}: lot {lot_name} unknown", parker.name),
        );
        return false;
    };
    blind_transfer_park(sys, parker, parkee, bridge, &cfg.context, &cfg.parkext).await
}

/// `parking_blind_transfer_park` on a two-party bridge: when
/// `exten@context` is a park extension, the peer is parked with that
/// extension's arguments as if it ran Park there, and the parker hears
/// where before it leaves. `false` when it is no park extension.
pub async fn blind_transfer_park(
    sys: &Arc<System>,
    parker: &Arc<Channel>,
    parkee: &Arc<Channel>,
    bridge: &Arc<Bridge>,
    context: &str,
    exten: &str,
) -> bool {
    if context.is_empty() || exten.is_empty() {
        return false;
    }
    let Some(app_data) = is_park_exten(sys, context, exten) else {
        return false;
    };
    let ctx = AppCtx {
        sys: sys.clone(),
        chan: parkee.clone(),
    };
    let Some(opts) = crate::apps::park::parse_park_data(&ctx, &app_data) else {
        return false;
    };
    park_peer(sys, parker, parkee, bridge, &opts).await
}

/// `parking_park_bridge_channel` with the parker's subscription: the
/// parkee, blind transferred by the parker, moves from `bridge` into its
/// lot; the parker hears the space, then leaves `bridge`.
async fn park_peer(
    sys: &Arc<System>,
    parker: &Arc<Channel>,
    parkee: &Arc<Channel>,
    bridge: &Arc<Bridge>,
    opts: &ParkOptions,
) -> bool {
    // ast_bridge_set_transfer_variables: the parkee was blind
    // transferred by the parker.
    parkee.set_var_event("BLINDTRANSFER", &parker.name);
    let Some(entered) = super::enter(sys, parkee, Some(parker), opts, Some(bridge)) else {
        return false;
    };
    let space = entered.pu.space;
    start_holding(sys, parkee, entered);
    // The parker's subscription: it hears the space, then leaves (the
    // ParkedCall message reaches it through the parking topic and the
    // announcement is queued to its bridge channel).
    let pctx = AppCtx {
        sys: sys.clone(),
        chan: parker.clone(),
    };
    super::say_space(&pctx, space).await;
    bridge.pull(parker);
    true
}

/// Runs a parked call's hold: on its own task when no dialplan runs it
/// (a dialled leg), else left for the dialplan's application that
/// bridged it ([`hold_if_parked`]).
fn start_holding(sys: &Arc<System>, parkee: &Arc<Channel>, entered: super::Entered) {
    if parkee.lock().has_pbx {
        lock(&sys.parking.waiting).push(entered);
        return;
    }
    let sys = sys.clone();
    let parkee = parkee.clone();
    tokio::spawn(async move {
        match entered.hold().await {
            Parked::GoesOn => crate::pbx::run::pbx_start_or_hang_up(AppCtx {
                sys: sys.clone(),
                chan: parkee,
            }),
            Parked::Hangup | Parked::Failed => crate::pbx::run::hangup_channel(&sys, &parkee),
        }
    });
}

/// For the application whose bridge `chan` was parked out of (Dial's
/// caller): holds it in its lot now. `None` when it was not parked.
pub async fn hold_if_parked(sys: &Arc<System>, chan: &Arc<Channel>) -> Option<Parked> {
    let entered = {
        let mut w = lock(&sys.parking.waiting);
        let i = w.iter().position(|e| Arc::ptr_eq(&e.pu.chan, chan))?;
        w.remove(i)
    };
    Some(entered.hold().await)
}

/// Whether `chan` is in a parking lot now (so whoever bridged it leaves
/// it there).
pub fn is_parked(sys: &System, chan: &Channel) -> bool {
    sys.parking.find_chan(chan).is_some()
}

/// The Park action on a channel that is not bridged to its parker
/// (`manager_park_unbridged`): the lot must exist; a channel the dialplan
/// runs leaves what it runs and is parked (what Asterisk's channel yank
/// does), any other is parked on a task of its own. `false`: not parked
/// (logged).
pub fn park_unbridged(sys: &Arc<System>, chan: &Arc<Channel>, mut opts: ParkOptions) -> bool {
    // Nobody parked it: no announcement.
    opts.silence = true;
    let lot = if opts.lot.is_empty() {
        super::channel_lot_name(chan)
    } else {
        opts.lot.clone()
    };
    if sys.loaded().parking.lot(&lot).is_none() {
        sys.pbx.logger.error(
            crate::site!("parking_applications.c", 443, "park_common_setup2"),
            None,
            &format!("Could not find parking lot: '{lot}'"),
        );
        return false;
    }
    if chan.bridge().is_some() {
        // Moving a member of another bridge into the lot is not built.
        sys.pbx.logger.warning(
            crate::site!("parking_manager.c", 0, "manager_park_unbridged"),
            None,
            &format!(
                "Park of {}: a channel in a bridge other than with its parker cannot be parked by Asterism yet",
                chan.name
            ),
        );
        return false;
    }
    if chan.lock().has_pbx {
        lock(&sys.parking.yanked).push((chan.clone(), opts));
        {
            // The yanked copy resumes after the application it was in,
            // as the reference shows it parked.
            let mut d = chan.lock();
            d.priority += 1;
        }
        chan.softhangup_quiet(crate::channels::softhangup::ASYNCGOTO);
        return true;
    }
    let Some(entered) = super::enter(sys, chan, None, &opts, None) else {
        return false;
    };
    start_holding(sys, chan, entered);
    true
}

/// The Park action with a TimeoutChannel bridged to the channel
/// (`manager_park_bridged`): the parker's bridge parks its peer as if the
/// parker had used the parkcall feature, once the bridge's own task gets
/// to it ([`run_bridge_park`]).
pub fn park_bridged(
    sys: &Arc<System>,
    parker: &Arc<Channel>,
    parkee: &Arc<Channel>,
    opts: ParkOptions,
) -> bool {
    let mut q = lock(&sys.parking.bridge_parks);
    // Requests whose parker is gone are dropped.
    q.retain(|(p, _, _)| !p.is_dead());
    q.push((parker.clone(), parkee.clone(), opts));
    drop(q);
    parker.wake();
    true
}

/// Whether a Park action waits for `parker`'s bridge.
pub fn bridge_park_pending(sys: &System, parker: &Arc<Channel>) -> bool {
    lock(&sys.parking.bridge_parks)
        .iter()
        .any(|(p, _, _)| Arc::ptr_eq(p, parker))
}

/// For a two-party bridge's task: a Park action `parker` is to carry out
/// on its peer `other`. `None` when there is none; else whether `other`
/// was parked (the parker has then heard the space and left).
pub async fn run_bridge_park(
    sys: &Arc<System>,
    parker: &Arc<Channel>,
    other: &Arc<Channel>,
    bridge: &Arc<Bridge>,
) -> Option<bool> {
    let opts = {
        let mut q = lock(&sys.parking.bridge_parks);
        let i = q
            .iter()
            .position(|(p, e, _)| Arc::ptr_eq(p, parker) && Arc::ptr_eq(e, other))?;
        q.remove(i).2
    };
    Some(park_peer(sys, parker, other, bridge, &opts).await)
}

/// For the PBX of a channel the Park action took: parks it now that its
/// application has let go. `true`: the dialplan goes on (nothing was
/// pending, or the call timed out to a new place); `false`: hang up.
pub async fn run_yanked(ctx: &AppCtx) -> bool {
    let opts = {
        let mut y = lock(&ctx.sys.parking.yanked);
        match y.iter().position(|(c, _)| Arc::ptr_eq(c, &ctx.chan)) {
            Some(i) => y.remove(i).1,
            None => return true,
        }
    };
    matches!(
        super::park_and_hold(&ctx.sys, &ctx.chan, None, &opts).await,
        Parked::GoesOn
    )
}
