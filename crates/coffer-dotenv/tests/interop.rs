//! Interop with the real third-party dotenv parsers.
//!
//! Every corpus and generated value is rendered in every dialect and read back
//! by the parsers that dialect promises: for `portable`, npm `dotenv`,
//! `python-dotenv`, Ruby `dotenv`, Rust `dotenvy` and our own [`parse`]; for
//! a dialect, its own parser. A rendered value must come back byte-identical;
//! a refused value must be one for which no candidate spelling works (for
//! `portable`; checked by trying the candidates against the parsers).
//!
//! The external parsers live in `tests/interop/` (pinned versions) and are
//! installed by `make test`; when they are missing these tests FAIL, they
//! never skip. Ruby's dotenv comes from Debian (`apt-get install
//! ruby-dotenv`); `COFFER_INTEROP_SKIP_RUBY=1` leaves it out, loudly.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use coffer_dotenv::{parse, render, Dialect, Error, ExportEntry, Format};
use common::parsers::{read_docker_model, run_script, tools, Read, Tools};
use common::{corpus, generated, show, Case, PORTABLE_REFUSED};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Parser {
    Node,
    Python,
    Ruby,
    Dotenvy,
    Coffer,
    /// A transcription of docker/cli `opts/file.go` (no docker engine here).
    DockerModel,
}

impl Parser {
    fn label(self) -> &'static str {
        match self {
            Parser::Node => "node",
            Parser::Python => "python",
            Parser::Ruby => "ruby",
            Parser::Dotenvy => "dotenvy",
            Parser::Coffer => "coffer",
            Parser::DockerModel => "docker*",
        }
    }
}

fn read_dotenvy(file: &Path) -> Read {
    let iter = dotenvy::from_path_iter(file).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for item in iter {
        let (k, v) = item.map_err(|e| format!("dotenvy: {e}"))?;
        out.insert(k, v.into_bytes());
    }
    Ok(out)
}

fn read_coffer(file: &Path) -> Read {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let entries = parse(&text).map_err(|e| e.to_string())?;
    Ok(entries
        .into_iter()
        .map(|e| (e.key, e.value.as_bytes().to_vec()))
        .collect())
}

fn read_with(tools: &Tools, parser: Parser, files: &[PathBuf]) -> Vec<Read> {
    match parser {
        Parser::Node => run_script(
            Path::new("node"),
            &tools.interop.join("read_node.js"),
            files,
        ),
        Parser::Python => run_script(&tools.python, &tools.interop.join("read_python.py"), files),
        Parser::Ruby => run_script(
            Path::new("ruby"),
            &tools.interop.join("read_ruby.rb"),
            files,
        ),
        Parser::Dotenvy => files.iter().map(|f| read_dotenvy(f)).collect(),
        Parser::Coffer => files.iter().map(|f| read_coffer(f)).collect(),
        Parser::DockerModel => files.iter().map(|f| read_docker_model(f)).collect(),
    }
}

fn key_of(i: usize) -> String {
    format!("V{i:04}")
}

fn all_cases() -> Vec<Case> {
    let mut cases = corpus();
    // COFFER_INTEROP_GENERATED=5000 for a longer run (passes; about 40 s).
    let n = std::env::var("COFFER_INTEROP_GENERATED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    cases.extend(generated(n));
    cases
}

/// Result of one value under one parser, for the summary table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cell {
    Ok,
    Diff,
    Missing,
    FileError,
}

impl Cell {
    fn mark(self) -> &'static str {
        match self {
            Cell::Ok => "ok",
            Cell::Diff => "DIFF",
            Cell::Missing => "MISSING",
            Cell::FileError => "FILE-ERR",
        }
    }
}

fn cell(read: &Read, key: &str, want: &str) -> Cell {
    match read {
        Err(_) => Cell::FileError,
        Ok(map) => match map.get(key) {
            None => Cell::Missing,
            Some(got) if got.as_slice() == want.as_bytes() => Cell::Ok,
            Some(_) => Cell::Diff,
        },
    }
}

