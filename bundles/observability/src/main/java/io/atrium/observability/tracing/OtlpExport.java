package io.atrium.observability.tracing;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;

/** Spans sent in batches over OTLP/HTTP (protobuf) with the JDK's HTTP client. */
final class OtlpExport {
    private OtlpExport() {
    }

    static SpanProcessor processor(String endpoint) {
        return BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build()).build();
    }
}
