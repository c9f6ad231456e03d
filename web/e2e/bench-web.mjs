// The playground's benchmark (`cargo xtask bench-web`): in Debian's
// Chromium, headless, against the release dist served on 127.0.0.1.
//
//   node web/e2e/bench-web.mjs DIST [CORPUS_DIR] [--runs N]
//
// It measures, median of N runs:
// - first render: navigation start to the first verdict on the page (the
//   checker worker's start included);
// - a 1 MB manifest pasted: its first check and markers (`data-check-ms`,
//   what the page measures itself: from the request to the worker to the
//   markers drawn), CodeMirror's own handling of the paste (one task), and
//   the longest other main-thread task until its findings are drawn;
// - typing in that manifest: a keystroke in its first document, then the
//   debounced re-check and markers (`data-check-ms`: the documents that did
//   not change are not read again); the wall time from a keystroke and
//   Ctrl+Enter to the new verdict on screen (the check, the markers and
//   the findings panel); the longest main-thread task from a keystroke to
//   the re-check that follows it;
// - the same objects as the items of one `List` document (what
//   `kubectl get -o yaml` prints): a keystroke in its last item (the
//   `Rechecker` re-reads that item, not the document), its re-check and the
//   longest task after it, and the longest task while typing ten characters
//   60 ms apart.
// Answers from the checker worker are counted as they arrive (a wrapper of
// `Worker`, installed before the page loads), to wait for "the next check".
// On a shared machine the wall clock is mostly the wait for a core: for the
// checks, the CPU time the page's main thread and the checker worker's
// thread spent (from /proc/PID/task/TID/schedstat of the renderer that
// runs the worker, on Linux) is given beside it: what they cost on an idle
// core.
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
// `kubectl get -o yaml` prints): the `Rechecker` reads it item by item.
function asList(text) {
  const items = text
    .split(/^---[ \t]*$/m)
    .map((doc) => doc.replace(/^(#.*)?\n/gm, "").trimEnd())
    .filter((doc) => /^[A-Za-z]/.test(doc))
    .map((doc) => doc.split("\n").map((line, i) => (i === 0 ? "- " : "  ") + line).join("\n"));
  return `apiVersion: v1\nkind: List\nitems:\n${items.join("\n")}\n`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// CPU time (ms) of the renderer's main thread and of its dedicated workers:
// the renderer is the descendant of this process with a DedicatedWorker
// thread (the page's checker). Zero where /proc is not there.
function cpuTime() {
  const read = (file) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  const parents = new Map();
  for (const pid of fs.existsSync("/proc") ? fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)) : []) {
    const stat = read(`/proc/${pid}/stat`);
    if (stat) parents.set(Number(pid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
  }
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) if (ours.has(parent) && !ours.has(pid)) (ours.add(pid), (grew = true));
  }
  const out = { main: 0, worker: 0 };
  for (const pid of ours) {
    const tasks = safeList(`/proc/${pid}/task`);
    const workers = tasks.filter((t) => read(`/proc/${pid}/task/${t}/comm`).startsWith("DedicatedWorker"));
    if (workers.length === 0) continue;
    const ms = (t) => Number(read(`/proc/${pid}/task/${t}/schedstat`).split(" ")[0]) / 1e6;
    out.main += ms(String(pid));
    for (const t of workers) out.worker += ms(t);
  }
  return out;
}

function safeList(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** CPU ms spent since `before` (a `cpuTime()` snapshot). */
const spent = (before) => {
  const now = cpuTime();
  return { main: now.main - before.main, worker: now.worker - before.worker };
};

// E2E_PORT (as for the browser tests) when several checkouts measure at once.
const port = Number(process.env.E2E_PORT ?? 4174);
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
  const results = {
    firstRender: [], pasteMs: [], pasteOwnMs: [], pasteTaskMs: [], checkMs: [], wallMs: [], typingTaskMs: [],
    listPasteMs: [], listCheckMs: [], listTaskMs: [], listTypingTaskMs: [], findings: 0, objects: "", listObjects: "",
    cpuPaste: [], cpuCheck: [], cpuListPaste: [], cpuListCheck: [],
  };
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Count the checker worker's answers, and time the longest main-thread
    // task (except the one `__skip` names: the paste's own).
    await context.addInitScript(() => {
      window.__answers = 0;
      const Base = window.Worker;
      window.Worker = class extends Base {
        constructor(...args) {
          super(...args);
          this.addEventListener("message", (e) => {
            if (e.data?.reply) window.__answers++;
          });
        }
      };
      window.__longest = 0;
      window.__skip = -1;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (e.startTime <= window.__skip && window.__skip <= e.startTime + e.duration) continue;
          window.__longest = Math.max(window.__longest, e.duration);
        }
      }).observe({ type: "longtask" });
    });
    const page = await context.newPage();
    page.on("console", (m) => log("console:", m.text()));
    page.on("pageerror", (e) => log("pageerror:", e.message));
    await page.goto(url);
    await page.waitForSelector("[data-verdict]");
    results.firstRender.push(await page.evaluate(() => performance.now()));
    const verdict = page.locator("[data-verdict]");
    const answers = () => page.evaluate(() => window.__answers);
    // The verdict of the next check the worker answers, on screen.
    const nextCheck = async (before) => {
      await page.waitForFunction((n) => window.__answers > n, before, { timeout: 60_000 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    };
    /** Paste `text` over everything; returns the paste's own task, in ms. */
    const paste = async (text) => {
      await page.locator(".cm-content").click();
      await page.keyboard.press("ControlOrMeta+a");
      return page.locator(".cm-content").evaluate((el, text) => {
        const data = new DataTransfer();
        data.setData("text/plain", text);
        window.__longest = 0;
        const start = (window.__skip = performance.now());
        el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
        return performance.now() - start;
      }, text);
    };

    // Paste the 1 MB manifest, wait for its verdict: every document is read.
    await page.waitForTimeout(500); // the worker's warm-up
    let before = await answers();
    let clock = cpuTime();
    results.pasteOwnMs.push(await paste(text));
    log("pasted", results.pasteOwnMs.at(-1));
    await page.waitForFunction(() => Number(document.querySelector("[data-verdict]")?.dataset.errors) > 10, null, { timeout: 60_000 });
    results.cpuPaste.push(spent(clock));
    results.pasteMs.push(Number(await verdict.getAttribute("data-check-ms")));
    // The findings panel drawn, and painted.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    results.pasteTaskMs.push(await page.evaluate(() => window.__longest));
    log("checked", results.pasteMs.at(-1));

    // A keystroke in the first document, then the debounced re-check.
    await page.keyboard.press("ControlOrMeta+Home");
    before = await answers();
    clock = cpuTime();
    await page.keyboard.type("#");
    await nextCheck(before);
    results.cpuCheck.push(spent(clock));
    results.checkMs.push(Number(await verdict.getAttribute("data-check-ms")));
    log("re-checked", results.checkMs.at(-1));

    // A keystroke and Ctrl+Enter: from the keydown to the worker's answer
    // drawn (two animation frames after it: the verdict, the markers and
    // the findings are on screen).
    await page.keyboard.type("#");
    const wall = await page.evaluate(async () => {
      const before = window.__answers;
      const start = performance.now();
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
      while (window.__answers === before) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - start;
    });
    results.wallMs.push(wall);
    log("ctrl+enter", wall);
    await page.waitForTimeout(300); // the debounced check of the keystroke
    results.findings = await page.locator("[data-finding]").count();
    results.objects = await page.locator("[data-verdict] .verdict-details").textContent();

    // Typing: the longest task between a keystroke and the re-check it triggers.
    await page.evaluate(() => {
      window.__longest = 0;
    });
    await page.keyboard.type("#");
    await page.waitForTimeout(1000); // the debounced check, then the share link update
    results.typingTaskMs.push(await page.evaluate(() => window.__longest));

    // The same objects as one `List`: a keystroke re-reads the item typed in.
    const firstLine = () => page.evaluate(() => document.querySelector("[data-finding]")?.dataset.line);
    const streamLine = await firstLine();
    clock = cpuTime();
    await paste(list);
    // Its findings are three lines lower (the List's header).
    await page.waitForFunction(
      (before) => document.querySelector("[data-verdict]")?.getAttribute("aria-busy") !== "true" && document.querySelector("[data-finding]")?.dataset.line === String(Number(before) + 3),
      streamLine,
      { timeout: 60_000 },
    );
    results.cpuListPaste.push(spent(clock));
    results.listPasteMs.push(Number(await verdict.getAttribute("data-check-ms")));
    results.listObjects = await page.locator("[data-verdict] .verdict-details").textContent();
    await page.keyboard.press("ControlOrMeta+End");
    await page.evaluate(() => {
      window.__longest = 0;
    });
    before = await answers();
    clock = cpuTime();
    await page.keyboard.type("#");
    await nextCheck(before);
    results.cpuListCheck.push(spent(clock));
    results.listCheckMs.push(Number(await verdict.getAttribute("data-check-ms")));
    await page.waitForTimeout(1000); // the share link update
    results.listTaskMs.push(await page.evaluate(() => window.__longest));

    // Typing on: ten characters, 60 ms apart, then the check of the last.
    await page.evaluate(() => {
      window.__longest = 0;
    });
    await page.keyboard.type("abcdefghij", { delay: 60 });
    await page.waitForTimeout(1000);
    results.listTypingTaskMs.push(await page.evaluate(() => window.__longest));
    await context.close();
  }
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${await browser.version()} headless`);
  console.log(`manifest: ${(Buffer.byteLength(text) / 1024 / 1024).toFixed(2)} MB from ${source}`);
  console.log(`           ${results.objects.trim()}; ${results.findings} findings listed`);
  console.log(`runs: ${runs} (median)`);
  const row = (what, xs) => console.log(`${what.padEnd(64)} ${median(xs).toFixed(1).padStart(8)} ms   (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`);
  row("first render (navigation to first verdict)", results.firstRender);
  row("1 MB pasted: first check + markers (data-check-ms)", results.pasteMs);
  row("1 MB pasted: CodeMirror's own handling of the paste", results.pasteOwnMs);
  row("1 MB pasted: longest other main-thread task until its findings are drawn", results.pasteTaskMs);
  row("1 MB: keystroke, re-check + markers (data-check-ms)", results.checkMs);
  row("1 MB: keystroke + Ctrl+Enter to verdict and findings on screen", results.wallMs);
  row("1 MB: longest main-thread task after a keystroke", results.typingTaskMs);
  console.log(`as one List: ${results.listObjects.trim()}`);
  row("1 MB List (one document) pasted: first check + markers", results.listPasteMs);
  row("1 MB List (one document): keystroke, re-check + markers", results.listCheckMs);
  row("1 MB List (one document): longest task after a keystroke", results.listTaskMs);
  row("1 MB List: longest task typing 10 characters 60 ms apart", results.listTypingTaskMs);
  console.log("CPU time, main thread / checker worker (what the steps cost on an idle core):");
  const cpuRow = (what, xs) =>
    console.log(`${what.padEnd(64)} ${median(xs.map((x) => x.main)).toFixed(1).padStart(8)} ms / ${median(xs.map((x) => x.worker)).toFixed(1)} ms`);
  cpuRow("1 MB pasted, to its verdict (CodeMirror's paste included)", results.cpuPaste);
  cpuRow("1 MB: a keystroke, to its re-check drawn", results.cpuCheck);
  cpuRow("1 MB List pasted, to its verdict", results.cpuListPaste);
  cpuRow("1 MB List: a keystroke, to its re-check drawn", results.cpuListCheck);
} finally {
  await browser.close();
  server.kill();
}
