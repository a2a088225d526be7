/*
 * switchboard integration tests: handler plugins. The SDK is installed
 * into a temporary DESTDIR (make install-sdk), examples/reverse/ is built
 * there with its own Makefile and pkg-config alone, and the daemon loads
 * it by name from plugin_dir; its unit tests (make check) link the
 * installed test harness instead. Small bad plugins, built the same way, are
 * refused with messages that name the plugin, the path and the reason.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <switchboard/plugin.h>

#include "../check_common.h"
#include "harness.h"

/* The workspace, made once in main: SDK, example build, plugins. */
static char	work[64];
static char	sdk[128];		/* the DESTDIR */
static char	plugdir[256];		/* the installed plugin directory */
static char	baddir[128];		/* bad plugins, and good copies */
static char	env[512];		/* pkg-config's variables */

/* A bad plugin's source: each variant is a -D of the compiler. */
static const char bad_source[] =
    "#include <switchboard/handler.h>\n"
    "#include <switchboard/plugin.h>\n"
    "static void\n"
    "bad_line(struct sb_conn *c, const char *s, size_t n)\n"
    "{\n"
    "	(void)s; (void)n;\n"
    "	sb_conn_send(c, \"%s\", NAME);\n"
    "}\n"
    "#if defined(BADOPT)\n"
    "static const struct sb_option bad_opts[] = {\n"
    "	{ \"big\", SB_OPT_STRING, 4096, 0, 8, NULL, NULL, \"x\" },\n"
    "	SB_OPTION_END\n"
    "};\n"
    "#define OPTS .options = bad_opts, .conf_size = sizeof(int),\n"
    "#elif defined(BADENUM)\n"
    "static const struct sb_option bad_opts[] = {\n"
    "	{ \"mode\", SB_OPT_ENUM, 0, 0, 0, NULL, NULL, \"x\" },\n"
    "	SB_OPTION_END\n"
    "};\n"
    "#define OPTS .options = bad_opts, .conf_size = sizeof(int),\n"
    "#else\n"
    "#define OPTS\n"
    "#endif\n"
    "#if defined(DESCRIBE)\n"
    "static size_t\n"
    "bad_describe(struct sb_conn *c, char *buf, size_t size)\n"
    "{\n"
    "	(void)c;\n"
    "	return ((size_t)snprintf(buf, size, \"described\"));\n"
    "}\n"
    "#define HOOKS .describe = bad_describe,\n"
    "#else\n"
    "#define HOOKS\n"
    "#endif\n"
    "static const struct sb_handler bad_handler = {\n"
    "	.name = NAME, OPTS HOOKS .line = bad_line\n"
    "};\n"
    "#define SZ ((uint32_t)sizeof(struct sb_plugin))\n"
    "#ifndef NOSYM\n"
    "static const struct sb_handler *const bad_list[] = {\n"
    "	&bad_handler, NULL\n"
    "};\n"
    "const struct sb_plugin switchboard_plugin_v1 = {\n"
    "	MAJOR, MINOR, SIZE, bad_list\n"
    "};\n"
    "#else\n"
    "const struct sb_handler *other_symbol = &bad_handler;\n"
    "#endif\n";

/*
 * A plugin that answers datagrams and calls, on request, each sb_conn_*
 * function a pseudo-connection must take safely: one command per line.
 */
