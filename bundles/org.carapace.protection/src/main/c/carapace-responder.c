/*
 * carapace-responder: the fanotify fast path of Carapace's running-container protection, in C.
 *
 * The Java engine keeps the policy. For each container it teaches this responder a table of verdicts keyed by
 * (device, inode, ctime) and starts one POSIX thread here that answers every permission event the table decides.
 * The thread is never attached to the JVM, so garbage collection, safepoints and JIT never stop it: a cached
 * decision is answered in microseconds even while the JVM is paused. Everything the table cannot decide (an unknown
 * file, a file with a per-process rule, a violation to report) is forwarded to Java through a pipe, and Java answers.
 *
 * Loaded through JNA from the bundle; no JNI, no callbacks into the JVM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define V_EXEC_OK 0x1u
#define V_OPEN_OK 0x2u
#define V_EXEC_IGNORE_EXEC 0x100u
#define V_EXEC_IGNORE_OPEN 0x200u
#define V_OPEN_IGNORE_EXEC 0x400u
#define V_OPEN_IGNORE_OPEN 0x800u
#define V_USED 0x80000000u

#define LINEAR 2048
#define LOG 28

enum { S_EVENTS, S_NATIVE, S_FORWARDED, S_FORWARD_FULL, S_ERRORS, S_COUNT };

struct entry {
    uint64_t dev, ino;
    int64_t csec;
    uint32_t cnsec;
    uint32_t verdict;
};

/* what a forwarded event looks like on the pipe: 64 bytes, below PIPE_BUF, so each write is atomic */
struct forward {
    int32_t fd;
    int32_t pid;
    uint64_t mask;
    uint64_t dev, ino;
    int64_t csec;
    uint32_t cnsec;
    uint32_t regular;
    uint64_t size;
    uint64_t start_ns;
};

