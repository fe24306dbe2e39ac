package io.atrium.transport.nativelib.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the transport must know of a shared library before the dynamic linker sees it: that it is an ELF
 * shared object for this machine, and whether it carries a Go runtime (Go's c-shared libraries have a
 * {@code .go.buildinfo} section). Read from the library's bytes, so a file that is none is refused in
 * one line rather than by the linker's message.
 *
 * @param machine  the ELF machine's name, e.g. {@code x86-64}
 * @param sections the section names
 */
public record ElfFile(String machine, List<String> sections) {
    private static final int ET_DYN = 3;

    /** @return whether the library holds a Go runtime (built with {@code go build -buildmode=c-shared}) */
    public boolean isGo() {
        return sections.contains(".go.buildinfo") || sections.contains(".note.go.buildid");
    }

    /** @return the ELF machine name of the JVM this runs on, e.g. {@code x86-64}, or the JVM's own os.arch if unknown */
    public static String hostMachine() {
        return switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86-64";
            case "aarch64", "arm64" -> "aarch64";
            case "x86", "i386", "i686" -> "i386";
            case "arm" -> "arm";
            case "riscv64" -> "riscv";
            default -> System.getProperty("os.arch");
        };
    }

    private static String machine(int e) {
        return switch (e) {
            case 3 -> "i386";
            case 40 -> "arm";
            case 62 -> "x86-64";
            case 183 -> "aarch64";
            case 243 -> "riscv";
            case 8 -> "mips";
            case 20 -> "powerpc";
            case 21 -> "powerpc64";
            case 22 -> "s390";
            default -> "machine " + e;
        };
    }

    /**
     * @param bytes the whole file
     * @return the library's description
     * @throws IllegalArgumentException one line: not an ELF file, not a shared library, or for another machine
     */
    public static ElfFile read(byte[] bytes) {
        if (bytes.length < 64 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F') {
            throw new IllegalArgumentException("is not a shared library: not an ELF file" + (bytes.length == 0 ? " (it is empty)" : ""));
        }
        int cls = bytes[4];
        int data = bytes[5];
        if (data != 1 && data != 2) {
            throw new IllegalArgumentException("is not a shared library: a damaged ELF header (byte order " + data + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(data == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int type = Short.toUnsignedInt(b.getShort(16));
        String machine = machine(Short.toUnsignedInt(b.getShort(18)));
        String host = hostMachine();
        if (cls != 2) {
            throw new IllegalArgumentException("is a " + (cls == 1 ? "32-bit" : "damaged") + " ELF file for " + machine
                    + "; this server runs on 64-bit " + host);
        }
        if (!machine.equals(host)) {
            throw new IllegalArgumentException("is an ELF file for " + machine + "; this server runs on " + host);
        }
        if (type != ET_DYN) {
            throw new IllegalArgumentException("is not a shared library: an ELF " + (type == 2 ? "executable" : type == 1 ? "object file"
                    : "file of type " + type) + " (build it with -shared, -buildmode=c-shared or crate-type cdylib)");
        }
        return new ElfFile(machine, sections(b, bytes.length));
    }

    /** The section names; none when the table is missing or damaged (the dynamic linker judges the rest). */
    private static List<String> sections(ByteBuffer b, int length) {
        try {
            return readSections(b, length);
        } catch (IndexOutOfBoundsException | ArithmeticException damaged) {
            return List.of(); // offsets past the file or that overflow: a damaged table
        }
    }

    private static List<String> readSections(ByteBuffer b, int length) {
        List<String> names = new ArrayList<>();
        long shoff = b.getLong(0x28);
        int entry = Short.toUnsignedInt(b.getShort(0x3A));
        int count = Short.toUnsignedInt(b.getShort(0x3C));
        int strIndex = Short.toUnsignedInt(b.getShort(0x3E));
        if (shoff <= 0 || entry < 64 || count == 0 || strIndex >= count || shoff > length || (long) entry * count > length - shoff) {
            return names;
        }
        long strOff = b.getLong((int) (shoff + (long) entry * strIndex) + 0x18);
        long strSize = b.getLong((int) (shoff + (long) entry * strIndex) + 0x20);
        if (strOff < 0 || strSize < 0 || strOff > length || strSize > length - strOff) {
            return names;
        }
        for (int i = 0; i < count; i++) {
            int name = b.getInt((int) (shoff + (long) entry * i));
            if (name < 0 || name >= strSize) {
                continue;
            }
            int start = (int) (strOff + name);
            int end = start;
            while (end < strOff + strSize && b.get(end) != 0) {
                end++;
            }
            byte[] n = new byte[end - start];
            b.get(start, n);
            names.add(new String(n, StandardCharsets.ISO_8859_1));
        }
        return names;
    }
}
