// The npm package as Node uses it: the folder `cargo xtask build-npm` wrote
// (target/npm, or $KUBE_IMMUTABLE_NPM), imported by path; then packed and
// installed by name in a scratch project, with its TypeScript types checked.
//
//   cargo xtask build-npm && node --test crates/kube-immutable-js/tests/
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(fileURLToPath(import.meta.url), "../../../..");
const npmDir = path.resolve(root, process.env.KUBE_IMMUTABLE_NPM ?? "target/npm");
if (!fs.existsSync(path.join(npmDir, "package.json"))) {
  throw new Error(`no package at ${npmDir}: run \`cargo xtask build-npm\` first`);
}
const pkg = JSON.parse(fs.readFileSync(path.join(npmDir, "package.json"), "utf8"));
// By path, as package.json's `exports` sends Node: node.js.
const { check, fix, rules, toValidatingAdmissionPolicy, version } = await import(pathToFileURL(path.join(npmDir, pkg.exports["."].node)));

const read = (file) => fs.readFileSync(path.join(root, file), "utf8");
const MUTABLE = read("examples/mutable-pod.yaml");
const IMMUTABLE = read("examples/immutable-pod.yaml");

/** The text a finding or error covers, by its UTF-16 offsets. */
const covered = (source, item) => source.slice(item.start, item.end);

/** The UTF-16 offset of a 1-based line and column (columns count code points). */
function offsetOf(source, line, column) {
  const lines = source.split("\n");
  let at = 0;
  for (let i = 0; i < line - 1; i++) at += lines[i].length + 1;
  let text = lines[line - 1] ?? "";
  if (line === 1 && text.startsWith("\ufeff")) {
    at += 1; // a byte-order mark is not a column
    text = text.slice(1);
  }
  return at + Array.from(text).slice(0, column - 1).join("").length;
}

/** Every position of a result is in bounds and agrees with itself. */
function assertPositions(source, result) {
  for (const item of [...result.findings, ...result.errors]) {
    assert.ok(item.line >= 1 && item.column >= 1, JSON.stringify(item));
    assert.ok(0 <= item.start && item.start <= item.end && item.end <= source.length, JSON.stringify(item));
    assert.ok(item.endLine > item.line || (item.endLine === item.line && item.endColumn >= item.column), JSON.stringify(item));
    assert.equal(offsetOf(source, item.line, item.column), item.start, `start of ${JSON.stringify(item)}`);
    assert.equal(offsetOf(source, item.endLine, item.endColumn), item.end, `end of ${JSON.stringify(item)}`);
  }
}

test("the tutorial's mutable pod: four errors on lines 13 to 16, and a warning", () => {
  const result = check(MUTABLE);
  assert.equal(result.objects, 1);
  assert.deepEqual(result.errors, []);
  const errors = result.findings.filter((f) => f.severity === "error");
  assert.deepEqual(
    errors.map((f) => [f.rule, f.line, covered(MUTABLE, f)]),
    [
      ["privileged", 13, "privileged: true"],
      ["allow-privilege-escalation", 14, "allowPrivilegeEscalation: true"],
      ["run-as-root", 15, "runAsUser: 0"],
      ["writable-root-filesystem", 16, "readOnlyRootFilesystem: false"],
    ],
  );
  const warnings = result.findings.filter((f) => f.severity === "warning");
  assert.deepEqual(warnings.map((f) => f.rule), ["may-run-as-root", "capabilities-not-restricted"]);
  const [privileged] = errors;
  assert.deepEqual(Object.keys(privileged).sort(), [
    "column", "container", "document", "end", "endColumn", "endLine", "fix", "help", "kind", "line",
    "message", "name", "namespace", "pointer", "rule", "severity", "start",
  ]);
  assert.equal(privileged.kind, "Pod");
  assert.equal(privileged.name, "nginx-mutable");
  assert.equal(privileged.namespace, null);
  assert.equal(privileged.container, "nginx");
  assert.equal(privileged.document, 0);
  assert.equal(privileged.pointer, "/spec/containers/0/securityContext/privileged");
  assert.deepEqual([privileged.line, privileged.column, privileged.endLine, privileged.endColumn], [13, 9, 13, 25]);
  assert.deepEqual(privileged.fix, { title: "Set `privileged: false`", applicability: "safe" });
  assert.match(privileged.message, /"nginx" is privileged/);
  assertPositions(MUTABLE, result);
});

