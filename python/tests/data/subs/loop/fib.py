def fib(n):
    while True:
        pass


if __name__ == "__main__":
    while True:
        pass
