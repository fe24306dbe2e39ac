/** The {@code bin/atrium} command line: server, console, one-shot commands, client mode. */
package io.atrium.runtime.launcher;
