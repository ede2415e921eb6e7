//! Text normalisation shared by retrieval and handoff detection.
//!
//! Two levels: [`words`] (lower-cased, accent-folded, Unicode word split) is what
//! phrase matching needs; [`terms`] additionally drops stop words and single
//! letters and applies a light suffix stemmer, which is what ranking needs.

use std::collections::HashSet;
use std::sync::OnceLock;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Lower-cased, accent-folded words of `text`.
///
/// A word is a run of letters and digits (Unicode-aware); everything else
/// separates words, so "humanitarian" is one word and "l'été" is two. Han and
/// kana characters are one word each, because those scripts do not mark word
/// boundaries with spaces and a per-character split is the cheapest useful
/// approximation.
pub fn words(text: &str) -> Vec<String> {
    word_spans(text).into_iter().map(|(w, _, _)| w).collect()
}

/// [`words`] with the byte range each word came from in `text`, so a match can
/// be shown as the contact wrote it.
pub(crate) fn word_spans(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (i, raw) in text.char_indices() {
        if is_combining_mark(raw) {
            // Already-decomposed input ("e\u{301}"): drop the accent, keep the word whole.
            continue;
        }
        if is_ideograph(raw) {
            flush(&mut cur, start, i, &mut out);
            out.push((raw.to_string(), i, i + raw.len_utf8()));
            continue;
        }
        if !raw.is_alphanumeric() {
            flush(&mut cur, start, i, &mut out);
            continue;
        }
        if cur.is_empty() {
            start = i;
        }
        for lower in raw.to_lowercase() {
            fold_into(lower, &mut cur);
        }
    }
    flush(&mut cur, start, text.len(), &mut out);
    out
}

/// Index terms of `text`: [`words`] minus stop words (en, de, fr, es, pt, nl) and
/// single letters, each reduced by [`stem`].
pub fn terms(text: &str) -> Vec<String> {
    let stop = stop_words();
    words(text)
        .into_iter()
        .filter(|w| {
            let single_letter =
                w.chars().count() == 1 && !w.chars().all(|c| c.is_numeric() || is_ideograph(c));
            !single_letter && !stop.contains(w.as_str())
        })
        .map(|mut w| {
            stem(&mut w);
            w
        })
        .collect()
}

/// A deliberately light suffix stemmer: plural `-s`/`-ies`, `-ing`, `-ed`, the
/// Germanic plural `-en`, a final `-e`, and undoubling after a stripped suffix.
///
/// It is not linguistically correct and does not need to be: queries and articles
/// go through the same function, so all it must do is map the common inflections
/// of support vocabulary ("refunds", "refunded", "refunding"; "invoices";
/// "Rechnungen"; "devoluciones") to one key, cheaply, without a dictionary.
pub fn stem(w: &mut String) {
    if !w.is_ascii() || w.len() <= 3 {
        return;
    }
    // Plurals.
    if w.ends_with("ies") && w.len() > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with("sses") {
        w.truncate(w.len() - 2);
    } else if w.ends_with('s') && !(w.ends_with("ss") || w.ends_with("us") || w.ends_with("is")) {
        w.pop();
    }
    // Verb endings and the German/Dutch plural; then undo consonant doubling
    // ("shipping" -> "shipp" -> "ship").
    let mut stripped = false;
    for (suffix, min_rest) in [("ing", 3), ("ed", 3), ("en", 5)] {
        if w.ends_with(suffix) && w.len() - suffix.len() >= min_rest && !w.ends_with("eed") {
            w.truncate(w.len() - suffix.len());
            stripped = true;
            break;
        }
    }
    if stripped {
        let b = w.as_bytes();
        let n = b.len();
        if n >= 4 && b[n - 1] == b[n - 2] && b"bdgmnprt".contains(&b[n - 1]) {
            w.pop();
        }
    }
    if w.len() > 4 && w.ends_with('e') {
        w.pop();
    }
}

fn flush(cur: &mut String, start: usize, end: usize, out: &mut Vec<(String, usize, usize)>) {
    if !cur.is_empty() {
        out.push((std::mem::take(cur), start, end));
    }
}

/// Append `c` (already lower-case) without diacritics. Letters that do not
/// decompose canonically but are conventionally written without their stroke or
/// ligature in ASCII get an explicit mapping.
fn fold_into(c: char, cur: &mut String) {
    if c.is_ascii() {
        cur.push(c);
        return;
    }
    match c {
        'ß' => cur.push_str("ss"),
        'æ' => cur.push_str("ae"),
        'œ' => cur.push_str("oe"),
        'ø' => cur.push('o'),
        'ł' => cur.push('l'),
        'đ' | 'ð' => cur.push('d'),
        'þ' => cur.push_str("th"),
        'ı' => cur.push('i'),
        _ => decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                cur.push(d);
            }
        }),
    }
}

fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FFFF) // CJK extensions B and later
}

/// Stop words, in folded form (no accents), for English, German, French,
/// Spanish, Portuguese and Dutch, plus the greetings and politeness that open
/// support messages ("hi", "thanks", "bitte", "merci") and the question framing
/// ("how", "need", "want"), which carry no topic. Words that are also common
/// product nouns in another language ("tag", "hat", "bin", "plus") are left out.
const STOP_WORDS: &str = "
a about after again all also am an and any are as at be because been before being both but by
can could did didn do does doesn doing don during each few for from further had hadn has hasn
have haven having he her here hers herself him himself his how i if in into is isn it its itself
just let ll me more most my myself no nor not now of off on once only or other our ours ourselves
out own re same she should shouldn so some such than that the their theirs them themselves then
there these they this those through to too until up us ve very was wasn we were weren what when
where which while who whom why will with won would wouldn you your yours yourself yourselves
hi hello hey thanks thank please pls regards cheers ok okay dear yes
want wanted need needs like know tell help question ask asking get got trying try
long much many often still already something anything way able
dont doesnt didnt cant wont isnt im ive id whats hows wheres

aber alle als also am an auch auf aus bei bin bis bist bitte da dann das dass dem den der des
dich die dir doch du ein eine einem einen einer eines er es etwas euch fur gibt habe haben hallo
hatte ich ihr im in ist ja jetzt kann kein keine konnen mein meine meinem meinen meiner mich mir
mit mochte nach nein nicht noch nur ob oder sich sie sind so uber um und uns von vom war waren
was wenn wer wie wir wird wo zu zum zur danke guten moin lange viel

au aux avec ce ces cet cette comment dans de des du elle elles en est et etre ai avez avoir il
ils je la le les leur leurs lui ma mais me mes moi mon ne nos notre nous on ont ou par pas peux
pour pourquoi pouvez qu que quel quelle qui quoi sa sans se ses si son sont suis sur ta te tes
toi ton tu un une veux voudrais vos votre vous bonjour salut merci svp plait combien

al algo como con cual cuando de del donde el ella ellas ellos en es esta estan estoy esto hay
la las le les lo los mas me mi mis muy no nos para pero por porque puedo puede que quiero
necesito se si sin soy su sus te tengo tu un una unas uno unos usted ustedes yo hola gracias favor cuanto

ao aos com da das do dos ela ele eles em entao esta estou eu isso mas meu meus minha minhas na
nas nao no nos num numa os ou para pela pelo pode posso preciso quero sao seu seus sim sua suas
tem tenho um uma umas uns voce voces ola obrigado obrigada quanto

al alle als dan dat de deze die dit een en er geen had heb hebben heeft het hij hoe hoi ik in is
je jij kan kunnen maar me met mijn naar niet nog of om ons onze ook op te tot u uit uw van voor
waar wanneer waarom wat we wie wij wil zij ze zijn zou hallo dank bedankt alstublieft alsjeblieft graag
hoelang lang veel
";

fn stop_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.split_whitespace().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_and_accent_folded() {
        assert_eq!(words("Crème BRÛLÉE, Straße!"), ["creme", "brulee", "strasse"]);
        assert_eq!(words("São Paulo"), ["sao", "paulo"]);
        // Decomposed input folds the same as precomposed input.
        assert_eq!(words("cafe\u{301}"), ["cafe"]);
    }

    #[test]
    fn words_split_on_punctuation_not_inside_words() {
        assert_eq!(words("parler à quelqu'un"), ["parler", "a", "quelqu", "un"]);
        assert_eq!(words("humanitarian"), ["humanitarian"]);
        assert_eq!(words("error 404-b"), ["error", "404", "b"]);
    }

    #[test]
    fn ideographs_are_single_words() {
        assert_eq!(words("退款政策"), ["退", "款", "政", "策"]);
    }

    #[test]
    fn terms_drop_stop_words_and_single_letters() {
        assert_eq!(terms("How do I reset my password?"), ["reset", "password"]);
        assert_eq!(
            terms("Wie kann ich meine Rechnung herunterladen?"),
            ["rechnung", "herunterlad"]
        );
        assert!(terms("hi, thanks!").is_empty());
    }

    #[test]
    fn stemming_joins_common_inflections() {
        let key = |w: &str| terms(w).join(" ");
        assert_eq!(key("refunds"), key("refund"));
        assert_eq!(key("refunded"), key("refunding"));
        assert_eq!(key("invoices"), key("invoice"));
        assert_eq!(key("shipping"), key("shipped"));
        assert_eq!(key("shipping"), key("ship"));
        assert_eq!(key("policies"), key("policy"));
        assert_eq!(key("Rechnungen"), key("Rechnung"));
        assert_eq!(key("devoluciones"), key("devolución"));
    }
}