test("the tutorial's immutable pod: no error, the three warnings it leaves implicit", () => {
  const result = check(IMMUTABLE);
  assert.equal(result.findings.filter((f) => f.severity === "error").length, 0);
  assert.deepEqual(result.findings.map((f) => f.rule).sort(), [
    "capabilities-not-restricted", "may-run-as-root", "privilege-escalation-not-disabled",
  ]);
});

test("an ignore annotation that ignores nothing: a warning on its line, removed by fix()", () => {
  const source = [
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    "  name: agent",
    "  annotations:",
    "    kube-immutable.io/ignore: \"privileged,host-namespaces: needs the host network\"",
    "spec:",
    "  hostNetwork: true",
    "  containers: [{name: agent, image: busybox:1.36}]",
    "",
  ].join("\n");
  const result = check(source);
  const stale = result.findings.filter((f) => f.rule === "unused-ignore");
  assert.equal(stale.length, 1);
  assert.equal(stale[0].severity, "warning");
  assert.equal(stale[0].line, 6);
  assert.equal(stale[0].container, null);
  assert.equal(stale[0].pointer, "/metadata/annotations/kube-immutable.io~1ignore");
  assert.match(stale[0].message, /`privileged` reports nothing on this object/);
  assert.deepEqual(stale[0].fix, {
    title: "Remove `privileged` from `kube-immutable.io/ignore`", applicability: "safe",
  });
  assert.ok(!result.findings.some((f) => f.rule === "host-namespaces"), "the used name still ignores");
  assertPositions(source, result);
  const fixed = fix(source);
  assert.match(fixed.output, /kube-immutable\.io\/ignore: "host-namespaces: needs the host network"\n/);
  assert.ok(!fixed.remaining.some((f) => f.rule === "unused-ignore"));
  assert.ok(rules().some((r) => r.id === "unused-ignore" && r.defaultSeverity === "warning"));
});

test("French messages with lang: 'fr'", () => {
  const en = check(MUTABLE);
  const fr = check(MUTABLE, null, { lang: "fr" });
  assert.equal(fr.findings.length, en.findings.length);
  assert.match(fr.findings[0].message, /privilégié/);
  assert.notEqual(fr.findings[0].help, en.findings[0].help);
  assert.match(rules({ lang: "fr-CA" })[0].summary, /privilégié/);
});

test("a multi-document stream: every object, its document, kind, name and namespace", () => {
  const stream = [
    "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers:\n        - name: app\n          image: nginx:1.27\n          securityContext: {privileged: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true}",
    "# only a comment",
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - {name: job, image: busybox, securityContext: {runAsUser: 0}}",
  ].join("\n---\n");
  const result = check(stream);
  assert.deepEqual(result.errors, []);
  assert.equal(result.objects, 2);
  const web = result.findings.filter((f) => f.kind === "Deployment");
  assert.ok(web.length > 0);
  for (const f of web) {
    assert.equal(f.document, 1);
    assert.equal(f.name, "web");
    assert.equal(f.namespace, "shop");
  }
  const host = web.find((f) => f.rule === "host-namespaces");
  assert.equal(host.container, null, "pod-level findings have a null container");
  assert.equal(covered(stream, host), "hostNetwork: true");
  const cron = result.findings.filter((f) => f.kind === "CronJob");
  assert.ok(cron.every((f) => f.document === 3 && f.name === "nightly" && f.container === "job"));
  assert.ok(cron.some((f) => f.rule === "run-as-root" && covered(stream, f) === "runAsUser: 0"));
  assertPositions(stream, result);
});

