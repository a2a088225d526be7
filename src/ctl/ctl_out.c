/*
 * switchboardctl: an answer's lines as tables for people or as JSON for
 * scripts. Each line is "kind key=value ...", values with \xNN escapes
 * (the daemon's stats.c); "help" answers in free text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The columns of a table: a field (NULL: computed) and its heading. */
struct ctl_column {
	const char	*key;
	const char	*head;
	int		 duration;	/* seconds, shown as 1h02m03s */
};

static void	ctl_unescape(char *);
static void	ctl_parse_line(char *, struct ctl_line *);
static void	ctl_table(const struct ctl_answer *, const char *,
		    const struct ctl_column *, size_t);
static void	ctl_duration(const char *, char *, size_t);
static void	ctl_show_stats(const struct ctl_answer *);
static void	ctl_json_string(const char *);
static void	ctl_json_value(const char *, const char *);
static void	ctl_json_object(const struct ctl_line *);
static size_t	ctl_utf8_len(const unsigned char *);

/* Turn \xNN back into the byte, in place. */
static void
ctl_unescape(char *s)
{
	char	*o = s, hex[3] = { 0, 0, 0 };

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2])
		    && isxdigit((unsigned char)s[3])) {
			hex[0] = s[2];
			hex[1] = s[3];
			*o++ = (char)strtol(hex, NULL, 16);
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
}

/* Split one line (modified in place) into its kind and fields. */
static void
ctl_parse_line(char *text, struct ctl_line *l)
{
	char	*word, *eq, *save = NULL;
	size_t	 n = 1;

	for (word = text; *word != '\0'; word++)
		n += *word == ' ';
	l->text = strdup(text);
	l->f = ctl_alloc(n, sizeof(*l->f));
	l->kind = strtok_r(text, " ", &save);
	while ((word = strtok_r(NULL, " ", &save)) != NULL) {
		if ((eq = strchr(word, '=')) == NULL)
			continue;
		*eq = '\0';
		ctl_unescape(eq + 1);
		l->f[l->nf].key = word;
		l->f[l->nf++].value = eq + 1;
	}
	if (l->kind == NULL)
		l->kind = text;
}

/* Read an answer (without its "." line) into lines; text is modified. */
void
ctl_parse(char *text, struct ctl_answer *a)
{
	char	*line, *nl;
	size_t	 n = 0;

	memset(a, 0, sizeof(*a));
	for (line = text; *line != '\0'; line++)
		n += *line == '\n';
	a->lines = ctl_alloc(n, sizeof(*a->lines));
	for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		if (strncmp(line, "error:", 6) == 0) {
			a->error = line;
			continue;
		}
		ctl_parse_line(line, &a->lines[a->n++]);
	}
}

/* Free what ctl_parse allocated. */
void
ctl_answer_free(struct ctl_answer *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++) {
		free(a->lines[i].f);
		free(a->lines[i].text);
	}
	free(a->lines);
}

/* The value of a field of the line, or "" if it has none. */
const char *
ctl_get(const struct ctl_line *l, const char *key)
{
	size_t	i;

	for (i = 0; i < l->nf; i++) {
		if (strcmp(l->f[i].key, key) == 0)
			return (l->f[i].value);
	}
	return ("");
}

/* Seconds as "45s", "3m05s" or "2h03m05s" (days as hours). */
static void
ctl_duration(const char *secs, char *buf, size_t size)
{
	unsigned long long	s = strtoull(secs, NULL, 10);

	if (s >= 3600)
		snprintf(buf, size, "%lluh%02llum%02llus", s / 3600,
		    s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(buf, size, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, size, "%llus", s);
}

/*
 * A table of the lines of kind, one column each; columns whose every
 * cell is a number are aligned right. A cell that is empty shows "-".
 */
static void
ctl_table(const struct ctl_answer *a, const char *kind,
    const struct ctl_column *cols, size_t ncols)
{
	char		***cell, *s;
	size_t		 i, j, rows = 0, *width, *num;
	char		 buf[64];
	const char	*v;

	cell = ctl_alloc(a->n, sizeof(*cell));
	width = ctl_alloc(ncols, sizeof(*width));
	num = ctl_alloc(ncols, sizeof(*num));
	for (j = 0; j < ncols; j++) {
		width[j] = strlen(cols[j].head);
		num[j] = 1;
	}
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->lines[i].kind, kind) != 0)
			continue;
		cell[rows] = ctl_alloc(ncols, sizeof(**cell));
		for (j = 0; j < ncols; j++) {
			v = ctl_get(&a->lines[i], cols[j].key);
			if (cols[j].duration && *v != '\0') {
				ctl_duration(v, buf, sizeof(buf));
				v = buf;
			}
			s = strdup(*v == '\0' ? "-" : v);
			if (strspn(s, "0123456789") != strlen(s) &&
			    !cols[j].duration)
				num[j] = 0;
			if (strlen(s) > width[j])
				width[j] = strlen(s);
			cell[rows][j] = s;
		}
		rows++;
	}
	for (j = 0; j < ncols; j++)
		printf("%s%-*s", j ? "  " : "", j + 1 < ncols ?
		    (int)width[j] : 0, cols[j].head);
	printf("\n");
	for (i = 0; i < rows; i++) {
		for (j = 0; j < ncols; j++) {
			printf("%s%*s", j ? "  " : "", num[j] ? (int)width[j] :
			    j + 1 < ncols ? -(int)width[j] : 0, cell[i][j]);
			free(cell[i][j]);
		}
		printf("\n");
		free(cell[i]);
	}
	free(cell);
	free(width);
	free(num);
}

