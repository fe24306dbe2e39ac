package io.atrium.transport.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.atrium.transport.nativelib.elf.ElfFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What is read of a library before the dynamic linker sees it, on this machine's own files. */
class ElfFileTest {
    private static String refusal(byte[] bytes) {
        return assertThrows(IllegalArgumentException.class, () -> ElfFile.read(bytes)).getMessage();
    }

    /** The JVM's own libjava.so: a shared library for this machine, with no Go runtime. */
    @Test
    void theJvmsOwnLibraryIsASharedLibraryForThisMachine() throws Exception {
        Path lib = Path.of(System.getProperty("java.home"), "lib", "libjava.so");
        ElfFile elf = ElfFile.read(Files.readAllBytes(lib));
        assertEquals(ElfFile.hostMachine(), elf.machine());
        assertTrue(elf.sections().contains(".dynsym"), elf.sections().toString());
        assertFalse(elf.isGo());
    }

    @Test
    void whatIsNoSharedLibraryForThisMachineIsSaidInOneLine() throws Exception {
        assertEquals("is not a shared library: not an ELF file (it is empty)", refusal(new byte[0]));
        assertEquals("is not a shared library: not an ELF file", refusal("#!/bin/sh\necho hello\n".repeat(8).getBytes()));
        byte[] lib = Files.readAllBytes(Path.of(System.getProperty("java.home"), "lib", "libjava.so"));
        byte[] arm = lib.clone();
        arm[18] = (byte) 183;
        arm[19] = 0;
        assertEquals("is an ELF file for aarch64; this server runs on " + ElfFile.hostMachine(), refusal(arm));
        byte[] thirtyTwo = lib.clone();
        thirtyTwo[4] = 1;
        assertTrue(refusal(thirtyTwo).startsWith("is a 32-bit ELF file for"), refusal(thirtyTwo));
        byte[] object = lib.clone();
        object[16] = 1;
        object[17] = 0;
        assertTrue(refusal(object).startsWith("is not a shared library: an ELF object file"), refusal(object));
        byte[] damaged = lib.clone();
        damaged[0x28] = (byte) 0xff; // the section table's offset, far past the end: no sections, not a crash
        damaged[0x2f] = (byte) 0x7f;
        assertEquals(java.util.List.of(), ElfFile.read(damaged).sections());
        // the section names' table at an offset that overflows: no sections, not an IndexOutOfBoundsException
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(lib.clone()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long shoff = b.getLong(0x28);
        int entry = Short.toUnsignedInt(b.getShort(0x3A));
        int strIndex = Short.toUnsignedInt(b.getShort(0x3E));
        b.putLong((int) (shoff + (long) entry * strIndex) + 0x18, Long.MAX_VALUE);
        assertEquals(java.util.List.of(), ElfFile.read(b.array()).sections());
        b.putLong(0x28, Long.MAX_VALUE - 8);
        assertEquals(java.util.List.of(), ElfFile.read(b.array()).sections());
    }
}
