#!/usr/bin/env python3
"""The README's "Use it in..." snippets, run as written on fixture repositories.

scripts/test.sh runs this on the Python of the pre-commit virtual environment
that scripts/setup.sh makes (it has PyYAML); it ends with "N passed, N failed"
and exits non-zero when a test fails.

- pre-commit: `pre-commit try-repo` of this checkout (both hooks), then the
  README's `.pre-commit-config.yaml` with `pre-commit run`, its repository
  pointed at this checkout and its rev at HEAD.
- GitHub Actions: the shell steps of action.yml, run as GitHub runs a
  composite action (bash, `env:` expressions, GITHUB_PATH / GITHUB_OUTPUT),
  with the inputs of the README's workflow, then with other inputs, then with
  the README's baseline inputs (a baseline written with `--write-baseline`:
  the step passes, then fails on exactly the finding an edit adds). The
  upload step (`uses:`) is not run; its `if:` and `with:` are evaluated.
- pre-commit also runs the README's baseline configuration the same way.
- The README's baseline lines, as written, on a fixture repository.
- GitLab CI: the README job's `script:` lines, in one bash as GitLab runs them,
  the `cargo install --git` source pointed at this checkout; its JUnit report
  is validated as scripts/test.sh does (when scripts/setup.sh installed the
  validator), and read as GitLab reads it.
- kubectl: the README's lines through the real kubectl when one is on PATH
  (`kubectl get` answered by a fixture: there is no cluster).
- Helm: the README's lines with a stand-in `helm` (Helm is not installed
  here) that does what Helm does with them: `template` prints a rendered
  stream, `install --post-renderer` pipes it through the post-renderer (a
  program in Helm 3, a postrenderer/v1 plugin in Helm 4) and fails when it
  fails.

The CLI is installed once, by the action's own install step (`cargo install
--locked --path`), into a temporary runner folder; every later test uses that
installation (`kube-immutable` and `kubectl-immutable`). Cargo builds in
target/integrations-cargo, kept between runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import traceback
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
URL = "https://github.com/kube-immutable/kube-immutable"
MUTABLE = ROOT / "examples/mutable-pod.yaml"
IMMUTABLE = ROOT / "examples/immutable-pod.yaml"
HELM_STREAM = ROOT / "crates/kube-immutable-cli/tests/fixtures/helm-rendered.yaml"
CARGO_TARGET = ROOT / "target/integrations-cargo"
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
# scripts/validate-junit.py's Python (scripts/setup.sh makes it).
JUNIT_PYTHON = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    / "kube-immutable/junit-tools/bin/python"
)

# A privileged container added to examples/immutable-pod.yaml's pod (its
# `containers:` list): what a baseline must not hide.
ADDED_CONTAINER = """\
    - name: debug
      image: busybox:1.36
      securityContext:
        privileged: true
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        runAsNonRoot: true
        capabilities:
          drop: [ALL]
"""

# What `kubectl get deploy -A -o yaml` prints: a List.
KUBECTL_LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    template:
      spec:
        containers:
        - name: web
          image: nginx:1.27
          securityContext: {privileged: true}
"""


class Failure(Exception):
    pass


def check(condition: bool, message: str, *context: str) -> None:
    if not condition:
        raise Failure("\n".join([message, *context]))


def snippet(name: str) -> str:
    """The fenced block after `<!-- snippet: NAME -->` in the README."""
    text = (ROOT / "README.md").read_text()
    match = re.search(
        rf"<!-- snippet: {re.escape(name)} -->\n```[a-z]*\n(.*?)\n```\n", text, re.S
    )
    if not match:
        raise Failure(f"README.md has no snippet {name!r}")
    return match.group(1) + "\n"


def run(args, cwd, env=None, stdin=None, shell=False) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        cwd=cwd,
        env=env,
        input=stdin,
        shell=shell,
        text=True,
        capture_output=True,
    )


def output(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def git(*args: str, cwd: Path) -> str:
    result = run(
        ["git", "-c", "user.email=ci@example.invalid", "-c", "user.name=ci", *args],
        cwd=cwd,
    )
    check(result.returncode == 0, f"git {' '.join(args)} failed", output(result))
    return result.stdout.strip()


def fixture_repository(base: Path) -> Path:
    """A repository with manifests in k8s/ and a YAML file that is not one."""
    repo = base / "repo"
    (repo / "k8s").mkdir(parents=True)
    shutil.copy(MUTABLE, repo / "k8s/pod.yaml")
    shutil.copy(IMMUTABLE, repo / "k8s/immutable.yaml")
    (repo / "settings.yaml").write_text("replicas: 3\nprivileged: true\n")
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "-qm", "fixture", cwd=repo)
    return repo


