//! Fixtures for the sync tests: devices with their own home and private
//! replica, a team moved to sync, the folder's layout, and comparisons of
//! what replicas derived.

use std::path::{Path, PathBuf};

use coffer_crypto::Id;
use coffer_vault::ops::OpHeader;
use coffer_vault::sync::feed::Entry;
use coffer_vault::sync::Remote;
use coffer_vault::{Access, Role, Vault};
use rusqlite::types::Value;
use rusqlite::Connection;

use super::*;

/// A teammate's device: their identity home and their private replica.
pub struct Device {
    pub who: Person,
    pub replica: PathBuf,
}

impl Device {
    pub fn new(fx: &Fx, name: &str) -> Self {
        let who = Person::new(fx, name);
        let replica = fx.dir.path().join(format!("{name}-replica.coffer"));
        Device { who, replica }
    }

    pub fn open(&self) -> Vault {
        self.who.open(&self.replica)
    }

    pub fn join(&self, remote: &Remote) -> coffer_vault::Result<Vault> {
        Vault::join(&self.replica, self.who.unlock(), remote.clone(), &|_d| {
            Ok(())
        })
        .map(|(v, _)| v)
    }

    pub fn sync(&self) -> coffer_vault::sync::SyncReport {
        let mut v = self.open();
        v.sync()
            .unwrap_or_else(|e| panic!("{} syncs: {e}", self.who.name))
    }
}

pub fn team(remote_of: impl Fn(&Fx) -> Remote) -> (Fx, Remote, Device, Device) {
    team_with(remote_of, |_| {})
}

/// Ada's vault with Bob (member, write on prod) and Carol (reader of prod),
/// plus whatever `extra` adds before `sync init`; Bob and Carol joined.
pub fn team_with(
    remote_of: impl Fn(&Fx) -> Remote,
    extra: impl FnOnce(&mut Vault),
) -> (Fx, Remote, Device, Device) {
    let (fx, _) = standard();
    let bob = Device::new(&fx, "Bob");
    let carol = Device::new(&fx, "Carol");
    let remote = remote_of(&fx);
    {
        let mut v = fx.open();
        add_member(&mut v, &bob.who, Role::Member, &[(PROD, Access::Write)]);
        add_member(&mut v, &carol.who, Role::Reader, &[(PROD, Access::Read)]);
        extra(&mut v);
        let r = v.sync_init(remote.clone()).expect("sync init");
        assert!(r.published > 0, "the log goes out: {r:?}");
        assert!(v.is_private_replica());
        assert!(v.verify().expect("verify").ok());
    }
    bob.join(&remote).expect("Bob joins");
    carol.join(&remote).expect("Carol joins");
    (fx, remote, bob, carol)
}

pub fn folder_remote(fx: &Fx) -> Remote {
    Remote::Folder(fx.dir.path().join("shared"))
}

pub fn root(remote: &Remote) -> PathBuf {
    let Remote::Folder(root) = remote else {
        unreachable!()
    };
    root.clone()
}

pub fn feed_dir(remote: &Remote, device: &Id) -> PathBuf {
    root(remote).join("feeds").join(device.to_hex())
}

pub fn entry_file(remote: &Remote, device: &Id, seq: u64) -> PathBuf {
    feed_dir(remote, device).join(format!("{seq:020}.op"))
}

pub fn device_of(v: &Vault) -> Id {
    v.me().device_id()
}

pub fn last_seq(remote: &Remote, device: &Id) -> u64 {
    let mut n = 0;
    while entry_file(remote, device, n + 1).exists() {
        n += 1;
    }
    n
}

pub fn git_remote(fx: &Fx) -> Remote {
    let bare = fx.dir.path().join("remote.git");
    let ok = std::process::Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(&bare)
        .status()
        .expect("git")
        .success();
    assert!(ok, "git init --bare");
    Remote::Git(bare.to_string_lossy().into_owned())
}

