"""The pytest plugin: the ``student`` fixture and the ``visible`` and
``points(n)`` markers, and the results in the Gradescope results.json shape.

    @pytest.mark.visible          # students may run it themselves; unmarked tests are hidden
    @pytest.mark.points(2)        # default 1
    def test_small(student):
        assert student.function("fib.py", "fib")(10) == 55

    def test_program(student):
        r = student.run("fib.py", stdin="7\\n", timeout=5)
        assert r.stdout.strip().endswith("13")
"""

import ast
import numbers

import pytest

# Set by classroomd_harness.run before pytest starts.
BROKER = None
DEFAULT_TIMEOUT = 10.0
MAX_OUTPUT = 2000


class StudentError(AssertionError):
    """The student's code raised, crashed, or did not answer in time."""


class StudentTimeout(StudentError):
    pass


class RunResult:
    def __init__(self, d):
        self.stdout = d.get("stdout", "")
        self.stderr = d.get("stderr", "")
        self.returncode = d.get("returncode")
        self.timed_out = bool(d.get("timed_out"))

    def __repr__(self):
        return "RunResult(returncode=%r, timed_out=%r, stdout=%r)" % (self.returncode, self.timed_out, self.stdout[:200])


class Student:
    """What a test sees of the submission. Nothing of it runs in this process."""

    Error = StudentError
    Timeout = StudentTimeout

    def __init__(self, broker, timeout):
        self._broker = broker
        self._timeout = timeout

    def function(self, file, name, timeout=None):
        t = float(timeout or self._timeout)

        def call(*args, **kwargs):
            try:
                a, k = repr(tuple(args)), repr(dict(kwargs))
                ast.literal_eval(a), ast.literal_eval(k)
            except (ValueError, SyntaxError):
                raise TypeError("student.function passes plain data only (numbers, strings, lists, tuples, dicts, sets, None)")
            resp = self._broker.call(file, name, a, k, t)
            if resp.get("ok"):
                try:
                    return ast.literal_eval(resp.get("value", ""))
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    raise StudentError("%s() returned something that is not plain data" % name)
            if resp.get("kind") == "timeout":
                raise StudentTimeout("%s() did not return within %g s" % (name, t))
            raise StudentError("%s(): %s" % (name, resp.get("error", "failed")))

        call.__name__ = name
        return call

    def run(self, file, stdin="", timeout=None, args=()):
        return RunResult(self._broker.run(file, stdin, float(timeout or self._timeout), [str(a) for a in args]))


def pytest_addoption(parser):
    g = parser.getgroup("classroomd")
    g.addoption("--classroomd-visible-only", action="store_true", help="run only the tests marked visible")
    g.addoption("--classroomd-timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per call into the student's code")


def pytest_configure(config):
    config.addinivalue_line("markers", "visible: students may run this test themselves (unmarked tests are hidden)")
    config.addinivalue_line("markers", "points(n): what the test is worth (default 1)")
    config._classroomd = {"tests": [], "errors": []}


def _points(item):
    m = item.get_closest_marker("points")
    if m is None:
        return 1.0
    if len(m.args) != 1 or not isinstance(m.args[0], numbers.Real) or isinstance(m.args[0], bool) or m.args[0] < 0:
        raise pytest.UsageError("%s: @pytest.mark.points takes one number >= 0" % item.nodeid)
    return float(m.args[0])


def pytest_collection_modifyitems(session, config, items):
    keep, drop = [], []
    for item in items:
        item._classroomd_visible = item.get_closest_marker("visible") is not None
        item._classroomd_points = _points(item)
        (keep if item._classroomd_visible or not config.getoption("classroomd_visible_only") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    config._classroomd["tests"] = [{"name": i.nodeid, "max_score": i._classroomd_points,
                                    "visibility": "visible" if i._classroomd_visible else "hidden"} for i in keep]


@pytest.fixture
def student(request):
    if BROKER is None:
        raise RuntimeError("the student fixture needs classroomd_harness.run (python3 -m classroomd_harness.run)")
    s = Student(BROKER, request.config.getoption("classroomd_timeout"))
    yield s
    BROKER.reset()  # every test gets a fresh process of the student's


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    st = item.stash.setdefault(_state_key, {"passed": True, "output": ""})
    if rep.failed or rep.skipped and rep.when == "call":
        if st["passed"]:
            st["passed"] = False
            if call.excinfo is not None:
                st["output"] = call.excinfo.exconly()[:MAX_OUTPUT]
            else:
                st["output"] = "skipped" if rep.skipped else "failed"
    if rep.when == "teardown":
        res = item.config._classroomd
        pts = getattr(item, "_classroomd_points", 1.0)
        res.setdefault("done", []).append({
            "name": item.nodeid,
            "score": pts if st["passed"] else 0.0,
            "max_score": pts,
            "status": "passed" if st["passed"] else "failed",
            "output": st["output"],
            "visibility": "visible" if getattr(item, "_classroomd_visible", False) else "hidden",
        })


_state_key = pytest.StashKey()


def results(config, exitstatus):
    """The Gradescope results.json of this run."""
    res = config._classroomd
    tests = res.get("done", [])
    done = {t["name"] for t in tests}
    for t in res["tests"]:  # collected but never reported (an interrupted run)
        if t["name"] not in done:
            tests.append(dict(t, score=0.0, status="failed", output="did not run"))
    out = {
        "score": sum(t["score"] for t in tests),
        "max_score": sum(t["max_score"] for t in tests),
        "tests": tests,
    }
    if exitstatus not in (0, 1):  # 0: all passed, 1: some failed; else usage or collection errors
        out["error"] = "the tests could not run (pytest exit status %d)" % int(exitstatus)
    return out
