// "Scan a folder" and the hygiene panel in a dark desktop theme
// (GTK_THEME=Adwaita:dark), in its own HOME: the same flow as
// scan.test.mjs up to the results; screenshots scan-dark-{760,1120,1440}.png
// and hygiene-dark-{760,1120,1440}.png.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { scanSuite } from "./scan_shared.mjs";

const s = scanSuite({ prefix: "coffer-e2e-scandark-", portBase: 7300, extraEnv: () => ({ GTK_THEME: "Adwaita:dark" }) });

describe("scan and hygiene in the dark theme", () => {
  test("results and findings at three widths", async () => {
    await s.seed();
    assert.equal(await s.app.wd.exec("return matchMedia('(prefers-color-scheme: dark)').matches"), true, "the window is dark");
    await s.scanPlanted();
    await s.shots("scan", "-dark");
    await s.hygiene();
    await s.shots("hygiene", "-dark");
  });
});
