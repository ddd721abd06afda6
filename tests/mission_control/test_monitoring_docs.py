"""docs/operations.md "Monitoring" is a promise: its scrape config loads and points at the
endpoints, its metric tables list exactly what both endpoints serve (names, types, labels),
and its tracing snippet runs."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from rocketjob.metrics import recorder
from rocketjob.metrics.exposition import serve_process_metrics
from tests.mission_control.test_metrics_endpoint import TOKEN, _seed

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
#: (exposed name, type, label names) of one metric, as the doc's table row or a scrape says.
Metric = tuple[str, str, frozenset[str]]
pytestmark = pytest.mark.usefixtures("quiet_recorder")


def monitoring_section() -> str:
    text = OPERATIONS.read_text()
    start = text.index("\n## Monitoring")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def code_block(section: str, language: str, after: str) -> str:
    tail = section[section.index(after) :]
    match = re.search(rf"```{language}\n(.*?)```", tail, re.S)
    assert match, f"no {language} block after {after!r}"
    return match.group(1)


def metric_tables(section: str) -> list[set[Metric]]:
    """Each markdown table whose header is ``| name | type | labels | meaning |``."""
    tables: list[set[Metric]] = []
    for block in re.split(r"\n(?!\|)", section):
        lines = [line for line in block.splitlines() if line.startswith("|")]
        if not lines or [c.strip() for c in lines[0].strip("|").split("|")][:3] != [
            "name",
            "type",
            "labels",
        ]:
            continue
        rows: set[Metric] = set()
        for line in lines[2:]:
            name, kind, labels = (c.strip() for c in line.strip("|").split("|")[:3])
            names = re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", labels))
            rows.add((name.strip("`"), kind, frozenset(names)))
        tables.append(rows)
    return tables


def served(text: str) -> set[Metric]:
    """What an exposition serves: counters by their ``_total`` sample name."""
    metrics: set[Metric] = set()
    for family in text_string_to_metric_families(text):
        labels = frozenset(name for s in family.samples for name in s.labels)
        name = f"{family.name}_total" if family.type == "counter" else family.name
        metrics.add((name, family.type, labels))
    return metrics


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_scrape_config_is_valid_yaml_for_both_endpoints(tmp_path: Path) -> None:
    config = yaml.safe_load(code_block(monitoring_section(), "yaml", "### Prometheus"))
    cluster, workers = config["scrape_configs"]
    assert cluster["metrics_path"] == reverse("admin:mission_control_metrics")
    assert cluster["authorization"]["type"] == "Bearer" and cluster["authorization"][
        "credentials_file"
    ].startswith("/")
    assert cluster["static_configs"][0]["targets"]
    assert "metrics_path" not in workers  # prometheus_client serves /metrics, the default
    assert all(":" in target for target in workers["static_configs"][0]["targets"])

    # What Prometheus sends with that config (the token file's content as a Bearer header).
    _seed()
    with override_settings(ROCKETJOB={**settings.ROCKETJOB, "metrics_token": TOKEN}):
        reply = Client().get(cluster["metrics_path"], HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert reply.status_code == 200


def test_the_metric_tables_list_exactly_what_both_endpoints_serve() -> None:
    cluster_table, process_table = metric_tables(monitoring_section())
    _seed()
    with override_settings(ROCKETJOB={**settings.ROCKETJOB, "metrics_token": TOKEN}):
        reply = Client().get(
            reverse("admin:mission_control_metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
        )
    assert served(reply.content.decode()) == cluster_table

    recorder.ACCUMULATOR.job_ended("NoopJob", "completed", run_seconds=0.2, latency_seconds=0.1)
    recorder.ACCUMULATOR.records("NoopJob", "job-1", 10)
    port = _free_port()
    stop = serve_process_metrics(lambda: (1, 2), port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as scrape:
            text = scrape.read().decode()
    finally:
        stop()
    assert served(text) == process_table


def test_the_tracing_snippet_runs(tmp_path: Path) -> None:
    snippet = code_block(monitoring_section(), "python", "### OpenTelemetry tracing")
    check = (
        snippet
        + "\nwith trace.get_tracer('doc').start_as_current_span('doc-span') as span:\n"
        + "    assert span.get_span_context().is_valid\n"
        + "assert trace.get_tracer_provider() is provider\nprovider.shutdown()\n"
    )
    script = tmp_path / "snippet.py"
    script.write_text(check)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"name": "doc-span"' in done.stdout  # the console exporter printed the span
