import pytest


@pytest.mark.visible
@pytest.mark.points(2)
def test_small(student):
    assert student.function("fib.py", "fib")(10) == 55


@pytest.mark.points(2)
def test_large(student):
    assert student.function("fib.py", "fib")(30) == 832040


@pytest.mark.visible
def test_program(student):
    r = student.run("fib.py", stdin="7\n", timeout=5)
    assert r.stdout.strip().endswith("13")


def test_zero(student):
    assert student.function("fib.py", "fib")(0) == 0
