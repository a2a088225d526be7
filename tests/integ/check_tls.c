/*
 * switchboard integration tests: tls: listeners.
 *
 * Each test makes throwaway certificates with the openssl command in a
 * private directory, and talks to the daemon with real clients: Python's
 * ssl module, openssl s_client, ncat --ssl, and a small OpenSSL client of
 * its own (tcl_*) for what needs a connection held open.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "../check_common.h"
#include "harness.h"

/* A TLS client of the test's own. */
struct tcl {
	SSL	*ssl;
	int	 fd;
	size_t	 len;
	char	 buf[16384];
	char	 line[16384];
};

static char	certs[64];		/* the test's certificate directory */

/*
 * Make the certificates: key.pem with cert.pem (serial 4097) and
 * cert2.pem (serial 8194), other.pem (a key of neither), old.pem
 * (expired yesterday), soon.pem (ends in 5 days); and tlsc.py, a Python
 * client.
 */
static void
certs_make(void)
{
	char	cmd[2048], out[4096];
	FILE	*f;

	ck_assert_int_eq(sb_tmpdir(certs, sizeof(certs), "sb-tls"), 0);
	snprintf(cmd, sizeof(cmd), "(cd %s && "
	    "openssl ecparam -name prime256v1 -genkey -noout -out key.pem && "
	    "openssl ecparam -name prime256v1 -genkey -noout -out other.pem && "
	    "openssl req -x509 -key key.pem -subj /CN=localhost -days 30 "
	    "-set_serial 4097 -out cert.pem && "
	    "openssl req -x509 -key key.pem -subj /CN=localhost -days 30 "
	    "-set_serial 8194 -out cert2.pem && "
	    "openssl req -new -key key.pem -subj /CN=old -out old.csr && "
	    "openssl x509 -req -in old.csr -signkey key.pem -days -1 "
	    "-out old.pem && "
	    "openssl req -x509 -key key.pem -subj /CN=soon -days 5 "
	    "-out soon.pem) 2>&1", certs);
	ck_assert_msg(run_shell(cmd, out, sizeof(out)) == 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s/tlsc.py", certs);
	ck_assert_ptr_nonnull(f = fopen(cmd, "w"));
	/* tlsc.py PORT N TEXT [max]: send TEXT, print N lines back. */
	fputs("import socket, ssl, sys\n"
	    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
	    "ctx.check_hostname = False\n"
	    "ctx.verify_mode = ssl.CERT_NONE\n"
	    "if len(sys.argv) > 4:\n"
	    "    ctx.maximum_version = ssl.TLSVersion.TLSv1_2\n"
	    "raw = socket.create_connection(('127.0.0.1', int(sys.argv[1])),"
	    " timeout=20)\n"
	    "s = ctx.wrap_socket(raw)\n"
	    "print(s.version())\n"
	    "s.sendall(sys.argv[3].encode().replace(b'|', b'\\n'))\n"
	    "f = s.makefile('rb')\n"
	    "for i in range(int(sys.argv[2])):\n"
	    "    print(f.readline().decode().rstrip('\\r\\n'))\n"
	    "s.close()\n", f);
	fclose(f);
}

/* Remove the certificate directory. */
static void
certs_remove(void)
{
	char	cmd[128], out[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", certs);
	run_shell(cmd, out, sizeof(out));
}

/* The TLS port of a service, from its "listening on tls:" log line. */
static int
tls_port(struct sbd *d, const char *service)
{
	char	*log = sbd_log_text(d), *p = NULL, *q, needle[128];
	int	 port = -1;

	snprintf(needle, sizeof(needle), " %s: listening on tls:", service);
	for (q = log; (q = strstr(q, needle)) != NULL; q++)
		p = q + strlen(needle);
	if (p != NULL && (p = strchr(p, ':')) != NULL)
		port = atoi(p + 1);
	ck_assert_msg(port > 0, "no TLS port for %s in log:\n%s", service,
	    log);
	free(log);
	return (port);
}

static struct tcl *tcl_open_rcvbuf(int, int);

/* Connect and finish a handshake (any certificate is accepted). */
static struct tcl *
tcl_open(int port)
{
	return (tcl_open_rcvbuf(port, 0));
}

/* The same with a receive buffer of rcvbuf bytes (0: the kernel's). */
static struct tcl *
tcl_open_rcvbuf(int port, int rcvbuf)
{
	static SSL_CTX		*ctx;
	struct sockaddr_in	 sin;
	struct timeval		 tv = { T_WAIT_MS / 1000, 0 };
	struct tcl		*t = calloc(1, sizeof(*t));
	int			 i;

	if (ctx == NULL) {
		ck_assert_ptr_nonnull(ctx = SSL_CTX_new(TLS_client_method()));
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	ck_assert_ptr_nonnull(t);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* A socket systemd-socket-activate binds may not listen yet. */
	for (i = 0; i < 100; i++) {
		ck_assert_int_ge(t->fd = socket(AF_INET, SOCK_STREAM, 0), 0);
		setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (rcvbuf > 0)
			setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			    sizeof(rcvbuf));
		if (connect(t->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			break;
		ck_assert_int_eq(errno, ECONNREFUSED);
		close(t->fd);
		usleep(20 * 1000);
	}
	ck_assert_int_lt(i, 100);
	ck_assert_ptr_nonnull(t->ssl = SSL_new(ctx));
	SSL_set_fd(t->ssl, t->fd);
	ck_assert_msg(SSL_connect(t->ssl) == 1, "TLS handshake failed");
	return (t);
}

/* Send text. */
static void
tcl_send(struct tcl *t, const char *s)
{
	ck_assert_int_eq(SSL_write(t->ssl, s, (int)strlen(s)), (int)strlen(s));
}

/* The next line without its ending, or NULL at EOF or after T_WAIT_MS. */
static char *
tcl_line(struct tcl *t)
{
	char	*nl;
	size_t	 n;
	int	 r;

	while ((nl = memchr(t->buf, '\n', t->len)) == NULL) {
		if (t->len == sizeof(t->buf) ||
		    (r = SSL_read(t->ssl, t->buf + t->len,
		    (int)(sizeof(t->buf) - t->len))) <= 0) {
			ERR_clear_error();
			return (NULL);
		}
		t->len += (size_t)r;
	}
	n = (size_t)(nl - t->buf);
	memcpy(t->line, t->buf, n);
	t->line[n > 0 && t->line[n - 1] == '\r' ? n - 1 : n] = '\0';
	memmove(t->buf, nl + 1, t->len - n - 1);
	t->len -= n + 1;
	return (t->line);
}

/* Expect one line. */
static void
tcl_expect(struct tcl *t, const char *want)
{
	char	*line = tcl_line(t);

	ck_assert_msg(line != NULL, "no line; wanted \"%s\"", want);
	ck_assert_str_eq(line, want);
}

/*
 * How the server ended the session: 1 with close_notify, 2 without it
 * (an unexpected EOF or an error), 0 if it did not within T_WAIT_MS.
 */
static int
tcl_end(struct tcl *t)
{
	char	junk[256];
	int	r, err;

	while ((r = SSL_read(t->ssl, junk, sizeof(junk))) > 0)
		;
	err = SSL_get_error(t->ssl, r);
	ERR_clear_error();
	if (err == SSL_ERROR_ZERO_RETURN)
		return (1);
	if (err == SSL_ERROR_SYSCALL && r == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	return (2);
}

/* The serial number of the server's certificate. */
static long
tcl_serial(struct tcl *t)
{
	X509	*x = SSL_get1_peer_certificate(t->ssl);
	long	 serial;

	ck_assert_ptr_nonnull(x);
	serial = ASN1_INTEGER_get(X509_get_serialNumber(x));
	X509_free(x);
	return (serial);
}

/* Close, with close_notify or abruptly, and free. */
static void
tcl_close(struct tcl *t, int notify)
{
	if (notify)
		SSL_shutdown(t->ssl);
	SSL_free(t->ssl);
	close(t->fd);
	free(t);
}

/*
 * Take the daemon's notify messages (a status for each connection that
 * comes or goes): the harness reads them only when asked, and a full
 * socket would hold up the daemon during the long client runs here.
 */
static void
drain(struct sbd *d)
{
	(void)sbd_count_notes(d, "READY=1");
}

/* Start a daemon on a config whose %s are all the certificate directory. */
static void
start_tls(struct sbd *d, const char *fmt)
{
	char	conf[4096], *p, *q;

	/* Every %s of fmt is the directory. */
	for (p = conf, q = (char *)fmt; *q != '\0' && p < conf + 4000; q++) {
		if (q[0] == '%' && q[1] == 's') {
			p += snprintf(p, 100, "%s", certs);
			q++;
		} else
			*p++ = *q;
	}
	*p = '\0';
	sbd_start(d, conf);
}

static const char conf_three[] =
    "log_level = \"debug\";\n"
    "tls_certificate = \"%s/cert.pem\";\n"
    "tls_key = \"%s/key.pem\";\n"
    "idle_timeout = 2;\n"
    "services = (\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"tls:127.0.0.1:0\" ]; },\n"
    "  { name = \"numbers\"; handler = \"number-to-text\";\n"
    "    listen = [ \"tls:127.0.0.1:0\" ]; },\n"
    "  { name = \"lobby\"; handler = \"chat-relay\";\n"
    "    listen = [ \"tls:127.0.0.1:0\" ]; }\n"
    ");\n";

/* Run a shell command made from fmt; its output in out. */
static int	run_fmt(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
run_fmt(char *out, size_t size, const char *fmt, ...)
{
	char	cmd[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return (run_shell(cmd, out, size));
}

START_TEST(test_handlers_python)
{
	struct sbd	d;
	char		out[4096];

	certs_make();
	start_tls(&d, conf_three);
	drain(&d);
	ck_assert_int_eq(run_fmt(out, sizeof(out), "timeout 30 python3 "
	    "%s/tlsc.py %d 2 'hello|stra\xc3\x9f" "e|' 2>&1", certs,
	    tls_port(&d, "upper")), 0);
	ck_assert_str_eq(out, "TLSv1.3\nHELLO\nSTRASSE\n");
	drain(&d);
	ck_assert_int_eq(run_fmt(out, sizeof(out), "timeout 30 python3 "
	    "%s/tlsc.py %d 2 '42|-7|' 2>&1", certs, tls_port(&d, "numbers")),
	    0);
	ck_assert_str_eq(out, "TLSv1.3\nforty-two\nminus seven\n");
	drain(&d);
	ck_assert_int_eq(run_fmt(out, sizeof(out), "timeout 30 python3 "
	    "%s/tlsc.py %d 2 '/quit|' 2>&1", certs, tls_port(&d, "lobby")), 0);
	ck_assert_msg(strncmp(out, "TLSv1.3\n* welcome to lobby, you are "
	    "guest1;", 37) == 0 && strstr(out, "\n* bye\n") != NULL, "%s",
	    out);
	/* TLS 1.2 is served too. */
	drain(&d);
	ck_assert_int_eq(run_fmt(out, sizeof(out), "timeout 30 python3 "
	    "%s/tlsc.py %d 1 'abc|' 1.2 2>&1", certs, tls_port(&d, "upper")),
	    0);
	ck_assert_str_eq(out, "TLSv1.2\nABC\n");
	/* TLS 1.1 is not, even to a client that offers it. */
	drain(&d);
	ck_assert_int_ne(run_fmt(out, sizeof(out), "echo x | timeout 30 "
	    "openssl s_client -quiet -tls1_1 -cipher DEFAULT@SECLEVEL=0 "
	    "-connect 127.0.0.1:%d 2>&1", tls_port(&d, "upper")), 0);
	ck_assert_msg(strstr(out, "X") == NULL, "%s", out);
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

/*
 * openssl s_client -quiet and ncat --ssl: each handler answers, and the
 * daemon's close (idle timeout, /quit) ends with close_notify, so
 * s_client exits without an error.
 */
START_TEST(test_handlers_cli)
{
	static const struct {
		const char	*svc, *send, *want;
	} cases[] = {
		{ "upper", "hello", "HELLO\nerror: idle timeout (2 s)\n" },
		{ "numbers", "42", "forty-two\nerror: idle timeout (2 s)\n" },
		{ "lobby", "/quit", "* bye\n" },
	};
	struct sbd	d;
	char		out[4096], *p;
	size_t		i;

	certs_make();
	start_tls(&d, conf_three);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		drain(&d);
		run_fmt(out, sizeof(out), "(printf '%s\\n'; sleep 5) | "
		    "timeout 30 openssl s_client -quiet -connect 127.0.0.1:%d "
		    "2>&1; echo rc=$?", cases[i].send,
		    tls_port(&d, cases[i].svc));
		ck_assert_msg(strstr(out, cases[i].want) != NULL &&
		    strstr(out, "rc=0") != NULL, "s_client: %s", out);
		ck_assert_msg(strstr(out, "error:0") == NULL &&
		    strstr(out, "unexpected eof") == NULL, "s_client: %s", out);
		drain(&d);
		run_fmt(out, sizeof(out), "(printf '%s\\n'; sleep 5) | "
		    "timeout 30 ncat --ssl 127.0.0.1 %d 2>&1; echo rc=$?",
		    cases[i].send, tls_port(&d, cases[i].svc));
		p = strstr(out, cases[i].want);
		ck_assert_msg(p != NULL && strstr(out, "rc=0") != NULL,
		    "ncat: %s", out);
	}
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

static const char conf_mixed[] =
    "log_level = \"debug\";\n"
    "services = (\n"
    "  { name = \"lobby\"; handler = \"chat-relay\";\n"
    "    tls_certificate = \"%s/cert.pem\"; tls_key = \"%s/key.pem\";\n"
    "    listen = [ \"127.0.0.1:0\", \"tls:127.0.0.1:0\" ]; }\n"
    ");\n";

/* A plain and a TLS member talk in one room. */
START_TEST(test_chat_mixed)
{
	struct sbd	 d;
	struct client	*plain;
	struct tcl	*tls;
	char		*line, want[128];

	certs_make();
	start_tls(&d, conf_mixed);
	plain = cl_tcp(sbd_port(&d, "lobby"));
	line = cl_line(plain, T_WAIT_MS);
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_nonnull(strstr(line, "you are guest1;"));
	tls = tcl_open(tls_port(&d, "lobby"));
	ck_assert_ptr_nonnull(line = tcl_line(tls));
	ck_assert_ptr_nonnull(strstr(line, "you are guest2;"));
	cl_expect(plain, "* guest2 has joined");
	cl_send(plain, "hello from tcp\n");
	tcl_expect(tls, "<guest1> hello from tcp");
	tcl_send(tls, "hello from tls\n");
	cl_expect(plain, "<guest2> hello from tls");
	tcl_close(tls, 1);
	cl_expect(plain, "* guest2 has left (client closed the connection)");
	cl_close(plain);
	/* The stats snapshot names the TLS listener as the log does. */
	snprintf(want, sizeof(want), "listeners=127.0.0.1:%d,tls:127.0.0.1:%d ",
	    sbd_port(&d, "lobby"), tls_port(&d, "lobby"));
	kill(d.pid, SIGUSR1);
	ck_assert_msg(sbd_wait_log(&d, want, T_WAIT_MS), "no %s", want);
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

static const char conf_reload[] =
    "log_level = \"debug\";\n"
    "tls_certificate = \"%s/live.pem\";\n"
    "tls_key = \"%s/key.pem\";\n"
    "services = (\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"tls:127.0.0.1:0\" ]; }\n"
    ");\n";

/*
 * SIGHUP loads the certificate again: new connections get the new one,
 * a live one keeps working, and a broken file keeps the old serving.
 */
START_TEST(test_reload_certificate)
{
	struct sbd	 d;
	struct tcl	*live, *t;
	char		 cmd[256], out[256];
	int		 port;

	certs_make();
	snprintf(cmd, sizeof(cmd), "cp %s/cert.pem %s/live.pem", certs, certs);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	start_tls(&d, conf_reload);
	port = tls_port(&d, "upper");
	live = tcl_open(port);
	ck_assert_int_eq(tcl_serial(live), 4097);
	tcl_send(live, "one\n");
	tcl_expect(live, "ONE");

	snprintf(cmd, sizeof(cmd), "cp %s/cert2.pem %s/live.pem", certs, certs);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	sbd_reload(&d, NULL);
	t = tcl_open(port);
	ck_assert_int_eq(tcl_serial(t), 8194);
	tcl_close(t, 1);
	tcl_send(live, "two\n");
	tcl_expect(live, "TWO");

	snprintf(cmd, sizeof(cmd), "echo broken > %s/live.pem", certs);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	sbd_reload(&d, NULL);
	ck_assert(sbd_log_has(&d, "reload failed, still serving the previous "
	    "configuration"));
	ck_assert(sbd_log_has(&d, "tls_certificate: \""));
	ck_assert(sbd_log_has(&d, "live.pem\" holds no usable PEM "
	    "certificate"));
	t = tcl_open(port);
	ck_assert_int_eq(tcl_serial(t), 8194);
	tcl_send(t, "three\n");
	tcl_expect(t, "THREE");
	tcl_close(t, 1);
	tcl_send(live, "four\n");
	tcl_expect(live, "FOUR");
	tcl_close(live, 1);
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

static const char conf_small[] =
    "log_level = \"debug\";\n"
    "max_connections = 2;\n"
    "idle_timeout = 1;\n"
    "tls_certificate = \"%s/cert.pem\";\n"
    "tls_key = \"%s/key.pem\";\n"
    "services = (\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"tls:127.0.0.1:0\" ]; }\n"
    ");\n";

/*
 * Plain text and junk on a TLS port: the connection is closed, the daemon
 * goes on, and the slots come back; a refused client is closed silently.
 */
START_TEST(test_junk)
{
	struct sbd	 d;
	struct client	*a, *b;
	struct tcl	*t, *u;
	char		 junk[3000];
	size_t		 i;
	int		 port;

	certs_make();
	start_tls(&d, conf_small);
	port = tls_port(&d, "upper");
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7919 % 251);
	a = cl_tcp(port);
	b = cl_tcp(port);
	cl_send(a, "hello\r\n");
	cl_sendn(b, junk, sizeof(junk));
	ck_assert(cl_eof(a, T_WAIT_MS));
	ck_assert(cl_eof(b, T_WAIT_MS));
	cl_close(a);
	cl_close(b);
	ck_assert(sbd_log_has(&d, "closing: TLS error: "));
	/*
	 * Both slots of max_connections are free again. (Each asks at once:
	 * idle_timeout is 1 s, and a handshake under valgrind is slow.)
	 */
	t = tcl_open(port);
	tcl_send(t, "x\n");
	tcl_expect(t, "X");
	u = tcl_open(port);
	tcl_send(u, "y\n");
	tcl_expect(u, "Y");
	/*
	 * A third is over max_connections: closed without the plain-text
	 * error line a TCP client gets, which TLS would take for garbage.
	 */
	a = cl_tcp(port);
	ck_assert_ptr_null(cl_line(a, T_WAIT_MS));
	ck_assert_uint_eq(a->len, 0);
	cl_close(a);
	tcl_close(t, 1);
	tcl_close(u, 1);
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

/*
 * Records that arrive together are all answered, even when the client
 * then waits: OpenSSL reads them in one go (read-ahead), and those the
 * bufferevent does not decrypt are not left behind. A close_notify that
 * comes with the last line ends the input after that line.
 */
START_TEST(test_records_together)
{
	struct sbd	 d;
	struct tcl	*t;
	int		 on = 1, off = 0;

	certs_make();
	start_tls(&d, conf_small);
	t = tcl_open(tls_port(&d, "upper"));
	setsockopt(t->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
	tcl_send(t, "one\n");
	tcl_send(t, "two\n");
	tcl_send(t, "three\n");
	setsockopt(t->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
	tcl_expect(t, "ONE");
	tcl_expect(t, "TWO");
	tcl_expect(t, "THREE");

	setsockopt(t->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
	tcl_send(t, "last\n");
	SSL_shutdown(t->ssl);
	setsockopt(t->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
	tcl_expect(t, "LAST");
	ck_assert_int_eq(tcl_end(t), 1);
	tcl_close(t, 0);
	ck_assert(sbd_wait_log(&d, "closing: client closed the connection",
	    T_WAIT_MS));
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

/*
 * Clients that connect and never start (or finish) a handshake are cut
 * off (here after idle_timeout, 1 s), so they do not hold
 * max_connections.
 */
START_TEST(test_handshake_timeout)
{
	struct sbd	 d;
	struct client	*a, *b;
	struct tcl	*t;
	int		 port;

	certs_make();
	start_tls(&d, conf_small);
	port = tls_port(&d, "upper");
	a = cl_tcp(port);
	b = cl_tcp(port);
	cl_sendn(b, "\x16\x03\x01", 3);		/* a ClientHello begun */
	ck_assert(cl_eof(a, T_WAIT_MS));
	ck_assert(cl_eof(b, T_WAIT_MS));
	cl_close(a);
	cl_close(b);
	ck_assert(sbd_log_has(&d, "TLS handshake not finished in time"));
	t = tcl_open(port);
	tcl_send(t, "x\n");
	tcl_expect(t, "X");
	tcl_close(t, 1);
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

static const char conf_no_idle[] =
    "log_level = \"debug\";\n"
    "idle_timeout = 0;\n"
    "tls_certificate = \"%s/cert.pem\";\n"
    "tls_key = \"%s/key.pem\";\n"
    "services = (\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"tls:127.0.0.1:0\" ]; }\n"
    ");\n";

/*
 * The handshake's deadline (10 s here) ends with the handshake: with
 * idle_timeout = 0 a quiet TLS client stays as long as it likes.
 */
START_TEST(test_no_idle_timeout)
{
	struct sbd	 d;
	struct tcl	*t;

	certs_make();
	start_tls(&d, conf_no_idle);
	t = tcl_open(tls_port(&d, "upper"));
	sleep(11);
	tcl_send(t, "still here\n");
	tcl_expect(t, "STILL HERE");
	tcl_close(t, 1);
	ck_assert(!sbd_log_has(&d, "limit idle_timeout"));
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

/*
 * A client that goes without close_notify has simply closed: no TLS error
 * in the log. One the daemon closes (idle timeout, stopping) gets
 * close_notify.
 */
START_TEST(test_closing)
{
	struct sbd	 d;
	struct tcl	*t;
	int		 port;

	certs_make();
	start_tls(&d, conf_small);
	port = tls_port(&d, "upper");
	t = tcl_open(port);
	tcl_send(t, "bye\n");
	tcl_expect(t, "BYE");
	tcl_close(t, 0);
	ck_assert(sbd_wait_log(&d, "closing: client closed the connection",
	    T_WAIT_MS));
	ck_assert(!sbd_log_has(&d, "TLS error"));
	ck_assert(!sbd_log_has(&d, "unexpected eof"));

	t = tcl_open(port);
	tcl_expect(t, "error: idle timeout (1 s)");
	ck_assert_int_eq(tcl_end(t), 1);
	tcl_close(t, 0);

	/* A graceful stop says why and ends the session cleanly too. */
	t = tcl_open(port);
	tcl_send(t, "last\n");
	tcl_expect(t, "LAST");
	ck_assert_int_eq(sbd_stop(&d), 0);
	tcl_expect(t, "error: server shutting down");
	ck_assert_int_eq(tcl_end(t), 1);
	tcl_close(t, 0);
	certs_remove();
}
END_TEST

static const char conf_flood[] =
    "log_level = \"info\";\n"
    "services = (\n"
    "  { name = \"lobby\"; handler = \"chat-relay\";\n"
    "    tls_certificate = \"%s/cert.pem\"; tls_key = \"%s/key.pem\";\n"
    "    max_output = 65536; sndbuf = 4096; byte_rate = 0;\n"
    "    room_byte_rate = 0;\n"
    "    listen = [ \"127.0.0.1:0\", \"tls:127.0.0.1:0\" ]; }\n"
    ");\n";

/*
 * A TLS member that stops reading while the room floods is cut off as a
 * slow consumer, as on TCP: what its session holds does not hide it.
 */
START_TEST(test_slow_consumer)
{
	struct sbd	 d;
	struct client	*flood, *reader;
	struct tcl	*slow;
	char		 line[1001], *got;
	int		 i, j, cut = 0;

	certs_make();
	start_tls(&d, conf_flood);
	flood = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(flood, T_WAIT_MS));
	reader = cl_tcp(sbd_port(&d, "lobby"));
	ck_assert_ptr_nonnull(cl_line(reader, T_WAIT_MS));
	cl_expect(flood, "* guest2 has joined");
	slow = tcl_open_rcvbuf(tls_port(&d, "lobby"), 4096);
	ck_assert_ptr_nonnull(tcl_line(slow));		/* the welcome */
	cl_expect(flood, "* guest3 has joined");
	cl_expect(reader, "* guest3 has joined");
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	/* Up to 20 MB; 64 KiB queued, plus what TLS and the kernel hold. */
	for (i = 0; i < 20000 && !cut; i += 20) {
		for (j = 0; j < 20; j++)
			cl_send(flood, line);
		for (j = 0; j < 20; j++) {
			got = cl_line(reader, T_WAIT_MS);
			ck_assert_msg(got != NULL, "reader starved at %d", i + j);
			if (strncmp(got, "* guest3 has left", 17) == 0) {
				ck_assert_str_eq(got,
				    "* guest3 has left (slow consumer)");
				cut = 1;
				j--;
			}
		}
		drain(&d);
	}
	ck_assert_msg(cut, "slow consumer never cut off after %d lines", i);
	ck_assert(sbd_log_has(&d, "limit max_output: output over 65536 bytes, "
	    "disconnecting a slow consumer"));
	tcl_close(slow, 0);
	cl_close(flood);
	cl_close(reader);
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

static const char conf_check[] =
    "services = (\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"7001\", \"tls:7443\" ];\n"
    "    tls_certificate = \"%s/%s\";\n"
    "    tls_key = \"%s/%s\";\n"
    "  }\n"
    ");\n";

static const char conf_nocert[] =
    "tls_certificate = \"%s/%s\";\n"
    "services = (\n"
    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
    "    listen = [ \"7001\",\n"
    "      \"tls:[::1]:7443\" ]; }\n"
    ");\n";

/*
 * Socket activation: a passed socket named for the service and bound to
 * its tls: entry's address serves TLS.
 */
START_TEST(test_activation)
{
	struct sbd	 d;
	struct tcl	*t;
	char		 conf[1024], listen[64], names[64];
	const char	*wrap[8];
	int		 fd, port;

	certs_make();
	fd = port_taken(&port);			/* a free port, to pass */
	close(fd);
	memset(&d, 0, sizeof(d));
	snprintf(conf, sizeof(conf), "log_level = \"debug\";\n"
	    "services = ( { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "  tls_certificate = \"%s/cert.pem\"; tls_key = \"%s/key.pem\";\n"
	    "  listen = [ \"tls:127.0.0.1:%d\" ]; } );\n", certs, certs, port);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(names, sizeof(names), "--fdname=upper");
	wrap[0] = "systemd-socket-activate";
	wrap[1] = "-l";
	wrap[2] = listen;
	wrap[3] = names;
	wrap[4] = "-E";
	wrap[5] = "NOTIFY_SOCKET";
	wrap[6] = NULL;
	sbd_spawn_wrapped(&d, conf, wrap);
	t = tcl_open(port);			/* this starts the daemon */
	tcl_send(t, "passed\n");
	tcl_expect(t, "PASSED");
	ck_assert(sbd_wait_notify(&d, "READY=1", T_WAIT_MS));
	ck_assert(sbd_log_has(&d, "socket activation: 1 socket passed"));
	ck_assert(sbd_log_has(&d, "upper: listening on tls:127.0.0.1:"));
	tcl_close(t, 1);
	ck_assert_int_eq(sbd_stop(&d), 0);
	certs_remove();
}
END_TEST

/*
 * Run -t on a config with the certificate and key files given (in the
 * certificate directory); its output in out.
 */
static int
check_conf(int which, const char *cert, const char *key, char *out,
    size_t size)
{
	const char	*args[] = { "-t", "-c", NULL, NULL };
	char		 path[128], conf[2048];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/test.conf", certs);
	if (which == 0)
		snprintf(conf, sizeof(conf), conf_check, certs, cert, certs,
		    key);
	else
		snprintf(conf, sizeof(conf), conf_nocert, certs, cert);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(conf, f);
	fclose(f);
	args[2] = path;
	return (sbd_run(args, out, size));
}

/* -t loads the certificate and key, and names the line at fault. */
START_TEST(test_check_config)
{
	char	out[4096], want[512];

	certs_make();
	ck_assert_int_eq(check_conf(0, "cert.pem", "key.pem", out,
	    sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "configuration OK"));

	ck_assert_int_eq(check_conf(0, "cert.pem", "nokey.pem", out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "/test.conf:5: tls_key: cannot read "
	    "\"%s/nokey.pem\": No such file or directory\n", certs);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);

	ck_assert_int_eq(check_conf(0, "cert.pem", "other.pem", out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "/test.conf:5: tls_key: the key in "
	    "\"%s/other.pem\" does not match the certificate in "
	    "\"%s/cert.pem\"\n", certs, certs);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);

	ck_assert_int_eq(check_conf(0, "old.pem", "key.pem", out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "/test.conf:4: tls_certificate: the "
	    "certificate in \"%s/old.pem\" expired on ", certs);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);

	ck_assert_int_eq(check_conf(0, "key.pem", "key.pem", out,
	    sizeof(out)), 78);
	ck_assert_msg(strstr(out, "/test.conf:4: tls_certificate: ") != NULL &&
	    strstr(out, "key.pem\" holds no usable PEM certificate") != NULL,
	    "%s", out);

	/* Not a regular file: refused without reading (a FIFO would hang). */
	ck_assert_int_eq(run_fmt(out, sizeof(out), "mkfifo %s/fifo.pem",
	    certs), 0);
	ck_assert_int_eq(check_conf(0, "fifo.pem", "key.pem", out,
	    sizeof(out)), 78);
	ck_assert_msg(strstr(out, "/test.conf:4: tls_certificate: \"") !=
	    NULL && strstr(out, "fifo.pem\" is not a regular file") != NULL,
	    "%s", out);

	/* Ending within 14 days is a warning, not an error. */
	ck_assert_int_eq(check_conf(0, "soon.pem", "key.pem", out,
	    sizeof(out)), 0);
	ck_assert_msg(strstr(out, "/test.conf:4: tls_certificate \"") !=
	    NULL && strstr(out, "soon.pem\" expires in ") != NULL &&
	    strstr(out, " days (") != NULL && strstr(out, "renew it") != NULL,
	    "%s", out);
	certs_remove();
}
END_TEST

/* A tls: entry needs both keys; the top level's count for each service. */
START_TEST(test_check_config_missing)
{
	char	out[4096];

	certs_make();
	ck_assert_int_eq(check_conf(1, "cert.pem", "", out,
	    sizeof(out)), 78);
	ck_assert_msg(strstr(out, "/test.conf:5: listen \"tls:[::1]:7443\": a "
	    "tls: entry needs tls_certificate and tls_key") != NULL, "%s", out);
	certs_remove();
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("tls");
	TCase	*tc = tcase_create("tls");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_handlers_python);
	tcase_add_test(tc, test_handlers_cli);
	tcase_add_test(tc, test_chat_mixed);
	tcase_add_test(tc, test_reload_certificate);
	tcase_add_test(tc, test_junk);
	tcase_add_test(tc, test_handshake_timeout);
	tcase_add_test(tc, test_records_together);
	tcase_add_test(tc, test_closing);
	tcase_add_test(tc, test_no_idle_timeout);
	tcase_add_test(tc, test_slow_consumer);
	tcase_add_test(tc, test_activation);
	tcase_add_test(tc, test_check_config);
	tcase_add_test(tc, test_check_config_missing);
	suite_add_tcase(s, tc);
	return (sb_check_run(s, "check_tls"));
}
