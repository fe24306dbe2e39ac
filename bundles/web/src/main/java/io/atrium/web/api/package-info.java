/** The JSON API over HTTP: plugins, their numbers, calls, reload, stop and start. */
package io.atrium.web.api;