/*
 * stats: the daemon in a sentence, a table of the services, then each
 * service's refusals and limit events that are not zero.
 */
static void
ctl_show_stats(const struct ctl_answer *a)
{
	static const struct ctl_column cols[] = {
		{ "name", "SERVICE", 0 }, { "handler", "HANDLER", 0 },
		{ "connections", "CONNS", 0 }, { "accepted", "ACCEPTED", 0 },
		{ "lines_in", "LINES-IN", 0 }, { "lines_out", "LINES-OUT", 0 },
		{ "bytes_in", "BYTES-IN", 0 }, { "bytes_out", "BYTES-OUT", 0 },
		{ "state", "STATE", 0 }, { "listeners", "LISTENERS", 0 },
	};
	const struct ctl_line	*l;
	char			 up[64];
	size_t			 i, j, n;

	for (i = 0; i < a->n; i++) {
		l = &a->lines[i];
		if (strcmp(l->kind, "daemon") != 0)
			continue;
		ctl_duration(ctl_get(l, "uptime"), up, sizeof(up));
		printf("switchboardd %s, pid %s, up %s; configuration "
		    "generation %s (reloads: %s ok, %s failed); services: %s, "
		    "connections: %s\n\n", ctl_get(l, "version"),
		    ctl_get(l, "pid"), up, ctl_get(l, "generation"),
		    ctl_get(l, "reloads_ok"), ctl_get(l, "reloads_failed"),
		    ctl_get(l, "services"), ctl_get(l, "connections"));
	}
	ctl_table(a, "service", cols, sizeof(cols) / sizeof(cols[0]));
	for (i = 0; i < a->n; i++) {
		l = &a->lines[i];
		if (strcmp(l->kind, "service") != 0)
			continue;
		for (j = 0, n = 0; j < l->nf; j++) {
			if ((strncmp(l->f[j].key, "refused_", 8) != 0 &&
			    strncmp(l->f[j].key, "limit_", 6) != 0) ||
			    strcmp(l->f[j].value, "0") == 0)
				continue;
			if (n++ == 0)
				printf("%s: ", ctl_get(l, "name"));
			else
				printf(", ");
			printf("%s %s", l->f[j].key, l->f[j].value);
		}
		if (n > 0)
			printf("\n");
	}
}

/* Show the answer to command as people read it. */
void
ctl_show_table(const char *command, const struct ctl_answer *a)
{
	static const struct ctl_column clients[] = {
		{ "id", "ID", 0 }, { "service", "SERVICE", 0 },
		{ "peer", "PEER", 0 }, { "connected", "CONNECTED", 1 },
		{ "idle", "IDLE", 1 }, { "queued", "QUEUED", 0 },
		{ "nick", "NICK", 0 },
	};
	static const struct ctl_column members[] = {
		{ "id", "ID", 0 }, { "nick", "NICK", 0 },
	};
	size_t	i;

	if (strcmp(command, "stats") == 0)
		ctl_show_stats(a);
	else if (strcmp(command, "clients") == 0)
		ctl_table(a, "client", clients,
		    sizeof(clients) / sizeof(clients[0]));
	else if (strcmp(command, "who") == 0)
		ctl_table(a, "member", members,
		    sizeof(members) / sizeof(members[0]));
	else if (strcmp(command, "kill") == 0 && a->n > 0)
		printf("client %s (%s) disconnected\n",
		    ctl_get(&a->lines[0], "id"),
		    ctl_get(&a->lines[0], "service"));
	else if (strcmp(command, "reload") == 0 && a->n > 0)
		printf("reloaded: configuration generation %s\n",
		    ctl_get(&a->lines[0], "generation"));
	else {
		for (i = 0; i < a->n; i++)
			printf("%s\n", a->lines[i].text);
	}
}

