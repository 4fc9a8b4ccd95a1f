"""The thread pools of the numeric libraries, held where results must not depend on the machine's cores."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache


@cache
def thread_controller():
    """threadpoolctl's view of the thread pools loaded now, made once: `threadpool_limits` rescans every loaded
    library at each call, which was half of a message's reduction (5 of 10 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread():
    """BLAS on one thread inside the block (a context manager): the products' last bits depend on BLAS's thread
    count, and idle BLAS threads keep spinning after a product and take the cores the encoder needs next."""
    return thread_controller().limit(limits=1, user_api="blas")


@contextmanager
def single_thread() -> Iterator[None]:
    """BLAS, OpenMP and numba on one thread inside the block."""
    import numba
    from threadpoolctl import threadpool_limits

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        numba.set_num_threads(previous)
