// The README's walkthrough "Share a credential with a teammate, in the app",
// end to end with two real app windows and no CLI: Ada's device and Bob's,
// each its own HOME, side by side under one Xvfb, sharing only a folder.
//   Ada: first run → a vault → payments/prod → STRIPE_KEY → Sync through the
//        folder.
//   Bob: first run → "Join a team's vault" → his public identity and
//        fingerprint, shown to send to Ada.
//   Ada: + Member → pastes it → the fingerprint she sees is the one Bob's
//        window shows → reader with read access to payments/prod → Sync.
//   Bob: the folder → the owner's fingerprint, which is the one Ada's window
//        shows under My identity → joined → reads STRIPE_KEY, and is offered
//        no change (he is a reader).
// Screenshots: team-ada-member.png, team-bob-joined.png.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { appSuite, choose, firstRun, PASSPHRASE, reveal, row, tid } from "./harness.mjs";

const ada = appSuite({ prefix: "coffer-e2e-team-ada-", portBase: 8500 });
const bob = appSuite({ prefix: "coffer-e2e-team-bob-", portBase: 9100 });
const folder = join(ada.home, "team-sync");
const STRIPE = "sk_live_team_walkthrough_0001";

const valueOf = (app, css) => app.wd.exec("return document.querySelector(arguments[0]).value", css);

describe("a credential shared with a teammate, in the app only", () => {
  let bobIdentity;
  let bobFingerprint;

  test("Ada: a vault, an environment, a credential, then sync through a folder", async () => {
    await firstRun(ada, { name: "Ada Lovelace", team: "Acme" });
    await ada.click(tid("add-env"));
    await ada.fill("env-path", "payments/prod");
    await ada.click(tid("env-submit"));
    await ada.wd.$(tid("env-tab-payments/prod"));
    await ada.click(tid("add-item"));
    await ada.fill("item-name", "STRIPE_KEY");
    await ada.fill("item-value", STRIPE);
    await ada.click(tid("item-save"));
    await ada.wd.$(row("payments/prod/STRIPE_KEY"));

    mkdirSync(folder);
    await ada.click(tid("nav-sync"));
    await ada.fill("sync-location", folder);
    await ada.click(tid("sync-setup-submit"));
    assert.match(await (await ada.wd.$(tid("sync-remote"))).text(), new RegExp(`${folder}$`));
  });

  test("Bob: first run, then Join shows the identity to send to Ada", async () => {
    await bob.fill("firstrun-name", "Bob Builder");
    await bob.fill("firstrun-password", PASSPHRASE);
    await bob.fill("firstrun-confirm", PASSPHRASE);
    await bob.click(tid("firstrun-submit"));
    await bob.click(tid("vault-mode-join"));
    await bob.wd.until("his public identity", async () => (await valueOf(bob, tid("my-public-identity"))).startsWith("coffer1-"));
    bobIdentity = await valueOf(bob, tid("my-public-identity"));
    bobFingerprint = await (await bob.wd.$(tid("my-fingerprint"))).attr("data-fingerprint");
    assert.match(bobFingerprint, /^([0-9A-F]{4}-){7}[0-9A-F]{4}$/);
  });

  test("Ada: adds Bob after comparing fingerprints, with read access, and syncs", async () => {
    await ada.click(tid("nav-members"));
    await ada.click(tid("add-member"));
    await ada.fill("member-identity", bobIdentity);
    await ada.click(tid("member-inspect"));
    // What Ada sees is what Bob's window shows him (they read it to each other).
    assert.equal(await (await ada.wd.$(tid("member-preview-fingerprint"))).attr("data-fingerprint"), bobFingerprint);
    await ada.fill("member-name", "bob");
    await choose(ada.wd, tid("member-role"), "reader");
    await choose(ada.wd, tid("member-grant-payments/prod"), "read");
    await ada.click(tid("member-confirm"));
    await ada.click(tid("member-add-submit"));
    await ada.wd.$(`${tid("member-row")}[data-member="bob"]`);
    assert.equal(await (await ada.wd.$(`[data-testid="access-bob-payments/prod"]`)).prop("value"), "read");
    await ada.shot("team-ada-member.png");
    await ada.click(tid("sync-now"));
    await ada.wd.until("the sync ends", async () => (await (await ada.wd.$(tid("sync-summary"))).text()).startsWith("Synced"));
  });

  test("Bob: joins through the folder after checking the owner's fingerprint, and reads the credential", async () => {
    await ada.click(tid("account"));
    const owner = await (await ada.wd.$(tid("my-fingerprint"))).attr("data-fingerprint");

    await bob.fill("join-location", folder);
    await bob.click(tid("vault-submit"));
    const shown = await (await bob.wd.$(tid("join-owner-fingerprint"))).attr("data-fingerprint");
    assert.equal(shown, owner, "Bob's window shows the owner's fingerprint as Ada's window shows it");
    assert.equal(await (await bob.wd.$(tid("join-vault-name"))).text(), "Acme");
    await bob.click(tid("join-fingerprint-matches"));
    await bob.click(tid("vault-submit"));
    assert.equal(await (await bob.wd.$(tid("vault-name"))).text(), "Acme");
    await bob.click(tid("project-payments"));
    const value = await reveal(bob.wd, "payments/prod/STRIPE_KEY");
    assert.equal(await bob.wd.exec("return document.querySelector(arguments[0]).textContent", value), STRIPE);
    // A reader is offered nothing he may not do.
    await bob.wd.$(tid("detail-read-only"));
    await bob.wd.$(tid("env-read-only"));
    assert.equal((await bob.wd.$$(`${tid("detail-edit")}, ${tid("add-item")}, ${tid("add-env")}`)).length, 0);
    await bob.shot("team-bob-joined.png");
  });
});
