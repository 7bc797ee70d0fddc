//! An environment checked against an example file (`check_example`, the
//! app's counterpart of `coffer check`, issue 11), through the plain
//! command on a real vault file: missing keys in the file's order, extra
//! ones sorted, names only; a typed file confined to home, one chosen in the
//! dialog accepted anywhere (and again, until lock); an environment this
//! identity cannot read refused; a file over 1 MiB refused.
//!
//! One test function: it sets `HOME` and `TMPDIR` for the whole process.

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{picker, IpcErrorCode, Session};

mod common;
use common::{ada_with_vault, add_env, choose_in_dialog, confined, set_value, Confined, PW};

#[test]
fn an_environment_against_an_example_file() {
    let Confined {
        dir, home, outside, ..
    } = confined();
    let s = Session::new(home.join(".coffer"), home.join("vault.coffer"));
    let answers = dir.path().join("answers");
    s.set_path_picker(picker::scripted(answers.clone()));
    let example = home.join("project/.env.example");
    std::fs::create_dir_all(example.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &example,
        "# the app's settings\nSTRIPE_KEY=\nexport DATABASE_URL=postgres://localhost/dev\nSENTRY_DSN=\"\nspans lines\"\nAPI_KEY=\n",
    )
    .expect("write");
    let check = |path: &std::path::Path| {
        c::check_example(
            &s,
            CheckExampleArgs {
                env: "web/prod".into(),
                path: path.display().to_string(),
            },
        )
    };

    let e = check(&example).expect_err("locked");
    assert_eq!(e.code, IpcErrorCode::Locked);

    ada_with_vault(&s, None, PW);
    add_env(&s, "web/prod");
    set_value(&s, "web/prod", "API_KEY", "sk_live_example_check_0001");
    set_value(&s, "web/prod", "PORT", "5432");
    set_value(&s, "web/prod", "DEBUG_TOKEN", "tok_example_check_0002");

    let r = check(&example).expect("check");
    assert_eq!(r.example, example.display().to_string());
    assert_eq!(r.wanted, 4);
    assert_eq!(r.missing, ["STRIPE_KEY", "DATABASE_URL", "SENTRY_DSN"]);
    assert_eq!(r.extra, ["DEBUG_TOKEN", "PORT"]);
    let json = serde_json::to_string(&r).expect("json");
    assert!(
        !json.contains("sk_live_example_check_0001") && !json.contains("5432"),
        "names only: {json}"
    );

    // Typed outside home: refused; chosen in the dialog: accepted, and
    // again (the check runs as the environment changes) until lock.
    let far = outside.join("other/.env.example");
    std::fs::create_dir_all(far.parent().expect("parent")).expect("mkdir");
    std::fs::write(&far, "API_KEY=\nPORT=\nDEBUG_TOKEN=\n").expect("write");
    let e = check(&far).expect_err("typed outside home");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");
    let asked = choose_in_dialog(&s, &answers, PickPurpose::Example, &example, &far);
    assert!(
        asked.contains("purpose=example\nsave=false\nfolder=false"),
        "{asked}"
    );
    for _ in 0..2 {
        let r = check(&far).expect("chosen in the dialog");
        assert!(r.missing.is_empty() && r.extra.is_empty(), "{r:?}");
    }

    // Not an environment, not readable text, too big.
    let e = c::check_example(
        &s,
        CheckExampleArgs {
            env: "web/nope".into(),
            path: example.display().to_string(),
        },
    )
    .expect_err("no such env");
    assert_eq!(e.code, IpcErrorCode::NotFound, "{e:?}");
    let big = home.join("big.example");
    std::fs::write(&big, "A=\n".repeat(400_000)).expect("write");
    let e = check(&big).expect_err("over 1 MiB");
    assert_eq!(e.code, IpcErrorCode::InvalidInput, "{e:?}");
    assert!(e.message.contains("at most 1 MiB"), "{}", e.message);
    let missing = home.join("nope.example");
    assert_eq!(
        check(&missing).expect_err("missing").code,
        IpcErrorCode::NotFound
    );

    // Locked again: the grant is gone.
    c::lock(&s).expect("lock");
    c::unlock(
        &s,
        UnlockArgs::Password {
            password: common::secret(&s, "unlock", PW),
        },
    )
    .expect("unlock");
    let e = check(&far).expect_err("the grant ended with the lock");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");
}