static const char probe_source[] =
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "#include <switchboard/handler.h>\n"
    "#include <switchboard/plugin.h>\n"
    "struct st { int lines; };\n"
    "static void\n"
    "fired(void *arg)\n"
    "{\n"
    "	sb_conn_send(arg, \"fired\");\n"
    "}\n"
    "static void\n"
    "probe_open(struct sb_conn *c)\n"
    "{\n"
    "	sb_conn_send(c, \"open %s\", sb_conn_peer(c));\n"
    "}\n"
    "static void\n"
    "probe_line(struct sb_conn *c, const char *s, size_t n)\n"
    "{\n"
    "	struct st	*st = sb_conn_state(c);\n"
    "	struct sb_line	*l;\n"
    "	char		*p;\n"
    "	st->lines++;\n"
    "	if (strcmp(s, \"throttle\") == 0)\n"
    "		sb_conn_throttle(c, 60000);\n"
    "	else if (strcmp(s, \"timer\") == 0)\n"
    "		sb_timer_add(sb_conn_service(c), c, 0, false, fired, c);\n"
    "	else if (strcmp(s, \"drop\") == 0)\n"
    "		sb_conn_close(c, SB_CLOSE_NOW, \"dropped\");\n"
    "	else if (strcmp(s, \"bye\") == 0)\n"
    "		sb_conn_close(c, SB_CLOSE_FLUSH, \"said bye\");\n"
    "	else if (strcmp(s, \"limit\") == 0)\n"
    "		sb_conn_limit(c, SB_LIMIT_RATE, \"probe\");\n"
    "	else if (strcmp(s, \"shared\") == 0) {\n"
    "		l = sb_line_new(\"shared line\", 11);\n"
    "		sb_conn_write_line(c, l);\n"
    "		sb_line_free(l);\n"
    "	} else if (strcmp(s, \"reply\") == 0) {\n"
    "		sb_conn_reply_begin(c);\n"
    "		sb_conn_send(c, \"in a reply\");\n"
    "		sb_conn_reply_end(c);\n"
    "	} else if (strcmp(s, \"space\") == 0 &&\n"
    "	    (p = sb_conn_line_space(c, 16)) != NULL) {\n"
    "		memcpy(p, \"built\", 5);\n"
    "		sb_conn_line_done(c, 5);\n"
    "	}\n"
    "	sb_conn_send(c, \"%d %.*s\", st->lines, (int)n, s);\n"
    "}\n"
    "static void\n"
    "probe_close(struct sb_conn *c, const char *why)\n"
    "{\n"
    "	sb_conn_send(c, \"close %s\", why);\n"
    "}\n"
    "static const struct sb_handler probe_handler = {\n"
    "	.name = \"dgram-probe\", .conn_size = sizeof(struct st),\n"
    "	.open = probe_open, .line = probe_line, .close = probe_close,\n"
    "	.flags = SB_HANDLER_DATAGRAMS\n"
    "};\n"
    "SB_PLUGIN(&probe_handler);\n";

/* Run a shell command; on failure print it and its output and exit. */
static void
setup_run(const char *fmt, ...)
{
	char	 cmd[2048], out[16384];
	FILE	*p;
	size_t	 n = 0;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* Not run_shell: Check's asserts are for tests, not set-up. */
	if ((p = popen(cmd, "r")) != NULL)
		n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	if (p == NULL || pclose(p) != 0) {
		fprintf(stderr, "check_plugins: set-up failed: %s\n%s\n", cmd,
		    out);
		exit(1);
	}
}

/* Build a bad plugin NAME.so in baddir from bad_source with defines. */
static void
build_bad(const char *name, const char *defines)
{
	setup_run("cd '%s' && %s %s -shared -fPIC $(pkg-config --cflags "
	    "switchboard-plugin) -DNAME='\"%s\"' %s -o '%s.so' bad.c 2>&1",
	    baddir, env, SB_CC, name, defines, name);
}

/*
 * Install the SDK, build the example with its own Makefile and install
 * it into the plugin directory pkg-config names, build the bad plugins.
 */
