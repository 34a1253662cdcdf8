"""shared/serve.py: the processes that run one service for a number of API workers and consumer processes."""

import pytest
from pydantic import ValidationError

from shared.serve import plan
from shared.settings import ProcessSettings


def test_one_of_each_is_the_single_uvicorn_process_the_services_always_ran() -> None:
    (command,) = plan("scheduler", "127.0.0.1", 8003, ProcessSettings(api_workers=1, consumer_processes=1))
    assert command.argv[1:5] == ["-m", "uvicorn", "--factory", "services.scheduler.main:create_application"]
    assert "--workers" not in command.argv and "--port" in command.argv
    assert command.env == {}  # consumers run in it


def test_more_processes_split_the_api_workers_from_the_consumer_group_members() -> None:
    api, *consumers = plan(
        "eligibility", "0.0.0.0", 8000, ProcessSettings(api_workers=3, consumer_processes=2)
    )
    assert api.argv[api.argv.index("--workers") + 1] == "3"
    assert api.argv[api.argv.index("--port") + 1] == "8000"
    assert api.env == {"RUN_CONSUMERS": "false"}
    assert len(consumers) == 2
    for command in consumers:
        assert command.argv[1:] == ["-m", "shared.serve", "eligibility", "--consumers-only"]
        assert command.env == {"RUN_CONSUMERS": "true"}


def test_two_consumer_processes_with_one_api_worker_start_no_uvicorn_workers() -> None:
    api, *consumers = plan("intake", "127.0.0.1", 8001, ProcessSettings(api_workers=1, consumer_processes=2))
    assert "--workers" not in api.argv and api.env == {"RUN_CONSUMERS": "false"}
    assert len(consumers) == 2


@pytest.mark.parametrize("field", ["api_workers", "consumer_processes"])
def test_a_service_needs_at_least_one_process_of_each(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ProcessSettings.model_validate({field: 0})
    assert refused.value.errors()[0]["loc"] == (field,)
