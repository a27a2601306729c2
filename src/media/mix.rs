//! A summing conference mixer: each participant hears everyone else.
//!
//! The sum is taken once in 32 bits and each participant's own frame is
//! subtracted from it, so mixing N parties costs O(N) per sample rather
//! than O(N²); results saturate at the 16-bit limits.

use crate::media::{FRAME_SAMPLES, SlinFrame};

/// Mixes one tick. `inputs[i]` is what participant `i` said (`None` if
/// silent or absent); returns what each participant hears, in the same
/// order.
pub fn mix(inputs: &[Option<&SlinFrame>]) -> Vec<SlinFrame> {
    let mut total = [0i32; FRAME_SAMPLES];
    for f in inputs.iter().flatten() {
        for (t, &s) in total.iter_mut().zip(f.iter()) {
            *t += i32::from(s);
        }
    }
    inputs
        .iter()
        .map(|own| {
            let mut out = [0i16; FRAME_SAMPLES];
            for (i, o) in out.iter_mut().enumerate() {
                let mine = own.map_or(0, |f| i32::from(f[i]));
                *o = (total[i] - mine).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
            }
            out
        })
        .collect()
}

/// The mix everyone hears who does not speak (listeners, recordings).
pub fn mix_all(inputs: &[Option<&SlinFrame>]) -> SlinFrame {
    let mut total = [0i32; FRAME_SAMPLES];
    for f in inputs.iter().flatten() {
        for (t, &s) in total.iter_mut().zip(f.iter()) {
            *t += i32::from(s);
        }
    }
    total.map(|t| t.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hears_the_others() {
        let a = [100i16; FRAME_SAMPLES];
        let b = [20i16; FRAME_SAMPLES];
        let c = [3i16; FRAME_SAMPLES];
        let out = mix(&[Some(&a), Some(&b), None, Some(&c)]);
        assert_eq!(out[0][0], 23);
        assert_eq!(out[1][0], 103);
        assert_eq!(out[2][0], 123);
        assert_eq!(out[3][0], 120);
        assert_eq!(mix_all(&[Some(&a), Some(&b)])[5], 120);
    }

    #[test]
    fn saturates() {
        let loud = [30000i16; FRAME_SAMPLES];
        let neg = [-30000i16; FRAME_SAMPLES];
        let out = mix(&[Some(&loud), Some(&loud), Some(&loud)]);
        assert_eq!(out[0][0], i16::MAX);
        let out = mix(&[Some(&neg), Some(&neg), None]);
        assert_eq!(out[2][0], i16::MIN);
        assert_eq!(out[0][0], -30000);
        assert!(mix(&[]).is_empty());
    }
}
