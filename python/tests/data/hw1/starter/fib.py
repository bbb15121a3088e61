def fib(n):
    """Return the n-th Fibonacci number."""
    raise NotImplementedError
