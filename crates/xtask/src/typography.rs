//! French typography in prose (code already blanked out): a space before
//! `:`, `;`, `?` and `!`, and inside « ». Shared by `cargo xtask docs` (the
//! French rule pages) and the core's tests (the French messages), which
//! include this file with `#[path]`.

/// The characters of `prose` that lack their space, in order.
pub(crate) fn missing_spaces(prose: &str) -> Vec<char> {
    let chars: Vec<char> = prose.chars().collect();
    let mut missing = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let bad = match c {
            ':' | ';' | '?' | '!' => {
                before.is_some_and(|b| !b.is_whitespace()) && after.is_none_or(char::is_whitespace)
            }
            '«' => after.is_some_and(|a| !a.is_whitespace()),
            '»' => before.is_some_and(|b| !b.is_whitespace()),
            _ => false,
        };
        if bad {
            missing.push(c);
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_space_before_double_punctuation_and_inside_guillemets() {
        assert_eq!(
            super::missing_spaces("Note : ok ; «x» a: b? c ! d:e"),
            ['«', '»', ':', '?']
        );
        assert!(super::missing_spaces("« ok » : oui ; non ? si !").is_empty());
    }
}
