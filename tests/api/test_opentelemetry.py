"""FastAPI's own OpenTelemetry reporting is off unless the settings ask for it: the ledger
has its metrics and logs, and every request would otherwise look for providers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace

from api.main import create_app
from application.settings import Settings


class RecordingTracer(trace.NoOpTracer):
    def __init__(self, spans: list[str]) -> None:
        self.spans = spans

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.spans.append(name)
        return super().start_span(name, *args, **kwargs)


class RecordingProvider(trace.TracerProvider):
    """A process's tracer provider, as an OpenTelemetry SDK would set one up."""

    def __init__(self) -> None:
        self.spans: list[str] = []

    def get_tracer(self, *_args: Any, **_kwargs: Any) -> trace.Tracer:
        return RecordingTracer(self.spans)


@pytest.mark.parametrize("reported", [False, True])
def test_requests_reach_the_process_tracer_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, reported: bool
) -> None:
    provider = RecordingProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    app = create_app(Settings(database_url="memory://", opentelemetry=reported))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
    assert bool(provider.spans) is reported
