/* Value checks shared by the validator and other parts: names, addresses, capabilities,
 * and the enum string tables. */
#include "spec/spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/capability.h"
#include "base/cleanup.h"
#include "base/parse.h"
#include "spec/spec-int.h"

const char *spec_restart_policy_to_string(enum spec_restart_policy p)
{
    static const char *const names[] = {"Always", "OnFailure", "Never"};
    return (unsigned)p < TK_ARRAY_SIZE(names) ? names[p] : "?";
}

const char *spec_pull_policy_to_string(enum spec_pull_policy p)
{
    static const char *const names[] = {"IfNotPresent", "Always", "Never"};
    return (unsigned)p < TK_ARRAY_SIZE(names) ? names[p] : "?";
}

const char *spec_macvlan_mode_to_string(enum spec_macvlan_mode m)
{
    static const char *const names[] = {"bridge", "private", "vepa", "passthru"};
    return (unsigned)m < TK_ARRAY_SIZE(names) ? names[m] : "?";
}

const char *spec_host_path_type_to_string(enum spec_host_path_type t)
{
    static const char *const names[] = {
        "",       "DirectoryOrCreate", "Directory",  "FileOrCreate", "File",
        "Socket", "CharDevice",        "BlockDevice"};
    return (unsigned)t < TK_ARRAY_SIZE(names) ? names[t] : "?";
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool spec_is_dns1123_label(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > 63)
        return false;
    if (!is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

bool spec_is_dns1123_subdomain(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > 253)
        return false;
    const char *p = s;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        char label[64];
        if (l == 0 || l > 63)
            return false;
        memcpy(label, p, l);
        label[l] = '\0';
        if (!spec_is_dns1123_label(label))
            return false;
        if (!dot)
            return true;
        p = dot + 1;
    }
}

bool spec_is_env_name(const char *s)
{
    if (!s || !*s)
        return false;
    if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (const char *p = s; *p; p++)
        if (!is_alnum(*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

bool spec_is_label_value(const char *s)
{
    size_t len = strlen(s);
    if (len == 0)
        return true;
    if (len > 63 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

bool spec_is_label_key(const char *s)
{
    const char *slash = strrchr(s, '/');
    if (slash) {
        size_t pl = (size_t)(slash - s);
        char prefix[254];
        if (pl == 0 || pl > 253)
            return false;
        memcpy(prefix, s, pl);
        prefix[pl] = '\0';
        if (!spec_is_dns1123_subdomain(prefix))
            return false;
        s = slash + 1;
    }
    return *s && spec_is_label_value(s);
}

bool spec_is_port_name(const char *s)
{
    size_t len = strlen(s);
    bool letter = false;
    if (len == 0 || len > 15 || s[0] == '-' || s[len - 1] == '-' || strstr(s, "--"))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
        letter |= s[i] >= 'a' && s[i] <= 'z';
    }
    return letter;
}

bool spec_is_ifname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == ':')
            return false;
    }
    return true;
}

int spec_parse_cidr(const char *s, int *family, unsigned char addr[16], int *prefix)
{
    const char *slash = strchr(s, '/');
    char host[INET6_ADDRSTRLEN + 1];
    int64_t plen;
    if (!slash || (size_t)(slash - s) >= sizeof(host))
        return -EINVAL;
    memcpy(host, s, (size_t)(slash - s));
    host[slash - s] = '\0';
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, host, addr) == 1)
        *family = AF_INET;
    else if (inet_pton(AF_INET6, host, addr) == 1)
        *family = AF_INET6;
    else
        return -EINVAL;
    if (tk_parse_int64(slash + 1, 0, *family == AF_INET ? 32 : 128, &plen) < 0)
        return -EINVAL;
    /* No sign, no leading zeros, no spaces: the prefix as Kubernetes writes it. */
    if (slash[1] == '+' || slash[1] == '-' || (slash[1] == '0' && slash[2]))
        return -EINVAL;
    *prefix = (int)plen;
    return 0;
}

int spec_parse_mac(const char *s, unsigned char mac[6])
{
    if (strlen(s) != 17)
        return -EINVAL;
    for (int i = 0; i < 6; i++) {
        const char *p = s + 3 * i;
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = p[j];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                return -EINVAL;
            v = v << 4 | (unsigned)d;
        }
        if (i < 5 && p[2] != ':')
            return -EINVAL;
        mac[i] = (unsigned char)v;
    }
    return 0;
}

const char *spec_capability_canonical(const char *name)
{
    return tk_cap_name(tk_cap_from_name(name));
}
