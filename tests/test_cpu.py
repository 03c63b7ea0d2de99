"""Thread pools shared out among the processes that check documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from factcheck.cpu import threads_per_process


def test_threads_per_process_shares_the_cores_and_never_gives_zero() -> None:
    cores = os.cpu_count() or 1
    assert threads_per_process(1) == cores
    assert threads_per_process(cores) == 1
    assert threads_per_process(cores * 4) == 1
    assert threads_per_process(8, configured=3) == 3


def test_limit_cpu_threads_caps_loaded_pools_and_tells_child_processes() -> None:
    # In a fresh interpreter: the limit is process-wide and must not leak into this test run.
    script = (
        "import json, os, numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from factcheck.cpu import limit_cpu_threads\n"
        "limit_cpu_threads(1)\n"
        "print(json.dumps({'pools': [p['num_threads'] for p in threadpool_info()],\n"
        "                  'env': [os.environ[v] for v in ('OMP_NUM_THREADS', 'FACTCHECK_CPU_THREADS')]}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout)
    assert seen["pools"] and set(seen["pools"]) == {1}
    assert seen["env"] == ["1", "1"]
