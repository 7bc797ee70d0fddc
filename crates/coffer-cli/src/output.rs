//! Tables and colour. Colour only on a terminal, and never with NO_COLOR.

use std::io::IsTerminal;

use coffer_vault::rotation::Status;

/// Whether to colour stdout.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A status, coloured if wanted.
pub fn status(s: Status) -> String {
    if !colour() {
        return s.as_str().to_string();
    }
    let c = match s {
        Status::Exposed | Status::Expired | Status::Overdue => "31",
        Status::DueSoon => "33",
        Status::Ok => "32",
    };
    format!("\x1b[{c}m{}\x1b[0m", s.as_str())
}

fn visible_len(s: &str) -> usize {
    // Skip ANSI colour sequences when measuring.
    let mut n = 0;
    let mut esc = false;
    for ch in s.chars() {
        match (esc, ch) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Prints a table with a header row, columns padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(visible_len(c));
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(w[i] - visible_len(c) + 2));
            }
        }
        outln!("{}", s.trim_end());
    };
    line(header.iter().map(|h| h.to_uppercase()).collect());
    for r in rows {
        line(r.clone());
    }
}

/// Prints JSON.
pub fn json<T: serde::Serialize>(v: &T) -> coffer_vault::Result<()> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| coffer_vault::Error::InvalidInput(format!("encoding JSON: {e}")))?;
    outln!("{s}");
    Ok(())
}

/// A short excerpt of notes for a table.
pub fn excerpt(s: Option<&str>, n: usize) -> String {
    let s = s.unwrap_or("").lines().next().unwrap_or("");
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    } else {
        s.to_string()
    }
}
