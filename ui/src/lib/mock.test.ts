import { describe, expect, it } from "vitest";
import { MockBackend } from "./mock";
import type { IpcFailure } from "./ipc";

const code = (p: Promise<unknown>) => p.then(() => "ok", (e: IpcFailure) => e.code);

describe("MockBackend mirrors the shell's rules", () => {
  it("refuses everything but status while locked", async () => {
    const b = MockBackend.preset("locked");
    expect(await code(b.call("list_envs", null))).toBe("locked");
    expect(await code(b.call("unlock", { method: "password", password: "nope" }))).toBe("auth");
    expect((await b.call("unlock", { method: "password", password: "correct horse battery staple" })).unlocked).toBe(true);
  });

  it("validates paths, keys, durations and values", async () => {
    const b = MockBackend.preset("unlocked");
    expect(await code(b.call("add_env", { path: "nope", rotate_every: null }))).toBe("invalid_input");
    expect(await code(b.call("add_env", { path: "a/b", rotate_every: "soon" }))).toBe("invalid_input");
    expect(await code(b.call("add_env", { path: "payments/prod", rotate_every: null }))).toBe("conflict");
    const set = { env: "payments/dev", notes: null, url: null, username: null, rotate_every: null, expires: null };
    expect(await code(b.call("set_item", { ...set, name: "1BAD", value: "x" }))).toBe("invalid_input");
    expect(await code(b.call("set_item", { ...set, name: "NEW", value: null }))).toBe("invalid_input");
    expect(await code(b.call("reveal_item", { env: "payments/dev", name: "NOPE" }))).toBe("not_found");
  });

  it("backs off after three wrong passphrases", async () => {
    const b = MockBackend.preset("locked");
    for (let i = 0; i < 4; i++) await code(b.call("unlock", { method: "password", password: "wrong" }));
    expect((await b.call("app_status", null)).backoff_remaining_secs).toBeGreaterThan(0);
  });

  it("rotation: sorted by urgency, rotate clears the status", async () => {
    const b = MockBackend.preset("unlocked");
    const r = await b.call("rotation_list", { due_soon_days: null });
    expect(r.items.map((i) => i.status)).toEqual(["exposed", "expired", "overdue", "due_soon", "due_soon"]);
    await b.call("rotate_item", { env: "web/prod", name: "SENTRY_DSN", value: null, generate: { length: 20, charset: "hex" }, expires: null, no_expiry: false });
    const after = await b.call("rotation_list", { due_soon_days: null });
    expect(after.counts.exposed).toBe(0);
  });
});
