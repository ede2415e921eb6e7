//! BM25F retrieval over a workspace's help articles, with a 0..1 confidence.
//!
//! Ranking is BM25F (Robertson & Zaragoza): per article, the title and body
//! term frequencies are length-normalised per field, weighted (title above
//! body), summed into one pseudo-frequency, then saturated once with `k1`. This
//! is better than adding two BM25 scores because a term repeated in title and
//! body still saturates like one term.
//!
//! # Confidence
//!
//! A raw BM25 score has no scale (it grows with the query's length and the
//! rarity of its words), so each hit also gets a confidence in 0..=1:
//!
//! `confidence = coverage × (1 − ambiguity_penalty × ambiguity)`
//!
//! * **coverage**: the IDF-weighted share of the query's distinct terms that the
//!   article matches. A term counts fully once its BM25 term-frequency factor
//!   `(k1+1)·tf/(k1+tf)` reaches 1, which is what one mention in an
//!   average-length body earns; a lone mention in a much longer article counts
//!   partly. Query terms that appear nowhere in the knowledge base count with the
//!   largest possible IDF: nothing in the knowledge base speaks to them, and they
//!   are usually what the question is about ("gift cards" in a shop with none).
//! * **ambiguity**: the runner-up's score over this hit's score (for the best
//!   hit, second/best; for every other hit, best/own, so 1), capped at 1. A clear
//!   winner keeps its coverage; a tie loses `ambiguity_penalty` (default 0.3).
//!
//! So a question fully answered by one clearly best article scores near 1, a
//! question whose key words the knowledge base lacks scores low, and two equally
//! good articles each score at most 0.7.

use crate::tokenize::terms;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A help article, as the knowledge base holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Stable id (the store's article id, as text).
    pub id: String,
    /// Title; weighted above the body in ranking.
    pub title: String,
    /// Body text; replies quote its sentences.
    pub body: String,
}

impl Article {
    /// An article from its parts.
    pub fn new(id: impl Into<String>, title: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            body: body.into(),
        }
    }
}

/// BM25F ranking and confidence parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    /// Term-frequency saturation (1.2: the usual choice).
    pub k1: f32,
    /// Length normalisation of the title (0: none, 1: full).
    pub b_title: f32,
    /// Length normalisation of the body.
    pub b_body: f32,
    /// Weight of a title occurrence relative to a body occurrence.
    pub title_weight: f32,
    /// Largest cut to confidence when the runner-up scores as high as the hit.
    pub ambiguity_penalty: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Self {
            k1: 1.2,
            b_title: 0.75,
            b_body: 0.75,
            title_weight: 2.5,
            ambiguity_penalty: 0.3,
        }
    }
}

/// One search result, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The article's id.
    pub article_id: String,
    /// The article's title.
    pub title: String,
    /// Raw BM25F score (comparable only within one query).
    pub score: f32,
    /// Normalised confidence in 0..=1 (see the module documentation).
    pub confidence: f32,
    /// The body sentence that best matches the query, at most 200 characters.
    pub snippet: String,
    doc: u32,
    sentence: u32,
}

/// Characters in a [`Hit::snippet`].
const SNIPPET_CHARS: usize = 200;

struct Sentence {
    /// Byte range in the body.
    start: usize,
    end: usize,
    /// Sorted, distinct term ids, to find the sentence a query is about.
    terms: Vec<u32>,
}

struct Doc {
    id: String,
    title: String,
    body: String,
    sentences: Vec<Sentence>,
}

#[derive(Clone, Copy)]
struct Posting {
    doc: u32,
    /// BM25F pseudo-frequency: weighted, length-normalised title + body counts.
    /// Precomputed because it depends only on the article, not the query.
    tf: f32,
}

/// An immutable, searchable knowledge base. Build once per workspace (and again
/// when articles change); share behind an `Arc` — searching needs no lock.
pub struct KnowledgeIndex {
    docs: Vec<Doc>,
    vocab: HashMap<String, u32>,
    postings: Vec<Vec<Posting>>,
    idf: Vec<f32>,
    /// IDF of a term no article contains.
    oov_idf: f32,
    params: Bm25Params,
}

impl fmt::Debug for KnowledgeIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnowledgeIndex")
            .field("articles", &self.docs.len())
            .field("terms", &self.vocab.len())
            .field("params", &self.params)
            .finish()
    }
}

impl Default for KnowledgeIndex {
    fn default() -> Self {
        Self::build(&[])
    }
}

/// Per-article counts gathered while building.
#[derive(Default)]
struct Counts {
    /// term -> (title count, body count)
    tf: HashMap<u32, (u32, u32)>,
    title_len: u32,
    body_len: u32,
}

impl KnowledgeIndex {
    /// Index `articles` with the default parameters.
    pub fn build(articles: &[Article]) -> Self {
        Self::build_with(articles, Bm25Params::default())
    }

