/** Why a plugin is not available: unresolved requirements, failed activators and components, in one sentence each. */
package io.atrium.core.diagnostics;
