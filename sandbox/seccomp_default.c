/*
 * Docker's default seccomp profile as a table: moby profiles/seccomp/default.json (the same
 * allow-list, argument filters, capability- and architecture-conditional rules), with the
 * io_uring syscalls out of the allow-list as since moby v25 (moby#46762, containerd#9320)
 * and the syscalls of kernels 6.5-6.7 it added (cachestat, fchmodat2, map_shadow_stack,
 * futex_wake/wait/requeue: skipped where libseccomp does not know them yet, and then
 * answered ENOSYS like every syscall newer than the profile). Default action: EPERM.
 */
#include "sandbox/seccomp.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>

#define CAP(c) (1ULL << CAP_##c)
#define ALLOW .action = SANDBOX_SCMP_ALLOW, .errno_ret = -1
#define ARG(i, v, o)                                                                               \
    {                                                                                              \
        .index = (i), .value = (v), .op = SANDBOX_SCMP_##o                                         \
    }
#define NS_FLAGS                                                                                   \
    (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |     \
     CLONE_NEWCGROUP)
#define PERSONALITY(v)                                                                             \
    {                                                                                              \
        ALLOW, .names = "personality", .args = {ARG(0, v, EQ)}, .n_args = 1                        \
    }

static const struct sandbox_seccomp_rule rules[] = {
    {ALLOW,
     .names = "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod "
              "chown chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 "
              "clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close "
              "close_range connect copy_file_range creat dup dup2 dup3 epoll_create "
              "epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait "
              "epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat "
              "faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat "
              "fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr "
              "flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync "
              "ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv "
              "futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid "
              "geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid "
              "getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid "
              "getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt "
              "get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch "
              "inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy "
              "io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup "
              "io_submit ipc kill landlock_add_rule landlock_create_ruleset "
              "landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr "
              "llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise "
              "map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod "
              "mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open "
              "mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink "
              "mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap "
              "name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause "
              "pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll "
              "ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease "
              "pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink "
              "readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages "
              "removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction "
              "rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend "
              "rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity "
              "sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min "
              "sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 "
              "sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield "
              "seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile "
              "sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid "
              "setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 "
              "setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit "
              "set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 "
              "setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 "
              "sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 "
              "statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time "
              "timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 "
              "timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 "
              "timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask "
              "uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 "
              "waitid waitpid write writev"},
    {ALLOW, .names = "process_vm_readv process_vm_writev ptrace", .min_kernel = 4 << 16 | 8},
    /* every socket family but AF_VSOCK (the host's hypervisor sockets) */
    {ALLOW, .names = "socket", .args = {ARG(0, AF_VSOCK, NE)}, .n_args = 1},
    /* PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff: never
     * READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE */
    PERSONALITY(0x0),
    PERSONALITY(0x8),
    PERSONALITY(0x20000),
    PERSONALITY(0x20008),
    PERSONALITY(0xffffffff),
    {ALLOW, .names = "sync_file_range2 swapcontext", .arches = "ppc64le"},
    {ALLOW,
     .names = "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
     .arches = "arm arm64"},
    {ALLOW, .names = "arch_prctl", .arches = "amd64 x32"},
    {ALLOW, .names = "modify_ldt", .arches = "amd64 x32 x86"},
    {ALLOW, .names = "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr",
     .arches = "s390 s390x"},
    {ALLOW, .names = "riscv_flush_icache", .arches = "riscv64"},
    {ALLOW, .names = "open_by_handle_at", .caps = CAP(DAC_READ_SEARCH)},
    {ALLOW,
     .names = "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount "
              "mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd "
              "setdomainname sethostname setns syslog umount umount2 unshare",
     .caps = CAP(SYS_ADMIN)},
    /* threads and processes, never new namespaces (without CAP_SYS_ADMIN) */
    {ALLOW, .names = "clone", .args = {ARG(0, NS_FLAGS, MASKED_EQ)}, .n_args = 1,
     .not_caps = CAP(SYS_ADMIN), .not_arches = "s390 s390x"},
    {ALLOW, .names = "clone", .args = {ARG(1, NS_FLAGS, MASKED_EQ)}, .n_args = 1,
     .not_caps = CAP(SYS_ADMIN), .arches = "s390 s390x"},
    /* clone3's flags are in memory seccomp cannot read: ENOSYS makes libc fall back to clone */
    {.names = "clone3", .action = SANDBOX_SCMP_ERRNO, .errno_ret = 38, .not_caps = CAP(SYS_ADMIN)},
    {ALLOW, .names = "reboot", .caps = CAP(SYS_BOOT)},
    {ALLOW, .names = "chroot", .caps = CAP(SYS_CHROOT)},
    {ALLOW, .names = "delete_module init_module finit_module", .caps = CAP(SYS_MODULE)},
    {ALLOW, .names = "acct", .caps = CAP(SYS_PACCT)},
    {ALLOW, .names = "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
     .caps = CAP(SYS_PTRACE)},
    {ALLOW, .names = "iopl ioperm", .caps = CAP(SYS_RAWIO)},
    {ALLOW, .names = "settimeofday stime clock_settime clock_settime64", .caps = CAP(SYS_TIME)},
    {ALLOW, .names = "vhangup", .caps = CAP(SYS_TTY_CONFIG)},
    {ALLOW, .names = "get_mempolicy mbind set_mempolicy set_mempolicy_home_node",
     .caps = CAP(SYS_NICE)},
    {ALLOW, .names = "syslog", .caps = CAP(SYSLOG)},
    {ALLOW, .names = "bpf", .caps = CAP(BPF)},
    {ALLOW, .names = "perf_event_open", .caps = CAP(PERFMON)},
};

static const struct sandbox_seccomp_profile docker_default = {
    .default_action = SANDBOX_SCMP_ERRNO,
    .default_errno = 1, /* EPERM */
    .docker_archmap = 1,
    .rules = rules,
    .n_rules = sizeof(rules) / sizeof(rules[0]),
};

const struct sandbox_seccomp_profile *sandbox_seccomp_default_profile(void)
{
    return &docker_default;
}

/* For Unconfined containers: everything but the kernel keyring calls. Root in a container
 * without a user namespace is the host's uid 0, whose user keyring it could link into its own
 * session keyring (keyctl link @u @s) and read: a session keyring of its own cannot hide the
 * host's keys from it, refusing the calls does. */
static const struct sandbox_seccomp_rule keyring_rules[] = {
    {.names = "keyctl add_key request_key", .action = SANDBOX_SCMP_ERRNO, .errno_ret = 1},
};

static const struct sandbox_seccomp_profile keyring_only = {
    .default_action = SANDBOX_SCMP_ALLOW,
    .default_errno = -1,
    .docker_archmap = 1,
    .rules = keyring_rules,
    .n_rules = 1,
};

const struct sandbox_seccomp_profile *sandbox_seccomp_keyring_profile(void)
{
    return &keyring_only;
}
