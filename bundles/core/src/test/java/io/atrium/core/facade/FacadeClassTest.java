package io.atrium.core.facade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.api.Invocable;
import io.atrium.api.PluginRejectedException;
import io.atrium.api.PluginUnavailableException;
import io.atrium.api.PluginProperties;
import io.atrium.core.calls.CallProbe;
import io.atrium.spi.CallOutcome;
import io.atrium.spi.MethodObserver;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.util.Arrays;
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

    /** The rest: every return type, overloads, a static method, generics and covariant overrides, unchecked failures. */
    public interface Box<T> {
        T get();

        void put(T value);
    }

    public interface Other {
        Object get();
    }

    public interface Odd extends Box<CharSequence>, Other {
        @Override
        String get(); // covariant: narrower than both get()s it overrides

        boolean not(boolean b);

        byte b(byte b);

        char c(char c);

        short s(short s);

        float f(float f);

        long l(long l);

        int[] ints(int... values);

        String over(int i);

        String over(long l);

        String over(String s);

        void fails(RuntimeException e);

        void errs(Error e);

        static String helper() {
            return "static methods are not forwarded";
        }
    }

    static class OddImpl implements Odd {
        CharSequence put;

        public String get() {
            return "got " + put;
        }

        public void put(CharSequence value) {
            put = value;
        }

        public boolean not(boolean b) {
            return !b;
        }

        public byte b(byte b) {
            return (byte) (b + 1);
        }

        public char c(char c) {
            return (char) (c + 1);
        }

        public short s(short s) {
            return (short) (s + 1);
        }

        public float f(float f) {
            return f * 2;
        }

        public long l(long l) {
            return l + 1;
        }

        public int[] ints(int... values) {
            return values;
        }

        public String over(int i) {
            return "int " + i;
        }

        public String over(long l) {
            return "long " + l;
        }

        public String over(String s) {
            return "String " + s;
        }

        public void fails(RuntimeException e) {
            throw e;
        }

        public void errs(Error e) {
            throw e;
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
                new CallProbe.SiteInfo(plugin, "1.0.0", PluginProperties.IN_PROCESS, Wide.class.getName()),
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
    void anInvocablesCallsAreObservedAsTheFunctionsItDeclaresAndNoOthers() {
        // A caller picks the function's name: were every name a site of its own, a caller could grow the
        // metrics without bound. Only the declared functions are; any other name is the method's.
        CallProbe.SiteInfo site = new CallProbe.SiteInfo("vowels", "1.0.0", "wasm", Invocable.class.getName(), java.util.Set.of("count_vowels"));
        CallProbe probe = new CallProbe(FacadeClass.methodNames(Invocable.class), site, s -> new MethodObserver[] {new MethodObserver() {
            public void begin() {
                seen.add(s.method() + ":begin");
            }

            public void end(long nanos, CallOutcome outcome, Throwable failure) {
                seen.add(s.method() + ":" + outcome.label());
            }
        }});
        FacadeHandler handler = new FacadeHandler("vowels", Invocable.class, 1_000, probe);
        handler.setTarget((Invocable) (function, input) -> {
            if (!"count_vowels".equals(function)) {
                throw new PluginRejectedException("vowels", "has no function '" + function + "'");
            }
            return "{\"count\":" + input.length() + "}";
        });
        Invocable facade = (Invocable) handler.facade();
        assertEquals("{\"count\":3}", facade.call("count_vowels", "abc"));
        assertThrows(PluginRejectedException.class, () -> facade.call("x".repeat(100), ""));
        assertThrows(PluginRejectedException.class, () -> facade.call(null, ""));
        assertEquals(List.of("count_vowels:begin", "count_vowels:success", "call:begin", "call:rejected", "call:begin", "call:rejected"), seen);
        seen.clear();
        probe.retarget(new CallProbe.SiteInfo("vowels", "1.0.1", "wasm", Invocable.class.getName(), java.util.Set.of()));
        assertEquals("{\"count\":1}", facade.call("count_vowels", "a"));
        assertEquals(List.of("call:begin", "call:success"), seen, "a function no longer declared is the method's");
    }

    @Test
    void aCallEndsOnTheObserversItBeganOnWhateverIsResetDuringIt() {
        // Observers change while calls run (tracing is reconfigured: its observer goes and comes back,
        // two resets). A call begun before must end on the observers that saw it begin, even when
        // another call has meanwhile looked the new ones up: a tracer left open keeps its trace context
        // on the calling thread, and every later call from that thread would carry it.
        AtomicInteger lookups = new AtomicInteger();
        CallProbe.SiteInfo site = new CallProbe.SiteInfo("wide", "1.0.0", PluginProperties.IN_PROCESS, Wide.class.getName());
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
    void aFacadeWhosePluginIsDownFailsAtOnceSayingWhyAndAnswersWhenItIsBack() throws Exception {
        FacadeHandler handler = handler("down", new Impl("x"), 60_000);
        Wide facade = (Wide) handler.facade();
        String[] why = {"restarting: exited with status 3"};
        handler.down(() -> why[0]);
        // at once: not the swap's wait of a minute, which would not end
        assertEquals("plugin 'down': restarting: exited with status 3", assertThrows(PluginUnavailableException.class, facade::name).getMessage());
        why[0] = "is stopped";
        assertEquals("plugin 'down': is stopped", assertThrows(PluginUnavailableException.class, facade::name).getMessage());
        handler.setLazyTarget(() -> new Impl("back"));
        assertEquals("back", facade.name());
    }

    @Test
    void aCallWaitingOutASwapFailsAtOnceWhenThePluginGoesDown() throws Exception {
        FacadeHandler handler = handler("swapped", new Impl("x"), 60_000);
        Wide facade = (Wide) handler.facade();
        handler.setTarget(null); // a swap: calls wait for the new implementation
        java.util.concurrent.CompletableFuture<Throwable> failed = new java.util.concurrent.CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                facade.name();
                failed.complete(null);
            } catch (Throwable t) {
                failed.complete(t);
            }
        });
        caller.start();
        while (caller.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
        handler.down(() -> "did not come back after its update");
        Throwable t = failed.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals("plugin 'swapped': did not come back after its update", t.getMessage());
    }

    @Test
    void everyReturnTypeOverloadAndBridgeForwards() {
        List<String> names = Arrays.asList(FacadeClass.methodNames(Odd.class));
        assertTrue(!names.contains("helper"), "static methods are not contract methods: " + names);
        CallProbe probe = new CallProbe(FacadeClass.methodNames(Odd.class),
                new CallProbe.SiteInfo("odd", "1.0.0", PluginProperties.IN_PROCESS, Odd.class.getName()), site -> new MethodObserver[] {
                    new MethodObserver() {
                        public void begin() {
                        }

                        public void end(long nanos, CallOutcome outcome, Throwable failure) {
                            seen.add(site.method() + ":" + outcome.label() + (failure == null ? "" : ":" + failure.getMessage()));
                        }
                    }});
        FacadeHandler handler = new FacadeHandler("odd", Odd.class, 1_000, probe);
        handler.setTarget(new OddImpl());
        Odd facade = (Odd) handler.facade();

        assertEquals(false, facade.not(true));
        assertEquals((byte) -128, facade.b((byte) 127));
        assertEquals('B', facade.c('A'));
        assertEquals((short) -32768, facade.s((short) 32767));
        assertEquals(3.0f, facade.f(1.5f));
        assertEquals(Long.MIN_VALUE, facade.l(Long.MAX_VALUE));
        int[] ints = {1, 2};
        assertSame(ints, facade.ints(ints));
        assertEquals("int 1", facade.over(1));
        assertEquals("long 1", facade.over(1L));
        assertEquals("String 1", facade.over("1"));
        Box<CharSequence> box = facade;
        box.put("it");
        assertEquals("got it", facade.get());
        assertEquals("got it", box.get(), "the generic (erased) method forwards");
        assertEquals("got it", ((Other) facade).get(), "the covariant override's other ancestor too");
        IllegalStateException unchecked = new IllegalStateException("unchecked");
        assertSame(unchecked, assertThrows(IllegalStateException.class, () -> facade.fails(unchecked)));
        StackOverflowError error = new StackOverflowError("error");
        assertSame(error, assertThrows(StackOverflowError.class, () -> facade.errs(error)));
        assertEquals(List.of("not:success", "b:success", "c:success", "s:success", "f:success", "l:success", "ints:success",
                "over:success", "over:success", "over:success", "put:success", "get:success", "get:success", "get:success",
                "fails:error:unchecked", "errs:error:error"), seen);
    }

    @Test
    void aContractOnlyItsOwnLoaderSeesGetsAFacadeInAChildOfThatLoader() throws Exception {
        // As a bundle's contract: its loader sees neither this core nor the test's classes, and the
        // contract's methods use a type that loader alone defines.
        ClassLoader plugin = new ClassLoader(ClassLoader.getPlatformClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                if (!name.startsWith(IsolatedContract.class.getPackageName() + ".Isolated")) {
                    throw new ClassNotFoundException(name);
                }
                try (InputStream in = FacadeClassTest.class.getResourceAsStream("/" + name.replace('.', '/') + ".class")) {
                    byte[] bytes = in.readAllBytes();
                    return defineClass(name, bytes, 0, bytes.length);
                } catch (IOException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }
        };
        Class<?> contract = plugin.loadClass(IsolatedContract.class.getName());
        Class<?> payload = plugin.loadClass(IsolatedPayload.class.getName());
        assertTrue(contract != IsolatedContract.class && payload != IsolatedPayload.class);
        Object implementation = Proxy.newProxyInstance(plugin, new Class<?>[] {contract}, (proxy, method, args) -> args[0]);
        CallProbe probe = new CallProbe(FacadeClass.methodNames(contract),
                new CallProbe.SiteInfo("isolated", "1.0.0", PluginProperties.IN_PROCESS, contract.getName()), site -> new MethodObserver[0]);
        FacadeHandler handler = new FacadeHandler("isolated", contract, 1_000, probe);
        handler.setTarget(implementation);
        Object facade = handler.facade();

        assertTrue(contract.isInstance(facade));
        assertSame(plugin, facade.getClass().getClassLoader().getParent());
        Object sent = payload.getConstructor(String.class).newInstance("hello");
        assertSame(sent, contract.getMethod("echo", payload).invoke(facade, sent));
    }

    @Test
    void oneClassPerContract() {
        Object a = handler("a", new Impl("a"), 10).facade();
        Object b = handler("b", new Impl("b"), 10).facade();
        assertSame(a.getClass(), b.getClass());
        assertTrue(a.getClass().getName().startsWith("io.atrium.core.facade.generated.Wide$Facade"));
    }
}
