/*
 * switchboard: parsing and printing listen addresses. Pure: only numeric
 * addresses are accepted, so start-up never waits on DNS.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen_addr.h"

static int	listen_addr_port(const char *, in_port_t *);
static int	listen_addr_tls(const char *, struct listen_addr *,
		    const char **);
static in_port_t listen_addr_inport(const struct listen_addr *);

/* Parse a decimal port 0..65535 that makes up the whole string. */
static int
listen_addr_port(const char *s, in_port_t *port)
{
	unsigned long	 v;
	char		*end;

	if (*s < '0' || *s > '9' || strlen(s) > 5)
		return (-1);
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 65535)
		return (-1);
	*port = htons((in_port_t)v);
	return (0);
}

/*
 * Parse one listen entry. On error returns -1 and sets *why to a short
 * reason that includes the fix.
 */
int
listen_addr_parse(const char *s, struct listen_addr *out, const char **why)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&out->ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&out->ss;
	char			 host[64];
	const char		*colon, *close;
	in_port_t		 port;

	memset(out, 0, sizeof(*out));
	out->mode = -1;
	out->gid = -1;
	if (strncmp(s, "udp:", 4) == 0) {
		if (strncmp(s + 4, "unix:", 5) == 0 || strncmp(s + 4, "udp:",
		    4) == 0 || strncmp(s + 4, "tls:", 4) == 0 || s[4] == '\0') {
			*why = "udp: takes an IP address and port, as in "
			    "udp:127.0.0.1:7001, udp:[::1]:7001 or udp:7001";
			return (-1);
		}
		if (listen_addr_parse(s + 4, out, why) == -1)
			return (-1);
		out->udp = true;
		return (0);
	}
	if (strncmp(s, "tls:", 4) == 0)
		return (listen_addr_tls(s + 4, out, why));
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/') {
			*why = "a unix socket needs an absolute path "
			    "(write unix:/run/switchboard/NAME.sock)";
			return (-1);
		}
		if (strlen(s + 5) >= sizeof(sun->sun_path)) {
			*why = "unix socket path too long (at most 107 bytes)";
			return (-1);
		}
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, s + 5);
		out->len = (socklen_t)sizeof(*sun);
		return (0);
	}
	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL || close[1] != ':' ||
		    (size_t)(close - s - 1) >= sizeof(host)) {
			*why = "expected [IPV6]:PORT, as in [::1]:7001";
			return (-1);
		}
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			*why = "not a numeric IPv6 address (write [::1]:7001)";
			return (-1);
		}
		if (listen_addr_port(close + 2, &port) == -1)
			goto badport;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		out->len = (socklen_t)sizeof(*sin6);
		return (0);
	}
	if ((colon = strrchr(s, ':')) == NULL) {
		if (listen_addr_port(s, &port) == -1)
			goto badport;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = port;
		out->len = (socklen_t)sizeof(*sin6);
		out->any = true;
		return (0);
	}
	if (strchr(s, ':') != colon) {
		*why = "an IPv6 address needs brackets (write [::1]:7001)";
		return (-1);
	}
	if ((size_t)(colon - s) >= sizeof(host) ||
	    (memcpy(host, s, (size_t)(colon - s)), host[colon - s] = '\0',
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1)) {
		*why = "not a numeric IPv4 address (write 127.0.0.1:7001, "
		    "or just the port for every address)";
		return (-1);
	}
	if (listen_addr_port(colon + 1, &port) == -1)
		goto badport;
	sin->sin_family = AF_INET;
	sin->sin_port = port;
	out->len = (socklen_t)sizeof(*sin);
	return (0);

badport:
	*why = "the port must be a number from 0 to 65535";
	return (-1);
}

/*
 * The address after "tls:": an IP address and port, never unix, udp or
 * tls.
 */
