/** Reading JSON plugin manifests strictly, field by field, with one-line errors. Embedded, not exported. */
package io.atrium.manifest;
