#!/usr/bin/env python3
"""The summary line of `tools/dev.sh test`, read from ctest's JUnit files.

  test_summary.py A-tests.xml [B-tests.xml ...]
      one line: passed, failed, skipped over every file. Where A-retried.xml is beside
      A-tests.xml (dev.sh reruns tests whose only failure was LeakSanitizer's tracer
      crashing at exit), a test's rerun replaces its first result, and the line says how
      many were rerun.
  test_summary.py --only-tracer-crashes A-tests.xml
      exit 0 when A has failures and every one of them is a test that passed and then
      LeakSanitizer's tracer crashed at exit (nothing else: no leak report, no sanitizer
      error, no failed assertion); prints their names. Exit 1 otherwise.
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TRACER_CRASH = ("Tracer caught signal", "LeakSanitizer has encountered a fatal error")
# Anything of these in a test's output is a real failure, whatever else it printed.
REAL_FAILURE = ("ERROR: LeakSanitizer: detected memory leaks", "ERROR: AddressSanitizer",
                "runtime error:", "[  FAILED  ]", "Failure\n")


def results(path):
    """{test name: (status, output)}, status one of passed, failed, skipped."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        status = case.get("status", "run")
        if case.find("failure") is not None or status == "fail":
            state = "failed"
        elif status in ("notrun", "disabled") or case.find("skipped") is not None:
            state = "skipped"
        else:
            state = "passed"
        text = case.findtext("system-out") or ""
        out[case.get("name")] = (state, text)
    return out


def tracer_crash_only(text):
    return (all(s in text for s in TRACER_CRASH) and "[  PASSED  ]" in text
            and not any(s in text for s in REAL_FAILURE))


def only_tracer_crashes(path):
    failed = {n: t for n, (s, t) in results(path).items() if s == "failed"}
    crashes = [n for n, t in failed.items() if tracer_crash_only(t)]
    if not failed or len(crashes) != len(failed):
        return 1
    for name in crashes:
        print(f"  passed, then LeakSanitizer's tracer crashed at exit: {name}")
    return 0


def summary(paths):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    rerun = []
    for path in map(Path, paths):
        first = results(path)
        retried = path.with_name(path.name.replace("-tests.xml", "-retried.xml"))
        if retried != path and retried.exists():
            for name, again in results(retried).items():
                if name in first:
                    rerun.append(f"{name}: {again[0]} when run again")
                    first[name] = again
        for state, _ in first.values():
            counts[state] += 1
    line = f"tests: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    if rerun:
        line += f" ({len(rerun)} run again after LeakSanitizer's tracer crashed at exit)"
    print("\n" + line)
    for item in rerun:
        print(f"  {item}")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--only-tracer-crashes":
        sys.exit(only_tracer_crashes(args[1]))
    if not args:
        sys.exit(__doc__)
    sys.exit(summary(args))
