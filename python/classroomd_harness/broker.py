"""How the test's process reaches the student's: a Broker starts, calls and
stops the student's process. LocalBroker runs it as a plain subprocess (an
instructor trying tests on their laptop, and this package's own tests);
DaemonBroker asks classroomd over a pipe, which runs it in a sandbox as the
student's uid and relays the same JSON lines.
"""

import json
import os
import select
import subprocess
import sys
import time

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
MAX_OUTPUT = 1 << 20


class Broker:
    def call(self, file, name, args, kwargs, timeout):
        """Returns the worker's answer: {"ok": bool, "value"|"error": str, "kind"?: str}."""
        raise NotImplementedError

    def run(self, file, stdin, timeout, argv):
        """Returns {"stdout", "stderr", "returncode", "timed_out"}."""
        raise NotImplementedError

    def reset(self):
        """Ends the student's process; the next call starts a fresh one."""


class LocalBroker(Broker):
    def __init__(self, submission_dir):
        self.dir = os.path.abspath(submission_dir)
        self.proc = None
        self.next_id = 0

    def _start(self):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.dir, "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen([sys.executable, "-I", WORKER], cwd=self.dir, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def _readline(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                return None, "timeout"
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None, "crash"
            buf += chunk
            if len(buf) > 2 * MAX_OUTPUT:
                return None, "crash"
        return buf, None

    def call(self, file, name, args, kwargs, timeout):
        if self.proc is None:
            self._start()
        self.next_id += 1
        req = {"id": self.next_id, "file": file, "name": name, "args": args, "kwargs": kwargs}
        try:
            self.proc.stdin.write((json.dumps(req) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.reset()
            return {"ok": False, "kind": "crash", "error": "the student's process ended"}
        line, why = self._readline(timeout)
        if line is None:
            self.reset()
            if why == "timeout":
                return {"ok": False, "kind": "timeout", "error": "no answer within %g s" % timeout}
            return {"ok": False, "kind": "crash", "error": "the student's process ended without answering"}
        try:
            return json.loads(line)
        except ValueError:
            self.reset()
            return {"ok": False, "kind": "crash", "error": "the student's process answered garbage"}

    def run(self, file, stdin, timeout, argv):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.dir, "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
        try:
            p = subprocess.run([sys.executable, file] + list(argv), cwd=self.dir, env=env,
                               input=stdin.encode(), capture_output=True, timeout=timeout)
            return {"stdout": p.stdout[:MAX_OUTPUT].decode(errors="replace"),
                    "stderr": p.stderr[:MAX_OUTPUT].decode(errors="replace"),
                    "returncode": p.returncode, "timed_out": False}
        except subprocess.TimeoutExpired as e:
            return {"stdout": (e.stdout or b"")[:MAX_OUTPUT].decode(errors="replace"),
                    "stderr": (e.stderr or b"")[:MAX_OUTPUT].decode(errors="replace"),
                    "returncode": None, "timed_out": True}

    def reset(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, 9)
            except OSError:
                pass
            self.proc.wait()
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.proc = None


class DaemonBroker(Broker):
    """Speaks to classroomd over two private file descriptors: one JSON line
    per request, one per answer. classroomd enforces the timeouts and limits."""

    def __init__(self, rfile, wfile):
        self.r, self.w = rfile, wfile
        self.next_id = 0

    def _ask(self, req):
        self.next_id += 1
        req["id"] = self.next_id
        self.w.write(json.dumps(req) + "\n")
        self.w.flush()
        line = self.r.readline()
        if not line:
            raise RuntimeError("classroomd closed the grading channel")
        return json.loads(line)

    def call(self, file, name, args, kwargs, timeout):
        return self._ask({"op": "call", "file": file, "name": name, "args": args, "kwargs": kwargs, "timeout": timeout})

    def run(self, file, stdin, timeout, argv):
        return self._ask({"op": "run", "file": file, "stdin": stdin, "timeout": timeout, "argv": list(argv)})

    def reset(self):
        self._ask({"op": "reset"})

    def send_results(self, results):
        self.w.write(json.dumps({"op": "results", "results": results}) + "\n")
        self.w.flush()
