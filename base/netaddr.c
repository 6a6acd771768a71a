#include "base/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int tk_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tk_parse_ip(const char *s, int *family, unsigned char addr[16])
{
    memset(addr, 0, 16);
    if (!s)
        return -EINVAL;
    if (inet_pton(AF_INET, s, addr) == 1)
        *family = AF_INET;
    else if (inet_pton(AF_INET6, s, addr) == 1)
        *family = AF_INET6;
    else
        return -EINVAL;
    return 0;
}

int tk_parse_cidr(const char *s, int *family, unsigned char addr[16], int *prefix)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    char ip[INET6_ADDRSTRLEN];
    if (!slash || slash == s || (size_t)(slash - s) >= sizeof(ip))
        return -EINVAL;
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    if (tk_parse_ip(ip, family, addr) < 0)
        return -EINVAL;
    const char *p = slash + 1;
    size_t len = strlen(p);
    if (len == 0 || len > 3 || (p[0] == '0' && len > 1))
        return -EINVAL;
    int v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        v = v * 10 + (*p - '0');
    }
    if (v > (*family == AF_INET ? 32 : 128))
        return -EINVAL;
    *prefix = v;
    return 0;
}

int tk_parse_mac(const char *s, unsigned char mac[6])
{
    if (!s || strlen(s) != 17)
        return -EINVAL;
    for (int i = 0; i < 6; i++) {
        int hi = tk_hex_digit(s[3 * i]), lo = tk_hex_digit(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return -EINVAL;
        mac[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

bool tk_is_ifname(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > TK_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '/' || *s == ':')
            return false;
    return true;
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool tk_is_dns_label(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}
