import os


def fib(n):
    os._exit(0)  # the process vanishes mid-call


if __name__ == "__main__":
    raise SystemExit(3)
