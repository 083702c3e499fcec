//! Cuts a markdown document into chunks along its headings: each chunk belongs to one section and
//! keeps the section's heading path, stays within a size bound, and overlaps the previous chunk of
//! the same section by a few tokens. Fenced code blocks are kept whole (a fence longer than the
//! code bound is cut at line boundaries, each piece fenced again).
//!
//! Only ATX headings (`#` … `######`) start sections; setext headings are read as paragraphs.
//! Sizes are estimated tokens ([`estimate_tokens`]), not a model tokenizer's count.

use serde::{Deserialize, Serialize};

/// The size bounds of chunks, in estimated tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkBounds {
    /// Largest chunk, except a code block kept whole.
    pub max_tokens: usize,
    /// Tokens of the previous chunk's end repeated at the start of the next one (same section).
    pub overlap_tokens: usize,
    /// Largest code block kept whole in one chunk (above `max_tokens`); longer fences are cut.
    pub code_max_tokens: usize,
}

impl Default for ChunkBounds {
    fn default() -> Self {
        Self {
            max_tokens: 512,
            overlap_tokens: 64,
            code_max_tokens: 2048,
        }
    }
}

/// One chunk of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Titles of the enclosing headings, outermost first.
    pub heading_path: Vec<String>,
    /// The chunk's markdown (its section's heading line first, when the chunk starts the section).
    pub text: String,
    /// Estimated tokens of `text`.
    pub token_count: usize,
}

/// Estimated tokens of a text: about four characters a token, as for English prose in OpenAI's
/// tokenizers; never zero for a non-empty text.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// What a section's body is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    /// The heading line itself.
    Heading(String),
    /// Consecutive non-blank lines outside a fence.
    Text(String),
    /// A fenced code block, fences included.
    Code { open: String, body: Vec<String> },
}

impl Block {
    fn render(&self) -> String {
        match self {
            Block::Heading(s) | Block::Text(s) => s.clone(),
            Block::Code { open, body } => fence(open, body),
        }
    }
}

fn fence(open: &str, body: &[String]) -> String {
    let marker: String = open
        .trim_start()
        .chars()
        .take_while(|c| *c == '`' || *c == '~')
        .collect();
    let mut out = String::from(open);
    for line in body {
        out.push('\n');
        out.push_str(line);
    }
    out.push('\n');
    out.push_str(&marker);
    out
}

/// A section: the heading path in force and its blocks.
#[derive(Debug, Default)]
struct Section {
    path: Vec<String>,
    blocks: Vec<Block>,
}

