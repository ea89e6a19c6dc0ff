/*
 * carapace-supervisor: keeps the Carapace runtime running, the way systemd's Restart=always and WatchdogSec= would,
 * for devices (and tests) without systemd.
 *
 *   carapace-supervisor [--watchdog-sec N] [--start-timeout-sec N] [--restart-sec N] [--max-backoff-sec N]
 *                       [--notify-socket PATH] -- COMMAND [ARG...]
 *
 * It runs COMMAND with NOTIFY_SOCKET and WATCHDOG_USEC set (systemd's sd_notify protocol: datagrams "READY=1",
 * "WATCHDOG=1", "STOPPING=1", "STATUS=..." on a Unix datagram socket) and:
 *   - kills it (SIGKILL) when it is not READY within --start-timeout-sec, or, once ready, sends no WATCHDOG=1 for
 *     --watchdog-sec (a hung or deadlocked JVM);
 *   - starts it again whenever it ends without having been asked to stop (crash, kill -9, watchdog), after
 *     --restart-sec, doubling up to --max-backoff-sec while it keeps failing within 10 s of its start, and tells the
 *     new one why (CARAPACE_RESTART_REASON, CARAPACE_RESTART_COUNT, CARAPACE_DOWN_SINCE_MS): the runtime reports the
 *     gap as a security event;
 *   - on SIGTERM, SIGINT or SIGHUP passes SIGTERM on, waits for the runtime's clean stop (SIGKILL after 30 s) and
 *     exits with 0.
 * Datagrams are accepted only from the supervised process itself (SCM_CREDENTIALS). Lines on stderr start with
 * "carapace-supervisor: ".
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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_MS 30000
#define QUICK_FAILURE_MS 10000

static void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("carapace-supervisor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_seconds(const char *name, const char *text, long min, long *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > 86400) {
        say("%s takes whole seconds (%ld..86400), not '%s'", name, min, text);
        return -1;
    }
    *out = v;
    return 0;
}

static void describe_exit(int status, char *out, size_t len) {
    if (WIFEXITED(status)) {
        snprintf(out, len, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        snprintf(out, len, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else {
        snprintf(out, len, "ended (wait status %d)", status);
    }
}

static pid_t start_child(char **argv, const sigset_t *blocked, const char *socket_path, long watchdog_sec,
                         const char *reason, int restarts, long long down_since) {
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    sigprocmask(SIG_UNBLOCK, blocked, NULL);
    signal(SIGPIPE, SIG_DFL);
    setenv("NOTIFY_SOCKET", socket_path, 1);
    if (watchdog_sec > 0) {
        char usec[32];
        snprintf(usec, sizeof usec, "%lld", (long long)watchdog_sec * 1000000LL);
        setenv("WATCHDOG_USEC", usec, 1);
    } else {
        unsetenv("WATCHDOG_USEC");
    }
    unsetenv("WATCHDOG_PID");
    if (restarts > 0) {
        char text[32];
        setenv("CARAPACE_RESTART_REASON", reason, 1);
        snprintf(text, sizeof text, "%d", restarts);
        setenv("CARAPACE_RESTART_COUNT", text, 1);
        snprintf(text, sizeof text, "%lld", down_since);
        setenv("CARAPACE_DOWN_SINCE_MS", text, 1);
    }
    execvp(argv[0], argv);
    say("cannot run %s: %s", argv[0], strerror(errno));
    _exit(127);
}

/* One datagram from the notify socket: returns the bits seen (1 READY, 2 WATCHDOG, 4 STOPPING). */
static int read_notification(int fd, pid_t child) {
    char buf[4096];
    char control[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
        return 0;
    }
    buf[n] = '\0';
    struct ucred *cred = NULL;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            cred = (struct ucred *)CMSG_DATA(c);
        }
    }
    if (cred == NULL || cred->pid != child) {
        say("ignored a notification from pid %ld (not the runtime, pid %ld)", cred ? (long)cred->pid : -1L, (long)child);
        return 0;
    }
    int seen = 0;
    for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strcmp(line, "READY=1") == 0) {
            seen |= 1;
        } else if (strcmp(line, "WATCHDOG=1") == 0) {
            seen |= 2;
        } else if (strcmp(line, "STOPPING=1") == 0) {
            seen |= 4;
        } else if (strncmp(line, "STATUS=", 7) == 0) {
            say("runtime status: %.200s", line + 7);
        }
    }
    return seen;
}

