//! The shared corpus of awkward values and a fixed-seed generator.
#![allow(dead_code, missing_docs)]

pub mod parsers;

/// One test value with a readable name (the name is printed, the value never).
#[derive(Clone)]
pub struct Case {
    pub name: String,
    pub value: String,
}

fn c(name: &str, value: &str) -> Case {
    Case {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

pub const PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n\
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n\
NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n\
-----END PRIVATE KEY-----\n";

/// Hand-picked awkward values (DESIGN.md §7 and the brief's list).
pub fn corpus() -> Vec<Case> {
    vec![
        c("plain", "hello"),
        c("bare_punct", "a-b_c.d/e:f@g%h+i,j=k"),
        c("empty", ""),
        c("space", "hello world"),
        c("lead_trail_space", "  padded  "),
        c("only_spaces", "   "),
        c("hash", "abc#def"),
        c("space_hash", "abc #def"),
        c("leading_hash", "#abc"),
        c("equals", "a=b=c"),
        c("leading_equals", "=x"),
        c("single_quote", "it's"),
        c("double_quote", "say \"hi\""),
        c("both_quotes", "it's \"quoted\""),
        c("quoted_single", "'quoted'"),
        c("quoted_double", "\"quoted\""),
        c("dollar_var", "$HOME/bin"),
        c("dollar_brace", "${HOME}/bin"),
        c("dollar_brace_unclosed", "${HOME"),
        c("dollar_default", "${A:-b}"),
        c("dollar_paren", "$(whoami)"),
        c("dollar_alone", "cost: 5$"),
        c("single_and_dollar", "it's $5"),
        c("single_and_brace", "it's ${HOME}"),
        c("brace_and_double", "${X}\"y\""),
        c("backslash", "C:\\Users\\me"),
        c("backslash_n_literal", "line1\\nline2"),
        c("double_backslash", "a\\\\b"),
        c("trailing_backslash", "abc\\"),
        c("newline", "line1\nline2"),
        c("trailing_newline", "abc\n"),
        c("only_newline", "\n"),
        c("newline_space_hash", "a\n #b\nC=d"),
        c("newline_and_quote", "{\n  \"a\": 1\n}"),
        c("newline_and_single", "it's\nme"),
        c("newline_and_dollar", "a\n$b"),
        c("pem", PEM),
        c("json_blob", "{\"user\":\"admin\",\"pass\":\"p@ss w0rd\"}"),
        c("url_query", "https://example.com/cb?x=1&y=2#frag"),
        c(
            "url_userinfo",
            "postgres://user:p%40ss@db:5432/app?sslmode=require",
        ),
        c("base64", "dGVzdCBzZWNyZXQ="),
        c("base64_pad2", "YWJjZA=="),
        c("backtick", "run `id`"),
        c("backtick_single", "it's `id`"),
        c("cr", "a\rb"),
        c("crlf", "a\r\nb"),
        c("tab", "a\tb"),
        c("leading_tab", "\tindented"),
        c("trailing_tab", "x\t"),
        c("unicode", "héllo wörld ✓"),
        c("emoji", "🔑🚀 key"),
        c("rtl", "שלום עולם مرحبا"),
        c("combining", "e\u{301}a\u{308}"),
        c("nbsp_edges", "\u{a0}x\u{a0}"),
        c("line_separator", "a\u{2028}b"),
        c("next_line", "a\u{85}b"),
        c("bom_inside", "\u{feff}x"),
        c("bang", "wow!"),
        c("star", "*.example.com"),
        c("semicolon", "a;b"),
        c("amp", "a&b"),
        c("pipe", "a|b"),
        c("angle", "<tag>"),
        c("export_like", "export X=1"),
        c("colon_space", "key: value"),
        c("long", &"0123456789abcdef ".repeat(600)),
    ]
}

/// Corpus values that [`Dialect::Portable`] must refuse: each has no spelling
/// that all tested parsers read back identically (see docs/dotenv.md).
pub const PORTABLE_REFUSED: &[&str] = &[
    "both_quotes",        // `'` rules out '…', `"` rules out "…"
    "dollar_brace",       // python expands `${…}` even in '…'; `$` rules out "…"
    "dollar_default",     // ditto (`${A:-b}`)
    "single_and_dollar",  // `'` / `$` (dotenvy and ruby expand `$` in "…")
    "single_and_brace",   // `'` / `$`
    "brace_and_double",   // `${X}` (python expands it in '…') / `"`
    "double_backslash",   // `\\` is one `\` to python in '…'; `\` is an escape in "…"
    "trailing_backslash", // escapes the closing `'` for python and dotenvy
    "newline_and_quote",  // a line break must be "…\n…" (ruby 2.x), which forbids `"`
    "newline_and_dollar", // ditto, forbids `$`
    "backtick_single",    // `'` / backtick banned in "…" (shell safety, DESIGN.md)
    "cr",                 // npm dotenv and python turn CR into LF; dotenvy has no `\r`
    "crlf",
];

/// xorshift64*: small, deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Characters that stress quoting, weighted towards the troublemakers.
const ALPHABET: &[char] = &[
    'a', 'Z', '0', '_', '-', '.', '=', ':', '/', ' ', ' ', '\t', '\'', '\'', '"', '"', '\\', '\\',
    '$', '$', '{', '}', '(', ')', '#', '#', '`', '\n', '\n', '\r', '!', ';', '&', 'é', '🔑',
    '\u{2028}', '\u{a0}', 'n', 'r', '-',
];

/// `n` random values from [`ALPHABET`], lengths 0..=12, fixed seed.
pub fn generated(n: usize) -> Vec<Case> {
    let mut rng = Rng::new(0x00C0_FFE2_D07E_2025);
    (0..n)
        .map(|i| {
            let len = rng.below(13);
            let value: String = (0..len)
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect();
            Case {
                name: format!("gen{i:03}"),
                value,
            }
        })
        .collect()
}

/// Printable description of a value for failure messages in tests only
/// (test values are not secrets).
pub fn show(v: &str) -> String {
    let s = format!("{v:?}");
    if s.len() > 60 {
        format!(
            "{}…",
            &s[..s.char_indices().take(57).last().map_or(0, |(i, _)| i)]
        )
    } else {
        s
    }
}
