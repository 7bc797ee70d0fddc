import { defineConfig } from "vitest/config";

// Browser tests: playwright-core drives Debian's chromium against the
// mock build (dist-mock/) served by a tiny static server. No browser
// download: CHROMIUM (default /usr/bin/chromium) is used.
export default defineConfig({
  test: {
    environment: "node",
    include: ["tests/browser/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
