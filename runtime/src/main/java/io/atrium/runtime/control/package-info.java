/** The local control channel: a Unix domain socket in the data folder, usable only by its owner. */
package io.atrium.runtime.control;
