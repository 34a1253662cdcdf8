"""Engine time of one evaluation (issue 3: well under 10 ms), measured without HTTP or I/O.

    .venv/bin/python -m bench.engine_bench
Prints the median and p95 over a spread of cases (thin referrals, full ones, many lesions)."""

import statistics
import time
from datetime import UTC, datetime

from services.eligibility.domain import evaluate
from shared.contracts.case import CaseSubmission
from tests.support.cases import a_case

RUNS = 2000


def cases() -> list[CaseSubmission]:
    full = a_case()
    thin = {
        "external_id": "thin",
        "patient": {"pseudonym": "p", "sex": "female"},
        "primary_tumour": {"site": "lung"},
        "lesions": [{"id": "a", "site": "rib"}],
    }
    many = a_case(lesions=[{**a_case()["lesions"][i % 2], "id": f"L{i}"} for i in range(50)])
    return [CaseSubmission.model_validate(c) for c in (full, thin, many)]


def main() -> None:
    now = datetime.now(UTC)
    for case in cases():
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            evaluate(case, case_id=None, case_version=0, evaluated_at=now)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        print(
            f"{len(case.lesions):>2} lesion(s): median {statistics.median(samples):.3f} ms, "
            f"p95 {samples[int(len(samples) * 0.95)]:.3f} ms over {RUNS} runs"
        )


if __name__ == "__main__":
    main()
