//! res_parking's CLI (`res/parking/parking_ui.c`): `parking show`.

use std::fmt::Write as _;

use super::complete::{Completion, starting_with};
use super::{CliArgs, CliEntry, CliResult};
use crate::config::views::parking::LotCfg;
use crate::core::System;

pub fn commands() -> Vec<CliEntry> {
    vec![
        CliEntry::new(
            "parking show",
            "Usage: parking show [name]\n\tShows a list of parking lots or details of a specific parking lot.",
            show,
        )
        .summary("Show a parking lot or a list of all parking lots.")
        .completing(complete_lot),
    ]
}

/// `display_parking_lot`.
fn lot(out: &mut String, l: &LotCfg) {
    let _ = write!(
        out,
        "Parking Lot: {}\n--------------------------------------------------------------------------\n",
        l.name
    );
    let _ = writeln!(out, "Parking Extension   :  {}", l.parkext);
    let _ = writeln!(out, "Parking Context     :  {}", l.context);
    let _ = writeln!(out, "Parking Spaces      :  {}-{}", l.start, l.stop);
    let _ = writeln!(out, "Parking Time        :  {} sec", l.parkingtime);
    let yes = |b: bool| if b { "yes" } else { "no" };
    let _ = writeln!(out, "Comeback to Origin  :  {}", yes(l.comebacktoorigin));
    let _ = writeln!(
        out,
        "Comeback Context    :  {}{}",
        l.comebackcontext,
        if l.comebacktoorigin {
            " (comebacktoorigin=yes, not used)"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "Comeback Dial Time  :  {} sec", l.comebackdialtime);
    let _ = writeln!(out, "MusicOnHold Class   :  {}", l.mohclass);
    // Configured lots only: none is disabled or dynamic.
    let _ = writeln!(out, "Enabled             :  yes");
    let _ = writeln!(out, "Dynamic             :  no");
    out.push('\n');
}

fn sorted(sys: &System) -> Vec<LotCfg> {
    let mut lots = sys.loaded().parking.lots.clone();
    lots.sort_by(|a, b| a.name.cmp(&b.name));
    lots
}

fn show(sys: &System, a: &CliArgs<'_>, out: &mut String) -> CliResult {
    out.push('\n');
    match a.argc() {
        2 => {
            let dynamic = sys.loaded().parking.parkeddynamic;
            let _ = write!(
                out,
                "Parking General Options\n-----------------------\nDynamic Parking     :  {}\n\n",
                if dynamic { "yes" } else { "no" }
            );
            for l in &sorted(sys) {
                lot(out, l);
            }
            out.push('\n');
            CliResult::Success
        }
        3 => {
            let name = a.arg(2).unwrap_or("");
            let loaded = sys.loaded();
            let Some(l) = loaded.parking.lot(name) else {
                let _ = write!(out, "Could not find parking lot '{name}'\n\n");
                return CliResult::Success;
            };
            lot(out, l);
            out.push_str("Parked Calls\n------------\n");
            let parked = sys.parking.parked(&l.name);
            if parked.is_empty() {
                out.push_str("  (none)\n\n\n");
                return CliResult::Success;
            }
            for pu in parked {
                let _ = writeln!(out, "  Space               :  {}", pu.space);
                let _ = writeln!(out, "  Channel             :  {}", pu.chan.name);
                let _ = writeln!(out, "  Parker Dial String  :  {}", pu.parker_dial_string);
                out.push('\n');
            }
            out.push('\n');
            CliResult::Success
        }
        _ => CliResult::ShowUsage,
    }
}

/// The lots' names (`complete_parking_lot`).
fn complete_lot(sys: &System, c: &Completion<'_>) -> Vec<String> {
    if c.pos != 2 {
        return Vec::new();
    }
    starting_with(c.word, sorted(sys).into_iter().map(|l| l.name))
}