static void
setup_workspace(void)
{
	FILE	*f;

	if (sb_tmpdir(work, sizeof(work), "sbplug") == -1 ||
	    chmod(work, 0755) == -1) {
		perror("check_plugins: mkdtemp");
		exit(1);
	}
	snprintf(sdk, sizeof(sdk), "%s/sdk", work);
	snprintf(baddir, sizeof(baddir), "%s/bad", work);
	snprintf(env, sizeof(env), "export PKG_CONFIG_PATH='%s%s' "
	    "PKG_CONFIG_SYSROOT_DIR='%s' PKG_CONFIG_LIBDIR=;", sdk,
	    SB_PKGCONFIGDIR, sdk);
	/* A make of its own, not a part of the one running the tests. */
	setup_run("env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C '%s' "
	    "install-sdk DESTDIR='%s' 2>&1", SB_BUILDDIR, sdk);
	setup_run("mkdir '%s/reverse' && cp '%s/reverse/Makefile' "
	    "'%s/reverse/reverse.c' '%s/reverse/test_reverse.c' "
	    "'%s/reverse/' && chmod u+w '%s/reverse/'*", work, SB_EXAMPLES,
	    SB_EXAMPLES, SB_EXAMPLES, work, work);
	setup_run("cd '%s/reverse' && %s env -u MAKEFLAGS -u MFLAGS "
	    "-u MAKELEVEL make -s && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "
	    "make -s install && pkg-config --variable=plugindir "
	    "switchboard-plugin > '%s/plugindir' 2>&1", work, env, work);
	snprintf(plugdir, sizeof(plugdir), "%s/plugindir", work);
	if ((f = fopen(plugdir, "r")) == NULL ||
	    fgets(plugdir, sizeof(plugdir), f) == NULL) {
		fprintf(stderr, "check_plugins: no plugindir\n");
		exit(1);
	}
	fclose(f);
	plugdir[strcspn(plugdir, "\n")] = '\0';
	setup_run("chmod 0755 '%s' && test -f '%s/reverse.so'", plugdir,
	    plugdir);

	setup_run("mkdir -m 0755 '%s' && cat > '%s/bad.c' <<'EOF'\n%sEOF",
	    baddir, baddir, bad_source);
	build_bad("nosym", "-DNOSYM");
	build_bad("major2", "-DMAJOR=2 -DMINOR=0 -DSIZE=SZ");
	build_bad("minor3", "-DMAJOR=1 -DMINOR=3 -DSIZE=SZ");
	build_bad("small", "-DMAJOR=1 -DMINOR=0 -DSIZE=8");
	build_bad("large", "-DMAJOR=1 -DMINOR=0 -DSIZE=4096");
	build_bad("builtin", "-DMAJOR=1 -DMINOR=0 -DSIZE=SZ "
	    "-DNAME2='\"uppercase-echo\"' -UNAME -DNAME=NAME2");
	build_bad("other", "-DMAJOR=1 -DMINOR=0 -DSIZE=SZ");
	build_bad("badopt", "-DMAJOR=1 -DMINOR=0 -DSIZE=SZ -DBADOPT");
	build_bad("badenum", "-DMAJOR=1 -DMINOR=0 -DSIZE=SZ -DBADENUM");
	/* Good ones: a describe hook, declared for ABI 1.0 and 1.1. */
	build_bad("old10", "-DMAJOR=1 -DMINOR=0 -DSIZE=SZ -DDESCRIBE "
	    "-include stdio.h");
	build_bad("new11", "-DMAJOR=1 -DMINOR=1 -DSIZE=SZ -DDESCRIBE "
	    "-include stdio.h");
	setup_run("cat > '%s/probe.c' <<'EOF'\n%sEOF", baddir, probe_source);
	setup_run("cd '%s' && %s %s -shared -fPIC $(pkg-config --cflags "
	    "switchboard-plugin) -o probe.so probe.c 2>&1", baddir, env,
	    SB_CC);
	setup_run("cd '%s' && cp '%s/reverse.so' reverse.so && "
	    "cp reverse.so reverse2.so && cp reverse.so writable.so && "
	    "chmod 0666 writable.so && cp reverse.so notmine.so && "
	    "ln -s reverse.so link.so && mkdir -m 0755 open && "
	    "cp reverse.so open/reverse.so && chmod 0777 open && "
	    "mkfifo -m 0644 fifo.so", baddir,
	    plugdir);
	/* A file of another user: only root can make one. */
	if (geteuid() == 0)
		setup_run("chown 65534 '%s/notmine.so'", baddir);
}

/* Remove the workspace. */
static void
teardown_workspace(void)
{
	char	cmd[256];

	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'; rm -rf '%s'", work,
	    work);
	if (system(cmd) != 0)
		fprintf(stderr, "check_plugins: cannot remove %s\n", work);
}

/*
 * A config with plugin_dir dir and plugins list (as written), one service
 * of handler with extra keys, and an uppercase-echo one.
 */
static void
conf_text(char *buf, size_t len, const char *dir, const char *list,
    const char *handler, const char *extra)
{
	snprintf(buf, len,
	    "plugin_dir = \"%s\";\n"
	    "plugins = [ %s ];\n"
	    "services = (\n"
	    "  { name = \"svc\"; handler = \"%s\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; %s },\n"
	    "  { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; }\n"
	    ");\n", dir, list, handler, extra);
}

/* Write a config to a file of the workspace and run switchboardd -t. */
static int
run_test_config(const char *text, char *path, size_t plen, char *out,
    size_t len)
{
	const char	*args[] = { "-t", "-c", path, NULL };
	FILE		*f;

	snprintf(path, plen, "%s/test.conf", work);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return (sbd_run(args, out, len));
}

