/*
 * The Greeter contract in C, freestanding (no libc), speaking Extism's ABI directly: the same plugin as
 * ../assemblyscript-greeter, JSON in (["World"]) and out ("Hello, World!"), config "greeting" read.
 * Build: clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -o greeter.wasm greeter.c (see ../build-c.sh)
 */
#include <stdint.h>

#define EXTISM(name) __attribute__((import_module("extism:host/env"), import_name(name)))
EXTISM("input_length") extern uint64_t input_length(void);
EXTISM("input_load_u8") extern uint32_t input_load_u8(uint64_t offset);
EXTISM("alloc") extern uint64_t alloc(uint64_t length);
EXTISM("length") extern uint64_t length(uint64_t offset);
EXTISM("load_u8") extern uint32_t load_u8(uint64_t offset);
EXTISM("store_u8") extern void store_u8(uint64_t offset, uint32_t value);
EXTISM("output_set") extern void output_set(uint64_t offset, uint64_t length);
EXTISM("config_get") extern uint64_t config_get(uint64_t key);

static uint8_t in[4096];
static uint8_t name[4096];
static uint8_t out[16384];

/* Copies bytes into a new block of Extism memory and returns its offset. */
static uint64_t to_extism(const uint8_t *bytes, uint32_t n) {
    uint64_t offset = alloc(n);
    for (uint32_t i = 0; i < n; i++) store_u8(offset + i, bytes[i]);
    return offset;
}

/* Appends the UTF-8 form of a code point below 0x10000. */
static uint32_t utf8(uint8_t *to, uint32_t at, uint32_t c) {
    if (c < 0x80) { to[at++] = (uint8_t) c; }
    else if (c < 0x800) { to[at++] = 0xC0 | (c >> 6); to[at++] = 0x80 | (c & 0x3F); }
    else { to[at++] = 0xE0 | (c >> 12); to[at++] = 0x80 | ((c >> 6) & 0x3F); to[at++] = 0x80 | (c & 0x3F); }
    return at;
}

static int hex(uint8_t c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
}

/* The first element of a JSON array of strings, unescaped into name[]; its length, or -1. */
static int32_t first_string(uint32_t n) {
    uint32_t i = 0, len = 0;
    while (i < n && in[i] == ' ') i++;
    if (i >= n || in[i] != '[') return -1;
    while (i < n && in[i] != '"') i++;
    for (i++; i < n; i++) {
        uint8_t c = in[i];
        if (c == '"') return (int32_t) len;
        if (c != '\\') { name[len++] = c; continue; }
        if (++i >= n) return -1;
        switch (in[i]) {
            case 'n': name[len++] = '\n'; break;
            case 't': name[len++] = '\t'; break;
            case 'r': name[len++] = '\r'; break;
            case 'u':
                if (i + 4 >= n) return -1;
                len = utf8(name, len, (hex(in[i + 1]) << 12) | (hex(in[i + 2]) << 8) | (hex(in[i + 3]) << 4) | hex(in[i + 4]));
                i += 4;
                break;
            default: name[len++] = in[i];
        }
    }
    return -1;
}

static uint32_t append(uint32_t at, const uint8_t *s, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) out[at++] = s[i];
    return at;
}

/* Appends text as the inside of a JSON string: quotes, backslashes and control characters escaped. */
static uint32_t append_escaped(uint32_t at, const uint8_t *s, uint32_t n) {
    static const char digits[] = "0123456789abcdef";
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') { out[at++] = '\\'; out[at++] = c; }
        else if (c < 0x20) { out[at++] = '\\'; out[at++] = 'u'; out[at++] = '0'; out[at++] = '0'; out[at++] = digits[c >> 4]; out[at++] = digits[c & 15]; }
        else out[at++] = c;
    }
    return at;
}

__attribute__((export_name("greet"))) int32_t greet(void) {
    uint64_t n = input_length();
    if (n > sizeof in) return 1;
    for (uint32_t i = 0; i < n; i++) in[i] = (uint8_t) input_load_u8(i);
    int32_t len = first_string((uint32_t) n);
    uint32_t at = 0;
    if (len < 0) {
        at = append(0, (const uint8_t *) "\"greet takes one string\"", 24);
        output_set(to_extism(out, at), at);
        return 1;
    }
    static const uint8_t key[] = "greeting";
    uint64_t value = config_get(to_extism(key, sizeof key - 1));
    uint8_t greeting[256];
    uint32_t glen = 0;
    if (value == 0) {
        glen = 5;
        for (uint32_t i = 0; i < glen; i++) greeting[i] = (uint8_t) "Hello"[i];
    } else {
        glen = (uint32_t) length(value);
        if (glen > sizeof greeting) glen = sizeof greeting;
        for (uint32_t i = 0; i < glen; i++) greeting[i] = (uint8_t) load_u8(value + i);
    }
    out[at++] = '"';
    at = append_escaped(at, greeting, glen);
    at = append(at, (const uint8_t *) ", ", 2);
    at = append_escaped(at, name, (uint32_t) len);
    at = append(at, (const uint8_t *) "!\"", 2);
    output_set(to_extism(out, at), at);
    return 0;
}
