/*
 * atrium-launch: the process transport's launcher, one small process per server that starts every plugin.
 *
 *   atrium-launch SERVER_PID
 *
 * The server starts it once; it asks the kernel to SIGKILL it when the thread that started it ends (the
 * transport's spawner thread, which lives as long as the server), gives up at once when the server is
 * gone already, and leaves the server's session (a Ctrl-C on the server's terminal is the server's to
 * handle, not the plugins'). Then it reads requests on stdin and answers on stdout:
 *
 *   spawn ID CWD DATA_BYTES CPU_SECONDS ARGC ARG... ENVC VAR...
 *       (each request is its number of fields, then the fields, every one ending in NUL)
 *       makes three pipes (close-on-exec), forks a child that asks for the
 *       same death signal (its parent is this launcher, which dies with the server), starts a session of
 *       its own, sets the caps (RLIMIT_DATA, RLIMIT_CPU: SIGXCPU at the cap, SIGKILL a second later),
 *       takes the pipes' ends as stdin, stdout and stderr, and executes ARG 0.
 *       Answers "spawned ID PID FD0 FD1 FD2", the launcher's descriptors of the server's ends (stdin's
 *       write end, stdout's and stderr's read ends), which the server opens as /proc/LAUNCHER/fd/FD: the
 *       same pipes, with no name in any folder; or "failed ID REASON".
 *       The launcher keeps the server's ends until the server has opened them (an open of a pipe through
 *       /proc never waits, unlike a FIFO's) and closes the plugin's at once, so the plugin's stdout ends
 *       when the plugin does, and a write to its stdin fails once it is gone.
 *   opened ID      the server has opened its ends: the launcher's are closed.
 *   kill PID SIG   signals a child that has not been reaped yet (never a pid reused since).
 *
 * and "exited PID STATUS" when a child ends, STATUS as the JDK reports it (the exit code, or 128 + the
 * signal). Its stdin's end (the server closed it, or died) kills every child it started that still runs.
 *
 * It replaces a launch through the JDK (which execs its jspawnhelper first), `setsid`, a held
 * `/bin/sh` and `prlimit`: a plugin's start is one fork of this small process and the plugin's own exec.
 * A child that cannot start writes one line on its stderr and exits: 125 the launcher's end came first,
 * 126 a cap refused, 127 the executable could not be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REQUEST (4 << 20)   /* argv and environment together: above the kernel's own limit for an exec */
#define MAX_HELD 1024           /* spawned children whose pipes the server has not opened yet */
#define MAX_CHILDREN 65536
#define MAX_FIELDS 65536

static pid_t self;

/* The server's ends of a child's pipes (stdin's write end, stdout's and stderr's read ends), held until it has opened them through /proc. */
static struct held { unsigned long long id; int fd[3]; } held[MAX_HELD];
static int nheld;

/* Children not reaped yet: the only pids a kill request may signal. */
static pid_t children[MAX_CHILDREN];
static int nchildren;

static void say(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n >= (int) sizeof line) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    for (int off = 0; off < n;) {
        ssize_t w = write(1, line + off, n - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            _exit(0); /* the server stopped reading: it is gone */
        }
        off += w;
    }
}

static void release(int i) {
    for (int s = 0; s < 3; s++) {
        if (held[i].fd[s] >= 0) {
            close(held[i].fd[s]);
        }
    }
    held[i] = held[--nheld];
}

static void closeAll(int pipes[3][2]) {
    for (int s = 0; s < 3; s++) {
        for (int e = 0; e < 2; e++) {
            if (pipes[s][e] >= 0) {
                close(pipes[s][e]);
            }
        }
    }
}

static int number(const char *s, unsigned long long *out) {
    char *e;
    errno = 0;
    *out = strtoull(s, &e, 10);
    return errno == 0 && e != s && *e == '\0';
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void fail(int status, const char *what, const char *detail) {
    const char *parts[] = {"atrium-launch: ", what, detail ? ": " : "", detail ? detail : "", "\n"};
    for (int i = 0; i < 5; i++) {
        if (write(2, parts[i], strlen(parts[i])) < 0) {
            break;
        }
    }
    _exit(status);
}

static void child(const int *ends, const char *cwd, unsigned long long data, unsigned long long cpu, char **argv, char **envp) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the launcher blocks SIGCHLD for its signalfd: the plugin must not inherit that */
    signal(SIGPIPE, SIG_DFL);
    for (int s = 0; s < 3; s++) {
        if (dup2(ends[s], s) < 0) {
            _exit(127); /* no stderr to say it on: the server sees the exit without a line */
        }
    }
    for (int s = 0; s < 3; s++) {
        if (ends[s] > 2) {
            close(ends[s]);
        }
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        fail(126, "cannot ask for a death signal", strerror(errno));
    }
    if (getppid() != self) {
        _exit(125); /* the launcher ended before the signal was asked for: nothing to run for */
    }
    setsid();
    struct rlimit r;
    if (data > 0) {
        r.rlim_cur = r.rlim_max = data;
        if (setrlimit(RLIMIT_DATA, &r) != 0) {
            fail(126, "cannot cap memory", strerror(errno));
        }
    }
    if (cpu > 0) {
        r.rlim_cur = cpu;
        r.rlim_max = cpu + 1;
        if (setrlimit(RLIMIT_CPU, &r) != 0) {
            fail(126, "cannot cap CPU time", strerror(errno));
        }
    }
    if (chdir(cwd) != 0) {
        fail(127, "cannot enter the working directory", strerror(errno));
    }
    execve(argv[0], argv, envp);
    int e = errno;
    char what[4200];
    snprintf(what, sizeof what, "cannot run %s", argv[0]);
    fail(127, what, strerror(e));
}

