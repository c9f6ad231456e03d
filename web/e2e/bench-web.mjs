// The playground's benchmark (`cargo xtask bench-web`): in Debian's
// Chromium, headless, against the release dist served on 127.0.0.1.
//
//   node web/e2e/bench-web.mjs DIST [CORPUS_DIR] [--runs N]
//
// It measures, median of N runs:
// - first render: navigation start to the first verdict on the page;
// - a 1 MB manifest pasted: its first check and markers (`data-check-ms`,
//   what the page measures itself), every document read, a slice at a
//   time, and the longest main-thread task meanwhile (the paste included);
// - typing in that manifest: a keystroke in its first document, then the
//   debounced re-check and markers (`data-check-ms`: the documents that did
//   not change are not read again); the wall time from a keystroke and
//   Ctrl+Enter to the new verdict on screen (the check, the markers and
//   the findings panel); the longest main-thread task from a keystroke to
//   the re-check that follows it;
// - the same objects as the items of one `List` document (what
//   `kubectl get -o yaml` prints): a keystroke re-reads the whole document,
//   its re-check and the longest task after it.
// The 1 MB manifest is the real-world corpus's files joined with `---`
// (CORPUS_DIR/realworld, or $KUBE_IMMUTABLE_CORPUS), else the examples
// repeated (said in the output). Benchmarks measure; nothing here fails on
// a figure.

import { chromium } from "@playwright/test";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 5;
const [dist = "target/web", corpusArg = process.env.KUBE_IMMUTABLE_CORPUS ?? "../shared/corpus"] = args;
// `cargo xtask bench-web [--runs N] [CORPUS_DIR]`: the runs may come first.
const TARGET = 1024 * 1024;

function manifest() {
  const realworld = path.join(corpusArg, "realworld");
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) files.push(full);
    }
  };
  if (fs.existsSync(realworld)) {
    walk(realworld);
    let text = "";
    for (const file of files) {
      const body = fs.readFileSync(file, "utf8");
      if (text.length + body.length > TARGET * 1.05) continue;
      text += (text ? "\n---\n" : "") + body;
      if (text.length >= TARGET) break;
    }
    return { text, source: `${realworld} (first YAML files in name order)` };
  }
  const examples = ["examples/mutable-pod.yaml", "web/examples/deployment.yaml", "web/examples/cronjob.yaml", "web/examples/list.yaml"]
    .map((f) => fs.readFileSync(f, "utf8"));
  let text = "";
  for (let i = 0; text.length < TARGET; i++) text += "---\n" + examples[i % examples.length];
  return { text, source: "the examples repeated (no corpus found: set KUBE_IMMUTABLE_CORPUS)" };
}

