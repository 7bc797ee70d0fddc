// Benchmarks of the desktop app itself (issue 5), in the real release
// binary driven by tauri-driver + WebKitWebDriver under Xvfb, over a real
// vault of 10,000 credentials in 30 environments made with the CLI:
//   - cold start to the unlock screen (process spawn → passphrase field
//     shown; includes WebKitWebDriver's own start, so an upper bound);
//   - unlock to list: Enter on the unlock form → the first credential row
//     in the DOM, measured in the page, minus the identity's KDF time;
//   - search: one keystroke in the search field → filter, DOM update and
//     layout done, measured in the page, over 10,000 credentials.
// Writes docs/benchmarks-app.md. Usage (make bench does this):
//   xvfb-run -a node bench/app.mjs [APP] [CLI]
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { WebDriver, startTauriDriver } from "../ui/e2e/webdriver.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const APP = resolve(process.argv[2] ?? join(ROOT, "target/release/coffer-desktop"));
const CLI = resolve(process.argv[3] ?? join(ROOT, "target/release/coffer"));
const RUNS = Number(process.env.RUNS ?? 5);
const PASS = "bench passphrase";
const tid = (id) => `[data-testid="${id}"]`;

const home = mkdtempSync(join(tmpdir(), "coffer-bench-app-"));
const env = { ...process.env, HOME: home, COFFER_HOME: join(home, "coffer"), COFFER_VAULT: join(home, "vault.coffer"), NO_AT_BRIDGE: "1" };
delete env.COFFER_PASSPHRASE;
const cli = (args, input) =>
  execFileSync(CLI, args, { env: { ...env, COFFER_PASSPHRASE: PASS }, input, stdio: ["pipe", "pipe", "pipe"] }).toString();

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const ms = (x) => `${x.toFixed(1)} ms`;

// ---- the vault: floor KDF (its unlock time is measured and subtracted) ----
const made = spawnSync(CLI, ["identity", "new", "--name", "Bench", "--kdf-memory", "19", "--kdf-iterations", "2"], {
  env: { ...env, COFFER_PASSPHRASE: PASS },
  encoding: "utf8",
});
// "Created identity in … (Argon2id m=19 MiB t=2 p=1, N ms per unlock)."
const kdfMs = Number(/(\d+) ms per unlock/.exec(made.stderr + made.stdout)?.[1] ?? NaN);
if (made.status !== 0 || !Number.isFinite(kdfMs)) throw new Error(`identity new failed: ${made.stderr}`);
cli(["init", "--name", "Bench"]);
const ENVS = 30, ITEMS = 10_000;
for (let e = 0; e < ENVS; e++) {
  const path = `svc${String(Math.floor(e / 3)).padStart(2, "0")}/${["dev", "staging", "prod"][e % 3]}`;
  cli(["env", "add", path, "--rotate-every", "90d"]);
  let file = "";
  for (let i = e; i < ITEMS; i += ENVS) file += `KEY_${String(i).padStart(5, "0")}=value-${i}-${Math.random().toString(36).slice(2)}\n`;
  const f = join(home, `e${e}.env`);
  writeFileSync(f, file);
  cli(["import", f, path]);
}

// ---- the app ----
const port = 4900 + (process.pid % 200) * 2;
const driver = await startTauriDriver(port, env);
const wd = new WebDriver(driver.base);
const caps = { browserName: "wry", "tauri:options": { application: APP } };
const result = {};
try {
  const starts = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await wd.start(caps);
    await wd.$(tid("unlock-password"), { timeout: 30_000 });
    starts.push(performance.now() - t0);
    if (i < RUNS - 1) await wd.quit();
  }
  result.start = starts;

  // Unlock to list, timed in the page from the submit to the first row;
  // RUNS unlocks (locking in between), the median reported.
  const unlocks = [];
  for (let i = 0; i < RUNS; i++) {
    if (i > 0) {
      await (await wd.$(tid("lock"))).click();
    }
    // Nobody types a passphrase in under a second: the Unlock screen has
    // had that long to warm up (ui/src/components/Prewarm.svelte).
    await new Promise((r) => setTimeout(r, 1000));
    await (await wd.$(tid("unlock-password"))).type(PASS);
    await wd.exec(`
      const form = document.querySelector('[data-testid="unlock"]');
      window.__bench = { t0: 0, t1: 0 };
      form.addEventListener('submit', () => { window.__bench.t0 = performance.now(); }, { capture: true, once: true });
      new MutationObserver((_, obs) => {
        if (document.querySelector('main [data-testid="item-row"]')) { // not the Unlock screen's hidden warm-up row
          document.body.offsetHeight; // layout done
          window.__bench.t1 = performance.now();
          obs.disconnect();
        }
      }).observe(document.body, { childList: true, subtree: true });
    `);
    await (await wd.$(tid("unlock-submit"))).click();
    await wd.$(`main ${tid("item-row")}`, { timeout: 30_000 });
    const b = await wd.exec("return window.__bench");
    unlocks.push(b.t1 - b.t0);
  }
  result.unlocks = unlocks;

  // Search: each keystroke of several queries, timed in the page, at two
  // paces: a very fast typist's (one key every 50 ms, ~240 words a
  // minute), which the goal is judged on, and back to back (the next key
  // as soon as the last one's frame is out), where each keystroke competes
  // for the 2 cores with painting the previous one.
  const searchAt = (paceMs) => wd.exec(`
    const input = document.querySelector('[data-testid="search"]');
    const times = [];
    const queries = ["key_01", "value", "svc05/prod", "team", "zzzz", "key_09999"];
    for (let round = 0; round < 3; round++) {
      for (const q of queries) {
        for (let n = 1; n <= q.length; n++) {
          const t0 = performance.now();
          input.value = q.slice(0, n);
          input.dispatchEvent(new Event('input', { bubbles: true }));
          await new Promise((r) => setTimeout(r, 0)); // Svelte's update has run
          document.body.offsetHeight;                  // style and layout done
          times.push(performance.now() - t0);
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, ${paceMs})));
        }
        input.value = '';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return times;
  `);
  result.search = await searchAt(50);
  result.searchBurst = await searchAt(0);
  // Every credential is searchable: "key_" matches all of them.
  result.items = await wd.exec(`
    const input = document.querySelector('[data-testid="search"]');
    input.value = 'key_';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => setTimeout(r, 50));
    return Number(/(\\d+)/.exec(document.querySelector('[data-testid="search-count"]').textContent)[1]);
  `);
  if (result.items !== ITEMS) throw new Error(`search found ${result.items} credentials, not ${ITEMS}`);
} finally {
  await wd.quit();
  driver.child.kill("SIGTERM");
  rmSync(home, { recursive: true, force: true });
}