/*
 * The plugins list loads NAME from dir (as -t): it must be refused at
 * line 2 with exactly "plugin "NAME" (dir/NAME.so): why".
 */
static void
expect_refused(const char *dir, const char *name, const char *why)
{
	char	text[2048], path[256], out[4096], want[2048], list[128];

	snprintf(list, sizeof(list), "\"%s\"", name);
	conf_text(text, sizeof(text), dir, list, "uppercase-echo", "");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "%s:2: plugin \"%s\" (%s/%s.so): %s\n",
	    path, name, dir, name, why);
	ck_assert_str_eq(out, want);
}

/* Send one datagram to the probe at port. */
static void
probe_put(int fd, int port, const char *req)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(sendto(fd, req, strlen(req), 0,
	    (struct sockaddr *)&sin, sizeof(sin)), (ssize_t)strlen(req));
}

/*
 * Ask the probe and check its answer: the open hook's line (with our
 * port), then want.
 */
static void
probe_expect(int fd, int port, int me, const char *req, const char *want)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		buf[2048], w[2048];
	ssize_t		n;

	probe_put(fd, port, req);
	ck_assert_int_eq(poll(&pfd, 1, T_WAIT_MS), 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	snprintf(w, sizeof(w), "open 127.0.0.1:%d\n%s", me, want);
	ck_assert_str_eq(buf, w);
}

/*
 * A datagram plugin's pseudo-connection takes every sb_conn_* call: the
 * peer is the source, a throttle does nothing, a timer never fires, a
 * close ends the request (SB_CLOSE_NOW: no answer), the close hook's
 * line is part of the answer. A 1.0 plugin has no flags: -t refuses a
 * udp: entry for it.
 */
START_TEST(test_datagram_plugin)
{
	struct sbd		 d;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 text[1024], out[4096], path[256], buf[64];
	int			 port, fd, me;

	snprintf(text, sizeof(text), "plugin_dir = \"%s\";\n"
	    "plugins = [ \"probe\" ];\n"
	    "services = ( { name = \"svc\"; handler = \"dgram-probe\";\n"
	    "    listen = [ \"udp:127.0.0.1:0\" ];\n"
	    "    udp_max_amplification = 100; } );\n", baddir);
	sbd_start(&d, text);
	port = sbd_udp_port(&d, "svc", "127.0.0.1");
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_DGRAM, 0), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	me = ntohs(sin.sin_port);

	probe_expect(fd, port, me, "a\nthrottle\ntimer\nb",
	    "1 a\n2 throttle\n3 timer\n4 b\n"
	    "close datagram answered\n");
	probe_expect(fd, port, me, "x\nbye\nnot handed over\n",
	    "1 x\n2 bye\nclose said bye\n");
	probe_expect(fd, port, me, "shared\nreply\nspace\nlimit\n",
	    "shared line\n1 shared\nin a reply\n"
	    "2 reply\nbuilt\n3 space\n4 limit\nclose datagram answered\n");
	/* Dropped: no answer; the next request's comes first. */
	probe_put(fd, port, "drop\n");
	probe_expect(fd, port, me, "y\n",
	    "1 y\nclose datagram answered\n");
	/* Nor did the timer of the first request fire since. */
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert(sbd_log_has(&d, "limit rate: probe"));
	close(fd);
	ck_assert_int_eq(sbd_stop(&d), 0);

	/* A 1.0 plugin ("other") has no flags. */
	snprintf(text, sizeof(text), "plugin_dir = \"%s\";\n"
	    "plugins = [ \"other\" ];\n"
	    "services = ( { name = \"svc\"; handler = \"other\";\n"
	    "    listen = [ \"udp:127.0.0.1:0\" ]; } );\n", baddir);
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	ck_assert_msg(strstr(out, ":4: listen \"udp:127.0.0.1:0\": handler "
	    "\"other\" cannot answer datagrams") != NULL, "%s", out);
}
END_TEST

