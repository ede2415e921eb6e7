//! `@handle` mentions in notes.

/// The distinct handles mentioned in a body, lower-cased, in order of appearance.
/// A handle is `@` followed by letters, digits, `.`, `_` or `-`, not preceded by a
/// word character (so `bob@example.com` mentions nobody).
pub fn parse_mentions(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' && (i == 0 || !is_handle_char(chars[i - 1])) {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && is_handle_char(chars[end]) {
                end += 1;
            }
            // A trailing dot ends a sentence, not a handle.
            while end > start && matches!(chars[end - 1], '.' | '-') {
                end -= 1;
            }
            if end > start {
                let h: String = chars[start..end].iter().collect::<String>().to_lowercase();
                if !out.contains(&h) {
                    out.push(h);
                }
            }
            i = end.max(start);
        } else {
            i += 1;
        }
    }
    out
}

fn is_handle_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_case_insensitively_and_once() {
        assert_eq!(
            parse_mentions("@Alice can you check? cc @bob.smith and @alice."),
            vec!["alice", "bob.smith"]
        );
    }

    #[test]
    fn email_addresses_are_not_mentions() {
        assert!(parse_mentions("write to bob@example.com").is_empty());
        assert!(parse_mentions("just an @ sign").is_empty());
    }
}
