"""The HTTP load generator: vegeta (open-loop constant-rate attacks, or as fast as W workers go) with a targets
file of distinct case bodies; an asyncio generator in Python when vegeta is not installed."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.support.cases import a_case

ROOT = Path(__file__).resolve().parents[1]
VEGETA = ROOT / ".local" / "bin" / "vegeta"


def vegeta_path() -> Path | None:
    if VEGETA.exists():
        return VEGETA
    found = shutil.which("vegeta")
    return Path(found) if found else None


def case_payloads(tag: str, count: int) -> list[bytes]:
    """Valid case submissions (tests/support/cases.py), each with an external_id of its own, as JSON."""
    template = a_case()
    template["external_id"] = "@@ID@@"
    head, tail = orjson.dumps(template).split(b"@@ID@@")
    return [head + f"bench-{tag}-{n}".encode() + tail for n in range(count)]


@dataclass
class Attack:
    """One load run: what was offered and what came back."""

    name: str
    rate: float  # offered requests/s; 0 = as fast as `workers` go (closed loop, for saturation)
    seconds: float
    requests: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    accepted_per_s: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: list[str] = field(default_factory=list)
    generator: str = "vegeta"
    # (unix seconds the request was sent, case_id) of accepted submissions, when asked for
    submissions: list[tuple[float, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "rate_offered": self.rate,
            "seconds": self.seconds,
            "requests": self.requests,
            "codes": self.codes,
            "accepted_per_s": round(self.accepted_per_s, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "errors": self.errors[:5],
            "generator": self.generator,
        }


class LoadGenerator:
    def __init__(self, work_dir: Path, token: str) -> None:
        self.work_dir = work_dir
        self.token = token
        self.vegeta = vegeta_path()
        self.name = "vegeta" if self.vegeta else "python-asyncio (vegeta not installed)"

    def attack(
        self,
        name: str,
        url: str,
        bodies: list[bytes],
        *,
        rate: float,
        seconds: float,
        workers: int = 64,
        keep_submissions: bool = False,
    ) -> Attack:
        if self.vegeta is not None:
            return self._vegeta(name, url, bodies, rate, seconds, workers, keep_submissions)
        return asyncio.run(self._python(name, url, bodies, rate, seconds, workers, keep_submissions))

    def _vegeta(
        self,
        name: str,
        url: str,
        bodies: list[bytes],
        rate: float,
        seconds: float,
        workers: int,
        keep: bool,
    ) -> Attack:
        assert self.vegeta is not None
        targets = self.work_dir / f"{name}.targets"
        header = {"Authorization": [f"Bearer {self.token}"], "Content-Type": ["application/json"]}
        with targets.open("wb") as out:
            for body in bodies:
                line = {
                    "method": "POST",
                    "url": url,
                    "header": header,
                    "body": base64.b64encode(body).decode(),
                }
                out.write(orjson.dumps(line) + b"\n")
        results = self.work_dir / f"{name}.bin"
        command = [
            str(self.vegeta),
            "attack",
            "-lazy",
            "-format=json",
            f"-targets={targets}",
            f"-duration={seconds}s",
            "-timeout=30s",
            f"-output={results}",
        ]
        if rate > 0:
            command += [f"-rate={int(rate)}/1s", "-max-workers=2000"]
        else:
            command += ["-rate=0", f"-workers={workers}", f"-max-workers={workers}"]
        subprocess.run(command, check=True, capture_output=True)
        report = json.loads(
            subprocess.run(
                [str(self.vegeta), "report", "-type=json", str(results)],
                check=True,
                capture_output=True,
            ).stdout
        )
        latencies = report["latencies"]
        codes = {str(k): int(v) for k, v in report.get("status_codes", {}).items()}
        accepted = sum(v for k, v in codes.items() if k.startswith("2"))
        elapsed = (report["duration"] + report["wait"]) / 1e9
        attack = Attack(
            name=name,
            rate=rate,
            seconds=seconds,
            requests=int(report["requests"]),
            codes=codes,
            accepted_per_s=accepted / elapsed if elapsed else 0.0,
            p50_ms=latencies["50th"] / 1e6,
            p95_ms=latencies["95th"] / 1e6,
            p99_ms=latencies["99th"] / 1e6,
            max_ms=latencies["max"] / 1e6,
            errors=list(report.get("errors") or []),
        )
        if keep:
            encoded = subprocess.run(
                [str(self.vegeta), "encode", "-to=json", str(results)], check=True, capture_output=True
            ).stdout
            for encoded_line in encoded.splitlines():
                result = orjson.loads(encoded_line)
                if str(result.get("code", "")).startswith("2") and result.get("body"):
                    case_id = orjson.loads(base64.b64decode(result["body"]))["case_id"]
                    attack.submissions.append((_unix(result["timestamp"]), case_id))
        targets.unlink(missing_ok=True)
        results.unlink(missing_ok=True)
        return attack

    async def _python(
        self,
        name: str,
        url: str,
        bodies: list[bytes],
        rate: float,
        seconds: float,
        workers: int,
        keep: bool,
    ) -> Attack:
        """Open-loop: one request every 1/rate s whether or not earlier ones answered (rate 0: `workers`
        concurrent loops). Slower and less exact than vegeta: it shares the event loop with its own parsing."""
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        payloads = bodies
        latencies: list[float] = []
        codes: dict[str, int] = {}
        errors: list[str] = []
        submissions: list[tuple[float, str]] = []
        limits = httpx.Limits(max_connections=workers * 4, max_keepalive_connections=workers * 4)
        async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as client:
            loop = asyncio.get_running_loop()
            began = loop.time()
            deadline = began + seconds
            index = 0

            async def one(payload: bytes) -> None:
                sent = time.time()
                start = loop.time()
                try:
                    response = await client.post(url, content=payload)
                except httpx.HTTPError as error:
                    errors.append(type(error).__name__)
                    return
                latencies.append((loop.time() - start) * 1000)
                codes[str(response.status_code)] = codes.get(str(response.status_code), 0) + 1
                if keep and response.status_code in (200, 202):
                    submissions.append((sent, response.json()["case_id"]))

            if rate > 0:
                tasks = []
                while loop.time() < deadline and index < len(payloads):
                    due = began + index / rate
                    if due > loop.time():
                        await asyncio.sleep(due - loop.time())
                    tasks.append(asyncio.create_task(one(payloads[index])))
                    index += 1
                await asyncio.gather(*tasks)
            else:

                async def worker() -> None:
                    nonlocal index
                    while loop.time() < deadline and index < len(payloads):
                        payload = payloads[index]
                        index += 1
                        await one(payload)

                await asyncio.gather(*(worker() for _ in range(workers)))
            elapsed = loop.time() - began
        ordered = sorted(latencies) or [0.0]

        def pct(q: float) -> float:
            return ordered[min(int(q * len(ordered)), len(ordered) - 1)]

        accepted = sum(v for k, v in codes.items() if k.startswith("2"))
        return Attack(
            name=name,
            rate=rate,
            seconds=seconds,
            requests=len(latencies) + len(errors),
            codes=codes,
            accepted_per_s=accepted / elapsed,
            p50_ms=statistics.median(ordered),
            p95_ms=pct(0.95),
            p99_ms=pct(0.99),
            max_ms=ordered[-1],
            errors=errors,
            generator=self.name,
            submissions=submissions,
        )


def _unix(timestamp: str) -> float:
    """vegeta's RFC 3339 timestamps carry nanoseconds; Python parses microseconds."""
    head, _, rest = timestamp.partition(".")
    if not rest:
        return datetime.fromisoformat(timestamp).timestamp()
    digits = "".join(ch for ch in rest if ch.isdigit())
    zone = rest[len(digits) :]
    return datetime.fromisoformat(f"{head}.{digits[:6].ljust(6, '0')}{zone}").timestamp()