/* Bytes in the valid UTF-8 sequence at p, or 0 if there is none. */
static size_t
ctl_utf8_len(const unsigned char *p)
{
	size_t	n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
	}
	return (n);
}

/*
 * A JSON string. Bytes that are not valid UTF-8 (a nick is whatever its
 * client sent) become U+FFFD, so the output is always valid JSON.
 */
static void
ctl_json_string(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;

	putchar('"');
	while (*p != '\0') {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p++);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p++);
		else if (*p < 0x80)
			putchar(*p++);
		else if ((n = ctl_utf8_len(p)) > 0) {
			fwrite(p, 1, n, stdout);
			p += n;
		} else {
			printf("\\ufffd");
			p++;
		}
	}
	putchar('"');
}

/*
 * A field's value: a number if it is all digits, the listeners as an
 * array, anything else a string.
 */
static void
ctl_json_value(const char *key, const char *v)
{
	const char	*comma;
	char		*item;
	size_t		 n = strlen(v);

	if (n > 0 && n < 16 && strspn(v, "0123456789") == n &&
	    (v[0] != '0' || n == 1)) {
		printf("%s", v);
		return;
	}
	if (strcmp(key, "listeners") != 0) {
		ctl_json_string(v);
		return;
	}
	putchar('[');
	while (*v != '\0') {
		comma = strchr(v, ',');
		n = comma != NULL ? (size_t)(comma - v) : strlen(v);
		item = strndup(v, n);
		ctl_json_string(item);
		free(item);
		printf("%s", comma != NULL ? ", " : "");
		v += n + (comma != NULL);
	}
	putchar(']');
}

/* A line's fields as one JSON object. */
static void
ctl_json_object(const struct ctl_line *l)
{
	size_t	i;

	putchar('{');
	for (i = 0; i < l->nf; i++) {
		printf("%s", i ? ", " : "");
		ctl_json_string(l->f[i].key);
		printf(": ");
		ctl_json_value(l->f[i].key, l->f[i].value);
	}
	putchar('}');
}

/*
 * Show the answer to command as one JSON object: the lines of the
 * command's list kind (services, clients, members, help) as an array,
 * always there; a line of any other kind as an object under its kind;
 * an error as "error".
 */
void
ctl_show_json(const char *command, const struct ctl_answer *a)
{
	static const struct {
		const char	*command, *kind, *key;
	} lists[] = {
		{ "stats", "service", "services" },
		{ "clients", "client", "clients" },
		{ "who", "member", "members" },
	};
	const char	*kind = NULL, *key = NULL;
	size_t		 i, n = 0;
	int		 first = 1;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (strcmp(lists[i].command, command) == 0) {
			kind = lists[i].kind;
			key = lists[i].key;
		}
	}
	putchar('{');
	if (a->error != NULL) {
		printf("\"error\": ");
		ctl_json_string(a->error + 6 + (a->error[6] == ' '));
		printf("}\n");
		return;
	}
	if (strcmp(command, "help") == 0) {
		printf("\"help\": [");
		for (i = 0; i < a->n; i++) {
			printf("%s", i ? ", " : "");
			ctl_json_string(a->lines[i].text);
		}
		printf("]}\n");
		return;
	}
	for (i = 0; i < a->n; i++) {
		if (kind != NULL && strcmp(a->lines[i].kind, kind) == 0)
			continue;
		printf("%s", first ? "" : ", ");
		first = 0;
		ctl_json_string(a->lines[i].kind);
		printf(": ");
		ctl_json_object(&a->lines[i]);
	}
	if (key != NULL) {
		printf("%s\"%s\": [", first ? "" : ", ", key);
		for (i = 0; i < a->n; i++) {
			if (strcmp(a->lines[i].kind, kind) != 0)
				continue;
			printf("%s", n++ ? ", " : "");
			ctl_json_object(&a->lines[i]);
		}
		putchar(']');
	}
	printf("}\n");
}
