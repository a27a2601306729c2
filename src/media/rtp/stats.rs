//! Receiver statistics of one source: sequence tracking with wrap and
//! restart detection (RFC 3550 A.1), loss (A.3) and interarrival jitter
//! (A.8).

use super::rtcp::ReportBlock;

/// A jump larger than this is a restart, not loss (A.1's suggested value).
const MAX_DROPOUT: u16 = 3000;
/// Packets this far behind are late duplicates, not a restart.
const MAX_MISORDER: u16 = 100;
/// In-order packets needed before a source counts as valid.
const MIN_SEQUENTIAL: u32 = 2;
const SEQ_MOD: u32 = 1 << 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveStats {
    pub ssrc: u32,
    max_seq: u16,
    /// Wrap count, shifted left 16 (A.1).
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// Previous relative transit time, in timestamp units.
    transit: Option<u32>,
    /// Jitter ×16, A.8's integer form.
    jitter_q4: u32,
}

impl ReceiveStats {
    /// State for a source first seen with `seq` (A.1: it starts on
    /// probation).
    pub fn new(ssrc: u32, seq: u16) -> Self {
        let mut s = ReceiveStats {
            ssrc,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: 0,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_q4: 0,
        };
        s.init_seq(seq);
        s.max_seq = seq.wrapping_sub(1);
        s
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Accounts for a packet; false while on probation or for a jump that
    /// is not yet confirmed as a restart.
    pub fn update_seq(&mut self, seq: u16) -> bool {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return true;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return false;
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles += SEQ_MOD;
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            // A big jump: a restarted sender is believed after two
            // consecutive packets.
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
                return false;
            }
        }
        // Otherwise a duplicate or reordered packet: counted, max kept.
        self.received += 1;
        true
    }

    /// A.8: `arrival` is the local receive time in timestamp units.
    pub fn update_jitter(&mut self, rtp_timestamp: u32, arrival: u32) {
        let transit = arrival.wrapping_sub(rtp_timestamp);
        if let Some(prev) = self.transit {
            let d = (transit.wrapping_sub(prev) as i32).unsigned_abs();
            self.jitter_q4 = self
                .jitter_q4
                .wrapping_add(d)
                .wrapping_sub((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// Highest sequence number seen, extended with the wrap count.
    pub fn extended_max(&self) -> u32 {
        self.cycles + u32::from(self.max_seq)
    }

    pub fn received(&self) -> u32 {
        self.received
    }

    pub fn expected(&self) -> u32 {
        (self.extended_max() + 1).wrapping_sub(self.base_seq)
    }

    /// Cumulative loss, clamped to the 24-bit signed RTCP field (A.3).
    pub fn lost(&self) -> i32 {
        let lost = i64::from(self.expected()) - i64::from(self.received);
        lost.clamp(-0x80_0000, 0x7F_FFFF) as i32
    }

    /// A report block for this source; updates the interval counters
    /// that the lost fraction is measured over (A.3).
    pub fn report_block(&mut self, last_sr: u32, delay_since_last_sr: u32) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: self.lost(),
            highest_sequence: self.extended_max(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seqs: &[u16]) -> ReceiveStats {
        let mut s = ReceiveStats::new(7, seqs[0]);
        for &q in seqs {
            s.update_seq(q);
        }
        s
    }

    #[test]
    fn in_order_after_probation() {
        let s = run(&[10, 11, 12, 13]);
        // The first packet is probation; counting starts at 11.
        assert_eq!(s.received(), 3);
        assert_eq!(s.expected(), 3);
        assert_eq!(s.lost(), 0);
    }

    #[test]
    fn wrap_is_counted_in_cycles() {
        let s = run(&[65533, 65534, 65535, 0, 1]);
        assert_eq!(s.extended_max(), (1 << 16) + 1);
        assert_eq!(s.lost(), 0);
        assert_eq!(s.expected(), 4);
    }

    #[test]
    fn loss_and_fraction() {
        let mut s = run(&[0, 1, 2, 5, 6]);
        assert_eq!(s.lost(), 2);
        let rb = s.report_block(0, 0);
        // 2 lost of 6 expected since the last report.
        assert_eq!(rb.fraction_lost, (2 * 256 / 6) as u8);
        assert_eq!(rb.cumulative_lost, 2);
        assert_eq!(rb.highest_sequence, 6);
        s.update_seq(7);
        assert_eq!(s.report_block(0, 0).fraction_lost, 0);
    }

    #[test]
    fn duplicates_make_loss_negative_and_restart_needs_two() {
        let s = run(&[0, 1, 2, 2, 2]);
        assert_eq!(s.lost(), -2);
        let mut s = run(&[0, 1, 2]);
        assert!(!s.update_seq(40000));
        assert!(s.update_seq(40001));
        assert_eq!(s.extended_max(), 40001);
        assert_eq!(s.received(), 1);
    }

    #[test]
    fn jitter_follows_a8() {
        let mut s = ReceiveStats::new(1, 0);
        // Steady 20 ms spacing: no jitter.
        for i in 0..10u32 {
            s.update_jitter(i * 160, 1000 + i * 160);
        }
        assert_eq!(s.jitter(), 0);
        // Every other packet 80 samples (10 ms) late.
        for i in 10..400u32 {
            let late = if i % 2 == 0 { 80 } else { 0 };
            s.update_jitter(i * 160, 1000 + i * 160 + late);
        }
        // |D| is always 80, so J converges to 80.
        assert!((75..=80).contains(&s.jitter()), "{}", s.jitter());
    }
}

/// The interarrival jitter Asterisk reports in RTPAUDIOQOS (its local
/// `rxjitter`, shown as `txjitter`), measured its way: RFC 3550 A.8 in
/// floating point, but only from the 16th packet on, only over packets in
/// sequence, skipping marked ones, and read back in whole timestamp units;
/// with the running minimum, maximum, mean and deviation of those readings.
#[derive(Debug, Clone, Default)]
pub struct LocalJitter {
    packets: u32,
    last_seq: Option<u16>,
    stable_start: Option<std::time::Instant>,
    last_transit: i32,
    samples: f64,
    /// The latest reading, in seconds.
    pub jitter: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub stdev: f64,
    readings: u32,
}

/// Packets before this one are not measured (they are often irregular).
const JITTER_SKIP: u32 = 15;

impl LocalJitter {
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
        if self.jitter > self.max {
            self.max = self.jitter;
        }
        if self.readings == 1 || self.jitter < self.min {
            self.min = self.jitter;
        }
        // Welford's running mean and deviation.
        let squares = self.stdev * self.stdev * f64::from(self.readings.max(1));
        self.readings = self.readings.saturating_add(1);
        let n = f64::from(self.readings);
        let delta = self.jitter - self.mean;
        self.mean += delta / n;
        self.stdev = ((squares + delta * (self.jitter - self.mean)) / n).sqrt();
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
        assert_eq!((j.jitter, j.max, j.mean), (0.0, 0.0, 0.0));
        at(&mut j, 30, 10);
        assert_eq!(j.jitter, 5.0 / 8000.0);
        at(&mut j, 31, 0);
        // 5 + (80 - 5) / 16 = 9.6875: read as 9 units.
        assert_eq!(j.jitter, 9.0 / 8000.0);
        assert_eq!(j.max, 9.0 / 8000.0);
        // Out of sequence: not measured.
        at(&mut j, 33, 0);
        assert_eq!(j.jitter, 9.0 / 8000.0);
        assert!(j.mean > 0.0 && j.stdev > 0.0);
    }
}
