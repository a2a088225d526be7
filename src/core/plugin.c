/*
 * switchboard: loading handler plugins.
 *
 * A plugin is named, not given as a path: NAME is the file DIR/NAME.so in
 * the plugin directory. Before anything of it runs, the file is opened
 * (O_NOFOLLOW, so not through a symbolic link) and checked with fstat: a
 * regular file, owned by root or by the daemon's user, not writable by
 * group or others; the directory passes the same owner and mode checks.
 * The object is then loaded through /proc/self/fd/N, the very file that
 * was checked, so swapping the file after the check loads nothing else.
 * The descriptor stays open as long as the plugin is loaded (for good):
 * the dynamic loader knows objects by the name they were opened under,
 * and a later plugin opened as the same /proc/self/fd/N would be taken
 * for this one.
 *
 * dlopen runs the plugin's constructors, if it has any, before its
 * switchboard_plugin_v1 symbol is looked at: the checks above are what
 * make that safe. The symbol's first three fields (ABI major, minor and
 * the struct's size) are read first; nothing past the declared size is
 * read. Loaded plugins are kept for the life of the process (never
 * dlclose'd), so a reload that drops the last service of one keeps it.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <switchboard/plugin.h>

#include "handlers.h"
#include "plugin.h"
#include "xmalloc.h"

struct plugin {
	char			*name;
	char			*path;
	void			*dl;
	int			 fd;		/* kept open, see above */
	const struct sb_handler	**handlers;	/* copied, NULL-terminated */
	size_t			 nhandlers;
	struct sb_handler	*older;		/* ABI 1.0 handlers, widened */
	unsigned		 abi_minor;	/* built against 1.N */
	struct plugin		*next;
};

/* The ABI 1.0 fields, all of which the daemon needs. */
#define PLUGIN_MIN_SIZE							\
	(offsetof(struct sb_plugin, handlers) +				\
	    sizeof(((struct sb_plugin *)0)->handlers))
/* The fixed head every version starts with: major, minor, size. */
#define PLUGIN_HEAD_SIZE	(3 * sizeof(uint32_t))
/* The part of struct sb_handler a plugin built for ABI 1.0 has. */
#define PLUGIN_HANDLER_1_0_SIZE	offsetof(struct sb_handler, describe)
/* More handlers than this in one plugin is taken for a missing NULL. */
#define PLUGIN_MAX_HANDLERS	64
/* Options one handler may declare, and the largest blobs it may ask for. */
#define PLUGIN_MAX_OPTIONS	256
#define PLUGIN_MAX_BLOB		(1024 * 1024)

static struct plugin	*plugins;

static size_t	plugin_option_size(enum sb_opt_type);
static int	plugin_check_options(const struct sb_handler *, char *, size_t);
static int	plugin_check_owner(const struct stat *, const char *,
		    char *, size_t);
static int	plugin_open(const char *, const char *, char *, size_t);
static int	plugin_read(struct plugin *, const void *, char *, size_t);
static void	plugin_widen(struct plugin *);
static int	plugin_clash(const struct plugin *, size_t, const char *,
		    char *, size_t);

/* A plugin name: not empty, no '/', not "." or "..". */
bool
plugin_name_valid(const char *name)
{
	return (name[0] != '\0' && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0);
}

/* The name a plugin was loaded under. */
const char *
plugin_name(const struct plugin *p)
{
	return (p->name);
}

/*
 * A file or directory may be trusted only if its owner is root or the
 * daemon's user and nobody else may write it: -1 with why set if not.
 */
static int
plugin_check_owner(const struct stat *st, const char *what, char *why,
    size_t len)
{
	uid_t	uid = geteuid();

	if (st->st_uid != 0 && st->st_uid != uid) {
		snprintf(why, len, "%s is owned by uid %lu, neither root nor "
		    "the daemon's user (uid %lu)", what,
		    (unsigned long)st->st_uid, (unsigned long)uid);
		return (-1);
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "%s is writable by group or others (mode "
		    "%04o; chmod go-w it)", what,
		    (unsigned)(st->st_mode & 07777));
		return (-1);
	}
	return (0);
}

/*
 * Open the plugin file and check it and its directory; the open
 * descriptor, or -1 with why set.
 */
