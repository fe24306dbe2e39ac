package io.atrium.runtime;

/**
 * What a shell command printed and whether it succeeded.
 *
 * @param status 0 on success, 1 when the command failed or is unknown
 * @param output everything the command printed and returned, formatted as the console shows it
 */
public record CommandResult(int status, String output) {
    /** @return true when the command succeeded */
    public boolean ok() {
        return status == 0;
    }
}
