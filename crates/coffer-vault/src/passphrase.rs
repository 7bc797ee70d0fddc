//! The one passphrase policy, for the CLI (`identity new`, `passwd`) and
//! the desktop app (first run, Settings → change passphrase, the strength
//! meter) alike: at least [`MIN_PASSPHRASE_CHARS`] characters, and a
//! strength estimate of at least [`MIN_SCORE`] ("Strong") from
//! [zxcvbn](https://github.com/shssoichiro/zxcvbn-rs), Dropbox's estimator:
//! it counts the guesses an attacker who tries common passwords, words,
//! names, dates, keyboard patterns and l33t substitutions first would need,
//! and says what to change. Why zxcvbn and why these numbers:
//! `docs/design-decisions.md`, "The passphrase policy".
//!
//! The policy applies where a person chooses a passphrase; the Argon2id
//! slot ([`crate::IdentityStore::create`]) is the mechanism and takes what
//! it is given (tests and benchmarks create identities at fixed
//! passphrases).
//!
//! ```
//! use coffer_crypto::SecretString;
//! use coffer_vault::passphrase::{assess, check_new_passphrase};
//!
//! let weak = assess(&SecretString::new("correct horse battery staple".into()), &[]);
//! assert!(!weak.acceptable);
//! assert!(check_new_passphrase(&SecretString::new("short".into()), &[]).is_err());
//! let good = SecretString::new("velvet crane ambles under 9 moons".into());
//! assert!(check_new_passphrase(&good, &["Ada Lovelace"]).is_ok());
//! ```

use coffer_crypto::SecretString;
use serde::Serialize;

use crate::error::{Error, Result};

/// The shortest passphrase a new identity or a passphrase change accepts,
/// in characters (Unicode scalar values).
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// The lowest zxcvbn score (0–4) a new passphrase may have: 3, "Strong",
/// at least 10^8 guesses by zxcvbn's count. Behind Argon2id at ≥ 0.5 s a
/// guess on one core, that is years of work for an offline attacker.
pub const MIN_SCORE: u8 = 3;

/// zxcvbn's scores in words, for both front ends.
const LABELS: [&str; 5] = ["Very weak", "Weak", "Fair", "Strong", "Very strong"];

/// Passphrases published as examples, lower-cased with everything but
/// letters and digits removed. zxcvbn scores their words as independent
/// dictionary words ("correct horse battery staple" comes out "very
/// strong", 10^19 guesses), but attackers' word lists carry these phrases
/// whole, so a passphrase that contains one counts as weak.
const PUBLISHED: &[&str] = &[
    // xkcd 936, the best known passphrase of all, and its "bad" example.
    "correcthorsebatterystaple",
    "tr0ub4dor3",
];

/// The highest score a passphrase containing a [`PUBLISHED`] phrase gets.
const PUBLISHED_MAX_SCORE: u8 = 1;

/// What the policy says about a passphrase. Holds no part of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PassphraseStrength {
    /// zxcvbn's score, 0 (very weak) to 4 (very strong).
    pub score: u8,
    /// The score in words ("Very weak" … "Very strong").
    pub label: &'static str,
    /// What to change, in sentences (zxcvbn's warning and suggestions, and
    /// the length rule); empty when there is nothing to say.
    pub feedback: String,
    /// Whether a new identity or a passphrase change accepts it.
    pub acceptable: bool,
    /// Under [`MIN_PASSPHRASE_CHARS`] (the refusal says so, whatever the
    /// score).
    #[serde(skip)]
    too_short: bool,
}

impl PassphraseStrength {
    /// The one-line refusal both front ends show, or `None` if acceptable.
    pub fn refusal(&self) -> Option<String> {
        if self.acceptable {
            return None;
        }
        Some(if self.too_short {
            format!("the new passphrase must be at least {MIN_PASSPHRASE_CHARS} characters long")
        } else if self.feedback.is_empty() {
            format!(
                "the new passphrase is too weak ({}); add another word or two",
                self.label.to_lowercase()
            )
        } else {
            format!(
                "the new passphrase is too weak ({}): {}",
                self.label.to_lowercase(),
                self.feedback
            )
        })
    }
}

/// The first sentence of the feedback for a passphrase under the minimum
/// ([`MIN_PASSPHRASE_CHARS`]; a test keeps the two in step).
const TOO_SHORT: &str = "Use at least 10 characters.";

