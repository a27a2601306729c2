//! GSM 06.10 full-rate speech codec (RPE-LTP, 13 kbit/s), written from
//! the ETSI GSM 06.10 description (also summarised in RFC 3551 §4.5.8).
//!
//! Arithmetic follows the standard's 16/32-bit fixed-point operations
//! (saturating add, rounded multiply, normalisation), so frames decode
//! the same in any conforming decoder (libgsm, which Asterisk and sox use).
//!
//! One frame is 160 samples (20 ms) and 76 parameters: eight log-area
//! ratios, then for each 40-sample sub-frame the long-term predictor's lag
//! and gain, the RPE grid position, block maximum and 13 pulses.
//! [`Frame::to_bytes`] packs them in the 33-byte RTP/`.gsm` layout (a 0xD
//! signature nibble, then every parameter most significant bit first);
//! [`pack_wav49`] packs two frames into the 65-byte block of Microsoft's
//! GSM-in-WAV (format 49: no signature, least significant bit first).

/// Samples in one frame.
pub const FRAME_SAMPLES: usize = 160;
/// Bytes of a frame in the RTP/`.gsm` layout.
pub const FRAME_BYTES: usize = 33;
/// Bytes of two frames in the WAV49 layout.
pub const WAV49_BLOCK_BYTES: usize = 65;

/// The parameters of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Frame {
    /// Log-area ratios, each as its unsigned code (6,6,5,5,4,4,3,3 bits).
    pub larc: [u8; 8],
    /// LTP lag (7 bits, 40..=120 when valid).
    pub nc: [u8; 4],
    /// LTP gain code (2 bits).
    pub bc: [u8; 4],
    /// RPE grid position (2 bits).
    pub mc: [u8; 4],
    /// Block amplitude code (6 bits).
    pub xmaxc: [u8; 4],
    /// RPE pulses (3 bits each).
    pub xmc: [[u8; 13]; 4],
}

