/*
 * atrium_plugin.h: write an Atrium native plugin in C with one registration line, not the ABI.
 *
 *     #include "atrium_plugin.h"
 *
 *     static char *greet(const char *name) {          // returns a string from malloc (or NULL: out of memory)
 *         return atrium_format("Hello, %s!", name);
 *     }
 *
 *     ATRIUM_PLUGIN("io.atrium.api.greeting.Greeter", "1.0.0", ATRIUM_STRING_FUNCTION("greet", greet));
 *
 * Build: cc -shared -fPIC -O2 -o libgreeter.so greeter.c
 *
 * ATRIUM_PLUGIN defines Atrium's C ABI (docs/native.md): atrium_abi_version, atrium_describe,
 * atrium_invoke and atrium_free. Each entry maps a name the host calls (a contract method's name) to a
 * function:
 *   ATRIUM_STRING_FUNCTION(name, fn)  char *fn(const char *arg): one string in, one string out
 *   ATRIUM_JSON_FUNCTION(name, fn)    char *fn(const char *args_json): the arguments as a JSON array in,
 *                                     the result as JSON out (for any other signature)
 * A function fails the call by returning atrium_error("why"). Define ATRIUM_THREADING "parallel" before
 * the include when the functions may run on several threads at once; by default the host calls one at a time.
 * Standard C only; the strings are UTF-8.
 */
#ifndef ATRIUM_PLUGIN_H
#define ATRIUM_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ATRIUM_THREADING
#define ATRIUM_THREADING "serial"
#endif

#define ATRIUM_EXPORT __attribute__((visibility("default")))

typedef struct {
    const char *name;
    int json; /* 0: one string in and out; 1: JSON in and out */
    char *(*fn)(const char *);
} atrium_function;

#define ATRIUM_STRING_FUNCTION(name, fn) {(name), 0, (fn)}
#define ATRIUM_JSON_FUNCTION(name, fn) {(name), 1, (fn)}

/* A failure a function returns instead of its result: the message is copied. */
static char *atrium_error(const char *message);

/* printf into a string from malloc. */
static char *atrium_format(const char *format, ...) __attribute__((format(printf, 1, 2), unused));
static char *atrium_format(const char *format, ...) {
    va_list a;
    va_start(a, format);
    int n = vsnprintf(NULL, 0, format, a);
    va_end(a);
    if (n < 0) {
        return NULL;
    }
    char *s = malloc((size_t) n + 1);
    if (s != NULL) {
        va_start(a, format);
        vsnprintf(s, (size_t) n + 1, format, a);
        va_end(a);
    }
    return s;
}

/* ------------------------------------------------------------------ the helper's own parts */

/* Set by atrium_error on the calling thread: the string the function returns is then its failure, not its result. */
static _Thread_local int atrium__failed;

static char *atrium_error(const char *message) {
    size_t n = strlen(message);
    char *s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, message, n + 1);
        atrium__failed = 1;
    }
    return s;
}

typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} atrium__buf;

static void atrium__put(atrium__buf *b, const char *s, size_t n) {
    if (b->failed) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

/* s as a JSON string. */
static void atrium__quote(atrium__buf *b, const char *s) {
    atrium__put(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char) *c;
            atrium__put(b, esc, 2);
        } else if (*c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *c);
            atrium__put(b, esc, 6);
        } else {
            atrium__put(b, (const char *) c, 1);
        }
    }
    atrium__put(b, "\"", 1);
}

static void atrium__utf8(atrium__buf *b, uint32_t cp) {
    char u[4];
    if (cp < 0x80) {
        u[0] = (char) cp;
        atrium__put(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char) (0xC0 | cp >> 6);
        u[1] = (char) (0x80 | (cp & 0x3F));
        atrium__put(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char) (0xE0 | cp >> 12);
        u[1] = (char) (0x80 | (cp >> 6 & 0x3F));
        u[2] = (char) (0x80 | (cp & 0x3F));
        atrium__put(b, u, 3);
    } else {
        u[0] = (char) (0xF0 | cp >> 18);
        u[1] = (char) (0x80 | (cp >> 12 & 0x3F));
        u[2] = (char) (0x80 | (cp >> 6 & 0x3F));
        u[3] = (char) (0x80 | (cp & 0x3F));
        atrium__put(b, u, 4);
    }
}

static int atrium__hex4(const char *s, const char *end, uint32_t *out) {
    uint32_t v = 0;
    if (end - s < 4) {
        return 0;
    }
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t) (c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t) (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t) (c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static const char *atrium__space(const char *s, const char *end) {
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
    }
    return s;
}

