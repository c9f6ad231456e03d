// The playground as a user meets it, in Debian's Chromium, through the test
// hooks web/README.md documents (data-verdict, data-finding, data-action…)
// and accessible names only.
import { test, expect } from "@playwright/test";
import zlib from "node:zlib";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const shots = path.resolve("target/screenshots");
fs.mkdirSync(shots, { recursive: true });

const verdict = (page) => page.locator("[data-verdict]");

/** What the findings panel lists, in order. */
async function findings(page) {
  return page.locator("[data-finding]").evaluateAll((items) =>
    items.map((el) => ({
      rule: el.dataset.rule,
      severity: el.dataset.severity,
      line: Number(el.dataset.line),
      object: el.dataset.object,
      container: el.dataset.container,
    })),
  );
}

/** Replace the editor's text the way a user pastes it. */
async function paste(page, text) {
  const content = page.locator(".cm-content");
  await content.click();
  await page.keyboard.press("ControlOrMeta+a");
  await content.evaluate((el, text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

/** The editor's text as shown (CodeMirror renders the visible lines only). */
const editorText = (page) =>
  page.locator(".cm-line").evaluateAll((lines) => lines.map((l) => l.textContent).join("\n"));

/** A share link as another page builds it, with zlib instead of the browser. */
function shareLink(payload) {
  return "#v1=" + zlib.deflateRawSync(Buffer.from(JSON.stringify(payload))).toString("base64url");
}

/** The payload of a share link, decoded with zlib. */
function readShareLink(url) {
  const data = new URL(url).hash.replace(/^#v1=/, "");
  return JSON.parse(zlib.inflateRawSync(Buffer.from(data, "base64url")).toString("utf8"));
}

const TUTORIAL = [
  { rule: "privileged", line: 13 },
  { rule: "allow-privilege-escalation", line: 14 },
  { rule: "run-as-root", line: 15 },
  { rule: "writable-root-filesystem", line: 16 },
];

test("the tutorial's pod: four errors on the right lines, fixed in two steps, nothing sent anywhere", async ({ page, context }) => {
  const requests = [];
  context.on("request", (r) => requests.push(r.url()));
  await page.goto("./");

  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  await expect(verdict(page)).toHaveAttribute("data-errors", "4");
  await expect(verdict(page)).toHaveAttribute("data-warnings", "2");
  const listed = await findings(page);
  const errors = listed.filter((f) => f.severity === "error");
  expect(errors.map(({ rule, line }) => ({ rule, line }))).toEqual(TUTORIAL);
  for (const f of listed) {
    expect(f.object).toBe("Pod/nginx-mutable");
    expect(f.container).toBe("nginx");
  }
  expect(Number(await verdict(page).getAttribute("data-check-ms"))).toBeGreaterThan(0);

  // A gutter marker and an underline per error, on the lines the findings name.
  await expect(page.locator(".cm-lint-marker-error")).toHaveCount(4);
  const underlined = await page.locator(".cm-lintRange-error").allTextContents();
  expect(underlined.join("|")).toBe("privileged: true|allowPrivilegeEscalation: true|runAsUser: 0|readOnlyRootFilesystem: false");

  // Open a finding: the cursor goes to its line, its rule's docs show
  // (fetched with the page: rule-pages.json is not in the wasm).
  const loaded = requests.length;
  expect(requests.filter((u) => u.endsWith("/rule-pages.json")).length).toBeGreaterThan(0);
  const privileged = page.locator('[data-finding][data-rule="privileged"]');
  await privileged.locator("summary").click();
  await expect(privileged.getByText("Why it matters", { exact: true })).toBeVisible();
  await expect(page.locator(".cm-activeLine")).toHaveText(/privileged: true/);

  // Safe fixes: one error left, run-as-root (its fix is unsafe).
  await page.locator('[data-action="tab-fixed"]').click();
  await expect(page.locator(".fixed-text")).toContainText("readOnlyRootFilesystem: true");
  await page.locator('[data-action="apply-fix"]').click();
  await expect(verdict(page)).toHaveAttribute("data-errors", "1");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  await page.locator('[data-action="tab-findings"]').click();
  expect((await findings(page)).filter((f) => f.severity === "error").map((f) => f.rule)).toEqual(["run-as-root"]);

  // Unsafe fixes too: immutable.
  await page.locator('[data-action="tab-fixed"]').click();
  await page.locator('[data-action="toggle-unsafe"]').check();
  await page.locator('[data-action="show-diff"]').click();
  await expect(page.locator(".diff")).toContainText("runAsNonRoot: true");
  await page.locator('[data-action="apply-fix"]').click();
  await expect(verdict(page)).toHaveAttribute("data-verdict", "immutable");
  await expect(verdict(page)).toHaveAttribute("data-errors", "0");

  // The examples menu's manifests were fetched with the page too
  // (examples.json, not in the wasm): picking one sends nothing.
  expect(requests.filter((u) => u.endsWith("/examples.json")).length).toBeGreaterThan(0);
  await page.locator('[data-action="examples"]').selectOption("json");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  await expect(page.locator(".cm-content")).toContainText('"hostPID": true');

  // Nothing but the playground's own files, and nothing at all once loaded.
  const origin = new URL(page.url()).origin;
  expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:"))).toEqual([]);
  await page.waitForTimeout(1000); // the share link and storage updates settle
  expect(requests.slice(loaded).filter((u) => !u.startsWith("data:") && !u.endsWith("/sw.js"))).toEqual([]);
});

test("share links: written as specified, reopened with the same findings, built elsewhere, or broken", async ({ page, browser }) => {
  await page.goto("./");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  await page.locator('[data-action="examples"]').selectOption("deployment");
  await expect(verdict(page)).toHaveAttribute("data-errors", "2");
  await page.locator('[data-action="tab-settings"]').click();
  await page.locator('[data-setting-rule="may-run-as-root"]').selectOption("off");
  await expect(verdict(page)).toHaveAttribute("data-warnings", "4");
  await expect.poll(() => page.url().includes("#v1=") && readShareLink(page.url()).settings !== undefined).toBe(true);

  const link = page.url();
  const payload = readShareLink(link);
  expect(payload.settings).toEqual({ rules: { "may-run-as-root": "off" } });
  expect(payload.manifest).toContain("name: copy-assets");
  // The same settings as ValidatingAdmissionPolicies: may-run-as-root, off, is not enforced.
  await page.locator('[data-action="export-vap"]').click();
  const vap = page.locator('[data-export="kube-immutable-vap.yaml"]');
  await expect(vap).toContainText("kind: ValidatingAdmissionPolicyBinding");
  await expect(vap).toContainText("validationActions: [Deny, Audit]");
  expect(await vap.textContent()).not.toContain("variables.mayRunAsRoot");
  await page.locator('[data-action="tab-findings"]').click();
  const before = await findings(page);
  expect(before.length).toBe(6);

  // A fresh browser (no local storage) opening the link sees the same.
  const other = await browser.newContext();
  const reopened = await other.newPage();
  await reopened.goto(link);
  await expect(verdict(reopened)).toHaveAttribute("data-warnings", "4");
  await expect(verdict(reopened)).toHaveAttribute("data-errors", "2");
  expect(await findings(reopened)).toEqual(before);
  const shown = await editorText(reopened);
  expect(shown.length).toBeGreaterThan(200);
  expect(payload.manifest.startsWith(shown)).toBe(true);

  // A link built by another page (zlib, not the browser's CompressionStream).
  await reopened.goto("./" + shareLink({ manifest: "kind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: c, image: x}]\n", settings: { rules: { "host-namespaces": "warning" } } }));
  await expect(verdict(reopened)).toHaveAttribute("data-verdict", "mutable");
  await expect(reopened.locator('[data-finding][data-rule="host-namespaces"]')).toHaveAttribute("data-severity", "warning");

  // A link that does not decode: a clear message, and the example.
  const broken = await (await browser.newContext()).newPage();
  await broken.goto("./#v1=not*base64");
  await expect(broken.locator("[data-notice]")).toContainText("cannot be read");
  await expect(verdict(broken)).toHaveAttribute("data-errors", "4");
  await other.close();
});

test("custom resources: a Ray cluster per pod spec, a kind declared in the settings, shared and refused", async ({ page, browser }) => {
  const ray = [
    "apiVersion: ray.io/v1",
    "kind: RayCluster",
    "metadata: {name: rc}",
    "spec:",
    "  headGroupSpec:",
    "    template:",
    "      spec:",
    "        containers:",
    "        - name: head",
    "        - name: head",
    "          image: rayproject/ray:2.52.0",
    "          securityContext: {privileged: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}",
    "  workerGroupSpecs:",
    "  - groupName: workers",
    "    template:",
    "      spec:",
    "        hostNetwork: true",
    "        containers:",
    "        - name: worker",
    "          image: rayproject/ray:2.52.0",
    "          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}}",
    "",
  ].join("\n").replace("        - name: head\n        - name: head\n", "        - name: head\n");
  await page.goto("./");
  await paste(page, ray);
  await expect(verdict(page)).toHaveAttribute("data-errors", "2");
  expect(await findings(page)).toEqual([
    { rule: "privileged", severity: "error", line: 11, object: "RayCluster/rc", container: "head" },
    { rule: "host-namespaces", severity: "error", line: 16, object: "RayCluster/rc", container: "" },
  ]);
  // Each pod spec is a group of its own, its pointer on hover.
  await expect(page.locator('[data-object-group="RayCluster/rc"] h3').nth(1)).toHaveAttribute("title", "/spec/workerGroupSpecs/0/template/spec");
  await page.screenshot({ path: path.join(shots, "custom-resource-findings.png") });

  // A kind of one's own: nothing until it is declared in the settings.
  const runner = ray.replace("ray.io/v1\nkind: RayCluster", "pipelines.example.com/v1\nkind: Runner");
  await paste(page, runner);
  await expect(verdict(page)).toHaveAttribute("data-verdict", "empty");
  await page.locator('[data-action="tab-settings"]').click();
  const workloads = page.locator('[data-setting="workloads"]');
  await workloads.fill('- {apiVersion: "pipelines.example.com/*", kind: Runner, podSpecs: [/spec/workerGroupSpecs/*/template/spec]}');
  await workloads.blur();
  await expect(verdict(page)).toHaveAttribute("data-errors", "1");
  await page.screenshot({ path: path.join(shots, "settings-workloads.png"), fullPage: true });
  await expect.poll(() => page.url().includes("#v1=") && readShareLink(page.url()).settings !== undefined).toBe(true);
  expect(readShareLink(page.url()).settings).toEqual({
    workloads: [{ apiVersion: "pipelines.example.com/*", kind: "Runner", podSpecs: ["/spec/workerGroupSpecs/*/template/spec"] }],
  });
  // The panel shows it back as the settings file's YAML.
  await expect(workloads).toHaveValue('- apiVersion: "pipelines.example.com/*"\n  kind: Runner\n  podSpecs:\n    - "/spec/workerGroupSpecs/*/template/spec"\n');
  await page.locator('[data-action="tab-findings"]').click();
  expect(await findings(page)).toEqual([
    { rule: "host-namespaces", severity: "error", line: 16, object: "Runner/rc", container: "" },
  ]);

  // The link opens elsewhere with the declared kind.
  const other = await browser.newContext();
  const reopened = await other.newPage();
  await reopened.goto(page.url());
  await expect(verdict(reopened)).toHaveAttribute("data-errors", "1");
  await other.close();

  // A pointer that is not one: the core's message, naming the entry.
  await page.locator('[data-action="tab-settings"]').click();
  await workloads.fill("- {apiVersion: pipelines.example.com/v1, kind: Runner, podSpecs: [spec/template/spec]}");
  await workloads.blur();
  await expect(page.locator("[data-settings-error]")).toContainText("`workloads[0].podSpecs[0]`: `spec/template/spec` is not a JSON pointer");
  await expect(verdict(page)).toHaveAttribute("data-errors", "1");
});

test("bad input: a broken document, an alias bomb, deep nesting and 20 MB each say why, and the page keeps working", async ({ page }) => {
  await page.goto("./");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");

  await page.locator('[data-action="examples"]').selectOption("helm-output");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "invalid");
  // The parser notices the unclosed list where the document ends.
  await expect(page.locator("[data-input-error]")).toHaveAttribute("data-line", "17");
  await expect(page.locator('[data-finding][data-rule="privileged"]')).toHaveCount(1);

  // Typing re-checks what changed (web/README.md): closing the list mends
  // the broken document, and a line added on top moves every finding down.
  const privilegedLine = Number(await page.locator('[data-finding][data-rule="privileged"]').getAttribute("data-line"));
  await page.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+Home");
  for (let line = 1; line < 16; line++) await page.keyboard.press("ArrowDown"); // `LOG_LEVEL: [info`
  await page.keyboard.press("End");
  await page.keyboard.type("]");
  await expect(page.locator("[data-input-error]")).toHaveCount(0);
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  const mended = await findings(page);
  expect(mended.some((f) => f.rule === "privileged" && f.line === privilegedLine)).toBe(true);
  await page.keyboard.press("ControlOrMeta+Home");
  await page.keyboard.press("Enter");
  await expect(page.locator('[data-finding][data-rule="privileged"]')).toHaveAttribute("data-line", String(privilegedLine + 1));
  expect(await findings(page)).toEqual(mended.map((f) => ({ ...f, line: f.line + 1 })));

  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 10; i++) {
    const [name, prev] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
    bomb.push(`${name}: &${name} [${Array(9).fill("*" + prev).join(", ")}]`);
  }
  await paste(page, bomb.join("\n") + "\n");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "invalid");
  await expect(page.locator("[data-input-error]")).toContainText("nodes");

  await paste(page, "a: ".concat("[".repeat(10000), "]".repeat(10000), "\n"));
  await expect(page.locator("[data-input-error]")).toContainText("nesting deeper than");

  await paste(page, "# ".concat("x".repeat(20 * 1024 * 1024), "\n"));
  await expect(page.locator("[data-input-error]")).toContainText("more than the limit");

  // A long report lists its first objects' findings, and the rest on demand.
  const pod = (i) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]\n`;
  const pods = Array.from({ length: 60 }, (_, i) => pod(i));
  await paste(page, pods.join("---\n"));
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  const total = Number(await verdict(page).getAttribute("data-errors")) + Number(await verdict(page).getAttribute("data-warnings"));
  expect(total).toBeGreaterThan(240);
  const more = page.locator("[data-more-findings]");
  await expect(more).toBeVisible();
  const listed = await page.locator("[data-finding]").count();
  expect(listed).toBeGreaterThanOrEqual(200);
  expect(listed + Number(await more.getAttribute("data-more-findings"))).toBe(total);

  // 200 KB is read in slices (web/README.md): the same findings, 25 times,
  // the verdict saying it is busy meanwhile.
  const errors = Number(await verdict(page).getAttribute("data-errors"));
  await page.evaluate(() => {
    window.__busy = false;
    new MutationObserver(() => {
      window.__busy ||= document.querySelector("[data-verdict]")?.getAttribute("aria-busy") === "true";
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["aria-busy"] });
  });
  await paste(page, Array.from({ length: 60 * 25 }, (_, i) => pod(i)).join("---\n"));
  await expect(verdict(page)).toHaveAttribute("data-errors", String(25 * errors));
  await expect(verdict(page)).toHaveAttribute("data-warnings", String(25 * (total - errors)));
  expect(await page.evaluate(() => window.__busy)).toBe(true);
  await expect(verdict(page)).not.toHaveAttribute("aria-busy", "true");
  await paste(page, pods.join("---\n"));
  await expect(verdict(page)).toHaveAttribute("data-errors", String(errors));

  await page.locator('[data-action="show-all-findings"]').click();
  await expect(page.locator("[data-finding]")).toHaveCount(total);
  await expect(more).toHaveCount(0);
  // A larger paste afterwards lists about as many, not its thousands.
  await paste(page, Array.from({ length: 60 * 25 }, (_, i) => pod(i)).join("---\n"));
  await expect(verdict(page)).toHaveAttribute("data-errors", String(25 * errors));
  await expect(more).toBeVisible();
  const relisted = await page.locator("[data-finding]").count();
  expect(relisted).toBeGreaterThanOrEqual(total);
  expect(relisted).toBeLessThan(total + 20);
  expect(relisted + Number(await more.getAttribute("data-more-findings"))).toBe(25 * total);

  await page.locator('[data-action="examples"]').selectOption("immutable-pod");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "immutable");
});

test("embed mode, French, themes, keyboard and accessibility; screenshots", async ({ page, browser }) => {
  for (const scheme of ["light", "dark"]) {
    const context = await browser.newContext({ colorScheme: scheme });
    const p = await context.newPage();
    await p.goto("./");
    await expect(verdict(p)).toHaveAttribute("data-verdict", "mutable");
    await p.locator('[data-finding][data-rule="writable-root-filesystem"] summary').click();
    await p.addScriptTag({ content: axeSource });
    const results = await p.evaluate(() => window.axe.run({ resultTypes: ["violations"] }));
    const serious = results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(serious, scheme).toEqual([]);
    await p.screenshot({ path: path.join(shots, `playground-${scheme}.png`) });
    await context.close();
  }

  // French, from the query (the browser's language does the same).
  await page.goto("./?lang=fr");
  await expect(verdict(page)).toContainText("Pas immuable");
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await expect(page.locator('[data-finding][data-rule="privileged"]')).toContainText("privilégié");
  // The rule's page in French, linked to the French page.
  const opened = page.locator('[data-finding][data-rule="writable-root-filesystem"]');
  await opened.locator("summary").click();
  await expect(opened.locator('.rule-docs[lang="fr"]')).toContainText("Pourquoi c'est important");
  await expect(opened.locator('a[href$="/docs/rules/fr/writable-root-filesystem.md"]')).toHaveCount(1);
  await page.screenshot({ path: path.join(shots, "playground-fr.png") });

  // Ctrl+Enter checks at once, without waiting for the debounce.
  await page.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+End");
  await page.keyboard.type("\n---\nkind: Pod\nspec: {hostIPC: true, containers: []}");
  await page.keyboard.press("ControlOrMeta+Enter");
  await expect(page.locator('[data-finding][data-rule="host-namespaces"]')).toHaveCount(1);
  // Ctrl+/ comments the line out with YAML's `#`, and back in.
  await page.keyboard.press("ControlOrMeta+/");
  await page.keyboard.press("ControlOrMeta+Enter");
  await expect(page.locator('[data-finding][data-rule="host-namespaces"]')).toHaveCount(0);
  expect(await editorText(page)).toContain("\n# spec: {hostIPC: true");
  await page.keyboard.press("ControlOrMeta+/");
  await page.keyboard.press("ControlOrMeta+Enter");
  await expect(page.locator('[data-finding][data-rule="host-namespaces"]')).toHaveCount(1);

  // Embed mode: no header, a link to the full playground.
  await page.goto("./?embed=1");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  await expect(page.locator("h1")).toHaveCount(0);
  const full = page.locator('[data-action="open-full"]');
  await expect(full).toBeVisible();
  expect(await full.getAttribute("href")).not.toContain("embed");
  await page.setViewportSize({ width: 900, height: 600 });
  await page.screenshot({ path: path.join(shots, "playground-embed.png") });
});