/* fields: "spawn" ID CWD DATA CPU ARGC ARG... ENVC VAR... */
static void spawn(char **f, int n) {
    unsigned long long id, data, cpu, argc, envc;
    if (n < 7 || !number(f[1], &id) || !number(f[3], &data) || !number(f[4], &cpu) || !number(f[5], &argc)
        || argc < 1 || argc > (unsigned long long) n - 7 || !number(f[6 + argc], &envc) || envc != (unsigned long long) n - 7 - argc) {
        say("failed %s a malformed spawn request\n", n > 1 ? f[1] : "0");
        return;
    }
    if (nheld == MAX_HELD || nchildren == MAX_CHILDREN) {
        say("failed %llu too many processes starting at once\n", id);
        return;
    }
    int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    for (int s = 0; s < 3; s++) {
        if (pipe2(pipes[s], O_CLOEXEC) != 0) {
            int e = errno;
            closeAll(pipes);
            say("failed %llu cannot make a pipe: %s\n", id, strerror(e));
            return;
        }
    }
    /* the plugin's ends: stdin's read end, stdout's and stderr's write ends (dup2 leaves them open at its exec) */
    int ends[3] = {pipes[0][0], pipes[1][1], pipes[2][1]};
    struct held h = {id, {pipes[0][1], pipes[1][0], pipes[2][0]}};
    char **argv = calloc(argc + 1, sizeof *argv), **envp = calloc(envc + 1, sizeof *envp);
    if (!argv || !envp) {
        say("failed %llu out of memory\n", id);
        free(argv);
        free(envp);
        closeAll(pipes);
        return;
    }
    memcpy(argv, f + 6, argc * sizeof *argv);
    memcpy(envp, f + 7 + argc, envc * sizeof *envp);
    pid_t pid = fork();
    if (pid == 0) {
        child(ends, f[2], data, cpu, argv, envp);
    }
    int e = errno;
    free(argv);
    free(envp);
    for (int s = 0; s < 3; s++) {
        close(ends[s]); /* the child's own now: its end of each pipe ends with it */
    }
    held[nheld++] = h;
    if (pid < 0) {
        release(nheld - 1);
        say("failed %llu cannot fork: %s\n", id, strerror(e));
        return;
    }
    children[nchildren++] = pid;
    say("spawned %llu %d %d %d %d\n", id, (int) pid, h.fd[0], h.fd[1], h.fd[2]);
}

static void request(char **f, int n) {
    unsigned long long id, pid, sig;
    if (n >= 1 && strcmp(f[0], "spawn") == 0) {
        spawn(f, n);
    } else if (n == 2 && strcmp(f[0], "opened") == 0 && number(f[1], &id)) {
        for (int i = 0; i < nheld; i++) {
            if (held[i].id == id) {
                release(i);
                break;
            }
        }
    } else if (n == 3 && strcmp(f[0], "kill") == 0 && number(f[1], &pid) && number(f[2], &sig) && sig < 65) {
        for (int i = 0; i < nchildren; i++) {
            if (children[i] == (pid_t) pid) {
                kill(children[i], (int) sig);
                break;
            }
        }
    }
}

static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < nchildren; i++) {
            if (children[i] == pid) {
                children[i] = children[--nchildren];
                break;
            }
        }
        say("exited %d %d\n", (int) pid, WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    }
}

int main(int argc, char **argv) {
    unsigned long long server;
    if (argc != 2 || !number(argv[1], &server)) {
        fprintf(stderr, "atrium-launch: usage: atrium-launch SERVER_PID\n");
        return 126;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        fprintf(stderr, "atrium-launch: cannot ask for a death signal: %s\n", strerror(errno));
        return 126;
    }
    if ((unsigned long long) getppid() != server) {
        return 125; /* the server (or its spawner thread) ended before the signal was asked for */
    }
    setsid();
    self = getpid();
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        fprintf(stderr, "atrium-launch: no signalfd: %s\n", strerror(errno));
        return 126;
    }
    char *buf = malloc(MAX_REQUEST);
    char **fields = malloc(sizeof(char *) * MAX_FIELDS);
    size_t len = 0;
    if (!buf || !fields) {
        fprintf(stderr, "atrium-launch: out of memory\n");
        return 126;
    }
    for (;;) {
        struct pollfd p[2] = {{0, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == sizeof si) {
            }
            reap();
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = read(0, buf + len, MAX_REQUEST - len);
            if (r <= 0 && !(r < 0 && errno == EINTR)) {
                break; /* the server closed its end, or died */
            }
            len += r > 0 ? r : 0;
            /* a request is N, then N fields, each ending in NUL: run every complete one */
            size_t start = 0;
            for (;;) {
                char *z = memchr(buf + start, '\0', len - start);
                unsigned long long want;
                if (!z) {
                    break;
                }
                if (!number(buf + start, &want) || want > MAX_FIELDS) {
                    fprintf(stderr, "atrium-launch: a malformed request\n");
                    goto end;
                }
                size_t i = z - buf + 1;
                int n = 0;
                while ((unsigned long long) n < want && i < len && (z = memchr(buf + i, '\0', len - i)) != NULL) {
                    fields[n++] = buf + i;
                    i = z - buf + 1;
                }
                if ((unsigned long long) n < want) {
                    break;
                }
                request(fields, n);
                start = i;
            }
            if (start == 0 && len == MAX_REQUEST) {
                fprintf(stderr, "atrium-launch: a request over %d bytes\n", MAX_REQUEST);
                break;
            }
            memmove(buf, buf + start, len - start);
            len -= start;
        }
    }
end:
    for (int i = 0; i < nchildren; i++) {
        kill(children[i], SIGKILL);
    }
    while (nheld > 0) {
        release(0);
    }
    return 0;
}
