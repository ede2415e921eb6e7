//! Detecting that a contact asks for a person, in English, German, French,
//! Spanish, Portuguese and Dutch.
//!
//! Messages are compared as normalised words (lower-case, accents folded,
//! split at anything that is not a letter or digit), so matching is case- and
//! accent-insensitive and respects word boundaries: "human" matches, while
//! "humanitarian" does not. Phrases are kept conservative: a bare "agent" or
//! "person" is everywhere in support mail ("my travel agent"), so those only
//! count inside a request ("talk to an agent", "agent please", or a message that
//! is nothing but "agent").

use crate::tokenize::word_spans;
use std::fmt;
use std::sync::OnceLock;

/// A language the detector knows phrases for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Portuguese.
    Pt,
    /// Dutch.
    Nl,
}

impl Lang {
    /// ISO 639-1 code.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::Nl => "nl",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request for a person found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffMatch {
    /// The language of the phrase that matched.
    pub lang: Lang,
    /// The matched words as the contact wrote them (for the handoff reason).
    pub phrase: String,
}

/// Request phrases. Syntax: words separated by spaces; `a|b` is either word; a
/// trailing `?` makes a word optional; a leading `^` / trailing `$` anchors the
/// phrase to the start / end of the message. All in folded form (no accents);
/// "quelqu'un" is the two words "quelqu un".
const TRIGGERS: &[(Lang, &str)] = &[
    (Lang::En, "human|humans"),
    (
        Lang::En,
        "real|actual|live person|people|human|agent|someone|somebody",
    ),
    (
        Lang::En,
        "talk|speak|chat|connect|transfer|put me? to|with|through a|an|the|some|your? real|live|actual|human? \
         person|human|agent|someone|somebody|representative|rep|operator|staff|employee|people",
    ),
    (Lang::En, "agent|operator|representative please|pls|now"),
    (Lang::En, "^ an|the? agent|operator|representative|person $"),
    (
        Lang::En,
        "customer service|support representative|rep|agent|person",
    ),
    (
        Lang::En,
        "want|need|get|request|give me? a|an human|person|agent|representative|operator",
    ),
    (
        Lang::En,
        "someone|somebody from|at your? support|staff|team|company",
    ),
    // "robot" is left out of the bot phrases on purpose: "I'm not a robot" is a
    // captcha problem, not a request.
    (Lang::En, "no|stop|hate a|the|this|your? bot|bots|chatbot"),
    (Lang::En, "not a? bot|chatbot"),
    (
        Lang::De,
        "mensch|menschen|menschlich|menschlichen|menschlicher|mitarbeiter|mitarbeiterin|mitarbeitenden|\
         kundenberater|kundenberaterin|sachbearbeiter|sachbearbeiterin|ansprechpartner|ansprechpartnerin",
    ),
    (
        Lang::De,
        "echte|echten|echter|richtige|richtigen|reale|realen person|personen",
    ),
    (
        Lang::De,
        "mit jemandem|jemanden|einer|einem person? sprechen|reden|telefonieren|chatten|verbunden|verbinden",
    ),
    (Lang::De, "jemand|jemanden|jemandem sprechen|reden"),
    (Lang::De, "kein|keinen|keine bot|chatbot"),
    (Lang::Fr, "humain|humaine|humains|humaines"),
    (
        Lang::Fr,
        "vrai|vraie|reel|reelle|veritable personne|humain|conseiller|conseillere|agent|interlocuteur",
    ),
    (Lang::Fr, "personne reelle|physique"),
    (Lang::Fr, "parler|discuter|echanger a|avec quelqu un"),
    (
        Lang::Fr,
        "parler|discuter|echanger a|avec un|une|le|la|votre? \
         conseiller|conseillere|agent|operateur|operatrice|personne|interlocuteur",
    ),
    (
        Lang::Fr,
        "conseiller|conseillere|operateur|operatrice|agent svp|stp",
    ),
    (
        Lang::Fr,
        "conseiller|conseillere|operateur|operatrice|agent s il vous|te plait",
    ),
    (
        Lang::Fr,
        "^ un|une|le|la? conseiller|conseillere|operateur|operatrice|agent $",
    ),
    (Lang::Fr, "pas|plus de|un? bot|chatbot"),
    (Lang::Es, "humano|humana|humanos"),
    (Lang::Es, "persona real|fisica"),
    (Lang::Es, "persona de verdad"),
    (
        Lang::Es,
        "hablar|comunicarme|conversar|chatear con un|una? \
         alguien|persona|agente|asesor|asesora|operador|operadora|representante|ejecutivo|ejecutiva",
    ),
    (
        Lang::Es,
        "agente|asesor|asesora|operador|operadora|persona por favor",
    ),
    (Lang::Es, "no|sin bot|chatbot"),
    (Lang::Pt, "humano|humana|humanos|atendente|atendentes"),
    (Lang::Pt, "pessoa real"),
    (Lang::Pt, "pessoa de verdade"),
    (
        Lang::Pt,
        "falar|conversar|comunicar com um|uma? \
         alguem|pessoa|agente|operador|operadora|consultor|consultora|representante",
    ),
    (Lang::Pt, "agente|operador|operadora|pessoa por favor"),
    (Lang::Pt, "nao|sem bot|chatbot"),
    (Lang::Nl, "mens|medewerker|medewerkers|medewerkster"),
    (Lang::Nl, "echt|echte|levend|levende persoon|mens|mensen"),
    (
        Lang::Nl,
        "met een? iemand|persoon|agent spreken|praten|chatten|bellen",
    ),
    (
        Lang::Nl,
        "spreken|praten|chatten|bellen met een|de? iemand|persoon|agent|klantenservice",
    ),
    (Lang::Nl, "iemand spreken"),
    (Lang::Nl, "geen bot|chatbot"),
];

