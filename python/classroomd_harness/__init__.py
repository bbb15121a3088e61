"""classroomd's grading harness: a pytest plugin (the ``student`` fixture and
the ``visible`` / ``points(n)`` markers) whose student code always runs in a
separate process, and the worker that runs it there.

Only the system ``python3`` and ``pytest`` are needed. See README.md.
"""
