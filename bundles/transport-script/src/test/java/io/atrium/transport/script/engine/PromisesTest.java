package io.atrium.transport.script.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A JavaScript plugin's promise jobs run within the call that queued them, under its budget, and a promise a
 * function returns is its answer once settled: as in a browser, where the jobs run before the next task.
 */
class PromisesTest {
    private static String call(Program p, Object... args) {
        Budget b = p.budget();
        b.start(300, 256 << 20);
        return p.call("f", args, b).toString();
    }

    @Test
    void theJobsACallQueuesRunBeforeItEnds() {
        Program p = HostileScriptsTest.load("jobs.js", "var later = 0;\nfunction f() { Promise.resolve().then(function () { later++; }); return later; }");
        assertEquals("0", call(p), "the function's own answer comes first");
        assertEquals("1", call(p), "the job the first call queued ran before that call ended");
        assertEquals("2", call(p));
    }

    @Test
    void aReturnedPromiseIsTheAnswerOnceSettled() {
        Program p = HostileScriptsTest.load("async.js", "function f() { return Promise.resolve(20).then(function (x) { return x + 22; }); }");
        assertEquals("42", call(p));
        assertEquals("p.js: f failed: the promise it returned was rejected: Error: nope", assertThrows(ScriptError.class,
                () -> call(HostileScriptsTest.load("p.js", "function f() { return Promise.reject(new Error('nope')); }"))).getMessage());
        String pending = assertThrows(ScriptError.class, () -> call(HostileScriptsTest.load("p.js", "function f() { return new Promise(function () {}); }")))
                .getMessage();
        assertTrue(pending.startsWith("p.js: f returned a promise still pending once its jobs had run"), pending);
    }

    @Test
    void aJobThatNeverEndsIsStoppedByItsCallsBudget() {
        Program p = HostileScriptsTest.load("loop.js", "function f() { Promise.resolve().then(function () { while (true) {} }); return 1; }");
        Budget.Exceeded e = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThrows(Budget.Exceeded.class, () -> call(p)));
        assertTrue(e.getMessage().startsWith("ran past its CPU budget"), e.getMessage());
        Program top = HostileScriptsTest.load("ok.js", "var ran = false; Promise.resolve().then(function () { ran = true; });\nfunction f() { return ran; }");
        assertEquals("true", call(top), "the top level's jobs run at its load");
    }

    @Test
    void aFailedCallLeavesNoJobForTheNext() {
        Program p = HostileScriptsTest.load("left.js", "var n = 0;\nfunction f(fail) { Promise.resolve().then(function () { n++; }); "
                + "if (fail) { throw new Error('failed'); } return n; }");
        assertThrows(ScriptError.class, () -> call(p, true));
        assertEquals("0", call(p, false), "the failed call's job did not run in this one");
        assertEquals("1", call(p, false));
    }

    @Test
    void rhinosContinuationsAreNotThere() {
        assertEquals("\"undefined\"", call(HostileScriptsTest.load("c.js", "function f() { return typeof Continuation; }")));
    }
}
