# tests/data holds an assignment's own tests: they run through the harness, not here.
collect_ignore = ["data"]