test("broken YAML: a positioned input error, and the other documents still checked", () => {
  const source = "kind: Pod\nmetadata: {name: broken}\nspec:\n  containers: [\n---\n" + MUTABLE;
  const result = check(source);
  assert.equal(result.errors.length, 1);
  const [error] = result.errors;
  assert.equal(error.kind, "syntax");
  assert.equal(error.document, 0);
  assert.ok(error.line >= 4 && error.line <= 5, JSON.stringify(error));
  assert.equal(typeof error.message, "string");
  assert.equal(result.objects, 1);
  assert.equal(result.findings.filter((f) => f.severity === "error").length, 4);
  assert.ok(result.findings.every((f) => f.document === 1));
  assertPositions(source, result);

  const duplicate = check("kind: Pod\nkind: Pod\n");
  assert.equal(duplicate.errors[0].kind, "duplicate-key");
  assert.equal(duplicate.errors[0].line, 2);
  const wrongType = check(MUTABLE.replace("privileged: true", 'privileged: "true"'));
  assert.ok(wrongType.errors.some((e) => e.kind === "invalid-type" && e.line === 13));
});

test("UTF-16 offsets: accents, emoji, CRLF and a byte-order mark", () => {
  const source = "\ufeff# pod « été » 😀😀\r\nkind: Pod\r\nmetadata: {name: café-😀}\r\nspec:\r\n  hostPID: true\r\n  containers:\r\n    - name: ünïcode\r\n      image: x\r\n      securityContext: {privileged: true}\r\n";
  const result = check(source);
  const pid = result.findings.find((f) => f.rule === "host-namespaces");
  assert.equal(covered(source, pid), "hostPID: true");
  assert.deepEqual([pid.line, pid.column], [5, 3]);
  const privileged = result.findings.find((f) => f.rule === "privileged");
  assert.equal(covered(source, privileged), "privileged: true");
  assert.equal(privileged.name, "café-😀");
  assert.equal(privileged.container, "ünïcode");
  assertPositions(source.replace(/\r/g, ""), check(source.replace(/\r/g, "")));
});

test("settings: levels and exemptions apply; bad settings throw an Error with the core's message", () => {
  const off = check(MUTABLE, { rules: { privileged: "off", "may-run-as-root": "error" } });
  assert.ok(!off.findings.some((f) => f.rule === "privileged"));
  assert.equal(off.findings.find((f) => f.rule === "may-run-as-root").severity, "error");
  assert.equal(check(MUTABLE, { exemptions: { containers: ["ngi*"] } }).findings.length, 0);
  assert.deepEqual(check(MUTABLE, null), check(MUTABLE, undefined));

  const refused = (settings, pattern) => {
    assert.throws(() => check(MUTABLE, settings), (e) => {
      assert.ok(e instanceof Error, `${e} is an Error`);
      assert.equal(e.constructor, Error);
      assert.match(e.message, pattern);
      return true;
    });
  };
  refused({ rules: { nope: "off" } }, /^invalid settings: unknown rule `nope` in `rules`; known rules: privileged, /);
  refused({ rules: { privileged: "loud" } }, /^invalid settings: unknown level `loud`, expected `error`, `warning` or `off`/);
  refused({ exemptions: { images: [""] } }, /^invalid settings: `exemptions.images` has an empty entry/);
  refused({ rulez: {} }, /^invalid settings: unknown field `rulez`/);
  refused("privileged: off", /^invalid settings: invalid type: string/);
  refused(42, /^invalid settings: invalid type: integer/);
  const cycle = {};
  cycle.rules = cycle;
  refused(cycle, /^invalid settings: .*circular/i);
  refused({ rules: { privileged: 10n } }, /^invalid settings: .*BigInt/i);
  assert.throws(() => fix(MUTABLE, { settings: { rules: { nope: "off" } } }), /^Error: invalid settings: unknown rule `nope`/);
});

