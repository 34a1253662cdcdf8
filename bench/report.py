"""Issue 18's targets (2 cores, co-located) checked against a run's numbers, the markdown table, and the files in bench/results/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RSS_LIMIT_MB = 250.0


def _ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or not reference:
        return None
    return round(value / reference, 3)


def evaluate_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 18 with the measured value, met or not, and the ratio (measured / target; for an
    upper bound, target / measured, so that >= 1 means met in both cases)."""
    targets: list[dict[str, Any]] = []

    def at_least(name: str, value: float | None, target: float | None, note: str = "") -> None:
        met = value is not None and target is not None and value >= target
        targets.append(
            {
                "target": name,
                "measured": value,
                "threshold": target,
                "met": met,
                "ratio": _ratio(value, target),
                "note": note,
            }
        )

    def at_most(name: str, value: float | None, target: float) -> None:
        met = value is not None and value <= target
        ratio = round(target / value, 3) if value else None
        targets.append(
            {"target": name, "measured": value, "threshold": target, "met": met, "ratio": ratio, "note": ""}
        )

    empty = r.get("empty_fastapi_rps")
    intake = r.get("intake_saturation_rps")
    at_most("CPU per case at 100 cases/s <= 6 ms (whole machine)", r.get("cpu_ms_per_case_at_100rps"), 6.0)
    at_most("end-to-end p99 <= 250 ms at 100 cases/s", r.get("e2e_p99_ms_at_100rps"), 250)
    at_least("end-to-end >= 300 cases/s with bounded lag", r.get("e2e_max_rps"), 300)
    at_least(
        "intake saturation >= 0.25 of empty FastAPI",
        intake,
        round(empty * 0.25, 1) if empty else None,
        note=f"intake / empty FastAPI = {_ratio(intake, empty)}",
    )
    at_least("backlog drain >= 2,000 events/s (eligibility)", r.get("drain_eligibility_eps"), 2000)
    at_least("placement drain >= 500 placements/s (scheduler)", r.get("drain_placements_per_s"), 500)
    for service, mb in sorted((r.get("peak_rss_mb") or {}).items()):
        at_most(f"{service} peak RSS < 250 MB", mb, RSS_LIMIT_MB)
    return targets


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(r: dict[str, Any]) -> str:
    m = r.get("machine", {})
    lines = [
        f"Benchmark {r.get('started_at')} ({r.get('mode')} mode, {r.get('duration_s')} s): {m.get('cores')} cores,"
        f" {m.get('memory_gb')} GB, {m.get('cpu_model')}; load generator {r.get('load_generator')};"
        f" load average at start {m.get('load_average_at_start')}",
        "",
        "| measure | value | limit (same run) | ratio to limit |",
        "|---|---:|---:|---:|",
    ]
    kafka = r.get("kafka_raw_msgs_per_s")
    pg = r.get("pg_raw_commits_per_s")
    empty = r.get("empty_fastapi_rps")
    lim = r.get("limits", {})
    if lim:
        k = lim["kafka"]
        lines.append(
            f"| raw Kafka produce->consume, 2 KB records (msgs/s) | 1 partition {_fmt(k['1p']['produce_consume_msgs_per_s'])},"
            f" 6 partitions {_fmt(k['6p']['produce_consume_msgs_per_s'])} | | |"
        )
        p = lim["postgres"]
        lines.append(
            f"| raw PostgreSQL insert+commit (commits/s) | 1 connection {_fmt(p['1conn']['commits_per_s'])},"
            f" 16 connections {_fmt(p['16conn']['commits_per_s'])} | | |"
        )
        lines.append(f"| empty FastAPI endpoint (req/s) | {_fmt(empty)} | | |")
    if "intake_saturation_rps" in r:
        intake = r["intake_saturation_rps"]
        lines.append(
            f"| intake saturation (cases/s, intake alone) | {_fmt(intake)} | empty FastAPI {_fmt(empty)}"
            f" | {_fmt(_ratio(intake, empty))} |"
        )
        lines.append(
            f"| intake saturation vs raw PG commits | {_fmt(intake)} | {_fmt(pg)} | {_fmt(_ratio(intake, pg))} |"
        )
        for share in (25, 50, 80):
            run = r["intake_runs"][f"at_{share}pct"]
            lines.append(
                f"| intake latency at {share}% ({_fmt(run['rate_offered'])}/s) p50 / p95 / p99 ms |"
                f" {run['p50_ms']} / {run['p95_ms']} / {run['p99_ms']} | | |"
            )
        t = r.get("tracing", {})
        lines.append(
            f"| intake saturation, tracing on (OTLP) vs off | {_fmt(t.get('intake_saturation_rps_tracing_on'))}"
            f" vs {_fmt(t.get('intake_saturation_rps_tracing_off'))} | | {_fmt(t.get('on_over_off'))} |"
        )
    if "cpu_ms_per_case_at_100rps" in r:
        by_process = ", ".join(f"{k} {v}" for k, v in r.get("cpu_ms_per_case_by_process", {}).items())
        lines.append(
            f"| CPU per case at 100/s, whole machine (ms) | {_fmt(r['cpu_ms_per_case_at_100rps'])}"
            f" | {by_process} | |"
        )
    if "e2e_runs" in r:
        lines.append(
            f"| end to end at {r['e2e_runs'][0]['rate']}/s, submission -> booking.confirmed p50 / p95 / p99 ms |"
            f" {r.get('e2e_p50_ms_at_100rps')} / {r.get('e2e_p95_ms_at_100rps')} / {r.get('e2e_p99_ms_at_100rps')} | | |"
        )
        for run in r["e2e_runs"][1:]:
            lines.append(
                f"| end to end at {run['rate']}/s: {'kept up' if run['kept_up'] else 'fell behind'} (max lag"
                f" {run['max_lag']}, p99 {run['e2e_p99_ms']} ms) | {_fmt(run['bookings_per_s'])} bookings/s | | |"
            )
        e2e = r.get("e2e_max_rps")
        lines.append(
            f"| end-to-end max with bounded lag (cases/s) | {_fmt(e2e)} | Kafka {_fmt(kafka)} | {_fmt(_ratio(e2e, kafka))} |"
        )
    if "drain" in r:
        d = r["drain"]
        lines.append(
            f"| drain, eligibility ({d['events']:,} events, events/s) | {_fmt(r['drain_eligibility_eps'])}"
            f" | Kafka {_fmt(kafka)} / PG {_fmt(pg)} | {_fmt(_ratio(r['drain_eligibility_eps'], kafka))}"
            f" / {_fmt(_ratio(r['drain_eligibility_eps'], pg))} |"
        )
        lines.append(
            f"| drain, scheduler (bookings/s; {d['booking_statuses']}) | {_fmt(r['drain_scheduler_bps'])}"
            f" | PG {_fmt(pg)} | {_fmt(_ratio(r['drain_scheduler_bps'], pg))} |"
        )
    if "placements" in r:
        p = r["placements"]
        lines.append(
            f"| drain, placements into {p['meetings']} meetings of 3 teams (placements/s; {p['statuses']})"
            f" | {_fmt(r['drain_placements_per_s'])} | PG {_fmt(pg)} | {_fmt(_ratio(r['drain_placements_per_s'], pg))} |"
        )
    for run in r.get("scale", []):
        lines.append(
            f"| scale: {run['instances']} instance(s)/group x {run.get('consumer_processes', 1)} consumer"
            f" process(es), {run['clinicians']} clinicians, {run['events']:,} events"
            f" | eligibility {_fmt(run['eligibility']['per_s'])}/s, scheduler {_fmt(run['scheduler']['per_s'])}/s"
            f" | | {run['booking_statuses']} |"
        )
    for service, mb in sorted((r.get("peak_rss_mb") or {}).items()):
        lines.append(
            f"| peak RSS {service} (MB) | {_fmt(mb)} | {RSS_LIMIT_MB:.0f} | {_fmt(_ratio(mb, RSS_LIMIT_MB))} |"
        )
    lines += ["", "| target | measured | threshold | met | ratio |", "|---|---:|---:|:-:|---:|"]
    for t in r.get("targets", []):
        lines.append(
            f"| {t['target']} | {_fmt(t['measured'])} | {_fmt(t['threshold'])} | {'yes' if t['met'] else 'NO'} | {_fmt(t['ratio'])} |"
        )
    return "\n".join(lines) + "\n"


def write_report(directory: Path, stamp: str, report: dict[str, Any], table: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    data = json.dumps(report, indent=2, default=str)
    json_path = directory / f"{stamp}.json"
    md_path = directory / f"{stamp}.md"
    json_path.write_text(data)
    md_path.write_text(table)
    (directory / "latest.json").write_text(data)
    (directory / "latest.md").write_text(table)
    return json_path, md_path