static int
plugin_open(const char *dir, const char *path, char *why, size_t len)
{
	struct stat	 st;
	const char	*file = strrchr(path, '/') + 1;
	int		 dfd, fd;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(why, len, "cannot open the plugin directory %s: %s",
		    dir, strerror(errno));
		return (-1);
	}
	if (fstat(dfd, &st) == -1) {
		snprintf(why, len, "cannot stat the plugin directory %s: %s",
		    dir, strerror(errno));
		close(dfd);
		return (-1);
	}
	if (plugin_check_owner(&st, "the plugin directory", why, len) == -1) {
		close(dfd);
		return (-1);
	}
	/*
	 * The file is opened in the directory just checked, not by its path
	 * again, and without waiting: a FIFO would otherwise hold the open
	 * (and the event loop, at a reload) until someone wrote to it.
	 */
	fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	close(dfd);
	if (fd == -1) {
		if (errno == ELOOP)
			snprintf(why, len, "is a symbolic link (put the file "
			    "itself in the plugin directory)");
		else
			snprintf(why, len, "cannot open: %s", strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, len, "cannot stat: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "is not a regular file");
		close(fd);
		return (-1);
	}
	if (plugin_check_owner(&st, "the file", why, len) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* The size of the field an option of this type fills in the conf blob. */
static size_t
plugin_option_size(enum sb_opt_type type)
{
	switch (type) {
	case SB_OPT_INT:
		return (sizeof(long long));
	case SB_OPT_BOOL:
		return (sizeof(bool));
	case SB_OPT_STRING:
		return (sizeof(char *));
	case SB_OPT_ENUM:
		return (sizeof(int));
	}
	return (0);
}

/*
 * The core writes a handler's options into blobs of the sizes it asks
 * for: check that every option is one the core knows, lies inside the
 * conf blob, and makes sense, before anything is written. Returns 0, or
 * -1 with why set.
 */
static int
plugin_check_options(const struct sb_handler *h, char *why, size_t len)
{
	const struct sb_option	*o;
	size_t			 i, size;

	if (h->conf_size > PLUGIN_MAX_BLOB || h->conn_size > PLUGIN_MAX_BLOB) {
		snprintf(why, len, "handler \"%s\" asks for a conf or "
		    "connection state over %d bytes", h->name, PLUGIN_MAX_BLOB);
		return (-1);
	}
	for (i = 0; h->options != NULL && h->options[i].name != NULL; i++) {
		o = &h->options[i];
		if (i == PLUGIN_MAX_OPTIONS) {
			snprintf(why, len, "handler \"%s\" has more than %d "
			    "options (does its table end with SB_OPTION_END?)",
			    h->name, PLUGIN_MAX_OPTIONS);
			return (-1);
		}
		if ((size = plugin_option_size(o->type)) == 0) {
			snprintf(why, len, "handler \"%s\", option \"%s\": "
			    "unknown type %d", h->name, o->name, (int)o->type);
			return (-1);
		}
		if (o->offset > h->conf_size || size > h->conf_size - o->offset) {
			snprintf(why, len, "handler \"%s\", option \"%s\": "
			    "its field (offset %zu, %zu bytes) is outside the "
			    "conf blob of %zu bytes (use SB_OPTION_* and set "
			    "conf_size)", h->name, o->name, o->offset, size,
			    h->conf_size);
			return (-1);
		}
		if (o->min > o->max) {
			snprintf(why, len, "handler \"%s\", option \"%s\": "
			    "its minimum is above its maximum", h->name,
			    o->name);
			return (-1);
		}
		if (o->type == SB_OPT_ENUM && (o->choices == NULL ||
		    o->choices[0] == NULL)) {
			snprintf(why, len, "handler \"%s\", option \"%s\": "
			    "an enum without choices", h->name, o->name);
			return (-1);
		}
	}
	return (0);
}

/*
 * Whether a handler name is taken: by a built-in, by a loaded plugin or by
 * one of the first n handlers of the plugin being read. If it is, who has
 * it goes into buf and 1 is returned.
 */
static int
plugin_clash(const struct plugin *self, size_t n, const char *name,
    char *buf, size_t len)
{
	const struct plugin	*p;
	size_t			 i;

	if (handlers_builtin(name) != NULL) {
		snprintf(buf, len, "a built-in handler");
		return (1);
	}
	for (i = 0; i < n; i++) {
		if (strcmp(self->handlers[i]->name, name) == 0) {
			snprintf(buf, len, "another handler of this plugin");
			return (1);
		}
	}
	for (p = plugins; p != NULL; p = p->next) {
		for (i = 0; i < p->nhandlers; i++) {
			if (strcmp(p->handlers[i]->name, name) == 0) {
				snprintf(buf, len, "plugin \"%s\"", p->name);
				return (1);
			}
		}
	}
	return (0);
}

/*
 * A plugin built for ABI 1.0 has shorter handler structs: read only their
 * 1.0 part, into copies whose later hooks are NULL.
 */
static void
plugin_widen(struct plugin *p)
{
	size_t	i;

	p->older = xcalloc(p->nhandlers, sizeof(*p->older));
	for (i = 0; i < p->nhandlers; i++) {
		memcpy(&p->older[i], p->handlers[i], PLUGIN_HANDLER_1_0_SIZE);
		p->handlers[i] = &p->older[i];
	}
}

/*
 * Check the plugin's symbol (sym) and copy its handler list: 0, or -1
 * with why set.
 */
static int
plugin_read(struct plugin *p, const void *sym, char *why, size_t len)
{
	struct sb_plugin	 head;
	const struct sb_handler	*h;
	char			 who[96];
	size_t			 n;

	memset(&head, 0, sizeof(head));
	memcpy(&head, sym, PLUGIN_HEAD_SIZE);
	if (head.abi_major != SB_ABI_MAJOR || head.abi_minor > SB_ABI_MINOR) {
		snprintf(why, len, "ABI version %u.%u, but this daemon has "
		    "%u.%u (%s)", head.abi_major, head.abi_minor,
		    SB_ABI_MAJOR, SB_ABI_MINOR,
		    head.abi_major != SB_ABI_MAJOR ? "the major versions "
		    "must match: rebuild the plugin against this daemon's SDK" :
		    "the plugin needs a newer daemon");
		return (-1);
	}
	if (head.size < PLUGIN_MIN_SIZE) {
		snprintf(why, len, "its struct sb_plugin declares %u bytes, "
		    "fewer than the %zu of ABI %u.%u (is it built with "
		    "SB_PLUGIN?)", head.size, PLUGIN_MIN_SIZE, SB_ABI_MAJOR,
		    SB_ABI_MINOR);
		return (-1);
	}
	/* Only as much as the daemon knows of, never past the size. */
	memcpy(&head, sym, PLUGIN_MIN_SIZE);
	if (head.handlers == NULL || head.handlers[0] == NULL) {
		snprintf(why, len, "provides no handler");
		return (-1);
	}
	for (n = 0; head.handlers[n] != NULL; n++) {
		if (n == PLUGIN_MAX_HANDLERS) {
			snprintf(why, len, "more than %d handlers (is the list "
			    "NULL-terminated?)", PLUGIN_MAX_HANDLERS);
			goto fail;
		}
		h = head.handlers[n];
		if (h->name == NULL || h->name[0] == '\0') {
			snprintf(why, len, "handler %zu has no name", n + 1);
			goto fail;
		}
		if (h->line == NULL) {
			snprintf(why, len, "handler \"%s\" has no line hook",
			    h->name);
			goto fail;
		}
		if (plugin_check_options(h, why, len) == -1)
			goto fail;
		if (plugin_clash(p, n, h->name, who, sizeof(who))) {
			snprintf(why, len, "handler \"%s\" clashes with %s "
			    "(handler names must be unique)", h->name, who);
			goto fail;
		}
		p->handlers = xreallocarray(p->handlers, n + 2,
		    sizeof(*p->handlers));
		p->handlers[n] = h;
		p->handlers[n + 1] = NULL;
		p->nhandlers = n + 1;
	}
	p->abi_minor = head.abi_minor;
	if (head.abi_minor == 0)
		plugin_widen(p);
	return (0);
fail:
	free(p->handlers);
	p->handlers = NULL;
	p->nhandlers = 0;
	return (-1);
}

/*
 * Load the plugin NAME from DIR, or find it loaded already. NULL with
 * *err set (to a message naming the plugin, its path and the reason, to
 * be freed) if it cannot be loaded.
 */
const struct plugin *
plugin_load(const char *dir, const char *name, char **err)
{
	struct plugin	*p;
	Dl_info		 info;
	const ElfW(Sym)	*esym = NULL;
	char		 why[512], *path, fdpath[64];
	const void	*sym;
	void		*again;
	int		 fd;

	*err = NULL;
	for (p = plugins; p != NULL; p = p->next) {
		if (strcmp(p->name, name) == 0)
			return (p);
	}
	xasprintf(&path, "%s%s%s.so", dir,
	    dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	if ((fd = plugin_open(dir, path, why, sizeof(why))) == -1)
		goto fail;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	p = xcalloc(1, sizeof(*p));
	p->fd = fd;
	dlerror();
	if ((p->dl = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, sizeof(why), "cannot load: %s", dlerror());
		close(fd);
		free(p);
		goto fail;
	}
	if ((sym = dlsym(p->dl, "switchboard_plugin_v1")) == NULL) {
		snprintf(why, sizeof(why), "no switchboard_plugin_v1 symbol "
		    "(is it a switchboard plugin, built with SB_PLUGIN?)");
		goto unload;
	}
	/* Where the object gives the symbol's size, it bounds the reads. */
	if (dladdr1(sym, &info, (void **)&esym, RTLD_DL_SYMENT) != 0 &&
	    esym != NULL && esym->st_size != 0) {
		if (esym->st_size < PLUGIN_HEAD_SIZE) {
			snprintf(why, sizeof(why), "switchboard_plugin_v1 has "
			    "%zu bytes, too few for a struct sb_plugin",
			    (size_t)esym->st_size);
			goto unload;
		}
		if (((const struct sb_plugin *)sym)->size > esym->st_size) {
			snprintf(why, sizeof(why), "switchboard_plugin_v1 "
			    "declares %u bytes but has %zu",
			    ((const struct sb_plugin *)sym)->size,
			    (size_t)esym->st_size);
			goto unload;
		}
	}
	if (plugin_read(p, sym, why, sizeof(why)) == -1)
		goto unload;
	p->name = xstrdup(name);
	p->path = path;
	p->next = plugins;
	plugins = p;
	return (p);

unload:
	/*
	 * Nothing of it is referenced yet: it can go. If it stays loaded all
	 * the same (built with -z nodelete, say), glibc still knows it by
	 * /proc/self/fd/N: the descriptor is kept, or the next plugin given
	 * that number would be handed this object.
	 */
	dlclose(p->dl);
	if ((again = dlopen(fdpath, RTLD_NOLOAD | RTLD_LAZY)) != NULL)
		dlclose(again);
	else
		close(p->fd);
	free(p);
fail:
	xasprintf(err, "plugin \"%s\" (%s): %s", name, path, why);
	free(path);
	return (NULL);
}

/* A plugin's handler of that name, and which plugin has it; or NULL. */
const struct sb_handler *
plugin_find_handler(const char *name, const struct plugin **from)
{
	const struct plugin	*p;
	size_t			 i;

	for (p = plugins; p != NULL; p = p->next) {
		for (i = 0; i < p->nhandlers; i++) {
			if (strcmp(p->handlers[i]->name, name) == 0) {
				if (from != NULL)
					*from = p;
				return (p->handlers[i]);
			}
		}
	}
	return (NULL);
}

/*
 * The minor ABI version a handler was built against: its plugin's, or
 * the daemon's own for a built-in one. A call whose struct grew in a
 * later minor version reads only what that version had.
 */
unsigned
plugin_abi_minor(const struct sb_handler *h)
{
	const struct plugin	*p;
	size_t			 i;

	for (p = plugins; p != NULL; p = p->next) {
		for (i = 0; i < p->nhandlers; i++) {
			if (p->handlers[i] == h)
				return (p->abi_minor);
		}
	}
	return (SB_ABI_MINOR);
}

/* Append the loaded plugins' handler names, comma-separated, to buf. */
void
plugin_handler_names(char *buf, size_t size)
{
	const struct plugin	*p;
	size_t			 i;

	for (p = plugins; p != NULL; p = p->next) {
		for (i = 0; i < p->nhandlers; i++) {
			if (buf[0] != '\0')
				strncat(buf, ", ", size - strlen(buf) - 1);
			strncat(buf, p->handlers[i]->name,
			    size - strlen(buf) - 1);
		}
	}
}