test("remembers the last manifest, resets to the example, and works offline once loaded", async ({ page }) => {
  await page.addInitScript(countAnswers);
  await page.goto("./");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  await page.locator('[data-action="examples"]').selectOption("cronjob");
  await expect(page.locator('[data-finding][data-rule="host-namespaces"]')).toHaveCount(1);
  await expect.poll(() => page.evaluate(() => localStorage.length)).toBeGreaterThan(0);

  // Back without the link: local storage brings the CronJob back.
  await page.goto("./");
  await expect(page.locator('[data-finding][data-rule="host-namespaces"]')).toHaveCount(1);

  // Offline: the service worker serves the page and its files.
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Cached on install: the page's files and the checker worker's script
  // (Chromium's offline emulation may still serve a worker's script from
  // its HTTP cache, so the cache itself is what this checks).
  const cached = await page.evaluate(async () => {
    const urls = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
  });
  expect(cached).toContain("/playground/worker.js");
  expect(cached.filter((p) => p.endsWith(".wasm"))).toHaveLength(1);
  await page.context().setOffline(true);
  await page.reload();
  await expect(verdict(page)).toHaveAttribute("data-verdict", "mutable");
  // Checked offline by a worker, not by the page's fallback (which runs
  // when no worker can be had).
  expect(await page.evaluate(() => window.__workers)).toMatchObject({ started: 1, ready: 1 });
  expect(await page.evaluate(() => window.__answers.length)).toBeGreaterThan(0);
  // The rule pages (rule-pages.json, not in the wasm) come from the cache too.
  const hostNamespaces = page.locator('[data-finding][data-rule="host-namespaces"]');
  await hostNamespaces.locator("summary").click();
  await expect(hostNamespaces.locator(".rule-docs")).toContainText("Why it matters");
  // And the examples (examples.json, not in the wasm either).
  await page.locator('[data-action="examples"]').selectOption("list");
  await expect(page.locator("[data-finding]").first()).toBeVisible();
  await expect(page.locator('[data-finding][data-rule="host-namespaces"]')).toHaveCount(0);
  await page.context().setOffline(false);

  await page.locator('[data-action="reset"]').click();
  await expect(verdict(page)).toHaveAttribute("data-errors", "4");
  await expect(page.locator('[data-finding][data-rule="privileged"]')).toHaveCount(1);
});

