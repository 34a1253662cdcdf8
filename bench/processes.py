"""Service processes for the benchmark: the three services as `make run` starts them (uvicorn with uvloop,
no access log, make run's pool and outbox defaults), the empty FastAPI app, peak RSS, a no-op OTLP sink,
and clinicians staffed through the scheduler's API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from shared.contracts.codes import Specialty
from tests.support.services import TEST_TOKENS, Pipeline, RunningService, free_port, wait_ready

ROOT = Path(__file__).resolve().parents[1]


def service_env(
    database_url: str, kafka: str, prefix: str, *, tracing_endpoint: str | None = None
) -> dict[str, str]:
    """What tests/support/services.running_pipeline gives the services, less its test-speed overrides (pool
    size 5, outbox poll 0.1 s): the benchmark runs them with make run's defaults."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": prefix,
        "API_TOKENS": ",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items()),
        "ENVIRONMENT": "development",
        "OTEL_TRACES_EXPORTER": "none",
    }
    for name in ("DATABASE_POOL_SIZE", "OUTBOX_POLL_SECONDS", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        env.pop(name, None)
    if tracing_endpoint:
        env["OTEL_TRACES_EXPORTER"] = "otlp"
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = tracing_endpoint
    return env


def vm_hwm_mb(pid: int) -> float:
    """Peak resident set size of a process (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class PeakMemory:
    """The highest VmHWM of one process seen per service (instances of one service count under its name)."""

    def __init__(self) -> None:
        self.by_service: dict[str, float] = {}

    def sample(self, pipeline: Pipeline) -> None:
        """Per process: a service run by shared/serve.py counts its largest worker or consumer process."""
        children = _children()
        for key, service in pipeline.services.items():
            if service.process.poll() is None:
                name = key.split("-")[0]
                peak = max(vm_hwm_mb(pid) for pid in _tree(service.process.pid, children))
                self.by_service[name] = max(self.by_service.get(name, 0.0), peak)


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: [1] parent pid, [11] utime, [12] stime."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _tree(root: int, children: dict[int, list[int]]) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def listener_pid(port: int) -> int | None:
    """The process listening on a local TCP port (the machine may run other brokers and clusters, e.g. a
    fault test's own Kafka: only the one the pipeline talks to counts)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                return int(entry.name)
        except OSError:
            continue
    return None


def _other_database_backend(pid: int, database: str) -> bool:
    """A PostgreSQL client backend (`postgres: user db host(port) state`) of another database than ours."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split()
    except OSError:
        return False
    client = len(words) >= 4 and words[0] == "postgres:" and ("(" in words[3] or words[3] == "[local]")
    return client and words[2] != database


class CpuMeter:
    """CPU seconds per process group between two snapshots: each service's processes (with their children:
    uvicorn workers, consumer processes), PostgreSQL (the cluster on the pipeline's port: its shared
    processes and the backends of the pipeline's database, not other databases' backends) and Kafka (the
    broker on the pipeline's port). Per process, so that a process starting or ending meanwhile counts for
    what it used in between, as far as it is seen."""

    def __init__(self, services: dict[str, list[int]], database_url: str, kafka: str) -> None:
        self.services = services
        self.database = urlsplit(database_url).path.lstrip("/")
        self.postgres = listener_pid(urlsplit(database_url).port or 5432)
        self.kafka = listener_pid(int(kafka.rsplit(":", 1)[1]))

    def snapshot(self) -> dict[str, dict[int, float]]:
        children = _children()
        groups = {
            name: [p for root in roots for p in _tree(root, children)]
            for name, roots in self.services.items()
        }
        if self.postgres is not None:
            groups["PostgreSQL"] = [
                p for p in _tree(self.postgres, children) if not _other_database_backend(p, self.database)
            ]
        if self.kafka is not None:
            groups["Kafka (JVM)"] = _tree(self.kafka, children)
        return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}


def cpu_per_case(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], cases: int
) -> dict[str, float]:
    """CPU milliseconds per case by process group, and their `total`."""
    costs = {}
    for name, used in after.items():
        seconds = sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in used.items())
        costs[name] = round(1000 * seconds / max(cases, 1), 2)
    costs["total"] = round(sum(costs.values()), 2)
    return costs


def service_roots(pipeline: Pipeline) -> dict[str, list[int]]:
    """Each service's top process ids (instances of one service under its name)."""
    roots: dict[str, list[int]] = {}
    for key, service in pipeline.services.items():
        roots.setdefault(key.split("-")[0], []).append(service.process.pid)
    return roots


def start_many(
    pipeline: Pipeline, specs: list[tuple[str, str]], processes: tuple[int, int] | None = None
) -> None:
    """Starts (service, instance key) pairs at once, then waits for each to be ready; `processes`: (API
    workers, consumer processes) of each, through shared/serve.py."""
    with ThreadPoolExecutor(max_workers=max(len(specs), 1)) as pool:
        list(pool.map(lambda spec: pipeline.start(spec[0], instance=spec[1], processes=processes), specs))


def stop_all(pipeline: Pipeline, memory: PeakMemory) -> None:
    memory.sample(pipeline)
    with ThreadPoolExecutor(max_workers=max(len(pipeline.services), 1)) as pool:
        list(pool.map(pipeline.stop, list(pipeline.services)))


def stop_one(pipeline: Pipeline, key: str, memory: PeakMemory) -> None:
    memory.sample(pipeline)
    pipeline.stop(key)
    del pipeline.services[key]


@contextmanager
def empty_fastapi(log_dir: Path) -> Iterator[RunningService]:
    port = free_port()
    log_path = log_dir / f"empty-fastapi-{port}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.empty_app:create_application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--no-access-log",
        ],
        cwd=ROOT,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )
    service = RunningService("empty-fastapi", port, process, log_path)
    try:
        wait_ready(service)
        yield service
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def noop_otlp_sink() -> Iterator[tuple[str, dict[str, int]]]:
    """An OTLP/HTTP receiver that reads each export and answers 200 without decoding it (so the sink costs
    the services nothing but the export itself). Yields its endpoint and a counter of requests and bytes."""
    counts = {"requests": 0, "bytes": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(size)
            with lock:
                counts["requests"] += 1
                counts["bytes"] += size
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", counts
    finally:
        server.shutdown()
        server.server_close()


async def staff_clinicians(scheduler_url: str, count: int, *, days: int = 4) -> int:
    """`count` clinicians spread over the specialties, each free around the clock for `days` days (one 24 h
    window a day), created through the scheduler's API as a coordinator would. Returns the windows made."""
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    start = start - timedelta(minutes=start.minute % 15 + 15)
    specialties = list(Specialty)
    gate = asyncio.Semaphore(16)
    headers = {"Authorization": f"Bearer {TEST_TOKENS['coordinator']}"}
    made = 0
    async with httpx.AsyncClient(base_url=scheduler_url, headers=headers, timeout=60) as client:

        async def one(n: int) -> None:
            nonlocal made
            async with gate:
                specialty = specialties[n % len(specialties)].value
                response = await client.post(
                    "/v1/clinicians", json={"name": f"Dr Bench {n}", "specialty": specialty}
                )
                response.raise_for_status()
                clinician_id = response.json()["id"]
                for day in range(days):
                    opens = start + timedelta(hours=24 * day)
                    response = await client.post(
                        f"/v1/clinicians/{clinician_id}/availability",
                        json={"start": opens.isoformat(), "end": (opens + timedelta(hours=24)).isoformat()},
                    )
                    response.raise_for_status()
                    made += 1

        await asyncio.gather(*(one(n) for n in range(count)))
    return made


async def staff_meeting_teams(scheduler_url: str, *, teams: int = 3, weeks: int = 52) -> int:
    """`teams` MDT teams through the scheduler's API, each with one core member per specialty available
    07:00-19:00 every day for `weeks` weeks, and two weekly series (90 and 60 minutes) over that horizon:
    a year of weekly meetings by default. Returns the meetings made."""
    headers = {"Authorization": f"Bearer {TEST_TOKENS['coordinator']}"}
    today = datetime.now(UTC).date()
    until = today + timedelta(weeks=weeks)
    async with httpx.AsyncClient(base_url=scheduler_url, headers=headers, timeout=120) as client:
        for t in range(teams):
            response = await client.post(
                "/v1/teams",
                json={
                    "code": f"bench-{t}",
                    "name": f"Bench MDT {t}",
                    "timezone": "Europe/London",
                    "quorum_specialties": ["radiation_oncology", "radiology", "surgery"],
                    "horizon_weeks": weeks,
                },
            )
            response.raise_for_status()
            team_id = response.json()["team_id"]
            for specialty in Specialty:
                response = await client.post(
                    "/v1/clinicians",
                    json={"name": f"Dr Bench {t} {specialty.value}", "specialty": specialty.value},
                )
                response.raise_for_status()
                clinician_id = response.json()["id"]
                for weekday in range(7):
                    (
                        await client.post(
                            f"/v1/clinicians/{clinician_id}/availability/weekly",
                            json={
                                "weekday": weekday,
                                "start_local": "07:00:00",
                                "end_local": "19:00:00",
                                "from_date": today.isoformat(),
                                "to_date": min(until, today + timedelta(days=365)).isoformat(),
                            },
                        )
                    ).raise_for_status()
                (
                    await client.put(f"/v1/teams/{team_id}/members/{clinician_id}", json={"role": "core"})
                ).raise_for_status()
            for weekday, start, minutes in ((1 + t, "08:00", 90), (4 + t % 3, "12:30", 60)):
                (
                    await client.post(
                        f"/v1/teams/{team_id}/series",
                        json={
                            "weekday": weekday,
                            "start_local": start,
                            "duration_minutes": minutes,
                            "starts_on": today.isoformat(),
                        },
                    )
                ).raise_for_status()
        meetings = await client.get("/v1/meetings", params={"limit": 1000})
        meetings.raise_for_status()
        return len(meetings.json())
