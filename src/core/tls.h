/*
 * switchboard: TLS contexts, one per service with tls: listeners, built
 * from its tls_certificate and tls_key when the config is read.
 */
#ifndef SB_TLS_H
#define SB_TLS_H

#include <stddef.h>

struct ssl_ctx_st;

/* Which file a problem is with. */
enum tls_file {
	TLS_FILE_CERTIFICATE,
	TLS_FILE_KEY
};

/* A certificate this close to its end is warned about (days). */
#define TLS_EXPIRY_WARN_DAYS	14

struct ssl_ctx_st *tls_ctx_load(const char *, const char *, enum tls_file *,
	    char *, size_t, long *);
void	tls_ctx_free(struct ssl_ctx_st *);
const char *tls_error(char *, size_t);

#endif
