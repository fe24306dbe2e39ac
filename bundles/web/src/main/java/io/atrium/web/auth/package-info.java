/** The token mutating HTTP requests must carry. */
package io.atrium.web.auth;
