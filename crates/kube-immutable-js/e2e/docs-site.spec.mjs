// The docs-site example (examples/docs-site/index.html) as a reader meets it,
// in Debian's Chromium: the <kube-immutable-check> element of the npm
// package (`cargo xtask build-npm`, target/npm/) on the tutorial's pods, its
// "Open in the playground" link, the playground's embed mode in an iframe
// (`cargo xtask build-web`, target/web/), and a plain check() call. The
// repository's root is served on 127.0.0.1 (playwright.config.mjs, project
// "docs-site"); only the documented test hooks are read.
import { test, expect } from "@playwright/test";
import zlib from "node:zlib";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(fileURLToPath(import.meta.url), "../../../..");
const MUTABLE = fs.readFileSync(path.join(root, "examples/mutable-pod.yaml"), "utf8");
const IMMUTABLE = fs.readFileSync(path.join(root, "examples/immutable-pod.yaml"), "utf8");
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const shots = path.join(root, "target/screenshots");
fs.mkdirSync(shots, { recursive: true });

const TUTORIAL = [
  { rule: "privileged", line: 13 },
  { rule: "allow-privilege-escalation", line: 14 },
  { rule: "run-as-root", line: 15 },
  { rule: "writable-root-filesystem", line: 16 },
];

/** What an element (or the playground) lists, in order. */
const findings = (scope) =>
  scope.locator("[data-finding]").evaluateAll((items) =>
    items.map((el) => ({
      rule: el.dataset.rule,
      severity: el.dataset.severity,
      line: Number(el.dataset.line),
      column: Number(el.dataset.column),
      object: el.dataset.object,
      container: el.dataset.container,
    })),
  );

