/*
 * Extism's host functions called the way Extism's C PDK (extism-pdk.h) calls them, for the referee test
 * (runtime's WasmAbiIT) that runs these exports under Atrium and under Extism's JavaScript host and
 * requires the same answers. Freestanding: the PDK's helpers are written out below, after the PDK's
 * semantics (the input read through input_offset and length_unsafe, 8-byte chunks then single bytes).
 * The first exports are the C PDK README's examples: greet, greet_checked (its error branch),
 * config_user, count (variables), log_stuff, globals, allocations, count_vowels; probe reports
 * the kernel's answers to edge cases.
 * Build: see ../build-c.sh
 */
#include <stdint.h>

typedef uint64_t handle;

#define ENV(name) __attribute__((import_module("extism:host/env"), import_name(name)))
ENV("input_length") extern uint64_t input_length(void);
ENV("input_offset") extern handle input_offset(void);
ENV("input_load_u8") extern uint32_t input_load_u8(uint64_t);
ENV("input_load_u64") extern uint64_t input_load_u64(uint64_t);
ENV("alloc") extern handle alloc(uint64_t);
ENV("free") extern void free_block(handle);
ENV("length") extern uint64_t length(handle);
ENV("length_unsafe") extern uint64_t length_unsafe(handle);
ENV("load_u8") extern uint32_t load_u8(handle);
ENV("load_u64") extern uint64_t load_u64(handle);
ENV("store_u8") extern void store_u8(handle, uint32_t);
ENV("store_u64") extern void store_u64(handle, uint64_t);
ENV("output_set") extern void output_set(handle, uint64_t);
ENV("error_set") extern void error_set(handle);
ENV("config_get") extern handle config_get(handle);
ENV("var_get") extern handle var_get(handle);
ENV("var_set") extern void var_set(handle, handle);
ENV("log_info") extern void log_info(handle);
ENV("log_debug") extern void log_debug(handle);
ENV("log_warn") extern void log_warn(handle);
ENV("log_error") extern void log_error(handle);

/* The PDK's loads and stores: 8-byte chunks, then the rest byte by byte. */
static void load(handle from, void *to, uint64_t n) {
    uint64_t *words = to;
    for (uint64_t i = 0; i < n >> 3; i++) words[i] = load_u64(from + (i << 3));
    for (uint64_t i = n & ~7ull; i < n; i++) ((uint8_t *) to)[i] = (uint8_t) load_u8(from + i);
}

static void store(handle to, const void *from, uint64_t n) {
    const uint64_t *words = from;
    for (uint64_t i = 0; i < n >> 3; i++) store_u64(to + (i << 3), words[i]);
    for (uint64_t i = n & ~7ull; i < n; i++) store_u8(to + i, ((const uint8_t *) from)[i]);
}

/* extism_load_input: checked against the length of the input's block. */
static int load_input(uint64_t at, void *to, uint64_t n) {
    handle in = input_offset();
    if (at + n > length_unsafe(in)) return 0;
    load(in + at, to, n);
    return 1;
}

static uint64_t size(const char *s) {
    uint64_t n = 0;
    while (s[n]) n++;
    return n;
}

static handle alloc_buf(const void *from, uint64_t n) {
    handle h = alloc(n);
    store(h, from, n);
    return h;
}

static void output_buf(const void *from, uint64_t n) {
    output_set(alloc_buf(from, n), n);
}

/* Copies a string's bytes to a buffer; the count copied. */
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

static uint8_t in[4096];
static const char Greeting[] = "Hello, ";

/* "Hello, " and the input, as the README's first example. */
__attribute__((export_name("greet"))) int32_t greet(void) {
    uint64_t n = input_length();
    if (n > sizeof in) n = sizeof in;
    load_input(0, in, n);
    uint64_t g = sizeof Greeting - 1;
    handle out = alloc(g + n);
    store(out, Greeting, g);
    store(out + g, in, n);
    output_set(out, g + n);
    return 0;
}

static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The README's error branch: Benjamin is never greeted. */
__attribute__((export_name("greet_checked"))) int32_t greet_checked(void) {
    uint64_t n = input_length();
    if (n > sizeof in - 1) n = sizeof in - 1;
    load_input(0, in, n);
    in[n] = 0;
    const char *b = "benjamin";
    int same = n == 8;
    for (int i = 0; same && i < 8; i++) same = lower(in[i]) == b[i];
    if (same) {
        error_set(alloc_buf("ERROR", 5));
        return -1;
    }
    return greet();
}

/* The README's config example: "Hello, " and config "user". */
__attribute__((export_name("config_user"))) int32_t config_user(void) {
    handle key = alloc_buf("user", 4);
    handle value = config_get(key);
    free_block(key);
    if (value == 0) {
        error_set(alloc_buf("Invalid key", 11));
        return -1;
    }
    static uint8_t v[4096];
    uint64_t n = length_unsafe(value);
    if (n > sizeof v) n = sizeof v;
    load(value, v, n);
    uint64_t g = sizeof Greeting - 1;
    handle out = alloc(g + n);
    store(out, Greeting, g);
    store(out + g, v, n);
    output_set(out, g + n);
    return 0;
}

/*
 * The README's variables example, answering the count. Unlike the README it does not free the value
 * block after var_set: Extism's kernel copies the value, but Extism's JavaScript host 1.0.3 keeps the
 * block itself, so freeing it there loses the variable.
 */
__attribute__((export_name("count"))) int32_t count(void) {
    handle key = alloc_buf("count", 5);
    handle value = var_get(key);
    uint64_t c = 0;
    if (value != 0) load(value, &c, sizeof c);
    c += 1;
    if (value == 0) value = alloc(sizeof c);
    store(value, &c, sizeof c);
    var_set(key, value);
    free_block(key);
    char text[20];
    output_buf(text, decimal(text, c));
    return 0;
}

