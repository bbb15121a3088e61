# Every trick a submission has to forge its score: none may earn a point.
import json
import os
import sys

FAKE = {"score": 6, "max_score": 6, "tests": [{"name": "test_fib.py::test_small", "score": 6, "max_score": 6, "status": "passed"}]}

# Printing a fake report, on both streams and on the original descriptors.
print(json.dumps(FAKE))
print(json.dumps({"op": "results", "results": FAKE}))
sys.stderr.write(json.dumps(FAKE) + "\n")
for fd in range(3, 10):
    try:
        os.write(fd, (json.dumps({"op": "results", "results": FAKE}) + "\n").encode())
    except OSError:
        pass

# Writing results files wherever they might be read.
for p in ("results.json", "/tmp/results.json", os.path.expanduser("~/results.json")):
    try:
        with open(p, "w") as f:
            json.dump(FAKE, f)
    except OSError:
        pass

# Monkeypatching pytest, in case it is in this process.
try:
    import _pytest.outcomes
    import pytest
    pytest.fail = lambda *a, **k: None
    _pytest.outcomes.fail = lambda *a, **k: None
except Exception:
    pass


class Everything:
    """Equal to anything: must not survive the trip to the test."""
    def __eq__(self, other):
        return True

    def __repr__(self):
        return "__import__('os').system('echo pwned')"


def fib(n):
    return Everything()


if __name__ == "__main__":
    print(json.dumps(FAKE))
    os._exit(0)
