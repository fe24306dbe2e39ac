/** What every script engine offers the transport: loading a script, calling its functions under a budget, its errors. */
package io.atrium.transport.script.engine;