def add_privileged_container(path: Path) -> None:
    """Insert a privileged container first in the pod's `containers:`."""
    text = path.read_text()
    check("  containers:\n" in text, f"{path} has no block `containers:`", text)
    path.write_text(text.replace("  containers:\n", "  containers:\n" + ADDED_CONTAINER, 1))


def validate_junit(path: Path) -> str:
    """scripts/validate-junit.py on a report, when setup.sh installed it."""
    if not JUNIT_PYTHON.is_file():
        print(f"note: no {JUNIT_PYTHON} (scripts/setup.sh): JUnit not validated against the schema",
              file=sys.stderr)
        return ""
    result = run([str(JUNIT_PYTHON), "scripts/validate-junit.py", str(path)], cwd=ROOT)
    check(result.returncode == 0, f"{path} is not valid JUnit", output(result))
    return result.stdout


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["CARGO_TARGET_DIR"] = str(CARGO_TARGET)
    for name in ("NO_COLOR", "CLICOLOR_FORCE", "GITHUB_ACTIONS"):
        env.pop(name, None)
    # try-repo commits uncommitted changes into a shadow repository: a
    # machine without a git identity must still manage it.
    for role in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{role}_NAME", "kube-immutable tests")
        env.setdefault(f"GIT_{role}_EMAIL", "tests@example.invalid")
    return env


# ---------------------------------------------------------------- GitHub Actions


class ActionRun:
    """One run of action.yml's steps, as GitHub runs a composite action."""

    def __init__(self, workspace: Path, runner_temp: Path, inputs: dict[str, str]):
        action = yaml.safe_load((ROOT / "action.yml").read_text())
        check(action["runs"]["using"] == "composite", "action.yml is not composite")
        self.action = action
        self.workspace = workspace
        self.runner_temp = runner_temp
        unknown = set(inputs) - set(action["inputs"])
        check(not unknown, f"inputs action.yml does not declare: {unknown}")
        self.inputs = {
            name: str(spec.get("default", "")) for name, spec in action["inputs"].items()
        }
        for name, value in inputs.items():
            # GitHub passes every input as a string: `true` becomes "true".
            self.inputs[name] = str(value).lower() if isinstance(value, bool) else str(value)
        self.outputs: dict[str, dict[str, str]] = {}
        self.path_file = runner_temp / "github_path"
        self.path_file.touch()
        self.logs: list[tuple[str, subprocess.CompletedProcess]] = []
        self.skipped_uses: list[tuple[str, dict[str, str]]] = []
        self.failed = False

    def value(self, expression: str) -> str:
        expression = expression.strip()
        if m := re.fullmatch(r"inputs\.([\w-]+)", expression):
            return self.inputs[m.group(1)]
        if expression == "github.action_path":
            return str(ROOT)
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return self.outputs.get(m.group(1), {}).get(m.group(2), "")
        if m := re.fullmatch(r"'([^']*)'", expression):
            return m.group(1)
        raise Failure(f"the test does not evaluate `{expression}`")

    def substitute(self, text: str) -> str:
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: self.value(m.group(1)), str(text))

    def condition(self, expression: str | None) -> bool:
        """`if:` as GitHub reads it: `success()` unless a status function is named."""
        if expression is None:
            return not self.failed
        expression = expression.strip()
        if expression.startswith("${{") and expression.endswith("}}"):
            expression = expression[3:-2]
        result = True
        status_named = False
        for term in (t.strip() for t in expression.split("&&")):
            if term == "always()":
                status_named = True
            elif term == "success()":
                status_named = True
                result = result and not self.failed
            elif m := re.fullmatch(r"(.+?)\s*(==|!=)\s*(.+)", term):
                left, op, right = self.value(m.group(1)), m.group(2), self.value(m.group(3))
                result = result and ((left == right) if op == "==" else (left != right))
            else:
                raise Failure(f"the test does not evaluate `if: {term}`")
        if not status_named:
            result = result and not self.failed
        return result

    def run(self) -> None:
        for index, step in enumerate(self.action["runs"]["steps"]):
            name = step.get("name", f"step {index}")
            if not self.condition(step.get("if")):
                continue
            if "uses" in step:
                with_ = {k: self.substitute(v) for k, v in step.get("with", {}).items()}
                self.skipped_uses.append((step["uses"], with_))
                continue
            check(step.get("shell") == "bash", f"{name}: the test runs `shell: bash` only")
            check("${{" not in step["run"], f"{name}: an expression inside `run:`")
            env = base_env()
            extra = [line for line in self.path_file.read_text().splitlines() if line]
            env["PATH"] = os.pathsep.join([*reversed(extra), env["PATH"]])
            output_file = self.runner_temp / f"output-{index}"
            output_file.write_text("")
            env.update(
                GITHUB_ACTIONS="true",
                GITHUB_WORKSPACE=str(self.workspace),
                GITHUB_ACTION_PATH=str(ROOT),
                GITHUB_PATH=str(self.path_file),
                GITHUB_OUTPUT=str(output_file),
                RUNNER_TEMP=str(self.runner_temp),
            )
            for key, value in step.get("env", {}).items():
                env[key] = self.substitute(value)
            script = self.runner_temp / f"step-{index}.sh"
            script.write_text(step["run"])
            # What GitHub runs for `shell: bash`.
            result = run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env=env,
            )
            self.logs.append((name, result))
            if "id" in step:
                self.outputs[step["id"]] = dict(
                    line.split("=", 1)
                    for line in output_file.read_text().splitlines()
                    if "=" in line
                )
            if result.returncode != 0:
                self.failed = True

    def step(self, name: str) -> subprocess.CompletedProcess:
        for step_name, result in self.logs:
            if step_name == name:
                return result
        raise Failure(f"step {name!r} did not run: {[n for n, _ in self.logs]}")

    def transcript(self) -> str:
        return "\n".join(f"== {name}\n{output(result)}" for name, result in self.logs)


