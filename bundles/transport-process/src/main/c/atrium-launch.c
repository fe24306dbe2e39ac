/*
 * atrium-launch: how the process transport starts a plugin, in one exec before the plugin's own.
 *
 *   atrium-launch SERVER_PID [--data=BYTES] [--cpu=SOFT:HARD] -- EXECUTABLE [ARG...]
 *
 * Asks the kernel to SIGKILL this process when the thread that started it ends (the transport's
 * spawner thread, which lives as long as the server: so the plugin dies with the server, however the
 * server ends), gives up at once when the server is gone already, starts a session of its own (so the
 * plugin's process group holds what it starts, for the orphan guard), sets the memory and CPU caps,
 * then executes the plugin in this same process. The death signal survives the exec (not into a
 * set-user-ID program, which the kernel clears it for).
 *
 * It replaces `setsid`, `/bin/sh -c 'read …; exec "$@"'` and `prlimit`: three execs and a shell.
 * Exit statuses of its own: 125 the server is gone, 126 a bad argument or a cap refused, 127 the
 * executable could not be run; each says why on stderr, in one line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static int number(const char *s, unsigned long long *out, char end) {
    char *e;
    errno = 0;
    *out = strtoull(s, &e, 10);
    return errno == 0 && e != s && *e == end;
}

int main(int argc, char **argv) {
    unsigned long long server;
    if (argc < 4 || !number(argv[1], &server, '\0')) {
        fprintf(stderr, "atrium-launch: usage: atrium-launch SERVER_PID [--data=BYTES] [--cpu=SOFT:HARD] -- EXECUTABLE [ARG...]\n");
        return 126;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        fprintf(stderr, "atrium-launch: cannot ask for a death signal: %s\n", strerror(errno));
        return 126;
    }
    if ((unsigned long long) getppid() != server) {
        return 125; /* the server (or its spawner thread) ended before the signal was asked for: nothing to run for */
    }
    setsid(); /* fails only for a group leader, which a fresh child is not */
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        unsigned long long soft, hard;
        struct rlimit r;
        if (strncmp(argv[i], "--data=", 7) == 0 && number(argv[i] + 7, &soft, '\0')) {
            r.rlim_cur = r.rlim_max = soft;
            if (setrlimit(RLIMIT_DATA, &r) != 0) {
                fprintf(stderr, "atrium-launch: cannot cap memory at %llu bytes: %s\n", soft, strerror(errno));
                return 126;
            }
        } else if (strncmp(argv[i], "--cpu=", 6) == 0 && number(argv[i] + 6, &soft, ':')
                   && number(strchr(argv[i] + 6, ':') + 1, &hard, '\0')) {
            r.rlim_cur = soft;
            r.rlim_max = hard;
            if (setrlimit(RLIMIT_CPU, &r) != 0) {
                fprintf(stderr, "atrium-launch: cannot cap CPU time at %llu s: %s\n", soft, strerror(errno));
                return 126;
            }
        } else {
            fprintf(stderr, "atrium-launch: unknown option %s\n", argv[i]);
            return 126;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "atrium-launch: no executable after --\n");
        return 126;
    }
    execv(argv[i + 1], argv + i + 1);
    fprintf(stderr, "atrium-launch: cannot run %s: %s\n", argv[i + 1], strerror(errno));
    return 127;
}