/// Renders all renderable `cases` for `dialect` into one file, reads it with
/// `parsers`, and returns (refused case indices, failure report).
fn check_dialect(
    tools: &Tools,
    dir: &Path,
    dialect: Dialect,
    parsers: &[Parser],
    cases: &[Case],
) -> (Vec<usize>, String) {
    let keys: Vec<String> = (0..cases.len()).map(key_of).collect();
    let mut refused = Vec::new();
    let mut accepted = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let entry = ExportEntry {
            key: &keys[i],
            value: &case.value,
            notes: None,
        };
        match render(&[entry], Format::Dotenv, dialect) {
            Ok(_) => accepted.push(i),
            Err(Error::Unrepresentable { .. }) => refused.push(i),
            Err(e) => panic!("{}: unexpected error {e}", case.name),
        }
    }
    let entries: Vec<ExportEntry<'_>> = accepted
        .iter()
        .map(|&i| ExportEntry {
            key: &keys[i],
            value: &cases[i].value,
            notes: None,
        })
        .collect();
    let text = render(&entries, Format::Dotenv, dialect).expect("each entry rendered alone");
    let file = dir.join(format!("{}.env", dialect.as_str()));
    std::fs::write(&file, text.as_bytes()).expect("write temp file");

    let reads: Vec<(Parser, Read)> = parsers
        .iter()
        .map(|&p| {
            let r = read_with(tools, p, std::slice::from_ref(&file)).remove(0);
            (p, r)
        })
        .collect();

    let mut report = String::new();
    for (p, r) in &reads {
        if let Err(e) = r {
            let _ = writeln!(
                report,
                "{}: {} could not read the file: {e}",
                dialect,
                p.label()
            );
        }
    }
    let mut rows = Vec::new();
    for &i in &accepted {
        let cells: Vec<Cell> = reads
            .iter()
            .map(|(_, r)| cell(r, &keys[i], &cases[i].value))
            .collect();
        if cells.iter().any(|c| *c != Cell::Ok) {
            rows.push((i, cells));
        }
    }
    if !rows.is_empty() {
        let _ = writeln!(
            report,
            "dialect {dialect}: {} of {} rendered values did not read back exactly",
            rows.len(),
            accepted.len()
        );
        let _ = write!(report, "  {:<24}", "value");
        for (p, _) in &reads {
            let _ = write!(report, " {:>9}", p.label());
        }
        let _ = writeln!(report, "  spelling");
        for (i, cells) in rows {
            let _ = write!(report, "  {:<24}", cases[i].name);
            for c in cells {
                let _ = write!(report, " {:>9}", c.mark());
            }
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("{}=", keys[i])))
                .unwrap_or("");
            let _ = writeln!(report, "  {} (value {})", show(line), show(&cases[i].value));
        }
    }
    (refused, report)
}

#[test]
fn portable_reads_back_identically_in_every_parser() {
    let tools = tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut parsers = vec![Parser::Node, Parser::Python];
    if tools.ruby {
        parsers.push(Parser::Ruby);
    }
    parsers.extend([Parser::Dotenvy, Parser::Coffer]);
    let cases = all_cases();
    let (refused, mut report) =
        check_dialect(&tools, dir.path(), Dialect::Portable, &parsers, &cases);

    // The corpus refusals are exactly the hand-labelled ones.
    let corpus_len = corpus().len();
    let refused_names: Vec<&str> = refused
        .iter()
        .filter(|&&i| i < corpus_len)
        .map(|&i| cases[i].name.as_str())
        .collect();
    let mut want: Vec<&str> = PORTABLE_REFUSED.to_vec();
    let mut got = refused_names.clone();
    want.sort_unstable();
    got.sort_unstable();
    if want != got {
        let _ = writeln!(
            report,
            "portable refused corpus values {got:?}, expected {want:?}"
        );
    }

    // Every refusal is justified: no candidate spelling reads back exactly in
    // all of node, python, ruby and dotenvy.
    let over = over_refused(&tools, dir.path(), &cases, &refused);
    for (i, spelling) in &over {
        let _ = writeln!(
            report,
            "portable refused {} (value {}) but {} reads back exactly everywhere",
            cases[*i].name,
            show(&cases[*i].value),
            spelling
        );
    }
    eprintln!(
        "portable: {} values, {} rendered, {} refused ({} in the corpus)",
        cases.len(),
        cases.len() - refused.len(),
        refused.len(),
        refused_names.len()
    );
    assert!(report.is_empty(), "\n{report}");
}

/// Candidate spellings of a value after `KEY=`.
fn candidates(v: &str) -> Vec<(&'static str, String)> {
    let esc = |v: &str, backslash: bool, quote: char, dollar: bool, cr: bool| {
        let mut s = String::new();
        for c in v.chars() {
            match c {
                '\\' if backslash => s.push_str("\\\\"),
                c if c == quote && backslash => {
                    s.push('\\');
                    s.push(c);
                }
                '$' if dollar => s.push_str("\\$"),
                '\n' if quote == '"' => s.push_str("\\n"),
                '\r' if cr => s.push_str("\\r"),
                c => s.push(c),
            }
        }
        s
    };
    vec![
        ("bare", v.to_owned()),
        ("'raw'", format!("'{v}'")),
        (
            "'py-escaped'",
            format!("'{}'", esc(v, true, '\'', false, false)),
        ),
        ("`raw`", format!("`{v}`")),
        ("\"raw\"", format!("\"{v}\"")),
        (
            "\"\\n\"",
            format!("\"{}\"", esc(v, false, '"', false, true)),
        ),
        (
            "\"\\\\ \\\" \\$ \\n\"",
            format!("\"{}\"", esc(v, true, '"', true, false)),
        ),
        (
            "\"\\\\ \\\" \\n \\r\"",
            format!("\"{}\"", esc(v, true, '"', false, true)),
        ),
    ]
}

