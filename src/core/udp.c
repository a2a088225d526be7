/*
 * switchboard: UDP listeners.
 *
 * A udp: listen entry is a datagram socket on the daemon's one event
 * loop. Each wakeup reads at most UDP_BATCH datagrams (one recvmmsg), so
 * a flood takes its turn with the TCP clients instead of holding the
 * loop. Each datagram is one request of one or more lines, answered by a
 * pseudo-connection (conn_dgram.c) with one datagram (the batch's answers
 * go out with one sendmmsg): the handler's replies in order, cut at a line
 * boundary with UDP_TRUNCATED after them
 * if they are over the service's udp_max_reply or udp_max_amplification
 * times the request.
 *
 * A datagram is dropped, and counted (service_limit), when it comes from
 * a source port that no client uses and that would make an answer start
 * a loop (udp_source_refused), when allow/deny refuse its address, when
 * its address is over its udp_rate budget, or when it is over
 * udp_max_request. Nothing is sent back for a dropped datagram: its
 * source address may be forged.
 *
 * On a wildcard socket (udp:PORT) the answer goes out from the address
 * the request was sent to (IPV6_PKTINFO), as a client that connected its
 * socket expects on a host with more than one address.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acl.h"
#include "conf.h"
#include "conn.h"
#include "dgram.h"
#include "iptable.h"
#include "listener.h"
#include "log.h"
#include "server.h"
#include "service.h"
#include "udp.h"
#include "xmalloc.h"

/* Datagrams read per wakeup. */
#define UDP_BATCH	32
/* Addresses with a datagram budget at once, per service: past this, a
 * datagram from an address without one is dropped (a flood of forged
 * sources must not grow the table without bound). */
#define UDP_TABLE_MAX	65536
/* Control data room for one IPV6_PKTINFO or IP_PKTINFO. */
#define UDP_CMSG_SPACE	CMSG_SPACE(sizeof(struct in6_pktinfo))

/* What follows an answer that was cut. */
#define UDP_TRUNCATED	"error: reply truncated, use TCP"

/*
 * Source ports a datagram is never answered to: 0 (no real sender has
 * it) and the ports of services that answer whatever they get (echo 7,
 * daytime 13, qotd 17, chargen 19, time 37) or that are abused to reflect
 * (domain 53, sunrpc 111, ntp 123, netbios-ns 137, snmp 161, cldap 389,
 * ssdp 1900, mdns 5353, memcached 11211): answering them could start a
 * loop between two services, each answering the other (inetd's loop
 * check).
 */
static const uint16_t udp_refused_ports[] = {
	0, 7, 13, 17, 19, 37, 53, 111, 123, 137, 161, 389, 1900, 5353, 11211
};

/* The receive batch: buffers for UDP_BATCH requests, grown as needed. */
static struct mmsghdr	 udp_msgs[UDP_BATCH];
static struct iovec	 udp_iov[UDP_BATCH];
static struct sockaddr_storage udp_from[UDP_BATCH];
static char		 udp_ctl[UDP_BATCH][UDP_CMSG_SPACE];
static char		*udp_buf;
static size_t		 udp_buf_each;
/* The answers of a batch, sent together (one sendmmsg): each points into
 * its pseudo-connection's output, freed once the batch is sent. */
static struct mmsghdr	 udp_out[UDP_BATCH];
static struct iovec	 udp_out_iov[UDP_BATCH][2];
static struct sb_conn	*udp_out_conn[UDP_BATCH];
static unsigned int	 udp_nout;

static int	udp_socket(const struct listen_addr *);
static void	udp_read_cb(evutil_socket_t, short, void *);
static void	udp_drop(struct sb_service *, enum service_limit,
		    const struct sockaddr *, socklen_t, int, const uint8_t *,
		    const char *, ...) __attribute__((format(printf, 7, 8)));
static bool	udp_admit(struct sb_service *, const struct listener *,
		    const struct sockaddr *, socklen_t, size_t, int,
		    const uint8_t *, uint64_t);
static void	udp_answer(struct sb_service *, struct msghdr *, size_t, int,
		    const uint8_t *);
static void	udp_queue(struct sb_conn *, struct msghdr *, const char *,
		    size_t, bool, bool);
static void	udp_flush(struct sb_service *, int);
static void	udp_reply_ctl(struct msghdr *);

/*
 * Is a datagram from source port src to our port ours never to be
 * answered? Besides udp_refused_ports, a datagram from our own port
 * number is most likely another server like this one answering us.
 */
