"""`factcheck serve --workers N`: N uvicorn processes, each listening on the port through its own socket.

uvicorn's own multi-worker mode shares one listening socket, and the worker that wakes first accepts
every connection waiting: eight clients that connect at once all land on one worker while the other
idles (11 requests/s instead of 22–27 in `bench/api.py`, and for as long as the connections live).
With SO_REUSEPORT each worker has its own socket and the kernel spreads new connections over them.

The supervisor binds the N sockets itself, so a port already taken fails at once, and a worker that
dies is started again on the same socket: connections that arrive meanwhile wait in its queue.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import STARTUP_FAILURE

from factcheck.settings import Settings

__all__ = ["serve", "uvicorn_config"]

log = logging.getLogger("uvicorn.error")

_POLL_SECONDS = 0.5
_STOP_SECONDS = 30.0  # how long workers get to finish their requests on shutdown


def uvicorn_config(
    app: str | ASGIApp, settings: Settings, *, host: str, port: int, **options: Any
) -> uvicorn.Config:
    """uvicorn's config for `app`, believing forwarded headers only from `settings.trusted_proxies`.

    uvicorn's own default believes X-Forwarded-For from 127.0.0.1, so anyone who can reach the port
    from the machine could pick the address the rate limits count. With no trusted proxy (the
    default) forwarded headers are ignored; with some, only connections from them set the client
    address and scheme.
    """
    trusted = settings.trusted_proxy_entries
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        **options,
    )


def serve(config: uvicorn.Config, workers: int) -> None:
    """Run `config`'s app in `workers` processes until SIGINT or SIGTERM; one worker runs in-process."""
    if workers <= 1:
        uvicorn.Server(config).run()
        return
    sockets = [_listening_socket(config.host, config.port, config.backlog) for _ in range(workers)]
    context = multiprocessing.get_context("spawn")
    processes = [_start(context, config, sock) for sock in sockets]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("Started %d workers on http://%s:%d (SO_REUSEPORT)", workers, config.host, config.port)
    try:
        while not stopping:
            time.sleep(_POLL_SECONDS)
            for position, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("Worker %s could not start; stopping", process.pid)
                    stopping = True
                    break
                log.warning("Worker %s exited with %s; starting another", process.pid, process.exitcode)
                processes[position] = _start(context, config, sockets[position])
    finally:
        _stop(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sock in sockets:
            sock.close()
    if any(process.exitcode == STARTUP_FAILURE for process in processes):
        raise SystemExit(STARTUP_FAILURE)


def _listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _start(
    context: multiprocessing.context.SpawnContext, config: uvicorn.Config, sock: socket.socket
) -> BaseProcess:
    process = context.Process(target=_run_worker, args=(config, sock), name="factcheck-api-worker")
    process.start()
    return process


def _run_worker(config: uvicorn.Config, sock: socket.socket) -> None:
    config.configure_logging()
    uvicorn.Server(config).run(sockets=[sock])


def _stop(processes: list[BaseProcess]) -> None:
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then exits
    deadline = time.monotonic() + _STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