test("custom resources: built-in kinds by group and kind, and kinds declared in `workloads`", () => {
  const rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n        securityContext: {privileged: true}\n";
  const found = check(rollout).findings.find((f) => f.rule === "privileged");
  assert.equal(found.kind, "Rollout");
  assert.equal(found.name, "web");
  assert.equal(found.pointer, "/spec/template/spec/containers/0/securityContext/privileged");
  assert.equal(found.line, 10);
  // A core v1 Service is not Knative's.
  assert.equal(check(rollout.replace("argoproj.io/v1alpha1\nkind: Rollout", "v1\nkind: Service")).objects, 0);
  const fixed = fix(rollout);
  assert.match(fixed.output, /privileged: false/);
  const runner = rollout.replace("argoproj.io/v1alpha1\nkind: Rollout", "pipelines.example.com/v1\nkind: Runner");
  assert.equal(check(runner).objects, 0);
  const settings = { workloads: [{ apiVersion: "pipelines.example.com/*", kind: "Runner", podSpecs: ["/spec/template/spec"] }] };
  assert.equal(check(runner, settings).findings.find((f) => f.rule === "privileged").kind, "Runner");
  assert.match(fix(runner, { settings }).output, /privileged: false/);
  assert.throws(
    () => check(runner, { workloads: [{ apiVersion: "pipelines.example.com/v1", kind: "Runner", podSpecs: ["spec/x"] }] }),
    { name: "Error", message: /^invalid settings: `workloads\[0\]\.podSpecs\[0\]`: `spec\/x` is not a JSON pointer/ },
  );
});

test("bad options and a source that is not a string throw", () => {
  assert.throws(() => check(MUTABLE, null, { language: "fr" }), { name: "Error", message: /^invalid options: unknown field `language`, expected `lang`/ });
  assert.throws(() => fix(MUTABLE, { unsafeFix: true }), { name: "Error", message: /unknown field `unsafeFix`, expected `unsafeFixes`, `settings`, `lang`/ });
  assert.throws(() => fix(MUTABLE, { unsafeFixes: "yes" }), { name: "Error", message: "invalid options: `unsafeFixes` must be a boolean" });
  assert.throws(() => check(MUTABLE, null, "fr"), { name: "Error", message: "invalid options: expected an object" });
  assert.throws(() => rules({ lang: 1 }), { name: "Error", message: "invalid options: `lang` must be a string" });
  for (const source of [undefined, null, 42, {}, ["kind: Pod"]]) {
    assert.throws(() => check(source), TypeError);
  }
});

test("fix: safe fixes leave run-as-root, unsafe ones make the pod immutable, and fixing again does nothing", () => {
  const safe = fix(MUTABLE);
  assert.deepEqual(Object.keys(safe).sort(), ["applied", "errors", "output", "remaining"]);
  assert.ok(safe.applied >= 3, `${safe.applied} fixes applied`);
  assert.match(safe.output, /privileged: false/);
  assert.match(safe.output, /^# The tutorial's starting point/, "comments are kept");
  assert.deepEqual(safe.remaining.filter((f) => f.severity === "error").map((f) => f.rule), ["run-as-root"]);
  assert.deepEqual(safe.remaining, check(safe.output).findings, "remaining is the check of the output");
  assertPositions(safe.output, { findings: safe.remaining, errors: safe.errors });

  const all = fix(MUTABLE, { unsafeFixes: true, lang: "fr" });
  assert.equal(all.remaining.filter((f) => f.severity === "error").length, 0);
  assert.equal(check(all.output).findings.filter((f) => f.severity === "error").length, 0);
  const again = fix(all.output, { unsafeFixes: true });
  assert.equal(again.applied, 0);
  assert.equal(again.output, all.output);

  const untouched = fix(MUTABLE, { settings: { rules: { privileged: "off" } } });
  assert.match(untouched.output, /privileged: true/, "a rule turned off is not fixed");
  const broken = fix("kind: Pod\nspec: [\n");
  assert.equal(broken.applied, 0);
  assert.equal(broken.errors[0].kind, "syntax");
});

test("hostile input gets input errors, never an exception", () => {
  // An alias bomb: 9^9 nodes once expanded.
  let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 9; i++) {
    const name = String.fromCharCode(97 + i);
    const prev = String.fromCharCode(96 + i);
    bomb += `${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]\n`;
  }
  assert.ok(check(bomb).errors.some((e) => e.kind === "limit"));
  assert.ok(check("[".repeat(10_000) + "]".repeat(10_000)).errors.some((e) => e.kind === "limit"));
  const deepBlock = Array.from({ length: 3000 }, (_, i) => " ".repeat(i) + "a:").join("\n");
  assert.ok(check(deepBlock).errors.length > 0);
  const huge = "# filler\n".repeat(2_200_000); // 20 MB
  const tooBig = check(huge);
  assert.equal(tooBig.errors[0].kind, "limit");
  assert.match(tooBig.errors[0].message, /more than the limit/);
  assert.equal(fix(huge).output.length, huge.length);
  for (const source of ["", "\n", "\0", "\ud800kind: Pod", "kind: Pod\nspec: \udfff", "\u2028\u2029", "{}", "[]", "null", "---\n...\n---", "\t- a\n\t- b"]) {
    const result = check(source);
    assert.equal(typeof result.objects, "number");
    fix(source, { unsafeFixes: true });
  }
});

