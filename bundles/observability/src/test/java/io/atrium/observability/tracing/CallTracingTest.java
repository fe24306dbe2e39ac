package io.atrium.observability.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.CallSpan;
import io.atrium.api.Transport;
import io.atrium.spi.CallOutcome;
import io.atrium.spi.CallSite;
import io.atrium.spi.CallTrace;
import io.atrium.spi.MethodObserver;
import java.lang.annotation.Annotation;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sampling decided at a trace's first call, with the real OpenTelemetry SDK behind it. */
class CallTracingTest {
    private static final String UNSAMPLED = "00-[0-9a-f]{32}-[0-9a-f]{16}-00";
    private CallTracing tracing;

    @AfterEach
    void stop() {
        tracing.deactivate();
    }

    @Test
    void aSampledInProcessCallIsTheParentOfTheProcessCallNestedInIt() {
        tracing = new CallTracing(config(1.0));
        MethodObserver outer = tracing.observe(site("outer", Transport.IN_PROCESS));
        MethodObserver inner = tracing.observe(site("inner", Transport.PROCESS));
        outer.begin();
        assertNull(CallTrace.traceparent(), "an in-process call hands no context to a transport");
        inner.begin();
        String traceparent = CallTrace.traceparent();
        inner.end(1, CallOutcome.SUCCESS, null);
        outer.end(2, CallOutcome.SUCCESS, null);
        assertNull(CallTrace.traceparent(), "restored after the call");

        List<CallSpan> spans = tracing.recent();
        assertEquals(2, spans.size());
        CallSpan innerSpan = spans.get(0);
        CallSpan outerSpan = spans.get(1);
        assertEquals("inner", innerSpan.plugin());
        assertEquals(outerSpan.spanId(), innerSpan.parentSpanId());
        assertEquals(outerSpan.traceId(), innerSpan.traceId());
        assertEquals("00-" + innerSpan.traceId() + "-" + innerSpan.spanId() + "-01", traceparent);
    }

    @Test
    void anUnsampledInProcessCallMakesNoSpanButAProcessCallNestedInItIsToldItIsNotSampled() {
        tracing = new CallTracing(config(0.0));
        MethodObserver outer = tracing.observe(site("outer", Transport.IN_PROCESS));
        MethodObserver inner = tracing.observe(site("inner", Transport.PROCESS));
        MethodObserver innerInProcess = tracing.observe(site("leaf", Transport.IN_PROCESS));
        outer.begin();
        innerInProcess.begin();
        innerInProcess.end(1, CallOutcome.SUCCESS, null);
        inner.begin();
        String traceparent = CallTrace.traceparent();
        inner.end(1, CallOutcome.SUCCESS, null);
        outer.end(2, CallOutcome.SUCCESS, null);

        assertTrue(traceparent != null && traceparent.matches(UNSAMPLED), String.valueOf(traceparent));
        assertEquals(List.of(), tracing.recent());
        assertNull(CallTrace.traceparent());
    }

    @Test
    void anUnsampledProcessCallStillCarriesAContextFlaggedNotSampled() {
        tracing = new CallTracing(config(0.0));
        MethodObserver call = tracing.observe(site("p", Transport.PROCESS));
        call.begin();
        String traceparent = CallTrace.traceparent();
        call.end(1, CallOutcome.SUCCESS, null);
        assertTrue(traceparent != null && traceparent.matches(UNSAMPLED), String.valueOf(traceparent));
        assertEquals(List.of(), tracing.recent());
    }

    @Test
    void anUnsampledCallThatStaysInTheJvmMakesNoSpanWhateverItsTransport() {
        // a script or a WASM module: not in-process, but nothing of its call leaves the JVM, so an unsampled one needs no ids
        tracing = new CallTracing(config(0.0));
        MethodObserver script = tracing.observe(new CallSite("js", "1.0.0", "script", "x.Contract", "m", false));
        MethodObserver nested = tracing.observe(new CallSite("p", "1.0.0", "process", "x.Contract", "m", true));
        script.begin();
        assertNull(CallTrace.traceparent(), "nothing handed on");
        nested.begin();
        String traceparent = CallTrace.traceparent();
        nested.end(1, CallOutcome.SUCCESS, null);
        script.end(1, CallOutcome.SUCCESS, null);
        assertTrue(traceparent != null && traceparent.matches(UNSAMPLED), "a process call nested in it is still told: " + traceparent);
        assertEquals(List.of(), tracing.recent());

        tracing.deactivate();
        tracing = new CallTracing(config(0.0));
        MethodObserver carried = tracing.observe(new CallSite("g", "1.0.0", "grpc", "x.Contract", "m", true));
        carried.begin();
        String handed = CallTrace.traceparent();
        carried.end(1, CallOutcome.SUCCESS, null);
        assertTrue(handed != null && handed.matches(UNSAMPLED), "a transport that carries the context gets one, flagged not sampled: " + handed);
        assertEquals(List.of(), tracing.recent());
    }

