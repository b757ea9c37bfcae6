// chu-oldkernel: runs a command as if on an older x86_64 Linux, every syscall that kernel lacks failing
// with ENOSYS (what the old kernel itself answers), through a seccomp filter its children inherit.
//
//   chu-oldkernel --kernel 3.10|4.4 -- COMMAND ARGS...   run COMMAND under the filter
//   chu-oldkernel --self-check 3.10|4.4                  prove the filter: see self_check()
//
// Where the filter cannot be had (not x86_64, no seccomp in the kernel) it runs nothing, says
// "chu-oldkernel: skipped: why" and exits 77; ctest matches the words, since a suite may exit 77 too.
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace {

constexpr int skip = 77;

#if defined(__x86_64__)

// The last x86_64 syscall number of each kernel: numbers are handed out in order (the ABI never reuses
// one), so a kernel has exactly the numbers up to its last. Versions from man 2 syscalls (man-pages 6.03,
// Debian's manpages-dev): finit_module 3.8, sched_setattr 3.14 (none came in 3.9 to 3.13), mlock2 4.4,
// copy_file_range 4.5. Numbers from arch/x86/entry/syscalls/syscall_64.tbl, as Debian's linux-libc-dev
// installs it in <asm/unistd_64.h>: finit_module 313, sched_setattr 314, mlock2 325, copy_file_range 326.
struct Kernel {
    const char* version;
    long last;
};
constexpr Kernel kernels[] = {{"3.10", SYS_finit_module}, {"4.4", SYS_mlock2}};
static_assert(SYS_finit_module == 313 && SYS_sched_setattr == 314 && SYS_mlock2 == 325 && SYS_copy_file_range == 326);

const Kernel* kernel_named(const std::string& version)
{
    for (const Kernel& k : kernels)
        if (version == k.version)
            return &k;
    return nullptr;
}

// x32 calls (the x86_64 ABI with the 0x40000000 bit) and i386 calls (int 0x80) are refused whole: they
// are other ABIs with other numbers, and nothing here uses them.
bool install_filter(const Kernel& kernel)
{
    const unsigned nosys = SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA);
    sock_filter program[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, nosys),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, nosys),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, static_cast<unsigned>(kernel.last), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, nosys),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog filter{static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
    // No new privileges: what lets an unprivileged process install a filter, and keeps setuid programs
    // from escaping it.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) {
        std::fprintf(stderr, "chu-oldkernel: skipped: cannot install the seccomp filter: %s\n", std::strerror(errno));
        return false;
    }
    return true;
}

// One syscall with harmless arguments; what matters is only whether the answer is ENOSYS. The ones
// the check needs must be on the host; finit_module, the last call of 3.10, is not where the kernel was
// built without modules, so it is checked only where it is there.
struct Probe {
    const char* name;
    long nr;
    bool needed;
    long (*call)();
};

long closing(long fd)
{
    if (fd >= 0)
        close(static_cast<int>(fd));
    return fd;
}

const Probe probes[] = {
    {"pipe2", SYS_pipe2, true,
     [] {
         int fds[2];
         const long r = syscall(SYS_pipe2, fds, O_CLOEXEC);
         if (r == 0) {
             close(fds[0]);
             close(fds[1]);
         }
         return r;
     }},
    {"getcpu", SYS_getcpu, true, [] { return syscall(SYS_getcpu, nullptr, nullptr, nullptr); }},
    {"finit_module", SYS_finit_module, false, [] { return syscall(SYS_finit_module, -1, "", 0); }},
    {"sched_setattr", SYS_sched_setattr, true, [] { return syscall(SYS_sched_setattr, 0, nullptr, 0); }},
    {"renameat2", SYS_renameat2, true,
     [] { return syscall(SYS_renameat2, AT_FDCWD, "/nonexistent/chu-a", AT_FDCWD, "/nonexistent/chu-b", 0); }},
    {"getrandom", SYS_getrandom, true,
     [] {
         char byte;
         return syscall(SYS_getrandom, &byte, 1, 0);
     }},
    {"memfd_create", SYS_memfd_create, true, [] { return closing(syscall(SYS_memfd_create, "chu-probe", MFD_CLOEXEC)); }},
    {"mlock2", SYS_mlock2, true, [] { return syscall(SYS_mlock2, nullptr, 0, 0); }},
    {"copy_file_range", SYS_copy_file_range, true, [] { return syscall(SYS_copy_file_range, -1, nullptr, -1, nullptr, 0, 0); }},
    {"statx", SYS_statx, true,
     [] {
         char buffer[256];
         return syscall(SYS_statx, AT_FDCWD, "/", 0, 0, buffer);
     }},
};

