/** How the runtime assembles a framework: base bundles, system packages, command execution. Not API. */
package io.atrium.runtime.internal;