START_TEST(test_reverse_over_tcp)
{
	struct sbd	 d;
	struct client	*c, *p;
	char		 text[2048];

	conf_text(text, sizeof(text), plugdir, "\"reverse\"", "reverse", "");
	sbd_start(&d, text);
	c = cl_tcp(sbd_port(&d, "svc"));
	cl_send(c, "h\xc3\xa9llo\n");
	cl_expect(c, "oll\xc3\xa9h");
	cl_send(c, "abc 123\n");
	cl_expect(c, "321 cba");
	/* Four-byte characters stay whole: "a😀b" -> "b😀a". */
	cl_send(c, "a\xf0\x9f\x98\x80" "b\n");
	cl_expect(c, "b\xf0\x9f\x98\x80" "a");
	/* Invalid UTF-8 is reversed byte by byte, valid parts whole. */
	cl_send(c, "a\xfe" "b\xc3\n");
	cl_expect(c, "\xc3" "b\xfe" "a");
	cl_send(c, "\xe2\x82x\xc3\xa9\n");
	cl_expect(c, "\xc3\xa9x\x82\xe2");
	cl_send(c, "\xc0\xaf!\n");
	cl_expect(c, "!\xaf\xc0");
	cl_send(c, "\n");
	cl_expect(c, "");
	/* The built-ins still answer beside it. */
	p = cl_tcp(sbd_port(&d, "upper"));
	cl_send(p, "abc\n");
	cl_expect(p, "ABC");
	cl_close(p);
	cl_close(c);
	ck_assert(sbd_log_has(&d, "listening on"));
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

START_TEST(test_reverse_prefix)
{
	struct sbd	 d;
	struct client	*c;
	char		 text[2048];

	conf_text(text, sizeof(text), plugdir, "\"reverse\"", "reverse",
	    "prefix = \"rev> \";");
	sbd_start(&d, text);
	c = cl_tcp(sbd_port(&d, "svc"));
	cl_send(c, "h\xc3\xa9llo\n");
	cl_expect(c, "rev> oll\xc3\xa9h");
	cl_send(c, "\n");
	cl_expect(c, "rev> ");
	cl_close(c);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * The example's own unit tests build against the installed SDK alone
 * (pkg-config switchboard-testing: the header and the harness library)
 * and pass.
 */
START_TEST(test_reverse_unit_tests)
{
	char	cmd[1024], out[8192];
	int	rc;

	/*
	 * The build's LDFLAGS: a sanitizer build's harness library needs
	 * the sanitizers' runtime.
	 */
	snprintf(cmd, sizeof(cmd), "cd '%s/reverse' && %s env -u MAKEFLAGS "
	    "-u MFLAGS -u MAKELEVEL make -s check CC='%s' LDFLAGS='%s' 2>&1",
	    work, env, SB_CC, SB_LDFLAGS);
	rc = run_shell(cmd, out, sizeof(out));
	ck_assert_msg(rc == 0, "make check of the example failed: %s", out);
	ck_assert_msg(strstr(out, "test_reverse: all passed") != NULL,
	    "make check of the example said: %s", out);
	/* It was linked from the temporary SDK, not from elsewhere. */
	snprintf(cmd, sizeof(cmd), "%s pkg-config --libs switchboard-testing",
	    env);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, sdk) != NULL, "pkg-config: %s", out);
}
END_TEST

