//! What an indexing run must do, from the documents listed and the documents indexed: nothing for
//! a document whose blob is indexed at its path by the current model, a copy for a document whose
//! blob is indexed at another path (a rename), an embedding for the rest, and a deletion for
//! indexed paths that are gone (only when the listing is complete). Pure; tested by tables.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{
    source::Listing,
    store::doc_chunk::{IndexedFile, Move},
};
use crate::github::TreeFile;

/// The work of one indexing run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Documents already indexed as they are.
    pub unchanged: usize,
    /// Documents to give the chunks of their old path (same blob).
    pub moves: Vec<Move>,
    /// Documents to fetch, chunk and embed, in batches (one step each).
    pub batches: Vec<Vec<TreeFile>>,
    /// Indexed paths no longer listed.
    pub delete: Vec<String>,
}

impl Plan {
    /// Documents to embed, over all batches.
    pub fn to_embed(&self) -> usize {
        self.batches.iter().map(Vec::len).sum()
    }
}

/// Plans a run over `listing` against `indexed`, for embeddings of `model`.
pub fn plan(listing: &Listing, indexed: &[IndexedFile], model: &str, per_batch: usize) -> Plan {
    let current: BTreeSet<(&str, &str)> = indexed
        .iter()
        .filter(|i| i.model == model)
        .map(|i| (i.path.as_str(), i.blob_sha.as_str()))
        .collect();
    let mut by_blob: BTreeMap<&str, &str> = BTreeMap::new();
    for (path, sha) in &current {
        by_blob.entry(sha).or_insert(path);
    }
    let mut out = Plan::default();
    let mut embed = Vec::new();
    for file in &listing.files {
        if current.contains(&(file.path.as_str(), file.blob_sha.as_str())) {
            out.unchanged += 1;
        } else if let Some(from) = by_blob.get(file.blob_sha.as_str()) {
            out.moves.push(Move {
                from: (*from).to_owned(),
                to: file.path.clone(),
                blob_sha: file.blob_sha.clone(),
            });
        } else {
            embed.push(file.clone());
        }
    }
    out.batches = embed
        .chunks(per_batch.max(1))
        .map(<[TreeFile]>::to_vec)
        .collect();
    if listing.complete {
        let listed: BTreeSet<&str> = listing.files.iter().map(|f| f.path.as_str()).collect();
        let gone: BTreeSet<&str> = indexed
            .iter()
            .map(|i| i.path.as_str())
            .filter(|p| !listed.contains(p))
            .collect();
        out.delete = gone.into_iter().map(str::to_owned).collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(files: &[(&str, &str)], complete: bool) -> Listing {
        Listing {
            files: files
                .iter()
                .map(|(path, sha)| TreeFile {
                    path: (*path).into(),
                    blob_sha: (*sha).into(),
                    size: 10,
                })
                .collect(),
            complete,
            skipped: 0,
        }
    }

    fn indexed(files: &[(&str, &str, &str)]) -> Vec<IndexedFile> {
        files
            .iter()
            .map(|(path, sha, model)| IndexedFile {
                path: (*path).into(),
                blob_sha: (*sha).into(),
                model: (*model).into(),
                chunks: 2,
            })
            .collect()
    }

    /// Renders a plan as `unchanged=N move=from>to embed=a,b|c delete=x,y`.
    fn check(listing: Listing, indexed: Vec<IndexedFile>, expected: &str) {
        let p = plan(&listing, &indexed, "m1", 2);
        let moves: Vec<String> = p
            .moves
            .iter()
            .map(|m| format!("{}>{}", m.from, m.to))
            .collect();
        let batches: Vec<String> = p
            .batches
            .iter()
            .map(|b| {
                b.iter()
                    .map(|f| f.path.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        let seen = format!(
            "unchanged={} move={} embed={} delete={}",
            p.unchanged,
            moves.join(","),
            batches.join("|"),
            p.delete.join(",")
        );
        assert_eq!(seen, expected);
    }

    #[test]
    fn a_first_run_embeds_everything_in_batches() {
        check(
            listing(&[("a", "1"), ("b", "2"), ("c", "3")], true),
            indexed(&[]),
            "unchanged=0 move= embed=a,b|c delete=",
        );
    }

    #[test]
    fn unchanged_documents_cost_nothing() {
        check(
            listing(&[("a", "1"), ("b", "2")], true),
            indexed(&[("a", "1", "m1"), ("b", "2", "m1")]),
            "unchanged=2 move= embed= delete=",
        );
    }

    #[test]
    fn a_changed_blob_is_embedded_again_and_a_removed_path_deleted() {
        check(
            listing(&[("a", "1"), ("b", "9")], true),
            indexed(&[("a", "1", "m1"), ("b", "2", "m1"), ("gone", "3", "m1")]),
            "unchanged=1 move= embed=b delete=gone",
        );
    }

    #[test]
    fn a_renamed_document_moves_its_chunks_and_its_old_path_goes() {
        check(
            listing(&[("new", "1")], true),
            indexed(&[("old", "1", "m1")]),
            "unchanged=0 move=old>new embed= delete=old",
        );
    }

    #[test]
    fn a_copy_keeps_the_original_and_reuses_its_chunks() {
        check(
            listing(&[("a", "1"), ("copy", "1")], true),
            indexed(&[("a", "1", "m1")]),
            "unchanged=1 move=a>copy embed= delete=",
        );
    }

    #[test]
    fn another_model_means_embedding_again() {
        check(
            listing(&[("a", "1")], true),
            indexed(&[("a", "1", "m0")]),
            "unchanged=0 move= embed=a delete=",
        );
    }

    #[test]
    fn an_incomplete_listing_deletes_nothing() {
        check(
            listing(&[("a", "1")], false),
            indexed(&[("a", "1", "m1"), ("b", "2", "m1")]),
            "unchanged=1 move= embed= delete=",
        );
    }
}
