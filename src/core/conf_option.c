/*
 * switchboard: option tables.
 *
 * Core keys and handler keys are declared the same way: name, type, bounds,
 * default and where the value lives in a plain struct. This file is the one
 * place that reads them out of libconfig, checks them and reports mistakes,
 * so every key gets the same messages.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf_option.h"
#include "log.h"
#include "xmalloc.h"

#define CONF_FIELD(blob, opt, type) \
	((type *)(void *)((char *)(blob) + (opt)->offset))

static void	conf_option_store(const struct sb_option *, void *,
		    const config_setting_t *, struct conf_report *);
static char	*conf_option_choices(const struct sb_option *);

/*
 * Record one error, prefixed with the file name and line; line 0 is about
 * the file as a whole (it cannot be opened, say), so only the name.
 */
void
conf_report(struct conf_report *r, int line, const char *fmt, ...)
{
	char	*msg, *full;
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (line > 0)
		xasprintf(&full, "%s:%d: %s", r->file, line, msg);
	else
		xasprintf(&full, "%s: %s", r->file, msg);
	free(msg);
	r->errs->msgs = xreallocarray(r->errs->msgs, r->errs->n + 1,
	    sizeof(*r->errs->msgs));
	r->errs->lines = xreallocarray(r->errs->lines, r->errs->n + 1,
	    sizeof(*r->errs->lines));
	r->errs->lines[r->errs->n] = line;
	r->errs->msgs[r->errs->n++] = full;
}

/* Put the errors from index `from` on in file order (stable). */
void
conf_errors_sort(struct conf_errors *errs, size_t from)
{
	size_t	 i, j;
	char	*msg;
	int	 line;

	for (i = from + 1; i < errs->n; i++) {
		msg = errs->msgs[i];
		line = errs->lines[i];
		for (j = i; j > from && errs->lines[j - 1] > line; j--) {
			errs->msgs[j] = errs->msgs[j - 1];
			errs->lines[j] = errs->lines[j - 1];
		}
		errs->msgs[j] = msg;
		errs->lines[j] = line;
	}
}

/* Free collected errors. */
void
conf_errors_free(struct conf_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	free(errs->lines);
	errs->msgs = NULL;
	errs->lines = NULL;
	errs->n = 0;
}

/* Find an option by name; NULL if the table has none. */
const struct sb_option *
conf_option_find(const struct sb_option *opts, const char *name)
{
	if (opts == NULL)
		return (NULL);
	for (; opts->name != NULL; opts++) {
		if (strcmp(opts->name, name) == 0)
			return (opts);
	}
	return (NULL);
}

/* The names in several tables, comma-separated, in a new string. */
char *
conf_option_names(const struct sb_option *const *tables, size_t n)
{
	const struct sb_option	*o;
	char			*s = xstrdup(""), *t;
	size_t			 i;

	for (i = 0; i < n; i++) {
		for (o = tables[i]; o != NULL && o->name != NULL; o++) {
			xasprintf(&t, "%s%s%s", s, *s ? ", " : "", o->name);
			free(s);
			s = t;
		}
	}
	return (s);
}

/* An ENUM's choices as "a, b, c", in a new string. */
static char *
conf_option_choices(const struct sb_option *o)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; o->choices[i] != NULL; i++) {
		xasprintf(&t, "%s%s\"%s\"", s, i ? ", " : "", o->choices[i]);
		free(s);
		s = t;
	}
	return (s);
}

/*
 * Store every option's default (options without one are left alone, so a
 * caller can pre-fill inherited values).
 */