/* -t loads plugins: their options are checked with file:line. */
START_TEST(test_test_config)
{
	char	text[2048], path[256], out[4096], want[1024];

	conf_text(text, sizeof(text), plugdir, "\"reverse\"", "reverse",
	    "prefix = \"x\";");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s: configuration OK\n", path);
	ck_assert_str_eq(out, want);

	conf_text(text, sizeof(text), plugdir, "\"reverse\"", "reverse",
	    "prefix = \"123456789012345678901234567890123\";");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "%s:5: prefix: \"12345678901234567890"
	    "1234567890123\" must be 0 to 32 characters long\n", path);
	ck_assert_str_eq(out, want);

	conf_text(text, sizeof(text), plugdir, "\"reverse\"", "reverse",
	    "suffix = \"x\";");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	ck_assert_msg(strstr(out, ":5: unknown key \"suffix\" (known for "
	    "reverse services: ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "prefix") != NULL, "%s", out);

	/* Without the plugins list, the handler is unknown. */
	snprintf(text, sizeof(text), "services = ( { name = \"svc\"; "
	    "handler = \"reverse\"; listen = [ \"127.0.0.1:0\" ]; } );\n");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "%s:1: unknown handler \"reverse\" "
	    "(known: number-to-text, uppercase-echo, chat-relay)\n", path);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_refusals)
{
	char	why[512];

	expect_refused(plugdir, "nosuch",
	    "cannot open: No such file or directory");
	expect_refused(baddir, "nosym", "no switchboard_plugin_v1 symbol (is "
	    "it a switchboard plugin, built with SB_PLUGIN?)");
	expect_refused(baddir, "major2", "ABI version 2.0, but this daemon "
	    "has 1.2 (the major versions must match: rebuild the plugin "
	    "against this daemon's SDK)");
	expect_refused(baddir, "minor3", "ABI version 1.3, but this daemon "
	    "has 1.2 (the plugin needs a newer daemon)");
	snprintf(why, sizeof(why), "its struct sb_plugin declares 8 bytes, "
	    "fewer than the %zu of ABI 1.2 (is it built with SB_PLUGIN?)",
	    sizeof(struct sb_plugin));
	expect_refused(baddir, "small", why);
	snprintf(why, sizeof(why), "switchboard_plugin_v1 declares 4096 "
	    "bytes but has %zu", sizeof(struct sb_plugin));
	expect_refused(baddir, "large", why);
	expect_refused(baddir, "writable", "the file is writable by group or "
	    "others (mode 0666; chmod go-w it)");
	expect_refused(baddir, "link", "is a symbolic link (put the file "
	    "itself in the plugin directory)");
	expect_refused(baddir, "builtin", "handler \"uppercase-echo\" clashes "
	    "with a built-in handler (handler names must be unique)");
	/* Option tables the core would write out of bounds by. */
	expect_refused(baddir, "badopt", "handler \"badopt\", option \"big\": "
	    "its field (offset 4096, 8 bytes) is outside the conf blob of 4 "
	    "bytes (use SB_OPTION_* and set conf_size)");
	expect_refused(baddir, "badenum", "handler \"badenum\", option "
	    "\"mode\": an enum without choices");
	/* A FIFO is refused at once, not waited on. */
	expect_refused(baddir, "fifo", "is not a regular file");
	snprintf(why, sizeof(why), "%s/open", baddir);
	expect_refused(why, "reverse", "the plugin directory is writable by "
	    "group or others (mode 0777; chmod go-w it)");
	snprintf(why, sizeof(why), "cannot open the plugin directory "
	    "%s/nowhere: No such file or directory", baddir);
	{
		char	dir[256];

		snprintf(dir, sizeof(dir), "%s/nowhere", baddir);
		expect_refused(dir, "reverse", why);
	}
}
END_TEST

/* A file of another user than root and the daemon's is refused. */
START_TEST(test_refuse_other_owner)
{
	if (geteuid() != 0)
		return;		/* only root can give a file away */
	expect_refused(baddir, "notmine", "the file is owned by uid 65534, "
	    "neither root nor the daemon's user (uid 0)");
}
END_TEST

/* A name, not a path: '/' and the empty name are refused. */
START_TEST(test_refuse_names)
{
	char	text[2048], path[256], out[4096], want[2048];

	conf_text(text, sizeof(text), plugdir, "\"../bad/reverse\", \"\"",
	    "uppercase-echo", "");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want),
	    "%s:2: plugin \"../bad/reverse\": not a plugin name (a name, not "
	    "a path: the file NAME.so is loaded from %s)\n"
	    "%s:2: plugin \"\": not a plugin name (a name, not a path: the "
	    "file NAME.so is loaded from %s)\n", path, plugdir, path, plugdir);
	ck_assert_str_eq(out, want);

	/* plugin_dir must be absolute; plugins a list of strings. */
	conf_text(text, sizeof(text), "lib/switchboard", "\"reverse\"",
	    "uppercase-echo", "");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "%s:2: plugin_dir \"lib/switchboard\" "
	    "must be an absolute path\n", path);
	ck_assert_str_eq(out, want);
	conf_text(text, sizeof(text), plugdir, "1", "uppercase-echo", "");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "%s:2: plugins: each plugin is a name in "
	    "double quotes\n", path);
	ck_assert_str_eq(out, want);
}
END_TEST

/* Two plugins with one handler name: the second is refused. */
START_TEST(test_refuse_clash)
{
	char	text[2048], path[256], out[4096], want[2048];

	conf_text(text, sizeof(text), baddir, "\"reverse\", \"reverse2\"",
	    "reverse", "");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 78);
	snprintf(want, sizeof(want), "%s:2: plugin \"reverse2\" "
	    "(%s/reverse2.so): handler \"reverse\" clashes with plugin "
	    "\"reverse\" (handler names must be unique)\n", path, baddir);
	ck_assert_str_eq(out, want);
	/* The same plugin listed twice is loaded once. */
	conf_text(text, sizeof(text), baddir, "\"reverse\", \"reverse\"",
	    "reverse", "");
	ck_assert_int_eq(run_test_config(text, path, sizeof(path), out,
	    sizeof(out)), 0);
}
END_TEST

