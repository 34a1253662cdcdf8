"""Reading a running service's /metrics with prometheus_client's own parser."""

import httpx
from prometheus_client.parser import text_string_to_metric_families


def scraped(service_url: str, sample: str, **labels: str) -> float:
    """The sum of the `sample` series (e.g. `x_total`, `y_seconds_count`) whose labels include `labels`."""
    text = httpx.get(f"{service_url}/metrics", timeout=10).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample and all(s.labels.get(key) == value for key, value in labels.items())
    )
