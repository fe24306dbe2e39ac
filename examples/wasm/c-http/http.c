/*
 * Fetches a URL through the host (Extism's http_request), for the sandbox tests: input the URL, output
 * the response body. The host answers only for hosts the manifest's allowedHosts grants.
 * Freestanding C, the ABI declared by hand. Build: ../build-c.sh
 */
#include <stdint.h>

#define EXTISM(name) __attribute__((import_module("extism:host/env"), import_name(name)))
EXTISM("input_length") extern uint64_t input_length(void);
EXTISM("input_load_u8") extern uint32_t input_load_u8(uint64_t offset);
EXTISM("alloc") extern uint64_t alloc(uint64_t length);
EXTISM("length") extern uint64_t length(uint64_t offset);
EXTISM("store_u8") extern void store_u8(uint64_t offset, uint32_t value);
EXTISM("output_set") extern void output_set(uint64_t offset, uint64_t length);
EXTISM("http_request") extern uint64_t http_request(uint64_t request, uint64_t body);
EXTISM("http_status_code") extern int32_t http_status_code(void);

static uint8_t request[2048];

static uint32_t put(uint32_t at, const char *s) {
    while (*s) request[at++] = (uint8_t) *s++;
    return at;
}

__attribute__((export_name("fetch"))) int32_t fetch(void) {
    uint32_t n = (uint32_t) input_length();
    if (n > 1900) return 1;
    uint32_t at = put(0, "{\"method\":\"GET\",\"url\":\"");
    for (uint32_t i = 0; i < n; i++) request[at++] = (uint8_t) input_load_u8(i); /* a URL needs no JSON escapes */
    at = put(at, "\"}");
    uint64_t req = alloc(at);
    for (uint32_t i = 0; i < at; i++) store_u8(req + i, request[i]);
    uint64_t body = http_request(req, 0);
    if (http_status_code() != 200 || body == 0) return 2;
    output_set(body, length(body));
    return 0;
}