/* The input's bytes as a variable named by config "key" (UTF-8), read back: lengths are in bytes. */
__attribute__((export_name("var_roundtrip"))) int32_t var_roundtrip(void) {
    handle name = config_get(alloc_buf("key", 3));
    if (name == 0) return 1;
    uint64_t n = input_length();
    if (n > sizeof in) n = sizeof in;
    load_input(0, in, n);
    var_set(name, alloc_buf(in, n));
    handle back = var_get(name);
    uint64_t m = length(back);
    load(back, in, m);
    var_set(name, 0); /* removed */
    if (var_get(name) != 0) return 2;
    char text[48];
    uint64_t at = decimal(text, m);
    text[at++] = ' ';
    at += decimal(text + at, length(name));
    text[at++] = ' ';
    handle out = alloc(at + m);
    store(out, text, at);
    store(out + at, in, m);
    output_set(out, at + m);
    return 0;
}

/* The README's logging example (no output). */
__attribute__((export_name("log_stuff"))) int32_t log_stuff(void) {
    handle msg = alloc_buf("Hello!", 6);
    log_info(msg);
    log_debug(msg);
    log_warn(msg);
    log_error(msg);
    handle again = alloc_buf("Hello!", 6); /* extism_log: alloc, store, log, free */
    log_info(again);
    free_block(again);
    return 0;
}

static uint64_t calls = 0;

/* The C PDK's globals example: a counter in linear memory. */
__attribute__((export_name("globals"))) int32_t globals(void) {
    char out[64];
    uint64_t at = put(out, "{\"count\": ");
    at += decimal(out + at, calls);
    out[at++] = '}';
    output_buf(out, at);
    calls += 1;
    return 0;
}

/* The C PDK's allocations example: 10,000 blocks, a third of them freed (no output). */
__attribute__((export_name("allocations"))) int32_t allocations(void) {
    for (int i = 0; i < 10000; i++) {
        handle h = alloc(i + 10);
        if (i % 3 == 0) free_block(h);
    }
    return 0;
}

/* The C PDK's count-vowels example: input_load_u8 byte by byte. */
__attribute__((export_name("count_vowels"))) int32_t count_vowels(void) {
    uint64_t c = 0, n = input_length();
    for (uint64_t i = 0; i < n; i++) {
        uint8_t ch = (uint8_t) input_load_u8(i);
        c += (ch == 'A') + (ch == 'a') + (ch == 'E') + (ch == 'e') + (ch == 'I') + (ch == 'i') + (ch == 'O') + (ch == 'o')
             + (ch == 'U') + (ch == 'u');
    }
    char out[64];
    uint64_t at = put(out, "{\"count\": ");
    at += decimal(out + at, c);
    out[at++] = '}';
    output_buf(out, at);
    return 0;
}

/* The input read with input_load_u64 in 8-byte chunks, then input_load_u8 (as the AssemblyScript PDK does), echoed. */
__attribute__((export_name("echo_u64"))) int32_t echo_u64(void) {
    uint64_t n = input_length();
    if (n > sizeof in) n = sizeof in;
    for (uint64_t i = 0; i < n >> 3; i++) ((uint64_t *) in)[i] = input_load_u64(i << 3);
    for (uint64_t i = n & ~7ull; i < n; i++) in[i] = (uint8_t) input_load_u8(i);
    output_buf(in, n);
    return 0;
}

static char report[512];
static uint64_t at;

static void fact(const char *name, uint64_t v) {
    uint64_t n = size(name);
    if (at > 1) report[at++] = ',';
    report[at++] = '"';
    for (uint64_t i = 0; i < n; i++) report[at++] = name[i];
    report[at++] = '"';
    report[at++] = ':';
    at += decimal(report + at, v);
}

/*
 * The kernel's answers to edge cases, as JSON: where the input is, what length says of blocks, of
 * freed blocks and of offsets that are no block, what a missing config key or variable gives.
 */
__attribute__((export_name("probe"))) int32_t probe(void) {
    at = 0;
    report[at++] = '{';
    handle input = input_offset();
    fact("input_length", input_length());
    fact("input_offset_is_0", input == 0);
    fact("length_of_input", input == 0 ? 0 : length(input));
    fact("length_unsafe_of_input", input == 0 ? 0 : length_unsafe(input));
    uint8_t first = 0;
    fact("load_input_ok", load_input(0, &first, input_length() ? 1 : 0));
    fact("first_input_byte", first);
    /* (with no input, Extism's JavaScript host gives offset 0 a length of 1: its reserved null block) */
    fact("load_input_past_end", input == 0 ? 0 : load_input(input_length(), &first, 1));
    handle a = alloc(5);
    fact("length_of_a_block", length(a));
    fact("length_unsafe_of_a_block", length_unsafe(a));
    store_u64(alloc(8), 7);
    handle w = alloc(8);
    store_u64(w, 0x0102030405060708ull);
    fact("load_u64", load_u64(w) == 0x0102030405060708ull);
    fact("load_u8_of_u64", load_u8(w + 1));
    free_block(a);
    fact("length_of_a_freed_block", length(a));
    fact("length_of_no_block", length(0x7fff000000000000ull));
    fact("config_missing", config_get(alloc_buf("missing", 7)));
    fact("var_missing", var_get(alloc_buf("missing", 7)));
    handle v = config_get(alloc_buf("unicode", 7));
    fact("config_unicode_length", v == 0 ? 0 : length(v));
    if (input != 0) {
        free_block(input);
        fact("input_length_after_free", input_length());
    }
    report[at++] = '}';
    output_buf(report, at);
    return 0;
}
