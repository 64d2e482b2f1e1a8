//! The tokenizer's search for the next space, tab or quote, eight bytes at a time.
//!
//! Kept by hand: on tokens of a few bytes it is faster than `memchr::memchr3`, whose set-up costs more than such a
//! short search (docs/decisions/0001-memchr.md).

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGHS: u64 = ONES << 7;

/// The high bit of each byte of `word` that equals `byte` (exact for the lowest such byte; a borrow can only flag
/// bytes above it).
#[inline(always)]
fn lanes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The number of bytes before the first `a`, `b` or `c` (all of them if there is none), eight bytes at a time:
/// this is the tokenizer's inner loop, run from each token's start.
#[inline(always)]
pub(super) fn find3(bytes: &[u8], a: u8, b: u8, c: u8) -> usize {
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        let found = lanes_equal(word, a) | lanes_equal(word, b) | lanes_equal(word, c);
        if found != 0 {
            return offset + (found.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    offset
        + rest
            .iter()
            .position(|&x| x == a || x == b || x == c)
            .unwrap_or(rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find3_finds_the_first_of_three_bytes_at_every_position() {
        for len in 0..20 {
            for at in 0..=len {
                let mut bytes = vec![b'x'; len];
                if at < len {
                    bytes[at] = b'"';
                }
                // A later match of another byte does not hide an earlier one.
                if at + 1 < len {
                    bytes[at + 1] = b' ';
                }
                assert_eq!(find3(&bytes, b' ', b'\t', b'"'), at, "len {len} at {at}");
            }
        }
        assert_eq!(find3(b"\x80\x81\x80 ", b' ', b'\t', b'"'), 3);
    }

    #[test]
    fn find3_agrees_with_memchr3() {
        // Every length up to three words, each of the three bytes (and none) at every position, with high bytes
        // around (a borrow in the word arithmetic must not flag a byte before the first match).
        for len in 0..25 {
            for at in 0..=len {
                for needle in [b' ', b'\t', b'"'] {
                    let mut bytes: Vec<u8> = (0..len)
                        .map(|i| 0x80 | (i as u8).wrapping_mul(37))
                        .collect();
                    if at < len {
                        bytes[at] = needle;
                    }
                    let expected =
                        memchr::memchr3(b' ', b'\t', b'"', &bytes).unwrap_or(bytes.len());
                    assert_eq!(
                        find3(&bytes, b' ', b'\t', b'"'),
                        expected,
                        "len {len} at {at}"
                    );
                }
            }
        }
    }
}
