// <kube-immutable-check>: checks the Kubernetes manifest it holds, in the
// page, and shows the verdict, the manifest with its lines numbered and
// marked, the findings under their lines, and a link that opens the manifest
// in the playground. Plain ES module, no framework, no bundler:
//
//   <script type="module" src="https://…/kube-immutable/kube-immutable-check.js"></script>
//   <kube-immutable-check>
//   apiVersion: v1
//   kind: Pod
//   …
//   </kube-immutable-check>
//
// The manifest comes from the element's text (common indentation removed),
// or a <script type="text/yaml"> child (for text with `<` or `&`), or the
// `src` attribute (fetched). Attributes: `lang` (messages in French with
// `fr`; an ancestor's `lang` counts too), `playground` (the playground's
// address; the default is set when the package is built), `settings` (JSON
// in the core's settings format).
//
// Test hooks, the same as the playground's (web/README.md): `data-verdict`
// with `data-errors` and `data-warnings`; per finding `data-finding`,
// `data-rule`, `data-severity`, `data-line`, `data-column`, `data-object`,
// `data-container`; per input error `data-input-error` and `data-line`;
// `data-mark` (error|warning) on each marked line; `data-notice` on
// messages; `data-action="open-playground"` on the link.
//
// No rule logic here: the findings, their positions and messages come from
// the core (check() of this package); the link is the playground's share
// format, built by its own codec (share.mjs, copied from web/js/).

import { check, rules } from "./index.js";
import { encodeShare } from "./share.mjs";

/** The playground's address, set by `cargo xtask build-npm`. */
export const DEFAULT_PLAYGROUND = "%KUBE_IMMUTABLE_PLAYGROUND_URL%";

const TEXTS = {
  en: {
    verdict: {
      immutable: "Immutable",
      mutable: "Not immutable",
      invalid: "Cannot be read",
      empty: "No workload to check",
    },
    error: ["error", "errors"],
    warning: ["warning", "warnings"],
    inputError: ["input error", "input errors"],
    inputWarning: ["input warning", "input warnings"],
    manifest: "Kubernetes manifest",
    safeFix: "Safe fix",
    unsafeFix: "Unsafe fix",
    pod: "pod",
    container: "container",
    line: "line",
    open: "Open in the playground",
    checking: "Checking…",
    cannotLoad: "Cannot load the manifest",
    colon: ": ",
  },
  fr: {
    verdict: {
      immutable: "Immuable",
      mutable: "Pas immuable",
      invalid: "Illisible",
      empty: "Aucune charge de travail à vérifier",
    },
    error: ["erreur", "erreurs"],
    warning: ["avertissement", "avertissements"],
    inputError: ["erreur de lecture", "erreurs de lecture"],
    inputWarning: ["avertissement de lecture", "avertissements de lecture"],
    manifest: "Manifeste Kubernetes",
    safeFix: "Correction sûre",
    unsafeFix: "Correction risquée",
    pod: "pod",
    container: "conteneur",
    line: "ligne",
    open: "Ouvrir dans le bac à sable",
    checking: "Vérification…",
    cannotLoad: "Impossible de charger le manifeste",
    colon: "\u00a0: ",
  },
};

/** "1 error", "2 errors"; French takes the singular for 0 and 1. */
function count(lang, n, [one, many]) {
  const singular = lang === "fr" ? n <= 1 : n === 1;
  return `${n} ${singular ? one : many}`;
}