/// For each refused value, the candidate spellings that nevertheless read
/// back exactly in every external parser. Double-quoted spellings of values
/// with a backtick are excluded: DESIGN.md bans backticks in `"…"` so that a
/// portable file stays inert when sourced by a POSIX shell.
fn over_refused(
    tools: &Tools,
    dir: &Path,
    cases: &[Case],
    refused: &[usize],
) -> Vec<(usize, String)> {
    let mut files = Vec::new();
    let mut meta = Vec::new();
    for &i in refused {
        for (n, (label, spelling)) in candidates(&cases[i].value).into_iter().enumerate() {
            if spelling.starts_with('"') && cases[i].value.contains('`') {
                continue;
            }
            let f = dir.join(format!("cand-{i}-{n}.env"));
            std::fs::write(&f, format!("K={spelling}\nZ=sentinel\n")).expect("write");
            files.push(f);
            meta.push((i, label));
        }
    }
    if files.is_empty() {
        return Vec::new();
    }
    let mut parsers = vec![Parser::Node, Parser::Python, Parser::Dotenvy];
    if tools.ruby {
        parsers.push(Parser::Ruby);
    }
    let reads: Vec<Vec<Read>> = parsers
        .iter()
        .map(|&p| read_with(tools, p, &files))
        .collect();
    let mut over = Vec::new();
    for (f, (i, label)) in meta.into_iter().enumerate() {
        let all_ok = reads.iter().all(|r| {
            cell(&r[f], "K", &cases[i].value) == Cell::Ok
                && cell(&r[f], "Z", "sentinel") == Cell::Ok
        });
        if all_ok {
            over.push((i, label.to_owned()));
        }
    }
    over
}

#[test]
fn each_dialect_reads_back_identically_in_its_parser() {
    let tools = tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = all_cases();
    let mut report = String::new();
    let mut summary = Vec::new();
    for (dialect, parser) in [
        (Dialect::Node, Parser::Node),
        (Dialect::Python, Parser::Python),
        (Dialect::Rust, Parser::Dotenvy),
        (Dialect::Docker, Parser::DockerModel),
    ] {
        let (refused, r) = check_dialect(&tools, dir.path(), dialect, &[parser], &cases);
        report.push_str(&r);
        let names: Vec<&str> = refused
            .iter()
            .filter(|&&i| i < corpus().len())
            .map(|&i| cases[i].name.as_str())
            .collect();
        summary.push(format!(
            "{dialect}: {} refused ({} in corpus: {names:?})",
            refused.len(),
            names.len()
        ));
        if dialect == Dialect::Rust && !refused.is_empty() {
            let _ = writeln!(
                report,
                "rust: dotenvy can represent every value, yet refused {names:?}"
            );
        }
    }
    // compose-go is not available here (no docker compose plugin, no Go
    // toolchain new enough): the compose dialect is checked only for
    // determinism and by the unit tests; see docs/dotenv.md.
    for case in &cases {
        let e = ExportEntry {
            key: "K",
            value: &case.value,
            notes: None,
        };
        let _ = render(&[e], Format::Dotenv, Dialect::Compose);
    }
    eprintln!("{}", summary.join("\n"));
    assert!(report.is_empty(), "\n{report}");
}

#[test]
fn shell_format_reads_back_identically_in_sh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = all_cases();
    let keys: Vec<String> = (0..cases.len()).map(key_of).collect();
    let entries: Vec<ExportEntry<'_>> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| ExportEntry {
            key: &keys[i],
            value: &c.value,
            notes: None,
        })
        .collect();
    let text = render(&entries, Format::Shell, Dialect::Portable).expect("shell renders all");
    let file = dir.path().join("env.sh");
    std::fs::write(&file, text.as_bytes()).expect("write");
    let mut bad = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let script = format!(". '{}'; printf %s \"${}\"", file.display(), keys[i]);
        let out = Command::new("sh")
            .args(["-c", &script])
            .output()
            .expect("run sh");
        if !out.status.success() || out.stdout != case.value.as_bytes() {
            bad.push(format!("{} (value {})", case.name, show(&case.value)));
        }
    }
    assert!(bad.is_empty(), "sh read back differently: {bad:#?}");
}
