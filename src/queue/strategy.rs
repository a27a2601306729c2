//! Which members a caller rings next (`calc_metric`, `ring_one`): each
//! candidate gets a metric, the lowest wins; ringall rings every member
//! sharing the lowest, the others one member a try.

use crate::config::views::queues::Strategy;

/// What the strategies look at in a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Its place in the queue's member list.
    pub pos: usize,
    /// As the caller sees it (raised by its limits).
    pub penalty: i32,
    /// False when the queue has no more members than
    /// `penaltymemberslimit`: penalties order nobody then.
    pub use_penalty: bool,
    pub calls: i32,
    pub lastcall: i64,
}

/// `calc_metric`. `rrpos` is the queue's round-robin memory (rrmemory,
/// rrordered) or the caller's own position (linear); `rand` gives a
/// random number below its argument.
pub fn metric(
    s: Strategy,
    c: &Candidate,
    rrpos: usize,
    now: i64,
    rand: &mut dyn FnMut(u32) -> u32,
) -> i64 {
    let penalty = if c.use_penalty {
        c.penalty.max(0) as i64 * 1_000_000
    } else {
        0
    };
    match s {
        Strategy::RingAll => penalty,
        Strategy::Linear | Strategy::RrMemory | Strategy::RrOrdered => {
            let base = if c.pos < rrpos {
                1000 + c.pos as i64
            } else {
                c.pos as i64
            };
            base + penalty
        }
        Strategy::Random => rand(1000) as i64 + penalty,
        // Weighted: a larger penalty only makes the draw's range wider.
        Strategy::WRandom => rand((1 + c.penalty.max(0) as u32).saturating_mul(1000)) as i64,
        Strategy::FewestCalls => c.calls as i64 + penalty,
        Strategy::LeastRecent => {
            let m = if c.lastcall == 0 {
                0
            } else if now - c.lastcall < 1_000_000 {
                1_000_000 - (now - c.lastcall)
            } else {
                1_000_000
            };
            m + penalty
        }
    }
}

/// The members to ring now: the positions with the lowest metric (all of
/// them for ringall, the first for the others), in list order.
pub fn pick(
    s: Strategy,
    cands: &[Candidate],
    rrpos: usize,
    now: i64,
    rand: &mut dyn FnMut(u32) -> u32,
) -> Vec<usize> {
    let scored: Vec<(usize, i64)> = cands
        .iter()
        .map(|c| (c.pos, metric(s, c, rrpos, now, rand)))
        .collect();
    let Some(best) = scored.iter().map(|(_, m)| *m).min() else {
        return Vec::new();
    };
    let mut out: Vec<usize> = scored
        .iter()
        .filter(|(_, m)| *m == best)
        .map(|(p, _)| *p)
        .collect();
    if s != Strategy::RingAll {
        out.truncate(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(pos: usize, penalty: i32, calls: i32, lastcall: i64) -> Candidate {
        Candidate {
            pos,
            penalty,
            use_penalty: true,
            calls,
            lastcall,
        }
    }

    #[test]
    fn strategies_pick_as_app_queue() {
        let members = [
            c(0, 0, 5, 900),
            c(1, 0, 2, 100),
            c(2, 1, 0, 0),
            c(3, 0, 2, 50),
        ];
        let mut fixed = |_: u32| 0u32;
        for (s, rrpos, want) in [
            // The lowest penalty rings together.
            (Strategy::RingAll, 0, vec![0, 1, 3]),
            // Fewest calls among penalty 0 (the penalty-1 member has none).
            (Strategy::FewestCalls, 0, vec![1]),
            // The longest since its last call.
            (Strategy::LeastRecent, 0, vec![3]),
            // Round robin from the remembered position, wrapping.
            (Strategy::RrMemory, 1, vec![1]),
            (Strategy::RrOrdered, 4, vec![0]),
            (Strategy::Linear, 2, vec![3]),
            // Equal draws: the first in the list.
            (Strategy::Random, 0, vec![0]),
        ] {
            assert_eq!(pick(s, &members, rrpos, 1000, &mut fixed), want, "{s:?}");
        }
        assert!(pick(Strategy::RingAll, &[], 0, 0, &mut fixed).is_empty());
        // penaltymemberslimit reached: penalties do not count.
        let equal: Vec<Candidate> = members
            .iter()
            .map(|m| Candidate {
                use_penalty: false,
                ..*m
            })
            .collect();
        assert_eq!(
            pick(Strategy::RingAll, &equal, 0, 1000, &mut fixed),
            vec![0, 1, 2, 3]
        );
    }

    #[test]
    fn wrandom_draws_in_a_range_widened_by_penalty() {
        let mut seen = Vec::new();
        let mut rec = |n: u32| {
            seen.push(n);
            n - 1
        };
        let got = pick(
            Strategy::WRandom,
            &[c(0, 0, 0, 0), c(1, 2, 0, 0)],
            0,
            0,
            &mut rec,
        );
        // Ranges 1000 and 3000: the top of the smaller one is lower.
        assert_eq!(got, vec![0]);
        assert_eq!(seen, vec![1000, 3000]);
    }
}
