/** What every HTTP request passes first: the Host check, the refused methods, the security headers, errors as JSON. */
package io.atrium.web.guard;
