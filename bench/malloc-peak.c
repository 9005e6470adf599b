/* Peak heap of a process, for bench/scan-vs-e2fsck.sh.
 *
 *   cc -O2 -shared -fPIC -o malloc-peak.so bench/malloc-peak.c
 *   MALLOC_PEAK_OUT=/tmp/peak LD_PRELOAD=./malloc-peak.so CMD ...
 *
 * Interposes the glibc allocator (malloc, calloc, realloc, free, memalign,
 * posix_memalign, aligned_alloc, valloc, pvalloc) and keeps the live total of
 * malloc_usable_size() over all threads; at exit it writes the peak in bytes
 * to $MALLOC_PEAK_OUT.  Counts what the program asked the allocator for
 * (Rust's default global allocator is the system malloc), not the pages of a
 * memory-mapped file, nor allocator overhead, stacks or code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static atomic_long cur_bytes, peak_bytes;

static void add(void *p) {
    if (!p) return;
    long n = (long)malloc_usable_size(p);
    long c = atomic_fetch_add(&cur_bytes, n) + n;
    long pk = atomic_load(&peak_bytes);
    while (c > pk && !atomic_compare_exchange_weak(&peak_bytes, &pk, c)) {}
}
static void sub(void *p) {
    if (p) atomic_fetch_sub(&cur_bytes, (long)malloc_usable_size(p));
}

void *malloc(size_t n) { void *p = __libc_malloc(n); add(p); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); add(p); return p; }
void free(void *p) { sub(p); __libc_free(p); }
void *realloc(void *old, size_t n) {
    long before = old ? (long)malloc_usable_size(old) : 0;
    void *p = __libc_realloc(old, n);
    if (p || n == 0) {
        atomic_fetch_sub(&cur_bytes, before);
        add(p);
    }
    return p;
}
void *memalign(size_t al, size_t n) { void *p = __libc_memalign(al, n); add(p); return p; }
void *aligned_alloc(size_t al, size_t n) { return memalign(al, n); }
void *valloc(size_t n) { return memalign((size_t)sysconf(_SC_PAGESIZE), n); }
void *pvalloc(size_t n) {
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return memalign(pg, (n + pg - 1) / pg * pg);
}
int posix_memalign(void **out, size_t al, size_t n) {
    if (al < sizeof(void *) || (al & (al - 1))) return EINVAL;
    void *p = memalign(al, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

__attribute__((destructor)) static void report(void) {
    const char *path = getenv("MALLOC_PEAK_OUT");
    if (!path) return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", atomic_load(&peak_bytes));
    if (len > 0) { ssize_t r = write(fd, buf, (size_t)len); (void)r; }
    close(fd);
}
