package io.atrium.observability.tracing;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;

/** Spans sent in batches over OTLP/HTTP (protobuf) with the JDK's HTTP client, by the SDK's batch processor. */
final class OtlpExport {
    private OtlpExport() {
    }

    /**
     * Only sampled spans are recorded at all, so the processor is told to take every span it is given: it then
     * never reads a span's context on the calling thread, and the record is formatted on the exporter's.
     */
    static SpanProcessor processor(String endpoint) {
        return BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build())
                .setExportUnsampledSpans(true).build();
    }
}
