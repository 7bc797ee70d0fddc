/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// `vite build` is the app's UI (Tauri backend); `vite build --mode mock`
// builds the same UI over the in-memory MockBackend for browser tests.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: "es2022",
    // No inline <script> or module preload polyfill: the CSP allows
    // scripts from 'self' only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    // COFFER_PROFILE=1 keeps names readable in a profile (docs/desktop.md).
    minify: process.env.COFFER_PROFILE ? false : "esbuild",
  },
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test-setup.ts"],
  },
});
