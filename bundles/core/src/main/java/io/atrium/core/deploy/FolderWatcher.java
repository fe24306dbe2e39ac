package io.atrium.core.deploy;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Turns the operating system's file events for the plugin folder (inotify on Linux) into calls:
 * a file name that changed, or "look at everything" when events were lost.
 */
final class FolderWatcher implements Closeable {
    private static final Logger LOG = Logger.getLogger("io.atrium.core.deploy");

    private final WatchService service;
    private final Thread thread;

    FolderWatcher(Path dir, Consumer<String> changed, Runnable lost) throws IOException {
        service = dir.getFileSystem().newWatchService();
        dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
        thread = new Thread(() -> loop(changed, lost), "atrium-folder-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(Consumer<String> changed, Runnable lost) {
        try {
            while (true) {
                WatchKey key = service.take();
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        lost.run();
                    } else {
                        changed.accept(event.context().toString());
                    }
                }
                if (!key.reset()) {
                    LOG.severe("the plugin folder is no longer watched (was it deleted?); rescans continue");
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        service.close();
        thread.interrupt();
    }
}