int main(int argc, char **argv) {
    long watchdog_sec = 10, start_timeout_sec = 60, restart_sec = 1, max_backoff_sec = 30;
    const char *socket_path = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) {
            say("%s needs a value (usage: carapace-supervisor [options] -- COMMAND [ARG...])", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--watchdog-sec") == 0) {
            if (parse_seconds(argv[i], argv[i + 1], 0, &watchdog_sec) != 0) return 2;
        } else if (strcmp(argv[i], "--start-timeout-sec") == 0) {
            if (parse_seconds(argv[i], argv[i + 1], 1, &start_timeout_sec) != 0) return 2;
        } else if (strcmp(argv[i], "--restart-sec") == 0) {
            if (parse_seconds(argv[i], argv[i + 1], 0, &restart_sec) != 0) return 2;
        } else if (strcmp(argv[i], "--max-backoff-sec") == 0) {
            if (parse_seconds(argv[i], argv[i + 1], 1, &max_backoff_sec) != 0) return 2;
        } else if (strcmp(argv[i], "--notify-socket") == 0) {
            socket_path = argv[i + 1];
        } else {
            say("unknown option '%s'", argv[i]);
            return 2;
        }
        i++;
    }
    if (i >= argc) {
        say("no command to supervise (usage: carapace-supervisor [options] -- COMMAND [ARG...])");
        return 2;
    }
    char **command = argv + i;

    char default_path[108];
    if (socket_path == NULL) {
        snprintf(default_path, sizeof default_path, "/run/carapace-supervisor.%ld/notify.sock", (long)getpid());
        socket_path = default_path;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path) {
        say("notify socket path too long: %s", socket_path);
        return 2;
    }
    strcpy(addr.sun_path, socket_path);
    /* the socket's directory is private: only root (or this user) can reach it */
    char dir[sizeof addr.sun_path];
    strcpy(dir, socket_path);
    char *slash = strrchr(dir, '/');
    int made_dir = 0;
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) == 0) {
            made_dir = 1;
        } else if (errno != EEXIST) {
            say("cannot create %s: %s", dir, strerror(errno));
            return 2;
        }
    }
    int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    unlink(socket_path);
    if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof addr) != 0
        || setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
        say("cannot open the notify socket %s: %s", socket_path, strerror(errno));
        return 2;
    }
    chmod(socket_path, 0600);

    /* whoever reads our stderr may go away first (a log pipe): a failed write must not kill the supervisor */
    signal(SIGPIPE, SIG_IGN);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGHUP);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    int sigfd = signalfd(-1, &blocked, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0) {
        say("signalfd: %s", strerror(errno));
        return 2;
    }

    int restarts = 0;
    long backoff_ms = restart_sec * 1000;
    char reason[256] = "";
    long long down_since = 0;
    int stopping = 0, exit_code = 0;
    for (;;) {
        pid_t child = start_child(command, &blocked, socket_path, watchdog_sec, reason, restarts, down_since);
        if (child < 0) {
            say("cannot fork: %s", strerror(errno));
            return 1;
        }
        long long started = now_ms();
        long long deadline = started + start_timeout_sec * 1000;
        long long kill_at = 0;
        int ready = 0;
        reason[0] = '\0';
        say("started the runtime, pid %ld%s", (long)child, restarts > 0 ? " (restart)" : "");
        int status = 0;
        int running = 1;
        while (running) {
            long long now = now_ms();
            long long next = kill_at != 0 ? kill_at : (deadline != 0 ? deadline : now + 60000);
            int timeout = next > now ? (int)(next - now) : 0;
            struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
            int n = poll(fds, 2, timeout);
            if (n < 0 && errno != EINTR) {
                say("poll: %s", strerror(errno));
                kill(child, SIGKILL);
            }
            if (n > 0 && (fds[0].revents & POLLIN)) {
                int seen = read_notification(sock, child);
                if ((seen & 1) && !ready) {
                    ready = 1;
                    say("runtime ready (pid %ld)", (long)child);
                }
                if ((seen & 4) && !stopping) {
                    say("runtime stopping (pid %ld)", (long)child);
                }
                if (ready && (seen & 3) && !stopping && kill_at == 0) {
                    deadline = watchdog_sec > 0 ? now_ms() + watchdog_sec * 1000 : 0;
                }
            }
            if (n > 0 && (fds[1].revents & POLLIN)) {
                struct signalfd_siginfo si;
                while (read(sigfd, &si, sizeof si) == sizeof si) {
                    if (si.ssi_signo != SIGCHLD && !stopping) {
                        stopping = 1;
                        say("%s: stopping the runtime (pid %ld)", strsignal((int)si.ssi_signo), (long)child);
                        kill(child, SIGTERM);
                        kill_at = now_ms() + STOP_GRACE_MS;
                    }
                }
                pid_t done;
                while ((done = waitpid(-1, &status, WNOHANG)) > 0) {
                    if (done == child) {
                        running = 0;
                    }
                }
            }
            now = now_ms();
            if (running && kill_at != 0 && now >= kill_at) {
                say("the runtime (pid %ld) did not stop within %d s: killing it", (long)child, STOP_GRACE_MS / 1000);
                kill(child, SIGKILL);
                kill_at = now + 60000;
            } else if (running && kill_at == 0 && deadline != 0 && now >= deadline) {
                if (ready) {
                    snprintf(reason, sizeof reason, "watchdog: no WATCHDOG=1 from the runtime for %ld s", watchdog_sec);
                } else {
                    snprintf(reason, sizeof reason, "watchdog: not ready within %ld s", start_timeout_sec);
                }
                say("%s: killing it (pid %ld)", reason, (long)child);
                kill(child, SIGKILL);
                kill_at = now + 60000;
            }
        }
        down_since = wall_ms();
        char how[128];
        describe_exit(status, how, sizeof how);
        if (stopping) {
            say("the runtime %s; stopped", how);
            /* the JVM ends with 128 + 15 after its shutdown hooks ran on SIGTERM: a clean stop too */
            int clean = (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 128 + SIGTERM))
                        || (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
            exit_code = clean ? 0 : 1;
            break;
        }
        if (reason[0] == '\0') {
            snprintf(reason, sizeof reason, "the runtime %s", how);
        } else {
            size_t used = strlen(reason);
            snprintf(reason + used, sizeof reason - used, "; it %s", how);
        }
        restarts++;
        if (now_ms() - started < QUICK_FAILURE_MS) {
            backoff_ms = backoff_ms == 0 ? 1000 : backoff_ms * 2;
            if (backoff_ms > max_backoff_sec * 1000) {
                backoff_ms = max_backoff_sec * 1000;
            }
        } else {
            backoff_ms = restart_sec * 1000;
        }
        say("%s; restarting in %ld ms (restart %d)", reason, backoff_ms, restarts);
        /* wait out the back-off, still answering a stop request */
        long long until = now_ms() + backoff_ms;
        while (!stopping && now_ms() < until) {
            struct pollfd p = {.fd = sigfd, .events = POLLIN};
            if (poll(&p, 1, (int)(until - now_ms())) > 0) {
                struct signalfd_siginfo si;
                while (read(sigfd, &si, sizeof si) == sizeof si) {
                    if (si.ssi_signo != SIGCHLD) {
                        stopping = 1;
                    }
                }
            }
        }
        if (stopping) {
            say("stop requested while the runtime was down");
            break;
        }
    }
    close(sock);
    unlink(socket_path);
    if (made_dir) {
        rmdir(dir);
    }
    return exit_code;
}
