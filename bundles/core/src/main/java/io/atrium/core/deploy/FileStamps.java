package io.atrium.core.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the scanner looks at to tell that a file of the plugin folder changed, and which files it never looks at. */
final class FileStamps {
    private FileStamps() {
    }

    /** Files a deployer must never touch: hidden files, editors' and copiers' temporary files. */
    static boolean ignoredName(String name) {
        return name.startsWith(".") || name.endsWith(".part") || name.endsWith(".tmp") || name.endsWith(".swp")
                || name.endsWith("~") || name.endsWith(".crdownload");
    }

    static String stamp(Path p) {
        try {
            return stamp(Files.readAttributes(p, BasicFileAttributes.class));
        } catch (IOException e) {
            return "gone";
        }
    }

    /**
     * What says a file changed: its size, its modification time to the nanosecond, and its inode (a file
     * renamed over another is a new inode, even when size and time happen to be equal).
     */
    static String stamp(BasicFileAttributes a) {
        return a.size() + ":" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + ":" + a.fileKey();
    }

    static String stamps(List<Path> paths) {
        if (paths.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Path w : paths) {
            sb.append(stamp(w)).append(';');
        }
        return sb.toString();
    }

}
