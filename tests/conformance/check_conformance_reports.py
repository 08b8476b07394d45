"""Checks thunder-conformance's reports and exit status (docs/conformance.md).

usage: check_conformance_reports.py THUNDER_CONFORMANCE OUT_DIR

Runs the tool on a few ops over torch, spirv and cuda (cuda without a driver is absent
here: its results must be "skip" with the reason, never "pass"), with --compare spirv,torch,
and checks: the JSON has exactly the documented schema; JUnit XML parses, one test case per
op x dtype x backend; the HTML page is self-contained and holds the matrix; the exit
status is 1 when a result is unexpected and 0 when the expectations cover it; an expected
failure that passes is "xpass" and fails the run; a bad expectations file exits 2 naming
the line.
"""
import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

tool, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


# A Vulkan device opened without its optional features (no 8/16-bit storage) claims no
# prim of ltorch.eq on f16 (bool results, f16 inputs): those results are genuine "skip"s,
# the unexpected results the first runs need now that spirv fails no op on lavapipe.
MINIMAL = dict(os.environ, THUNDER_VK_MINIMAL_FEATURES="1")


def run(args, expect_rc, env=None):
    p = subprocess.run([tool] + args, capture_output=True, text=True, env=env)
    check(p.returncode == expect_rc,
          f"{' '.join(args)}: exit {p.returncode}, expected {expect_rc}\n{p.stdout[-3000:]}\n{p.stderr[-2000:]}")
    return p


VERDICTS = {"pass", "fail", "fallback", "skip", "xfail", "xpass"}
BACKEND_KEYS = {"name", "device", "available", "reason"}
RESULT_KEYS = {"op", "sample", "dtype", "backend", "device", "executors", "max_abs", "max_rel",
               "tolerance", "verdict", "reason"}


def check_schema(j, name):
    check(set(j) == {"tool", "version", "backends", "results", "unused_expectations"},
          f"{name}: top-level keys {sorted(j)}")
    for b in j["backends"]:
        check(set(b) == BACKEND_KEYS, f"{name}: backend keys {sorted(b)}")
        check(isinstance(b["name"], str) and isinstance(b["device"], str), f"{name}: backend {b}")
        check(isinstance(b["available"], bool) and isinstance(b["reason"], str), f"{name}: {b}")
        if not b["available"]:
            check(b["reason"] != "", f"{name}: absent backend {b['name']} has no reason")
    check(len(j["results"]) > 0, f"{name}: no results")
    for r in j["results"]:
        check(set(r) == RESULT_KEYS, f"{name}: result keys {sorted(r)}")
        check(r["verdict"] in VERDICTS, f"{name}: verdict {r['verdict']}")
        for k in ("op", "sample", "dtype", "backend", "device", "reason"):
            check(isinstance(r[k], str), f"{name}: {k} of {r}")
        check(isinstance(r["executors"], dict) and
              all(isinstance(v, int) and v >= 0 for v in r["executors"].values()),
              f"{name}: executors {r['executors']}")
        for k in ("max_abs", "max_rel"):
            v = r[k]
            check(v is None or v == "inf" or (isinstance(v, (int, float)) and v >= 0 and math.isfinite(v)),
                  f"{name}: {k} = {v!r}")
        t = r["tolerance"]
        check(t is None or (isinstance(t, dict) and "rule" in t), f"{name}: tolerance {t}")
        if isinstance(t, dict) and "rtol" in t:
            check(set(t) == {"rtol", "atol", "torch_error_factor", "rule"}, f"{name}: tolerance {t}")
        if r["verdict"] == "pass" and not r["device"].startswith("compile-only"):
            check(r["max_abs"] is not None and t is not None, f"{name}: a pass with nothing compared: {r}")
        if r["verdict"] != "pass":
            check(r["reason"] != "", f"{name}: {r['verdict']} without a reason: {r}")
    return j


# 1. Three backends, one of them (cuda: no driver) absent; on a minimal Vulkan device spirv
# skips ltorch.eq on f16, an unexpected result.
j_path, x_path, h_path = (os.path.join(out, f) for f in ("r.json", "r.xml", "r.html"))
p = run(["--backends", "torch,spirv,cuda", "--dtypes", "f32,f16", "--ops", "ltorch.add,ltorch.sin,ltorch.eq",
         "--compare", "spirv,torch", "--json", j_path, "--junit", x_path, "--html", h_path], 1, MINIMAL)
j = check_schema(json.load(open(j_path)), "r.json")
names = [b["name"] for b in j["backends"]]
check(names == ["torch", "spirv", "cuda"], f"backends listed: {names}")
by_backend = {}
for r in j["results"]:
    by_backend.setdefault(r["backend"], []).append(r)
check(set(by_backend) == {"torch", "spirv", "cuda", "spirv-vs-torch"}, f"result backends {set(by_backend)}")
for b in j["backends"]:
    if not b["available"]:
        check(all(r["verdict"] == "skip" and b["reason"] in r["reason"] for r in by_backend[b["name"]]),
              f"absent {b['name']}: results must be skip with the reason")
check(all(r["executors"].get("torch", 0) >= 0 for r in by_backend["torch"]), "torch executors")
check(any(r["verdict"] == "pass" and r["executors"].get("spirv", 0) > 0 for r in by_backend["spirv"]),
      "some spirv pass ran prims on spirv")