/* A refused plugin at start-up: the daemon does not start, and says why. */
START_TEST(test_refused_at_start)
{
	const char	*args[] = { "-c", NULL, NULL };
	char		 text[2048], path[256], out[4096];
	FILE		*f;

	conf_text(text, sizeof(text), baddir, "\"major2\"", "major2", "");
	snprintf(path, sizeof(path), "%s/start.conf", work);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	args[1] = path;
	ck_assert_int_eq(sbd_run(args, out, sizeof(out)), 78);
	ck_assert_msg(strstr(out, ":2: plugin \"major2\" (") != NULL &&
	    strstr(out, "/major2.so): ABI version 2.0, but this daemon has "
	    "1.2") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "not starting") != NULL, "%s", out);
}
END_TEST

/*
 * Reloads: one adds a plugin-backed service, one removes it (the old
 * listener goes, the others keep serving), one adds it back (the plugin
 * is still loaded), and a bad one (a service of a plugin the file no
 * longer lists, a plugin refused) changes nothing.
 */
START_TEST(test_reload_add_remove)
{
	struct sbd	 d;
	struct client	*u, *c;
	char		 text[2048];
	int		 port;

	snprintf(text, sizeof(text), "plugin_dir = \"%s\";\n"
	    "services = ( { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; } );\n", plugdir);
	sbd_start(&d, text);
	u = cl_tcp(sbd_port(&d, "upper"));
	cl_send(u, "one\n");
	cl_expect(u, "ONE");

	conf_text(text, sizeof(text), plugdir, "\"reverse\"", "reverse",
	    "prefix = \"< \";");
	sbd_reload(&d, text);
	ck_assert_msg(!sbd_log_has(&d, "reload failed"), "%s",
	    sbd_log_text(&d));
	port = sbd_port(&d, "svc");
	c = cl_tcp(port);
	cl_send(c, "ab\xc3\xa9\n");
	cl_expect(c, "< \xc3\xa9" "ba");
	cl_send(u, "two\n");
	cl_expect(u, "TWO");

	/* Still listed, but no service uses it: it stays loaded. */
	snprintf(text, sizeof(text), "plugin_dir = \"%s\";\n"
	    "plugins = [ \"reverse\" ];\n"
	    "services = ( { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; } );\n", plugdir);
	sbd_reload(&d, text);
	ck_assert(cl_eof(c, T_WAIT_MS));
	cl_close(c);
	cl_send(u, "three\n");
	cl_expect(u, "THREE");

	/* A file that uses the handler without listing the plugin. */
	snprintf(text, sizeof(text), "plugin_dir = \"%s\";\n"
	    "services = ( { name = \"upper\"; handler = \"uppercase-echo\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"svc\"; handler = \"reverse\"; "
	    "listen = [ \"127.0.0.1:0\" ]; } );\n", plugdir);
	sbd_reload(&d, text);
	ck_assert_msg(sbd_log_has(&d, ":4: handler \"reverse\" is in plugin "
	    "\"reverse\", which plugins does not list (add plugins = "
	    "[ \"reverse\" ];)"), "%s", sbd_log_text(&d));
	ck_assert(sbd_log_has(&d, "reload failed"));

	/* A refused plugin on reload: logged, the old config kept. */
	conf_text(text, sizeof(text), baddir, "\"minor3\"", "minor3", "");
	sbd_reload(&d, text);
	ck_assert_msg(sbd_log_has(&d, "/minor3.so): ABI version 1.3, but "
	    "this daemon has 1.2 (the plugin needs a newer daemon)"), "%s",
	    sbd_log_text(&d));
	cl_send(u, "four\n");
	cl_expect(u, "FOUR");

	/* Back again, from the plugin loaded before. */
	conf_text(text, sizeof(text), plugdir, "\"reverse\"", "reverse", "");
	sbd_reload(&d, text);
	c = cl_tcp(sbd_port(&d, "svc"));
	cl_send(c, "xyz\n");
	cl_expect(c, "zyx");
	cl_close(c);
	cl_close(u);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

/*
 * The daemon exports the functions of the installed headers (but the
 * inline ones of bucket.h) and nothing
 * of its own: each sb_ function declared there is in its dynamic symbol
 * table, and the core's private functions are not.
 */
START_TEST(test_exported_symbols)
{
	static const char *const private[] = {
		"xmalloc", "conf_load", "log_warnx", "handlers_find",
		"plugin_load", "fatalx", "escape_bytes", NULL
	};
	char	cmd[1024], out[16384], syms[16384], want[80];
	char	*p, *name;
	int	 i, n = 0;

	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s' 2>&1 | "
	    "awk '{ print \" \" $3 \" \" }'", SB_DAEMON);
	ck_assert_int_eq(run_shell(cmd, syms, sizeof(syms)), 0);
	/*
	 * bucket.h is header-only (static inline): nothing to export;
	 * testing.h is the test harness's, which replaces the daemon.
	 */
	snprintf(cmd, sizeof(cmd), "find '%s' -name '*.h' ! -name bucket.h "
	    "! -name testing.h "
	    "-exec cat {} + | "
	    "grep -oE '\\bsb_[a-z_0-9]+\\(' | tr -d '(' | sort -u", sdk);
	ck_assert_int_eq(run_shell(cmd, out, sizeof(out)), 0);
	for (p = out; (name = strsep(&p, "\n")) != NULL;) {
		if (*name == '\0')
			continue;
		snprintf(want, sizeof(want), " %s ", name);
		ck_assert_msg(strstr(syms, want) != NULL, "%s is declared in "
		    "the SDK but switchboardd does not export it", name);
		n++;
	}
	ck_assert_int_ge(n, 30);
	for (i = 0; private[i] != NULL; i++) {
		snprintf(want, sizeof(want), " %s ", private[i]);
		ck_assert_msg(strstr(syms, want) == NULL, "switchboardd "
		    "exports its private %s", private[i]);
	}
}
END_TEST

