//! Counted nouns for what the CLI and the app say: "1 credential",
//! "3 credentials", never "credential(s)" (issue 13, words).

/// `n` followed by `noun`, with an `s` unless `n` is 1: `count(2, "share")`
/// is `"2 shares"`. For a noun whose plural is not `noun + "s"`, use
/// [`count_as`].
pub fn count(n: impl std::fmt::Display, noun: &str) -> String {
    let n = n.to_string();
    if n == "1" {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `n` followed by `one` when `n` is 1, else by `many`:
/// `count_as(3, "entry", "entries")` is `"3 entries"`.
pub fn count_as(n: impl std::fmt::Display, one: &str, many: &str) -> String {
    let n = n.to_string();
    if n == "1" {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(0, "credential"), "0 credentials");
        assert_eq!(count(1, "credential"), "1 credential");
        assert_eq!(count(2, "credential"), "2 credentials");
        assert_eq!(count_as(1, "entry", "entries"), "1 entry");
        assert_eq!(count_as(5, "entry", "entries"), "5 entries");
        assert_eq!(count(1u64, "device"), "1 device");
        assert_eq!(count(10usize, "device"), "10 devices");
    }
}
