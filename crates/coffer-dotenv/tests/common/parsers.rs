//! The real third-party parsers (installed by `make test` / `scripts/deps.sh`)
//! and the docker transcription, shared by `interop.rs` and `dialect_read.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one parser made of one file: key -> value bytes, or why it failed.
pub type Read = Result<BTreeMap<String, Vec<u8>>, String>;

pub struct Tools {
    pub interop: PathBuf,
    pub python: PathBuf,
    pub ruby: bool,
}

pub fn tools() -> Tools {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let interop = root.join("tests/interop");
    let python = root.join(".cache/interop-venv/bin/python");
    let mut missing = Vec::new();
    if !interop.join("node_modules/dotenv/package.json").is_file() {
        missing.push(format!(
            "{} (npm ci --prefix tests/interop)",
            interop.join("node_modules/dotenv").display()
        ));
    }
    if !python.is_file() {
        missing.push(format!(
            "{} (python3 -m venv .cache/interop-venv && .cache/interop-venv/bin/pip install -r tests/interop/requirements.txt)",
            python.display()
        ));
    }
    let skip_ruby = std::env::var_os("COFFER_INTEROP_SKIP_RUBY").is_some_and(|v| v == "1");
    let ruby = !skip_ruby;
    if ruby {
        let ok = Command::new("ruby")
            .args(["-e", "require 'dotenv'"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            missing.push(
                "Ruby's dotenv (apt-get install ruby-dotenv, or set COFFER_INTEROP_SKIP_RUBY=1)"
                    .to_owned(),
            );
        }
    } else {
        eprintln!("WARNING: COFFER_INTEROP_SKIP_RUBY=1: Ruby's dotenv is NOT checked");
    }
    assert!(
        missing.is_empty(),
        "interop parsers are missing; run `make test` (it installs them). Missing:\n  {}",
        missing.join("\n  ")
    );
    Tools {
        interop,
        python,
        ruby,
    }
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex from reader script"))
        .collect()
}

pub fn from_json(v: &serde_json::Value) -> Read {
    let obj = v.as_object().ok_or("reader printed a non-object")?;
    Ok(obj
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|h| (k.clone(), unhex(h))))
        .collect())
}

/// Runs an external reader script on all `files` at once.
pub fn run_script(program: &Path, script: &Path, files: &[PathBuf]) -> Vec<Read> {
    let out = Command::new(program)
        .arg(script)
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; run `make test`", program.display()));
    if !out.status.success() {
        let why = format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        return files.iter().map(|_| Err(why.clone())).collect();
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("reader script prints JSON");
    match (&json, files.len()) {
        (serde_json::Value::Array(items), n) if n != 1 => items.iter().map(from_json).collect(),
        (_, 1) => vec![from_json(&json)],
        _ => panic!("unexpected reader output shape"),
    }
}

/// docker/cli `opts/file.go` `parseKeyValueFile`, transcribed: a
/// `bufio.Scanner` (lines split on LF, one trailing CR dropped, 64 KiB max),
/// BOM trimmed on line 1, leading whitespace trimmed, `#` lines skipped,
/// split at the first `=`, value passed through untouched.
pub fn read_docker_model(file: &Path) -> Read {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for (n, raw) in text.split_terminator('\n').enumerate() {
        let mut line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.len() >= 64 * 1024 {
            return Err("bufio.Scanner: token too long".into());
        }
        if n == 0 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (var, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        let var = var.trim_start_matches([' ', '\t']);
        if var.contains([' ', '\t']) || var.is_empty() {
            return Err("poorly formatted environment".into());
        }
        if let Some(v) = value {
            out.insert(var.to_owned(), v.as_bytes().to_vec());
        }
    }
    Ok(out)
}

/// Builds `tests/interop/compose` (compose-go's own `dotenv` and `template`
/// Go files, unchanged, behind a small reader) with the machine's `go`,
/// offline, once per test binary; returns the reader's path.
pub fn compose_reader() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let src = tools().interop.join("compose");
            let bin = std::env::temp_dir().join(format!("coffer-read-compose-{}", std::process::id()));
            let out = Command::new("go")
                .args(["build", "-o"])
                .arg(&bin)
                .arg(".")
                .current_dir(&src)
                .env("GOFLAGS", "-mod=mod")
                .env("GOPROXY", "off")
                .env("GOTOOLCHAIN", "local")
                .output()
                .unwrap_or_else(|e| {
                    panic!("cannot run `go` ({e}): install it (apt-get install golang-go; `make test` does)")
                });
            assert!(
                out.status.success(),
                "building {} failed:\n{}",
                src.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            bin
        })
        .clone()
}

/// Runs compose-go's parser on all `files` at once (see [`compose_reader`]).
pub fn run_compose(files: &[PathBuf]) -> Vec<Read> {
    let out = Command::new(compose_reader())
        .args(files)
        .output()
        .expect("run the compose reader");
    assert!(out.status.success(), "the compose reader failed");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("reader prints JSON");
    let one = |v: &serde_json::Value| -> Read {
        match v.get("compose error").and_then(|e| e.as_str()) {
            Some(e) => Err(e.to_owned()),
            None => from_json(v),
        }
    };
    match (&json, files.len()) {
        (serde_json::Value::Array(items), n) if n != 1 => items.iter().map(one).collect(),
        (_, 1) => vec![one(&json)],
        _ => panic!("unexpected reader output shape"),
    }
}
