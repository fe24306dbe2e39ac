/** The web console: static HTML and JavaScript over the JSON API. */
package io.atrium.web.console;
