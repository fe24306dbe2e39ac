/** Secret configuration properties kept out of Config Admin: held owner-only, handed to the components that need them. */
package io.atrium.core.secrets;
