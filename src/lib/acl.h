/*
 * switchboard: allow and deny lists of addresses and CIDR prefixes.
 */
#ifndef SB_ACL_H
#define SB_ACL_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acl_entry {
	uint8_t	family;		/* AF_INET or AF_INET6 */
	uint8_t	prefix;		/* bits that must match */
	uint8_t	addr[16];
};

struct acl {
	struct acl_entry	*e;
	size_t			 n;
};

/* Longest text acl_format writes, with its NUL. */
#define ACL_TEXT	(46 + 4)

int	acl_parse(const char *, struct acl_entry *, const char **);
bool	acl_match(const struct acl *, int, const uint8_t *);
const struct acl_entry *acl_find(const struct acl *, int, const uint8_t *);
bool	acl_covers_mapped(const struct acl_entry *);
const char *acl_format(const struct acl_entry *, char *, size_t);
void	acl_peer(const struct sockaddr *, int *, uint8_t *);

#endif
