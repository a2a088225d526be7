/*
 * switchboard: TLS contexts.
 *
 * A context is made from a PEM certificate chain and a PEM private key,
 * and checked the way -t promises: both readable, the key the
 * certificate's, the certificate not expired. TLS 1.2 and 1.3 only and
 * no client certificates; the rest is OpenSSL's defaults.
 *
 * Contexts are counted references: each connection's session holds its
 * own, so a reload may drop the old context while clients still use it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"

/* The largest certificate or key file read (a long chain fits). */
#define TLS_FILE_MAX	(1024 * 1024)

static int	tls_no_passphrase(char *, int, int, void *);
static int	tls_file_ok(const char *, char *, size_t);
static int	tls_load_key(SSL_CTX *, const char *, const char *,
		    enum tls_file *, char *, size_t);
static int	tls_check_dates(SSL_CTX *, const char *, char *, size_t,
		    long *);

/*
 * A key with a passphrase cannot be used: the daemon has no one to ask.
 * Refusing here keeps OpenSSL from prompting on a terminal during -t.
 */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return (-1);
}

/*
 * Is path a readable regular file of a sensible size for PEM? (A FIFO or
 * /dev/zero named by mistake would otherwise hold -t or a reload.)
 * Returns 0, or -1 with why set.
 */
static int
tls_file_ok(const char *path, char *why, size_t len)
{
	struct stat	st;
	int		fd;

	/* Non-blocking: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(why, len, "cannot read \"%s\": %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "\"%s\" is not a regular file", path);
		return (-1);
	}
	if (st.st_size > TLS_FILE_MAX) {
		snprintf(why, len, "\"%s\" is larger than %d KiB (is it a "
		    "PEM file?)", path, TLS_FILE_MAX / 1024);
		return (-1);
	}
	return (0);
}

/*
 * OpenSSL's most recent error as text, and its queue emptied; "unknown
 * error" if it has none.
 */
const char *
tls_error(char *buf, size_t size)
{
	unsigned long	e = ERR_peek_last_error();
	const char	*reason = ERR_reason_error_string(e);

	if (e == 0 || reason == NULL)
		snprintf(buf, size, "unknown error");
	else
		snprintf(buf, size, "%s", reason);
	ERR_clear_error();
	return (buf);
}

/*
 * Read the private key and make it the context's, checking it against
 * the certificate. Returns 0, or -1 with *bad and why set.
 */
static int
tls_load_key(SSL_CTX *ctx, const char *key, const char *cert,
    enum tls_file *bad, char *why, size_t len)
{
	EVP_PKEY	*pkey;
	FILE		*f;
	char		 err[128];

	*bad = TLS_FILE_KEY;
	if (tls_file_ok(key, why, len) == -1)
		return (-1);
	if ((f = fopen(key, "r")) == NULL) {
		snprintf(why, len, "cannot read \"%s\": %s", key,
		    strerror(errno));
		return (-1);
	}
	pkey = PEM_read_PrivateKey(f, NULL, tls_no_passphrase, NULL);
	fclose(f);
	if (pkey == NULL) {
		snprintf(why, len, "\"%s\" holds no usable PEM private key "
		    "(%s; a key with a passphrase cannot be used)", key,
		    tls_error(err, sizeof(err)));
		return (-1);
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		snprintf(why, len, "the key in \"%s\" does not match the "
		    "certificate in \"%s\"", key, cert);
		return (-1);
	}
	EVP_PKEY_free(pkey);
	return (0);
}

/*
 * An expired certificate is an error; *days_left says how long a valid
 * one has (the caller warns when it is short). Returns 0 or -1.
 */
static int
tls_check_dates(SSL_CTX *ctx, const char *cert, char *why, size_t len,
    long *days_left)
{
	X509		*x = SSL_CTX_get0_certificate(ctx);
	const ASN1_TIME	*end = x != NULL ? X509_get0_notAfter(x) : NULL;
	struct tm	 tm;
	char		 when[64];
	int		 days, secs;

	if (end == NULL || ASN1_TIME_diff(&days, &secs, NULL, end) != 1) {
		snprintf(why, len, "\"%s\": cannot read the certificate's "
		    "expiry date", cert);
		ERR_clear_error();
		return (-1);
	}
	if (ASN1_TIME_to_tm(end, &tm) != 1 ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "an unreadable date");
	*days_left = days;
	if (days < 0 || secs < 0 || (days == 0 && secs == 0)) {
		snprintf(why, len, "the certificate in \"%s\" expired on %s",
		    cert, when);
		return (-1);
	}
	snprintf(why, len, "%s", when);	/* for the caller's warning */
	return (0);
}

/*
 * Make a server context from a certificate chain file and a key file.
 * Returns it, or NULL with *bad naming the file at fault and why saying
 * what is wrong. On success why holds the certificate's end date and
 * *days_left the whole days until then.
 */
SSL_CTX *
tls_ctx_load(const char *cert, const char *key, enum tls_file *bad,
    char *why, size_t len, long *days_left)
{
	SSL_CTX	*ctx;
	char	 err[128];

	*bad = TLS_FILE_CERTIFICATE;
	*days_left = 0;
	if (tls_file_ok(cert, why, len) == -1)
		return (NULL);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(why, len, "cannot make a TLS context: %s",
		    tls_error(err, sizeof(err)));
		return (NULL);
	}
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail_lib;
	/*
	 * A client that closes without close_notify has simply gone (most
	 * line clients do): an end of file, not an error. Idle sessions
	 * give their buffers back.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* One read for a record's header and body (conn_tls_decrypt). */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(why, len, "\"%s\" holds no usable PEM certificate "
		    "(%s)", cert, tls_error(err, sizeof(err)));
		SSL_CTX_free(ctx);
		return (NULL);
	}
	if (tls_check_dates(ctx, cert, why, len, days_left) == -1 ||
	    tls_load_key(ctx, key, cert, bad, why, len) == -1) {
		SSL_CTX_free(ctx);
		return (NULL);
	}
	return (ctx);

fail_lib:
	snprintf(why, len, "cannot set up a TLS context: %s",
	    tls_error(err, sizeof(err)));
	SSL_CTX_free(ctx);
	return (NULL);
}

/* Drop a reference to a context (NULL is fine). */
void
tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}
