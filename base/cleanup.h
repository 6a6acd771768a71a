#pragma once
/*
 * Scope-bound cleanup (systemd/crun style). Declare every cleanup variable before the
 * first goto. Ownership leaves a scope only through TAKE_PTR()/TAKE_FD().
 *
 *   _cleanup_free_ char *s = NULL;
 *   _cleanup_close_ int fd = -1;
 *   return TAKE_FD(fd);
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void tk_freep(void *p)
{
    free(*(void **)p);
}
static inline void tk_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void tk_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
static inline void tk_closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(tk_freep)
#define _cleanup_close_ _cleanup_(tk_closep)
#define _cleanup_fclose_ _cleanup_(tk_fclosep)
#define _cleanup_closedir_ _cleanup_(tk_closedirp)

#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tk_tmp = (p);                                                               \
        (p) = NULL;                                                                                \
        _tk_tmp;                                                                                   \
    })
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _tk_tmp = (fd);                                                                        \
        (fd) = -1;                                                                                 \
        _tk_tmp;                                                                                   \
    })

/* Define a cleanup function name##p for a type with a name_free(T *) destructor. */
#define TK_DEFINE_CLEANUP(type, func)                                                              \
    static inline void func##p(type **p)                                                           \
    {                                                                                              \
        if (*p)                                                                                    \
            func(*p);                                                                              \
    }

#define TK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