/** The payload of a share link, decoded with zlib (the playground's format). */
function readShareLink(url) {
  const hash = new URL(url).hash;
  expect(hash).toMatch(/^#v1=[A-Za-z0-9_-]+$/);
  return JSON.parse(zlib.inflateRawSync(Buffer.from(hash.slice(4), "base64url")).toString("utf8"));
}

test("the tutorial's pods on a docs page: four errors marked on lines 13 to 16, none once immutable, nothing sent anywhere", async ({ page, context }) => {
  const requests = [];
  const failures = [];
  context.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => failures.push(e.message));
  await page.goto("examples/docs-site/");

  const before = page.locator("#before kube-immutable-check");
  const verdict = before.locator("[data-verdict]");
  await expect(verdict).toHaveAttribute("data-verdict", "mutable");
  await expect(verdict).toHaveAttribute("data-errors", "4");
  await expect(verdict).toHaveAttribute("data-warnings", "2");
  await expect(verdict).toContainText("Not immutable");
  const listed = await findings(before);
  expect(listed.filter((f) => f.severity === "error").map(({ rule, line }) => ({ rule, line }))).toEqual(TUTORIAL);
  expect(listed.filter((f) => f.severity === "error").every((f) => f.column === 9)).toBe(true);
  for (const f of listed) {
    expect(f.object).toBe("Pod/nginx-mutable");
    expect(f.container).toBe("nginx");
  }
  // The lines are numbered and the four offending ones marked as errors.
  const marked = await before.locator("[data-mark='error']").evaluateAll((rows) => rows.map((r) => Number(r.dataset.lineNumber)));
  expect(marked).toEqual([13, 14, 15, 16]);
  await expect(before.locator("[data-line-number='13'] mark")).toHaveText("privileged: true");
  await expect(before.locator("[data-finding][data-rule='privileged']")).toContainText("Safe fix: Set privileged: false");

  // `src`: the immutable pod is fetched, and passes with the three warnings the tutorial leaves implicit.
  const after = page.locator("#after kube-immutable-check [data-verdict]");
  await expect(after).toHaveAttribute("data-verdict", "immutable");
  await expect(after).toHaveAttribute("data-errors", "0");
  await expect(after).toHaveAttribute("data-warnings", "3");
  expect(await page.locator("#after kube-immutable-check").evaluate((el) => el.source)).toBe(IMMUTABLE);

  // lang="fr" on an ancestor, the manifest in a <script type="text/yaml"> child.
  const french = page.locator("#french kube-immutable-check");
  await expect(french.locator("[data-verdict]")).toHaveAttribute("data-verdict", "mutable");
  await expect(french.locator("[data-verdict]")).toContainText("Pas immuable");
  await expect(french.locator("[data-verdict]")).toContainText("1 erreur");
  const host = french.locator("[data-finding][data-rule='host-namespaces']");
  await expect(host).toHaveAttribute("data-container", "");
  await expect(host).toHaveAttribute("data-object", "Pod/outil");
  await expect(host).toHaveAttribute("data-line", "6");
  await expect(host).toContainText("l'hôte");
  await expect(french.locator("[data-action='open-playground']")).toHaveText("Ouvrir dans le bac à sable");
  await expect(french.locator("[data-action='open-playground']")).toHaveAttribute("href", /\?lang=fr#v1=/);

  // A plain check() call printing JSON.
  await expect(page.locator("#json")).toContainText('"rule": "privileged"');
  const printed = await page.locator("#json").textContent();
  const result = JSON.parse(printed.slice(printed.indexOf("\n") + 1));
  expect(result.objects).toBe(1);
  expect(result.findings.find((f) => f.rule === "privileged")).toMatchObject({ line: 6, container: "shell", name: "debug" });

  // Accessibility of what the element renders (light page).
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const { violations } = await window.axe.run({ include: [["kube-immutable-check"]] });
    return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.length} ${v.nodes.map((n) => n.target.join(" ") + " " + n.any.map((a) => a.message).join(";")).join(" | ")}`);
  });
  expect(violations).toEqual([]);

  await page.screenshot({ path: path.join(shots, "docs-site.png"), fullPage: true });
  expect(failures).toEqual([]);
  const outside = requests.filter((url) => !url.startsWith(new URL("/", page.url()).href));
  expect(outside).toEqual([]);
});

test("Open in the playground: the link carries the manifest in the share format, and the playground shows the same four errors", async ({ page, context }) => {
  await page.goto("examples/docs-site/");
  const link = page.locator("#before [data-action='open-playground']");
  await expect(link).toHaveAttribute("href", /#v1=/);
  const href = await link.evaluate((a) => a.href);
  expect(new URL(href).pathname).toBe("/target/web/");
  expect(readShareLink(href)).toEqual({ manifest: MUTABLE });

  const [playground] = await Promise.all([context.waitForEvent("page"), link.click()]);
  const verdict = playground.locator("[data-verdict]");
  await expect(verdict).toHaveAttribute("data-verdict", "mutable");
  await expect(verdict).toHaveAttribute("data-errors", "4");
  const listed = await findings(playground);
  expect(listed.filter((f) => f.severity === "error").map(({ rule, line }) => ({ rule, line }))).toEqual(TUTORIAL);
  await playground.close();
});

test("the playground's embed mode in an iframe opens the manifest of its share fragment", async ({ page }) => {
  await page.goto("examples/docs-site/");
  const frame = page.frameLocator("#playground");
  const verdict = frame.locator("[data-verdict]");
  await expect(verdict).toHaveAttribute("data-verdict", "mutable");
  await expect(verdict).toHaveAttribute("data-errors", "2");
  const listed = await findings(frame);
  expect(listed.filter((f) => f.severity === "error").map(({ rule, line, object }) => ({ rule, line, object }))).toEqual([
    { rule: "host-namespaces", line: 13, object: "Deployment/web" },
    { rule: "writable-root-filesystem", line: 17, object: "Deployment/web" },
  ]);
  await expect(frame.locator("[data-action='open-full']")).toBeVisible();
});

test("the element follows its source, lang and settings, and says why when it cannot check", async ({ page }) => {
  await page.goto("examples/docs-site/");
  await expect(page.locator("#before [data-verdict]")).toHaveAttribute("data-verdict", "mutable");
  await page.evaluate((text) => {
    const el = document.createElement("kube-immutable-check");
    el.id = "live";
    el.textContent = text;
    document.querySelector("main").append(el);
  }, MUTABLE);
  const live = page.locator("#live");
  const verdict = live.locator("[data-verdict]");
  await expect(verdict).toHaveAttribute("data-errors", "4");

  // Settings in the core's format: levels apply, and the share link keeps them.
  await live.evaluate((el) => el.setAttribute("settings", '{"rules": {"privileged": "off", "may-run-as-root": "error"}}'));
  await expect(verdict).toHaveAttribute("data-errors", "4");
  await expect(verdict).toHaveAttribute("data-warnings", "1");
  await expect(live.locator("[data-rule='privileged']")).toHaveCount(0);
  await expect(live.locator("[data-action='open-playground']")).toHaveAttribute("href", /#v1=/);
  const href = await live.locator("[data-action='open-playground']").evaluate((a) => a.href);
  expect(readShareLink(href)).toEqual({ manifest: MUTABLE, settings: { rules: { privileged: "off", "may-run-as-root": "error" } } });
  // Settings the core refuses: its message.
  await live.evaluate((el) => el.setAttribute("settings", '{"rules": {"nope": "off"}}'));
  await expect(live.locator("[data-notice]")).toContainText("invalid settings: unknown rule `nope`");
  await live.evaluate((el) => el.removeAttribute("settings"));

  // The `source` property; an immutable pod; then lang="fr".
  await live.evaluate((el, text) => (el.source = text), IMMUTABLE);
  await expect(verdict).toHaveAttribute("data-verdict", "immutable");
  await expect(verdict).toContainText("Immutable");
  await live.evaluate((el) => el.setAttribute("lang", "fr"));
  await expect(verdict).toContainText("Immuable");
  await expect(verdict).toContainText("0 erreur, 3 avertissements");

  // Broken YAML: the input error at its line, the verdict `invalid`.
  await live.evaluate((el) => (el.source = "kind: Pod\nmetadata: {name: x}\nspec:\n  containers: [\n"));
  await expect(verdict).toHaveAttribute("data-verdict", "invalid");
  await expect(live.locator("[data-input-error]")).toHaveCount(1);
  const line = Number(await live.locator("[data-input-error]").getAttribute("data-line"));
  expect(line).toBeGreaterThanOrEqual(4);

  // A `src` that does not load.
  await live.evaluate((el) => el.setAttribute("src", "missing.yaml"));
  await expect(live.locator("[data-notice]")).toContainText("missing.yaml");
  await expect(live.locator("[data-notice]")).toContainText("404");
});

test("every rule page's playground link opens the rule's example, with its finding", async ({ page }) => {
  const pages = fs.readdirSync(path.join(root, "docs/rules")).filter((f) => f.endsWith(".md") && f !== "README.md");
  expect(pages.length).toBeGreaterThanOrEqual(7);
  for (const file of pages) {
    const id = file.replace(/\.md$/, "");
    const markdown = fs.readFileSync(path.join(root, "docs/rules", file), "utf8");
    const link = markdown.match(/\[Open in the playground\]\((https:[^)]+)\)/)?.[1];
    expect(link, `${file} links to the playground`).toBeTruthy();
    // The published address, served here from the local build.
    const local = new URL(link);
    await page.goto(`/target/web/${local.search}${local.hash}`);
    // The example's own object, not the playground's default example.
    const { manifest } = readShareLink(link);
    const kind = manifest.match(/^kind: (\S+)/m)[1];
    const name = manifest.match(/^\s+name: (\S+)/m)[1];
    await expect(page.locator(`[data-finding][data-rule='${id}'][data-object='${kind}/${name}']`).first()).toBeVisible();
    await expect(page.locator("[data-notice]")).toHaveCount(0);
  }
});
