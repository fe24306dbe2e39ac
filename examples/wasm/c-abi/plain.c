/*
 * A module that imports nothing from Extism's ABI, like the C PDK's infinite-loop example: plain exports
 * are valid Extism functions, one that returns nothing and one that returns a status.
 * Build: see ../build-c.sh
 */
#include <stdint.h>

static volatile uint32_t ticks;

__attribute__((export_name("nothing"))) void nothing(void) {
    ticks += 1;
}

__attribute__((export_name("infinite_loop"))) int32_t infinite_loop(void) {
    while (1) ticks += 1;
    return 0;
}
