package io.atrium.transport.nativelib.inprocess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Which in-process libraries had a call running when the server last died. Each loaded library has a
 * slot in a file mapped into memory: its plugin's name and digest, and a count of its calls in flight,
 * raised before a call and lowered after it. A write to the mapping is a memory write (a few ns, no
 * system call), and the kernel keeps the page when the process dies, however it dies: a fault in the
 * library's code, a Go or Rust abort, which leave no report of the JVM's. A server that stops normally
 * clears the file; one that finds counts in it at its start knows which plugins were being called.
 */
final class CallLedger implements AutoCloseable {
    private static final int SLOT = 512; // room for the longest plugin name a file system allows (255 bytes) and a digest
    private static final int SLOTS = 512;
    private static final int NAME = SLOT - Long.BYTES;
    private static final VarHandle COUNT = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /** A plugin whose library had calls running. */
    record InFlight(String plugin, String digest, long calls) {
    }

    private final Path file;
    private final FileChannel channel;
    private final MappedByteBuffer map;
    private int next;
    private final java.util.ArrayDeque<Integer> free = new java.util.ArrayDeque<>();

    /**
     * @param file the ledger; what it holds from the run before is returned by {@link #leftOver()}, then it is cleared
     */
    CallLedger(Path file) {
        this.file = file;
        try {
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            this.map = channel.map(FileChannel.MapMode.READ_WRITE, 0, (long) SLOT * SLOTS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the libraries that had calls in flight when the process that last wrote the ledger ended; the ledger is then empty */
    synchronized List<InFlight> leftOver() {
        List<InFlight> out = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            long calls = (long) COUNT.getVolatile(map, i * SLOT);
            byte[] name = new byte[NAME];
            map.get(i * SLOT + Long.BYTES, name);
            int end = 0;
            while (end < NAME && name[end] != 0) {
                end++;
            }
            String text = new String(name, 0, end, StandardCharsets.UTF_8);
            int space = text.indexOf(' ');
            if (calls > 0 && space > 0) {
                out.add(new InFlight(text.substring(0, space), text.substring(space + 1), calls));
            }
        }
        clear();
        return out;
    }

    private void clear() {
        for (int i = 0; i < SLOT * SLOTS; i += Long.BYTES) {
            COUNT.setVolatile(map, i, 0L);
        }
        next = 0;
        free.clear();
    }

    /** @return a slot for one loaded library, or -1 when all are taken (its calls are then not recorded) */
    synchronized int slot(String plugin, String digest) {
        Integer reused = free.poll();
        if (reused == null && next >= SLOTS) {
            return -1;
        }
        int s = reused != null ? reused : next++;
        byte[] name = (plugin + " " + digest).getBytes(StandardCharsets.UTF_8);
        byte[] padded = new byte[NAME];
        System.arraycopy(name, 0, padded, 0, Math.min(name.length, NAME - 1));
        map.put(s * SLOT + Long.BYTES, padded);
        COUNT.setVolatile(map, s * SLOT, 0L);
        return s;
    }

    /** The slot's library is unloaded: the slot is free for another. */
    synchronized void release(int slot) {
        if (slot >= 0) {
            map.put(slot * SLOT + Long.BYTES, new byte[NAME]);
            COUNT.setVolatile(map, slot * SLOT, 0L);
            free.push(slot);
        }
    }

    void enter(int slot) {
        if (slot >= 0) {
            COUNT.getAndAdd(map, slot * SLOT, 1L);
        }
    }

    void leave(int slot) {
        if (slot >= 0) {
            COUNT.getAndAdd(map, slot * SLOT, -1L);
        }
    }

    /** The server stops normally: nothing is left in flight. */
    @Override
    public synchronized void close() {
        clear();
        map.force();
        try {
            channel.close();
        } catch (IOException ignored) {
            // the mapping stays valid until collected
        }
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
