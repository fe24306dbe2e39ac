/** The instrumentation point every plugin call passes: facades report calls to the call observers. */
package io.atrium.core.calls;
