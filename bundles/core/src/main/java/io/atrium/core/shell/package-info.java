/** The {@code plugin:} Gogo commands: parse arguments, call a service, format a table. */
package io.atrium.core.shell;
