package io.atrium.transport.support.launch;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a launch needs of a plugin's manifest, whatever the transport that speaks to the process (Atrium's
 * protocol on stdio, go-plugin's gRPC): what to run, from where, with what, under which caps.
 */
public interface Launchable {
    /** @return the plugin's name, which names its verified copies and its log lines */
    String name();

    /** @return the folder the manifest is in: the working directory, and what relative paths are relative to */
    Path folder();

    /** @return the program and its arguments, as the manifest gives them */
    List<String> command();

    /** @return variables the manifest sets */
    Map<String, String> env();

    /** @return names of the host's variables the manifest passes on (beyond {@link Launcher#ALLOWED_ENV}) */
    List<String> inheritEnv();

    /** @return the files the manifest pins, each with its SHA-256 (hex): run from a verified copy */
    Map<Path, String> pins();

    /** @return the cap on the process's data segment in MiB ({@code RLIMIT_DATA}), 0 for none */
    long memoryMb();

    /** @return the cap on its CPU time in seconds ({@code RLIMIT_CPU}), 0 for none */
    long cpuSeconds();

    /**
     * The files this plugin is made of, besides the manifest: the executable when it is given as a path,
     * and every argument naming a file in the manifest's folder (a script). A change to one reloads it.
     */
    default List<Path> files() {
        List<Path> files = new ArrayList<>();
        List<String> command = command();
        for (int i = 0; i < command.size(); i++) {
            String arg = command.get(i);
            if (i == 0 && !arg.contains("/")) {
                continue; // looked up on the PATH: not the plugin's own file
            }
            if (arg.startsWith("-") || arg.isEmpty()) {
                continue;
            }
            try {
                Path p = folder().resolve(arg).normalize();
                if (i == 0 || Files.isRegularFile(p)) {
                    files.add(p);
                }
            } catch (InvalidPathException ignored) {
                // an argument that is no path
            }
        }
        return files;
    }
}