struct responder {
    int fd, own_pid, forward_fd, ignore_marks, default_allow, rt_priority;
    volatile int stop;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    struct entry *slots;
    uint64_t mask, count;
    volatile uint64_t heartbeat_ns;
    volatile uint64_t stats[S_COUNT];
    volatile uint64_t hist[LINEAR + LOG];
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static uint64_t hash(uint64_t dev, uint64_t ino) {
    uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ (dev + 0x632be59bd9b4e019ull);
    h ^= h >> 31;
    return h * 0xbf58476d1ce4e5b9ull;
}

void *cr_create(int fanotify_fd, int own_pid, int forward_fd, int capacity_log2, int ignore_marks, int default_allow,
                int rt_priority) {
    if (capacity_log2 < 4 || capacity_log2 > 26) {
        return NULL;
    }
    struct responder *r = calloc(1, sizeof *r);
    if (!r) {
        return NULL;
    }
    r->slots = calloc((size_t) 1 << capacity_log2, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return NULL;
    }
    r->mask = ((uint64_t) 1 << capacity_log2) - 1;
    r->fd = fanotify_fd;
    r->own_pid = own_pid;
    r->forward_fd = forward_fd;
    r->ignore_marks = ignore_marks;
    r->default_allow = default_allow;
    r->rt_priority = rt_priority;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

/* Adds or replaces one verdict. Returns 0, or -1 when the table is 70% full (the event is then forwarded). */
int cr_put(void *handle, uint64_t dev, uint64_t ino, int64_t csec, uint32_t cnsec, uint32_t verdict) {
    struct responder *r = handle;
    int result = -1;
    pthread_mutex_lock(&r->lock);
    for (uint64_t i = hash(dev, ino) & r->mask, n = 0; n <= r->mask; i = (i + 1) & r->mask, n++) {
        struct entry *e = &r->slots[i];
        if (!(e->verdict & V_USED)) {
            if (r->count * 10 >= (r->mask + 1) * 7) {
                break;
            }
            r->count++;
        } else if (e->dev != dev || e->ino != ino) {
            continue;
        }
        e->dev = dev;
        e->ino = ino;
        e->csec = csec;
        e->cnsec = cnsec;
        e->verdict = verdict | V_USED;
        result = 0;
        break;
    }
    pthread_mutex_unlock(&r->lock);
    return result;
}

/* The verdict for exactly this content (same ctime), or 0. One entry per inode: a new ctime replaces the old. */
static uint32_t lookup(struct responder *r, uint64_t dev, uint64_t ino, int64_t csec, uint32_t cnsec) {
    uint32_t v = 0;
    pthread_mutex_lock(&r->lock);
    for (uint64_t i = hash(dev, ino) & r->mask, n = 0; n <= r->mask; i = (i + 1) & r->mask, n++) {
        struct entry *e = &r->slots[i];
        if (!(e->verdict & V_USED)) {
            break;
        }
        if (e->dev == dev && e->ino == ino) {
            if (e->csec == csec && e->cnsec == cnsec) {
                v = e->verdict;
            }
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return v;
}

static void record(struct responder *r, uint64_t start) {
    uint64_t us = (now_ns() - start) / 1000;
    size_t i;
    if (us < LINEAR) {
        i = (size_t) us;
    } else {
        int b = 63 - __builtin_clzll(us / LINEAR);
        i = LINEAR + (size_t) (b < LOG - 1 ? b : LOG - 1);
    }
    __atomic_add_fetch(&r->hist[i], 1, __ATOMIC_RELAXED);
}

static void answer(struct responder *r, int fd, int allow) {
    struct fanotify_response resp = {.fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY};
    if (write(r->fd, &resp, sizeof resp) != sizeof resp) {
        __atomic_add_fetch(&r->stats[S_ERRORS], 1, __ATOMIC_RELAXED);
    }
}

static void ignore(struct responder *r, int fd, uint64_t mask) {
    if (mask && r->ignore_marks) {
        fanotify_mark(r->fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_EVICTABLE, mask, fd, NULL);
    }
}

static void forward(struct responder *r, struct forward *f) {
    if (write(r->forward_fd, f, sizeof *f) == sizeof *f) {
        __atomic_add_fetch(&r->stats[S_FORWARDED], 1, __ATOMIC_RELAXED);
        return;
    }
    /* Java is far behind (the pipe holds thousands of events): the documented default answer */
    __atomic_add_fetch(&r->stats[S_FORWARD_FULL], 1, __ATOMIC_RELAXED);
    answer(r, f->fd, r->default_allow);
    close(f->fd);
}

static void handle(struct responder *r, struct fanotify_event_metadata *m, uint64_t start) {
    __atomic_add_fetch(&r->stats[S_EVENTS], 1, __ATOMIC_RELAXED);
    struct forward f = {.fd = m->fd, .pid = m->pid, .mask = m->mask, .start_ns = start};
    if (m->fd == FAN_NOFD) {
        forward(r, &f); /* queue overflow: Java reports it */
        return;
    }
    if (!(m->mask & (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM))) {
        close(m->fd);
        return;
    }
    if (m->pid == r->own_pid) {
        answer(r, m->fd, 1);
        close(m->fd);
        record(r, start);
        return;
    }
    struct statx st;
    if (statx(m->fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st) != 0) {
        forward(r, &f);
        return;
    }
    f.dev = ((uint64_t) st.stx_dev_major << 32) | st.stx_dev_minor;
    f.ino = st.stx_ino;
    f.csec = st.stx_ctime.tv_sec;
    f.cnsec = st.stx_ctime.tv_nsec;
    f.size = st.stx_size;
    f.regular = S_ISREG(st.stx_mode);
    if (!f.regular) {
        answer(r, m->fd, 1);
        ignore(r, m->fd, FAN_OPEN_PERM);
        close(m->fd);
        record(r, start);
        __atomic_add_fetch(&r->stats[S_NATIVE], 1, __ATOMIC_RELAXED);
        return;
    }
    uint32_t v = lookup(r, f.dev, f.ino, f.csec, f.cnsec);
    int exec = (m->mask & FAN_OPEN_EXEC_PERM) != 0;
    if (exec && (v & V_EXEC_OK)) {
        answer(r, m->fd, 1);
        record(r, start);
        ignore(r, m->fd, ((v & V_EXEC_IGNORE_EXEC) ? FAN_OPEN_EXEC_PERM : 0) | ((v & V_EXEC_IGNORE_OPEN) ? FAN_OPEN_PERM : 0));
    } else if (!exec && (v & V_OPEN_OK)) {
        answer(r, m->fd, 1);
        record(r, start);
        ignore(r, m->fd, ((v & V_OPEN_IGNORE_EXEC) ? FAN_OPEN_EXEC_PERM : 0) | ((v & V_OPEN_IGNORE_OPEN) ? FAN_OPEN_PERM : 0));
    } else {
        forward(r, &f);
        return;
    }
    __atomic_add_fetch(&r->stats[S_NATIVE], 1, __ATOMIC_RELAXED);
    close(m->fd);
}

static void *loop(void *arg) {
    struct responder *r = arg;
    char buf[64 * 1024] __attribute__((aligned(8)));
    if (r->rt_priority > 0) {
        /* The kernel holds the container's process until we answer: wake up ahead of ordinary work. The kernel's
         * real-time throttling (sched_rt_runtime_us) still bounds this thread should it ever spin. */
        struct sched_param sp = {.sched_priority = r->rt_priority};
        if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0) {
            __atomic_add_fetch(&r->stats[S_ERRORS], 1, __ATOMIC_RELAXED);
        }
    }
    while (!r->stop) {
        r->heartbeat_ns = now_ns();
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) {
            continue;
        }
        ssize_t n = read(r->fd, buf, sizeof buf);
        uint64_t start = now_ns();
        if (n <= 0) {
            continue;
        }
        struct fanotify_event_metadata *m = (struct fanotify_event_metadata *) buf;
        for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
            handle(r, m, start);
        }
    }
    return NULL;
}

int cr_start(void *handle) {
    struct responder *r = handle;
    if (r->started) {
        return 0;
    }
    int rc = pthread_create(&r->thread, NULL, loop, r);
    if (rc == 0) {
        r->started = 1;
    }
    return rc;
}

/* Stops the thread and waits for it (it polls with a 100 ms timeout). Closes nothing: the fds are Java's. */
void cr_stop(void *handle) {
    struct responder *r = handle;
    r->stop = 1;
    if (r->started) {
        pthread_join(r->thread, NULL);
        r->started = 0;
    }
}

void cr_destroy(void *handle) {
    struct responder *r = handle;
    cr_stop(r);
    pthread_mutex_destroy(&r->lock);
    free(r->slots);
    free(r);
}

uint64_t cr_heartbeat(void *handle) {
    return ((struct responder *) handle)->heartbeat_ns;
}

/* Copies the counters (S_COUNT of them) and then the latency histogram into out; returns how many were written. */
int cr_stats(void *handle, uint64_t *out, int n) {
    struct responder *r = handle;
    int i = 0;
    for (int s = 0; s < S_COUNT && i < n; s++) {
        out[i++] = __atomic_load_n(&r->stats[s], __ATOMIC_RELAXED);
    }
    for (int h = 0; h < LINEAR + LOG && i < n; h++) {
        out[i++] = __atomic_load_n(&r->hist[h], __ATOMIC_RELAXED);
    }
    return i;
}

/*
 * vm.memfd_noexec=2 in the pid namespace of `pid`. The sysctl is per pid namespace and a process can set it only
 * for the namespace it lives in, so: a child (sharing our memory, the parent waits as after vfork) joins the pid
 * namespace, whose effect is for its own children only, and starts a grandchild there that writes the sysctl.
 * Only system calls run in the children. Returns 0, or a small error code.
 */
struct memfd_job {
    int ns_fd;
    int result;
    char stack2[16384] __attribute__((aligned(16)));
};

static int grandchild(void *arg) {
    (void) arg;
    int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return 21;
    }
    int rc = write(fd, "2", 1) == 1 ? 0 : 22;
    close(fd);
    return rc;
}

static int child(void *arg) {
    struct memfd_job *job = arg;
    if (setns(job->ns_fd, CLONE_NEWPID) != 0) {
        return 11;
    }
    pid_t g = clone(grandchild, job->stack2 + sizeof job->stack2, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    if (g < 0) {
        return 12;
    }
    int status;
    if (waitpid(g, &status, 0) < 0) {
        return 13;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 14;
}

int cr_forbid_memfd_exec(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", pid);
    struct memfd_job *job = calloc(1, sizeof *job);
    char *stack = malloc(16384);
    if (!job || !stack) {
        free(job);
        free(stack);
        return 1;
    }
    int rc;
    job->ns_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (job->ns_fd < 0) {
        rc = 2;
    } else {
        pid_t c = clone(child, stack + 16384, CLONE_VM | CLONE_VFORK | SIGCHLD, job);
        int status;
        if (c < 0) {
            rc = 3;
        } else if (waitpid(c, &status, __WALL) < 0) {
            rc = 4;
        } else {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 5;
        }
        close(job->ns_fd);
    }
    free(stack);
    free(job);
    return rc;
}
