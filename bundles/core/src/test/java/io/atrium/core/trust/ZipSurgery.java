package io.atrium.core.trust;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Hand-made zip structure, as an attacker writes it: an entry appended to a finished jar, either where
 * a reader going entry by entry reaches it or hidden from it (behind bytes that are no local header),
 * listed in the central directory either way.
 */
public final class ZipSurgery {
    private ZipSurgery() {
    }

    /**
     * @param jar    a zip without a comment
     * @param name   the new entry's name (stored, not deflated)
     * @param data   its bytes
     * @param hidden whether to put bytes that are no local header before it, where JarInputStream stops
     * @return the zip with the entry added after the others and to the end of the central directory
     */
    public static byte[] append(byte[] jar, String name, byte[] data, boolean hidden) {
        ByteBuffer in = ByteBuffer.wrap(jar).order(ByteOrder.LITTLE_ENDIAN);
        int end = jar.length - 22;
        if (in.getInt(end) != 0x06054b50) {
            throw new IllegalArgumentException("no end of central directory where a zip without a comment has it");
        }
        int count = Short.toUnsignedInt(in.getShort(end + 10));
        int centralSize = in.getInt(end + 12);
        int centralStart = in.getInt(end + 16);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jar, 0, centralStart);
        if (hidden) {
            out.writeBytes("HIDE".getBytes(StandardCharsets.US_ASCII));
        }
        int offset = out.size();
        ByteBuffer local = ByteBuffer.allocate(30).order(ByteOrder.LITTLE_ENDIAN);
        local.putInt(0x04034b50).putShort((short) 10).putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0x21)
                .putInt((int) crc.getValue()).putInt(data.length).putInt(data.length).putShort((short) n.length).putShort((short) 0);
        out.writeBytes(local.array());
        out.writeBytes(n);
        out.writeBytes(data);
        int newCentralStart = out.size();
        out.write(jar, centralStart, centralSize);
        ByteBuffer central = ByteBuffer.allocate(46).order(ByteOrder.LITTLE_ENDIAN);
        central.putInt(0x02014b50).putShort((short) 20).putShort((short) 10).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0x21).putInt((int) crc.getValue()).putInt(data.length).putInt(data.length).putShort((short) n.length)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(offset);
        out.writeBytes(central.array());
        out.writeBytes(n);
        ByteBuffer eocd = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
        eocd.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) (count + 1)).putShort((short) (count + 1))
                .putInt(centralSize + 46 + n.length).putInt(newCentralStart).putShort((short) 0);
        out.writeBytes(eocd.array());
        return out.toByteArray();
    }
}
