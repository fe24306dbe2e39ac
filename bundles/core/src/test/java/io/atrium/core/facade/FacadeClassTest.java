package io.atrium.core.facade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.PluginUnavailableException;
import io.atrium.api.Transport;
import io.atrium.core.calls.CallProbe;
import io.atrium.spi.CallOutcome;
import io.atrium.spi.MethodObserver;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FacadeClassTest {
    public interface Base {
        String name();
    }

    /** Every shape of method a contract may have. */
    public interface Wide extends Base {
        int add(int a, int b);

        long mix(long a, double b, float c, byte d, short e, char f, boolean g);

        double half(double d);

        void nothing(String s);

        List<String> list(String... items);

        String failing() throws IOException;

        default String greeting() {
            return "hi " + name();
        }
    }

    static class Impl implements Wide {
        final AtomicInteger nothingCalls = new AtomicInteger();
        final String name;

        Impl(String name) {
            this.name = name;
        }

        public String name() {
            return name;
        }

        public int add(int a, int b) {
            return a + b;
        }

        public long mix(long a, double b, float c, byte d, short e, char f, boolean g) {
            return a + (long) b + (long) c + d + e + f + (g ? 1000 : 0);
        }

        public double half(double d) {
            return d / 2;
        }

        public void nothing(String s) {
            nothingCalls.incrementAndGet();
        }

        public List<String> list(String... items) {
            return List.of(items);
        }

        public String failing() throws IOException {
            throw new IOException("disk on fire");
        }
    }

    /** What the probe's observer saw: "method:begin" and "method:outcome". */
    private final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    private CallProbe probe(String plugin) {
        return new CallProbe(FacadeClass.methodNames(Wide.class),
                new CallProbe.SiteInfo(plugin, "1.0.0", Transport.IN_PROCESS, Wide.class.getName()),
                site -> new MethodObserver[] {new MethodObserver() {
                    public void begin() {
                        seen.add(site.method() + ":begin");
                    }

                    public void end(long nanos, CallOutcome outcome, Throwable failure) {
                        assertTrue(nanos >= 0);
                        seen.add(site.method() + ":" + outcome.label() + (failure == null ? "" : ":" + failure.getMessage()));
                    }
                }});
    }

    private FacadeHandler handler(String plugin, Object target, long waitMillis) {
        FacadeHandler handler = new FacadeHandler(plugin, Wide.class, waitMillis, probe(plugin));
        handler.setTarget(target);
        return handler;
    }

    @Test
    void forwardsEveryKindOfMethodToTheCurrentTarget() throws Exception {
        Impl first = new Impl("first");
        FacadeHandler handler = handler("wide", first, 1_000);
        Wide facade = (Wide) handler.facade();

        assertEquals(5, facade.add(2, 3));
        assertEquals(1L + 2 + 3 + 4 + 5 + 'A' + 1000, facade.mix(1L, 2.9, 3.5f, (byte) 4, (short) 5, 'A', true));
        assertEquals(1.25, facade.half(2.5));
        facade.nothing("x");
        assertEquals(1, first.nothingCalls.get());
        assertEquals(List.of("a", "b"), facade.list("a", "b"));
        assertEquals("first", facade.name());
        assertEquals("hi first", facade.greeting(), "default methods forward to the implementation too");
        assertEquals("disk on fire", assertThrows(IOException.class, facade::failing).getMessage(), "checked exceptions pass through");

        handler.setTarget(new Impl("second"));
        assertEquals("second", facade.name());
    }

    @Test
    void everyCallIsReportedToTheProbeWithItsOutcome() throws Exception {
        FacadeHandler handler = handler("wide", new Impl("x"), 1_000);
        Wide facade = (Wide) handler.facade();
        assertEquals(3.0, facade.half(6.0));
        facade.nothing("y");
        assertEquals(1L + 1 + 1 + 1 + 1 + 'A', facade.mix(1L, 1.0, 1.0f, (byte) 1, (short) 1, 'A', false));
        assertThrows(IOException.class, facade::failing);
        assertEquals(List.of("half:begin", "half:success", "nothing:begin", "nothing:success", "mix:begin", "mix:success",
                "failing:begin", "failing:error:disk on fire"), seen);
        seen.clear();
        handler.close();
        assertThrows(PluginUnavailableException.class, facade::name);
        assertEquals(List.of("name:begin", "name:unavailable:plugin 'wide': was removed"), seen);
    }

    @Test
    void aCallEndsOnTheObserversItBeganOnWhateverIsResetDuringIt() {
        // Observers change while calls run (tracing is reconfigured: its observer goes and comes back,
        // two resets). A call begun before must end on the observers that saw it begin, even when
        // another call has meanwhile looked the new ones up: a tracer left open keeps its trace context
        // on the calling thread, and every later call from that thread would carry it.
        AtomicInteger lookups = new AtomicInteger();
        CallProbe.SiteInfo site = new CallProbe.SiteInfo("wide", "1.0.0", Transport.IN_PROCESS, Wide.class.getName());
        CallProbe probe = new CallProbe(FacadeClass.methodNames(Wide.class), site, s -> {
            int generation = lookups.incrementAndGet();
            return new MethodObserver[] {new MethodObserver() {
                public void begin() {
                    seen.add(generation + ":" + s.method() + ":begin");
                }

                public void end(long nanos, CallOutcome outcome, Throwable failure) {
                    seen.add(generation + ":" + s.method() + ":" + outcome.label());
                }
            }};
        });
        FacadeHandler handler = new FacadeHandler("wide", Wide.class, 1_000, probe);
        Wide[] facade = new Wide[1];
        AtomicInteger depth = new AtomicInteger();
        handler.setTarget(new Impl("x") {
            @Override
            public String name() {
                if (depth.getAndIncrement() == 0) {
                    probe.retarget(site);
                    probe.retarget(site);
                    facade[0].name(); // looks the new observers up while the outer call runs
                }
                return "x";
            }
        });
        facade[0] = (Wide) handler.facade();
        assertEquals("x", facade[0].name());
        assertEquals(List.of("1:name:begin", "2:name:begin", "2:name:success", "1:name:success"), seen);
        seen.clear();
        depth.set(0);
        handler.setTarget(new Impl("y") {
            @Override
            public String name() {
                probe.retarget(site);
                probe.retarget(site);
                return "y";
            }
        });
        assertEquals("y", facade[0].name());
        assertEquals(List.of("2:name:begin", "2:name:success"), seen, "no call after the resets: the call still ends");
    }

    @Test
    void aCallDuringASwapWaitsForTheNextImplementation() throws Exception {
        FacadeHandler handler = handler("wide", new Impl("old"), 5_000);
        Wide facade = (Wide) handler.facade();
        handler.setTarget(null);
        Thread swapper = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            handler.setTarget(new Impl("new"));
        });
        swapper.start();
        assertEquals("new", facade.name());
        swapper.join();
    }

    @Test
    void aClosedFacadeFailsAsUnavailable() {
        FacadeHandler handler = handler("gone", new Impl("x"), 5_000);
        Wide facade = (Wide) handler.facade();
        handler.close();
        PluginUnavailableException e = assertThrows(PluginUnavailableException.class, facade::name);
        assertEquals("plugin 'gone': was removed", e.getMessage());
    }

    @Test
    void oneClassPerContract() {
        Object a = handler("a", new Impl("a"), 10).facade();
        Object b = handler("b", new Impl("b"), 10).facade();
        assertSame(a.getClass(), b.getClass());
        assertTrue(a.getClass().getName().startsWith("io.atrium.core.facade.generated.Wide$Facade"));
    }
}