    /// Index `articles` with the given parameters.
    pub fn build_with(articles: &[Article], params: Bm25Params) -> Self {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut intern = |t: String| -> u32 {
            let next = vocab.len() as u32;
            *vocab.entry(t).or_insert(next)
        };
        let mut docs = Vec::with_capacity(articles.len());
        let mut counts = Vec::with_capacity(articles.len());
        for a in articles {
            let mut c = Counts::default();
            for t in terms(&a.title) {
                c.tf.entry(intern(t)).or_default().0 += 1;
                c.title_len += 1;
            }
            let mut sentences = Vec::new();
            for (start, end) in split_sentences(&a.body) {
                let mut ids: Vec<u32> = Vec::new();
                for t in terms(&a.body[start..end]) {
                    let id = intern(t);
                    c.tf.entry(id).or_default().1 += 1;
                    c.body_len += 1;
                    ids.push(id);
                }
                ids.sort_unstable();
                ids.dedup();
                sentences.push(Sentence {
                    start,
                    end,
                    terms: ids,
                });
            }
            docs.push(Doc {
                id: a.id.clone(),
                title: a.title.clone(),
                body: a.body.clone(),
                sentences,
            });
            counts.push(c);
        }

        let n = docs.len() as f32;
        let avg = |f: fn(&Counts) -> u32| {
            let total: u64 = counts.iter().map(|c| u64::from(f(c))).sum();
            if total == 0 { 1.0 } else { total as f32 / n }
        };
        let (avg_title, avg_body) = (avg(|c| c.title_len), avg(|c| c.body_len));
        let mut postings: Vec<Vec<Posting>> = vec![Vec::new(); vocab.len()];
        for (doc, c) in counts.iter().enumerate() {
            let norm_title = 1.0 - params.b_title + params.b_title * c.title_len as f32 / avg_title;
            let norm_body = 1.0 - params.b_body + params.b_body * c.body_len as f32 / avg_body;
            for (&term, &(tf_title, tf_body)) in &c.tf {
                let tf = params.title_weight * tf_title as f32 / norm_title + tf_body as f32 / norm_body;
                if let Some(list) = postings.get_mut(term as usize) {
                    list.push(Posting { doc: doc as u32, tf });
                }
            }
        }
        // Lucene's BM25 IDF: always positive, so a term in every article still
        // counts a little instead of subtracting.
        let idf_of = |df: f32| (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let idf = postings.iter().map(|p| idf_of(p.len() as f32)).collect();
        Self {
            docs,
            vocab,
            postings,
            idf,
            oov_idf: idf_of(0.0),
            params,
        }
    }

    /// Number of articles.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether there are no articles.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The ranking parameters.
    pub fn params(&self) -> Bm25Params {
        self.params
    }

    /// The `k` best articles for `query`, best first (ties: earlier article
    /// first). Empty when the index is empty, `k` is 0, or no query term (after
    /// stop words) occurs in any article.
    pub fn search(&self, query: &str, k: usize) -> Vec<Hit> {
        if k == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        // Distinct query terms with their IDF; unknown terms keep `None`.
        let mut query_terms: Vec<(Option<u32>, f32)> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for t in terms(query) {
            if seen.contains(&t) {
                continue;
            }
            let id = self.vocab.get(&t).copied();
            let idf = id
                .and_then(|i| self.idf.get(i as usize).copied())
                .unwrap_or(self.oov_idf);
            query_terms.push((id, idf));
            seen.push(t);
        }
        let total_weight: f32 = query_terms.iter().map(|(_, idf)| idf).sum();
        if total_weight <= 0.0 {
            return Vec::new();
        }

        let k1 = self.params.k1;
        let mut score = vec![0f32; self.docs.len()];
        let mut covered = vec![0f32; self.docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        for &(id, idf) in &query_terms {
            let Some(list) = id.and_then(|i| self.postings.get(i as usize)) else {
                continue;
            };
            for p in list {
                let d = p.doc as usize;
                let saturated = (k1 + 1.0) * p.tf / (k1 + p.tf);
                if score[d] == 0.0 {
                    touched.push(p.doc);
                }
                score[d] += idf * saturated;
                covered[d] += idf * saturated.min(1.0);
            }
        }
        if touched.is_empty() {
            return Vec::new();
        }

        // Keep at least two so the best hit's ambiguity can be measured.
        let want = k.max(2).min(touched.len());
        let order = |a: &u32, b: &u32| score[*b as usize].total_cmp(&score[*a as usize]).then(a.cmp(b));
        if touched.len() > want {
            touched.select_nth_unstable_by(want - 1, order);
            touched.truncate(want);
        }
        touched.sort_unstable_by(order);

        let best = score[touched[0] as usize];
        let second = touched.get(1).map_or(0.0, |&d| score[d as usize]);
        let query_ids: Vec<(u32, f32)> = query_terms
            .iter()
            .filter_map(|&(id, idf)| id.map(|i| (i, idf)))
            .collect();
        touched
            .iter()
            .take(k)
            .enumerate()
            .filter_map(|(rank, &d)| {
                let doc = self.docs.get(d as usize)?;
                let own = score[d as usize];
                let other = if rank == 0 { second } else { best };
                let ambiguity = (other / own).clamp(0.0, 1.0);
                let coverage = (covered[d as usize] / total_weight).clamp(0.0, 1.0);
                let confidence =
                    (coverage * (1.0 - self.params.ambiguity_penalty * ambiguity)).clamp(0.0, 1.0);
                let sentence = best_sentence(doc, &query_ids);
                let snippet = doc
                    .sentences
                    .get(sentence)
                    .map(|s| shorten(&doc.body[s.start..s.end], SNIPPET_CHARS))
                    .unwrap_or_default();
                Some(Hit {
                    article_id: doc.id.clone(),
                    title: doc.title.clone(),
                    score: own,
                    confidence,
                    snippet,
                    doc: d,
                    sentence: sentence as u32,
                })
            })
            .collect()
    }

    /// An excerpt of the hit's article for a reply: from the sentence that best
    /// matches the query, following sentences while the total stays within
    /// `max_chars` (a first sentence longer than that is cut at a word). Line
    /// breaks between sentences (lists, steps) are kept. Empty if the article
    /// has no body or `hit` came from another index.
    pub fn excerpt(&self, hit: &Hit, max_chars: usize) -> String {
        let Some(doc) = self.docs.get(hit.doc as usize).filter(|d| d.id == hit.article_id) else {
            return String::new();
        };
        let from = (hit.sentence as usize).min(doc.sentences.len());
        let mut out = String::new();
        let mut used = 0;
        let mut prev_end = None;
        for s in &doc.sentences[from..] {
            let text = &doc.body[s.start..s.end];
            let len = text.chars().count();
            let sep = match prev_end {
                None => "",
                Some(p) if doc.body[p..s.start].contains('\n') => "\n",
                Some(_) => " ",
            };
            if used + sep.len() + len > max_chars {
                if out.is_empty() {
                    out = shorten(text, max_chars);
                }
                break;
            }
            out.push_str(sep);
            out.push_str(text);
            used += sep.len() + len;
            prev_end = Some(s.end);
        }
        out
    }
}

/// The sentence sharing the most query-term weight with the query (the first
/// one on ties, and the first sentence when none shares any: then the title
/// matched, and an article's opening usually says what it is about).
fn best_sentence(doc: &Doc, query: &[(u32, f32)]) -> usize {
    let mut best = (0, 0.0f32);
    for (i, s) in doc.sentences.iter().enumerate() {
        let w: f32 = query
            .iter()
            .filter(|(t, _)| s.terms.binary_search(t).is_ok())
            .map(|(_, idf)| idf)
            .sum();
        if w > best.1 {
            best = (i, w);
        }
    }
    best.0
}

/// Byte ranges of the sentences of `body`: split after `.`, `!`, `?`, `…` when
/// followed by whitespace, and at line breaks; trimmed; empty ones dropped.
fn split_sentences(body: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_is_space = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        let end = match c {
            '\n' | '\r' => Some(i),
            '.' | '!' | '?' | '…' | '。' | '！' | '？' if next_is_space => Some(i + c.len_utf8()),
            _ => None,
        };
        if let Some(end) = end {
            push_trimmed(body, start, end, &mut out);
            start = end;
        }
    }
    push_trimmed(body, start, body.len(), &mut out);
    out
}

fn push_trimmed(body: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let piece = &body[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if !trimmed.is_empty() {
        out.push((start + lead, start + lead + trimmed.len()));
    }
}

/// `text` cut to at most `max` characters, at a word boundary when there is one,
/// with an ellipsis when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match keep.rfind(char::is_whitespace) {
        Some(i) if i > keep.len() / 2 => keep[..i].trim_end(),
        _ => keep.as_str(),
    };
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_terminators_and_line_breaks() {
        let body = "First one. Second one!\n- step a\n- step b\nVersion 1.2 is out?  Last";
        let got: Vec<&str> = split_sentences(body).iter().map(|&(s, e)| &body[s..e]).collect();
        assert_eq!(
            got,
            [
                "First one.",
                "Second one!",
                "- step a",
                "- step b",
                "Version 1.2 is out?",
                "Last"
            ]
        );
    }

    #[test]
    fn shorten_cuts_at_a_word_with_an_ellipsis() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("hello wonderful world", 18), "hello wonderful…");
        assert_eq!(shorten("ééééééééééé", 5), "éééé…");
    }
}