bool
udp_source_refused(uint16_t src, uint16_t ours)
{
	size_t	i;

	if (src == ours)
		return (true);
	for (i = 0; i < sizeof(udp_refused_ports) /
	    sizeof(udp_refused_ports[0]); i++) {
		if (src == udp_refused_ports[i])
			return (true);
	}
	return (false);
}

/* Create and bind a datagram socket; returns the fd or -1 with errno. */
static int
udp_socket(const struct listen_addr *a)
{
	int	fd, on = 1, off = 0, saved;

	fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	/*
	 * No SO_REUSEADDR: UDP has no TIME_WAIT to get past, and on a
	 * datagram socket it would let another socket bind the same port
	 * and take its datagrams. Other daemons (of the same user) may bind
	 * it too only with reuse_port.
	 */
	if (a->reuse_port &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
		goto fail;
	if (a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, a->any ? &off : &on,
	    sizeof(int)) == -1)
		goto fail;
	/* A wildcard answers from the address it was asked at. */
	if (a->any && a->ss.ss_family == AF_INET6 && setsockopt(fd,
	    IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) == -1)
		goto fail;
	if (a->any && a->ss.ss_family == AF_INET && setsockopt(fd,
	    IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1)
		goto fail;
	return (fd);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/*
 * Bind a UDP listener for the service arg. Returns NULL with errno set on
 * failure; l->bound names it "udp:ADDRESS" (with the port the kernel
 * chose for port 0).
 */
struct listener *
udp_open(struct event_base *base, const struct listen_addr *a, void *arg)
{
	struct sockaddr_storage	 ss;
	struct listener		*l;
	socklen_t		 len = sizeof(ss);
	char			 text[LISTEN_ADDR_TEXT];
	int			 fd, saved;

	if ((fd = udp_socket(a)) == -1 && a->any && errno == EAFNOSUPPORT) {
		/* No IPv6 on this host: a wildcard means IPv4 only. */
		struct listen_addr	v4;
		struct sockaddr_in	*sin = (struct sockaddr_in *)&v4.ss;

		memset(&v4, 0, sizeof(v4));
		sin->sin_family = AF_INET;
		sin->sin_port =
		    ((const struct sockaddr_in6 *)&a->ss)->sin6_port;
		v4.len = sizeof(*sin);
		v4.any = true;
		v4.reuse_port = a->reuse_port;
		fd = udp_socket(&v4);
	}
	if (fd == -1)
		return (NULL);
	l = xcalloc(1, sizeof(*l));
	l->addr = a;
	l->arg = arg;
	l->backlog = -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		len = 0;
	else if (ss.ss_family == AF_INET)
		l->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		l->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	listen_addr_format((struct sockaddr *)&ss, len, text, sizeof(text));
	/* An IP address is far shorter than the unix path bound holds. */
	snprintf(l->bound, sizeof(l->bound), "udp:%.*s",
	    (int)(sizeof(l->bound) - 5), text);
	if ((l->dgram = event_new(base, fd, EV_READ | EV_PERSIST, udp_read_cb,
	    l)) == NULL || event_add(l->dgram, NULL) == -1) {
		saved = errno;
		if (l->dgram != NULL)
			event_free(l->dgram);
		close(fd);
		free(l);
		errno = saved;
		return (NULL);
	}
	return (l);
}

/* Close a UDP listener. */
void
udp_free(struct listener *l)
{
	int	fd = event_get_fd(l->dgram);

	event_free(l->dgram);
	close(fd);
	free(l);
}

/*
 * Drop a datagram: count it, and log it (peer text made only if the
 * service's log budget allows a line).
 */
static void
udp_drop(struct sb_service *svc, enum service_limit what,
    const struct sockaddr *sa, socklen_t salen, int family,
    const uint8_t *addr, const char *fmt, ...)
{
	char	peer[LISTEN_ADDR_TEXT], msg[160];
	va_list	ap;

	if (svc->log_budget == 0) {
		svc->count.limits[what]++;
		svc->log_suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	service_peer_text(sa, salen, family, addr, peer, sizeof(peer));
	service_limit(svc, what, peer, "%s", msg);
}

/*
 * May this datagram of len bytes (more than udp_max_request if it was
 * truncated), arrived on l, be answered? Checks the source port,
 * allow/deny, the address's udp_rate budget and the size, in that order;
 * a refused one is counted and logged, never answered.
 */
static bool
udp_admit(struct sb_service *svc, const struct listener *l,
    const struct sockaddr *sa, socklen_t salen, size_t len, int family,
    const uint8_t *addr, uint64_t now)
{
	const struct conf_limits	*lim = &svc->conf->limits;
	const struct conf_access	*acc = &svc->conf->access;
	const struct acl_entry		*deny;
	struct ipentry			*e;
	char				 entry[ACL_TEXT];
	uint16_t			 port;

	port = sa->sa_family == AF_INET ?
	    ntohs(((const struct sockaddr_in *)sa)->sin_port) :
	    ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	if (udp_source_refused(port, l->port)) {
		udp_drop(svc, LIMIT_UDP_SOURCE_PORT, sa, salen, family, addr,
		    "datagram from source port %u dropped", port);
		return (false);
	}
	if (acc->allow.n > 0 && !acl_match(&acc->allow, family, addr)) {
		udp_drop(svc, LIMIT_DENIED, sa, salen, family, addr,
		    "datagram dropped (not in allow)");
		return (false);
	}
	if ((deny = acl_find(&acc->deny, family, addr)) != NULL) {
		udp_drop(svc, LIMIT_DENIED, sa, salen, family, addr,
		    "datagram dropped (deny %s)",
		    acl_format(deny, entry, sizeof(entry)));
		return (false);
	}
	if (lim->udp_rate > 0) {
		if ((e = iptable_find(&svc->ips, family, addr)) == NULL &&
		    svc->ips.n < UDP_TABLE_MAX)
			e = iptable_get(&svc->ips, family, addr);
		if (e == NULL || !sb_bucket_take(&e->datagrams,
		    (double)lim->udp_rate, (double)lim->udp_burst, 1.0, now)) {
			udp_drop(svc, LIMIT_UDP_RATE, sa, salen, family, addr,
			    "over %lld datagrams per second, dropped",
			    lim->udp_rate);
			return (false);
		}
	}
	if (len > (size_t)lim->udp_max_request) {
		udp_drop(svc, LIMIT_UDP_MAX_REQUEST, sa, salen, family, addr,
		    "datagram over %lld bytes dropped", lim->udp_max_request);
		return (false);
	}
	return (true);
}

/*
 * Turn the control data a request came with into what its answer goes
 * out with: the source address is the one the request was sent to.
 */
static void
udp_reply_ctl(struct msghdr *mh)
{
	struct cmsghdr		*cm;
	struct in_pktinfo	*pi;

	if (mh->msg_controllen == 0 || (cm = CMSG_FIRSTHDR(mh)) == NULL) {
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
		return;
	}
	if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
		mh->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
		return;		/* as it came: address, interface */
	}
	if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
		pi = (struct in_pktinfo *)CMSG_DATA(cm);
		pi->ipi_spec_dst = pi->ipi_addr;
		mh->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
		return;
	}
	mh->msg_control = NULL;
	mh->msg_controllen = 0;
}

/*
 * Queue the answer of c (len bytes of its output out, whole lines) to the
 * request mh came with, then, if it was cut, UDP_TRUNCATED (ending CRLF
 * if crlf, else LF). udp_flush sends it, and frees c.
 */
static void
udp_queue(struct sb_conn *c, struct msghdr *mh, const char *out, size_t len,
    bool cut, bool crlf)
{
	static const char	 lf[] = UDP_TRUNCATED "\n";
	static const char	 crlf_[] = UDP_TRUNCATED "\r\n";
	struct iovec		*iov = udp_out_iov[udp_nout];
	struct msghdr		*oh = &udp_out[udp_nout].msg_hdr;

	iov[0].iov_base = (void *)(uintptr_t)out;
	iov[0].iov_len = len;
	iov[1].iov_base = (void *)(uintptr_t)(crlf ? crlf_ : lf);
	iov[1].iov_len = !cut ? 0 : crlf ? sizeof(crlf_) - 1 : sizeof(lf) - 1;
	udp_reply_ctl(mh);
	memset(oh, 0, sizeof(*oh));
	oh->msg_name = mh->msg_name;
	oh->msg_namelen = mh->msg_namelen;
	oh->msg_control = mh->msg_control;
	oh->msg_controllen = mh->msg_controllen;
	oh->msg_iov = iov;
	oh->msg_iovlen = 2;
	udp_out_conn[udp_nout++] = c;
}

/*
 * Send the batch's answers, as many per system call as the kernel takes;
 * one it refuses (a full buffer, an unreachable peer) is dropped. Then
 * free their pseudo-connections.
 */
static void
udp_flush(struct sb_service *svc, int fd)
{
	unsigned int	i, sent = 0;
	int		n;

	while (sent < udp_nout) {
		n = sendmmsg(fd, udp_out + sent, udp_nout - sent, MSG_DONTWAIT);
		if (n <= 0) {
			sent++;
			continue;
		}
		for (i = sent; i < sent + (unsigned int)n; i++)
			svc->count.bytes_out += udp_out[i].msg_len;
		sent += (unsigned int)n;
	}
	for (i = 0; i < udp_nout; i++)
		conn_dgram_free(udp_out_conn[i]);
	udp_nout = 0;
}

/*
 * Answer one admitted request (len bytes in mh's buffer, which has room
 * for one more) from addr: the handler's replies, within the bounds,
 * queued for udp_flush.
 */
static void
udp_answer(struct sb_service *svc, struct msghdr *mh, size_t len, int family,
    const uint8_t *addr)
{
	const struct conf_limits	*lim = &svc->conf->limits;
	const struct sockaddr		*sa = mh->msg_name;
	struct sb_conn			*c;
	const char			*out;
	size_t				 outlen, cap, keep, tlen;
	uint16_t			 port;
	bool				 crlf;

	port = sa->sa_family == AF_INET ?
	    ntohs(((const struct sockaddr_in *)sa)->sin_port) :
	    ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	svc->count.bytes_in += len;
	svc->count.datagrams++;
	c = conn_dgram_new(svc, family, addr, port);
	if (!conn_dgram_run(c, mh->msg_iov->iov_base, len) ||
	    (out = conn_out_bytes(c, &outlen)) == NULL) {
		conn_dgram_free(c);
		return;
	}
	crlf = c->fr.crlf;
	tlen = sizeof(UDP_TRUNCATED) - 1 + (crlf ? 2 : 1);
	cap = dgram_cap(len, (size_t)lim->udp_max_reply,
	    (size_t)lim->udp_max_amplification);
	keep = dgram_cut(out, outlen, cap, tlen);
	if (keep != outlen) {
		if (cap < (size_t)lim->udp_max_reply)
			udp_drop(svc, LIMIT_UDP_MAX_AMPLIFICATION, sa,
			    mh->msg_namelen, family, addr, "answer of %zu "
			    "bytes to %zu %s (%lld times the request's %zu)",
			    outlen, keep == DGRAM_NOTHING ? (size_t)0 : keep +
			    tlen, keep == DGRAM_NOTHING ? "bytes: not sent" :
			    "bytes: cut", lim->udp_max_amplification, len);
		else
			udp_drop(svc, LIMIT_UDP_MAX_REPLY, sa,
			    mh->msg_namelen, family, addr, "answer of %zu "
			    "bytes cut to %zu (udp_max_reply %lld)", outlen,
			    keep + tlen, lim->udp_max_reply);
	}
	if (keep != DGRAM_NOTHING) {
		udp_queue(c, mh, out, keep, keep != outlen, crlf);
		return;
	}
	conn_dgram_free(c);
}

/*
 * Datagrams are waiting: read a batch (at most UDP_BATCH) and answer
 * those that pass udp_admit.
 */
static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener		*l = arg;
	struct sb_service	*svc = l->arg;
	struct msghdr		*mh;
	size_t			 each, len;
	uint64_t		 now;
	uint8_t			 addr[16];
	int			 i, n, family;

	each = (size_t)svc->conf->limits.udp_max_request + 2;
	if (each > udp_buf_each) {
		udp_buf = xreallocarray(udp_buf, UDP_BATCH, each);
		udp_buf_each = each;
	}
	for (i = 0; i < UDP_BATCH; i++) {
		mh = &udp_msgs[i].msg_hdr;
		memset(mh, 0, sizeof(*mh));
		/* One byte over the bound to see it is over, one for a NUL. */
		udp_iov[i].iov_base = udp_buf + (size_t)i * udp_buf_each;
		udp_iov[i].iov_len = each - 1;
		mh->msg_iov = &udp_iov[i];
		mh->msg_iovlen = 1;
		mh->msg_name = &udp_from[i];
		mh->msg_namelen = sizeof(udp_from[i]);
		mh->msg_control = udp_ctl[i];
		mh->msg_controllen = sizeof(udp_ctl[i]);
	}
	if ((n = recvmmsg(fd, udp_msgs, UDP_BATCH, MSG_DONTWAIT, NULL)) <= 0) {
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			log_warn("%s: receiving on %s", svc->conf->name,
			    l->bound);
		return;
	}
	now = now_ms();
	for (i = 0; i < n; i++) {
		mh = &udp_msgs[i].msg_hdr;
		len = udp_msgs[i].msg_len;
		if (mh->msg_flags & MSG_TRUNC)
			len = each;	/* over the bound, whatever */
		acl_peer(mh->msg_name, &family, addr);
		if (!udp_admit(svc, l, mh->msg_name, mh->msg_namelen, len,
		    family, addr, now))
			continue;
		udp_answer(svc, mh, len, family, addr);
	}
	udp_flush(svc, fd);
}
