/* sysprobe: the syscalls the seccomp and capability tests (t2010) make from inside a
 * container. Built static at test time (cc -static -pthread).
 *
 *   sysprobe table           one line per probe: "NAME RESULT", RESULT = OK or the errno name
 *   sysprobe keyread ID...   link the user keyring into the session, then read each key:
 *                            "key ID OK PAYLOAD" or "key ID ERRNO"
 *   sysprobe hostkeys CMD... (host side) join a new session keyring that links the user
 *                            keyring (as pam_keyinit does), add key "tanktest-u" (payload
 *                            "secret-u") to @u and "tanktest-s" ("secret-s") to the session,
 *                            run CMD with KEY_U and KEY_S set to their serials, then
 *                            invalidate both keys; exits with CMD's status.
 * Probes with side effects (namespaces, personality, chroot) run in a child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long ret(long v)
{
    return v < 0 ? -errno : 0;
}

static long fd_ret(long fd)
{
    if (fd < 0)
        return -errno;
    close((int)fd);
    return 0;
}

/* Run fn in a child (a fork): its result travels back as the exit code. */
static long in_child(long (*fn)(void))
{
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0)
        _exit((int)-fn());
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        return -EIO;
    return -WEXITSTATUS(st);
}

static long raw_clone(unsigned long flags)
{
    long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0)
        _exit(0);
    if (pid < 0)
        return -errno;
    waitpid((pid_t)pid, NULL, 0);
    return 0;
}

