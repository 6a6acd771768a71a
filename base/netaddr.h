#pragma once
/*
 * Network names and addresses as manifests write them, shared by the manifest validator
 * (spec/) and the pod sandbox (sandbox/), so both accept exactly the same strings.
 * Each parser returns 0 on success and -EINVAL on anything else (NULL included), leaving
 * its outputs unspecified on failure.
 */
#include <stdbool.h>

#define TK_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

/* The value of a hexadecimal digit (either case), -1 for any other character. */
int tk_hex_digit(char c);

/* An IPv4 or IPv6 address without prefix: family AF_INET/AF_INET6, addr in network order
 * (4 or 16 bytes used; the rest zeroed). */
int tk_parse_ip(const char *s, int *family, unsigned char addr[16]);

/* ADDRESS/PREFIX, the prefix in decimal as Kubernetes writes it: no sign, no leading zeros,
 * at most 32 (IPv4) or 128 (IPv6). "192.0.2.1/024" is refused. */
int tk_parse_cidr(const char *s, int *family, unsigned char addr[16], int *prefix);

/* "02:ab:cd:00:ff:10" (six pairs of hex digits, either case, joined by ':'). */
int tk_parse_mac(const char *s, unsigned char mac[6]);

/* A Linux interface name: 1..15 bytes, printable ASCII without blanks, '/' or ':', not "."
 * or "..". */
bool tk_is_ifname(const char *s);

/* A DNS-1123 label: 1..63 of [a-z0-9-], starting and ending alphanumeric. */
bool tk_is_dns_label(const char *s);