// The same objects as one document, the items of a `List` (what
// `kubectl get -o yaml` prints): the `Rechecker` has one chunk to read again
// on every keystroke.
function asList(text) {
  const items = text
    .split(/^---[ \t]*$/m)
    .map((doc) => doc.replace(/^(#.*)?\n/gm, "").trimEnd())
    .filter((doc) => /^[A-Za-z]/.test(doc))
    .map((doc) => doc.split("\n").map((line, i) => (i === 0 ? "- " : "  ") + line).join("\n"));
  return `apiVersion: v1\nkind: List\nitems:\n${items.join("\n")}\n`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const port = 4174;
const server = spawn(process.execPath, ["web/e2e/serve.mjs", dist, String(port), "/playground/"], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 500));
const url = `http://127.0.0.1:${port}/playground/`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

const log = (...m) => process.env.BENCH_DEBUG && console.error(...m);
try {
  const { text, source } = manifest();
  const list = asList(text);
  const results = { firstRender: [], pasteMs: [], pasteTaskMs: [], checkMs: [], wallMs: [], typingTaskMs: [], listCheckMs: [], listTaskMs: [], findings: 0, objects: "", listObjects: "" };
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector("[data-verdict]");
    results.firstRender.push(await page.evaluate(() => performance.now()));

    // Paste the 1 MB manifest, wait for its verdict: every document is read.
    await page.locator(".cm-content").click();
    await page.keyboard.press("ControlOrMeta+a");
    await page.evaluate(() => {
      window.__longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
      }).observe({ type: "longtask" });
    });
    await page.locator(".cm-content").evaluate((el, text) => {
      const data = new DataTransfer();
      data.setData("text/plain", text);
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, text);
    log("pasted");
    await page.waitForFunction(() => Number(document.querySelector("[data-verdict]")?.dataset.errors) > 10, null, { timeout: 60_000 });
    results.pasteMs.push(Number(await page.locator("[data-verdict]").getAttribute("data-check-ms")));
    results.pasteTaskMs.push(await page.evaluate(() => window.__longest));
    log("checked", results.pasteMs.at(-1));

    // A keystroke in the first document, then the debounced re-check.
    const verdict = page.locator("[data-verdict]");
    await page.keyboard.press("ControlOrMeta+Home");
    await page.keyboard.type("#");
    await page.waitForTimeout(700); // the 150 ms debounce, then the check
    results.checkMs.push(Number(await verdict.getAttribute("data-check-ms")));
    log("re-checked", results.checkMs.at(-1));

    // A keystroke and Ctrl+Enter: the page checks inside the keydown
    // handler; two animation frames later the verdict and the findings are
    // on screen.
    await page.keyboard.type("#");
    const wall = await page.evaluate(async () => {
      const start = performance.now();
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - start;
    });
    results.wallMs.push(wall);
    log("ctrl+enter", wall);
    results.findings = await page.locator("[data-finding]").count();
    results.objects = await page.locator("[data-verdict] .verdict-details").textContent();

    // Typing: the longest task between a keystroke and the re-check it triggers.
    await page.evaluate(() => {
      window.__longest = 0;
    });
    await page.keyboard.type("#");
    await page.waitForTimeout(1000); // the debounced check, then the share link update
    results.typingTaskMs.push(await page.evaluate(() => window.__longest));

    // The same objects as one `List`: a keystroke re-reads the whole document.
    const firstLine = () => page.evaluate(() => document.querySelector("[data-finding]")?.dataset.line);
    const streamLine = await firstLine();
    await page.keyboard.press("ControlOrMeta+a");
    await page.locator(".cm-content").evaluate((el, text) => {
      const data = new DataTransfer();
      data.setData("text/plain", text);
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, list);
    // Its findings are three lines lower (the List's header).
    await page.waitForFunction(
      (before) => document.querySelector("[data-verdict]")?.getAttribute("aria-busy") !== "true" && document.querySelector("[data-finding]")?.dataset.line === String(Number(before) + 3),
      streamLine,
      { timeout: 60_000 },
    );
    results.listObjects = await page.locator("[data-verdict] .verdict-details").textContent();
    await page.keyboard.press("ControlOrMeta+End");
    await page.evaluate(() => {
      window.__longest = 0;
    });
    await page.keyboard.type("#");
    await page.waitForTimeout(1000);
    results.listCheckMs.push(Number(await verdict.getAttribute("data-check-ms")));
    results.listTaskMs.push(await page.evaluate(() => window.__longest));
    await context.close();
  }
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${await browser.version()} headless`);
  console.log(`manifest: ${(Buffer.byteLength(text) / 1024 / 1024).toFixed(2)} MB from ${source}`);
  console.log(`           ${results.objects.trim()}; ${results.findings} findings listed`);
  console.log(`runs: ${runs} (median)`);
  const row = (what, xs) => console.log(`${what.padEnd(58)} ${median(xs).toFixed(1).padStart(8)} ms   (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`);
  row("first render (navigation to first verdict)", results.firstRender);
  row("1 MB pasted: first check + markers (data-check-ms)", results.pasteMs);
  row("1 MB pasted: longest main-thread task meanwhile", results.pasteTaskMs);
  row("1 MB: keystroke, re-check + markers (data-check-ms)", results.checkMs);
  row("1 MB: keystroke + Ctrl+Enter to verdict and findings on screen", results.wallMs);
  row("1 MB: longest main-thread task after a keystroke", results.typingTaskMs);
  console.log(`as one List: ${results.listObjects.trim()}`);
  row("1 MB List (one document): keystroke, re-check + markers", results.listCheckMs);
  row("1 MB List (one document): longest task after a keystroke", results.listTaskMs);
} finally {
  await browser.close();
  server.kill();
}