static long p_getpid(void) { return ret(syscall(SYS_getpid)); }
static long p_uname(void) { struct utsname u; return ret(uname(&u)); }
static long p_getrandom(void) { char b[8]; return ret(syscall(SYS_getrandom, b, 8, 0)); }
static long p_fork(void) { return raw_clone(0); }
static void *thread_fn(void *a) { return a; }
static long p_thread(void)
{
    pthread_t t;
    int e = pthread_create(&t, NULL, thread_fn, NULL);
    if (e)
        return -e;
    pthread_join(t, NULL);
    return 0;
}
static long p_clone_newuser(void) { return raw_clone(CLONE_NEWUSER); }
static long p_clone3(void)
{
    struct clone_args a = {.exit_signal = SIGCHLD};
    long pid = syscall(SYS_clone3, &a, sizeof(a));
    if (pid == 0)
        _exit(0);
    if (pid < 0)
        return -errno;
    waitpid((pid_t)pid, NULL, 0);
    return 0;
}
static long p_socket_inet(void) { return fd_ret(socket(AF_INET, SOCK_STREAM, 0)); }
static long p_socket_unix(void) { return fd_ret(socket(AF_UNIX, SOCK_STREAM, 0)); }
static long p_socket_vsock(void) { return fd_ret(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0)); }
static long p_pers_query(void) { return ret(personality(0xffffffff)); }
static long p_pers_linux(void) { return ret(personality(PER_LINUX)); }
static long pers_rie(void) { return ret(personality(READ_IMPLIES_EXEC)); }
static long p_pers_rie(void) { return in_child(pers_rie); }
static long p_mkdir(void)
{
    long r = ret(mkdir("/tmp/sysprobe.d", 0700));
    rmdir("/tmp/sysprobe.d");
    return r;
}
static long p_memfd(void) { return fd_ret(syscall(SYS_memfd_create, "p", 0)); }
static long p_eventfd(void) { return fd_ret(syscall(SYS_eventfd2, 0, 0)); }
static long p_epoll(void) { return fd_ret(syscall(SYS_epoll_create1, 0)); }
static long p_timerfd(void) { return fd_ret(syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0)); }
static long p_inotify(void) { return fd_ret(syscall(SYS_inotify_init1, 0)); }
static long p_prctl(void) { return ret(prctl(PR_GET_DUMPABLE)); }
static long chroot_fn(void) { return ret(chroot("/")); }
static long p_chroot(void) { return in_child(chroot_fn); }
static long p_fifo(void)
{
    long r = ret(mknod("/tmp/sysprobe.fifo", S_IFIFO | 0600, 0));
    unlink("/tmp/sysprobe.fifo");
    return r;
}
static long p_chown(void)
{
    int fd = open("/tmp/sysprobe.f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    long r = fd < 0 ? -errno : ret(fchown(fd, getuid(), getgid()));
    if (fd >= 0)
        close(fd);
    return r;
}
static long p_fchmodat2(void)
{
    /* kernel 6.6: newer than libseccomp 2.5.4 knows */
    return ret(syscall(452, AT_FDCWD, "/tmp/sysprobe.f", 0644, 0));
}
static long p_mseal(void)
{
    /* kernel 6.10: newer than every syscall this libseccomp knows */
    return ret(syscall(462, 0, 0, 1));
}
static long p_capget(void)
{
    int hdr[2] = {0x20080522, 0}, data[6];
    return ret(syscall(SYS_capget, hdr, data));
}
static long p_affinity(void) { cpu_set_t s; return ret(sched_getaffinity(0, sizeof(s), &s)); }
static long p_vm_readv(void)
{
    char a[4] = "abc", b[4];
    struct iovec l = {b, 4}, r = {a, 4};
    return ret(syscall(SYS_process_vm_readv, getpid(), &l, 1, &r, 1, 0));
}
#ifdef __x86_64__
static long p_arch_prctl(void) { unsigned long fs; return ret(syscall(SYS_arch_prctl, 0x1003, &fs)); }
static long p_modify_ldt(void) { char b[16]; return ret(syscall(SYS_modify_ldt, 0, b, 0)); }
static long p_iopl(void) { return ret(syscall(SYS_iopl, 0)); }
#endif
static long p_keyctl(void)
{
    return ret(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
}
static long p_add_key(void)
{
    return ret(syscall(SYS_add_key, "user", "sysprobe", "x", 1, KEY_SPEC_SESSION_KEYRING));
}
static long p_request_key(void)
{
    return ret(syscall(SYS_request_key, "user", "sysprobe-none", NULL, 0));
}
static long unshare_user(void) { return ret(unshare(CLONE_NEWUSER)); }
static long p_unshare_user(void) { return in_child(unshare_user); }
static long unshare_user_ns_net(void) { return ret(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)); }
static long p_unshare_user_ns_net(void) { return in_child(unshare_user_ns_net); }
static long unshare_ns_net(void) { return ret(unshare(CLONE_NEWNS | CLONE_NEWNET)); }
static long p_unshare_ns_net(void) { return in_child(unshare_ns_net); }
static long p_perf(void)
{
    struct perf_event_attr a = {.type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
                                .config = PERF_COUNT_SW_CPU_CLOCK, .exclude_kernel = 1,
                                .exclude_hv = 1, .disabled = 1};
    return fd_ret(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
}
static long p_userfaultfd(void) { return fd_ret(syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY)); }
static long p_io_uring(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    return fd_ret(syscall(SYS_io_uring_setup, 1, &p));
}
static long p_bpf(void) { char a[128] = {0}; return fd_ret(syscall(SYS_bpf, 0, a, sizeof(a))); }
static long p_mount(void) { return ret(mount("none", "/tmp", "tmpfs", 0, NULL)); }
static long p_umount(void) { return ret(umount2("/sysprobe-none", 0)); }
static long p_setns(void) { return ret(setns(-1, 0)); }
static long p_syslog(void) { return ret(syscall(SYS_syslog, 10, NULL, 0)); }
static long p_acct(void) { return ret(syscall(SYS_acct, NULL)); }
static long p_kexec(void) { return ret(syscall(SYS_kexec_load, 0, 0, NULL, 0)); }
static long p_open_by_handle(void) { return fd_ret(syscall(SYS_open_by_handle_at, -1, NULL, 0)); }
static long p_pivot_root(void) { return ret(syscall(SYS_pivot_root, "/sysprobe-none", "/sysprobe-none")); }
static long p_swapon(void) { return ret(syscall(SYS_swapon, "/sysprobe-none", 0)); }
static long p_init_module(void) { return ret(syscall(SYS_init_module, NULL, 0, "")); }
static long p_reboot(void) { return ret(syscall(SYS_reboot, 0, 0, 0, NULL)); }
static long p_clock_settime(void) { struct timespec t = {0}; return ret(syscall(SYS_clock_settime, -1, &t)); }
static long p_kcmp(void) { return ret(syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0)); }
static long p_fsopen(void) { return fd_ret(syscall(SYS_fsopen, "tmpfs", 0)); }
static long p_setdomainname(void) { return ret(syscall(SYS_setdomainname, "x", 1)); }
static long p_set_mempolicy(void) { return ret(syscall(SYS_set_mempolicy, 0, NULL, 0)); }
static long p_setuid(void) { return ret(setuid(getuid())); }