/// `(level, title)` of an ATX heading line (up to three spaces of indent).
fn heading(line: &str) -> Option<(usize, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.bytes().take_while(|b| *b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !(after.is_empty() || after.starts_with(' ') || after.starts_with('\t')) {
        return None;
    }
    let mut title = after.trim();
    // A closing sequence of #s (preceded by a space) is not part of the title.
    let without = title.trim_end_matches('#');
    if without.is_empty() || without.ends_with(' ') {
        title = without.trim_end();
    }
    Some((level, title.to_owned()))
}

/// The fence marker (character and length) opening a code block, if `line` opens one.
fn fence_open(line: &str) -> Option<(char, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = rest.chars().take_while(|x| *x == c).count();
    // A backtick fence's info string may not contain backticks.
    (n >= 3 && !(c == '`' && rest[n..].contains('`'))).then_some((c, n))
}

fn closes(line: &str, (c, n): (char, usize)) -> bool {
    let t = line.trim();
    line.len() - line.trim_start_matches(' ').len() <= 3
        && t.chars().take_while(|x| *x == c).count() >= n
        && t.chars().all(|x| x == c)
}

fn sections(markdown: &str) -> Vec<Section> {
    let mut out = vec![Section::default()];
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut text: Vec<&str> = Vec::new();
    let mut code: Option<((char, usize), String, Vec<String>)> = None;
    let flush = |text: &mut Vec<&str>, out: &mut Vec<Section>| {
        if !text.is_empty() {
            let joined = text.join("\n");
            if let Some(s) = out.last_mut() {
                s.blocks.push(Block::Text(joined));
            }
            text.clear();
        }
    };
    for line in markdown.lines() {
        if let Some((marker, open, body)) = &mut code {
            if closes(line, *marker) {
                let block = Block::Code {
                    open: std::mem::take(open),
                    body: std::mem::take(body),
                };
                if let Some(s) = out.last_mut() {
                    s.blocks.push(block);
                }
                code = None;
            } else {
                body.push(line.to_owned());
            }
            continue;
        }
        if let Some(marker) = fence_open(line) {
            flush(&mut text, &mut out);
            code = Some((marker, line.to_owned(), Vec::new()));
        } else if let Some((level, title)) = heading(line) {
            flush(&mut text, &mut out);
            stack.retain(|(l, _)| *l < level);
            stack.push((level, title));
            out.push(Section {
                path: stack.iter().map(|(_, t)| t.clone()).collect(),
                blocks: vec![Block::Heading(line.trim().to_owned())],
            });
        } else if line.trim().is_empty() {
            flush(&mut text, &mut out);
        } else {
            text.push(line);
        }
    }
    flush(&mut text, &mut out);
    // An unclosed fence runs to the end of the document.
    if let (Some((_, open, body)), Some(s)) = (code, out.last_mut()) {
        s.blocks.push(Block::Code { open, body });
    }
    out
}

/// A piece of a chunk: rendered text, its tokens, whether it may be cut for the overlap, and
/// whether it continues the previous piece's paragraph (joined with a space, not a blank line).
#[derive(Debug, Clone)]
struct Piece {
    text: String,
    tokens: usize,
    prose: bool,
    glue: bool,
}

impl Piece {
    fn new(text: String, prose: bool) -> Self {
        let tokens = estimate_tokens(&text);
        Self {
            text,
            tokens,
            prose,
            glue: false,
        }
    }

    fn glued(mut self, glue: bool) -> Self {
        self.glue = glue;
        self
    }
}

/// Words of `text` packed greedily into pieces of at most `limit` tokens (a word longer than
/// the limit is cut by characters).
fn split_words(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(1);
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        while estimate_tokens(&word) > limit {
            let head: String = word.chars().take(limit * 4).collect();
            let tail: String = word.chars().skip(limit * 4).collect();
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            out.push(head);
            word = tail;
        }
        let candidate = if current.is_empty() {
            word.clone()
        } else {
            format!("{current} {word}")
        };
        if estimate_tokens(&candidate) > limit && !current.is_empty() {
            out.push(std::mem::replace(&mut current, word));
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Lines of a long code block packed into fenced pieces of at most `limit` tokens each.
fn split_code(open: &str, body: &[String], limit: usize) -> Vec<String> {
    let overhead = estimate_tokens(&fence(open, &[]));
    let mut out = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    for line in body {
        let mut candidate = lines.clone();
        candidate.push(line.clone());
        if !lines.is_empty() && estimate_tokens(&candidate.join("\n")) + overhead > limit {
            out.push(fence(open, &lines));
            lines = vec![line.clone()];
        } else {
            lines = candidate;
        }
    }
    if !lines.is_empty() || out.is_empty() {
        out.push(fence(open, &lines));
    }
    out
}

fn pieces(block: &Block, b: &ChunkBounds) -> Vec<Piece> {
    let text = block.render();
    let tokens = estimate_tokens(&text);
    match block {
        Block::Code { .. } if tokens <= b.code_max_tokens => vec![Piece::new(text, false)],
        Block::Code { open, body } => split_code(open, body, b.max_tokens)
            .into_iter()
            .map(|t| Piece::new(t, false))
            .collect(),
        Block::Heading(_) | Block::Text(_) if tokens <= b.max_tokens => {
            vec![Piece::new(text, true)]
        }
        // Room for the overlap the next piece will carry in front of it.
        Block::Heading(_) | Block::Text(_) => {
            split_words(&text, b.max_tokens.saturating_sub(b.overlap_tokens))
                .into_iter()
                .enumerate()
                .map(|(i, t)| Piece::new(t, true).glued(i > 0))
                .collect()
        }
    }
}

fn joined(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            out.push_str(if p.glue { " " } else { "\n\n" });
        }
        out.push_str(&p.text);
    }
    out
}

/// The end of a chunk to repeat at the start of the next: whole pieces while they fit, then the
/// last words of a prose piece.
fn overlap(pieces: &[Piece], budget: usize) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut left = budget;
    for piece in pieces.iter().rev() {
        if piece.tokens <= left {
            left -= piece.tokens;
            out.insert(0, piece.clone());
            continue;
        }
        if piece.prose && left > 0 {
            let words: Vec<&str> = piece.text.split_whitespace().collect();
            let mut tail: Vec<&str> = Vec::new();
            for w in words.iter().rev() {
                tail.insert(0, w);
                if estimate_tokens(&tail.join(" ")) > left {
                    tail.remove(0);
                    break;
                }
            }
            if !tail.is_empty() {
                out.insert(0, Piece::new(tail.join(" "), true).glued(piece.glue));
            }
        }
        break;
    }
    out
}

