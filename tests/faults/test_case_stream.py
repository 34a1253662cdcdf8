"""The referrer the fault suite sends its cases with (no broker, no database: intake is a stand-in): it keeps
its rate while answers are slow, and sends a refused case again until it is accepted."""

import asyncio
import uuid
from collections import Counter

import httpx

from tests.support.streaming import CaseStream


def _accepted(request: httpx.Request) -> httpx.Response:
    case_id = uuid.uuid5(uuid.NAMESPACE_URL, request.content.decode())  # each case's body is its own
    return httpx.Response(202, json={"case_id": str(case_id), "case_version": 1})


def test_keeps_its_rate_while_each_answer_takes_a_fifth_of_a_second() -> None:
    async def slow_intake(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.2)
        return _accepted(request)

    stream = CaseStream("http://intake", rate_per_second=100, transport=httpx.MockTransport(slow_intake))
    stream.start(300)
    stream.join(timeout=60)

    assert len(stream.accepted) == 300
    # One at a time this would take 60 s; at 100/s it is 3 s plus the last answer.
    assert max(stream.accepted_at.values()) - stream.started_at < 5
    assert stream.unexpected == []


def test_a_refused_case_is_sent_again_until_accepted_and_counted_apart() -> None:
    attempts: Counter[bytes] = Counter()

    def flaky_intake(request: httpx.Request) -> httpx.Response:
        attempts[request.content] += 1
        if attempts[request.content] == 1:
            return httpx.Response(503, headers={"Retry-After": "0"})
        if attempts[request.content] == 2:
            raise httpx.ConnectError("intake is restarting", request=request)
        return _accepted(request)

    stream = CaseStream("http://intake", rate_per_second=100, transport=httpx.MockTransport(flaky_intake))
    stream.start(20)
    stream.join(timeout=60)

    assert len(stream.accepted) == 20
    assert stream.refusals == {503: 20, 0: 20}
    assert stream.unexpected == []


def test_an_error_that_is_not_a_refusal_is_not_sent_again() -> None:
    calls = 0

    def broken_intake(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(500, text="boom")

    stream = CaseStream("http://intake", rate_per_second=100, transport=httpx.MockTransport(broken_intake))
    stream.start(3)
    stream.join(timeout=60)

    assert stream.accepted == {}
    assert calls == 3
    assert stream.unexpected == [(500, "boom")] * 3