static const struct {
    const char *name;
    long (*fn)(void);
} probes[] = {
    {"getpid", p_getpid}, {"uname", p_uname}, {"getrandom", p_getrandom}, {"fork", p_fork},
    {"thread", p_thread}, {"clone_newuser", p_clone_newuser}, {"clone3", p_clone3},
    {"socket_inet", p_socket_inet}, {"socket_unix", p_socket_unix},
    {"socket_vsock", p_socket_vsock}, {"personality_query", p_pers_query},
    {"personality_linux", p_pers_linux}, {"personality_rie", p_pers_rie}, {"mkdir", p_mkdir},
    {"memfd_create", p_memfd}, {"eventfd", p_eventfd}, {"epoll", p_epoll},
    {"timerfd", p_timerfd}, {"inotify", p_inotify}, {"prctl", p_prctl}, {"chroot", p_chroot},
    {"mknod_fifo", p_fifo}, {"chown", p_chown}, {"fchmodat2", p_fchmodat2},
    {"mseal", p_mseal},
    {"capget", p_capget}, {"sched_getaffinity", p_affinity}, {"process_vm_readv", p_vm_readv},
#ifdef __x86_64__
    {"arch_prctl", p_arch_prctl}, {"modify_ldt", p_modify_ldt}, {"iopl", p_iopl},
#endif
    {"keyctl", p_keyctl}, {"add_key", p_add_key}, {"request_key", p_request_key},
    {"unshare_user", p_unshare_user}, {"unshare_user_ns_net", p_unshare_user_ns_net},
    {"unshare_ns_net", p_unshare_ns_net}, {"perf_event_open", p_perf},
    {"userfaultfd", p_userfaultfd}, {"io_uring_setup", p_io_uring}, {"bpf", p_bpf},
    {"mount", p_mount}, {"umount2", p_umount}, {"setns", p_setns}, {"syslog", p_syslog},
    {"acct", p_acct}, {"kexec_load", p_kexec}, {"open_by_handle_at", p_open_by_handle},
    {"pivot_root", p_pivot_root}, {"swapon", p_swapon}, {"init_module", p_init_module},
    {"reboot", p_reboot}, {"clock_settime", p_clock_settime}, {"kcmp", p_kcmp},
    {"fsopen", p_fsopen}, {"setdomainname", p_setdomainname},
    {"set_mempolicy", p_set_mempolicy}, {"setuid", p_setuid},
};

static const char *err_name(long e)
{
    static char buf[16];
    static const struct {
        int e;
        const char *n;
    } names[] = {{EPERM, "EPERM"},   {EACCES, "EACCES"}, {ENOSYS, "ENOSYS"},
                 {EINVAL, "EINVAL"}, {ENOENT, "ENOENT"}, {EFAULT, "EFAULT"},
                 {EBADF, "EBADF"},   {ENODEV, "ENODEV"}, {EAFNOSUPPORT, "EAFNOSUPPORT"},
                 {ENOKEY, "ENOKEY"}, {EBUSY, "EBUSY"},   {EOPNOTSUPP, "EOPNOTSUPP"},
                 {ESRCH, "ESRCH"},   {EIO, "EIO"}};
    if (e == 0)
        return "OK";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].e == -e)
            return names[i].n;
    snprintf(buf, sizeof(buf), "E%ld", -e);
    return buf;
}

static int key_read(const char *id)
{
    char buf[256];
    /* the strongest attempt: root's user keyring into this session, where its keys are
     * possessed (uid 0 in a container without a user namespace is the host's root) */
    syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING);
    long n = syscall(SYS_keyctl, KEYCTL_READ, strtol(id, NULL, 10), buf, sizeof(buf) - 1);
    if (n < 0) {
        printf("key %s %s\n", id, err_name(-errno));
        return 0;
    }
    buf[n < (long)sizeof(buf) ? n : (long)sizeof(buf) - 1] = '\0';
    printf("key %s OK %s\n", id, buf);
    return 0;
}

static int host_keys(char **cmd)
{
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 ||
        syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING) < 0) {
        perror("sysprobe: session keyring");
        return 1;
    }
    long u = syscall(SYS_add_key, "user", "tanktest-u", "secret-u", 8, KEY_SPEC_USER_KEYRING);
    long s = syscall(SYS_add_key, "user", "tanktest-s", "secret-s", 8, KEY_SPEC_SESSION_KEYRING);
    if (u < 0 || s < 0) {
        perror("sysprobe: add_key");
        return 1;
    }
    char su[32], ss[32];
    snprintf(su, sizeof(su), "%ld", u);
    snprintf(ss, sizeof(ss), "%ld", s);
    setenv("KEY_U", su, 1);
    setenv("KEY_S", ss, 1);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(cmd[0], cmd);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    syscall(SYS_keyctl, KEYCTL_INVALIDATE, u);
    syscall(SYS_keyctl, KEYCTL_INVALIDATE, s);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "table")) {
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
            printf("%s %s\n", probes[i].name, err_name(probes[i].fn()));
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "keyread")) {
        for (int i = 2; i < argc; i++)
            key_read(argv[i]);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "hostkeys"))
        return host_keys(argv + 2);
    fprintf(stderr, "usage: sysprobe table | keyread ID... | hostkeys CMD...\n");
    return 2;
}