test("a thousand mutations of the tutorial's pod: no exception, every position consistent", () => {
  let seed = 42;
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pieces = [":", "-", " ", "\n", "{", "}", "[", "]", "&a", "*a", "<<: *a", "'", '"', "#", "é", "😀", "\t", "0", "yes", "---\n", "|\n", ">-\n"];
  for (let i = 0; i < 1000; i++) {
    let source = MUTABLE;
    for (let edits = 1 + random(4); edits > 0; edits--) {
      const at = random(source.length);
      source = random(2)
        ? source.slice(0, at) + pieces[random(pieces.length)] + source.slice(at)
        : source.slice(0, at) + source.slice(at + 1 + random(8));
    }
    // Cutting an emoji in half leaves a lone surrogate: the package reads it
    // as U+FFFD, one UTF-16 unit and one column too, so positions still agree.
    assertPositions(source, check(source));
    fix(source, { unsafeFixes: true });
  }
});

test("the element ships with the playground's address filled in and its imports beside it", () => {
  const element = fs.readFileSync(path.join(npmDir, "kube-immutable-check.js"), "utf8");
  const address = element.match(/^export const DEFAULT_PLAYGROUND = "([^"]+)";$/m)?.[1];
  assert.ok(address && !address.includes("%"), `DEFAULT_PLAYGROUND is set (${address})`);
  if (!process.env.KUBE_IMMUTABLE_PLAYGROUND_URL) {
    assert.equal(address, "https://kube-immutable.github.io/kube-immutable/playground/");
  }
  for (const [, file] of element.matchAll(/^import .* from "\.\/([^"]+)";$/gm)) {
    assert.ok(fs.existsSync(path.join(npmDir, file)), `${file} is in the package`);
  }
  // The share codec is the playground's own, not a copy that could drift.
  assert.equal(fs.readFileSync(path.join(npmDir, "share.mjs"), "utf8"), read("web/js/share.mjs"));
});

test("rules() and version()", () => {
  const list = rules();
  assert.deepEqual(list.slice(0, 7).map((r) => r.id), [
    "privileged", "host-namespaces", "allow-privilege-escalation", "privilege-escalation-not-disabled",
    "run-as-root", "may-run-as-root", "writable-root-filesystem",
  ]);
  for (const r of list) {
    assert.deepEqual(Object.keys(r).sort(), ["defaultSeverity", "fix", "id", "summary", "url"]);
    assert.match(r.url, new RegExp(`/${r.id}\\.md$`));
  }
  assert.equal(version(), pkg.version);
});