/// The state a replica derived, as rows, plus the log's (op id, outcome)
/// in order: what every replica that saw the same entries must agree on.
pub fn derived(path: &Path) -> Vec<(String, Vec<Vec<Value>>)> {
    let c = Connection::open(path).expect("open");
    let mut out = Vec::new();
    for (t, order) in [
        ("vault", "id"),
        ("members", "id"),
        ("projects", "id"),
        ("environments", "id"),
        ("grants", "env_id, member_id"),
        ("env_wraps", "env_id, member_id"),
        ("items", "id"),
        ("item_versions", "item_id, version"),
        ("item_shares", "item_id, member_id"),
        ("removed_envs", "env_id"),
    ] {
        out.push((
            t.to_string(),
            rows(&c, &format!("SELECT * FROM {t} ORDER BY {order}")),
        ));
    }
    out.push((
        "log".into(),
        rows(
            &c,
            "SELECT op_id, outcome, reason FROM ops WHERE kind != 6 ORDER BY seq",
        ),
    ));
    out
}

pub fn rows(c: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut st = c.prepare(sql).expect("prepare");
    let n = st.column_count();
    st.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[track_caller]
pub fn assert_converged(devices: &[&Path]) {
    let first = derived(devices[0]);
    for d in &devices[1..] {
        let other = derived(d);
        for (a, b) in first.iter().zip(&other) {
            assert_eq!(
                a,
                b,
                "table {} differs between {} and {}",
                a.0,
                devices[0].display(),
                d.display()
            );
        }
    }
}

/// What a modified client does: writes its replica's own entries to the
/// folder without taking in anyone else's first.
pub fn leak_chain(replica: &Path, remote: &Remote, vault_id: Id, device: &Id) {
    let c = Connection::open(replica).expect("open");
    let mut st = c
        .prepare(
            "SELECT op_id, device_seq, author_id, hlc, kind, body, prev_hash, sig FROM ops
             WHERE device_id = ?1 ORDER BY device_seq",
        )
        .expect("prepare");
    let mut rows = st.query([&device.0[..]]).expect("query");
    while let Some(r) = rows.next().expect("row") {
        let seq: i64 = r.get(1).expect("seq");
        let p = entry_file(remote, device, seq as u64);
        if p.exists() {
            continue;
        }
        let id = |b: Vec<u8>| Id::from_slice(&b).expect("id");
        let e = Entry {
            header: OpHeader {
                op_id: id(r.get(0).expect("op")),
                vault_id,
                device_id: *device,
                device_seq: seq as u64,
                author_id: id(r.get(2).expect("author")),
                hlc: r.get::<_, i64>(3).expect("hlc") as u64,
                kind: r.get::<_, i64>(4).expect("kind") as u8,
                prev_hash: r
                    .get::<_, Vec<u8>>(6)
                    .expect("prev")
                    .try_into()
                    .expect("32"),
            },
            body: r.get(5).expect("body"),
            sig: r.get::<_, Vec<u8>>(7).expect("sig").try_into().expect("64"),
        };
        std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
        std::fs::write(&p, e.encode()).expect("write");
    }
}

/// Ada offboards `name` and publishes it; then a few milliseconds pass, so
/// what a teammate writes next is later on every clock.
pub fn offboard_and_publish(fx: &Fx, name: &str) {
    fx.open()
        .offboard(name, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("offboard {name}: {e}"));
    fx.open().sync().expect("ada publishes the offboarding");
    std::thread::sleep(std::time::Duration::from_millis(5));
}

/// A second vault of Bob's own ("Bob's own", one prod environment, synced
/// through its own folder) holding `key`; published when `publish`. Its
/// replica's path and id.
pub fn bobs_own_vault(
    fx: &Fx,
    bob: &Device,
    key: &str,
    value: &str,
    publish: bool,
) -> (PathBuf, Id) {
    let own = fx.dir.path().join("bob-own.coffer");
    let own_remote = Remote::Folder(fx.dir.path().join("bob-own-shared"));
    let mut v = Vault::create(&own, "Bob's own", bob.who.unlock()).expect("create");
    v.add_env(PROD, None).expect("env");
    v.sync_init(own_remote).expect("sync init");
    v.set_item(PROD, key, super::value(value)).expect("change");
    if publish {
        v.sync().expect("publish");
    }
    (own, v.id())
}

/// Sets the `vault.id` of the replica at `path` to `id`, as someone who
/// can write the file does.
pub fn rename_vault(path: &Path, id: &Id) {
    let c = Connection::open(path).expect("open");
    c.execute("UPDATE vault SET id = ?1", [&id.0[..]])
        .expect("rename the vault");
}

/// Dave, a member who reads only web/dev (not joined): someone an item of
/// web/prod can be shared with. Ada publishes; Bob syncs.
pub fn add_dev_reader(fx: &Fx, bob: &Device) -> Device {
    let dave = Device::new(fx, "Dave");
    add_member(
        &mut fx.open(),
        &dave.who,
        Role::Member,
        &[(DEV, Access::Read)],
    );
    fx.open().sync().expect("ada publishes");
    bob.sync();
    dave
}

/// What an unshare of `item` (API_KEY) names: a member it is shared with
/// (Ada shares it with Zed, a dev reader, if nobody has a share) and the
/// generation of the item's key now (an unshare is one op with its
/// re-key, and names the key it replaces).
pub fn keeping_target(fx: &Fx, bob: &Device, item: &Id) -> (Id, [u8; 32]) {
    let shared = |p: &Path| -> Option<Id> {
        Connection::open(p)
            .expect("open")
            .query_row(
                "SELECT member_id FROM item_shares WHERE item_id = ?1 LIMIT 1",
                [&item.0[..]],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .ok()
            .map(|b| Id::from_slice(&b).expect("id"))
    };
    let member = match shared(&fx.path) {
        Some(m) => m,
        None => {
            let zed = Device::new(fx, "Zed");
            add_member(
                &mut fx.open(),
                &zed.who,
                Role::Member,
                &[(DEV, Access::Read)],
            );
            fx.open()
                .share(PROD, "API_KEY", "Zed")
                .expect("share to Zed");
            fx.open().sync().expect("ada publishes");
            bob.sync();
            shared(&fx.path).expect("Zed's share")
        }
    };
    let ik_ct: Vec<u8> = Connection::open(&fx.path)
        .expect("open")
        .query_row(
            "SELECT ik_ct FROM items WHERE id = ?1",
            [&item.0[..]],
            |r| r.get(0),
        )
        .expect("item");
    let generation = coffer_crypto::ItemKeyGeneration::of_sealed(&ik_ct).0;
    (member, generation)
}

/// An outside folder (not in the sync folder) holding a file named as
/// entry `seq` of a feed, `victim`: what a symlink planted in the sync
/// folder points at.
pub fn outside_with_victim(fx: &Fx, name: &str, seq: u64) -> PathBuf {
    let out = fx.dir.path().join(name);
    std::fs::create_dir_all(&out).expect("outside folder");
    std::fs::write(out.join(format!("{seq:020}.op")), b"victim").expect("victim");
    out
}

/// The names and contents in `dir` (recursively), sorted.
pub fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for ent in std::fs::read_dir(&d).expect("ls") {
            let p = ent.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                out.push((p.strip_prefix(dir).expect("under").to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// Runs `git -C dir ARGS` as Mallory (her own identity), which must succeed.
#[track_caller]
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Mallory", "-c", "user.email=m@example.org"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What a teammate with push access does to a git remote: clones it,
/// changes the work tree with `edit`, commits everything and pushes
/// (`force`: rewriting history).
pub fn push_to_git_remote(fx: &Fx, remote: &Remote, force: bool, edit: impl FnOnce(&Path)) {
    let Remote::Git(url) = remote else {
        unreachable!()
    };
    let work = fx
        .dir
        .path()
        .join(format!("mallory-clone-{}", Id::make().short()));
    git(
        fx.dir.path(),
        &["clone", "-q", "-b", "main", url, &work.to_string_lossy()],
    );
    edit(&work);
    git(&work, &["add", "-A", "."]);
    git(&work, &["commit", "-q", "-m", "mallory"]);
    let mut push = vec!["push", "-q", "origin", "HEAD:refs/heads/main"];
    if force {
        push.insert(2, "--force");
    }
    git(&work, &push);
}
