/*
 * Reads and writes files through WASI in the folder its manifest grants (the sandbox tests' module):
 * "read" takes a file name relative to the first granted folder (file descriptor 3) and outputs its
 * content; "write" creates the named file with a fixed text. Both follow symbolic links, as libc's
 * open() does. A WASI errno fails the call. "readMany" and "writeMany" do the same 200 times in a row
 * and count the outcomes (the symlink race tests); "random" outputs 16 bytes of WASI's randomness.
 * Freestanding C with WASI preview1 declared by hand. Build: ../build-c.sh
 */
#include <stdint.h>

#define EXTISM(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))
EXTISM("input_length") extern uint64_t input_length(void);
EXTISM("input_load_u8") extern uint32_t input_load_u8(uint64_t offset);
EXTISM("alloc") extern uint64_t alloc(uint64_t length);
EXTISM("store_u8") extern void store_u8(uint64_t offset, uint32_t value);
EXTISM("output_set") extern void output_set(uint64_t offset, uint64_t length);

typedef struct { uint8_t *buf; uint32_t len; } iovec;
WASI("path_open") extern int32_t path_open(int32_t dirfd, int32_t dirflags, const uint8_t *path, int32_t path_len, int32_t oflags,
                                           int64_t rights, int64_t inheriting, int32_t fdflags, int32_t *fd);
WASI("fd_read") extern int32_t fd_read(int32_t fd, const iovec *iovs, int32_t iovs_len, int32_t *nread);
WASI("fd_close") extern int32_t fd_close(int32_t fd);
WASI("fd_write") extern int32_t fd_write(int32_t fd, const iovec *iovs, int32_t iovs_len, int32_t *nwritten);
WASI("random_get") extern int32_t random_get(uint8_t *buf, int32_t buf_len);

#define LOOKUP_SYMLINK_FOLLOW 1
#define TIMES 200

static uint8_t name[1024];
static uint8_t data[65536];

static uint32_t input_name(void) {
    uint32_t n = (uint32_t) input_length();
    if (n > sizeof name) n = sizeof name;
    for (uint32_t i = 0; i < n; i++) name[i] = (uint8_t) input_load_u8(i);
    return n;
}

static uint32_t put_number(uint8_t *to, uint32_t at, uint32_t value) {
    uint8_t digits[10];
    uint32_t k = 0;
    do { digits[k++] = (uint8_t) ('0' + value % 10); value /= 10; } while (value);
    while (k) to[at++] = digits[--k];
    return at;
}

static uint32_t put_text(uint8_t *to, uint32_t at, const char *text) {
    while (*text) to[at++] = (uint8_t) *text++;
    return at;
}

static void output(const uint8_t *bytes, uint32_t n) {
    uint64_t offset = alloc(n);
    for (uint32_t i = 0; i < n; i++) store_u8(offset + i, bytes[i]);
    output_set(offset, n);
}

static int32_t fail(const char *what, int32_t errno_) {
    uint8_t msg[64];
    uint32_t n = 0;
    while (what[n]) { msg[n] = (uint8_t) what[n]; n++; }
    msg[n++] = ' ';
    if (errno_ >= 10) msg[n++] = (uint8_t) ('0' + errno_ / 10);
    msg[n++] = (uint8_t) ('0' + errno_ % 10);
    output(msg, n);
    return 1;
}

__attribute__((export_name("read"))) int32_t read(void) {
    uint32_t n = (uint32_t) input_length();
    if (n > sizeof name) return fail("name too long", 0);
    for (uint32_t i = 0; i < n; i++) name[i] = (uint8_t) input_load_u8(i);
    int32_t fd;
    int32_t err = path_open(3, LOOKUP_SYMLINK_FOLLOW, name, (int32_t) n, 0, 2 /* fd_read */, 0, 0, &fd);
    if (err != 0) return fail("path_open errno", err);
    iovec io = {data, sizeof data};
    int32_t got;
    err = fd_read(fd, &io, 1, &got);
    fd_close(fd);
    if (err != 0) return fail("fd_read errno", err);
    output(data, (uint32_t) got);
    return 0;
}

__attribute__((export_name("write"))) int32_t write(void) {
    uint32_t n = (uint32_t) input_length();
    if (n > sizeof name) return fail("name too long", 0);
    for (uint32_t i = 0; i < n; i++) name[i] = (uint8_t) input_load_u8(i);
    int32_t fd;
    int32_t err = path_open(3, LOOKUP_SYMLINK_FOLLOW, name, (int32_t) n, 1 | 8 /* creat, trunc */, 64 /* fd_write */, 0, 0, &fd);
    if (err != 0) return fail("path_open errno", err);
    static const uint8_t text[] = "written by wasm";
    iovec io = {(uint8_t *) text, sizeof text - 1};
    int32_t wrote;
    err = fd_write(fd, &io, 1, &wrote);
    fd_close(fd);
    if (err != 0) return fail("fd_write errno", err);
    output((const uint8_t *) "ok", 2);
    return 0;
}

/* Opens the named file TIMES times; outputs how often it read "inside", read anything else, or failed. */
__attribute__((export_name("readMany"))) int32_t read_many(void) {
    uint32_t n = input_name();
    uint32_t inside = 0, other = 0, failed = 0;
    for (int i = 0; i < TIMES; i++) {
        int32_t fd;
        if (path_open(3, LOOKUP_SYMLINK_FOLLOW, name, (int32_t) n, 0, 2, 0, 0, &fd) != 0) { failed++; continue; }
        iovec io = {data, sizeof data};
        int32_t got = 0;
        int32_t err = fd_read(fd, &io, 1, &got);
        fd_close(fd);
        if (err != 0) failed++;
        else if (got == 6 && data[0] == 'i' && data[1] == 'n' && data[2] == 's' && data[3] == 'i' && data[4] == 'd' && data[5] == 'e') inside++;
        else other++;
    }
    uint8_t msg[64];
    uint32_t at = put_number(msg, put_text(msg, 0, "inside="), inside);
    at = put_number(msg, put_text(msg, at, " other="), other);
    at = put_number(msg, put_text(msg, at, " failed="), failed);
    output(msg, at);
    return 0;
}

/* Creates the named file TIMES times; outputs how often that worked and how often it failed. */
__attribute__((export_name("writeMany"))) int32_t write_many(void) {
    uint32_t n = input_name();
    uint32_t made = 0, failed = 0;
    for (int i = 0; i < TIMES; i++) {
        int32_t fd;
        if (path_open(3, LOOKUP_SYMLINK_FOLLOW, name, (int32_t) n, 1 | 8, 64, 0, 0, &fd) != 0) { failed++; continue; }
        static const uint8_t text[] = "written by wasm";
        iovec io = {(uint8_t *) text, sizeof text - 1};
        int32_t wrote;
        if (fd_write(fd, &io, 1, &wrote) == 0) made++; else failed++;
        fd_close(fd);
    }
    uint8_t msg[64];
    uint32_t at = put_number(msg, put_text(msg, 0, "made="), made);
    at = put_number(msg, put_text(msg, at, " failed="), failed);
    output(msg, at);
    return 0;
}

/* Outputs 16 bytes from WASI's random_get, in hexadecimal. */
__attribute__((export_name("random"))) int32_t random(void) {
    uint8_t bytes[16], hex[32];
    int32_t err = random_get(bytes, sizeof bytes);
    if (err != 0) return fail("random_get errno", err);
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = (uint8_t) "0123456789abcdef"[bytes[i] >> 4];
        hex[2 * i + 1] = (uint8_t) "0123456789abcdef"[bytes[i] & 15];
    }
    output(hex, sizeof hex);
    return 0;
}
