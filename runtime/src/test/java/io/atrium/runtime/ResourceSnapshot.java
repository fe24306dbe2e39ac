package io.atrium.runtime;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What this JVM holds that a leak would grow: threads (by name, digits folded so "atrium-plugin-x-4711"
 * and "-4712" are one kind), open file descriptors, child processes, heap after a full GC. Taken once
 * before a series of cycles and again after, and compared.
 */
record ResourceSnapshot(Map<String, Long> threads, List<String> fds, List<String> children, long heapAfterGc, int classes) {
    private static final Path FD = Path.of("/proc/self/fd");

    static ResourceSnapshot take() {
        long heap = measureHeapAfterGc();
        Map<String, Long> threads = Thread.getAllStackTraces().keySet().stream()
                .collect(Collectors.groupingBy(t -> kind(t.getName()), TreeMap::new, Collectors.counting()));
        return new ResourceSnapshot(threads, openDescriptors(), liveChildren(), heap,
                ManagementFactory.getClassLoadingMXBean().getLoadedClassCount());
    }

    /** The processes alive below this one, each as its pid and command line. */
    static List<String> liveChildren() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList();
    }

    /** A thread's name with its numbers folded: pool and pid suffixes differ between otherwise equal threads. */
    static String kind(String threadName) {
        return threadName.replaceAll("\\d+", "N");
    }

    long threadCount() {
        return threads.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Atrium's threads of a kind that grew by more than one since {@code before}, each named. One more is a
     * pool's on-demand thread (a cached pool runs a launch and a retirement at once); a leak grows with the cycles.
     */
    List<String> moreAtriumThreadsThan(ResourceSnapshot before) {
        List<String> more = new ArrayList<>();
        threads.forEach((kind, n) -> {
            // a transport kit's work pool (atrium-ID-work) is a cached pool: its idle threads linger 60 s
            long allowed = kind.matches("atrium-[a-z0-9-]+-work") ? 4 : 1;
            if (kind.startsWith("atrium") && n > before.threads.getOrDefault(kind, 0L) + allowed) {
                more.add(kind + ": " + before.threads.getOrDefault(kind, 0L) + " -> " + n);
            }
        });
        return more;
    }

    /** Every open descriptor with what it points to, so a leaked one names its file or pipe. */
    static List<String> openDescriptors() {
        List<String> out = new ArrayList<>();
        try (var dir = Files.list(FD)) {
            for (Path fd : (Iterable<Path>) dir::iterator) {
                try {
                    out.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
                } catch (IOException closedMeanwhile) {
                    // the descriptor of the listing itself, or one closed while listed
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + FD, e);
        }
        return out;
    }

    /** Heap in use after full collections, the smallest of three (a concurrent allocation can add to one). */
    static long measureHeapAfterGc() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            min = Math.min(min, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return min;
    }

    /**
     * Collects until every reference is cleared, a bounded number of times (a soft- or finalizer-held
     * object needs more than one collection).
     *
     * @return the descriptions of the references still set, empty when all cleared
     */
    static <T> List<String> uncollected(List<WeakReference<T>> refs, Function<Integer, String> describe) {
        // up to 10 s: what is still in use retires in the background (an old process once its calls are done
        // and it has exited), which takes longer on a loaded machine; a leak stays reachable however long one waits
        for (int round = 0; round < 200; round++) {
            if (refs.stream().allMatch(r -> r.get() == null)) {
                return List.of();
            }
            System.gc();
            try {
                Thread.sleep(50); // reference processing and cleaner threads run after the collection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<String> left = new ArrayList<>();
        for (int i = 0; i < refs.size(); i++) {
            if (refs.get(i).get() != null) {
                left.add(describe.apply(i));
            }
        }
        return left;
    }
}
