/* The INI configuration (tank.ini): arbitrary bytes as the file config_load() reads,
 * through a memfd so that nothing touches the disk. The host seam is read back too. */
#include "fuzz/fuzz.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/config.h"
#include "base/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-tank.ini", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            abort();
        off += (size_t)n;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    struct tank_config cfg;
    struct tk_err err = {0};
    if (config_load(&cfg, path, &err) == 0) {
        struct host_facts h;
        host_facts_get(&cfg, &h);
        host_facts_free(&h);
    }
    config_free(&cfg);
    close(fd);
    return 0;
}