// The checker runs in a Web Worker (web/src/worker.rs). These wrap the
// page's `Worker` before it loads to see the worker's answers as they
// arrive: what the page does with them is what the tests check.
const countAnswers = () => {
  window.__answers = [];
  window.__workers = { started: 0, ready: 0, ended: 0 };
  const Base = window.Worker;
  window.Worker = class extends Base {
    constructor(...args) {
      super(...args);
      window.__workers.started += 1;
      this.addEventListener("message", (e) => {
        if (e.data?.reply) window.__answers.push({ id: e.data.id, kind: e.data.kind, length: e.data.reply[0].length });
        if (e.data?.ready) window.__workers.ready += 1;
      });
    }
    terminate() {
      window.__workers.ended += 1;
      super.terminate();
    }
  };
};

/** A `List` of `n` privileged pods: one document, read whole on each check. */
function bigList(n) {
  const item = (i) =>
    `- apiVersion: v1\n  kind: Pod\n  metadata: {name: p${i}, namespace: team-${i % 7}}\n  spec:\n    containers:\n      - name: app\n        image: registry.example/app:1.${i}\n        securityContext: {privileged: true, runAsUser: 0}\n        volumeMounts: [{name: data, mountPath: /data}]\n    volumes: [{name: data, emptyDir: {}}]\n`;
  return "apiVersion: v1\nkind: List\nitems:\n" + Array.from({ length: n }, (_, i) => item(i)).join("");
}

