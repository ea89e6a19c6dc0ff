/*
 * carapace-oci-hook: the OCI runtime hook that asks the Carapace runtime whether a container may be created.
 *
 * runc/crun/podman run it at the createRuntime stage (OCI runtime-spec, config.md "POSIX-platform Hooks") with the
 * container state JSON on stdin; a non-zero exit aborts the creation. This helper stays tiny and static so that it
 * adds about a millisecond: it forwards the state to the runtime's gate socket and turns the one-line answer into
 * an exit code. It FAILS CLOSED: no runtime, no answer in time, or an answer it does not understand all refuse.
 *
 *   carapace-oci-hook [--socket PATH] [--timeout-ms N] [--stage NAME]
 *
 * Defaults: socket $CARAPACE_GATE_SOCKET or /run/carapace/gate.sock, timeout 5000 ms, stage createRuntime.
 * At any stage other than createRuntime/createContainer/startContainer (e.g. poststop) the exit code is always 0:
 * the runtime only logs those failures (runtime-spec), and a notification must never block teardown.
 *
 * Wire protocol (docs/gate-protocol.md): the hook connects, writes "CARAPACE-GATE 1 <stage>\n", the state JSON,
 * then half-closes. The runtime answers one line, at most 4 KiB: "ALLOW <text>\n", "AUDIT <text>\n" or
 * "REFUSE <text>\n".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_STATE (256 * 1024)
#define MAX_ANSWER 4096
#define DEFAULT_SOCKET "/run/carapace/gate.sock"
#define DEFAULT_TIMEOUT_MS 5000

static const char *stage = "createRuntime";
static int gating = 1; /* does this stage gate creation (fail closed) or only notify? */

/* One clear line on stderr, then the exit code that matches the stage. */
static int refuse(const char *fmt, const char *detail) {
    char line[MAX_ANSWER + 128];
    snprintf(line, sizeof line, fmt, detail);
    fprintf(stderr, "carapace: %s: %s\n", gating ? "refused" : "not notified", line);
    return gating ? 1 : 0;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for the given events or the deadline passes; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline) {
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            return 0;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)left);
        if (n > 0) {
            return 1;
        }
        if (n == 0) {
            return 0;
        }
        if (errno != EINTR) {
            return -1;
        }
    }
}