/// Cuts `markdown` into chunks within `bounds`, in document order.
pub fn chunk(markdown: &str, bounds: &ChunkBounds) -> Vec<Chunk> {
    let mut out = Vec::new();
    for section in sections(markdown) {
        let mut current: Vec<Piece> = Vec::new();
        // Pieces of `current` that are new (not overlap carried from the previous chunk).
        let mut fresh = 0;
        let emit = |current: &[Piece], out: &mut Vec<Chunk>| {
            // A heading alone says nothing its subsections' heading paths do not.
            let only_heading = current.len() == 1
                && matches!(section.blocks.first(), Some(Block::Heading(h)) if *h == current[0].text);
            if !current.is_empty() && !only_heading {
                let text = joined(current);
                out.push(Chunk {
                    heading_path: section.path.clone(),
                    token_count: estimate_tokens(&text),
                    text,
                });
            }
        };
        for piece in section.blocks.iter().flat_map(|b| pieces(b, bounds)) {
            let size = |c: &[Piece]| estimate_tokens(&joined(c));
            let mut next = current.clone();
            next.push(piece.clone());
            if !current.is_empty() && size(&next) > bounds.max_tokens {
                if fresh > 0 {
                    emit(&current, &mut out);
                }
                current = overlap(&current, bounds.overlap_tokens);
                current.push(piece.clone());
                if size(&current) > bounds.max_tokens {
                    current = vec![piece];
                }
                fresh = 1;
            } else {
                current = next;
                fresh += 1;
            }
        }
        if fresh > 0 {
            emit(&current, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: ChunkBounds = ChunkBounds {
        max_tokens: 12,
        overlap_tokens: 4,
        code_max_tokens: 30,
    };

    /// Renders each chunk as `path | text` (newlines as `⏎`) and compares with `expected`.
    fn check(markdown: &str, bounds: ChunkBounds, expected: &[&str]) {
        let chunks = chunk(markdown, &bounds);
        let seen: Vec<String> = chunks
            .iter()
            .map(|c| {
                format!(
                    "{} | {}",
                    c.heading_path.join(" > "),
                    c.text.replace('\n', "⏎")
                )
            })
            .collect();
        assert_eq!(seen, expected, "{markdown:?}");
        for c in &chunks {
            assert_eq!(c.token_count, estimate_tokens(&c.text));
            let is_code = c.text.contains("```") || c.text.contains("~~~");
            let bound = if is_code {
                bounds.code_max_tokens
            } else {
                bounds.max_tokens
            };
            assert!(c.token_count <= bound, "{c:?} over {bound}");
        }
    }

    #[test]
    fn headings_make_sections_with_their_paths() {
        let doc = "Intro line.\n\n# Guide\nHello.\n## Install\nRun it.\n### Linux\nApt.\n## Use\nGo.\n# Other\nX.";
        check(
            doc,
            ChunkBounds::default(),
            &[
                " | Intro line.",
                "Guide | # Guide⏎⏎Hello.",
                "Guide > Install | ## Install⏎⏎Run it.",
                "Guide > Install > Linux | ### Linux⏎⏎Apt.",
                "Guide > Use | ## Use⏎⏎Go.",
                "Other | # Other⏎⏎X.",
            ],
        );
    }

    #[test]
    fn heading_titles_lose_closing_hashes_and_deeper_levels_reset() {
        check(
            "## A ##\nx\n#### B\ny\n### C #\nz\n#no heading\n",
            ChunkBounds::default(),
            &[
                "A | ## A ##⏎⏎x",
                "A > B | #### B⏎⏎y",
                "A > C | ### C #⏎⏎z⏎#no heading",
            ],
        );
    }

    #[test]
    fn a_heading_followed_only_by_subsections_makes_no_chunk_of_its_own() {
        check(
            "# Top\n## Sub\ntext",
            ChunkBounds::default(),
            &["Top > Sub | ## Sub⏎⏎text"],
        );
    }

    #[test]
    fn hashes_inside_a_code_block_are_not_headings_and_the_block_stays_whole() {
        check(
            "# Run\n```sh\n# comment, not a heading\n\necho hi\n```\nafter",
            ChunkBounds::default(),
            &["Run | # Run⏎⏎```sh⏎# comment, not a heading⏎⏎echo hi⏎```⏎⏎after"],
        );
    }

    #[test]
    fn a_code_block_above_the_chunk_bound_is_kept_whole_in_a_chunk_of_its_own() {
        // 12 tokens max: the 25-token block is not cut (code bound 30) and not merged.
        let code = "```\nlet total = items.iter().sum();\nprintln!(total);\n```";
        check(
            &format!("# A\nshort.\n{code}\ntail."),
            SMALL,
            &[
                "A | # A⏎⏎short.",
                "A | ```⏎let total = items.iter().sum();⏎println!(total);⏎```",
                "A | tail.",
            ],
        );
    }

    #[test]
    fn a_code_block_over_the_code_bound_is_cut_at_lines_and_fenced_again() {
        let body: Vec<String> = (0..12).map(|i| format!("line_{i} = {i}{i}{i}")).collect();
        let doc = format!("~~~py\n{}\n~~~", body.join("\n"));
        let chunks = chunk(&doc, &SMALL);
        assert!(chunks.len() > 1, "{chunks:?}");
        let mut lines = Vec::new();
        for c in &chunks {
            assert!(
                c.text.starts_with("~~~py\n") && c.text.ends_with("\n~~~"),
                "{c:?}"
            );
            assert!(c.token_count <= SMALL.max_tokens, "{c:?}");
            lines.extend(
                c.text
                    .lines()
                    .filter(|l| !l.starts_with("~~~"))
                    .map(str::to_owned),
            );
        }
        assert_eq!(lines, body, "every line once, in order");
    }

    #[test]
    fn an_unclosed_fence_runs_to_the_end() {
        check(
            "# A\n```\ncode\n# not a heading",
            ChunkBounds::default(),
            &["A | # A⏎⏎```⏎code⏎# not a heading⏎```"],
        );
    }

    #[test]
    fn long_prose_is_cut_within_the_bound_with_overlap_from_the_previous_chunk() {
        let words = "one two three four five six seven eight nine ten eleven twelve";
        check(
            &format!("# T\n{words}"),
            SMALL,
            &[
                "T | # T⏎⏎one two three four five six",
                "T | four five six seven eight nine ten eleven twelve",
            ],
        );
    }

    #[test]
    fn paragraphs_are_packed_together_until_the_bound_and_the_next_chunk_overlaps() {
        check(
            "# T\nab.\n\ncd.\n\nef.\n\nthe last paragraph here\n\nand one more paragraph",
            SMALL,
            &[
                "T | # T⏎⏎ab.⏎⏎cd.⏎⏎ef.⏎⏎the last paragraph here",
                "T | paragraph here⏎⏎and one more paragraph",
            ],
        );
    }

    #[test]
    fn small_whole_paragraphs_are_carried_into_the_overlap() {
        check(
            "# T\naaaa bbbb cccc\n\nab.\n\ncd.\n\neeee ffff gggg hhhh",
            SMALL,
            &[
                "T | # T⏎⏎aaaa bbbb cccc⏎⏎ab.⏎⏎cd.",
                "T | cccc⏎⏎ab.⏎⏎cd.⏎⏎eeee ffff gggg hhhh",
            ],
        );
    }

    #[test]
    fn overlap_never_crosses_a_heading() {
        let doc = "# A\nalpha beta gamma delta epsilon zeta eta\n# B\ntheta";
        let chunks = chunk(doc, &SMALL);
        let b = chunks.iter().find(|c| c.heading_path == ["B"]).unwrap();
        assert_eq!(b.text, "# B\n\ntheta");
    }

    #[test]
    fn an_empty_document_has_no_chunks() {
        check("", ChunkBounds::default(), &[]);
        check("\n\n   \n", ChunkBounds::default(), &[]);
    }

    #[test]
    fn tokens_are_estimated_at_four_characters() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("a"), 1);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens("ééé"), 1);
    }
}
