/*
 * switchboard tests: a reference line framer. It keeps the whole state in
 * plain variables and looks at one byte at a time, so that it is easy to
 * check against the rules by reading; it is slow and does not care.
 *
 * The log records each result as a status byte (LINE or TOO_LONG, from
 * framer.h), the line ending flag, the length and the text.
 */
#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "framer_ref.h"

enum { R_DATA, R_IAC, R_OPTION, R_SUB, R_SUB_IAC };

static void	ref_data(struct framer_ref *, int);
static void	ref_end(struct framer_ref *);

/* Append one result to a log. */
void
ref_log_add(struct ref_log *l, int status, const void *text, size_t len,
    int crlf)
{
	size_t	need;

	if (status != FRAMER_LINE)
		len = 0;
	need = l->len + len + 3 + sizeof(len);
	if (need > l->size) {
		l->size = need * 2;
		if ((l->buf = realloc(l->buf, l->size)) == NULL)
			abort();
	}
	l->buf[l->len++] = (unsigned char)status;
	l->buf[l->len++] = (unsigned char)crlf;
	memcpy(l->buf + l->len, &len, sizeof(len));
	l->len += sizeof(len);
	if (status == FRAMER_LINE) {
		memcpy(l->buf + l->len, text, len);
		l->len += len;
	}
	l->buf[l->len++] = '|';
}

/* Free a log's text. */
void
ref_log_free(struct ref_log *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

/* Start a reference framer with this max_line, logging to log. */
void
ref_init(struct framer_ref *r, size_t max, struct ref_log *log)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
	r->last = -1;
	r->log = log;
	if ((r->line = malloc(max + 2)) == NULL)
		abort();
}

/* Free a reference framer. */
void
ref_free(struct framer_ref *r)
{
	free(r->line);
}

/* One data byte. */
static void
ref_data(struct framer_ref *r, int b)
{
	int	crlf;
	size_t	len;

	if (b != '\n') {
		r->last = b;
		if (!r->over) {
			r->line[r->n++] = (unsigned char)b;
			/* No room for max bytes, a CR and the LF. */
			if (r->n == r->max + 2)
				r->over = 1;
		}
		return;
	}
	if (r->over) {
		r->crlf = r->last == '\r';
		ref_log_add(r->log, FRAMER_TOO_LONG, NULL, 0, r->crlf);
	} else {
		crlf = r->n > 0 && r->line[r->n - 1] == '\r';
		len = r->n - (size_t)crlf;
		r->crlf = crlf;
		ref_log_add(r->log, len > r->max ? FRAMER_TOO_LONG :
		    FRAMER_LINE, r->line, len, r->crlf);
	}
	ref_end(r);
}

/* Forget the line typed so far. */
static void
ref_end(struct framer_ref *r)
{
	r->n = 0;
	r->over = 0;
	r->last = -1;
}

/* Feed bytes. */
void
ref_feed(struct framer_ref *r, const void *data, size_t len)
{
	const unsigned char	*p = data;
	int			 b;
	size_t			 i;

	for (i = 0; i < len; i++) {
		b = p[i];
		switch (r->state) {
		case R_DATA:
			if (b == 255)
				r->state = R_IAC;
			else
				ref_data(r, b);
			break;
		case R_IAC:
			r->state = R_DATA;
			if (b < 240 || b == 255)	/* data, IAC dropped */
				ref_data(r, b);
			else if (b == 250) {		/* SB */
				r->state = R_SUB;
				r->sb = 0;
			} else if (b >= 251) {		/* WILL .. DONT */
				r->state = R_OPTION;
				r->verb = b;
			} else if (b == 244 || b == 248)	/* IP, EL */
				ref_end(r);
			break;
		case R_OPTION:
			r->state = R_DATA;
			if (r->verb == 253 && b == 6)
				r->tm++;
			else if (r->verb == 253)
				r->refused[0][b] = 1;
			else if (r->verb == 251)
				r->refused[1][b] = 1;
			break;
		default:
			r->sb++;
			if (r->state == R_SUB_IAC && b == 240)
				r->state = R_DATA;		/* IAC SE */
			else if (r->sb == FRAMER_SB_MAX)
				r->state = R_DATA;		/* given up */
			else
				r->state = r->state == R_SUB && b == 255 ?
				    R_SUB_IAC : R_SUB;
			break;
		}
	}
}

/* End of input: what is left is a last line, ending as the one before. */
void
ref_eof(struct framer_ref *r)
{
	size_t	len;

	if (r->over)
		ref_log_add(r->log, FRAMER_TOO_LONG, NULL, 0, r->crlf);
	else if (r->n > 0) {
		len = r->n - (r->line[r->n - 1] == '\r');
		ref_log_add(r->log, len > r->max ? FRAMER_TOO_LONG :
		    FRAMER_LINE, r->line, len, r->crlf);
	}
	ref_end(r);
	r->state = R_DATA;
}

/*
 * Check the answers a real framer gave for the whole stream: each refusal
 * once, exactly for the options asked, and WILL TIMING-MARK at least once
 * and at most once per DO TIMING-MARK. Returns 0 if they are right.
 */
int
ref_check_replies(struct framer_ref *r, const unsigned char *p, size_t len)
{
	unsigned char	seen[2][256];
	unsigned	tm = 0;
	size_t		i;
	int		k, x;

	memset(seen, 0, sizeof(seen));
	if (len % 3 != 0)
		return (-1);
	for (i = 0; i < len; i += 3) {
		if (p[i] != 255)
			return (-1);
		x = p[i + 2];
		if (p[i + 1] == 251 && x == 6) {
			tm++;
			continue;
		}
		if (p[i + 1] == 252)
			k = 0;			/* WONT, for DO */
		else if (p[i + 1] == 254)
			k = 1;			/* DONT, for WILL */
		else
			return (-1);
		if (seen[k][x] || !r->refused[k][x])
			return (-1);
		seen[k][x] = 1;
	}
	if (memcmp(seen, r->refused, sizeof(seen)) != 0)
		return (-1);
	if (r->tm == 0 ? tm != 0 : tm == 0 || tm > r->tm)
		return (-1);
	return (0);
}
