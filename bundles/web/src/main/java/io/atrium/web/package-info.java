/** Atrium's web bundle: the HTTP API and the web console, on the OSGi servlet whiteboard. */
package io.atrium.web;
