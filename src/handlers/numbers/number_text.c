/*
 * switchboard: the number-to-text handler.
 *
 * Each non-blank line holds one integer; the answer is that integer in
 * English words. Blank lines get no answer; anything else gets one line
 * starting "error:" and the connection stays open.
 */
#include <stddef.h>
#include <stdint.h>

#include <switchboard/handler.h>

#include "numwords.h"

struct number_text_conf {
	int	style;			/* enum numwords_style */
};

static const char *const number_text_styles[] = {
	"american", "british", NULL
};

static const struct sb_option number_text_options[] = {
	SB_OPTION_ENUM(struct number_text_conf, style, number_text_styles,
	    "american", "\"american\" (one hundred one) or \"british\" "
	    "(one hundred and one)"),
	SB_OPTION_END
};

static void	number_text_line(struct sb_conn *, const char *,
			    size_t);

/* Answer one request line. */
static void
number_text_line(struct sb_conn *c, const char *line, size_t len)
{
	const struct number_text_conf	*conf;
	char				 quoted[SB_ESCAPE_BUFSZ], *words;
	int64_t				 v;

	switch (numwords_parse(line, len, &v)) {
	case NUMWORDS_BLANK:
		break;
	case NUMWORDS_OK:
		/* The words go straight into the client's output. */
		if ((words = sb_conn_line_space(c, NUMWORDS_MAX)) == NULL)
			break;
		conf = sb_service_conf(sb_conn_service(c));
		sb_conn_line_done(c, numwords_format(v,
		    (enum numwords_style)conf->style, words, NUMWORDS_MAX));
		break;
	case NUMWORDS_INVALID:
		sb_conn_send(c, "error: not a number: \"%s\"",
		    sb_escape(line, len, quoted, sizeof(quoted)));
		break;
	case NUMWORDS_RANGE:
		sb_conn_send(c, "error: out of range: \"%s\" (allowed "
		    "-9223372036854775808 to 9223372036854775807)",
		    sb_escape(line, len, quoted, sizeof(quoted)));
		break;
	}
}

const struct sb_handler number_text_handler = {
	.name = "number-to-text",
	.options = number_text_options,
	.conf_size = sizeof(struct number_text_conf),
	.line = number_text_line,
	.flags = SB_HANDLER_DATAGRAMS,	/* each answer is the request's alone */
};