def test_github_action(tmp: Path, state: dict) -> None:
    workflow = yaml.safe_load(snippet("github-actions"))
    steps = workflow["jobs"]["kube-immutable"]["steps"]
    ours = [s for s in steps if s.get("uses", "").startswith("kube-immutable/kube-immutable@")]
    check(len(ours) == 1, "the README's workflow uses the action once", str(steps))
    check(
        workflow["jobs"]["kube-immutable"]["permissions"].get("security-events") == "write",
        "upload-sarif needs security-events: write",
    )
    repo = fixture_repository(tmp)
    runner_temp = tmp / "runner"
    runner_temp.mkdir()

    action = ActionRun(repo, runner_temp, ours[0]["with"])
    action.run()
    install = action.step("Install kube-immutable")
    check(install.returncode == 0, "the install step fails", action.transcript())
    bin_dir = runner_temp / "kube-immutable/bin"
    for program in ("kube-immutable", "kubectl-immutable"):
        check((bin_dir / program).is_file(), f"cargo install did not install {program}")
    state["bin"] = bin_dir

    result = action.step("Check")
    check(result.returncode == 1, "findings fail the check step", action.transcript())
    annotations = [l for l in result.stdout.splitlines() if l.startswith("::")]
    check(len(annotations) == 9, "6 + 3 annotations for k8s/", action.transcript())
    check(
        any(
            l.startswith("::error file=k8s/pod.yaml,line=13,col=9,endLine=13,endColumn=25,"
                         "title=kube-immutable (privileged)::")
            for l in annotations
        ),
        "the privileged annotation",
        result.stdout,
    )
    sarif_path = repo / "kube-immutable.sarif"
    sarif = json.loads(sarif_path.read_text())
    check(len(sarif["runs"][0]["results"]) == 9, "SARIF results", sarif_path.read_text()[:2000])
    if shutil.which("node") and (ROOT / "node_modules/ajv").is_dir():
        validated = run(["node", "scripts/validate-sarif.cjs", str(sarif_path)], cwd=ROOT)
        check(validated.returncode == 0, "the action's SARIF is not valid", output(validated))
    else:
        print("note: no node_modules (npm ci): the SARIF is not validated against the schema",
              file=sys.stderr)
    check(
        action.outputs["check"]
        == {"sarif-file": "kube-immutable.sarif", "junit-file": "", "exit-code": "1"},
        "the check step's outputs",
        str(action.outputs),
    )
    check(
        action.skipped_uses
        == [("github/codeql-action/upload-sarif@v3",
             {"sarif_file": "kube-immutable.sarif", "category": "kube-immutable"})],
        "the upload step runs after a failed check, on the SARIF file",
        str(action.skipped_uses),
    )

    # Other inputs: a settings file, two paths, text, no SARIF, report only.
    shutil.copy(ROOT / "presets/restricted.yaml", repo / "restricted.yaml")
    action = ActionRun(
        repo,
        runner_temp,
        {
            "paths": "k8s/immutable.yaml\nsettings.yaml",
            "config": "restricted.yaml",
            "format": "text",
            "sarif-file": "",
            "fail-on-findings": False,
            "upload-sarif": True,
        },
    )
    action.run()
    install = action.step("Install kube-immutable")
    check(
        "already installed" in install.stdout,
        "a second run reuses the installed CLI",
        action.transcript(),
    )
    result = action.step("Check")
    check(result.returncode == 0, "fail-on-findings: false passes", action.transcript())
    check("error[image-not-pinned]" in result.stdout, "restricted.yaml applies", result.stdout)
    check("1 object checked" in result.stdout, "both paths, one object", result.stdout)
    check(action.outputs["check"] == {"sarif-file": "", "junit-file": "", "exit-code": "1"},
          str(action.outputs))
    check(action.skipped_uses == [], "no SARIF, no upload", str(action.skipped_uses))

    # Input errors fail whatever fail-on-findings says.
    action = ActionRun(repo, runner_temp, {"paths": "k8s/ missing.yaml", "fail-on-findings": "false"})
    action.run()
    result = action.step("Check")
    check(result.returncode == 2, "a missing path fails the step", action.transcript())
    check(
        "::error file=missing.yaml,title=kube-immutable::cannot read" in result.stdout,
        "the missing path is annotated",
        result.stdout,
    )

    # The README's baseline inputs, on a repository whose baseline was
    # written by `--write-baseline` (and a JUnit report from the same check).
    baseline_step = yaml.safe_load(snippet("github-actions-baseline"))
    check(len(baseline_step) == 1 and baseline_step[0]["uses"] == ours[0]["uses"],
          "the baseline snippet uses the action", str(baseline_step))
    inputs = dict(baseline_step[0]["with"])
    written = run([str(bin_dir / "kube-immutable"), "check", "--write-baseline", inputs["baseline"],
                   "k8s/"], cwd=repo, env=base_env())
    check(written.returncode == 0, "--write-baseline on the fixture", output(written))
    inputs["junit-file"] = "kube-immutable.xml"
    action = ActionRun(repo, runner_temp, inputs)
    action.run()
    result = action.step("Check")
    check(result.returncode == 0, "the baseline holds every finding: the step passes",
          action.transcript())
    check(not [l for l in result.stdout.splitlines() if l.startswith("::")],
          "no annotation for baselined findings", result.stdout)
    check("no longer match" not in result.stderr, "no stale entry", result.stderr)
    check("::notice title=kube-immutable baseline::9 findings matched the baseline" in result.stderr,
          "the baseline's note is a notice in the log", result.stderr)
    sarif = json.loads((repo / "kube-immutable.sarif").read_text())
    check(sarif["runs"][0]["results"] == [], "no SARIF result for baselined findings")
    check(action.outputs["check"]["junit-file"] == "kube-immutable.xml", str(action.outputs))
    validate_junit(repo / "kube-immutable.xml")
    # A privileged container added before the others: exactly its finding.
    add_privileged_container(repo / "k8s/immutable.yaml")
    action = ActionRun(repo, runner_temp, inputs)
    action.run()
    result = action.step("Check")
    check(result.returncode == 1, "a new privileged container fails the step", action.transcript())
    annotations = [l for l in result.stdout.splitlines() if l.startswith("::")]
    check(len(annotations) == 1 and annotations[0].startswith(
              "::error file=k8s/immutable.yaml,line=12,col=9,")
          and "title=kube-immutable (privileged)::" in annotations[0],
          "exactly the new finding is annotated", result.stdout)
    sarif = json.loads((repo / "kube-immutable.sarif").read_text())
    check([r["ruleId"] for r in sarif["runs"][0]["results"]] == ["privileged"],
          "the SARIF of the same check has it alone", str(sarif["runs"][0]["results"]))
    junit = validate_junit(repo / "kube-immutable.xml")
    check(not junit or "1 failures" in junit, "the JUnit report fails one object", junit)
    git("checkout", "--", ".", cwd=repo)


