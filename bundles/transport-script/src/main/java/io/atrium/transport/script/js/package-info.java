/** JavaScript plugins on Rhino: the sandboxed scope, the budget's instruction observer, values and errors across the edge. */
package io.atrium.transport.script.js;
