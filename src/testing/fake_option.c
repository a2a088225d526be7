/*
 * switchboard test harness: a service's options, written as in the config
 * file ("history = 5; prefix = \"> \";"), checked as the core checks them
 * (the same messages, without file:line) and then configured.
 *
 * The syntax is the part of a service group a handler's keys use: NAME =
 * VALUE (or NAME : VALUE) ending with ; or , or nothing; a value is a
 * whole number (decimal or 0x hex, with an optional L), true or false (in
 * any case), or one or more strings in double quotes with the escapes \\
 * \" \n \r \t \f and \xNN. The core's max_line and max_output are keys
 * too; its other keys are not.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <switchboard/testing.h>

#include "fake.h"

#define FAKE_FIELD(blob, opt, type) \
	((type *)(void *)((char *)(blob) + (opt)->offset))

/* One value from the text. */
struct fake_value {
	enum { FAKE_INT, FAKE_BOOL, FAKE_STRING } type;
	long long	 i;
	char		*s;
};

/* The core's keys a test may set, with the core's bounds and defaults. */
static const struct sb_option fake_core_options[] = {
	{ "max_line", SB_OPT_INT, 0, 16, 1048576, NULL, "4096",
	  "bytes in one line" },
	{ "max_output", SB_OPT_INT, 0, 4096, 1073741824, NULL, "1048576",
	  "bytes queued to one client before it is cut off" },
	SB_OPTION_END
};

