"""Optional OpenTelemetry tracing: one trace follows an answer through the pipeline.

The API's span for an answer puts its ``traceparent`` in the event; the worker
batch that applies the event continues that trace (and links the batch's other
traces); the ``answers-redis`` batch passes its own context on in the
``lb-changes`` notice, and the snapshot publish continues from there.

Only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set does any of OpenTelemetry
load (``uv sync --extra tracing``); otherwise every span is a no-op costing one
attribute check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"

#: The ``traceparent`` of the innermost quizboard span, for code that passes it on.
CURRENT: ContextVar[str] = ContextVar("quizboard_traceparent", default="")
OFF = nullcontext("")


class Tracing:
    """A tracer, or nothing at all."""

    def __init__(self, tracer: Any | None = None) -> None:
        self._tracer = tracer

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    def span(
        self, name: str, parents: Sequence[str] = (), **attributes: str | int
    ) -> AbstractContextManager[str]:
        """A span, child of the first of ``parents`` and linked to the rest.

        Enters as the new span's ``traceparent``, to carry it on; ``""`` when off,
        at the cost of a shared null context (this sits on the answer path).
        """
        if self._tracer is None:
            return OFF
        return self._span(self._tracer, name, parents, attributes)

    @staticmethod
    @contextmanager
    def _span(
        tracer: Any, name: str, parents: Sequence[str], attributes: dict[str, str | int]
    ) -> Iterator[str]:
        from opentelemetry import trace
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        propagator = TraceContextTextMapPropagator()
        contexts = [propagator.extract({"traceparent": p}) for p in parents if p]
        parent = contexts[0] if contexts else None
        links = [trace.Link(trace.get_current_span(c).get_span_context()) for c in contexts[1:]]
        with tracer.start_as_current_span(name, context=parent, links=links, attributes=attributes):
            carrier: dict[str, str] = {}
            propagator.inject(carrier)
            token = CURRENT.set(carrier.get("traceparent", ""))
            try:
                yield CURRENT.get()
            finally:
                CURRENT.reset(token)


def from_environment(role: str, environ: Mapping[str, str]) -> Tracing:
    """Tracing to the OTLP endpoint in the environment, or none without one."""
    if not environ.get(ENDPOINT):
        return Tracing()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"quizboard-{role}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return Tracing(provider.get_tracer("quizboard"))