test("toValidatingAdmissionPolicy: the CLI's `export vap`, from the same settings", () => {
  const byDefault = toValidatingAdmissionPolicy();
  assert.equal(toValidatingAdmissionPolicy(null), byDefault);
  assert.equal(toValidatingAdmissionPolicy({}), byDefault);
  const kinds = [...byDefault.matchAll(/^kind: (\S+)$/gm)].map((m) => m[1]);
  assert.deepEqual(kinds, [
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
  ]);
  assert.match(byDefault, /^  validationActions: \[Deny, Audit\]$/m);
  assert.match(byDefault, /^  validationActions: \[Warn, Audit\]$/m);
  // Off by default: image-not-pinned is not enforced.
  assert.doesNotMatch(byDefault, /imageNotPinned/);

  const strict = toValidatingAdmissionPolicy({
    rules: { "image-not-pinned": "error", "host-ports": "off" },
    exemptions: { namespaces: ["kube-system"], images: ["registry.k8s.io/*"] },
  });
  assert.match(strict, /variables\.imageNotPinned/);
  assert.doesNotMatch(strict, /variables\.hostPorts/);
  assert.match(strict, /operator: NotIn\n {10}values: \["kube-system"\]/);
  // The glob as an anchored RE2 expression, its dots escaped (`\\.` in a CEL string).
  assert.ok(strict.includes("c.image.matches('(?s)^(?:registry\\\\.k8s\\\\.io/.*)$')"), strict);

  const allOff = Object.fromEntries(rules().map((r) => [r.id, "off"]));
  assert.doesNotMatch(toValidatingAdmissionPolicy({ rules: allOff }), /^kind:/m);
  assert.throws(() => toValidatingAdmissionPolicy({ rules: { nope: "off" } }), /unknown rule `nope`/);
  // What the policy module refuses in admission, refused here too: a tenant names its containers.
  assert.throws(() => toValidatingAdmissionPolicy({ exemptions: { containers: ["istio-proxy"] } }), /exempts any container its author names `istio-proxy`/);
  const tied = toValidatingAdmissionPolicy({
    exemptions: { containers: [{ name: "istio-proxy", images: ["docker.io/istio/proxyv2:*"] }], usernames: ["alice"] },
  });
  assert.match(tied, /- name: exempt-users\n/);
  assert.ok(tied.includes("c.?name.orValue('').matches('(?s)^(?:istio-proxy)$')"), tied);
});

test("packed and installed by name: import works in Node, the files npm publishes are complete, the types check", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kube-immutable-npm-"));
  try {
    const npm = (...args) => execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd: scratch, encoding: "utf8" });
    const [packed] = JSON.parse(npm("pack", npmDir, "--json"));
    const files = packed.files.map((f) => f.path).sort();
    for (const file of ["LICENSE", "README.md", "package.json", "index.js", "index.d.ts", "node.js", "kube-immutable-check.js", "kube-immutable-check.d.ts", "share.mjs", "kube_immutable_wasm.js", "kube_immutable_wasm_bg.wasm"]) {
      assert.ok(files.includes(file), `${file} is published (${files.join(", ")})`);
    }
    fs.writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
    npm("install", "--offline", path.join(scratch, packed.filename));

    const script = `
      import { check, fix, version } from "kube-immutable";
      const src = ${JSON.stringify(MUTABLE)};
      const r = check(src);
      console.log(JSON.stringify({ errors: r.findings.filter((f) => f.severity === "error").length, version: version(),
        element: import.meta.resolve("kube-immutable/kube-immutable-check.js"), fixed: fix(src).applied }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: scratch, encoding: "utf8" }));
    assert.equal(out.errors, 4);
    assert.equal(out.version, pkg.version);
    assert.ok(out.fixed >= 3);
    assert.match(out.element, /node_modules\/kube-immutable\/kube-immutable-check\.js$/);

    // The types, as a TypeScript user resolves them (package.json `exports`, condition `types`).
    const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
    fs.copyFileSync(path.join(root, "crates/kube-immutable-js/tests/types/usage.ts"), path.join(scratch, "usage.ts"));
    for (const moduleResolution of ["node16", "bundler"]) {
      const config = {
        compilerOptions: {
          strict: true, noEmit: true, target: "es2022", lib: ["es2022", "dom"], skipLibCheck: false,
          module: moduleResolution === "node16" ? "node16" : "es2022", moduleResolution, types: [],
        },
        files: ["usage.ts"],
      };
      fs.writeFileSync(path.join(scratch, "tsconfig.json"), JSON.stringify(config));
      try {
        execFileSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: scratch, encoding: "utf8" });
      } catch (e) {
        assert.fail(`tsc --noEmit (moduleResolution ${moduleResolution}) failed:\n${e.stdout}${e.stderr}`);
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
