/** The host side of a process plugin: launching it, talking to it, supervising it, and the proxy consumers call. */
package io.atrium.transport.process.host;
