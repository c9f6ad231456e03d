// What a TypeScript user writes against the package's declarations.
// package.test.mjs copies this file into a project where the packed package
// is installed, and runs `tsc --noEmit` on it (strict). Each
// `@ts-expect-error` line must be an error, so the types are checked in
// both directions: what is allowed compiles, what is wrong does not.
import { check, fix, rules, toValidatingAdmissionPolicy, version } from "kube-immutable";
import type { CheckResult, Finding, FixResult, InputError, Rule, Settings } from "kube-immutable";
import { KubeImmutableCheck, DEFAULT_PLAYGROUND, dedent } from "kube-immutable/kube-immutable-check.js";

const source: string = "kind: Pod\n";
const settings: Settings = {
  rules: { privileged: "off", "run-as-root": "warning", "host-namespaces": false },
  exemptions: { namespaces: ["kube-system"], images: ["registry.k8s.io/*"], containers: ["istio-proxy"] },
  workloads: [{ apiVersion: "pipelines.example.com/*", kind: "Runner", podSpecs: ["/spec/runner/podSpec"] }],
};
// @ts-expect-error a workload entry names its pod specs
const noPodSpecs: Settings = { workloads: [{ apiVersion: "x.io/v1", kind: "R" }] };

const result: CheckResult = check(source);
check(source, settings);
check(source, null, { lang: "fr" });
check(source, undefined, { lang: null });
const first: Finding | undefined = result.findings[0];
if (first) {
  const rule: string = first.rule;
  const severity: "error" | "warning" = first.severity;
  const where: number[] = [first.line, first.column, first.endLine, first.endColumn, first.start, first.end, first.document];
  const who: (string | null)[] = [first.name, first.namespace, first.container];
  const kind: string = first.kind;
  const pointer: string = first.pointer;
  const help: string = first.help + first.message;
  // A pod-level finding has no container: null must be handled.
  // @ts-expect-error container may be null
  first.container.length;
  const title: string | undefined = first.fix?.title;
  const safe: boolean = first.fix?.applicability === "safe";
  console.log(rule, severity, where, who, kind, pointer, help, title, safe);
}
const errors: InputError[] = result.errors;
for (const e of errors) {
  const kind: "syntax" | "duplicate-key" | "invalid-type" | "invalid-value" | "limit" | "ignored-annotation" = e.kind;
  console.log(kind, e.message, e.line, e.column, e.start, e.end, e.document ?? -1);
}
const objects: number = result.objects;

const fixed: FixResult = fix(source, { unsafeFixes: true, settings, lang: "fr" });
const text: string = fixed.output;
const applied: number = fixed.applied;
const left: Finding[] = fixed.remaining;
fix(source);

const list: Rule[] = rules();
const ids: string[] = list.map((r) => `${r.id} ${r.defaultSeverity} ${r.fix} ${r.summary} ${r.url}`);
const v: string = version();
const policies: string = toValidatingAdmissionPolicy(settings) + toValidatingAdmissionPolicy({
  exemptions: {
    containers: [{ name: "istio-proxy", images: ["docker.io/istio/proxyv2:*"] }, { name: "log-*", namespaces: ["logging"] }],
    usernames: ["alice"], groups: ["ci-deployers"], serviceAccounts: ["ci/deployer"], runtimeClasses: ["kata"],
  },
  ignoreAnnotation: { allowed: true, rules: ["host-namespaces"], namespaces: ["monitoring"] },
});

// @ts-expect-error the source is a string
check(42);
// @ts-expect-error unknown option
fix(source, { unsafeFix: true });
// @ts-expect-error levels are error, warning or off
check(source, { rules: { privileged: "loud" } });
// @ts-expect-error exemptions are lists
check(source, { exemptions: { namespaces: "kube-system" } });
// @ts-expect-error the settings are an object, not a file name
toValidatingAdmissionPolicy("settings.yaml");
// @ts-expect-error findings have no `file`
result.findings[0]?.file;

// The element: a typed tag name and its `source` property.
const el: KubeImmutableCheck = document.createElement("kube-immutable-check");
el.source = source;
el.setAttribute("lang", "fr");
const found: KubeImmutableCheck | null = document.querySelector("kube-immutable-check");
const playground: string = DEFAULT_PLAYGROUND;
const trimmed: string = dedent("  a\n  b");

console.log(objects, text, applied, left, ids, v, policies, found, playground, trimmed);