const STYLE = `
kube-immutable-check { display: block; margin: 1em 0; }
:where(kube-immutable-check) {
  --kic-error: #b42318;
  --kic-warning: #8a5300;
  --kic-ok: #1a7f37;
  /* Muted text follows the page's own text colour, light or dark. */
  --kic-muted: color-mix(in srgb, currentColor 72%, transparent);
  --kic-border: rgba(127, 127, 127, 0.35);
  --kic-error-line: rgba(207, 34, 46, 0.13);
  --kic-warning-line: rgba(191, 135, 0, 0.16);
  --kic-mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
:where(kube-immutable-check) .kic { border: 1px solid var(--kic-border); border-radius: 6px; overflow: hidden; }
:where(kube-immutable-check) .kic-verdict { margin: 0; padding: 0.5em 0.8em; display: flex; gap: 0.6em; align-items: baseline; flex-wrap: wrap; border-bottom: 1px solid var(--kic-border); }
:where(kube-immutable-check) .kic-badge { color: #fff; border-radius: 4px; padding: 0.05em 0.5em; font-weight: 600; }
:where(kube-immutable-check) [data-verdict="immutable"] .kic-badge, :where(kube-immutable-check) [data-verdict="empty"] .kic-badge { background: var(--kic-ok); }
:where(kube-immutable-check) [data-verdict="mutable"] .kic-badge, :where(kube-immutable-check) [data-verdict="invalid"] .kic-badge { background: var(--kic-error); }
:where(kube-immutable-check) .kic-code { margin: 0; padding: 0.4em 0; overflow-x: auto; font: 0.9em/1.5 var(--kic-mono); }
:where(kube-immutable-check) .kic-row { display: flex; white-space: pre; min-width: max-content; }
:where(kube-immutable-check) .kic-ln { flex: 0 0 auto; width: 3.5em; padding-right: 0.8em; text-align: right; color: var(--kic-muted); user-select: none; border-left: 3px solid transparent; }
:where(kube-immutable-check) .kic-text { padding-right: 1em; }
:where(kube-immutable-check) [data-mark="error"] { background: var(--kic-error-line); }
:where(kube-immutable-check) [data-mark] .kic-ln { color: inherit; font-weight: 600; }
:where(kube-immutable-check) [data-mark="error"] .kic-ln { border-left-color: var(--kic-error); }
:where(kube-immutable-check) [data-mark="warning"] { background: var(--kic-warning-line); }
:where(kube-immutable-check) [data-mark="warning"] .kic-ln { border-left-color: var(--kic-warning); }
:where(kube-immutable-check) mark { background: none; color: inherit; text-decoration: underline wavy var(--kic-error); text-decoration-skip-ink: none; text-underline-offset: 3px; }
:where(kube-immutable-check) [data-mark="warning"] mark { text-decoration-color: var(--kic-warning); }
:where(kube-immutable-check) .kic-notes { list-style: none; margin: 0.2em 0 0.4em 3.5em; padding: 0 0.8em; font-family: system-ui, sans-serif; white-space: normal; }
:where(kube-immutable-check) .kic-notes code { font-family: var(--kic-mono); font-size: 0.95em; }
:where(kube-immutable-check) .kic-note { margin: 0.25em 0; padding-left: 0.6em; border-left: 3px solid var(--kic-error); }
:where(kube-immutable-check) .kic-note[data-severity="warning"] { border-left-color: var(--kic-warning); }
:where(kube-immutable-check) .kic-severity { font-weight: 600; color: #fff; background: var(--kic-error); border-radius: 3px; padding: 0 0.35em; }
:where(kube-immutable-check) [data-severity="warning"] .kic-severity { background: var(--kic-warning); }
:where(kube-immutable-check) .kic-help, :where(kube-immutable-check) .kic-fix { display: block; color: var(--kic-muted); font-size: 0.92em; }
:where(kube-immutable-check) .kic-where { color: var(--kic-muted); }
:where(kube-immutable-check) .kic-footer { margin: 0; padding: 0.5em 0.8em; border-top: 1px solid var(--kic-border); }
:where(kube-immutable-check) .kic-notice { margin: 0; padding: 0.5em 0.8em; color: var(--kic-error); }
`;

function injectStyle(doc) {
  if (doc.querySelector("style[data-kube-immutable-check]")) return;
  const style = doc.createElement("style");
  style.dataset.kubeImmutableCheck = "";
  style.textContent = STYLE;
  // First in <head>: the page's own rules come later and win.
  doc.head.prepend(style);
}

/** Text written inside HTML: blank first and last lines and the common indentation removed. */
export function dedent(text) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  const indents = lines.filter((l) => l.trim()).map((l) => l.match(/^[ \t]*/)[0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(common)).join("\n") + (lines.length ? "\n" : "");
}

/** The element's language: its own `lang`, or the nearest ancestor's. */
function languageOf(el) {
  const code = el.closest("[lang]")?.getAttribute("lang") ?? "";
  return code.trim().toLowerCase().startsWith("fr") ? "fr" : "en";
}

/** The verdict the playground shows for a result (web/README.md). */
function verdictOf(result) {
  if (result.errors.some((e) => e.severity === "error")) return "invalid";
  if (result.findings.some((f) => f.severity === "error")) return "mutable";
  if (result.objects === 0) return "empty";
  return "immutable";
}

let ruleUrls;
function ruleUrl(id) {
  ruleUrls ??= new Map(rules().map((r) => [r.id, r.url]));
  return ruleUrls.get(id);
}

