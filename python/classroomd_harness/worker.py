"""The student's side: runs in a process of its own (in the daemon, a sandbox
as the student's uid, with their files as its home and no tests in sight).

It reads one JSON request per line and answers one JSON line per request.
Arguments and return values cross as ``repr`` text read back with
``ast.literal_eval``: plain data only, so no object of the student's (one that
equals everything, say) ever reaches the test's process.

Before any student code runs, the protocol's streams move to private file
descriptors and the student's prints go to standard error. A student's code
can still write to those descriptors (it is this process), but all it can
forge that way is the return value of a call it was asked to make, which is
what its function is for anyway: the score is counted in another process.
"""

import ast
import importlib.util
import json
import os
import sys
import traceback

MAX_REPR = 1 << 20


def _streams():
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # print() of the student goes to stderr
    sys.stdin = open(os.devnull, "r")
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", closefd=False)
    return proto_in, proto_out


_modules = {}


def _load(file):
    if file in _modules:
        return _modules[file]
    if os.path.isabs(file) or ".." in file.split("/"):
        raise ValueError("the file must be inside the assignment's folder: %r" % file)
    path = os.path.join(os.getcwd(), file)
    name = os.path.splitext(os.path.basename(file))[0] or "student"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError("cannot import %s" % file)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    _modules[file] = mod
    return mod


def _answer(req):
    try:
        args = ast.literal_eval(req.get("args", "()"))
        kwargs = ast.literal_eval(req.get("kwargs", "{}"))
        mod = _load(req["file"])
        fn = getattr(mod, req["name"], None)
        if fn is None or not callable(fn):
            return {"ok": False, "error": "%s has no function %s" % (req["file"], req["name"])}
        value = fn(*args, **kwargs)
        text = repr(value)
        if len(text) > MAX_REPR:
            return {"ok": False, "error": "the value returned is too large (%d characters of repr)" % len(text)}
        return {"ok": True, "value": text}
    except SystemExit as e:
        return {"ok": False, "error": "SystemExit: the code called exit(%r)" % (e.code,)}
    except BaseException as e:  # the student's exception, reported as data
        tb = traceback.format_exception(type(e), e, e.__traceback__)
        return {"ok": False, "error": "".join(traceback.format_exception_only(type(e), e)).strip(),
                "traceback": "".join(tb)[-4000:]}


def main():
    sys.path.insert(0, os.getcwd())
    proto_in, proto_out = _streams()
    for line in proto_in:
        try:
            req = json.loads(line)
        except ValueError:
            break
        resp = _answer(req)
        resp["id"] = req.get("id")
        proto_out.write(json.dumps(resp) + "\n")
        proto_out.flush()


if __name__ == "__main__":
    main()
