/*
 * switchboard: the chat-relay handler's room, shared by its files:
 * chat_relay.c (the protocol, members, local delivery) and chat_shared.c
 * (the room shared with other daemons through the core's relay).
 */
#ifndef SB_CHAT_ROOM_H
#define SB_CHAT_ROOM_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <switchboard/bucket.h>
#include <switchboard/handler.h>

#include "chat_history.h"
#include "chat_proto.h"

struct chat_conf {
	long long	max_clients;
	long long	history;
	long long	rate;		/* lines per second, 0 = no budget */
	long long	burst;		/* lines saved up */
	long long	byte_rate;	/* bytes per second, 0 = no budget */
	long long	room_byte_rate;	/* ... for the whole room */
	char		*relay;		/* Redis address, "" = none */
	char		*room;		/* its room, "" = the service's name */
	char		*relay_prefix;
	char		*relay_password;
	char		*relay_user;	/* ACL user, "" = the default */
	long long	relay_queue;	/* bytes waiting to be relayed */
	long long	relay_timeout;	/* ms */
	long long	relay_keep;	/* entries the stream keeps */
	long long	relay_lease;	/* ms a nick outlives its daemon */
};

/* What a room's name in Redis may be made of. */
#define CHAT_ROOM_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789_-."

struct chat_member {
	TAILQ_ENTRY(chat_member) entry;
	struct sb_conn		*conn;
	struct sb_bucket	 lines;		/* rate budget */
	struct sb_bucket	 bytes;		/* byte_rate budget */
	char			 nick[CHAT_NICK_MAX + 1];
	char			 want[CHAT_NICK_MAX + 1]; /* /nick asked */
	int			 joined;
	int			 joining;	/* waiting for the relay */
	int			 renaming;	/* its nick was taken */
	int			 held;		/* input waits for the relay */
	unsigned long long	 id;		/* in this room, from 1 */
};

struct chat_room {
	TAILQ_HEAD(, chat_member) members;
	size_t			 count;
	size_t			 joining;	/* members not yet joined */
	unsigned long		 next_guest;
	unsigned long long	 next_id;
	bool			 shared;	/* relay set at start */
	bool			 started;	/* chat_relay_start ran */
	struct chat_history	 history;
	struct sb_bucket	 bytes;		/* room_byte_rate budget */
};

/* chat_relay.c */
struct chat_member *chat_find(struct chat_room *, const char *, size_t);
void	chat_broadcast(struct chat_room *, struct chat_member *,
	    const char *, size_t);
void	chat_remember(struct chat_room *, const char *, size_t, time_t);
void	chat_guest_nick(struct chat_room *, struct chat_member *);
void	chat_join(struct chat_room *, struct chat_member *,
	    const char *const *, size_t);
void	chat_rename(struct chat_room *, struct chat_member *, const char *);
void	chat_who_reply(struct chat_member *, const char *const *, size_t);
unsigned chat_budget_left(struct chat_member *);

/* chat_shared.c */
const char *chat_configure(void *);
void	chat_relay_start(struct sb_service *);
int	chat_publish(struct sb_service *, struct chat_member *, char,
	    const char *, size_t);
void	chat_notice(struct sb_service *, struct chat_member *, const char *,
	    size_t);
int	chat_shared_open(struct chat_room *, struct chat_member *);
int	chat_shared_nick(struct chat_room *, struct chat_member *,
	    const char *);
int	chat_shared_msg(struct chat_room *, struct chat_member *,
	    const char *, size_t, const char *, size_t);
int	chat_shared_who(struct chat_room *, struct chat_member *);
void	chat_shared_close(struct chat_room *, struct chat_member *,
	    const char *, size_t, int);
void	chat_relayed(struct sb_service *, const struct sb_relayed *);
void	chat_relay_event(struct sb_service *, enum sb_relay_event);
void	chat_relay_reply(struct sb_conn *, const struct sb_relay_reply *);

#endif
