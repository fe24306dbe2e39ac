/** What is read of a shared library before the dynamic linker sees it: ELF header and sections. */
package io.atrium.transport.nativelib.elf;
