// Types of the `kube-immutable` package (check, fix, rules,
// toValidatingAdmissionPolicy, version).
// Written by hand beside the Rust that produces the values
// (crates/kube-immutable-js/src/wire.rs); a test there checks that every
// interface below lists exactly the keys the functions return, and CI runs
// `tsc --noEmit` on a usage file (crates/kube-immutable-js/tests/types/).

/**
 * Settings in the core's format: the keys of a `kube-immutable check --config`
 * file and of the playground's share links. Unknown keys are refused.
 */
export interface Settings {
  /** Level per rule id; rules not named keep their default level. */
  rules?: Record<string, "error" | "warning" | "off" | false>;
  exemptions?: {
    /** Namespaces whose objects are not checked (exact names). */
    namespaces?: string[];
    /** Container images not checked: globs with `*` and `?`. Pod-level findings still apply. */
    images?: string[];
    /**
     * Containers not checked: a name glob (`*` and `?`), or a name glob tied
     * to image globs and namespaces, all of which must match. Admission (the
     * policy, `toValidatingAdmissionPolicy`) refuses a name tied to neither:
     * whoever writes a pod names its containers.
     */
    containers?: (string | { name: string; images?: string[]; namespaces?: string[] })[];
    /** Admission only: requests by these users (`request.userInfo.username`) are not checked. */
    usernames?: string[];
    /** Admission only: requests by members of these groups are not checked. */
    groups?: string[];
    /** Admission only: requests by these service accounts (`namespace/name`) are not checked. */
    serviceAccounts?: string[];
    /** Pods run by these runtime classes (`spec.runtimeClassName`) are not checked. */
    runtimeClasses?: string[];
  };
  /**
   * Whether `kube-immutable.io/ignore` on an object may turn rules off: by
   * default yes here, no in admission; `rules` and `namespaces` narrow it.
   */
  ignoreAnnotation?: { allowed?: boolean; rules?: string[]; namespaces?: string[] };
  /** The Kubewarden policy's mode (ignored here). */
  mode?: "validate" | "mutate";
  /** The Kubewarden policy's mutate mode (ignored here: see `FixOptions.unsafeFixes`). */
  unsafeFixes?: boolean;
  /**
   * Kinds that hold pod specs beyond the built-in ones (custom resources),
   * matched by API group and kind.
   */
  workloads?: WorkloadEntry[];
}

/** One kind declared in `Settings.workloads`. */
export interface WorkloadEntry {
  /** `group/version`, `group/*` for every version, or `v1` for the core group. */
  apiVersion: string;
  kind: string;
  /** JSON pointers to the pod specs; `*` matches every item of a list or key of a map. */
  podSpecs: string[];
  /** Give a built-in kind these paths instead of its own. */
  replace?: boolean;
}

/** Options of `check` and `rules`. */
export interface CheckOptions {
  /** Language of messages: `"fr"` (or `"fr-…"`) for French, anything else English. Default: English. */
  lang?: string | null;
}

/** Options of `fix`. */
export interface FixOptions {
  /** Also apply the fixes that may break the workload (the image may need root, the app may write elsewhere). Default: false. */
  unsafeFixes?: boolean;
  /** Settings in the core's format (rules turned off are not fixed). */
  settings?: Settings | null;
  /** Language of the remaining findings' messages. */
  lang?: string | null;
}

export type Severity = "error" | "warning";

export type Applicability = "safe" | "unsafe";

/** One place where a container is not immutable. */
export interface Finding {
  /** Stable kebab-case rule id, e.g. `"privileged"`. */
  rule: string;
  severity: Severity;
  message: string;
  /** What to do about it. */
  help: string;
  /** The object's kind, e.g. `"Deployment"`. */
  kind: string;
  name: string | null;
  namespace: string | null;
  /** `null` for pod-level findings. */
  container: string | null;
  /** 0-based index of the document in the stream. */
  document: number;
  /** JSON pointer of the offending field from the document root (or of where it belongs when it is missing). */
  pointer: string;
  /** 1-based line of the start. */
  line: number;
  /** 1-based column of the start, in characters. */
  column: number;
  endLine: number;
  endColumn: number;
  /** Offset of the start in UTF-16 code units (what JavaScript strings and editors count). */
  start: number;
  /** Offset of the end in UTF-16 code units. */
  end: number;
  /** The fix `fix()` would apply, when there is one. */
  fix: FindingFix | null;
}

export interface FindingFix {
  title: string;
  /** `"safe"` fixes are applied by default, `"unsafe"` ones only with `unsafeFixes`. */
  applicability: Applicability;
}

/**
 * A problem with the input. `"error"`: Kubernetes would not take it (a syntax
 * error, a wrongly typed field) or it was not fully checked (a limit).
 * `"warning"`: Kubernetes takes it, but a reader should know (a duplicate key:
 * kubectl keeps the last value).
 */
export interface InputError {
  kind: "syntax" | "duplicate-key" | "invalid-type" | "invalid-value" | "limit" | "ignored-annotation";
  severity: Severity;
  message: string;
  /** 0-based index of the document, when known. */
  document: number | null;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** UTF-16 offsets, as for findings. */
  start: number;
  end: number;
}

export interface CheckResult {
  findings: Finding[];
  /** Input errors; the documents that could be read are still checked. */
  errors: InputError[];
  /** Workload objects (with a pod spec) checked. */
  objects: number;
}

export interface FixResult {
  /** The fixed text: minimal edits, comments and layout kept. */
  output: string;
  /** How many fixes were applied. */
  applied: number;
  /** The findings left in `output` (positions in `output`). */
  remaining: Finding[];
  /** Input errors of `output`. */
  errors: InputError[];
}

export interface Rule {
  id: string;
  defaultSeverity: Severity;
  /** One line: what the rule reports. */
  summary: string;
  /** Whether its findings carry a fix. */
  fix: "always" | "sometimes" | "none";
  /** The rule's documentation page. */
  url: string;
}

/**
 * Check a YAML or JSON stream (one or more documents). Never throws on the
 * text: broken documents become `errors` and the others are still checked.
 * @throws {Error} when `settings` are invalid (the message says why).
 */
export function check(source: string, settings?: Settings | null, options?: CheckOptions | null): CheckResult;

/**
 * Apply the fixes (the safe ones, or all with `unsafeFixes`) as minimal
 * edits of the text, as `kube-immutable fix` does.
 * @throws {Error} when the options or settings are invalid.
 */
export function fix(source: string, options?: FixOptions | null): FixResult;

/** Every rule, in the order they run. */
export function rules(options?: CheckOptions | null): Rule[];

/**
 * The rules as Kubernetes ValidatingAdmissionPolicies and their bindings
 * (`admissionregistration.k8s.io/v1`), one YAML stream for
 * `kubectl apply -f -`, as `kube-immutable export vap` prints it: the API
 * server then denies what the error-level rules find and warns about what
 * the warning-level ones find, with no webhook.
 * @throws {Error} when `settings` are invalid, or cannot be enforced in
 * admission (a container name not tied to images or namespaces): the
 * message says why.
 */
export function toValidatingAdmissionPolicy(settings?: Settings | null): string;

/** The version of the rules and the fixer. */
export function version(): string;
