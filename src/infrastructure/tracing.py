"""Optional OpenTelemetry tracing, chosen by ``HOLDFAST_OTEL``: a span per HTTP request, and the
current span's ids on every log line.

OpenTelemetry is the optional ``otel`` dependency group (``pip install -e '.[otel]'``). With
``HOLDFAST_OTEL=off`` (the default) nothing imports it, so the service runs without it; asking
for tracing without it installed stops the start-up with a ``SettingsError`` naming the package.

``console`` prints finished spans to stdout (for a look on a laptop); ``otlp`` sends them in
batches to ``HOLDFAST_OTEL_ENDPOINT`` (an OTLP/HTTP traces URL, e.g. a collector's
``http://collector:4318/v1/traces``). The tracer provider is the app's own, not installed as
OpenTelemetry's global one: two apps in one process (the tests) never share spans.
"""

from __future__ import annotations

import importlib
from typing import Any

from infrastructure.settings import Settings, SettingsError

SERVICE_NAME = "holdfast"
# Probes and scrapes come every few seconds and say nothing about the service's work.
UNTRACED_PATHS = ["^/health/", "^/metrics$"]

# The module each mode needs, and the distribution that provides it.
_NEEDS = {
    "console": (
        ("opentelemetry.trace", "opentelemetry-api"),
        ("opentelemetry.sdk.trace", "opentelemetry-sdk"),
        ("opentelemetry.instrumentation.asgi", "opentelemetry-instrumentation-asgi"),
    ),
    "otlp": (("opentelemetry.exporter.otlp.proto.http.trace_exporter", "opentelemetry-exporter-otlp-proto-http"),),
}


def require_opentelemetry(settings: Settings) -> None:
    """Raises ``SettingsError`` naming the first package ``settings.otel`` needs that is missing."""
    needed = _NEEDS["console"] + (_NEEDS["otlp"] if settings.otel == "otlp" else ())
    for module, package in needed:
        try:
            importlib.import_module(module)
        except ImportError:
            message = f"HOLDFAST_OTEL={settings.otel} needs the {package} package: pip install -e '.[otel]'"
            raise SettingsError(message) from None


def tracer_provider(settings: Settings) -> Any:
    """An SDK tracer provider exporting to the console or to the OTLP endpoint."""
    require_opentelemetry(settings)
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    if settings.otel == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_endpoint)))
    else:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


def http_tracing(provider: Any) -> Any:
    """Litestar's OpenTelemetry plugin: it wraps the whole app, so the request's span is current
    in every middleware and handler (and in their log lines)."""
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

    return OpenTelemetryPlugin(OpenTelemetryConfig(tracer_provider=provider, exclude=UNTRACED_PATHS))


def trace_fields() -> dict[str, str]:
    """The current span's ``trace_id`` and ``span_id`` in W3C hex, or nothing outside a span."""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}