static int	fake_error(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	fake_parse_value(const char **, struct fake_value *, char **);
static int	fake_parse_string(const char **, char **, size_t *, char **);
static void	fake_defaults(const struct sb_option *, void *);
static int	fake_store(const struct sb_option *, void *,
		    const struct fake_value *, char **);
static char	*fake_names(const struct sb_option *);
static const struct sb_option *fake_find(const struct sb_option *,
		    const char *);

/* Keep the first error; returns -1. */
static int
fake_error(char **err, const char *fmt, ...)
{
	va_list	ap;

	if (*err != NULL)
		return (-1);
	va_start(ap, fmt);
	fake_vasprintf(err, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Strings in double quotes, one after another, as one string. */
static int
fake_parse_string(const char **pp, char **out, size_t *outlen, char **err)
{
	const char	*p = *pp;
	char		*s;
	size_t		 n = 0;
	unsigned	 x;

	s = sb_malloc(strlen(p) + 1);
	while (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0') {
				free(s);
				return (fake_error(err, "a string has no "
				    "closing quote"));
			}
			if (*p != '\\') {
				s[n++] = *p;
				continue;
			}
			switch (*++p) {
			case '\\': case '"':
				s[n++] = *p;
				break;
			case 'n': s[n++] = '\n'; break;
			case 'r': s[n++] = '\r'; break;
			case 't': s[n++] = '\t'; break;
			case 'f': s[n++] = '\f'; break;
			case 'x':
				if (!isxdigit((unsigned char)p[1]) ||
				    !isxdigit((unsigned char)p[2]) ||
				    sscanf(p + 1, "%2x", &x) != 1) {
					free(s);
					return (fake_error(err, "bad \\x "
					    "escape in a string"));
				}
				s[n++] = (char)x;
				p += 2;
				break;
			default:
				free(s);
				return (fake_error(err, "bad escape \\%c in "
				    "a string", *p));
			}
		}
		p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	s[n] = '\0';
	*out = s;
	*outlen = n;
	*pp = p;
	return (0);
}

/* One value at *pp. */
static int
fake_parse_value(const char **pp, struct fake_value *v, char **err)
{
	const char	*p = *pp;
	char		*end;
	size_t		 len;

	memset(v, 0, sizeof(*v));
	if (*p == '"') {
		v->type = FAKE_STRING;
		return (fake_parse_string(pp, &v->s, &len, err));
	}
	if (strncasecmp(p, "true", 4) == 0 && !isalnum((unsigned char)p[4])) {
		v->type = FAKE_BOOL;
		v->i = 1;
		*pp = p + 4;
		return (0);
	}
	if (strncasecmp(p, "false", 5) == 0 &&
	    !isalnum((unsigned char)p[5])) {
		v->type = FAKE_BOOL;
		*pp = p + 5;
		return (0);
	}
	errno = 0;
	v->type = FAKE_INT;
	v->i = strtoll(p, &end, 0);
	if (end == p || errno != 0 || *end == '.' || *end == 'e' ||
	    *end == 'E')
		return (fake_error(err, "syntax error at \"%.20s\"", p));
	if (*end == 'L')
		end++;
	*pp = end;
	return (0);
}

/* Zero the blob and store the defaults. */
static void
fake_defaults(const struct sb_option *opts, void *blob)
{
	const struct sb_option	*o;
	size_t			 i;

	for (o = opts; o != NULL && o->name != NULL; o++) {
		if (o->def == NULL)
			continue;
		switch (o->type) {
		case SB_OPT_INT:
			*FAKE_FIELD(blob, o, long long) = strtoll(o->def,
			    NULL, 10);
			break;
		case SB_OPT_BOOL:
			*FAKE_FIELD(blob, o, bool) = strcmp(o->def,
			    "true") == 0;
			break;
		case SB_OPT_STRING:
			*FAKE_FIELD(blob, o, char *) = strdup(o->def);
			if (*FAKE_FIELD(blob, o, char *) == NULL)
				fake_abort("out of memory");
			break;
		case SB_OPT_ENUM:
			for (i = 0; o->choices[i] != NULL; i++) {
				if (strcmp(o->choices[i], o->def) == 0)
					*FAKE_FIELD(blob, o, int) = (int)i;
			}
			break;
		}
	}
}

/* Check a value against its option and store it (conf_option.c's rules). */
static int
fake_store(const struct sb_option *o, void *blob, const struct fake_value *v,
    char **err)
{
	char	*choices, *t;
	size_t	 i, len;

	switch (o->type) {
	case SB_OPT_INT:
		if (v->type != FAKE_INT)
			return (fake_error(err, "%s: expected a whole number, "
			    "as in %s = %s;", o->name, o->name, o->def ?
			    o->def : "100"));
		if (v->i < o->min || v->i > o->max)
			return (fake_error(err, "%s: %lld is out of range (use "
			    "%lld to %lld: %s)", o->name, v->i, o->min, o->max,
			    o->help));
		*FAKE_FIELD(blob, o, long long) = v->i;
		return (0);
	case SB_OPT_BOOL:
		if (v->type != FAKE_BOOL)
			return (fake_error(err, "%s: expected true or false",
			    o->name));
		*FAKE_FIELD(blob, o, bool) = v->i != 0;
		return (0);
	case SB_OPT_STRING:
	case SB_OPT_ENUM:
		break;
	}
	if (v->type != FAKE_STRING)
		return (fake_error(err, "%s: expected a string in double "
		    "quotes, as in %s = \"%s\";", o->name, o->name,
		    o->def ? o->def : o->type == SB_OPT_ENUM ?
		    o->choices[0] : "text"));
	if (o->type == SB_OPT_STRING) {
		len = strlen(v->s);
		if ((long long)len < o->min || (long long)len > o->max)
			return (fake_error(err, "%s: \"%s\" must be %lld to "
			    "%lld characters long", o->name, v->s, o->min,
			    o->max));
		free(*FAKE_FIELD(blob, o, char *));
		*FAKE_FIELD(blob, o, char *) = strdup(v->s);
		if (*FAKE_FIELD(blob, o, char *) == NULL)
			fake_abort("out of memory");
		return (0);
	}
	for (i = 0; o->choices[i] != NULL; i++) {
		if (strcmp(o->choices[i], v->s) == 0) {
			*FAKE_FIELD(blob, o, int) = (int)i;
			return (0);
		}
	}
	choices = sb_calloc(1, 1);
	for (i = 0; o->choices[i] != NULL; i++) {
		sb_asprintf(&t, "%s%s\"%s\"", choices, i ? ", " : "",
		    o->choices[i]);
		free(choices);
		choices = t;
	}
	fake_error(err, "%s: \"%s\" is not a choice (use one of %s)",
	    o->name, v->s, choices);
	free(choices);
	return (-1);
}

/* An option by name, or NULL. */
static const struct sb_option *
fake_find(const struct sb_option *o, const char *name)
{
	for (; o != NULL && o->name != NULL; o++) {
		if (strcmp(o->name, name) == 0)
			return (o);
	}
	return (NULL);
}

/* The core's and the handler's key names, for "unknown key". */
static char *
fake_names(const struct sb_option *opts)
{
	const struct sb_option	*o;
	const struct sb_option	*tables[2] = { fake_core_options, opts };
	char			*s, *t;
	size_t			 i;

	s = sb_calloc(1, 1);
	for (i = 0; i < 2; i++) {
		for (o = tables[i]; o != NULL && o->name != NULL; o++) {
			sb_asprintf(&t, "%s%s%s", s, *s ? ", " : "", o->name);
			free(s);
			s = t;
		}
	}
	return (s);
}

/*
 * A conf blob for handler h from options text (NULL: none), with the
 * core's limits in *max_line and *max_output; NULL and *err if refused.
 */
void *
fake_options(const struct sb_handler *h, const char *name, const char *text,
    size_t *max_line, size_t *max_output, char **err)
{
	const struct sb_option	*o;
	struct fake_value	 v;
	const char		*p = text != NULL ? text : "", *start, *reason;
	char			 key[64], *names;
	long long		 limits[2] = { 4096, 1048576 };
	void			*conf;
	size_t			 n;
	int			 rc = 0;

	conf = sb_calloc(1, h->conf_size ? h->conf_size : 1);
	fake_defaults(h->options, conf);
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
			p++;
		n = (size_t)(p - start);
		if (n == 0 || n >= sizeof(key)) {
			rc = fake_error(err, "syntax error at \"%.20s\"",
			    start);
			break;
		}
		memcpy(key, start, n);
		key[n] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=' && *p != ':') {
			rc = fake_error(err, "syntax error after \"%s\"", key);
			break;
		}
		for (p++; isspace((unsigned char)*p); p++)
			;
		if ((rc = fake_parse_value(&p, &v, err)) == -1)
			break;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ';' || *p == ',')
			p++;
		if ((o = fake_find(fake_core_options, key)) != NULL)
			rc = fake_store(o, limits + (o - fake_core_options),
			    &v, err);
		else if ((o = fake_find(h->options, key)) != NULL)
			rc = fake_store(o, conf, &v, err);
		else {
			names = fake_names(h->options);
			rc = fake_error(err, "unknown key \"%s\" (known for %s "
			    "services: %s)", key, h->name, names);
			free(names);
		}
		free(v.s);
		if (rc == -1)
			break;
	}
	if (rc == 0 && limits[1] < 2 * limits[0] + 1024)
		rc = fake_error(err, "max_output (%lld) must be at least twice "
		    "max_line (%lld) plus %d, or one long line cuts clients "
		    "off: raise max_output or lower max_line", limits[1],
		    limits[0], 1024);
	if (rc == 0 && h->configure != NULL &&
	    (reason = h->configure(conf)) != NULL)
		rc = fake_error(err, "service \"%s\": %s", name, reason);
	if (rc == -1) {
		fake_options_free(h, conf);
		return (NULL);
	}
	*max_line = (size_t)limits[0];
	*max_output = (size_t)limits[1];
	return (conf);
}

/* Free a conf blob and the strings stored in it. */
void
fake_options_free(const struct sb_handler *h, void *conf)
{
	const struct sb_option	*o;

	for (o = h->options; o != NULL && o->name != NULL; o++) {
		if (o->type == SB_OPT_STRING)
			free(*FAKE_FIELD(conf, o, char *));
	}
	free(conf);
}
