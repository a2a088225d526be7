/*
 * switchboard: the plugin ABI. A plugin is a shared object in the plugin
 * directory that exports one data symbol, switchboard_plugin_v1, made with
 * SB_PLUGIN below:
 *
 *	#include <switchboard/handler.h>
 *	#include <switchboard/plugin.h>
 *
 *	static const struct sb_handler reverse_handler = { "reverse", ... };
 *	SB_PLUGIN(&reverse_handler);
 *
 * The first three fields are fixed for every version of the ABI: the daemon
 * reads them, refuses a major version other than its own and a minor one
 * newer than its own, and never reads past the size the plugin declares.
 * A minor version adds fields at the end; a major version changes the
 * struct sb_handler or the calls of handler.h incompatibly.
 */
#ifndef SB_PLUGIN_H
#define SB_PLUGIN_H

#include <stdint.h>

#include <switchboard/handler.h>

#define SB_ABI_MAJOR	1
#define SB_ABI_MINOR	2

struct sb_plugin {
	uint32_t			 abi_major;	/* SB_ABI_MAJOR */
	uint32_t			 abi_minor;	/* SB_ABI_MINOR */
	uint32_t			 size;		/* sizeof(struct sb_plugin) */
	/* ABI 1.0: the handlers the plugin provides, NULL-terminated. */
	const struct sb_handler *const	*handlers;
};

/*
 * Define the plugin's symbol from one or more handler pointers:
 * SB_PLUGIN(&a_handler) or SB_PLUGIN(&a_handler, &b_handler).
 */
#define SB_PLUGIN(...)							\
	static const struct sb_handler *const sb_plugin_handlers_[] = {	\
		__VA_ARGS__, NULL					\
	};								\
	extern const struct sb_plugin switchboard_plugin_v1;		\
	const struct sb_plugin switchboard_plugin_v1 = {		\
		SB_ABI_MAJOR, SB_ABI_MINOR,				\
		(uint32_t)sizeof(struct sb_plugin), sb_plugin_handlers_	\
	}

#endif