static int
listen_addr_tls(const char *s, struct listen_addr *out, const char **why)
{
	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "tls:", 4) == 0 ||
	    strncmp(s, "udp:", 4) == 0) {
		*why = "tls: takes an IP address and port, as in "
		    "tls:127.0.0.1:7443, tls:[::1]:7443 or tls:7443";
		return (-1);
	}
	if (listen_addr_parse(s, out, why) == -1)
		return (-1);
	out->tls = true;
	return (0);
}

/* The port of an IP address, in network order; 0 for unix sockets. */
static in_port_t
listen_addr_inport(const struct listen_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return (((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return (((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return (0);
}

/*
 * Would two entries bind the same socket, or overlap (a wildcard PORT and
 * an address on that port, of the same transport)? Port 0 is never a
 * clash.
 */
bool
listen_addr_same(const struct listen_addr *a, const struct listen_addr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->udp != b->udp)
		return (false);		/* TCP and UDP ports are apart */
	if ((a->any || b->any) && a->ss.ss_family != AF_UNIX &&
	    b->ss.ss_family != AF_UNIX)
		return (listen_addr_inport(a) != 0 &&
		    listen_addr_inport(a) == listen_addr_inport(b));
	if (a->ss.ss_family != b->ss.ss_family)
		return (false);
	switch (a->ss.ss_family) {
	case AF_UNIX:
		return (strcmp(((const struct sockaddr_un *)&a->ss)->sun_path,
		    ((const struct sockaddr_un *)&b->ss)->sun_path) == 0);
	case AF_INET:
		a4 = (const struct sockaddr_in *)&a->ss;
		b4 = (const struct sockaddr_in *)&b->ss;
		return (a4->sin_port != 0 && a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	default:
		a6 = (const struct sockaddr_in6 *)&a->ss;
		b6 = (const struct sockaddr_in6 *)&b->ss;
		return (a6->sin6_port != 0 && a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0);
	}
}

/*
 * Is a bound socket (as getsockname reports it) the one this entry asks
 * for? Port 0 matches any port; a wildcard PORT matches [::]:PORT.
 */
bool
listen_addr_matches(const struct listen_addr *a, const struct sockaddr *sa,
    socklen_t len)
{
	const struct sockaddr_in	*a4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in	*b4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*a6 = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6	*b6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_un	*au = (const struct sockaddr_un *)&a->ss;
	const struct sockaddr_un	*bu = (const struct sockaddr_un *)sa;
	size_t				 off = offsetof(struct sockaddr_un,
					    sun_path);

	if (len < sizeof(sa->sa_family) || sa->sa_family != a->ss.ss_family)
		return (false);
	switch (sa->sa_family) {
	case AF_UNIX:
		return (len > off && strncmp(au->sun_path, bu->sun_path,
		    len - off) == 0 && strlen(au->sun_path) <= len - off);
	case AF_INET:
		return (len >= sizeof(*b4) && (a4->sin_port == 0 ||
		    a4->sin_port == b4->sin_port) &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	case AF_INET6:
		return (len >= sizeof(*b6) && (a6->sin6_port == 0 ||
		    a6->sin6_port == b6->sin6_port) &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(b6->sin6_addr)) == 0);
	}
	return (false);
}

/*
 * Print a socket address as "1.2.3.4:80", "[::1]:80" or "unix:/path"
 * (the peer of a unix socket has no name: "unix"). Returns buf.
 */
const char *
listen_addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_un	*sun = (const struct sockaddr_un *)sa;
	char				 host[INET6_ADDRSTRLEN];

	switch (len >= sizeof(sa->sa_family) ? sa->sa_family : AF_UNSPEC) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		if (len > offsetof(struct sockaddr_un, sun_path) &&
		    sun->sun_path[0] != '\0')
			snprintf(buf, size, "unix:%.*s",
			    (int)(len - offsetof(struct sockaddr_un, sun_path)),
			    sun->sun_path);
		else
			snprintf(buf, size, "unix");
		break;
	default:
		snprintf(buf, size, "unknown");
		break;
	}
	return (buf);
}