void
conf_option_defaults(const struct sb_option *opts, void *blob)
{
	const struct sb_option	*o;
	size_t			 i;

	for (o = opts; o != NULL && o->name != NULL; o++) {
		if (o->def == NULL)
			continue;
		switch (o->type) {
		case SB_OPT_INT:
			*CONF_FIELD(blob, o, long long) = strtoll(o->def, NULL,
			    10);
			break;
		case SB_OPT_BOOL:
			*CONF_FIELD(blob, o, bool) = strcmp(o->def, "true") == 0;
			break;
		case SB_OPT_STRING:
			free(*CONF_FIELD(blob, o, char *));
			*CONF_FIELD(blob, o, char *) = xstrdup(o->def);
			break;
		case SB_OPT_ENUM:
			for (i = 0; o->choices[i] != NULL; i++) {
				if (strcmp(o->choices[i], o->def) == 0)
					*CONF_FIELD(blob, o, int) = (int)i;
			}
			break;
		default:		/* CONF_OPT_CUSTOM */
			break;
		}
	}
}

/* Check one setting against its option and store it. */
static void
conf_option_store(const struct sb_option *o, void *blob,
    const config_setting_t *s, struct conf_report *r)
{
	int		 line = config_setting_source_line(s);
	int		 type = config_setting_type(s);
	const char	*str;
	char		*choices;
	long long	 v;
	size_t		 i, len;

	switch (o->type) {
	case SB_OPT_INT:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
			conf_report(r, line, "%s: expected a whole number, as "
			    "in %s = %s;", o->name, o->name, o->def ? o->def :
			    "100");
			return;
		}
		v = config_setting_get_int64(s);
		if (v < o->min || v > o->max) {
			conf_report(r, line, "%s: %lld is out of range (use "
			    "%lld to %lld: %s)", o->name, v, o->min, o->max,
			    o->help);
			return;
		}
		*CONF_FIELD(blob, o, long long) = v;
		return;
	case SB_OPT_BOOL:
		if (type != CONFIG_TYPE_BOOL) {
			conf_report(r, line, "%s: expected true or false",
			    o->name);
			return;
		}
		*CONF_FIELD(blob, o, bool) = config_setting_get_bool(s);
		return;
	case SB_OPT_STRING:
	case SB_OPT_ENUM:
		break;
	default:		/* CONF_OPT_CUSTOM */
		return;
	}
	if (type != CONFIG_TYPE_STRING) {
		conf_report(r, line, "%s: expected a string in double quotes, "
		    "as in %s = \"%s\";", o->name, o->name,
		    o->def ? o->def : o->type == SB_OPT_ENUM ?
		    o->choices[0] : "text");
		return;
	}
	str = config_setting_get_string(s);
	if (o->type == SB_OPT_STRING) {
		len = strlen(str);
		if ((long long)len < o->min || (long long)len > o->max) {
			conf_report(r, line, "%s: \"%s\" must be %lld to %lld "
			    "characters long", o->name, str, o->min, o->max);
			return;
		}
		free(*CONF_FIELD(blob, o, char *));
		*CONF_FIELD(blob, o, char *) = xstrdup(str);
		return;
	}
	for (i = 0; o->choices[i] != NULL; i++) {
		if (strcmp(o->choices[i], str) == 0) {
			*CONF_FIELD(blob, o, int) = (int)i;
			return;
		}
	}
	choices = conf_option_choices(o);
	conf_report(r, line, "%s: \"%s\" is not a choice (use one of %s)",
	    o->name, str, choices);
	free(choices);
}

/*
 * Apply the table's options found in a group. Keys the table does not
 * know are left for the caller, who knows every table in play.
 */
void
conf_option_apply(const struct sb_option *opts, void *blob,
    const config_setting_t *group, struct conf_report *r)
{
	const struct sb_option	*o;
	config_setting_t	*s;

	for (o = opts; o != NULL && o->name != NULL; o++) {
		if (o->type == CONF_OPT_CUSTOM)
			continue;
		if ((s = config_setting_get_member(group, o->name)) != NULL)
			conf_option_store(o, blob, s, r);
	}
}

/* Free the strings a table stored in a blob. */
void
conf_option_free(const struct sb_option *opts, void *blob)
{
	const struct sb_option	*o;

	for (o = opts; o != NULL && o->name != NULL; o++) {
		if (o->type == SB_OPT_STRING) {
			free(*CONF_FIELD(blob, o, char *));
			*CONF_FIELD(blob, o, char *) = NULL;
		}
	}
}
