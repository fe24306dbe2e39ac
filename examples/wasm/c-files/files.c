/*
 * Reads and writes files through WASI in the folder its manifest grants (the sandbox tests' module):
 * "read" takes a file name relative to the first granted folder (file descriptor 3) and outputs its
 * content; "write" creates the named file with a fixed text. A WASI errno fails the call.
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

static uint8_t name[1024];
static uint8_t data[65536];

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
    int32_t err = path_open(3, 0, name, (int32_t) n, 0, 2 /* fd_read */, 0, 0, &fd);
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
    int32_t err = path_open(3, 0, name, (int32_t) n, 1 | 8 /* creat, trunc */, 64 /* fd_write */, 0, 0, &fd);
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