/** Paste over everything and check at once (Ctrl+Enter); then, in the
 * same turn of the page's loop, load an example if one is named. */
async function pasteAndCheck(page, text, example = null) {
  const content = page.locator(".cm-content");
  await content.click();
  await page.keyboard.press("ControlOrMeta+a");
  await content.evaluate(
    (el, [text, example]) => {
      const data = new DataTransfer();
      data.setData("text/plain", text);
      el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
      if (example) {
        const examples = document.querySelector('[data-action="examples"]');
        examples.value = example;
        examples.dispatchEvent(new Event("change", { bubbles: true }));
      }
    },
    [text, example],
  );
}

test("an answer for an outdated text is dropped: the page shows the newest text's", async ({ page }) => {
  await page.addInitScript(countAnswers);
  await page.goto("./");
  await expect(verdict(page)).toHaveAttribute("data-errors", "4");
  await page.evaluate(() => {
    window.__shown = [];
    new MutationObserver(() => {
      window.__shown.push(document.querySelector("[data-verdict]")?.dataset.errors);
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-errors"] });
  });
  const answered = await page.evaluate(() => window.__answers.length);
  // A long text goes to the worker, then at once the immutable pod (from
  // the examples menu): the worker is still on the long text when the
  // pod's check is asked for, and answers the long text first.
  await pasteAndCheck(page, bigList(3000), "immutable-pod");
  await expect(verdict(page)).toHaveAttribute("data-verdict", "immutable");
  const answers = await page.evaluate((n) => window.__answers.slice(n), answered);
  const checks = answers.filter((a) => a.kind === "check");
  expect(checks.length, "the worker answered both checks").toBeGreaterThanOrEqual(2);
  // The long text's answer came first, and was the larger one: outdated
  // by the time it arrived.
  expect(checks[0].id).toBeLessThan(checks.at(-1).id);
  expect(checks[0].length).toBeGreaterThan(checks.at(-1).length * 10);
  // Thousands of errors were answered for the long text, and never shown.
  const shown = await page.evaluate(() => window.__shown);
  expect(shown.filter((errors) => Number(errors) > 4)).toEqual([]);
  expect(await page.locator('[data-finding][data-severity="error"]').count()).toBe(0);
});

test("a check that runs too long is stopped, the page says so and stays usable; typing never waits for the worker", async ({ page }) => {
  // A test-only timeout (web/README.md): 250 ms instead of 10 s. The
  // tutorial's pod checks in a few ms; 5,000 privileged pods (1.5 MB,
  // 30,000 findings) take the worker seconds.
  await page.addInitScript(countAnswers);
  await page.goto("./?check-timeout=250");
  await expect(verdict(page)).toHaveAttribute("data-errors", "4");
  const pod = (i) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers:\n    - name: app\n      image: registry.example/app:1.${i}\n      securityContext: {privileged: true, runAsUser: 0}\n`;
  const slow = Array.from({ length: 5000 }, (_, i) => pod(i)).join("---\n");
  await pasteAndCheck(page, slow);
  // While the worker reads it, the page takes keystrokes at once.
  await page.evaluate(() => {
    window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: "longtask" });
  });
  await page.keyboard.press("ControlOrMeta+End");
  await page.keyboard.type("# typed while checking", { delay: 20 });
  await expect(page.locator(".cm-line").last()).toHaveText("# typed while checking");
  const stopped = page.locator("[data-check-stopped]");
  await expect(stopped).toContainText("Check stopped");
  await expect(stopped).toContainText("It took longer than 250\u00a0ms");
  await expect(stopped).toHaveAttribute("data-check-stopped", "250");
  await expect(stopped).toHaveAttribute("role", "alert");
  // Stopped by ending its worker (the text typed meanwhile may be stopped
  // too); a new one is loaded for the next request.
  await expect
    .poll(() =>
      page.evaluate(() => {
        const { started, ready, ended } = window.__workers;
        return { ended: ended > 0, replaced: started === ended + 1, loaded: ready === started };
      }),
    )
    .toEqual({ ended: true, replaced: true, loaded: true });
  await expect(page.locator("[data-verdict]")).toHaveCount(0);
  await expect(page.locator('[data-action="tab-findings"]')).toHaveText("Findings");
  await expect(page.locator(".cm-lint-marker-error")).toHaveCount(0);
  // A main-thread check of this held the page for seconds; the typing
  // and the text handed to the worker cost it far less (lenient for CI).
  expect(await page.evaluate(() => window.__longest)).toBeLessThan(400);
  await page.screenshot({ path: path.join(shots, "playground-stopped.png") });

  // In French too (the language's re-check is stopped again).
  await page.locator('[data-action="language"]').selectOption("fr");
  await expect(stopped).toContainText("Vérification arrêtée");
  await expect(stopped).toContainText("Elle a duré plus de 250\u00a0ms");

  // A new worker checks the next text.
  await page.locator('[data-action="examples"]').selectOption("mutable-pod");
  await expect(verdict(page)).toHaveAttribute("data-errors", "4");
  await expect(page.locator("[data-check-stopped]")).toHaveCount(0);
  await expect(page.locator(".cm-lint-marker-error")).toHaveCount(4);
});