const startMed = quantile(result.start, 0.5);
const sMed = quantile(result.search, 0.5), s95 = quantile(result.search, 0.95), sMax = Math.max(...result.search);
const bMed = quantile(result.searchBurst, 0.5), b95 = quantile(result.searchBurst, 0.95), bMax = Math.max(...result.searchBurst);
const cpu = cpus()[0]?.model ?? "unknown CPU";
const md = `# Desktop app benchmarks

Measured by \`make bench\` (\`bench/app.mjs\`) in the real release app
(\`target/release/coffer-desktop\`, WebKitGTK) driven by tauri-driver +
WebKitWebDriver under Xvfb, over a real vault of ${ITEMS.toLocaleString("en")} credentials in
${ENVS} environments, on ${cpus().length} cores (${cpu}), ${new Date().toISOString().slice(0, 10)}.

| what | measured | goal |
|---|---|---|
| cold start to the unlock screen (median of ${RUNS}; max ${ms(Math.max(...result.start))}) | ${ms(startMed)} | ≤ 1 s |
| unlock to the list, beyond the KDF: the first unlock after start (${ms(result.unlocks[0])} in all − ${kdfMs} ms Argon2id at the floor) | ${ms(result.unlocks[0] - kdfMs)} | ≤ 200 ms |
| unlock to the list, beyond the KDF: later unlocks, after a lock (median of ${RUNS - 1}) | ${ms(quantile(result.unlocks.slice(1), 0.5) - kdfMs)} | ≤ 200 ms |
| search over ${ITEMS.toLocaleString("en")} credentials, per keystroke, one key every 50 ms (${result.search.length} keystrokes: median ${ms(sMed)}, max ${ms(sMax)}) | p95 ${ms(s95)} | ≤ 16 ms |
| the same, keys back to back, one per frame (median ${ms(bMed)}, max ${ms(bMax)}) | p95 ${ms(b95)} | (for comparison) |

How each is measured:
- **Cold start**: from the WebDriver "new session" request (which spawns the
  app) until the passphrase field is displayed. It includes WebKitWebDriver
  starting and the driver's polling, so the app alone is faster.
- **Unlock to list**: in the page, from the unlock form's submit to the first
  credential row in the DOM with layout done. That covers the \`unlock\`
  command (Argon2id, opening the vault, pinning members from the signed log),
  \`vault_snapshot\` (environments, credentials, rotation report) over
  IPC, and rendering. The first unlock after the app starts runs on cold
  caches (SQLite pages, the JavaScript engine's first pass over the code);
  the later ones lock with the Lock button first, as a user would. Each
  waits a second on the Unlock screen before typing, as a person does
  (that screen warms the list's fonts and styles: Prewarm.svelte). The
  identity's Argon2id time is measured by
  \`coffer identity new\` at the same parameters and subtracted (a real
  identity is calibrated to 0.5–1 s: docs/benchmarks.md).
- **Search**: in the page, from setting the field's value and its \`input\`
  event to the filtered, windowed table updated and laid out (paint excluded),
  for every prefix of ${6} queries, 3 rounds. The haystack is lower-cased
  once per reload; the table renders only the rows in view
  (\`ui/src/lib/virtual.ts\`), so a keystroke matching all ${ITEMS.toLocaleString("en")} credentials costs
  about what one matching ten does; it rewrites the rows it has rather
  than building new ones, in a layout-contained scroller. Keys come one
  every 50 ms (faster than people type); back to back, on 2 cores, a
  keystroke also waits for the painting of the last one, which is what
  the second row shows.
`;
// The Rust side alone (src-tauri/benches/ipc.rs; make bench runs it first).
const ipcFile = join(ROOT, ".cache/ipc-bench.txt");
const ipc = existsSync(ipcFile) ? readFileSync(ipcFile, "utf8").trim() : "";
const full = ipc
  ? `${md}
The Rust side of "unlock to list", command by command, without the web view
(\`cargo bench -p coffer-desktop --bench ipc\`, same vault shape):

\`\`\`
${ipc}
\`\`\`
`
  : md;
writeFileSync(join(ROOT, "docs/benchmarks-app.md"), full);
console.log(full);
