"""How many threads each process gives the numeric libraries (BLAS, OpenMP, ONNX Runtime).

Each library starts a pool as wide as the machine. When several checks run at once (API request
threads, server workers, feed processes), those pools compete for the same cores, and idle BLAS
threads spin while they wait: on 2 cores a 300-word check cost 123 ms of CPU with two BLAS threads
and 67 ms with one, in the same wall time. So every process that serves many checks gets the cores
divided by the number of such processes (`FACTCHECK_CPU_THREADS` overrides it).
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def threads_per_process(processes: int, configured: int | None = None) -> int:
    """`configured` if set, else this machine's cores shared out among `processes`."""
    if configured is not None:
        return max(1, configured)
    return max(1, (os.cpu_count() or 1) // max(1, processes))


def configured_threads() -> int | None:
    """The cap `limit_cpu_threads` set for this process (or inherited), for pools created later (ONNX Runtime)."""
    value = os.environ.get("FACTCHECK_CPU_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def limit_cpu_threads(threads: int) -> None:
    """Cap this process's thread pools, and those of the processes it starts, at `threads`."""
    for variable in _THREAD_VARIABLES:
        os.environ[variable] = str(threads)  # libraries loaded later, and child processes
    os.environ["FACTCHECK_CPU_THREADS"] = str(threads)
    threadpool_limits(limits=threads)  # libraries already loaded (OpenBLAS, OpenMP)