/// Rates `password`. `user_inputs` are words an attacker would try first
/// for this person (name, email): a passphrase built on them scores lower.
/// Only the first 100 characters are rated (zxcvbn's own bound: the work
/// grows with the square of the length).
///
/// zxcvbn copies parts of the passphrase into its match list while it
/// works; those copies are dropped (not wiped) before this returns, and
/// nothing of the passphrase is in the result.
pub fn assess(password: &SecretString, user_inputs: &[&str]) -> PassphraseStrength {
    let pw = password.expose_secret();
    let short = pw.chars().count() < MIN_PASSPHRASE_CHARS;
    let mut inputs: Vec<&str> = vec!["coffer"];
    inputs.extend(user_inputs.iter().flat_map(|s| {
        // "Ada Lovelace <ada@example.com>": each word on its own too.
        std::iter::once(*s).chain(s.split(|c: char| !c.is_alphanumeric()))
    }));
    inputs.retain(|s| s.chars().count() >= 3);
    let (mut score, mut sentences) = if pw.is_empty() {
        (0, Vec::new())
    } else {
        let entropy = zxcvbn::zxcvbn(pw, &inputs);
        let sentences = entropy
            .feedback()
            .map(|f| {
                f.warning()
                    .map(|w| w.to_string())
                    .into_iter()
                    .chain(f.suggestions().iter().map(|s| s.to_string()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        (u8::from(entropy.score()), sentences)
    };
    if contains_published(pw) {
        score = score.min(PUBLISHED_MAX_SCORE);
        sentences = vec![
            "It contains a published example passphrase, which attackers try first.".into(),
            "Choose your own unrelated words.".into(),
        ];
    }
    if short {
        sentences.insert(0, TOO_SHORT.into());
    } else if score < MIN_SCORE && sentences.is_empty() {
        sentences.push("Add another word or two. Uncommon words are better.".into());
    }
    sentences.dedup();
    PassphraseStrength {
        score,
        label: LABELS[usize::from(score.min(4))],
        feedback: sentences.join(" "),
        acceptable: !short && score >= MIN_SCORE,
        too_short: short,
    }
}

/// Whether `pw`, reduced to lower-case letters and digits, contains one of
/// the [`PUBLISHED`] phrases.
fn contains_published(pw: &str) -> bool {
    let folded: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
        pw.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect(),
    );
    PUBLISHED.iter().any(|p| folded.contains(p))
}

/// Checks a new passphrase against the policy: `Ok` if [`assess`] finds it
/// acceptable, else [`Error::InvalidInput`] with
/// [`PassphraseStrength::refusal`]'s message (it never quotes the
/// passphrase).
pub fn check_new_passphrase(password: &SecretString, user_inputs: &[&str]) -> Result<()> {
    match assess(password, user_inputs).refusal() {
        None => Ok(()),
        Some(why) => Err(Error::InvalidInput(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(pw: &str) -> PassphraseStrength {
        assess(&SecretString::new(pw.into()), &[])
    }

    #[test]
    fn fail_the_xkcd_passphrase_is_not_very_strong() {
        for pw in [
            "correct horse battery staple",
            "Correct Horse Battery Staple",
            "correct-horse-battery-staple!",
            "correcthorsebatterystaple",
            "Tr0ub4dor&3 and more",
        ] {
            let s = rate(pw);
            assert!(s.score <= 1, "{pw}: {s:?}");
            assert!(!s.acceptable, "{pw}");
            assert!(s.feedback.contains("published example"), "{pw}: {s:?}");
            let why = s.refusal().expect("refused");
            assert!(
                why.starts_with("the new passphrase is too weak (weak"),
                "{why}"
            );
            assert!(!why.to_lowercase().contains("horse"), "{why}");
        }
    }

    #[test]
    fn fail_short_passphrases() {
        for pw in ["", "short", "abc", "9 chars!!"] {
            let s = rate(pw);
            assert!(!s.acceptable, "{pw:?}");
            assert!(s.feedback.starts_with(TOO_SHORT), "{pw:?}: {s:?}");
            assert_eq!(
                s.refusal().as_deref(),
                Some("the new passphrase must be at least 10 characters long")
            );
        }
        assert!(TOO_SHORT.contains(&format!(" {MIN_PASSPHRASE_CHARS} ")));
        // Ten characters of something strong are enough.
        assert!(rate("k8#Vq2!mZp").acceptable);
    }

    #[test]
    fn fail_common_and_patterned_passphrases() {
        for pw in [
            "password123",
            "qwertyuiop",
            "aaaaaaaaaaaa",
            "abcdefghijkl",
            "1234567890",
            "iloveyou2024",
        ] {
            let s = rate(pw);
            assert!(s.score < MIN_SCORE, "{pw}: {s:?}");
            assert!(!s.feedback.is_empty(), "{pw}: no advice");
            let why = s.refusal().expect("refused");
            assert!(why.starts_with("the new passphrase is too weak"), "{why}");
            assert!(!why.contains(pw), "{why}");
        }
    }

    #[test]
    fn fail_a_passphrase_built_on_the_users_name() {
        let pw = SecretString::new("Ada Lovelace!".into());
        let plain = assess(&pw, &[]);
        let personal = assess(&pw, &["Ada Lovelace", "ada@example.com"]);
        assert!(personal.score <= plain.score, "{plain:?} vs {personal:?}");
        assert!(personal.score < MIN_SCORE, "{personal:?}");
        assert!(check_new_passphrase(&pw, &["Ada Lovelace"]).is_err());
        // A word of the name inside a longer passphrase counts as known too.
        let pw = SecretString::new("adalovelace1815".into());
        assert!(
            assess(&pw, &["Ada Lovelace"]).score < assess(&pw, &[]).score,
            "the name did not count"
        );
    }

    #[test]
    fn good_passphrases_pass() {
        for pw in [
            "velvet crane ambles under 9 moons",
            "plum-glacier-otter-tuba",
            "mauve turbine 41 anchor",
        ] {
            let s = rate(pw);
            assert!(s.acceptable, "{pw}: {s:?}");
            assert!(s.score >= MIN_SCORE);
            assert_eq!(s.refusal(), None);
            assert_eq!(s.label, LABELS[usize::from(s.score)]);
        }
    }

    #[test]
    fn labels_follow_the_score() {
        assert_eq!(rate("").label, "Very weak");
        assert_eq!(
            rate("velvet crane ambles under 9 moons").label,
            "Very strong"
        );
    }
}
