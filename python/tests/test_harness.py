"""The harness against one assignment (tests/data/hw1: 2+2+1+1 points, two
visible tests) and five submissions: correct, wrong, looping, crashing and
forging. Each runs through `python3 -m classroomd_harness.run --local`, as a
separate process, on a copy of the submission."""

import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
TESTS = os.path.join(HERE, "data", "hw1", "tests")


def run(tmp_path, sub, *extra):
    work = tmp_path / "sub"
    shutil.copytree(os.path.join(HERE, "data", "subs", sub), work)
    env = dict(os.environ, PYTHONPATH=PKG, PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run([sys.executable, "-m", "classroomd_harness.run", "--tests", TESTS, "--local", str(work), "--timeout", "2", *extra],
                       capture_output=True, text=True, env=env, timeout=120, cwd=str(tmp_path))
    assert p.stdout, p.stderr
    return json.loads(p.stdout), p, work


def by_name(res):
    return {t["name"].split("::")[1]: t for t in res["tests"]}


def test_correct_gets_every_point(tmp_path):
    res, p, _ = run(tmp_path, "good")
    assert (res["score"], res["max_score"]) == (6, 6), p.stderr
    t = by_name(res)
    assert set(t) == {"test_small", "test_large", "test_program", "test_zero"}
    assert t["test_small"]["max_score"] == 2 and t["test_small"]["visibility"] == "visible"
    assert t["test_zero"]["visibility"] == "hidden"
    assert all(x["status"] == "passed" for x in res["tests"])


def test_partial_credit_and_messages(tmp_path):
    res, _, _ = run(tmp_path, "wrong")
    t = by_name(res)
    assert res["score"] == 2  # test_program (1) and test_zero (1)
    assert t["test_small"]["status"] == "failed" and t["test_small"]["score"] == 0
    assert "assert 10 == 55" in t["test_small"]["output"]


@pytest.mark.parametrize("sub", ["loop", "crash", "forge"])
def test_bad_submissions_earn_nothing_and_grading_goes_on(tmp_path, sub):
    res, p, work = run(tmp_path, sub)
    assert res["score"] == 0, res
    assert res["max_score"] == 6
    assert len(res["tests"]) == 4  # every test still ran and was reported
    assert "error" not in res
    if sub == "loop":
        assert "did not return within 2 s" in by_name(res)["test_small"]["output"]
    if sub == "forge":
        # Its fake report reached no channel that counts: the only line on
        # standard output is the real results.json, and the file it wrote
        # in its own folder is just a file.
        assert json.loads(p.stdout)["score"] == 0
        assert (work / "results.json").exists()
        assert "pwned" not in p.stdout + p.stderr


def test_visible_only_names_no_hidden_test(tmp_path):
    res, p, _ = run(tmp_path, "good", "--visible-only")
    assert sorted(by_name(res)) == ["test_program", "test_small"]
    assert (res["score"], res["max_score"]) == (3, 3)
    for hidden in ("test_large", "test_zero"):
        assert hidden not in p.stdout


def test_collect_only_lists_tests_without_running_them():
    env = dict(os.environ, PYTHONPATH=PKG)
    p = subprocess.run([sys.executable, "-m", "classroomd_harness.run", "--tests", TESTS, "--collect-only"],
                       capture_output=True, text=True, env=env, timeout=60)
    res = json.loads(p.stdout)
    assert "error" not in res, p.stderr
    assert [(t["name"].split("::")[1], t["max_score"], t["visibility"]) for t in res["tests"]] == [
        ("test_small", 2, "visible"), ("test_large", 2, "hidden"), ("test_program", 1, "visible"), ("test_zero", 1, "hidden")]


def test_bad_points_marker_is_an_error(tmp_path):
    d = tmp_path / "t"
    d.mkdir()
    (d / "test_x.py").write_text("import pytest\n@pytest.mark.points('two')\ndef test_a(student):\n    pass\n")
    env = dict(os.environ, PYTHONPATH=PKG)
    p = subprocess.run([sys.executable, "-m", "classroomd_harness.run", "--tests", str(d), "--collect-only"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert "error" in json.loads(p.stdout)
    assert p.returncode != 0


def test_non_data_arguments_are_refused():
    from classroomd_harness import plugin

    class Never:
        def call(self, *a):
            raise AssertionError("must not be called")

    s = plugin.Student(Never(), 1)
    with pytest.raises(TypeError):
        s.function("fib.py", "fib")(object())