/// Phrases that contain a trigger word but are not a request: a trigger match
/// that overlaps one of these is ignored.
const EXCEPTIONS: &[(Lang, &str)] = &[
    (Lang::En, "human resources|error|errors|rights|readable"),
    (Lang::Fr, "ressources|erreur|droits humaines|humaine|humains"),
    (Lang::Es, "recursos|error|derechos humanos|humano"),
    (Lang::Pt, "recursos|erro|direitos humanos|humano"),
    (Lang::Nl, "mens en|of dier"),
];

struct Step {
    alts: Vec<&'static str>,
    optional: bool,
}

struct Pattern {
    lang: Lang,
    steps: Vec<Step>,
    at_start: bool,
    at_end: bool,
}

impl Pattern {
    fn parse(lang: Lang, src: &'static str) -> Self {
        let mut tokens: Vec<&'static str> = src.split_whitespace().collect();
        let at_start = tokens.first() == Some(&"^");
        let at_end = tokens.last() == Some(&"$");
        tokens.retain(|t| *t != "^" && *t != "$");
        let steps = tokens
            .into_iter()
            .map(|t| {
                let (body, optional) = match t.strip_suffix('?') {
                    Some(b) => (b, true),
                    None => (t, false),
                };
                Step {
                    alts: body.split('|').filter(|a| !a.is_empty()).collect(),
                    optional,
                }
            })
            .collect();
        Self {
            lang,
            steps,
            at_start,
            at_end,
        }
    }

    /// End (exclusive) of a match starting at word `start`, if any.
    fn match_at(&self, words: &[&str], start: usize) -> Option<usize> {
        if self.at_start && start != 0 {
            return None;
        }
        let end = match_steps(words, start, &self.steps)?;
        if end == start || (self.at_end && end != words.len()) {
            return None;
        }
        Some(end)
    }
}

/// Greedy with backtracking over optional steps; patterns are a few words long.
fn match_steps(words: &[&str], pos: usize, steps: &[Step]) -> Option<usize> {
    let Some((step, rest)) = steps.split_first() else {
        return Some(pos);
    };
    if words.get(pos).is_some_and(|w| step.alts.contains(w))
        && let Some(end) = match_steps(words, pos + 1, rest)
    {
        return Some(end);
    }
    if step.optional {
        return match_steps(words, pos, rest);
    }
    None
}

/// Finds requests for a person in contact messages. Build once; it holds only
/// the compiled phrase lists.
pub struct HandoffDetector {
    triggers: Vec<Pattern>,
    exceptions: Vec<Pattern>,
}

impl fmt::Debug for HandoffDetector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandoffDetector")
            .field("triggers", &self.triggers.len())
            .field("exceptions", &self.exceptions.len())
            .finish()
    }
}

impl Default for HandoffDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl HandoffDetector {
    /// A detector with the built-in phrases for en, de, fr, es, pt and nl.
    pub fn new() -> Self {
        let compile =
            |list: &[(Lang, &'static str)]| list.iter().map(|&(l, p)| Pattern::parse(l, p)).collect();
        Self {
            triggers: compile(TRIGGERS),
            exceptions: compile(EXCEPTIONS),
        }
    }

    /// A process-wide detector with the built-in phrases.
    pub fn shared() -> &'static HandoffDetector {
        static SHARED: OnceLock<HandoffDetector> = OnceLock::new();
        SHARED.get_or_init(HandoffDetector::new)
    }

    /// The first request for a person in `text` (earliest in the message), if any.
    pub fn detect(&self, text: &str) -> Option<HandoffMatch> {
        let spans = word_spans(text);
        let words: Vec<&str> = spans.iter().map(|(w, _, _)| w.as_str()).collect();
        let mut excluded = vec![false; words.len()];
        for p in &self.exceptions {
            for start in 0..words.len() {
                if let Some(end) = p.match_at(&words, start) {
                    excluded[start..end].iter_mut().for_each(|x| *x = true);
                }
            }
        }
        for start in 0..words.len() {
            for p in &self.triggers {
                let Some(end) = p.match_at(&words, start) else {
                    continue;
                };
                if excluded[start..end].iter().any(|&x| x) {
                    continue;
                }
                let phrase = match (spans.get(start), spans.get(end - 1)) {
                    (Some(first), Some(last)) => text[first.1..last.2].to_string(),
                    _ => words[start..end].join(" "),
                };
                return Some(HandoffMatch { lang: p.lang, phrase });
            }
        }
        None
    }

    /// Whether `text` asks for a person.
    pub fn wants_human(&self, text: &str) -> bool {
        self.detect(text).is_some()
    }
}