bool nosys(const Probe& p)
{
    errno = 0;
    return p.call() == -1 && errno == ENOSYS;
}

// Each probe before the filter (the host must have the needed ones, or the check would prove nothing),
// then in a child exec'd under the filter, as the tests run: every call up to the kernel's last must
// still work, every later one and an x32 call must fail with ENOSYS.
int self_check(const Kernel& kernel, const char* self)
{
    std::string present;
    for (const Probe& p : probes) {
        const bool absent = nosys(p);
        if (absent && p.needed) {
            std::printf("chu-oldkernel: skipped: this host's kernel has no %s, so the filter cannot be told from it\n", p.name);
            return skip;
        }
        present += absent ? '0' : '1';
    }
    if (!install_filter(kernel))
        return skip;
    execl(self, self, "--probe", kernel.version, present.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "chu-oldkernel: cannot run %s: %s\n", self, std::strerror(errno));
    return 1;
}

// `present`: one '1' or '0' per probe, whether the host answered it before the filter.
int probe(const Kernel& kernel, const std::string& present)
{
    int wrong = 0;
    for (std::size_t i = 0; i < std::size(probes); ++i) {
        const Probe& p = probes[i];
        if (present.size() != std::size(probes) || present[i] != '1') {
            std::printf("%-16s %3ld  not on this host: not checked\n", p.name, p.nr);
            continue;
        }
        const bool expected = p.nr > kernel.last;
        const bool got = nosys(p);
        std::printf("%-16s %3ld  %-6s %s %s\n", p.name, p.nr, got ? "ENOSYS" : "works", got == expected ? "as on" : "UNLIKE",
                    kernel.version);
        wrong += got != expected;
    }
    errno = 0;
    const bool x32 = syscall(0x40000000 | SYS_getpid) == -1 && errno == ENOSYS;  // getpid through the x32 ABI
    std::printf("%-16s %3s  %-6s %s\n", "x32 getpid", "", x32 ? "ENOSYS" : "works", x32 ? "as filtered" : "UNFILTERED");
    wrong += !x32;
    std::printf("%s\n", wrong ? "the filter is wrong" : "the filter answers as the kernel would");
    return wrong ? 1 : 0;
}

#endif

int usage()
{
    std::fprintf(stderr, "usage: chu-oldkernel --kernel 3.10|4.4 -- COMMAND [ARGS...]\n"
                         "       chu-oldkernel --self-check 3.10|4.4\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::vector<std::string> args(argv + 1, argv + argc);
#if !defined(__x86_64__)
    (void)args;
    std::fprintf(stderr, "chu-oldkernel: skipped: only x86_64's syscall numbers are known here\n");
    return skip;
#else
    if (args.size() < 2)
        return usage();
    const Kernel* kernel = kernel_named(args[1]);
    if (!kernel)
        return usage();
    if (args[0] == "--self-check" && args.size() == 2)
        return self_check(*kernel, "/proc/self/exe");
    if (args[0] == "--probe" && args.size() == 3)
        return probe(*kernel, args[2]);
    if (args[0] != "--kernel" || args.size() < 4 || args[2] != "--")
        return usage();
    if (!install_filter(*kernel))
        return skip;
    execvp(argv[4], argv + 4);
    std::fprintf(stderr, "chu-oldkernel: cannot run %s: %s\n", argv[4], std::strerror(errno));
    return 127;
#endif
}
