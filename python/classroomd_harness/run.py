"""Runs an assignment's tests against one submission and prints results.json.

    python3 -m classroomd_harness.run --tests DIR --local SUBMISSION [--visible-only]
        runs the student's code as plain subprocesses (an instructor's laptop);
        results.json on standard output, pytest's report on standard error.
    python3 -m classroomd_harness.run --tests DIR --daemon [--visible-only]
        classroomd's grading: standard input and output carry the JSON lines of
        DaemonBroker (classroomd runs the student's code in a sandbox) and the
        last line is {"op": "results", ...}; pytest's report goes to standard error.
    python3 -m classroomd_harness.run --tests DIR --collect-only
        lists the tests (name, points, visibility) as JSON: what `assignment add` checks.
"""

import argparse
import json
import os
import sys

import pytest

from . import broker, plugin


class _Collector:
    def __init__(self):
        self.results = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self.results = plugin.results(session.config, exitstatus)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="classroomd_harness.run")
    ap.add_argument("--tests", required=True)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--local")
    mode.add_argument("--daemon", action="store_true")
    mode.add_argument("--collect-only", action="store_true")
    ap.add_argument("--visible-only", action="store_true")
    ap.add_argument("--timeout", type=float, default=plugin.DEFAULT_TIMEOUT)
    a = ap.parse_args(argv)

    # Whatever the tests (or pytest) print must not reach the channel.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", closefd=False)
    d = None
    if a.daemon:
        rfile = os.fdopen(os.dup(0), "r", encoding="utf-8")
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        d = broker.DaemonBroker(rfile, out)
        plugin.BROKER = d
    elif a.local:
        plugin.BROKER = broker.LocalBroker(a.local)

    args = [a.tests, "-p", "no:cacheprovider", "-q", "-rN",
            "--rootdir", a.tests, "--classroomd-timeout", str(a.timeout)]
    if a.visible_only:
        args.append("--classroomd-visible-only")
    if a.collect_only:
        args.append("--collect-only")
    col = _Collector()
    status = pytest.main(args, plugins=[plugin, col])
    if plugin.BROKER is not None and not a.daemon:
        plugin.BROKER.reset()
    res = col.results or {"score": 0, "max_score": 0, "tests": [], "error": "pytest did not finish (status %d)" % int(status)}
    if a.collect_only:
        res = {"tests": plugin_tests(res), **({"error": res["error"]} if "error" in res else {})}
    if d is not None:
        d.send_results(res)
    else:
        out.write(json.dumps(res, indent=1) + "\n")
        out.flush()
    return 0 if "error" not in res else 2


def plugin_tests(res):
    return [{"name": t["name"], "max_score": t["max_score"], "visibility": t["visibility"]} for t in res["tests"]]


if __name__ == "__main__":
    sys.exit(main())