/* The one string of a JSON array of one string, decoded, or NULL; a NUL inside it is refused. */
static char *atrium__one_string(const char *s, size_t n) {
    const char *end = s + n;
    atrium__buf b = {0};
    s = atrium__space(s, end);
    if (s == end || *s++ != '[') return NULL;
    s = atrium__space(s, end);
    if (s == end || *s++ != '"') return NULL;
    atrium__put(&b, "", 0);
    while (s < end && *s != '"') {
        unsigned char c = (unsigned char) *s++;
        if (c < 0x20) goto bad;
        if (c != '\\') {
            atrium__put(&b, (const char *) &c, 1);
            continue;
        }
        if (s == end) goto bad;
        char e = *s++;
        uint32_t cp;
        switch (e) {
            case '"': atrium__put(&b, "\"", 1); break;
            case '\\': atrium__put(&b, "\\", 1); break;
            case '/': atrium__put(&b, "/", 1); break;
            case 'b': atrium__put(&b, "\b", 1); break;
            case 'f': atrium__put(&b, "\f", 1); break;
            case 'n': atrium__put(&b, "\n", 1); break;
            case 'r': atrium__put(&b, "\r", 1); break;
            case 't': atrium__put(&b, "\t", 1); break;
            case 'u':
                if (!atrium__hex4(s, end, &cp)) goto bad;
                s += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo;
                    if (end - s < 6 || s[0] != '\\' || s[1] != 'u' || !atrium__hex4(s + 2, end, &lo) || lo < 0xDC00 || lo > 0xDFFF) goto bad;
                    s += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    goto bad;
                }
                if (cp == 0) goto bad;
                atrium__utf8(&b, cp);
                break;
            default: goto bad;
        }
    }
    if (s == end) goto bad;
    s = atrium__space(s + 1, end);
    if (s == end || *s++ != ']') goto bad;
    if (atrium__space(s, end) != end || b.failed) goto bad;
    return b.p;
bad:
    free(b.p);
    return NULL;
}

/* An error answer, {"code": 1, "message": …}. */
static int atrium__fail(const char *message, uint8_t **resp, size_t *resp_len) {
    atrium__buf b = {0};
    atrium__put(&b, "{\"code\":1,\"message\":", 20);
    atrium__quote(&b, message);
    atrium__put(&b, "}", 1);
    *resp = (uint8_t *) b.p;
    *resp_len = b.failed ? 0 : b.len;
    return 1;
}

#define ATRIUM_PLUGIN(contract, version, ...)                                                                   \
    static const atrium_function atrium__functions[] = {__VA_ARGS__};                                           \
    static const size_t atrium__count = sizeof atrium__functions / sizeof atrium__functions[0];                 \
    static char *atrium__description;                                                                           \
    ATRIUM_EXPORT uint32_t atrium_abi_version(void) { return 1; }                                               \
    ATRIUM_EXPORT const char *atrium_describe(void) {                                                           \
        if (atrium__description == NULL) {                                                                      \
            atrium__buf b = {0};                                                                                \
            atrium__put(&b, "{\"contract\":", 12);                                                             \
            atrium__quote(&b, (contract));                                                                      \
            atrium__put(&b, ",\"version\":", 11);                                                               \
            atrium__quote(&b, (version));                                                                       \
            static const char middle[] = ",\"threading\":\"" ATRIUM_THREADING "\",\"methods\":[";              \
            atrium__put(&b, middle, sizeof middle - 1);                                                         \
            for (size_t i = 0; i < atrium__count; i++) {                                                        \
                if (i > 0) atrium__put(&b, ",", 1);                                                             \
                atrium__quote(&b, atrium__functions[i].name);                                                   \
            }                                                                                                   \
            atrium__put(&b, "]}", 2);                                                                           \
            atrium__description = b.p;                                                                          \
        }                                                                                                       \
        return atrium__description;                                                                             \
    }                                                                                                           \
    ATRIUM_EXPORT int32_t atrium_invoke(const char *method, const uint8_t *req, size_t req_len,                 \
                                        uint8_t **resp, size_t *resp_len) {                                     \
        const atrium_function *f = NULL;                                                                        \
        for (size_t i = 0; i < atrium__count; i++) {                                                            \
            if (strcmp(atrium__functions[i].name, method) == 0) f = &atrium__functions[i];                      \
        }                                                                                                       \
        if (f == NULL) return atrium__fail("no such function", resp, resp_len);                                 \
        char *in;                                                                                               \
        if (f->json) {                                                                                          \
            in = malloc(req_len + 1);                                                                           \
            if (in != NULL) { memcpy(in, req, req_len); in[req_len] = 0; }                                      \
        } else {                                                                                                \
            in = atrium__one_string((const char *) req, req_len);                                               \
            if (in == NULL) return atrium__fail("takes one string (no NUL)", resp, resp_len);                   \
        }                                                                                                       \
        if (in == NULL) return atrium__fail("out of memory", resp, resp_len);                                   \
        atrium__failed = 0;                                                                                     \
        char *out = f->fn(in);                                                                                  \
        free(in);                                                                                               \
        if (out == NULL) return atrium__fail("out of memory", resp, resp_len);                                  \
        if (atrium__failed) {                                                                                   \
            atrium__failed = 0;                                                                                 \
            int rc = atrium__fail(out, resp, resp_len);                                                         \
            free(out);                                                                                          \
            return rc;                                                                                          \
        }                                                                                                       \
        if (f->json) {                                                                                          \
            *resp = (uint8_t *) out;                                                                            \
            *resp_len = strlen(out);                                                                            \
            return 0;                                                                                           \
        }                                                                                                       \
        atrium__buf b = {0};                                                                                    \
        atrium__quote(&b, out);                                                                                 \
        free(out);                                                                                              \
        if (b.failed) { free(b.p); return atrium__fail("out of memory", resp, resp_len); }                      \
        *resp = (uint8_t *) b.p;                                                                                \
        *resp_len = b.len;                                                                                      \
        return 0;                                                                                               \
    }                                                                                                           \
    ATRIUM_EXPORT void atrium_free(uint8_t *p, size_t len) { (void) len; free(p); }

#endif
