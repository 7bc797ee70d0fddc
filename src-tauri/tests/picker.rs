//! Native file dialogs (issue 13) and the confinement of typed paths
//! (issue 10): a path the user chose in the dialog shown from Rust
//! (`pick_path`, here answered by the debug-build test seam,
//! `picker::scripted`) is accepted once, by the command of that purpose,
//! even outside home and the temporary folder; the same path typed is
//! refused with `{code: "permission"}` and nothing is written.
//!
//! One test function: it sets `HOME` and `TMPDIR` for the whole process.

use std::path::Path;

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{picker, IpcErrorCode, Session};

mod common;
use common::{ada_with_vault, add_env, confined, secret, set_value, Confined, PW};

fn export(path: &Path, overwrite: bool) -> ExportArgs {
    ExportArgs {
        env: "web/dev".into(),
        format: "dotenv".into(),
        dialect: "portable".into(),
        path: path.display().to_string(),
        overwrite,
        write_anyway: false,
    }
}

fn pick(s: &Session, answers: &Path, choose: &Path, purpose: PickPurpose) -> String {
    std::fs::write(answers, format!("{}\n", choose.display())).expect("answer");
    c::pick_path(
        s,
        PickPathArgs {
            purpose,
            current: None,
        },
    )
    .expect("pick")
    .path
    .expect("chosen")
}

#[test]
fn a_path_chosen_in_the_dialog_is_accepted_once_and_only_for_its_purpose() {
    let Confined {
        dir, home, outside, ..
    } = confined();

    let s = Session::new(home.join(".coffer"), home.join("vault.coffer"));
    // No dialog set up: said, not a panic.
    let e = c::pick_path(
        &s,
        PickPathArgs {
            purpose: PickPurpose::Export,
            current: None,
        },
    )
    .expect_err("no dialog");
    assert_eq!(e.code, IpcErrorCode::Internal);

    let answers = dir.path().join("answers");
    s.set_path_picker(picker::scripted(answers.clone()));
    ada_with_vault(&s, None, PW);
    add_env(&s, "web/dev");
    set_value(&s, "web/dev", "API_KEY", "api-value");

    let target = outside.join("app.env");
    // Typed: refused, nothing written.
    let e = c::export_env(&s, export(&target, false)).expect_err("typed outside");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");
    assert!(
        e.message.contains("outside your home folder"),
        "{}",
        e.message
    );
    assert!(e.message.contains("Choose…"), "the way out: {}", e.message);
    assert!(!target.exists());

    // Cancelled: no path, no grant.
    std::fs::write(&answers, "").expect("cancel");
    let none = c::pick_path(
        &s,
        PickPathArgs {
            purpose: PickPurpose::Export,
            current: Some("~/project/.env".into()),
        },
    )
    .expect("cancelled");
    assert_eq!(none.path, None);
    let asked = std::fs::read_to_string(dir.path().join("answers.asked")).expect("asked");
    assert!(asked.contains("purpose=export\nsave=true"), "{asked}");
    assert!(asked.contains("file_name=.env"), "{asked}");

    // Chosen in the dialog: a grant for an export, not for a report.
    let chosen = pick(&s, &answers, &target, PickPurpose::Export);
    assert_eq!(chosen, target.display().to_string());
    let report = c::save_exposure_report(
        &s,
        SaveReportArgs {
            member: "Ada".into(),
            format: ReportFormat::Markdown,
            path: chosen.clone(),
            overwrite: false,
        },
    )
    .expect_err("an export's choice is not a report's");
    assert_eq!(report.code, IpcErrorCode::Permission, "{report:?}");

    // A failed write keeps the grant (the file exists: tick Replace)…
    std::fs::write(&target, "old").expect("existing");
    let e = c::export_env(&s, export(&target, false)).expect_err("exists");
    assert_eq!(e.code, IpcErrorCode::Conflict, "{e:?}");
    // …and the write that succeeds uses it up.
    let out = c::export_env(&s, export(&target, true)).expect("chosen: written");
    assert_eq!(out.variables, 1);
    let text = std::fs::read_to_string(&target).expect("read");
    assert!(text.contains("API_KEY=api-value"), "{text}");
    let e = c::export_env(&s, export(&target, true)).expect_err("once");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");

    // Lock forgets unused grants.
    let again = pick(&s, &answers, &target, PickPurpose::Export);
    c::lock(&s).expect("lock");
    c::unlock(
        &s,
        UnlockArgs::Password {
            password: secret(&s, "unlock", PW),
        },
    )
    .expect("unlock");
    let e = c::export_env(&s, export(Path::new(&again), true)).expect_err("forgotten at lock");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");

    // Opening a vault file outside home, chosen in the open dialog.
    std::fs::copy(home.join("vault.coffer"), outside.join("copy.coffer")).expect("copy");
    c::lock(&s).expect("lock");
    let s2 = Session::new(home.join(".coffer"), home.join("gone.coffer"));
    s2.set_path_picker(picker::scripted(answers.clone()));
    c::unlock(
        &s2,
        UnlockArgs::Password {
            password: secret(&s2, "unlock", PW),
        },
    )
    .expect("identity unlocked, no vault");
    let copy = outside.join("copy.coffer");
    let typed = c::open_vault(
        &s2,
        OpenVaultArgs {
            path: copy.display().to_string(),
        },
    )
    .expect_err("typed outside");
    assert_eq!(typed.code, IpcErrorCode::Permission, "{typed:?}");
    let chosen = pick(&s2, &answers, &copy, PickPurpose::OpenVault);
    let asked = std::fs::read_to_string(dir.path().join("answers.asked")).expect("asked");
    assert!(asked.contains("save=false"), "an open dialog: {asked}");
    let st = c::open_vault(&s2, OpenVaultArgs { path: chosen }).expect("chosen: opened");
    assert!(st.unlocked);
}
