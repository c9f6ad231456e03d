// Browser tests in Debian's Chromium (scripts/setup.sh installs it; no
// browser is ever downloaded). Run by scripts/test.sh: `npx playwright test`.
//
// - "playground": the release dist (`cargo xtask build-web`, target/web/)
//   served on 127.0.0.1 under a sub-path;
// - "docs-site": examples/docs-site/index.html, the npm package's element
//   (`cargo xtask build-npm`, target/npm/) and the playground in an iframe,
//   with the repository's root served as a docs site would serve it.
import { defineConfig } from "@playwright/test";

// E2E_PORT moves both servers (two checkouts testing at once on one machine).
const port = Number(process.env.E2E_PORT ?? 4173);
const docsPort = port + 1;

export default defineConfig({
  testMatch: /.*\.spec\.mjs/,
  outputDir: "target/playwright",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}/playground/`,
    browserName: "chromium",
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      // What this machine needs: no GPU, and no background calls home
      // (the network is closed; the tests also check that the page makes none).
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "playground", testDir: "web/e2e" },
    {
      name: "docs-site",
      testDir: "crates/kube-immutable-js/e2e",
      use: { baseURL: `http://127.0.0.1:${docsPort}/` },
    },
  ],
  webServer: [
    {
      command: `node web/e2e/serve.mjs target/web ${port} /playground/`,
      url: `http://127.0.0.1:${port}/playground/`,
      reuseExistingServer: false,
      stdout: "ignore",
    },
    {
      command: `node web/e2e/serve.mjs . ${docsPort} /`,
      url: `http://127.0.0.1:${docsPort}/examples/docs-site/`,
      reuseExistingServer: false,
      stdout: "ignore",
    },
  ],
});
