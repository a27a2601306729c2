//! What Asterisk measures of an RTP stream, its way (res_rtp_asterisk):
//! the count behind its RTCP report blocks ([`RxAccount`]), the jitter it
//! measures of what it receives ([`LocalJitter`]), what the far end's
//! reports say ([`Reported`]), the "media experience score" and the running
//! statistics of all of them ([`Running`]). Asterisk puts these on the
//! wire (RTCP), in RTCPSent/RTCPReceived and in the RTPAUDIOQOS variables,
//! so they follow its arithmetic, quirks included, not RFC 3550's
//! appendix.

/// Running minimum, maximum, mean and standard deviation of one quantity
/// (Welford's single pass, as Asterisk's `calc_mean_and_standard_deviation`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Running {
    pub count: u32,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub stdev: f64,
}

impl Running {
    /// A sample, with the plain minimum and maximum.
    pub fn add(&mut self, x: f64) {
        if self.count == 0 || x < self.min {
            self.min = x;
        }
        if x > self.max {
            self.max = x;
        }
        self.add_to_mean(x);
    }

    /// Mean and deviation only; for callers keeping min/max their own way.
    pub fn add_to_mean(&mut self, x: f64) {
        let squares = self.stdev * self.stdev * f64::from(self.count.max(1));
        self.count = self.count.wrapping_add(1).max(1);
        let n = f64::from(self.count);
        let before = x - self.mean;
        self.mean += before / n;
        self.stdev = ((squares + before * (x - self.mean)) / n).sqrt();
    }
}

/// Asterisk's "media experience score" (0–100) from a mean round trip
/// (s), a jitter (s) and its deviation, and a mean loss per report: an
/// E-model R value (G.107's 93.2 less latency and loss penalties) mapped
/// to a MOS-like 1–4.5 and rescaled to 100.
pub fn media_experience_score(rtt: f64, jitter: f64, jitter_stdev: f64, lost: f64) -> f64 {
    let latency = rtt * 1000.0 + (jitter * 2.0) * (jitter_stdev / 3.0) + 10.0;
    let mut r = if latency < 160.0 {
        93.2 - latency / 40.0
    } else {
        93.2 - (latency - 120.0) / 10.0
    };
    r -= lost * 2.0;
    let mos = if r < 0.0 {
        1.0
    } else if r > 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 0.000007
    };
    mos / 5.0 * 100.0
}

/// Asterisk's count of the stream it receives: first and last sequence
/// numbers, wraps, packets, and what the previous report covered. Unlike
/// RFC 3550 A.1 there is no probation: every accepted packet counts, the
/// last one read (not the highest) is "highest", and a drop of more than
/// 100 is a wrap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RxAccount {
    /// The source being received (`themssrc`), once a packet came.
    pub ssrc: Option<u32>,
    /// Packets from it (`rxcount`).
    pub count: u32,
    seed: u16,
    last: u16,
    cycles: u32,
    expected_prior: u32,
    received_prior: u32,
    /// Packets lost in each report interval.
    pub lost: Running,
}

impl RxAccount {
    /// One accepted packet. A new SSRC starts the count over; returns
    /// whether it did.
    pub fn on_packet(&mut self, ssrc: u32, seq: u16) -> bool {
        let mut prev = std::mem::replace(&mut self.last, seq);
        let changed = self.ssrc.is_some_and(|s| s != ssrc);
        if changed {
            self.count = 0;
            self.cycles = 0;
            self.expected_prior = 0;
            self.received_prior = 0;
            prev = 0;
        }
        self.ssrc = Some(ssrc);
        self.count = self.count.wrapping_add(1);
        if self.count == 1 {
            self.seed = seq;
        }
        if i32::from(prev) - i32::from(seq) > 100 {
            self.cycles = self.cycles.wrapping_add(1 << 16);
        }
        changed
    }

    /// The last sequence number read.
    pub fn last_sequence(&self) -> u16 {
        self.last
    }