# ---------------------------------------------------------------- pre-commit


def test_pre_commit(tmp: Path, state: dict) -> None:
    check(PRE_COMMIT.is_file(), f"no pre-commit at {PRE_COMMIT} (scripts/setup.sh installs it)")
    env = base_env()
    env["PRE_COMMIT_HOME"] = str(tmp / "pre-commit-home")
    repo = fixture_repository(tmp)

    # Both hooks of this checkout (uncommitted changes included).
    result = run([str(PRE_COMMIT), "try-repo", str(ROOT), "--all-files", "--color", "never"],
                 cwd=repo, env=env)
    log = output(result)
    check(result.returncode == 1, "the hooks fail on the mutable pod", log)
    check(re.search(r"kube-immutable check\.+Failed", result.stdout) is not None, "check hook", log)
    check("--> k8s/pod.yaml:13:9" in result.stdout, "the check hook's frames", log)
    check(re.search(r"kube-immutable fix\.+Failed", result.stdout) is not None, "fix hook", log)
    check("files were modified by this hook" in result.stdout, "the fix hook rewrote a file", log)
    fixed = (repo / "k8s/pod.yaml").read_text()
    check("privileged: false" in fixed and "readOnlyRootFilesystem: true" in fixed,
          "the fix hook's safe fixes", fixed)
    check((repo / "settings.yaml").read_text() == "replicas: 3\nprivileged: true\n",
          "a YAML file that is no Kubernetes object is left alone")
    git("checkout", "--", ".", cwd=repo)

    # The README's configuration, pointed at this checkout's HEAD.
    head = git("rev-parse", "HEAD", cwd=ROOT)
    if git("status", "--porcelain", "--untracked-files=no", cwd=ROOT):
        print("note: uncommitted changes: the README's pre-commit configuration runs HEAD",
              file=sys.stderr)
    config = snippet("pre-commit")
    check(f"repo: {URL}\n" in config, "the README's configuration names the repository")
    config = config.replace(f"repo: {URL}\n", f"repo: {ROOT}\n")
    config = re.sub(r"rev: \S+", f"rev: {head}", config, count=1)
    (repo / ".pre-commit-config.yaml").write_text(config)
    git("add", ".pre-commit-config.yaml", cwd=repo)
    result = run([str(PRE_COMMIT), "run", "--all-files", "--color", "never"], cwd=repo, env=env)
    log = output(result)
    check(result.returncode == 1, "the README's hooks fail on the mutable pod", log)
    check("--> k8s/pod.yaml:13:9" in result.stdout, "check ran on k8s/", log)
    check("settings.yaml" not in result.stdout, "files: ^k8s/ keeps other YAML out", log)
    check("files were modified by this hook" in result.stdout, "the fix hook ran", log)
    fixed = (repo / "k8s/pod.yaml").read_text()
    check("privileged: false" in fixed, "the README's fix hook fixed k8s/pod.yaml", fixed)
    # Again: nothing left to fix, but `runAsUser: 0` (an unsafe fix) still
    # fails both hooks, as `fix` exits 1 while error-level findings remain.
    result = run([str(PRE_COMMIT), "run", "--all-files", "--color", "never"], cwd=repo, env=env)
    log = output(result)
    check(result.returncode == 1, "run-as-root is left", log)
    check("error[run-as-root]" in result.stdout, "run-as-root is reported", log)
    check("files were modified by this hook" not in result.stdout, "nothing more to fix", log)
    check((repo / "k8s/pod.yaml").read_text() == fixed, "the second run changed nothing")

    # The README's baseline configuration: the check hook passes on what the
    # baseline holds, then fails on exactly the finding an edit adds.
    git("checkout", "--", ".", cwd=repo)
    written = run([str(state["bin"] / "kube-immutable"), "check", "--write-baseline",
                   "kube-immutable-baseline.json", "k8s/"], cwd=repo, env=env)
    check(written.returncode == 0, "--write-baseline on the fixture", output(written))
    config = snippet("pre-commit-baseline")
    check(f"repo: {URL}\n" in config, "the baseline configuration names the repository")
    config = config.replace(f"repo: {URL}\n", f"repo: {ROOT}\n")
    config = re.sub(r"rev: \S+", f"rev: {head}", config, count=1)
    (repo / ".pre-commit-config.yaml").write_text(config)
    git("add", ".pre-commit-config.yaml", cwd=repo)
    result = run([str(PRE_COMMIT), "run", "--all-files", "--color", "never"], cwd=repo, env=env)
    log = output(result)
    check(result.returncode == 0, "the baseline holds every finding: the hook passes", log)
    check(re.search(r"kube-immutable check\.+Passed", result.stdout) is not None, "check hook", log)
    add_privileged_container(repo / "k8s/immutable.yaml")
    result = run([str(PRE_COMMIT), "run", "--all-files", "--color", "never", "--verbose"],
                 cwd=repo, env=env)
    log = output(result)
    check(result.returncode == 1, "a new privileged container fails the hook", log)
    check(result.stdout.count("error[") == 1 and "error[privileged]" in result.stdout
          and "--> k8s/immutable.yaml:12:9" in result.stdout,
          "exactly the new finding is reported", log)
    check("matched the baseline kube-immutable-baseline.json" in result.stdout,
          "the summary counts the baselined findings", log)


