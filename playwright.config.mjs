// Browser tests of the playground: the release dist (`cargo xtask
// build-web`, target/web/) served on 127.0.0.1 under a sub-path, in
// Debian's Chromium (scripts/setup.sh installs it; no browser is ever
// downloaded). Run by scripts/test.sh: `npx playwright test`.
import { defineConfig } from "@playwright/test";

const port = 4173;

export default defineConfig({
  testDir: "web/e2e",
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
  webServer: {
    command: `node web/e2e/serve.mjs target/web ${port} /playground/`,
    url: `http://127.0.0.1:${port}/playground/`,
    reuseExistingServer: false,
    stdout: "ignore",
  },
});