    /// Wraps (high 16 bits) and the last sequence number read.
    pub fn highest_sequence(&self) -> u32 {
        self.cycles | u32::from(self.last)
    }

    /// Packets lost in the last report's interval (RTPAUDIOQOS `lp`).
    pub fn lost_last_interval(&self) -> u32 {
        self.expected_prior.wrapping_sub(self.received_prior)
    }

    /// Closes a report interval: cumulative packets lost (24 bits) and
    /// the fraction lost in the interval (in 256ths).
    pub fn report(&mut self) -> (u32, u8) {
        let extended = self.cycles.wrapping_add(u32::from(self.last));
        let mut expected = extended.wrapping_sub(u32::from(self.seed)).wrapping_add(1);
        if self.count > expected {
            expected = self.count;
        }
        let lost_total = expected.wrapping_sub(self.count);
        let mut expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.count.wrapping_sub(self.received_prior);
        // Late packets can make more arrive than were expected.
        if received_interval > expected_interval {
            expected_interval = received_interval;
        }
        let lost_interval = expected_interval.wrapping_sub(received_interval) as i32;
        let fraction = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((i64::from(lost_interval) << 8) / i64::from(expected_interval)) as u8
        };
        self.received_prior = self.count;
        self.expected_prior = expected;
        // Asterisk's minimum only ever moves for an interval with loss.
        let sample = f64::from(lost_interval.max(0));
        if self.lost.count == 0 || (lost_interval != 0 && sample < self.lost.min) {
            self.lost.min = sample;
        }
        if f64::from(lost_interval) > self.lost.max {
            self.lost.max = sample;
        }
        self.lost.add_to_mean(sample);
        (lost_total & 0xFF_FFFF, fraction)
    }
}

/// What the far end's reports said of our stream, and the round trip
/// worked out from them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reported {
    /// Interarrival jitter, seconds.
    pub jitter: Running,
    /// Latest jitter.
    pub last_jitter: f64,
    /// Cumulative packets lost.
    pub lost: Running,
    pub last_lost: u32,
    pub mes: Running,
    pub last_mes: f64,
    /// Round trip, seconds.
    pub rtt: Running,
    pub last_rtt: f64,
}

/// Everything the RTPAUDIOQOS variables show of one stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quality {
    pub ssrc: u32,
    pub themssrc: u32,
    pub txcount: u32,
    pub rx: RxAccount,
    pub local_jitter: LocalJitter,
    /// The score of what we receive, at each report we send.
    pub local_mes: Running,
    pub last_local_mes: f64,
    pub reported: Reported,
}

