#!/usr/bin/env python3
"""Validates JUnit XML files as the tools that read them would.

1. Against junit-10.xsd, the Jenkins xUnit plugin's JUnit schema (the copy
   pytest ships to test its own JUnit output), with xmlschema.
2. Through junitparser, a JUnit reader: the counts each <testsuite> and the
   <testsuites> root declare must be what its test cases add up to (readers
   show the declared counts, and some refuse a file where they disagree),
   and a test case has at most one result element (Jenkins and GitLab show
   only the first).

scripts/setup.sh installs both and the schema in a virtual environment;
scripts/test.sh runs this on its Python:
    ~/.cache/kube-immutable/junit-tools/bin/python scripts/validate-junit.py FILE...
Prints one line per file and exits 1 when one is invalid.
"""

from __future__ import annotations

import sys
from pathlib import Path

import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

SCHEMA = Path(sys.prefix) / "junit-10.xsd"  # the virtual environment setup.sh made


def counts(suite: TestSuite) -> dict[str, int]:
    out = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for case in suite:
        out["tests"] += 1
        results = case.result
        if len(results) > 1:
            raise ValueError(f"test case {case.name!r} has {len(results)} results")
        for r in results:
            if isinstance(r, Failure):
                out["failures"] += 1
            elif isinstance(r, Error):
                out["errors"] += 1
            elif isinstance(r, Skipped):
                out["skipped"] += 1
    return out


def check(path: str, schema: xmlschema.XMLSchema) -> str:
    errors = list(schema.iter_errors(path))
    if errors:
        raise ValueError("not valid against junit-10.xsd:\n" + "\n".join(f"  {e.reason} at {e.path}" for e in errors[:10]))
    xml = JUnitXml.fromfile(path)
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    root = isinstance(xml, JUnitXml)
    suites = list(xml) if root else [xml]
    for suite in suites:
        found = counts(suite)
        declared = {k: getattr(suite, k) or 0 for k in found}
        if found != declared:
            raise ValueError(f"suite {suite.name!r} declares {declared}, has {found}")
        for k in total:
            total[k] += found[k]
    if root:
        for k in ("tests", "failures", "errors"):
            declared = getattr(xml, k) or 0
            if declared != total[k]:
                raise ValueError(f"<testsuites> declares {k}={declared}, its suites add up to {total[k]}")
    return (f"{len(suites)} suites, {total['tests']} tests, {total['failures']} failures, "
            f"{total['errors']} errors, {total['skipped']} skipped")


def main() -> int:
    schema = xmlschema.XMLSchema(str(SCHEMA))
    failed = 0
    for path in sys.argv[1:]:
        try:
            print(f"{path}: valid JUnit XML (junit-10.xsd, junitparser): {check(path, schema)}")
        except Exception as e:  # any refusal is a failure of this file
            failed += 1
            print(f"{path}: invalid JUnit XML: {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
