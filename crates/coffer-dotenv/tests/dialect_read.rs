//! `parse_dialect` against the real parsers, on the same files.
//!
//! For each dialect, every file in `tests/dialect/` plus a few hundred
//! generated files (fixed seed; `COFFER_DIALECT_GENERATED=N` for more) is read
//! by the real parser (npm `dotenv`, `python-dotenv`, Ruby `dotenv`; docker
//! through the transcription in `common/parsers.rs`, as no engine runs here)
//! and by [`parse_dialect`]. Where `parse_dialect` reads a file, it must read
//! exactly the parser's keys and value bytes (keys Coffer cannot hold
//! included: the importer refuses those later, by name). Where it refuses,
//! the reason must be one the module documents (a value that depends on the
//! environment or a command, a line break only JavaScript knows), never a
//! plain disagreement.
//!
//! Generated files never contain `(`: Ruby's dotenv runs `$(…)` as a shell
//! command while reading.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use coffer_dotenv::{parse_dialect, Error, ImportDialect};
use common::parsers::{read_docker_model, run_compose, run_script, tools, Read};

fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/dialect");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/dialect")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "env"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "fixtures missing in {}", dir.display());
    files
}

/// A small xorshift, so the generated files are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Lines built from the pieces parsers disagree on, plus `extra` atoms
/// (compose's interpolation forms, for the compose dialect only, so that
/// the other dialects' files stay as they were).
fn generated(dir: &std::path::Path, extra: &[&'static str]) -> Vec<PathBuf> {
    let n: usize = std::env::var("COFFER_DIALECT_GENERATED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let keys = [
        "A",
        "B",
        "KEY_1",
        "export A",
        "export  B",
        " C",
        "D ",
        "a.b",
        "'Q'",
    ];
    let seps = ["=", " = ", "=  ", ": ", "="];
    let mut atoms = vec![
        "x", "y z", "'", "\"", "`", "$", "$A", "${A}", "${B:-d}", "\\", "\\n", "\\$", "#", " #c",
        "=", "\t", "é", " ", "{", "}", "\\'", "\\\"", "$KEY_1", "\u{a0}",
    ];
    atoms.extend_from_slice(extra);
    let ends = ["\n", "\n", "\r\n", "\n\n", "\r", ""];
    let mut rng = Rng(0x5eed_c0ff_ee00_1234);
    (0..n)
        .map(|i| {
            let mut text = String::new();
            for _ in 0..(1 + rng.next() % 6) {
                if rng.next() % 9 == 0 {
                    text.push_str("# comment ' \" $x\n");
                    continue;
                }
                text.push_str(rng.pick(&keys));
                text.push_str(rng.pick(&seps));
                for _ in 0..(rng.next() % 6) {
                    text.push_str(rng.pick(&atoms));
                }
                text.push_str(rng.pick(&ends));
            }
            let p = dir.join(format!("gen{i:04}.env"));
            std::fs::write(&p, text).expect("write generated file");
            p
        })
        .collect()
}

fn ours(file: &std::path::Path, d: ImportDialect) -> Result<BTreeMap<String, Vec<u8>>, Vec<Error>> {
    let text = std::fs::read_to_string(file).expect("fixture is UTF-8");
    parse_dialect(&text, d).map(|r| {
        r.entries
            .into_iter()
            .map(|e| (e.key, e.value.as_bytes().to_vec()))
            .collect()
    })
}

/// Whether our refusal is one the module documents, given what the real
/// parser did. A "compose refuses …" reason must match a real compose error.
fn documented_refusal(e: &Error, theirs: &Read) -> bool {
    match e {
        Error::Unresolvable { .. } => true,
        Error::Parse { reason, .. } if reason.starts_with("compose refuses") => theirs.is_err(),
        Error::Parse { reason, .. } => {
            reason.contains("U+2028")
                || reason.contains("`export`")
                || reason.contains("docker")
                || reason.contains("Coffer cannot store")
                || reason.contains("NUL")
        }
        _ => false,
    }
}

/// Returns (read exactly as the parser, refused, refused where the parser
/// failed too).
fn check(d: ImportDialect, files: &[PathBuf], theirs: &[Read]) -> (usize, usize, usize) {
    let (mut agreed, mut refused, mut both) = (0, 0, 0);
    let mut failures = Vec::new();
    for (file, theirs) in files.iter().zip(theirs) {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match (ours(file, d), theirs) {
            (Ok(ours), Ok(theirs)) => {
                if &ours == theirs {
                    agreed += 1;
                } else {
                    let keys: Vec<&String> = ours
                        .keys()
                        .chain(theirs.keys())
                        .filter(|k| ours.get(*k) != theirs.get(*k))
                        .collect();
                    failures.push(format!("{name}: {d} reads keys {keys:?} differently"));
                }
            }
            (Ok(_), Err(why)) => failures.push(format!(
                "{name}: the real {d} parser failed ({why}) where we read the file"
            )),
            (Err(es), _) => {
                if let Some(e) = es.iter().find(|e| !documented_refusal(e, theirs)) {
                    failures.push(format!(
                        "{name}: {d} refused for an undocumented reason: {e}"
                    ));
                } else {
                    refused += 1;
                    both += usize::from(theirs.is_err());
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (agreed, refused, both)
}

fn run(d: ImportDialect, files: &[PathBuf]) -> Vec<Read> {
    let t = tools();
    match d {
        ImportDialect::Node => run_script(
            std::path::Path::new("node"),
            &t.interop.join("read_node.js"),
            files,
        ),
        ImportDialect::Python => run_script(&t.python, &t.interop.join("read_python.py"), files),
        ImportDialect::Ruby => {
            assert!(
                t.ruby,
                "Ruby's dotenv is required for the ruby dialect test"
            );
            run_script(
                std::path::Path::new("ruby"),
                &t.interop.join("read_ruby.rb"),
                files,
            )
        }
        ImportDialect::Docker => files.iter().map(|f| read_docker_model(f)).collect(),
        ImportDialect::Compose => run_compose(files),
    }
}

fn dialect(d: ImportDialect) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixed = fixtures();
    let (a, r, _) = check(d, &fixed, &run(d, &fixed));
    assert!(a >= 2, "{d}: only {a} of the fixtures read (refused {r})");
    let extra: &[&str] = if d == ImportDialect::Compose {
        &[
            "$$",
            "${A:+p}",
            "${A-q}",
            "${A:?e}",
            "${KEY_1?e}",
            "${A:-${B}}",
            "\\0101",
            "\\a",
            "${",
            "$1",
            "${A}}",
        ]
    } else {
        &[]
    };
    let gen = generated(dir.path(), extra);
    let (a, r, both) = check(d, &gen, &run(d, &gen));
    eprintln!(
        "{d}: {a} generated files read exactly as the real parser does, {r} refused \
         ({both} of them the parser refuses too)"
    );
    // The generated keys are shaped for the dotenv libraries; docker
    // refuses most of them (`export A`, ` C`, `a: b`), and so does its parser;
    // compose-go fails on most unbalanced quotes the atoms make.
    let floor = if matches!(d, ImportDialect::Docker | ImportDialect::Compose) {
        7
    } else {
        2
    };
    assert!(
        a * floor >= gen.len(),
        "{d}: too many refusals ({r} of {})",
        gen.len()
    );
}

#[test]
fn node_reads_as_npm_dotenv() {
    dialect(ImportDialect::Node);
}

#[test]
fn python_reads_as_python_dotenv() {
    dialect(ImportDialect::Python);
}

#[test]
fn ruby_reads_as_ruby_dotenv() {
    if std::env::var_os("COFFER_INTEROP_SKIP_RUBY").is_some_and(|v| v == "1") {
        eprintln!("WARNING: COFFER_INTEROP_SKIP_RUBY=1: the ruby dialect is NOT checked");
        return;
    }
    dialect(ImportDialect::Ruby);
}

#[test]
fn compose_reads_as_compose_go() {
    dialect(ImportDialect::Compose);
}

#[test]
fn docker_reads_as_docker_cli() {
    dialect(ImportDialect::Docker);
}

/// The fixtures hold what the portable reader refuses: each dialect is the
/// way forward for its own file.
#[test]
fn fixtures_need_a_dialect() {
    for (file, d) in [
        ("node-app.env", ImportDialect::Node),
        ("python-app.env", ImportDialect::Python),
        ("ruby-app.env", ImportDialect::Ruby),
    ] {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/dialect")
            .join(file);
        let text = std::fs::read_to_string(p).expect("fixture");
        assert!(
            coffer_dotenv::parse(&text).is_err(),
            "{file} parses portably"
        );
        assert!(
            parse_dialect(&text, d).is_ok(),
            "{file} does not read as {d}"
        );
    }
}
