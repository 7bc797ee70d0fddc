//! Issue 10: the commands that take a path from the web view (`export_env`,
//! also with `write_anyway`; `save_exposure_report`; `open_vault`) read and
//! write only inside the user's home and temporary folders. The path is
//! resolved as the file system sees it — symlinks followed, `..` resolved —
//! so neither a link in home pointing out nor a `..` walk gets around it;
//! a refusal is the typed IPC error `{code: "permission", message}` and
//! nothing is written. A path the user chose in the native dialog (here
//! through the debug-build picker seam, `picker::scripted`) is the one
//! exception: accepted once, for its purpose, as the file it resolved to
//! when chosen; a symlink swapped after the choice does not carry it
//! elsewhere.
//!
//! One test function: it sets `HOME` and `TMPDIR` for the whole process.

use std::path::Path;

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{picker, IpcError, IpcErrorCode, Session};

mod common;
use common::{ada_with_vault, add_env, choose_in_dialog, confined, set_value, Confined};

fn export(path: &Path, write_anyway: bool) -> ExportArgs {
    ExportArgs {
        env: "web/dev".into(),
        format: "dotenv".into(),
        dialect: "portable".into(),
        path: path.display().to_string(),
        overwrite: false,
        write_anyway,
    }
}

#[track_caller]
fn assert_refused<T: std::fmt::Debug>(what: &str, r: Result<T, IpcError>, path: &Path) {
    let e = r.expect_err(what);
    assert_eq!(e.code, IpcErrorCode::Permission, "{what}: {e:?}");
    assert!(
        e.message.contains("outside your home folder"),
        "{what}: {}",
        e.message
    );
    let json = serde_json::to_value(&e).expect("json");
    assert_eq!(json["code"], "permission", "{what}: the IPC shape");
    assert!(
        !path.exists(),
        "{what}: nothing written at {}",
        path.display()
    );
}

#[test]
fn fail_commands_given_a_path_outside_home_and_temp_are_refused() {
    let Confined {
        dir: _dir,
        home,
        tmp,
        outside,
    } = confined();

    let s = Session::new(home.join(".coffer"), home.join("vault.coffer"));
    ada_with_vault(&s, None, common::PW);
    add_env(&s, "web/dev");
    set_value(&s, "web/dev", "API_KEY", "api-value");

    // Inside home and inside the temporary folder: written.
    for ok in [home.join("app.env"), tmp.join("app.env")] {
        c::export_env(&s, export(&ok, false)).expect("inside is allowed");
        assert!(ok.exists());
    }
    let tilde = c::export_env(
        &s,
        ExportArgs {
            path: "~/tilde.env".into(),
            ..export(Path::new("/unused"), false)
        },
    )
    .expect("~/ is home");
    assert!(home.join("tilde.env").exists(), "{}", tilde.path);

    // Outside, with and without "write anyway".
    let target = outside.join("app.env");
    assert_refused(
        "outside",
        c::export_env(&s, export(&target, false)),
        &target,
    );
    assert_refused(
        "outside, write anyway",
        c::export_env(&s, export(&target, true)),
        &target,
    );
    // `..` out of home.
    let dotdot = home.join("../outside/app.env");
    assert_refused(
        "a .. walk",
        c::export_env(&s, export(&dotdot, true)),
        &target,
    );
    // A symlinked folder in home pointing outside.
    std::os::unix::fs::symlink(&outside, home.join("link")).expect("symlink");
    let via_link = home.join("link/app.env");
    assert_refused(
        "through a symlink",
        c::export_env(&s, export(&via_link, true)),
        &target,
    );
    // A symlinked file in home pointing outside (the export would write
    // through it… or replace the link; either way the target is outside).
    std::fs::write(outside.join("victim"), "x").expect("victim");
    std::os::unix::fs::symlink(outside.join("victim"), home.join("victim.env")).expect("link");
    let e = c::export_env(
        &s,
        ExportArgs {
            overwrite: true,
            ..export(&home.join("victim.env"), true)
        },
    )
    .expect_err("a file symlink out");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");
    assert_eq!(
        std::fs::read_to_string(outside.join("victim")).expect("read"),
        "x"
    );

    // The exposure report.
    let report = outside.join("report.md");
    assert_refused(
        "report outside",
        c::save_exposure_report(
            &s,
            SaveReportArgs {
                member: "Bob".into(),
                format: ReportFormat::Markdown,
                path: report.display().to_string(),
                overwrite: false,
            },
        ),
        &report,
    );

    // Opening a vault file outside (a copy of the real one is there).
    std::fs::copy(home.join("vault.coffer"), outside.join("copy.coffer")).expect("copy");
    let e = c::open_vault(
        &s,
        OpenVaultArgs {
            path: outside.join("copy.coffer").display().to_string(),
        },
    )
    .expect_err("open outside");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");

    // Chosen in the native dialog (the picker seam answers it): the same
    // outside path is written, once.
    let answers = _dir.path().join("answers");
    s.set_path_picker(picker::scripted(answers.clone()));
    // The dialog returns the path it was asked for (checked by the helper).
    let pick = |path: &Path| {
        choose_in_dialog(&s, &answers, PickPurpose::Export, path, path);
        path.display().to_string()
    };
    let chosen = pick(&target);
    c::export_env(&s, export(Path::new(&chosen), false)).expect("chosen: written");
    assert!(target.exists());
    std::fs::remove_file(&target).expect("rm");
    assert_refused(
        "a dialog's choice is used once",
        c::export_env(&s, export(Path::new(&chosen), false)),
        &target,
    );

    // A grant holds the file the choice resolved to: a symlinked folder
    // swapped between the choice and the write (the web view sends back
    // the very path the dialog returned) leaves the grant behind.
    let real = outside.join("real");
    let elsewhere = outside.join("elsewhere");
    std::fs::create_dir(&real).expect("real");
    std::fs::create_dir(&elsewhere).expect("elsewhere");
    let link = outside.join("chosen-folder");
    std::os::unix::fs::symlink(&real, &link).expect("link");
    let chosen = pick(&link.join("app.env"));
    std::fs::remove_file(&link).expect("unlink");
    std::os::unix::fs::symlink(&elsewhere, &link).expect("relink");
    assert_refused(
        "the chosen folder swapped for another",
        c::export_env(&s, export(Path::new(&chosen), false)),
        &elsewhere.join("app.env"),
    );
    assert!(!real.join("app.env").exists());
    // Put back, the choice holds again.
    std::fs::remove_file(&link).expect("unlink");
    std::os::unix::fs::symlink(&real, &link).expect("relink");
    c::export_env(&s, export(Path::new(&chosen), false)).expect("the file chosen");
    assert!(real.join("app.env").exists());
}
