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
