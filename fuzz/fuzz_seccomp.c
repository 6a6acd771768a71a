/* Seccomp profiles (Docker / OCI JSON): the input goes through the parser of
 * sandbox/seccomp.h, which also compiles every profile it accepts (libseccomp); an accepted
 * profile is compiled once more for a container without capabilities. */
#include "fuzz/fuzz.h"

#include "sandbox/seccomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tk_err err = {0};
    struct sandbox_seccomp_profile *p = NULL;
    if (sandbox_seccomp_profile_parse((const char *)data, size, &p, &err) < 0) {
        if (p || !err.msg[0])
            abort(); /* documented: no profile and a message on failure */
        return 0;
    }
    struct sandbox_seccomp_filter *f = NULL;
    if (sandbox_seccomp_compile(p, 1ULL << 21 /* CAP_SYS_ADMIN */, &f, &err) < 0 || !f ||
        sandbox_seccomp_filter_len(f) == 0)
        abort(); /* what the parser accepted compiles */
    sandbox_seccomp_filter_free(f);
    sandbox_seccomp_profile_free(p);
    return 0;
}
