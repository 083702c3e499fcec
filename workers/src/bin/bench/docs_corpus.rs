//! A synthetic documentation corpus with topical structure, deterministic from a seed: a Zipf
//! background vocabulary shared by every document, and topics of their own words. Each file
//! has a main topic and two minor ones; each chunk mixes background and topic words. Queries are
//! a dozen words of one chunk plus a few background words, so their true neighbours are chunks
//! of the same topics (near ties included), as with real documents.

/// A small deterministic generator (splitmix64).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Picks ranks with probability ∝ 1 / (rank + 1) (Zipf, s = 1) by inverting the cumulative sum.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize) -> Self {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                acc += 1.0 / (r as f64 + 1.0);
                acc
            })
            .collect();
        Self(cumulative)
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(1.0);
        let x = rng.unit() * total;
        self.0.partition_point(|c| *c < x).min(self.0.len() - 1)
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "po", "ru", "sa", "te", "vi", "zo", "ba", "de", "fu", "gi", "ho", "ju",
    "ke", "la", "mo", "nu", "pi", "ro", "si", "tu",
];

fn word(rng: &mut Rng) -> String {
    let n = 2 + rng.below(3);
    (0..n)
        .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
        .collect()
}

/// The corpus's vocabulary and topics.
pub(crate) struct Corpus {
    background: Vec<String>,
    topics: Vec<Vec<String>>,
    zipf_background: Zipf,
    zipf_topic: Zipf,
}

/// Words in a chunk.
const CHUNK_WORDS: usize = 90;

impl Corpus {
    /// 8,000 background words and `topics` topics of 120 words each.
    pub(crate) fn new(seed: u64, topics: usize) -> Self {
        let mut rng = Rng::new(seed);
        let background: Vec<String> = (0..8_000).map(|_| word(&mut rng)).collect();
        let topics: Vec<Vec<String>> = (0..topics)
            .map(|t| {
                (0..120)
                    .map(|i| format!("{}{t}x{i}", word(&mut rng)))
                    .collect()
            })
            .collect();
        Self {
            zipf_background: Zipf::new(background.len()),
            zipf_topic: Zipf::new(120),
            background,
            topics,
        }
    }

    /// The three topics of file `file`: a main one and two minor ones.
    fn file_topics(&self, file: usize) -> [usize; 3] {
        let mut rng = Rng::new(0xf11e ^ file as u64);
        let n = self.topics.len();
        [file % n, rng.below(n), rng.below(n)]
    }

    /// Chunk `chunk` of file `file`: 90 words, 45 % background, 40 % main topic, 15 % minor.
    pub(crate) fn chunk(&self, file: usize, chunk: usize) -> String {
        let mut rng = Rng::new(((file as u64) << 20) ^ chunk as u64 ^ 0xc4a7);
        let [main, a, b] = self.file_topics(file);
        let words: Vec<&str> = (0..CHUNK_WORDS)
            .map(|_| {
                let roll = rng.below(100);
                let topic = match roll {
                    0..45 => None,
                    45..85 => Some(main),
                    85..93 => Some(a),
                    _ => Some(b),
                };
                match topic {
                    None => self.background[self.zipf_background.pick(&mut rng)].as_str(),
                    Some(t) => self.topics[t][self.zipf_topic.pick(&mut rng)].as_str(),
                }
            })
            .collect();
        words.join(" ")
    }

    /// A markdown file of `sections` sections whose bodies are chunks of file `file`.
    pub(crate) fn markdown(&self, file: usize, sections: usize, revision: usize) -> String {
        let mut doc = format!("# Document {file}\n");
        for s in 0..sections {
            let body = self.chunk(file, s + revision * 1_000);
            doc.push_str(&format!("\n## Section {s}\n\n{body}\n"));
        }
        doc
    }

    /// Query `n` against a corpus of `files` × `chunks` chunks: 12 words of one chunk and 3
    /// background words.
    pub(crate) fn query(&self, n: usize, files: usize, chunks: usize) -> String {
        let mut rng = Rng::new(0x9e7 ^ (n as u64) << 8);
        let text = self.chunk(rng.below(files), rng.below(chunks));
        let words: Vec<&str> = text.split(' ').collect();
        let mut picked: Vec<&str> = (0..12).map(|_| words[rng.below(words.len())]).collect();
        for _ in 0..3 {
            picked.push(&self.background[self.zipf_background.pick(&mut rng)]);
        }
        picked.join(" ")
    }
}
