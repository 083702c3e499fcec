//! The fake provider's embedding: a seeded hash projection of the text's words (feature hashing),
//! so texts that share words are near in cosine distance and the same text always gets the same
//! vector, on any machine.

/// Coordinates each word adds to (with a random sign each): enough that two words rarely
/// collide in 3,072 dimensions, few enough that embedding is cheap.
const TOUCHES_PER_WORD: usize = 24;

/// The seed of the projection; fixed, so vectors are comparable across processes.
const SEED: u64 = 0x0c0d_e8a8_5d0c_5eed;

/// The words of a text: lowercase runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The unit vector of `text` in `dimensions` dimensions. A text without words gets the first
/// basis vector (never the zero vector, whose cosine distance is undefined).
pub fn embed(text: &str, dimensions: usize) -> Vec<f32> {
    let dimensions = dimensions.max(1);
    let mut v = vec![0f32; dimensions];
    for word in words(text) {
        let mut state = fnv1a(SEED, word.as_bytes());
        for _ in 0..TOUCHES_PER_WORD {
            let r = splitmix(&mut state);
            let index = (r >> 1) as usize % dimensions;
            v[index] += if r & 1 == 0 { 1.0 } else { -1.0 };
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        v[0] = 1.0;
    } else {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// Cosine similarity of two vectors of the same length.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_is_the_same_unit_vector_and_similar_texts_are_nearer() {
        let a = embed("How to rotate the webhook secret", 3072);
        assert_eq!(a, embed("how to ROTATE the webhook secret!", 3072));
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
        let near = embed("rotate the webhook secret in the runbook", 3072);
        let far = embed("chunk markdown along headings with overlap", 3072);
        assert!(cosine(&a, &near) > 0.5, "{}", cosine(&a, &near));
        assert!(cosine(&a, &far) < 0.2, "{}", cosine(&a, &far));
        assert_eq!(embed("", 8), [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