function h(doc, tag, attrs = {}, ...children) {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : doc.createTextNode(String(c)));
  }
  return el;
}

export class KubeImmutableCheck extends HTMLElement {
  static observedAttributes = ["lang", "playground", "settings", "src"];

  #source = null;
  #generation = 0;

  /** The manifest checked (the text content, the script child or what `src` gave). */
  get source() {
    return this.#source ?? "";
  }

  set source(text) {
    this.#source = String(text ?? "");
    this.#render();
  }

  connectedCallback() {
    injectStyle(this.ownerDocument);
    if (this.#source === null) this.#load();
  }

  attributeChangedCallback(name, before, after) {
    if (before === after || this.#source === null) return;
    if (name === "src") this.#load();
    else this.#render();
  }

  async #load() {
    const generation = ++this.#generation;
    const src = this.getAttribute("src");
    if (!src) {
      const script = this.querySelector(':scope > script[type="text/yaml"], :scope > script[type="application/yaml"], :scope > script[type="application/json"]');
      this.#source = dedent(script ? script.textContent : this.textContent);
      return this.#render();
    }
    const t = TEXTS[languageOf(this)];
    this.replaceChildren(h(this.ownerDocument, "p", { class: "kic-notice", "data-notice": "loading" }, t.checking));
    try {
      const response = await fetch(new URL(src, this.ownerDocument.baseURI));
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`.trim());
      const text = await response.text();
      if (generation !== this.#generation) return;
      this.#source = text;
    } catch (e) {
      if (generation !== this.#generation) return;
      this.#source = "";
      this.replaceChildren(
        h(this.ownerDocument, "p", { class: "kic-notice", "data-notice": "error", role: "alert" }, `${t.cannotLoad} (${src})${t.colon}${e.message}`),
      );
      return;
    }
    this.#render();
  }

  async #render() {
    const generation = ++this.#generation;
    const doc = this.ownerDocument;
    const lang = languageOf(this);
    const t = TEXTS[lang];
    const source = this.#source ?? "";

    let settings = null;
    let result;
    try {
      const raw = this.getAttribute("settings");
      if (raw && raw.trim()) {
        try {
          settings = JSON.parse(raw);
        } catch (e) {
          throw new Error(`invalid settings: ${e.message}`);
        }
      }
      result = check(source, settings, { lang });
    } catch (e) {
      // Settings the core refuses: its message, nothing checked.
      this.replaceChildren(h(doc, "div", { class: "kic", lang }, h(doc, "p", { class: "kic-notice", "data-notice": "error", role: "alert" }, e.message)));
      return;
    }

    const verdict = verdictOf(result);
    const errors = result.findings.filter((f) => f.severity === "error").length;
    const warnings = result.findings.length - errors;
    const summary = [count(lang, errors, t.error), count(lang, warnings, t.warning)];
    const inputErrors = result.errors.filter((e) => e.severity === "error").length;
    const inputWarnings = result.errors.length - inputErrors;
    if (inputErrors) summary.push(count(lang, inputErrors, t.inputError));
    if (inputWarnings) summary.push(count(lang, inputWarnings, t.inputWarning));
    const head = h(
      doc,
      "p",
      { class: "kic-verdict", "data-verdict": verdict, "data-errors": errors, "data-warnings": warnings, role: "status" },
      h(doc, "span", { class: "kic-badge" }, t.verdict[verdict]),
      h(doc, "span", {}, summary.join(", ")),
    );

    const lines = source.split(/\r\n|\n|\r/);
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    // Which lines to mark, what to underline, and which notes go under which line.
    const marks = new Map();
    const ranges = new Map();
    const notes = new Map();
    const mark = (line, severity) => {
      if (marks.get(line) !== "error") marks.set(line, severity);
    };
    const note = (line, item) => {
      const at = Math.min(Math.max(line, 1), Math.max(lines.length, 1));
      if (!notes.has(at)) notes.set(at, []);
      notes.get(at).push(item);
    };
    const place = (item, severity) => {
      const last = item.endLine > item.line && item.endColumn === 1 ? item.endLine - 1 : item.endLine;
      for (let l = item.line; l <= Math.max(last, item.line); l++) mark(l, severity);
      if (item.endLine === item.line && item.endColumn > item.column) {
        if (!ranges.has(item.line)) ranges.set(item.line, []);
        ranges.get(item.line).push([item.column, item.endColumn]);
      }
    };
    for (const f of result.findings) place(f, f.severity);
    for (const e of result.errors) place(e, e.severity);

    for (const f of result.findings) {
      const object = f.name === null ? f.kind : `${f.kind}/${f.name}`;
      const url = ruleUrl(f.rule);
      const fix = f.fix ? `${f.fix.applicability === "safe" ? t.safeFix : t.unsafeFix}${t.colon}${f.fix.title}` : null;
      note(
        f.line,
        h(
          doc,
          "li",
          {
            class: "kic-note",
            "data-finding": true,
            "data-rule": f.rule,
            "data-severity": f.severity,
            "data-line": f.line,
            "data-column": f.column,
            "data-object": object,
            "data-container": f.container ?? "",
          },
          h(doc, "span", { class: "kic-severity" }, f.severity === "error" ? t.error[0] : t.warning[0]),
          " ",
          url ? h(doc, "a", { href: url, class: "kic-rule" }, h(doc, "code", {}, f.rule)) : h(doc, "code", {}, f.rule),
          " ",
          h(doc, "span", { class: "kic-where" }, `(${t.line} ${f.line}:${f.column}, ${object}, ${f.container === null ? t.pod : `${t.container} ${f.container}`})`),
          h(doc, "span", { class: "kic-message" }, " ", code(doc, f.message)),
          h(doc, "span", { class: "kic-help" }, code(doc, f.help)),
          fix && h(doc, "span", { class: "kic-fix" }, code(doc, fix)),
        ),
      );
    }
    for (const e of result.errors) {
      note(
        e.line,
        h(
          doc,
          "li",
          { class: "kic-note", "data-input-error": true, "data-line": e.line, "data-severity": e.severity },
          h(doc, "span", { class: "kic-severity" }, e.severity === "error" ? t.inputError[0] : t.inputWarning[0]),
          " ",
          h(doc, "span", { class: "kic-where" }, `(${t.line} ${e.line}:${e.column})`),
          h(doc, "span", { class: "kic-message" }, " ", code(doc, e.message)),
        ),
      );
    }

    const listing = h(doc, "div", { class: "kic-code", role: "group", "aria-label": t.manifest, tabindex: "0" });
    lines.forEach((text, i) => {
      const n = i + 1;
      listing.append(
        h(doc, "div", { class: "kic-row", "data-line-number": n, "data-mark": marks.get(n) }, h(doc, "span", { class: "kic-ln", "aria-hidden": "true" }, n), h(doc, "span", { class: "kic-text" }, underline(doc, text, ranges.get(n)))),
      );
      if (notes.has(n)) listing.append(h(doc, "ul", { class: "kic-notes" }, notes.get(n)));
    });

    const link = h(doc, "a", { "data-action": "open-playground", target: "_blank", rel: "noopener" }, t.open);
    const footer = h(doc, "p", { class: "kic-footer" }, link);
    this.replaceChildren(h(doc, "div", { class: "kic", lang }, head, listing, footer));

    const base = new URL(this.getAttribute("playground") || DEFAULT_PLAYGROUND, doc.baseURI);
    if (lang === "fr") base.searchParams.set("lang", "fr");
    const payload = settings === null ? { manifest: source } : { manifest: source, settings };
    try {
      base.hash = await encodeShare(JSON.stringify(payload));
    } catch {
      // No CompressionStream (browsers before 2023): the playground without the manifest.
    }
    if (generation !== this.#generation) return;
    link.href = base.href;
  }
}

/** A message's `code` spans (the core writes them in backticks) as <code>. */
function code(doc, text) {
  return text.split("`").map((part, i) => (i % 2 ? h(doc, "code", {}, part) : part));
}

/** The text of one line with the given 1-based [column, endColumn) ranges wrapped in <mark>. */
function underline(doc, text, ranges) {
  if (!ranges) return [text];
  const chars = Array.from(text); // columns count characters, not UTF-16 units
  const parts = [];
  let at = 0;
  for (const [from, to] of ranges.sort((a, b) => a[0] - b[0])) {
    const start = Math.max(from - 1, at);
    const end = Math.min(to - 1, chars.length);
    if (end <= start) continue;
    parts.push(chars.slice(at, start).join(""), h(doc, "mark", {}, chars.slice(start, end).join("")));
    at = end;
  }
  parts.push(chars.slice(at).join(""));
  return parts;
}

if (!customElements.get("kube-immutable-check")) {
  customElements.define("kube-immutable-check", KubeImmutableCheck);
}
