//! Requests for a person, in six languages, and look-alikes that are not.
#![allow(missing_docs, clippy::unwrap_used)]

use baton_agents::{HandoffDetector, Lang};

fn lang_of(text: &str) -> Option<Lang> {
    HandoffDetector::shared().detect(text).map(|m| m.lang)
}

#[test]
fn english_requests_for_a_person_are_detected() {
    for text in [
        "human",
        "HUMAN PLEASE!!",
        "Can I talk to someone?",
        "I'd like to speak to a real person",
        "agent please",
        "Agent",
        "connect me with a live agent",
        "I need a representative",
        "stop the bot, get me a human",
        "Is there someone from your support team I can write to?",
    ] {
        assert_eq!(lang_of(text), Some(Lang::En), "{text:?}");
    }
}

#[test]
fn german_requests_are_detected() {
    for text in [
        "Ich möchte mit einem Menschen sprechen",
        "Bitte einen Mitarbeiter!",
        "Kann ich mit jemandem reden?",
        "echte Person bitte",
        "MITARBEITERIN",
    ] {
        assert_eq!(lang_of(text), Some(Lang::De), "{text:?}");
    }
}

#[test]
fn french_requests_are_detected() {
    for text in [
        "Je veux parler à quelqu'un",
        "parler a quelqu’un svp",
        "Je voudrais parler à un conseiller",
        "un humain s'il vous plaît",
        "une vraie personne",
    ] {
        assert_eq!(lang_of(text), Some(Lang::Fr), "{text:?}");
    }
}

#[test]
fn spanish_requests_are_detected() {
    for text in [
        "Quiero hablar con una persona",
        "humano por favor",
        "¿Puedo hablar con alguien?",
        "persona real",
    ] {
        assert_eq!(lang_of(text), Some(Lang::Es), "{text:?}");
    }
}

#[test]
fn portuguese_requests_are_detected() {
    for text in [
        "Quero falar com um atendente",
        "falar com alguém",
        "ATENDENTE",
        "uma pessoa de verdade",
    ] {
        assert_eq!(lang_of(text), Some(Lang::Pt), "{text:?}");
    }
}

#[test]
fn dutch_requests_are_detected() {
    for text in [
        "Ik wil een medewerker spreken",
        "Kan ik met iemand praten?",
        "een echt persoon graag",
        "mens aub",
    ] {
        assert_eq!(lang_of(text), Some(Lang::Nl), "{text:?}");
    }
}

#[test]
fn look_alikes_are_not_requests() {
    for text in [
        "I work for a humanitarian organisation",
        "Please send the invoice to human resources",
        "That was a human error on my side",
        "My travel agent booked the trip",
        "The user agent string looks wrong",
        "How do I reset my password?",
        "I'm not a robot but the captcha says I am",
        "Ich bin kein Roboter",
        "Veel mensen hebben dit probleem",
        "Le conseiller m'a dit que c'était gratuit",
        "Trabajo en recursos humanos",
        "Os direitos humanos são importantes",
        "La humanidad entera",
        "",
    ] {
        assert_eq!(HandoffDetector::shared().detect(text), None, "{text:?}");
    }
}

#[test]
fn the_match_quotes_the_contact_s_own_words() {
    let m = HandoffDetector::shared()
        .detect("Hi, can I TALK to Someone please?")
        .unwrap();
    assert_eq!(m.phrase, "TALK to Someone");
}