# ---------------------------------------------------------------- baseline


def test_baseline(tmp: Path, state: dict) -> None:
    """The README's baseline lines, as written, in a fixture repository."""
    repo = fixture_repository(tmp)
    env = base_env()
    env["PATH"] = f"{state['bin']}{os.pathsep}{env['PATH']}"
    lines = snippet("baseline").strip().splitlines()
    check(len(lines) == 3, "write, add, check", *lines)
    results = [run(["bash", "-eo", "pipefail", "-c", line], cwd=repo, env=env) for line in lines]
    for line, result in zip(lines, results):
        check(result.returncode == 0, line, output(result))
    check("Baseline written to kube-immutable-baseline.json: 9 findings." in results[0].stdout,
          lines[0], output(results[0]))
    check("No new findings" in results[2].stdout
          and "9 findings matched the baseline kube-immutable-baseline.json." in results[2].stdout,
          lines[2], output(results[2]))
    baseline = json.loads((repo / "kube-immutable-baseline.json").read_text())
    check(baseline["version"] == 1 and sum(e["count"] for e in baseline["findings"]) == 9,
          "the baseline file", json.dumps(baseline)[:2000])
    # Fixing a finding leaves a stale entry: reported, not failing.
    fixed = run(["kube-immutable", "fix", "--write", "k8s/pod.yaml"], cwd=repo, env=env)
    check(fixed.returncode == 1, "fix leaves run-as-root", output(fixed))
    again = run(["bash", "-c", lines[2]], cwd=repo, env=env)
    check(again.returncode == 0, "stale entries do not fail", output(again))
    check("baseline entries no longer match: run `--write-baseline kube-immutable-baseline.json`"
          in again.stdout, "stale entries are reported", output(again))


