/*
 * ctprobe: a static helper that runs inside test containers.
 *   ctprobe cat FILE              print FILE (a program distinct from busybox, for associated execution)
 *   ctprobe memexec FILE          copy FILE into a memfd and fexecve it (fileless execution)
 *   ctprobe openlat PATH N        open and close N times, print open latency percentiles in microseconds as
 *                                 "p50 p99 p999 max n failed=F"; PATH a directory: its files f0..f(N-1) once
 *                                 each (first-touch decisions), else the file PATH N times
 *   ctprobe mkfiles DIR N         create DIR/f0..f(N-1) (empty)
 *   ctprobe openloop FILE N       open and close FILE N times, print total nanoseconds
 *   ctprobe execloop N PROG ARGS  fork+exec PROG N times, wait for each, print total nanoseconds
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *) a, y = *(const long long *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "cat") == 0) {
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "ctprobe: %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) {
            if (write(1, buf, (size_t) n) != n) {
                return 1;
            }
        }
        close(fd);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "memexec") == 0) {
        int src = open(argv[2], O_RDONLY);
        struct stat st;
        if (src < 0 || fstat(src, &st) != 0) {
            fprintf(stderr, "ctprobe: %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        int m = memfd_create("payload", MFD_CLOEXEC);
        if (m < 0) {
            printf("memfd_create: %s\n", strerror(errno));
            return 2;
        }
        if (sendfile(m, src, NULL, (size_t) st.st_size) != st.st_size) {
            printf("sendfile: %s\n", strerror(errno));
            return 2;
        }
        char *args[] = {"sh", "-c", "echo memfd-exec-ran", NULL};
        char *env[] = {NULL};
        fexecve(m, args, env);
        printf("fexecve: %s\n", strerror(errno));
        return 3;
    }
    if (argc >= 4 && strcmp(argv[1], "mkfiles") == 0) {
        int n = atoi(argv[3]);
        char path[4096];
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%d", argv[2], i);
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0) {
                fprintf(stderr, "ctprobe: %s: %s\n", path, strerror(errno));
                return 1;
            }
            close(fd);
        }
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "openlat") == 0) {
        int n = atoi(argv[3]);
        long long *lat = calloc((size_t) n, sizeof *lat);
        char path[4096];
        int failed = 0;
        struct stat st;
        int dir = stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode);
        for (int i = 0; i < n; i++) {
            if (dir) {
                snprintf(path, sizeof path, "%s/f%d", argv[2], i);
            } else {
                snprintf(path, sizeof path, "%s", argv[2]);
            }
            long long t0 = now_ns();
            int fd = open(path, O_RDONLY);
            lat[i] = now_ns() - t0;
            if (fd < 0) {
                failed++;
            } else {
                close(fd);
            }
        }
        qsort(lat, (size_t) n, sizeof *lat, cmp_ll);
        printf("%.1f %.1f %.1f %.1f %d failed=%d\n", lat[n / 2] / 1e3, lat[(int) (n * 0.99)] / 1e3,
               lat[(int) (n * 0.999)] / 1e3, lat[n - 1] / 1e3, n, failed);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "openloop") == 0) {
        int n = atoi(argv[3]);
        long long t0 = now_ns();
        for (int i = 0; i < n; i++) {
            int fd = open(argv[2], O_RDONLY);
            if (fd < 0) {
                fprintf(stderr, "ctprobe: %s: %s\n", argv[2], strerror(errno));
                return 1;
            }
            close(fd);
        }
        printf("%lld\n", now_ns() - t0);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "execloop") == 0) {
        int n = atoi(argv[2]);
        long long t0 = now_ns();
        for (int i = 0; i < n; i++) {
            pid_t p = fork();
            if (p == 0) {
                execv(argv[3], argv + 3);
                _exit(127);
            }
            int status;
            waitpid(p, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "ctprobe: %s failed\n", argv[3]);
                return 1;
            }
        }
        printf("%lld\n", now_ns() - t0);
        return 0;
    }
    fprintf(stderr, "usage: ctprobe cat|memexec|mkfiles|openlat|openloop|execloop ...\n");
    return 2;
}