static int write_all(int fd, const char *buf, size_t len, long long deadline) {
    while (len > 0) {
        int ready = wait_fd(fd, POLLOUT, deadline);
        if (ready <= 0) {
            return ready == 0 ? -2 : -1;
        }
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Replaces anything that is not printable ASCII so the runtime's text cannot forge terminal output. */
static void sanitize(char *s) {
    for (; *s; s++) {
        if (*s < 0x20 || *s > 0x7e) {
            *s = '?';
        }
    }
}

int main(int argc, char **argv) {
    const char *socket_path = getenv("CARAPACE_GATE_SOCKET");
    long timeout_ms = DEFAULT_TIMEOUT_MS;
    if (socket_path == NULL || *socket_path == '\0') {
        socket_path = DEFAULT_SOCKET;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
            socket_path = argv[++i];
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
            char *end;
            timeout_ms = strtol(argv[++i], &end, 10);
            if (*end != '\0' || timeout_ms <= 0 || timeout_ms > 600000) {
                return refuse("bad --timeout-ms '%s' (1..600000)", argv[i]);
            }
        } else if (strcmp(argv[i], "--stage") == 0 && i + 1 < argc) {
            stage = argv[++i];
        } else if (i == 1 && argv[i][0] != '-') {
            /* hooks.d passes args[0] as the program name: ignore a leading non-option word */
        } else {
            return refuse("unknown argument '%s'", argv[i]);
        }
    }
    /* a malformed stage is a misconfiguration: refuse while still gating (fail closed) */
    if (*stage == '\0' || strlen(stage) > 32) {
        return refuse("bad --stage '%s'", stage);
    }
    for (const char *c = stage; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) {
            return refuse("bad --stage '%s'", stage);
        }
    }
    gating = strcmp(stage, "createRuntime") == 0 || strcmp(stage, "createContainer") == 0
          || strcmp(stage, "startContainer") == 0 || strcmp(stage, "prestart") == 0;
    signal(SIGPIPE, SIG_IGN);
    long long deadline = now_ms() + timeout_ms;
    char timeout_text[32];
    snprintf(timeout_text, sizeof timeout_text, "%ld", timeout_ms);

    /* 1. the container state from the runtime */
    static char state[MAX_STATE];
    size_t state_len = 0;
    for (;;) {
        if (state_len == sizeof state) {
            return refuse("container state on stdin is larger than %s bytes", "262144");
        }
        ssize_t n = read(STDIN_FILENO, state + state_len, sizeof state - state_len);
        if (n == 0) {
            break;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return refuse("cannot read the container state on stdin: %s", strerror(errno));
        }
        state_len += (size_t)n;
    }
    if (state_len == 0) {
        return refuse("%s", "no container state on stdin");
    }

    /* 2. the runtime's gate socket */
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof addr.sun_path) {
        return refuse("socket path too long: %s", socket_path);
    }
    strcpy(addr.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return refuse("cannot create a socket: %s", strerror(errno));
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        char why[600];
        snprintf(why, sizeof why, "%s (%s)", socket_path, strerror(errno));
        return refuse("the Carapace runtime is not running: cannot connect to %s", why);
    }
    /* the answer decides: only a server run by root (or by this hook's own user) may give it */
    struct ucred peer;
    socklen_t peer_len = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0) {
        char why[600];
        snprintf(why, sizeof why, "%s (%s)", socket_path, strerror(errno));
        return refuse("cannot check who serves %s", why);
    }
    if (peer.uid != 0 && peer.uid != geteuid()) {
        char who[600];
        snprintf(who, sizeof who, "%s is served by uid %u", socket_path, (unsigned)peer.uid);
        return refuse("%s, neither root nor this hook's user: not the Carapace runtime", who);
    }

    /* 3. request: header line + state, then half-close */
    char header[128];
    int header_len = snprintf(header, sizeof header, "CARAPACE-GATE 1 %s\n", stage);
    int w = write_all(fd, header, (size_t)header_len, deadline);
    if (w == 0) {
        w = write_all(fd, state, state_len, deadline);
    }
    if (w == -2) {
        return refuse("no answer from the Carapace runtime within %s ms", timeout_text);
    }
    if (w != 0) {
        return refuse("cannot send the request to the Carapace runtime: %s", strerror(errno));
    }
    shutdown(fd, SHUT_WR);

    /* 4. one answer line */
    char answer[MAX_ANSWER + 1];
    size_t answer_len = 0;
    for (;;) {
        int ready = wait_fd(fd, POLLIN, deadline);
        if (ready == 0) {
            return refuse("no answer from the Carapace runtime within %s ms", timeout_text);
        }
        if (ready < 0) {
            return refuse("lost the connection to the Carapace runtime: %s", strerror(errno));
        }
        ssize_t n = recv(fd, answer + answer_len, MAX_ANSWER - answer_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < 0) {
            return refuse("lost the connection to the Carapace runtime: %s", strerror(errno));
        }
        if (n == 0) {
            break;
        }
        answer_len += (size_t)n;
        if (memchr(answer, '\n', answer_len) != NULL || answer_len == MAX_ANSWER) {
            break;
        }
    }
    close(fd);
    answer[answer_len] = '\0';
    char *newline = memchr(answer, '\n', answer_len);
    if (newline == NULL) {
        return refuse("%s", answer_len == 0 ? "the Carapace runtime closed the connection without an answer"
                                            : "malformed answer from the Carapace runtime (no complete line)");
    }
    *newline = '\0';
    sanitize(answer);

    /* 5. the verdict */
    if (strncmp(answer, "ALLOW", 5) == 0 && (answer[5] == ' ' || answer[5] == '\0')) {
        return 0;
    }
    if (strncmp(answer, "AUDIT", 5) == 0 && (answer[5] == ' ' || answer[5] == '\0')) {
        fprintf(stderr, "carapace: audit: %s\n", answer[5] ? answer + 6 : "");
        return 0;
    }
    if (strncmp(answer, "REFUSE", 6) == 0 && (answer[6] == ' ' || answer[6] == '\0')) {
        fprintf(stderr, "carapace: refused: %s\n", answer[6] ? answer + 7 : "(no reason given)");
        return gating ? 1 : 0;
    }
    return refuse("malformed answer from the Carapace runtime: '%.200s'", answer);
}
