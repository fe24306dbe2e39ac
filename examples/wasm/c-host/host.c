/*
 * A plugin that calls a host function, as Extism's C PDK's host-functions example does: count_vowels
 * counts the input's vowels, hands {"count": N} to the host function hello_world (imported from
 * extism:host/user, provided by the host: under Atrium by a bundle's io.atrium.spi.HostFunction
 * service), and outputs what it returns. Freestanding, as ../c-abi: the PDK's helpers written out.
 * Build: see ../build-c.sh
 */
#include <stdint.h>

typedef uint64_t handle;

#define ENV(name) __attribute__((import_module("extism:host/env"), import_name(name)))
ENV("input_length") extern uint64_t input_length(void);
ENV("input_load_u8") extern uint32_t input_load_u8(uint64_t);
ENV("alloc") extern handle alloc(uint64_t);
ENV("length") extern uint64_t length(handle);
ENV("store_u8") extern void store_u8(handle, uint32_t);
ENV("output_set") extern void output_set(handle, uint64_t);

/* The C PDK's EXTISM_IMPORT_USER("hello_world"): a block of Extism memory in, one out. */
#define USER(name) __attribute__((import_module("extism:host/user"), import_name(name)))
USER("hello_world") extern handle hello_world(handle);

static handle alloc_buf(const char *from, uint64_t n) {
    handle h = alloc(n);
    for (uint64_t i = 0; i < n; i++) store_u8(h + i, (uint8_t) from[i]);
    return h;
}

static uint64_t put(char *to, const char *s) {
    uint64_t n = 0;
    for (; s[n]; n++) to[n] = s[n];
    return n;
}

static uint64_t decimal(char *to, uint64_t v) {
    char digits[20];
    uint64_t n = 0, at = 0;
    do { digits[n++] = (char) ('0' + v % 10); v /= 10; } while (v);
    while (n) to[at++] = digits[--n];
    return at;
}

__attribute__((export_name("count_vowels"))) int32_t count_vowels(void) {
    uint64_t count = 0, n = input_length();
    for (uint64_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t) input_load_u8(i);
        count += c == 'a' || c == 'A' || c == 'e' || c == 'E' || c == 'i' || c == 'I' || c == 'o' || c == 'O' || c == 'u' || c == 'U';
    }
    char out[64];
    uint64_t at = put(out, "{\"count\": ");
    at += decimal(out + at, count);
    out[at++] = '}';
    handle result = hello_world(alloc_buf(out, at));
    output_set(result, length(result));
    return 0;
}
