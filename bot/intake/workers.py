"""Heavy text work on untrusted input in worker processes, each job bounded in time.

A fetched page is decoded, extracted and built into an article (and its fingerprint) in a process of
its own, never on the event loop that answers users. A job that overruns its time has its process
killed and replaced, and fails with `WorkerTimeoutError`: a thread could not be stopped, and even a
linear step can take seconds on a 5 MB page. Each process serves one job at a time and lives on for
the next, so the interpreter and its imports (trafilatura: ~1 s) are paid once, not per page.

While a job runs the event loop waits on the pipe (no thread is held); the pool serves any loop, which
the CLI (one `asyncio.run` per command) and the tests (one loop per test) need. What a job logs is
logged again by the bot, through its own handlers.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pickle
import signal
import threading
import weakref
from collections.abc import Callable
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# A fresh process imports its job's module before it is timed; a machine busy enough to need
# longer than this is reported as a failure of the job, like an overrun.
STARTUP_SECONDS = 120.0


class WorkerTimeoutError(Exception):
    """The job did not finish in its time; its process was killed."""


class WorkerDiedError(Exception):
    """The worker process ended during the job (killed, out of memory, a crash in a C library)."""


class _Kept(logging.Handler):
    """The log records a job makes, kept to be logged by the parent (through its handlers and its
    redaction) rather than lost or printed unformatted by the worker."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()[:2000]))


def _serve(conn: Connection, module: str, name: str) -> None:
    """The worker's loop: import the job, say so, then answer each job (its arguments and the bot's log
    level) with (ok, value, the log records at that level)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it ends us
    kept = _Kept()
    logging.getLogger().addHandler(kept)
    job = getattr(importlib.import_module(module), name)
    conn.send((True, None, []))
    while True:
        try:
            level, args = conn.recv()
        except (EOFError, OSError):
            return
        logging.getLogger().setLevel(level)
        kept.records = []
        try:
            ok, value = True, job(*args)
        except Exception as exc:
            ok, value = False, exc if _travels(exc) else RuntimeError(f"{type(exc).__name__}: {exc}")
        conn.send((ok, value, kept.records))


def _travels(exc: Exception) -> bool:
    """Whether `exc` survives the trip to the parent (one whose __init__ takes other arguments fails
    to unpickle there)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return False
    return True


async def _readable(conn: Connection, timeout: float) -> bool:
    """Whether `conn` has something to read (or its other end closed) within `timeout` seconds."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    fd = conn.fileno()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        await asyncio.wait_for(ready, timeout)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)


class _Worker:
    def __init__(self, module: str, name: str) -> None:
        ctx = get_context("spawn")  # not forked: the bot has threads, which a fork would copy mid-lock
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(target=_serve, args=(child, module, name), daemon=True)
        self.process.start()
        child.close()
        self.started = False

    async def call(self, args: tuple[Any, ...], timeout: float) -> tuple[bool, Any]:
        if not self.started:
            await self._receive(STARTUP_SECONDS, "start")
            self.started = True
        # Sent from a thread: a 5 MB page fills the pipe, and the loop must not wait on the reader.
        # With the bot's log level, so the worker keeps the records the bot would log.
        try:
            await asyncio.to_thread(self.conn.send, (logging.getLogger().getEffectiveLevel(), args))
        except OSError:
            raise WorkerDiedError(f"the worker process ended (exit code {self.process.exitcode})") from None
        ok, value, records = await self._receive(timeout, "job")
        for logger, level, message in records:
            logging.getLogger(logger).log(level, "%s", message)
        return ok, value

    async def _receive(self, timeout: float, what: str) -> Any:
        if not await _readable(self.conn, timeout):
            raise WorkerTimeoutError(f"not done within {timeout:g} s" if what == "job" else "worker did not start")
        try:
            return await asyncio.to_thread(self.conn.recv)
        except (EOFError, OSError):
            raise WorkerDiedError(f"the worker process ended (exit code {self.process.exitcode})") from None

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=1)  # SIGKILL: gone at once, bar a process stuck in the kernel
        self.conn.close()


class WorkerPool(Generic[T]):
    """Up to `size` processes running `job` (a module-level function, named by module and name)."""

    def __init__(self, job: Callable[..., T], size: int) -> None:
        self._module, self._name = job.__module__, job.__qualname__
        self._size = size
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()  # the idle list is shared by every loop that uses the pool
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            gate = self._gates.get(loop)
            if gate is None:
                gate = self._gates[loop] = asyncio.Semaphore(self._size)
            return gate

    async def run(self, *args: Any, timeout: float) -> T:
        """`job(*args)` in a worker process: its result or its exception; WorkerTimeoutError when it
        took longer than `timeout` seconds (its process is killed), WorkerDiedError if it died."""
        async with self._gate():
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is not None and not worker.process.is_alive():  # died while idle (killed, OOM)
                worker.kill()
                worker = None
            worker = worker or _Worker(self._module, self._name)
            try:
                ok, value = await worker.call(args, timeout)
            except BaseException:
                # Overrun, died or cancelled mid-job: the process is in an unknown state, so it goes.
                worker.kill()
                raise
            with self._lock:
                self._idle.append(worker)  # a job that raised was answered: its worker serves the next
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop the idle workers (a busy one is stopped when its job ends or at exit: they are daemons)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()