/*
 * A plugin built for ABI 1.0 has no describe hook, whatever its struct
 * holds past the 1.0 fields: the daemon reads only those. The same
 * handler declared for 1.1 describes its clients to the operator.
 */
START_TEST(test_abi_1_0_hooks)
{
	struct sbd	 d;
	struct client	*a, *b, *ctl;
	char		 text[2048], sock[160];

	snprintf(sock, sizeof(sock), "%s/ctl.sock", work);
	snprintf(text, sizeof(text),
	    "plugin_dir = \"%s\";\n"
	    "plugins = [ \"old10\", \"new11\" ];\n"
	    "control_socket = \"%s\";\n"
	    "services = (\n"
	    "  { name = \"old\"; handler = \"old10\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; },\n"
	    "  { name = \"new\"; handler = \"new11\";\n"
	    "    listen = [ \"127.0.0.1:0\" ]; }\n"
	    ");\n", baddir, sock);
	sbd_start(&d, text);
	a = cl_tcp(sbd_port(&d, "old"));
	b = cl_tcp(sbd_port(&d, "new"));
	cl_send(a, "x\n");
	cl_expect(a, "old10");
	cl_send(b, "x\n");
	cl_expect(b, "new11");
	ctl = cl_unix(sock);
	ck_assert_str_eq(cl_ask(ctl, "who old"), "error: service "
	    "\"old\" (old10) has no members: its handler does not name its "
	    "clients (clients lists them)\n");
	ck_assert_ptr_nonnull(strstr(cl_ask(ctl, "who new"),
	    "nick=described"));
	cl_close(ctl);
	cl_close(a);
	cl_close(b);
	ck_assert_int_eq(sbd_stop(&d), 0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("integ_plugins");
	TCase	*tc = tcase_create("plugins");
	int	 rc;

	setup_workspace();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reverse_over_tcp);
	tcase_add_test(tc, test_reverse_prefix);
	tcase_add_test(tc, test_reverse_unit_tests);
	tcase_add_test(tc, test_test_config);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_refuse_other_owner);
	tcase_add_test(tc, test_refuse_names);
	tcase_add_test(tc, test_refuse_clash);
	tcase_add_test(tc, test_refused_at_start);
	tcase_add_test(tc, test_reload_add_remove);
	tcase_add_test(tc, test_exported_symbols);
	tcase_add_test(tc, test_abi_1_0_hooks);
	tcase_add_test(tc, test_datagram_plugin);
	suite_add_tcase(s, tc);
	rc = sb_check_run(s, "check_plugins");
	teardown_workspace();
	return (rc);
}
