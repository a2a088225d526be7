/*
 * switchboard: the chat-relay line protocol, without any I/O: command
 * parsing, nick rules and the cleaning of relayed text.
 */
#ifndef SB_CHAT_PROTO_H
#define SB_CHAT_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CHAT_NICK_MAX	32
/* Room for the reason chat_nick_check gives. */
#define CHAT_NICK_REASON 64

enum chat_cmd_kind {
	CHAT_CMD_EMPTY,		/* nothing to do */
	CHAT_CMD_TEXT,		/* a message for the room: arg */
	CHAT_CMD_NICK,		/* /nick arg */
	CHAT_CMD_WHO,		/* /who */
	CHAT_CMD_ME,		/* /me arg */
	CHAT_CMD_MSG,		/* /msg target arg */
	CHAT_CMD_QUIT,		/* /quit [arg] */
	CHAT_CMD_HELP,		/* /help */
	CHAT_CMD_USAGE,		/* a known command, wrong arguments: usage */
	CHAT_CMD_UNKNOWN	/* an unknown command: target names it */
};

/* A parsed line; the pointers borrow from the line parsed. */
struct chat_cmd {
	enum chat_cmd_kind	 kind;
	const char		*target;	/* /msg NICK, or unknown name */
	size_t			 target_len;
	const char		*arg;		/* text, nick, action, reason */
	size_t			 arg_len;
	const char		*usage;		/* for CHAT_CMD_USAGE */
};

void	chat_parse(const char *, size_t, struct chat_cmd *);
bool	chat_nick_valid(const char *, size_t);
const char *chat_nick_check(const char *, size_t, char *, size_t);
size_t	chat_sanitize(const char *, size_t, char *);

#endif