/// Bit widths of the 76 parameters, in transmission order.
fn widths() -> impl Iterator<Item = u32> {
    const LAR: [u32; 8] = [6, 6, 5, 5, 4, 4, 3, 3];
    const SUB: [u32; 17] = [7, 2, 2, 6, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
    LAR.into_iter().chain((0..4).flat_map(|_| SUB))
}

impl Frame {
    fn values(&self) -> Vec<u8> {
        let mut v = self.larc.to_vec();
        for s in 0..4 {
            v.extend([self.nc[s], self.bc[s], self.mc[s], self.xmaxc[s]]);
            v.extend(self.xmc[s]);
        }
        v
    }

    fn from_values(v: &[u8]) -> Frame {
        let mut f = Frame::default();
        f.larc.copy_from_slice(&v[..8]);
        for s in 0..4 {
            let b = 8 + s * 17;
            f.nc[s] = v[b];
            f.bc[s] = v[b + 1];
            f.mc[s] = v[b + 2];
            f.xmaxc[s] = v[b + 3];
            f.xmc[s].copy_from_slice(&v[b + 4..b + 17]);
        }
        f
    }

    /// The 33-byte layout: 0xD, then each parameter MSB first.
    pub fn to_bytes(&self) -> [u8; FRAME_BYTES] {
        let mut out = [0u8; FRAME_BYTES];
        let mut pos = 0usize;
        let mut put = |value: u32, width: u32| {
            for b in (0..width).rev() {
                if (value >> b) & 1 == 1 {
                    out[pos / 8] |= 0x80 >> (pos % 8);
                }
                pos += 1;
            }
        };
        put(0xD, 4);
        for (value, width) in self.values().into_iter().zip(widths()) {
            put(u32::from(value), width);
        }
        out
    }

    /// Reads the 33-byte layout; `None` without the 0xD signature.
    pub fn from_bytes(bytes: &[u8; FRAME_BYTES]) -> Option<Frame> {
        if bytes[0] >> 4 != 0xD {
            return None;
        }
        let mut pos = 4usize;
        let values: Vec<u8> = widths()
            .map(|width| {
                let mut v = 0u8;
                for _ in 0..width {
                    let bit = (bytes[pos / 8] >> (7 - pos % 8)) & 1;
                    v = (v << 1) | bit;
                    pos += 1;
                }
                v
            })
            .collect();
        Some(Frame::from_values(&values))
    }
}

/// Packs two frames into one WAV49 block: 2 × 260 bits, LSB first.
pub fn pack_wav49(a: &Frame, b: &Frame) -> [u8; WAV49_BLOCK_BYTES] {
    let mut out = [0u8; WAV49_BLOCK_BYTES];
    let mut pos = 0usize;
    for f in [a, b] {
        for (value, width) in f.values().into_iter().zip(widths()) {
            for bit in 0..width {
                if (value >> bit) & 1 == 1 {
                    out[pos / 8] |= 1 << (pos % 8);
                }
                pos += 1;
            }
        }
    }
    out
}

/// Unpacks a WAV49 block into its two frames.
pub fn unpack_wav49(block: &[u8; WAV49_BLOCK_BYTES]) -> [Frame; 2] {
    let mut pos = 0usize;
    let mut frame = || {
        let values: Vec<u8> = widths()
            .map(|width| {
                let mut v = 0u8;
                for bit in 0..width {
                    v |= ((block[pos / 8] >> (pos % 8)) & 1) << bit;
                    pos += 1;
                }
                v
            })
            .collect();
        Frame::from_values(&values)
    };
    let a = frame();
    let b = frame();
    [a, b]
}

// ---- the standard's basic operations ----

fn sat(x: i32) -> i16 {
    x.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

fn add(a: i16, b: i16) -> i16 {
    sat(i32::from(a) + i32::from(b))
}

fn sub(a: i16, b: i16) -> i16 {
    sat(i32::from(a) - i32::from(b))
}

/// `mult`: (a·b) >> 15, with -1·-1 saturating.
fn mult(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((i32::from(a) * i32::from(b)) >> 15) as i16
}

/// `mult_r`: (a·b + 2^14) >> 15.
fn mult_r(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((i32::from(a) * i32::from(b) + 16384) >> 15) as i16
}

fn abs_s(a: i16) -> i16 {
    if a == i16::MIN { i16::MAX } else { a.abs() }
}

fn l_add(a: i32, b: i32) -> i32 {
    a.saturating_add(b)
}

/// Left shifts needed to normalise a 32-bit value (`norm`).
fn norm(a: i32) -> i16 {
    if a == 0 {
        return 0;
    }
    let v = if a < 0 { !a } else { a };
    (v.leading_zeros() as i16) - 1
}

/// `div`: num/denom as a Q15 fraction, 0 <= num <= denom.
fn div(num: i16, denom: i16) -> i16 {
    if num == 0 || denom <= 0 {
        return 0;
    }
    let (mut l_num, l_denom) = (i32::from(num), i32::from(denom));
    let mut out: i16 = 0;
    for _ in 0..15 {
        out <<= 1;
        l_num <<= 1;
        if l_num >= l_denom {
            l_num -= l_denom;
            out += 1;
        }
    }
    out
}

/// Arithmetic shift right that shifts left for a negative count.
fn asr(a: i16, n: i16) -> i16 {
    if n >= 16 {
        return if a < 0 { -1 } else { 0 };
    }
    if n <= -16 {
        return 0;
    }
    if n < 0 {
        return sat(i32::from(a) << -n);
    }
    a >> n
}

// ---- tables of the standard ----

const A: [i16; 8] = [20480, 20480, 20480, 20480, 13964, 15360, 8534, 9036];
const B: [i16; 8] = [0, 0, 2048, -2560, 94, -1792, -341, -1144];
const MIC: [i16; 8] = [-32, -32, -16, -16, -8, -8, -4, -4];
const MAC: [i16; 8] = [31, 31, 15, 15, 7, 7, 3, 3];
const INVA: [i16; 8] = [13107, 13107, 13107, 13107, 19223, 17476, 31454, 29708];
/// LTP gain decision levels and quantised gains.
const DLB: [i16; 4] = [6554, 16384, 26214, 32767];
const QLB: [i16; 4] = [3277, 11469, 21299, 32767];
/// Weighting filter impulse response.
const H: [i16; 11] = [-134, -374, 0, 2054, 5741, 8192, 5741, 2054, 0, -374, -134];
/// Normalised inverse mantissa, and mantissa, of the block maximum.
const NRFAC: [i16; 8] = [29128, 26215, 23832, 21846, 20165, 18725, 17476, 16384];
const FAC: [i16; 8] = [18431, 20479, 22527, 24575, 26623, 28671, 30719, 32767];

/// LARc codes back to LAR'' (decoded log-area ratios).
fn decode_lar(larc: &[u8; 8]) -> [i16; 8] {
    let mut larpp = [0i16; 8];
    for i in 0..8 {
        let signed = add(i16::from(larc[i]), MIC[i]);
        let mut t = signed << 10;
        t = sub(t, B[i] << 1);
        t = mult_r(INVA[i], t);
        larpp[i] = add(t, t);
    }
    larpp
}

/// LAR' of one segment of the frame, interpolated from the previous
/// frame's LAR'' (`j-1`) and this one's (`j`), then turned into
/// reflection coefficients.
fn interpolated_rp(prev: &[i16; 8], cur: &[i16; 8], segment: usize) -> [i16; 8] {
    let mut rp = [0i16; 8];
    for i in 0..8 {
        let larp = match segment {
            0 => add(add(prev[i] >> 2, cur[i] >> 2), prev[i] >> 1),
            1 => add(prev[i] >> 1, cur[i] >> 1),
            2 => add(add(prev[i] >> 2, cur[i] >> 2), cur[i] >> 1),
            _ => cur[i],
        };
        let t = abs_s(larp);
        let t = if t < 11059 {
            t << 1
        } else if t < 20070 {
            t + 11059
        } else {
            add(t >> 2, 26112)
        };
        rp[i] = if larp < 0 { -t } else { t };
    }
    rp
}

/// The four segments a frame's LAR interpolation uses: 0..13, 13..27,
/// 27..40, 40..160.
const SEGMENTS: [(usize, usize); 4] = [(0, 13), (13, 27), (27, 40), (40, 160)];

/// APCM exponent and mantissa of a block maximum code.
fn xmaxc_to_exp_mant(xmaxc: i16) -> (i16, i16) {
    let mut exp = 0i16;
    if xmaxc > 15 {
        exp = (xmaxc >> 3) - 1;
    }
    let mut mant = xmaxc - (exp << 3);
    if mant == 0 {
        exp = -4;
        mant = 7;
    } else {
        while mant <= 7 {
            mant = (mant << 1) | 1;
            exp -= 1;
        }
        mant -= 8;
    }
    (exp, mant)
}

/// Pulses back to sample values (APCM inverse quantisation).
fn apcm_inverse(xmc: &[u8; 13], exp: i16, mant: i16) -> [i16; 13] {
    let mut out = [0i16; 13];
    let temp1 = FAC[mant as usize];
    let temp2 = sub(6, exp);
    let temp3 = if temp2 >= 1 { 1i16 << (temp2 - 1) } else { 0 };
    for (i, &c) in xmc.iter().enumerate() {
        let mut t = (i16::from(c) << 1) - 7;
        t <<= 12;
        t = mult_r(temp1, t);
        t = add(t, temp3);
        out[i] = asr(t, temp2);
    }
    out
}

/// The reconstructed RPE sequence of one sub-frame.
fn rpe_decode(xmaxc: u8, mc: u8, xmc: &[u8; 13]) -> [i16; 40] {
    let (exp, mant) = xmaxc_to_exp_mant(i16::from(xmaxc));
    let xmp = apcm_inverse(xmc, exp, mant);
    let mut ep = [0i16; 40];
    for (i, &v) in xmp.iter().enumerate() {
        ep[usize::from(mc) + 3 * i] = v;
    }
    ep
}

/// Encoder state, kept across frames.
#[derive(Debug, Clone)]
pub struct Encoder {
    z1: i16,
    l_z2: i32,
    mp: i16,
    /// Short-term analysis filter memory.
    u: [i16; 8],
    /// The previous frame's decoded LARs.
    larpp_prev: [i16; 8],
    /// Reconstructed short-term residual, the last 120 samples.
    dp: [i16; 120],
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    pub fn new() -> Self {
        Encoder {
            z1: 0,
            l_z2: 0,
            mp: 0,
            u: [0; 8],
            larpp_prev: [0; 8],
            dp: [0; 120],
        }
    }

    /// Encodes 160 samples (fewer are padded with silence).
    pub fn encode(&mut self, input: &[i16]) -> Frame {
        let mut s = [0i16; FRAME_SAMPLES];
        self.preprocess(input, &mut s);
        let larc = lpc_analysis(&mut s);
        let larpp = decode_lar(&larc);
        // Short-term analysis: s becomes the residual d.
        for (seg, &(lo, hi)) in SEGMENTS.iter().enumerate() {
            let rp = interpolated_rp(&self.larpp_prev, &larpp, seg);
            for k in lo..hi {
                let mut di = s[k];
                let mut sav = di;
                for i in 0..8 {
                    let ui = self.u[i];
                    self.u[i] = sav;
                    sav = add(ui, mult_r(rp[i], di));
                    di = add(di, mult_r(rp[i], ui));
                }
                s[k] = di;
            }
        }
        self.larpp_prev = larpp;
        let mut frame = Frame {
            larc,
            ..Frame::default()
        };
        for sf in 0..4 {
            let d: [i16; 40] = s[sf * 40..sf * 40 + 40].try_into().unwrap_or([0; 40]);
            let (nc, bc) = ltp_parameters(&d, &self.dp);
            let bp = QLB[usize::from(bc)];
            let mut dpp = [0i16; 40];
            let mut e = [0i16; 40];
            for k in 0..40 {
                dpp[k] = mult_r(bp, self.dp[120 + k - usize::from(nc)]);
                e[k] = sub(d[k], dpp[k]);
            }
            let (mc, xmaxc, xmc) = rpe_encode(&e);
            let ep = rpe_decode(xmaxc, mc, &xmc);
            self.dp.copy_within(40.., 0);
            for k in 0..40 {
                self.dp[80 + k] = add(ep[k], dpp[k]);
            }
            frame.nc[sf] = nc;
            frame.bc[sf] = bc;
            frame.mc[sf] = mc;
            frame.xmaxc[sf] = xmaxc;
            frame.xmc[sf] = xmc;
        }
        frame
    }

    /// Downscaling, offset compensation and pre-emphasis.
    fn preprocess(&mut self, input: &[i16], s: &mut [i16; FRAME_SAMPLES]) {
        for (k, out) in s.iter_mut().enumerate() {
            let so = (input.get(k).copied().unwrap_or(0) >> 3) << 2;
            let s1 = sub(so, self.z1);
            self.z1 = so;
            let mut l_s2 = i64::from(s1) << 15;
            let msp = sat(self.l_z2 >> 15);
            let lsp = sat(self.l_z2 - (i32::from(msp) << 15));
            l_s2 += i64::from(mult_r(lsp, 32735));
            let l_temp = i64::from(msp) * 32735;
            self.l_z2 = (l_temp + l_s2).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
            let sof = (l_add(self.l_z2, 16384) >> 15) as i16;
            *out = add(sof, mult_r(self.mp, -28180));
            self.mp = sof;
        }
    }
}

/// Autocorrelation, Schur recursion, LAR transformation and quantisation.
fn lpc_analysis(s: &mut [i16; FRAME_SAMPLES]) -> [u8; 8] {
    // Autocorrelation on a copy scaled to avoid overflow.
    let smax = s.iter().map(|&v| abs_s(v)).max().unwrap_or(0);
    let scalauto = if smax == 0 {
        0
    } else {
        4 - norm(i32::from(smax) << 16)
    };
    let scaled: Vec<i16> = if scalauto > 0 {
        let f = 16384i16 >> (scalauto - 1);
        s.iter().map(|&v| mult_r(v, f)).collect()
    } else {
        s.to_vec()
    };
    let mut l_acf = [0i64; 9];
    for (k, acf) in l_acf.iter_mut().enumerate() {
        *acf = (k..FRAME_SAMPLES)
            .map(|i| 2 * i64::from(scaled[i]) * i64::from(scaled[i - k]))
            .sum();
    }
    let l_acf: Vec<i32> = l_acf
        .iter()
        .map(|&v| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
        .collect();

    // Schur recursion: reflection coefficients.
    let mut r = [0i16; 8];
    if l_acf[0] != 0 {
        let temp = norm(l_acf[0]);
        let acf: Vec<i16> = l_acf.iter().map(|&v| ((v << temp) >> 16) as i16).collect();
        let mut p = [0i16; 9];
        let mut kk = [0i16; 9];
        p.copy_from_slice(&acf[..9]);
        kk[1..8].copy_from_slice(&acf[1..8]);
        for n in 1..=8 {
            let temp = abs_s(p[1]);
            if p[0] < temp {
                break;
            }
            let mut rn = div(temp, p[0]);
            if p[1] > 0 {
                rn = -rn;
            }
            r[n - 1] = rn;
            if n == 8 {
                break;
            }
            p[0] = add(p[0], mult_r(p[1], rn));
            for m in 1..=8 - n {
                let pm1 = p[m + 1];
                p[m] = add(pm1, mult_r(kk[m], rn));
                kk[m] = add(kk[m], mult_r(pm1, rn));
            }
        }
    }

    // Reflection coefficients to quantised log-area ratios.
    let mut larc = [0u8; 8];
    for i in 0..8 {
        let t = abs_s(r[i]);
        let t = if t < 22118 {
            t >> 1
        } else if t < 31130 {
            t - 11059
        } else {
            (t - 26112) << 2
        };
        let lar = if r[i] < 0 { -t } else { t };
        let mut q = mult(A[i], lar);
        q = add(q, B[i]);
        q = add(q, 256);
        let q = (q >> 9).clamp(MIC[i], MAC[i]);
        larc[i] = (q - MIC[i]) as u8;
    }
    larc
}

/// Long-term predictor lag and gain code for one sub-frame.
fn ltp_parameters(d: &[i16; 40], dp: &[i16; 120]) -> (u8, u8) {
    let dmax = d.iter().map(|&v| abs_s(v)).max().unwrap_or(0);
    let temp = if dmax == 0 {
        0
    } else {
        norm(i32::from(dmax) << 16)
    };
    let scal = if temp > 6 { 0 } else { 6 - temp };
    let wt: Vec<i64> = d.iter().map(|&v| i64::from(v >> scal)).collect();
    let mut l_max = 0i64;
    let mut nc = 40usize;
    for lambda in 40..=120usize {
        let l: i64 = (0..40)
            .map(|k| wt[k] * i64::from(dp[120 + k - lambda]))
            .sum();
        if l > l_max {
            l_max = l;
            nc = lambda;
        }
    }
    let l_max = (l_max << 1) >> (6 - scal);
    let l_power: i64 = (0..40)
        .map(|k| {
            let t = i64::from(dp[120 + k - nc] >> 3);
            t * t
        })
        .sum::<i64>()
        << 1;
    let bc = if l_max <= 0 {
        0
    } else if l_max >= l_power {
        3
    } else {
        let l_power32 = l_power.min(i64::from(i32::MAX)) as i32;
        let l_max32 = l_max.min(i64::from(i32::MAX)) as i32;
        let t = norm(l_power32);
        let r = ((l_max32 << t) >> 16) as i16;
        let s = ((l_power32 << t) >> 16) as i16;
        (0..3u8)
            .find(|&b| r <= mult(s, DLB[usize::from(b)]))
            .unwrap_or(3)
    };
    (nc as u8, bc)
}

/// Weighting filter, grid selection and APCM quantisation of one
/// sub-frame's LTP residual.
fn rpe_encode(e: &[i16; 40]) -> (u8, u8, [u8; 13]) {
    let mut x = [0i16; 40];
    for (k, xk) in x.iter_mut().enumerate() {
        let mut l: i32 = 4096;
        for (i, &h) in H.iter().enumerate() {
            let idx = k as i32 + i as i32 - 5;
            if (0..40).contains(&idx) {
                l += i32::from(e[idx as usize]) * i32::from(h);
            }
        }
        *xk = sat(l >> 13);
    }
    // The grid with the most energy; the first wins a tie.
    let mut best = (0u8, -1i64);
    for m in 0..4usize {
        let em: i64 = (0..13)
            .map(|i| {
                let v = i64::from(x[m + 3 * i] >> 2);
                v * v
            })
            .sum();
        if em > best.1 {
            best = (m as u8, em);
        }
    }
    let mc = best.0;
    let xm: Vec<i16> = (0..13).map(|i| x[usize::from(mc) + 3 * i]).collect();
    let xmax = xm.iter().map(|&v| abs_s(v)).max().unwrap_or(0);
    let mut exp = 0i16;
    let mut temp = xmax >> 9;
    let mut itest = false;
    for _ in 0..=5 {
        itest |= temp <= 0;
        temp >>= 1;
        if !itest {
            exp += 1;
        }
    }
    let xmaxc = add(xmax >> (exp + 5), exp << 3);
    let (exp, mant) = xmaxc_to_exp_mant(xmaxc);
    let temp1 = 6 - exp;
    let temp2 = NRFAC[mant as usize];
    let mut xmc = [0u8; 13];
    for (i, &v) in xm.iter().enumerate() {
        let t = asr(v, -temp1);
        let q = (mult(t, temp2) >> 12) + 4;
        xmc[i] = q.clamp(0, 7) as u8;
    }
    (mc, xmaxc.clamp(0, 63) as u8, xmc)
}

/// Decoder state, kept across frames.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// Reconstructed residual history, the last 120 samples.
    drp: [i16; 120],
    /// The last valid LTP lag.
    nrp: u8,
    larpp_prev: [i16; 8],
    /// Short-term synthesis filter memory.
    v: [i16; 9],
    /// De-emphasis memory.
    msr: i16,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Decoder {
            drp: [0; 120],
            nrp: 40,
            larpp_prev: [0; 8],
            v: [0; 9],
            msr: 0,
        }
    }

    /// Decodes one frame to 160 samples.
    pub fn decode(&mut self, f: &Frame) -> [i16; FRAME_SAMPLES] {
        let mut wt = [0i16; FRAME_SAMPLES];
        for sf in 0..4 {
            let erp = rpe_decode(f.xmaxc[sf], f.mc[sf], &f.xmc[sf]);
            let nr = if (40..=120).contains(&f.nc[sf]) {
                f.nc[sf]
            } else {
                self.nrp
            };
            self.nrp = nr;
            let brp = QLB[usize::from(f.bc[sf] & 3)];
            let mut new = [0i16; 40];
            for k in 0..40 {
                // Lags shorter than 40 are not valid, so every index is
                // in the history or in this sub-frame's earlier samples.
                let idx = 120 + k - usize::from(nr);
                let past = if idx < 120 {
                    self.drp[idx]
                } else {
                    new[idx - 120]
                };
                new[k] = add(erp[k], mult_r(brp, past));
            }
            self.drp.copy_within(40.., 0);
            self.drp[80..].copy_from_slice(&new);
            wt[sf * 40..sf * 40 + 40].copy_from_slice(&new);
        }
        let larpp = decode_lar(&f.larc);
        let mut out = [0i16; FRAME_SAMPLES];
        for (seg, &(lo, hi)) in SEGMENTS.iter().enumerate() {
            let rrp = interpolated_rp(&self.larpp_prev, &larpp, seg);
            for k in lo..hi {
                let mut sri = wt[k];
                for i in (0..8).rev() {
                    sri = sub(sri, mult_r(rrp[i], self.v[i]));
                    self.v[i + 1] = add(self.v[i], mult_r(rrp[i], sri));
                }
                self.v[0] = sri;
                // De-emphasis, upscaling and truncation to 13 bits.
                self.msr = add(sri, mult_r(self.msr, 28180));
                out[k] = (add(self.msr, self.msr) as u16 & 0xFFF8) as i16;
            }
        }
        self.larpp_prev = larpp;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vowel-like test signal: a 150 Hz pulse train through a few
    /// formant-ish sinusoids, plus a slow amplitude envelope.
    fn speechlike(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f64 / 8000.0;
                let env = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
                let v = [(150.0, 0.5), (450.0, 0.3), (1200.0, 0.2), (2400.0, 0.1)]
                    .iter()
                    .map(|&(f, a)| a * (2.0 * std::f64::consts::PI * f * t).sin())
                    .sum::<f64>();
                (v * env * 9000.0) as i16
            })
            .collect()
    }

    fn roundtrip(input: &[i16]) -> Vec<i16> {
        let (mut enc, mut dec) = (Encoder::new(), Decoder::new());
        input
            .chunks(FRAME_SAMPLES)
            .flat_map(|c| {
                let f = Frame::from_bytes(&enc.encode(c).to_bytes()).expect("signature");
                dec.decode(&f)
            })
            .collect()
    }

    fn energy(s: &[i16]) -> f64 {
        s.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / s.len().max(1) as f64
    }

    /// Goertzel power of `freq` in `s`, relative to the signal's energy.
    fn tone_share(s: &[i16], freq: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &v in s {
            let s0 = f64::from(v) + 2.0 * w.cos() * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let p = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
        p / (s.len() as f64 * s.len() as f64 / 2.0) / energy(s)
    }

    #[test]
    fn bit_packing_roundtrips() {
        let mut f = Frame::default();
        f.larc = [63, 1, 31, 2, 15, 3, 7, 4];
        f.nc = [40, 120, 77, 41];
        f.bc = [0, 1, 2, 3];
        f.mc = [3, 2, 1, 0];
        f.xmaxc = [63, 0, 17, 42];
        for s in 0..4 {
            for i in 0..13 {
                f.xmc[s][i] = ((s * 13 + i) % 8) as u8;
            }
        }
        let bytes = f.to_bytes();
        assert_eq!(bytes[0] >> 4, 0xD);
        assert_eq!(Frame::from_bytes(&bytes), Some(f));
        let g = Frame { larc: [1; 8], ..f };
        let block = pack_wav49(&f, &g);
        assert_eq!(unpack_wav49(&block), [f, g]);
        // LSB first: the first LAR code sits in the low bits of byte 0.
        assert_eq!(block[0] & 0x3F, 63);
    }

    #[test]
    fn silence_stays_silent() {
        let out = roundtrip(&[0i16; 1600]);
        assert!(out.iter().all(|&v| v.abs() < 64), "{:?}", &out[..20]);
    }

    #[test]
    fn decoded_speech_keeps_energy_and_spectrum() {
        let input = speechlike(8000);
        let out = roundtrip(&input);
        // Skip the first frames while the filters settle.
        let (a, b) = (&input[800..], &out[800..]);
        let ratio = energy(b) / energy(a);
        assert!((0.5..2.0).contains(&ratio), "energy ratio {ratio}");
        for f in [150.0, 450.0] {
            let (ti, to) = (tone_share(a, f), tone_share(b, f));
            assert!(to > ti * 0.5, "{f} Hz: {ti} in, {to} out");
        }
        // A frequency absent from the input stays weak.
        assert!(tone_share(b, 3300.0) < 0.05);
    }

    #[test]
    fn a_pure_tone_comes_back_as_that_tone() {
        let input: Vec<i16> = (0..8000)
            .map(|i| {
                (8000.0 * (2.0 * std::f64::consts::PI * 1004.0 * i as f64 / 8000.0).sin()) as i16
            })
            .collect();
        let out = roundtrip(&input);
        let share = tone_share(&out[800..], 1004.0);
        assert!(share > 0.7, "1004 Hz share {share}");
        let ratio = energy(&out[800..]) / energy(&input[800..]);
        assert!((0.5..2.0).contains(&ratio), "energy ratio {ratio}");
    }
}
