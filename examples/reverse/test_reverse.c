/*
 * test_reverse: unit tests for the reverse plugin, with the handler test
 * harness of the installed SDK (switchboard-testing(3)) instead of the
 * daemon. Build and run them with "make check".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <switchboard/handler.h>
#include <switchboard/plugin.h>
#include <switchboard/testing.h>

/* The plugin's symbol, from reverse.c: its handler is the first one. */
extern const struct sb_plugin switchboard_plugin_v1;

static int	failures;

/* Compare what the client got with what it should have got. */
static void
expect(const char *what, const char *got, const char *want)
{
	if (got != NULL && strcmp(got, want) == 0)
		return;
	printf("FAIL: %s: got \"%s\", want \"%s\"\n", what,
	    got != NULL ? got : "(nothing)", want);
	failures++;
}

/* A started service with options, and one client of it. */
static struct sb_conn *
client(const char *options, struct sb_service **svc)
{
	const struct sb_handler	*h = switchboard_plugin_v1.handlers[0];

	if ((*svc = sb_test_service(h, "rev", options)) == NULL) {
		printf("FAIL: options refused: %s\n", sb_test_error());
		exit(1);
	}
	sb_test_start(*svc);
	return (sb_test_open(*svc, "127.0.0.1:5555"));
}

int
main(void)
{
	struct sb_service	*svc;
	struct sb_conn		*c;
	const char		*raw;
	size_t			 len;

	/* Characters reversed, not bytes; a CRLF client gets CRLF. */
	c = client(NULL, &svc);
	sb_test_line(c, "h\xc3\xa9llo");
	expect("UTF-8", sb_test_read(c), "oll\xc3\xa9h");
	sb_test_line(c, "");
	expect("a blank line", sb_test_read(c), "");
	sb_test_input(c, "ab\r\n", 4);
	raw = sb_test_read_raw(c, &len);
	expect("CRLF", len == 4 ? raw : NULL, "ba\r\n");
	/* A byte that starts no valid character is reversed alone. */
	sb_test_line(c, "a\xc3(b\xe2\x82");
	expect("invalid UTF-8", sb_test_read(c), "\x82\xe2" "b(\xc3" "a");
	sb_test_line(c, "x\xc0\xaf\xed\xa0\x80y");	/* overlong, surrogate */
	expect("not characters", sb_test_read(c),
	    "y\x80\xa0\xed\xaf\xc0x");
	sb_test_service_free(svc);

	/* The prefix goes before every reply. */
	c = client("prefix = \"> \";", &svc);
	sb_test_line(c, "abc");
	expect("prefix", sb_test_read(c), "> cba");
	sb_test_service_free(svc);

	/* A prefix over 32 bytes is refused as the daemon refuses it. */
	svc = sb_test_service(switchboard_plugin_v1.handlers[0], "rev",
	    "prefix = \"123456789012345678901234567890123\";");
	expect("a long prefix", svc == NULL ? sb_test_error() : NULL,
	    "prefix: \"123456789012345678901234567890123\" must be 0 to 32 "
	    "characters long");
	sb_test_service_free(svc);

	if (failures > 0)
		return (1);
	printf("test_reverse: all passed\n");
	return (0);
}