impl Quality {
    /// RTPAUDIOQOS, …JITTER, …LOSS, …RTT and …MES, as Asterisk prints
    /// them (`ast_rtp_instance_get_quality`). Asterisk's "rx" figures are
    /// what the far end reported of our stream, its "tx" ones its own
    /// measurement of the stream it receives; the min/max/avg/stdev
    /// triples name them the other way round.
    pub fn strings(&self) -> [String; 5] {
        let r = &self.reported;
        let j = &self.local_jitter;
        let l = &self.rx.lost;
        let m = &self.local_mes;
        [
            format!(
                "ssrc={};themssrc={};lp={};rxjitter={:.6};rxcount={};txjitter={:.6};txcount={};\
                 rlp={};rtt={:.6};rxmes={:.6};txmes={:.6}",
                self.ssrc,
                self.themssrc,
                self.rx.lost_last_interval(),
                r.last_jitter,
                self.rx.count,
                j.jitter,
                self.txcount,
                r.last_lost,
                r.last_rtt,
                r.last_mes,
                self.last_local_mes,
            ),
            format!(
                "minrxjitter={:010.6};maxrxjitter={:010.6};avgrxjitter={:010.6};stdevrxjitter={:010.6};\
                 mintxjitter={:010.6};maxtxjitter={:010.6};avgtxjitter={:010.6};stdevtxjitter={:010.6};",
                j.stats.min,
                j.stats.max,
                j.stats.mean,
                j.stats.stdev,
                r.jitter.min,
                r.jitter.max,
                r.jitter.mean,
                r.jitter.stdev,
            ),
            format!(
                "  minrxlost={:010.6};  maxrxlost={:010.6};  avgrxlost={:010.6};  stdevrxlost={:010.6};  \
                 mintxlost={:010.6};  maxtxlost={:010.6};  avgtxlost={:010.6};  stdevtxlost={:010.6};",
                l.min, l.max, l.mean, l.stdev, r.lost.min, r.lost.max, r.lost.mean, r.lost.stdev,
            ),
            format!(
                "     minrtt={:010.6};     maxrtt={:010.6};     avgrtt={:010.6};     stdevrtt={:010.6};",
                r.rtt.min, r.rtt.max, r.rtt.mean, r.rtt.stdev,
            ),
            format!(
                "   minrxmes={:010.6};   maxrxmes={:010.6};   avgrxmes={:010.6};   stdevrxmes={:010.6};   \
                 mintxmes={:010.6};   maxtxmes={:010.6};   avgtxmes={:010.6};   stdevtxmes={:010.6};",
                m.min, m.max, m.mean, m.stdev, r.mes.min, r.mes.max, r.mes.mean, r.mes.stdev,
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seqs: &[u16]) -> RxAccount {
        let mut a = RxAccount::default();
        for &q in seqs {
            a.on_packet(7, q);
        }
        a
    }

    #[test]
    fn in_order_no_loss() {
        let mut a = run(&[10, 11, 12, 13]);
        assert_eq!(a.count, 4);
        assert_eq!(a.report(), (0, 0));
        assert_eq!(a.highest_sequence(), 13);
        assert_eq!(a.lost_last_interval(), 0);
    }

    #[test]
    fn wrap_is_counted_in_cycles() {
        let mut a = run(&[65533, 65534, 65535, 0, 1]);
        assert_eq!(a.highest_sequence(), (1 << 16) + 1);
        assert_eq!(a.report(), (0, 0));
    }

    #[test]
    fn loss_and_fraction_per_interval() {
        let mut a = run(&[0, 1, 2, 5, 6]);
        // 7 expected, 5 received.
        assert_eq!(a.report(), (2, (2 * 256 / 7) as u8));
        assert_eq!(a.lost_last_interval(), 2);
        a.on_packet(7, 7);
        assert_eq!(a.report(), (2, 0));
        assert_eq!(a.lost.count, 2);
        assert_eq!((a.lost.min, a.lost.max, a.lost.mean), (2.0, 2.0, 1.0));
    }

    #[test]
    fn duplicates_are_not_negative_loss() {
        let mut a = run(&[0, 1, 2, 2, 2]);
        assert_eq!(a.report(), (0, 0));
    }

    #[test]
    fn new_source_starts_over() {
        let mut a = run(&[100, 101, 102]);
        assert!(a.on_packet(8, 5000));
        assert_eq!((a.ssrc, a.count, a.highest_sequence()), (Some(8), 1, 5000));
        assert_eq!(a.report(), (0, 0));
    }

    /// A clean stream with no round trip known scores 88.087887, as the
    /// reference's RTPAUDIOQOS `txmes` shows.
    #[test]
    fn mes_of_a_clean_stream() {
        let mes = media_experience_score(0.0, 0.000375, 0.000157, 0.0);
        assert_eq!(format!("{mes:.6}"), "88.087887");
        assert!(media_experience_score(0.5, 0.0, 0.0, 10.0) < 70.0);
        assert_eq!(media_experience_score(10.0, 0.0, 0.0, 0.0), 20.0);
    }

    #[test]
    fn running_statistics() {
        let mut r = Running::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            r.add(x);
        }
        assert_eq!((r.count, r.min, r.max, r.mean), (8, 2.0, 9.0, 5.0));
        assert!((r.stdev - 2.0).abs() < 1e-12);
    }
}

/// The interarrival jitter Asterisk reports in RTPAUDIOQOS (its local
/// `rxjitter`, shown as `txjitter`), measured its way: RFC 3550 A.8 in
/// floating point, but only from the 16th packet on, only over packets in
/// sequence, skipping marked ones, and read back in whole timestamp units;
/// with the running minimum, maximum, mean and deviation of those readings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalJitter {
    packets: u32,
    last_seq: Option<u16>,
    stable_start: Option<std::time::Instant>,
    last_transit: i32,
    samples: f64,
    /// The latest reading, in seconds.
    pub jitter: f64,
    /// The readings' statistics.
    pub stats: Running,
}