# ---------------------------------------------------------------- GitLab CI


def test_gitlab_ci(tmp: Path, state: dict) -> None:
    job = yaml.safe_load(snippet("gitlab-ci"))["kube-immutable"]
    script = job["script"]
    install = f"cargo install --locked --git {URL} --tag v0.1.0 kube-immutable"
    check(script[0] == install, "the job installs the CLI first", script[0])
    repo = fixture_repository(tmp)
    # This checkout instead of the tagged repository.
    lines = [f"cargo install --locked --quiet --path {ROOT}/crates/kube-immutable-cli", *script[1:]]
    env = base_env()
    env["CARGO_INSTALL_ROOT"] = str(tmp / "cargo-home")
    env["PATH"] = f"{tmp / 'cargo-home/bin'}{os.pathsep}{env['PATH']}"
    result = run(["bash", "-eo", "pipefail", "-c", "\n".join(lines)], cwd=repo, env=env)
    check(result.returncode == 1, "the job fails on the mutable pod", output(result))
    check("error[privileged]" in result.stdout, "the job log has the frames", output(result))
    check(len([l for l in lines if l.startswith("kube-immutable check")]) == 1,
          "one check writes every report", *lines)
    for artifact in job["artifacts"]["paths"]:
        report = json.loads((repo / artifact).read_text())
        check(report["summary"]["errors"] == 4, "the JSON artifact", str(report["summary"]))
    # The JUnit report, as GitLab reads it: a suite per file, a case per
    # object, the mutable pod failing with its four errors named.
    junit_file = repo / job["artifacts"]["reports"]["junit"]
    validate_junit(junit_file)
    import xml.etree.ElementTree as ET
    root = ET.parse(junit_file).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    check(set(suites) == {"k8s/immutable.yaml", "k8s/pod.yaml"},
          "a suite per file", str(list(suites)))
    failure = suites["k8s/pod.yaml"].find("testcase/failure")
    check(failure is not None and failure.get("message", "").startswith("4 error-level findings:"),
          "the mutable pod fails", ET.tostring(suites["k8s/pod.yaml"], encoding="unicode"))
    case = suites["k8s/immutable.yaml"].find("testcase")
    check(case is not None and case.find("failure") is None and case.find("system-out") is not None,
          "the immutable pod passes, with its warnings in system-out",
          ET.tostring(suites["k8s/immutable.yaml"], encoding="unicode"))