    @Test
    void theCallsNestedSideBySideInOneUnsampledCallShareItsTrace() {
        tracing = new CallTracing(config(0.0));
        MethodObserver script = tracing.observe(new CallSite("js", "1.0.0", "script", "x.Contract", "m", false));
        MethodObserver inner = tracing.observe(new CallSite("local", "1.0.0", "in-process", "x.Contract", "m", false));
        MethodObserver process = tracing.observe(new CallSite("p", "1.0.0", "process", "x.Contract", "m", true));
        script.begin();
        inner.begin();
        process.begin();
        String deep = CallTrace.traceparent();
        process.end(1, CallOutcome.SUCCESS, null);
        inner.end(1, CallOutcome.SUCCESS, null);
        process.begin();
        String first = CallTrace.traceparent();
        process.end(1, CallOutcome.SUCCESS, null);
        process.begin();
        String second = CallTrace.traceparent();
        process.end(1, CallOutcome.SUCCESS, null);
        script.end(1, CallOutcome.SUCCESS, null);
        String trace = first.substring(3, 35);
        assertEquals(trace, second.substring(3, 35), "one trace for the calls of one script call: " + first + " " + second);
        assertEquals(trace, deep.substring(3, 35), "and for one nested deeper: " + deep);
        assertTrue(second.matches(UNSAMPLED) && !first.equals(second), "each its own span: " + first + " " + second);
    }

    @Test
    void aRatioSamplesAboutThatShareOfTracesAndTheCallsNestedInASampledOne() {
        tracing = new CallTracing(config(0.25, 1000));
        MethodObserver outer = tracing.observe(site("outer", Transport.IN_PROCESS));
        MethodObserver inner = tracing.observe(site("inner", Transport.IN_PROCESS));
        for (int i = 0; i < 400; i++) {
            outer.begin();
            inner.begin();
            inner.end(1, CallOutcome.SUCCESS, null);
            outer.end(2, CallOutcome.SUCCESS, null);
        }
        List<CallSpan> spans = tracing.recent();
        long roots = spans.stream().filter(s -> s.parentSpanId() == null).count();
        assertEquals(roots * 2, spans.size(), "every sampled trace whole, none half");
        assertTrue(roots > 50 && roots < 150, "about a quarter of 400 traces sampled: " + roots);
    }

    @Test
    void aCallOfATransportTheCoreNeverHeardOfIsTracedUnderItsIdAndCarriesTheContext() {
        tracing = new CallTracing(config(1.0));
        MethodObserver call = tracing.observe(new CallSite("remote", "1.0.0", "grpc", "x.Contract", "m"));
        call.begin();
        String traceparent = CallTrace.traceparent();
        call.end(1, CallOutcome.SUCCESS, null);
        CallSpan span = tracing.recent().get(0);
        assertEquals("grpc", span.transport());
        assertEquals("00-" + span.traceId() + "-" + span.spanId() + "-01", traceparent, "handed to the transport, as to any out-of-process one");
    }