/// Packets before this one are not measured (they are often irregular).
const JITTER_SKIP: u32 = 15;

impl LocalJitter {
    /// The estimate in whole timestamp units (an RTCP report's jitter).
    pub fn units(&self) -> u32 {
        self.samples as u32
    }

    /// One audio packet arrived at `now`.
    pub fn on_packet(
        &mut self,
        now: std::time::Instant,
        sequence: u16,
        timestamp: u32,
        marker: bool,
        rate: u32,
    ) {
        self.packets = self.packets.saturating_add(1);
        let prev = self.last_seq.replace(sequence);
        if self.packets == 1 || marker || self.packets < JITTER_SKIP {
            return;
        }
        if self.packets == JITTER_SKIP {
            self.stable_start = Some(now);
            self.last_transit = 0u32.wrapping_sub(timestamp) as i32;
            return;
        }
        let Some(start) = self.stable_start else {
            return;
        };
        if prev.map(|p| i32::from(p) + 1) != Some(i32::from(sequence)) {
            return;
        }
        let rate = rate.max(1);
        let arrival = (now.saturating_duration_since(start).as_secs_f64() * f64::from(rate)) as u32;
        let transit = arrival.wrapping_sub(timestamp) as i32;
        let d = f64::from(transit.wrapping_sub(self.last_transit).unsigned_abs());
        self.samples += (d - self.samples) / 16.0;
        self.last_transit = transit;
        self.jitter = f64::from(self.samples as u32) / f64::from(rate);
        let j = self.jitter;
        // Asterisk takes the minimum from the second reading on.
        if self.stats.count == 1 || j < self.stats.min {
            self.stats.min = j;
        }
        if j > self.stats.max {
            self.stats.max = j;
        }
        self.stats.add_to_mean(j);
    }
}

#[cfg(test)]
mod local_jitter_tests {
    use super::LocalJitter;
    use std::time::{Duration, Instant};

    /// Packets every 20 ms read as no jitter. One packet 10 ms late (80
    /// units) moves the estimate to 80/16 = 5 units; the next, on time, is
    /// 80 units early against it, so the estimate grows again.
    #[test]
    fn measured_as_asterisk_measures() {
        let t0 = Instant::now();
        let mut j = LocalJitter::default();
        let at = |j: &mut LocalJitter, i: u32, late_ms: u64| {
            let now = t0 + Duration::from_millis(u64::from(i) * 20 + late_ms);
            j.on_packet(now, i as u16, 1000 + i * 160, i == 0, 8000);
        };
        for i in 0..30 {
            at(&mut j, i, 0);
        }
        assert_eq!((j.jitter, j.stats.max, j.stats.mean), (0.0, 0.0, 0.0));
        at(&mut j, 30, 10);
        assert_eq!(j.jitter, 5.0 / 8000.0);
        at(&mut j, 31, 0);
        // 5 + (80 - 5) / 16 = 9.6875: read as 9 units.
        assert_eq!(j.jitter, 9.0 / 8000.0);
        assert_eq!(j.stats.max, 9.0 / 8000.0);
        // Out of sequence: not measured.
        at(&mut j, 33, 0);
        assert_eq!(j.jitter, 9.0 / 8000.0);
        assert!(j.stats.mean > 0.0 && j.stats.stdev > 0.0);
    }
}