# ---------------------------------------------------------------- kubectl


def test_kubectl(tmp: Path, state: dict) -> None:
    work = tmp / "work"
    work.mkdir()
    shutil.copy(MUTABLE, work / "pod.yaml")
    (work / "list.yaml").write_text(KUBECTL_LIST)
    real = shutil.which("kubectl")
    if real:
        stand_in = 'if [ "$1" = get ]; then cat list.yaml; else command kubectl "$@"; fi'
    else:
        print("note: no kubectl on PATH: the plugin binary is run directly", file=sys.stderr)
        stand_in = ('if [ "$1" = get ]; then cat list.yaml; '
                    'elif [ "$1" = immutable ]; then shift; kubectl-immutable "$@"; fi')
    env = base_env()
    env["PATH"] = f"{state['bin']}{os.pathsep}{env['PATH']}"
    lines = snippet("kubectl").strip().splitlines()
    check(len(lines) == 2, "two kubectl lines", *lines)
    results = []
    for line in lines:
        prelude = f"kubectl() {{ {stand_in}; }}\n"
        results.append(run(["bash", "-o", "pipefail", "-c", prelude + line], cwd=work, env=env))
    check(results[0].returncode == 1, lines[0], output(results[0]))
    check("--> pod.yaml:13:9" in results[0].stdout, lines[0], output(results[0]))
    check(results[1].returncode == 1, lines[1], output(results[1]))
    check('Deployment/web in namespace "shop"' in results[1].stdout, lines[1], output(results[1]))
    state["kubectl"] = "through kubectl" if real else "plugin binary directly"


# ---------------------------------------------------------------- Helm

FAKE_HELM = r'''#!PYTHON
"""A stand-in for helm: what Helm does with the README's lines."""
import os, shutil, subprocess, sys
from pathlib import Path
import yaml

args = sys.argv[1:]
major = os.environ["FAKE_HELM_MAJOR"]
plugins = Path(os.environ["HELM_PLUGINS"])
if args[:1] == ["template"]:
    sys.stdout.write(Path(os.environ["FAKE_HELM_STREAM"]).read_text())
    sys.exit(0)
if args[:2] == ["plugin", "install"] and major == "4":
    source = Path(args[2])
    manifest = yaml.safe_load((source / "plugin.yaml").read_text())
    assert manifest["apiVersion"] == "v1" and manifest["type"] == "postrenderer/v1", manifest
    assert manifest["runtime"] == "subprocess", manifest
    shutil.copytree(source, plugins / manifest["name"])
    print(f"Installed plugin: {manifest['name']}")
    sys.exit(0)
if args[:1] == ["install"]:
    renderer, renderer_args, i = None, [], 1
    while i < len(args):
        if args[i] == "--post-renderer":
            renderer, i = args[i + 1], i + 2
        elif args[i] == "--post-renderer-args" and major == "3":
            renderer_args.append(args[i + 1]); i += 2
        else:
            i += 1
    env = dict(os.environ)
    if major == "4":
        # Helm 4: the name of an installed postrenderer/v1 plugin.
        plugin = plugins / renderer
        manifest = yaml.safe_load((plugin / "plugin.yaml").read_text())
        command = manifest["runtimeConfig"]["platformCommand"][0]
        env["HELM_PLUGIN_DIR"] = str(plugin)
        program = os.path.expandvars(command["command"].replace("${HELM_PLUGIN_DIR}", str(plugin)))
        argv = [program, *command.get("args", [])]
    else:
        # Helm 3: a program, found on PATH unless it is a path.
        found = shutil.which(renderer)
        if not found:
            sys.exit(f"Error: unable to find binary at {renderer}")
        argv = [found, *renderer_args]
    stream = Path(os.environ["FAKE_HELM_STREAM"]).read_bytes()
    done = subprocess.run(argv, input=stream, capture_output=True, env=env)
    if done.returncode != 0:
        sys.exit(f"Error: error while running post render on files: {done.stderr.decode()}")
    Path(os.environ["FAKE_HELM_DEPLOYED"]).write_bytes(done.stdout)
    print("STATUS: deployed")
    sys.exit(0)
sys.exit(f"stand-in helm: not a README line: {args}")
'''


