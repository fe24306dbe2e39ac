package io.atrium.core.deploy;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The deployer's thread: what it runs periodically keeps running whatever one run throws. */
class WorkerTest {
    private final Worker worker = new Worker();

    @AfterEach
    void stop() {
        worker.stop();
    }

    @Test
    void aPeriodicTaskThatThrowsOnceRunsAgain() {
        AtomicInteger runs = new AtomicInteger();
        worker.every(() -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("an entry that went while the folder was listed");
            }
        }, 10);
        await().atMost(Duration.ofSeconds(30)).until(() -> runs.get() >= 3);
    }
}
