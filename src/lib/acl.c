/*
 * switchboard: address lists. An entry is an address ("192.0.2.7",
 * "2001:db8::1") or a prefix ("10.0.0.0/8", "2001:db8::/32").
 *
 * IPv4 has one form here. Peers on a dual-stack socket arrive as
 * IPv4-mapped IPv6 addresses; acl_peer turns those back into IPv4. An
 * entry written in the mapped block, "::ffff:a.b.c.d/N" with N >= 96, is
 * the IPv4 entry "a.b.c.d/(N-96)" and is stored as one, so it matches the
 * same clients and prints the same way. An IPv6 prefix shorter than /96
 * that covers the mapped block ("::/0") stays IPv6: IPv4 clients are
 * matched by IPv4 entries only (acl_covers_mapped lets the config reader
 * say so). Pure: no I/O.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

/* The first 96 bits of every IPv4-mapped address, ::ffff:0:0/96. */
static const uint8_t acl_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool	acl_entry_match(const struct acl_entry *, int,
		    const uint8_t *);
static bool	acl_bits_equal(const uint8_t *, const uint8_t *, int);

/*
 * Parse one entry. Returns 0, or -1 with *why saying what is wrong.
 * Host bits set beyond the prefix are an error: "10.1.0.0/8" is almost
 * certainly a typo for something else.
 */
int
acl_parse(const char *s, struct acl_entry *e, const char **why)
{
	char		 host[INET6_ADDRSTRLEN + 1], *end;
	const char	*slash = strchr(s, '/');
	size_t		 hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long	 bits;
	int		 max, i;

	memset(e, 0, sizeof(*e));
	if (hlen == 0 || hlen >= sizeof(host)) {
		*why = "expected an address or ADDRESS/PREFIX, as in 10.0.0.0/8";
		return (-1);
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, e->addr) == 1) {
		e->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, e->addr) == 1) {
		e->family = AF_INET6;
		max = 128;
	} else {
		*why = "not a numeric IPv4 or IPv6 address";
		return (-1);
	}
	e->prefix = (uint8_t)max;
	if (slash != NULL) {
		bits = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    bits > (unsigned long)max) {
			*why = e->family == AF_INET ? "the prefix must be 0 to 32" :
			    "the prefix must be 0 to 128";
			return (-1);
		}
		e->prefix = (uint8_t)bits;
	}
	if (e->family == AF_INET6 && e->prefix >= 96 &&
	    memcmp(e->addr, acl_mapped, sizeof(acl_mapped)) == 0) {
		/* ::ffff:a.b.c.d/N is a.b.c.d/(N-96). */
		memmove(e->addr, e->addr + 12, 4);
		memset(e->addr + 4, 0, 12);
		e->family = AF_INET;
		e->prefix -= 96;
		max = 32;
	}
	for (i = e->prefix; i < max; i++) {
		if (e->addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "address bits are set beyond the prefix";
			return (-1);
		}
	}
	return (0);
}

/* Are the first bits of two addresses the same? */
static bool
acl_bits_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int	full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return (false);
	return (rest == 0 || ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0);
}

/* Does one entry cover the address? */
static bool
acl_entry_match(const struct acl_entry *e, int family, const uint8_t *addr)
{
	return (e->family == family && acl_bits_equal(e->addr, addr,
	    e->prefix));
}

/* The first entry of the list that covers the address, or NULL. */
const struct acl_entry *
acl_find(const struct acl *a, int family, const uint8_t *addr)
{
	size_t	i;

	for (i = 0; i < a->n; i++) {
		if (acl_entry_match(&a->e[i], family, addr))
			return (&a->e[i]);
	}
	return (NULL);
}

/* Does any entry of the list cover the address? */
bool
acl_match(const struct acl *a, int family, const uint8_t *addr)
{
	return (acl_find(a, family, addr) != NULL);
}

/*
 * Is this an IPv6 entry whose prefix also covers the IPv4-mapped block
 * (as "::/0" does)? It matches no IPv4 client all the same.
 */
bool
acl_covers_mapped(const struct acl_entry *e)
{
	return (e->family == AF_INET6 && e->prefix < 96 &&
	    acl_bits_equal(e->addr, acl_mapped, e->prefix));
}

/*
 * Print an entry in its one canonical form: "192.0.2.7", "10.0.0.0/8",
 * "2001:db8::/32" (an entry written as ::ffff:a.b.c.d is IPv4). Returns
 * buf.
 */
const char *
acl_format(const struct acl_entry *e, char *buf, size_t size)
{
	char	host[INET6_ADDRSTRLEN];
	int	max = e->family == AF_INET ? 32 : 128;

	if (inet_ntop(e->family, e->addr, host, sizeof(host)) == NULL)
		snprintf(host, sizeof(host), "?");
	if (e->prefix == max)
		snprintf(buf, size, "%s", host);
	else
		snprintf(buf, size, "%s/%u", host, e->prefix);
	return (buf);
}

/*
 * The family and address bytes of a peer, with IPv4-mapped IPv6 turned
 * into IPv4. *family is AF_UNSPEC for anything else (a unix socket).
 */
void
acl_peer(const struct sockaddr *sa, int *family, uint8_t *addr)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(addr, 0, 16);
	*family = AF_UNSPEC;
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		memcpy(addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			*family = AF_INET;
			memcpy(addr, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, &sin6->sin6_addr, 16);
		}
	}
}
