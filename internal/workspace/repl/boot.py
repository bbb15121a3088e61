# Run by the REPL as `python3 -q -i -c BOOT [FILE ARGS...]`, before the first prompt.
#
# It does two things a plain `python3 -i FILE` cannot:
# - Prompt marks. The prompts carry OSC 133 semantic-prompt marks, so the
#   server knows when Python waits at its prompt (">>>", "..."), and input()
#   announces itself with a mark of its own: the pane can say "ready",
#   "waiting for input()" or "running", and keys typed while Python started
#   are held until it first reads. The marks never reach a student's own
#   terminal: the server's emulator consumes them. A program that prints them
#   itself fools only its own status line.
# - FILE runs in __main__ as `python3 -i FILE` would run it (its folder first
#   on sys.path, __file__ set, a traceback that starts in FILE), and the
#   prompt follows with its variables.
def _classroomd_boot():
    import builtins, functools, os, sys, traceback

    sys.ps1 = "\001\033]133;A\007\002>>> "
    sys.ps2 = "\001\033]133;A;k=s\007\002... "

    real_input = builtins.input

    @functools.wraps(real_input)
    def input(*args):
        sys.stdout.flush()
        sys.__stdout__.write("\033]133;A;k=i\007")
        sys.__stdout__.flush()
        return real_input(*args)

    builtins.input = input

    if len(sys.argv) < 2:
        return
    sys.argv = sys.argv[1:]
    path = os.path.abspath(sys.argv[0])  # as python3 FILE names it, since 3.9
    main = sys.modules["__main__"].__dict__
    main["__file__"] = path
    sys.path[0] = os.path.dirname(path)
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        print(f"python3: can't open file {path!r}: [Errno {e.errno}] {e.strerror}", file=sys.stderr)
        return
    try:
        code = compile(source, path, "exec")
    except (SyntaxError, ValueError) as e:
        traceback.print_exception(type(e), e, None)
        return
    try:
        exec(code, main)
    except BaseException as e:  # SystemExit too: `python3 -i` stays, and so do we
        # Leave out this function's own frame: the traceback starts in FILE.
        e = e.with_traceback(e.__traceback__.tb_next)
        sys.excepthook(type(e), e, e.__traceback__)


_classroomd_boot()
del _classroomd_boot