check(all(r["executors"].get("spirv", 0) > 0 for r in by_backend["spirv"] if r["verdict"] == "pass"),
      "a spirv pass must have run prims on spirv")
check(any(r["verdict"] == "skip" and r["op"] == "ltorch.eq" and r["dtype"] == "f16"
          for r in by_backend["spirv"]), "spirv skips ltorch.eq on f16 on a minimal device")
check("backend" in p.stdout and "worst ops" in p.stdout, "summary table printed")

# JUnit: one test case per op x dtype x backend.
root = ET.parse(x_path).getroot()
cases = [(s.get("name"), c.get("classname"), c.get("name")) for s in root for c in s]
expected_cases = {(r["backend"], f"{r['backend']}.{r['dtype']}", r["op"]) for r in j["results"]}
check(len(cases) == len(set(cases)) and set(cases) == expected_cases,
      f"junit cases {len(cases)} vs {len(expected_cases)}")

html = open(h_path).read()
check(html.startswith("<!DOCTYPE html>") and 'id="matrix"' in html, "html has the matrix")
check("<script src" not in html and "<link" not in html and "http" not in html.replace("http-equiv", ""),
      "html is self-contained")
for op in ("ltorch.add", "ltorch.sin"):
    check(op in html, f"html lists {op}")

# 2. Exit 0 when expectations cover every non-pass; unused entries reported.
exp = os.path.join(out, "exp.txt")
with open(exp, "w") as f:
    f.write("# test\n"
            "spirv f16 ltorch.eq skip : a minimal device stores no f16 and no bool\n"
            "spirv f32 ltorch.nothing fail : matches no result\n")
p = run(["--backends", "torch,spirv", "--dtypes", "f16", "--ops", "ltorch.eq", "--expectations", exp,
         "--json", j_path], 0, MINIMAL)
j = check_schema(json.load(open(j_path)), "covered")
check(any(r["verdict"] == "xfail" for r in j["results"]), "an xfail")
check(j["unused_expectations"] == [f"{exp}:3"], f"unused {j['unused_expectations']}")
check("matched no result" in p.stdout, "unused entry printed")

# 3. An expected failure that passes is xpass and fails the run.
with open(exp, "w") as f:
    f.write("torch f32 ltorch.abs fail : pretend\n")
p = run(["--backends", "torch", "--dtypes", "f32", "--ops", "ltorch.abs", "--expectations", exp,
         "--json", j_path], 1)
j = check_schema(json.load(open(j_path)), "xpass")
check(all(r["verdict"] == "xpass" for r in j["results"]), "every ltorch.abs result is xpass")

# 3b. BACKEND lists backends, each with an optional @DEVICE glob: an entry for another
# device leaves the result alone, one for this device (torch's is "cpu ...") applies.
with open(exp, "w") as f:
    f.write("spirv,torch@no_such_device* f32 ltorch.abs fail : another device\n"
            "cuda,torch@cpu* f32 ltorch.abs fail : this device\n")
p = run(["--backends", "torch", "--dtypes", "f32", "--ops", "ltorch.abs", "--expectations", exp,
         "--json", j_path], 1)
j = check_schema(json.load(open(j_path)), "backend list")
check(all(r["verdict"] == "xpass" and f"{exp}:2" in r["reason"] for r in j["results"]),
      "the @cpu entry, not the other device's, applies to every ltorch.abs result")
check(j["unused_expectations"] == [f"{exp}:1"], f"unused {j['unused_expectations']}")

# 4. --devices: a Vulkan device that is not here is an absent backend, listed with the reason.
p = run(["--backends", "torch", "--devices", "spirv:no_such_device", "--ops", "ltorch.abs",
         "--dtypes", "f32", "--json", j_path], 1)
j = check_schema(json.load(open(j_path)), "devices")
absent = [b for b in j["backends"] if b["name"] == "spirv:no_such_device"]
check(len(absent) == 1 and not absent[0]["available"] and "no_such_device" in absent[0]["reason"],
      f"absent device listed: {j['backends']}")
check(all(r["verdict"] == "skip" for r in j["results"] if r["backend"] == "spirv:no_such_device"),
      "absent device: skips")

# 5. Bad input: clear errors, exit 2.
with open(exp, "w") as f:
    f.write("torch f32 ltorch.abs fail\n")
p = run(["--backends", "torch", "--ops", "ltorch.abs", "--expectations", exp], 2)
check(f"{exp}:1: no reason" in p.stderr, f"bad expectation message: {p.stderr}")
with open(exp, "w") as f:
    f.write("spirv,,cuda f32 ltorch.abs fail : an empty item\n")
p = run(["--backends", "torch", "--ops", "ltorch.abs", "--expectations", exp], 2)
check(f"{exp}:1: backend 'spirv,,cuda' has an empty item" in p.stderr, f"empty item message: {p.stderr}")
p = run(["--backends", "metal"], 2)
check("unknown backend 'metal'" in p.stderr, f"bad backend message: {p.stderr}")
p = run(["--backends", "torch", "--ops", "no_such_op"], 2)
check("no op of the database matches" in p.stderr, f"no op message: {p.stderr}")

if failures:
    print(f"{len(failures)} checks failed")
    sys.exit(1)
print("thunder-conformance reports: all checks passed")