def test_helm(tmp: Path, state: dict) -> None:
    fake = tmp / "fake-bin"
    fake.mkdir()
    (fake / "helm").write_text(FAKE_HELM.replace("PYTHON", sys.executable, 1))
    (fake / "helm").chmod(0o755)
    env = base_env()
    env["PATH"] = os.pathsep.join([str(fake), str(state["bin"]), env["PATH"]])
    env["FAKE_HELM_STREAM"] = str(HELM_STREAM)
    for major, name in (("3", "helm"), ("4", "helm-4")):
        deployed = tmp / f"deployed-{major}.yaml"
        plugins = tmp / f"plugins-{major}"
        plugins.mkdir()
        env.update(FAKE_HELM_MAJOR=major, FAKE_HELM_DEPLOYED=str(deployed), HELM_PLUGINS=str(plugins))
        for line in snippet(name).strip().splitlines():
            result = run(["bash", "-o", "pipefail", "-c", line], cwd=ROOT, env=env)
            if "| kube-immutable check -" in line:
                check(result.returncode == 1, line, output(result))
                check("error[privileged]" in result.stdout, line, output(result))
            else:
                check(result.returncode == 0, line, output(result))
        check(deployed.is_file(), f"{name}: nothing was deployed")
        text = deployed.read_text()
        check("privileged: false" in text and "readOnlyRootFilesystem: true" in text,
              f"{name}: Helm deploys the fixed manifests", text)
        verdict = run(["kube-immutable", "check", "--format", "json", "-"], cwd=ROOT, env=env,
                      stdin=text)
        check(json.loads(verdict.stdout)["summary"]["errors"] == 0,
              f"{name}: what Helm deploys has no error-level finding", verdict.stdout)
    # A stream the post-renderer cannot read stops the release (Helm 3 line).
    bad = tmp / "bad.yaml"
    bad.write_bytes(b"kind: Pod\n\xff\n")
    env.update(FAKE_HELM_MAJOR="3", FAKE_HELM_STREAM=str(bad),
               FAKE_HELM_DEPLOYED=str(tmp / "deployed-bad.yaml"))
    line = snippet("helm").strip().splitlines()[1]
    result = run(["bash", "-c", line], cwd=ROOT, env=env)
    check(result.returncode != 0 and "not UTF-8" in result.stderr,
          "an unreadable stream fails the release", output(result))
    check(not (tmp / "deployed-bad.yaml").exists(), "nothing deployed")


def main() -> int:
    # The action installs the CLI; the others use that installation.
    tests = [test_github_action, test_pre_commit, test_baseline, test_gitlab_ci, test_kubectl,
             test_helm]
    only = sys.argv[1:]
    state: dict = {}
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="kube-immutable-integrations-") as base:
        for test in tests:
            name = test.__name__
            if only and name not in only and name != "test_github_action":
                continue
            tmp = Path(base) / name
            tmp.mkdir()
            try:
                test(tmp, state)
            except Exception as e:  # a failing test, reported with its context
                failed += 1
                detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
                print(f"FAILED {name}:\n{textwrap.indent(detail, '    ')}", file=sys.stderr)
                if name == "test_github_action":
                    break
            else:
                passed += 1
                print(f"ok {name}", file=sys.stderr)
    if "kubectl" in state:
        print(f"kubectl: {state['kubectl']}", file=sys.stderr)
    print(f"integrations: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
