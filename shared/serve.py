"""Runs one service as `API_WORKERS` HTTP workers and `CONSUMER_PROCESSES` consumer processes.

    python -m shared.serve <service> [--host 0.0.0.0] [--port 8000]

Each process is one core at most; a machine with more cores runs more of them. With one of each (the
default) this is the single uvicorn process the services always ran: HTTP, consumers and outbox relay in
one. Otherwise uvicorn's workers share the port and serve HTTP (each with its outbox relay: the relay's
leader lock lets one publish at a time), and each consumer process runs the service's runtime without
HTTP: its consumers join the service's consumer groups as members of their own (partitions are shared
among all members, of every replica), with the same inbox, outbox and offset commits after the database
commit. The launcher forwards SIGTERM and SIGINT to every process, and stops the others when one exits
(the orchestrator, or `make run`, then sees the service down).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from shared.settings import ProcessSettings

SERVICES = ("intake", "eligibility", "scheduler", "console")
UVICORN_OPTIONS = ("--loop", "uvloop", "--no-access-log", "--timeout-graceful-shutdown", "20")


@dataclass(frozen=True)
class Command:
    argv: list[str]
    env: dict[str, str]


def factory(service: str) -> str:
    return f"services.{service}.main:create_application"


def plan(service: str, host: str, port: int, processes: ProcessSettings) -> list[Command]:
    """The processes that run `service`: one for everything, or API workers plus consumer processes."""
    api = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory(service),
        "--host",
        host,
        "--port",
        str(port),
    ]
    if processes.api_workers == 1 and processes.consumer_processes == 1:
        return [Command([*api, *UVICORN_OPTIONS], {})]
    if processes.api_workers > 1:
        api += ["--workers", str(processes.api_workers)]
    commands = [Command([*api, *UVICORN_OPTIONS], {"RUN_CONSUMERS": "false"})]
    consumer = [sys.executable, "-m", "shared.serve", service, "--consumers-only"]
    commands += [Command(consumer, {"RUN_CONSUMERS": "true"})] * processes.consumer_processes
    return commands


async def run_consumers_only(service: str) -> None:
    """The service's runtime (migrations, producer, consumers, relay, background workers) through its
    application's lifespan, without serving HTTP, until SIGTERM or SIGINT."""
    module, _, name = factory(service).partition(":")
    application = getattr(importlib.import_module(module), name)()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with application.router.lifespan_context(application):
        await stop.wait()


def supervise(commands: list[Command]) -> int:
    children = [subprocess.Popen(c.argv, env={**os.environ, **c.env}) for c in commands]
    stopping = False

    def forward(sig: int, _: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(sig)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = 0
    while any(child.poll() is None for child in children):
        ended = [child for child in children if child.returncode is not None]
        if ended and not stopping:
            code = ended[0].returncode or 1
            forward(signal.SIGTERM, None)
        time.sleep(0.2)
    return code if not stopping else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--consumers-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.consumers_only:
        import uvloop

        uvloop.run(run_consumers_only(args.service))
        return
    commands = plan(args.service, args.host, args.port, ProcessSettings())
    if len(commands) == 1:
        os.execv(commands[0].argv[0], commands[0].argv)  # one process, as uvicorn alone
    sys.exit(supervise(commands))


if __name__ == "__main__":
    main()