    @Test
    void aFailedCallRecordsItsExceptionWithTheStackOnlyWhereItIsThePlugins() {
        tracing = new CallTracing(config(1.0));
        MethodObserver remote = tracing.observe(new CallSite("remote", "1.0.0", "process", "x.Contract", "m"));
        remote.begin();
        remote.end(1, CallOutcome.CRASH, new IllegalStateException("plugin 'remote' crashed: killed by SIGKILL"));
        MethodObserver local = tracing.observe(site("local", Transport.IN_PROCESS));
        local.begin();
        local.end(1, CallOutcome.ERROR, new IllegalArgumentException("bad name"));
        var spans = tracing.recentData();
        var crashed = spans.get(0).getEvents().get(0);
        assertEquals("exception", crashed.getName());
        assertEquals("java.lang.IllegalStateException", crashed.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("exception.type")));
        assertEquals("plugin 'remote' crashed: killed by SIGKILL", crashed.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("exception.message")));
        assertEquals(null, crashed.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("exception.stacktrace")),
                "an out-of-process plugin's failure: the host's frames are not its stack");
        var thrown = spans.get(1).getEvents().get(0);
        assertEquals("bad name", thrown.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("exception.message")));
        assertTrue(thrown.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("exception.stacktrace"))
                .contains("CallTracingTest"), "an in-process plugin's failure keeps its stack");
    }

    @Test
    void aSpanIsWhatOpenTelemetrysExporterReadsTimedOnTheWallClock() {
        tracing = new CallTracing(config(1.0));
        MethodObserver outer = tracing.observe(site("outer", Transport.IN_PROCESS));
        MethodObserver inner = tracing.observe(new CallSite("inner", "2.1.0", "process", "x.Contract", "m"));
        long before = System.currentTimeMillis() * 1_000_000L;
        outer.begin();
        inner.begin();
        inner.end(1_500, CallOutcome.SUCCESS, null);
        outer.end(3_000_000, CallOutcome.SUCCESS, null);
        long after = System.currentTimeMillis() * 1_000_000L + 1_000_000L;
        var spans = tracing.recentData();
        var in = spans.get(0);
        var out = spans.get(1);
        assertEquals("inner/m", in.getName());
        assertEquals(io.opentelemetry.api.trace.SpanKind.CLIENT, in.getKind());
        assertEquals(1_500, in.getEndEpochNanos() - in.getStartEpochNanos(), "the duration the probe measured");
        assertTrue(in.getEndEpochNanos() >= before && in.getEndEpochNanos() <= after, "on the wall clock: " + in.getEndEpochNanos());
        assertEquals(out.getSpanId(), in.getParentSpanId());
        assertEquals(out.getTraceId(), in.getTraceId());
        assertTrue(in.getSpanContext().isSampled() && in.getSpanContext().isValid() && !out.getParentSpanContext().isValid());
        var a = in.getAttributes();
        assertEquals("inner", a.get(io.opentelemetry.api.common.AttributeKey.stringKey("atrium.plugin.name")));
        assertEquals("2.1.0", a.get(io.opentelemetry.api.common.AttributeKey.stringKey("atrium.plugin.version")));
        assertEquals("process", a.get(io.opentelemetry.api.common.AttributeKey.stringKey("atrium.plugin.transport")));
        assertEquals("x.Contract", a.get(io.opentelemetry.api.common.AttributeKey.stringKey("rpc.service")));
        assertEquals("m", a.get(io.opentelemetry.api.common.AttributeKey.stringKey("rpc.method")));
        assertEquals("success", a.get(io.opentelemetry.api.common.AttributeKey.stringKey("atrium.call.status")));
        assertEquals(io.opentelemetry.api.trace.StatusCode.UNSET, in.getStatus().getStatusCode());
        assertEquals(List.of(), in.getEvents());
        assertEquals("atrium", in.getResource().getAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("service.name")));
        assertEquals("io.atrium", in.getInstrumentationScopeInfo().getName());
    }

    @Test
    void theRingKeepsTheLastSpansOldestFirst() {
        tracing = new CallTracing(config(1.0, 3));
        MethodObserver call = tracing.observe(site("p", Transport.IN_PROCESS));
        for (int i = 0; i < 5; i++) {
            call.begin();
            call.end(1, i == 4 ? CallOutcome.ERROR : CallOutcome.SUCCESS, i == 4 ? new IllegalStateException("boom") : null);
        }
        List<CallSpan> spans = tracing.recent();
        assertEquals(3, spans.size());
        assertEquals("error", spans.get(2).status());
        assertEquals("boom", spans.get(2).error());
        assertEquals("success", spans.get(0).status());
    }

    private static CallSite site(String plugin, Transport transport) {
        return new CallSite(plugin, "1.0.0", transport, "x.Contract", "m");
    }

    private static CallTracing.Config config(double ratio) {
        return config(ratio, 100);
    }

    private static CallTracing.Config config(double ratio, int recent) {
        return new CallTracing.Config() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public double sampleRatio() {
                return ratio;
            }

            @Override
            public String otlpEndpoint() {
                return "";
            }

            @Override
            public int recentSpans() {
                return recent;
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return CallTracing.Config.class;
            }
        };
    }
}
