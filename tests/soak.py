#!/usr/bin/env python3
# switchboard soak run (not part of "make check"): thousands of clients,
# well-behaved and hostile, against all three services of a fresh daemon
# on loopback for a bounded time, with reloads. Hostile clients include
# slowloris (a byte every second or two, never a line end), stuck readers
# (a tiny receive window, never reading, in a busy chat room or after many
# uppercase-echo requests) and telnet clients (Ctrl-C, option requests,
# a subnegotiation). Prints the daemon's peak and final RSS (and, with
# gdb, its RSS once its free heap is returned), its descriptors before and
# after, the daemon's sockets left in the kernel and the kernel's TCP
# socket figures (/proc/net/sockstat) before and after, the errors
# well-behaved clients saw (must be 0) and what the hostile ones were
# dealt (slowloris told "error: line timeout" and gone within the close
# bound, stuck readers reset). Exits 1 if any check fails.
#
#   tests/soak.py [--daemon src/switchboardd] [--clients 2000] [--seconds 60]
#                 [--telnet-lax]
#
# Needs python3 (and gdb for the RSS check), on Linux; the run takes about
# 75 s at the default size. Well-behaved clients connect from
# 127.0.1.x, hostile ones from 127.0.2.x, so per-address limits can be on
# (as in the shipped config) without refusing the well-behaved ones.
import argparse, asyncio, errno, os, random, re, resource, shutil, signal
import socket, statistics, struct, subprocess, sys, tempfile, time

LINE_TIMEOUT = 3
SEND_TIMEOUT = 5
CLOSE_SECONDS = 5       # the most a closing connection is kept, however
                        # the peer behaves (conn.c)
CONF = f"""
idle_timeout = 5;
line_timeout = {LINE_TIMEOUT};
send_timeout = {SEND_TIMEOUT};
max_connections = 20000;
max_per_ip = 64;
max_accept_rate = 20;
max_output = 262144;
services = (
  {{ name = "numbers"; handler = "number-to-text"; listen = [ "127.0.0.1:0" ]; }},
  {{ name = "upper"; handler = "uppercase-echo"; listen = [ "127.0.0.1:0" ]; }},
  {{ name = "lobby"; handler = "chat-relay"; listen = [ "127.0.0.1:0" ];
    history = 5; rate = 20; burst = 40; idle_timeout = 0; sndbuf = 65536; }}
);
"""

# Stuck readers start only while this many seconds of busy room are left
# (a stuck chat member is cut once its kernel buffer is full and then
# send_timeout passes: about 10 s here), and wait this long to be cut.
STUCK_LEAD = 20
STUCK_WAIT = 25
GRACE = 7               # after the last client, before the end figures
# /proc/net/sockstat is the host's, shared with whatever else runs: the
# end figures may exceed the start by this much (orphans, and pages of
# socket memory: 8 MiB with 4 KiB pages). Stuck readers the daemon failed
# to reset would show as one orphan (or descriptor) each, queuing at
# least 128 KiB (sndbuf) in the kernel.
SOCKSTAT_ORPHANS = 16
SOCKSTAT_PAGES = 2048
# The daemon's RSS stays near its peak after the load, as the C library
# keeps freed heap for reuse; with gdb at hand the soak has the daemon
# return it (malloc_trim) and then wants the RSS within this of the start.
RSS_GROWTH_KB = 8192

NUMBERS = [(b"0", b"zero"), (b"42", b"forty-two"), (b"-7", b"minus seven"),
           (b"1000001", b"one million one"), (b"  +013 ", b"thirteen"),
           (b"9223372036854775807", b"nine quintillion two hundred "
            b"twenty-three quadrillion three hundred seventy-two trillion "
            b"thirty-six billion eight hundred fifty-four million seven "
            b"hundred seventy-five thousand eight hundred seven")]

# Telnet (RFC 854) bytes.
IAC, DONT, DO, WONT, WILL, SB, IP, SE = 255, 254, 253, 252, 251, 250, 244, 240
ECHO, SGA, TM, NAWS = 1, 3, 6, 31
TCP_CLOSE, TCP_CLOSE_WAIT = 7, 8        # tcp_info's tcpi_state

class Stats:
    def __init__(self):
        self.errors = []          # what well-behaved clients saw
        self.problems = []        # what hostile clients got wrongly
        self.counts = {}
        self.times = {}

    def count(self, what, n=1):
        self.counts[what] = self.counts.get(what, 0) + n

    def error(self, what):
        self.errors.append(what)

    def problem(self, what):
        self.problems.append(what)

    def time(self, what, seconds):
        self.times.setdefault(what, []).append(seconds)

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1

def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))

def trimmed_rss_kb(pid):
    """The daemon's RSS once it has returned its free heap to the kernel
    (malloc_trim, called through gdb), or None without gdb."""
    if shutil.which("gdb") is None:
        return None
    try:
        subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex",
                        "call (int) malloc_trim(0)"], capture_output=True,
                       timeout=60, check=True)
    except (subprocess.SubprocessError, OSError):
        return None
    return rss_kb(pid)

def sockstat():
    """The kernel's TCP line of /proc/net/sockstat, as a dict."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                w = line.split()[1:]
                return {w[i]: int(w[i + 1]) for i in range(0, len(w) - 1, 2)}
    return {}

def sockstat_ok(start, end):
    return end["orphan"] <= start["orphan"] + SOCKSTAT_ORPHANS and \
        end["mem"] <= start["mem"] + SOCKSTAT_PAGES

def daemon_sockets(ports):
    """The daemon's client sockets the kernel holds (listeners and
    TIME-WAIT left out): how many, how many of them orphaned (closed by
    the daemon, kept by the kernel) and the bytes those still queue."""
    n = orphans = queued = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            w = line.split()
            addr, port = w[1].split(":")
            state = int(w[3], 16)
            if addr != "0100007F" or int(port, 16) not in ports or \
                    state in (0x06, 0x0A):
                continue
            n += 1
            if w[9] == "0":
                orphans += 1
                queued += int(w[4].split(":")[0], 16)
    return n, orphans, queued

def tcp_state(s):
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]

async def tcp(port, src, rcvbuf=0):
    """A non-blocking socket connected from src to the daemon's port."""
    s = socket.socket()
    try:
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.setblocking(False)
        s.bind((src, 0))
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(
            s, ("127.0.0.1", port)), 10)
    except BaseException:
        s.close()
        raise
    return s

async def connect(port, src):
    return await asyncio.open_connection(sock=await tcp(port, src))

async def good_numbers(port, src, deadline, st):
    r, w = await connect(port, src)
    try:
        while time.monotonic() < deadline:
            batch = random.sample(NUMBERS, 3)
            w.write(b"".join(q + b"\n" for q, _ in batch))
            for _, a in batch:
                line = await asyncio.wait_for(r.readline(), 10)
                if line.rstrip(b"\n") != a:
                    st.error(f"numbers: {line[:60]!r} for {a[:20]!r}")
                    return
                st.count("good replies")
            await asyncio.sleep(random.uniform(0.05, 0.5))
    except (asyncio.TimeoutError, OSError) as e:
        st.error(f"numbers: {e!r}")
    finally:
        w.close()

async def good_upper(port, src, deadline, st):
    r, w = await connect(port, src)
    try:
        while time.monotonic() < deadline:
            text = "".join(random.choice("abcxyz éß") for _ in range(40))
            w.write(text.encode() + b"\r\n")
            line = await asyncio.wait_for(r.readline(), 10)
            want = text.upper().encode() + b"\r\n"
            if line != want:
                st.error(f"upper: {line[:60]!r}")
                return
            st.count("good replies")
            await asyncio.sleep(random.uniform(0.05, 0.5))
    except (asyncio.TimeoutError, OSError) as e:
        st.error(f"upper: {e!r}")
    finally:
        w.close()

async def good_chat(port, src, deadline, st, every=(1, 3),
                    say=b"hello from a soak member"):
    """A member that talks every so often and reads everything, in bulk.
    The talkers (short intervals, long lines) keep the room busy."""
    r, w = await connect(port, src)
    try:
        welcome = await asyncio.wait_for(r.readline(), 10)
        if b"welcome to lobby" not in welcome:
            st.error(f"chat welcome: {welcome[:60]!r}")
            return
        next_say = time.monotonic() + random.uniform(0, every[1])
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_say:
                w.write(say + b"\n")
                next_say = now + random.uniform(*every)
            try:
                data = await asyncio.wait_for(r.read(1 << 16),
                                              min(0.5, next_say - now))
            except asyncio.TimeoutError:
                continue
            if not data:
                st.error("chat: closed by the server")
                return
            st.count("chat lines received", data.count(b"\n"))
    except (asyncio.TimeoutError, OSError) as e:
        st.error(f"chat: {e!r}")
    finally:
        w.close()

async def prober(ports, deadline, st):
    """Well-behaved newcomers all along (slowloris clients hold
    connections meanwhile): each must be served, never refused."""
    i = 0
    while time.monotonic() < deadline:
        src = f"127.0.1.{121 + i % 40}"
        port, q, a = ((ports["numbers"], b"7\n", b"seven\n") if i % 2 == 0
                      else (ports["upper"], b"probe\n", b"PROBE\n"))
        i += 1
        try:
            r, w = await connect(port, src)
            try:
                w.write(q)
                line = await asyncio.wait_for(r.readline(), 10)
            finally:
                w.close()
            if line != a:
                st.error(f"probe: {line[:60]!r}")
            else:
                st.count("probes answered")
        except (asyncio.TimeoutError, OSError) as e:
            st.error(f"probe: {e!r}")
        await asyncio.sleep(0.25)

def telnet_split(data):
    """What the daemon sent a telnet client: (text, [(verb, option)])."""
    text, cmds, i = bytearray(), [], 0
    while i < len(data):
        if data[i] != IAC:
            text.append(data[i])
            i += 1
        elif i + 1 < len(data) and data[i + 1] == IAC:
            text.append(IAC)
            i += 2
        elif i + 1 < len(data) and data[i + 1] in (WILL, WONT, DO, DONT):
            if i + 2 >= len(data):
                break
            cmds.append((data[i + 1], data[i + 2]))
            i += 3
        elif i + 1 < len(data):
            cmds.append((data[i + 1], None))
            i += 2
        else:
            break
    return bytes(text), cmds

async def telnet(port, src, deadline, st, lax):
    """A telnet user on uppercase-echo: each round types half a line and
    presses Ctrl-C (IAC IP IAC DO TIMING-MARK), then a whole line; the
    first round also asks for options and sends a window size. Every
    Ctrl-C gets IAC WILL TIMING-MARK and discards the half line; each
    option request is refused once; every whole line is answered."""
    want_cmds = sorted([(WONT, ECHO), (DONT, NAWS), (WONT, SGA)])
    while time.monotonic() < deadline:
        try:
            r, w = await connect(port, src)
        except (asyncio.TimeoutError, OSError) as e:
            st.error(f"telnet: {e!r}")
            return
        rounds = random.randint(1, 3)
        words = [f"telnet round {k} " + "".join(random.choice("abcxyz")
                 for _ in range(8)) for k in range(rounds)] + ["bye"]
        data = b""
        try:
            for k, word in enumerate(words):
                msg = b""
                if k < rounds:
                    msg = b"half a line, then ctrl-c" + bytes(
                        [IAC, IP, IAC, DO, TM])
                if k == 0:
                    msg += bytes([IAC, DO, ECHO, IAC, WILL, NAWS, IAC, DO, SGA,
                                  IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE])
                w.write(msg + word.encode() + b"\r\n")
                # The last plain line's answer comes after every reply to
                # what was sent before it.
                while telnet_split(data)[0].count(b"\r\n") < k + 1:
                    more = await asyncio.wait_for(r.read(4096), 10)
                    if not more:
                        raise ConnectionError("closed by the server")
                    data += more
        except (asyncio.TimeoutError, OSError) as e:
            st.error(f"telnet: {e!r}")
            w.close()
            return
        w.close()
        st.count("telnet sessions")
        text, cmds = telnet_split(data)
        lines = text.split(b"\r\n")[:-1]
        wants = [x.upper().encode() for x in words]
        if any(not l.endswith(x) for l, x in zip(lines, wants)):
            st.error(f"telnet: answers {lines!r}")
            return
        st.count("telnet lines answered", len(lines))
        tm = cmds.count((WILL, TM))
        st.count("telnet WILL TIMING-MARK replies", tm)
        st.count("telnet Ctrl-Cs sent", rounds)
        others = sorted(c for c in cmds if c != (WILL, TM))
        st.count("telnet option refusals", len(others))
        wrong = []
        if tm != rounds:
            wrong.append(f"{tm} WILL TIMING-MARK for {rounds} Ctrl-C")
        if others != want_cmds:
            wrong.append(f"option replies {others} (want {want_cmds})")
        if lines != wants:
            wrong.append("the line typed before Ctrl-C was kept")
        for what in wrong:
            if lax:
                st.count(f"telnet (lax): {what.split(' (')[0]}")
            else:
                st.error(f"telnet: {what}")
        if wrong and not lax:
            return
        await asyncio.sleep(random.uniform(0.1, 1))

async def slowloris(ports, src, deadline, st):
    """A byte every second or two, never a line end: the daemon must say
    "error: line timeout" within line_timeout and then be gone within
    its close bound although the trickle goes on."""
    loop = asyncio.get_running_loop()
    while time.monotonic() < deadline - LINE_TIMEOUT - 2:
        try:
            s = await tcp(random.choice(ports), src)
        except (asyncio.TimeoutError, OSError):
            st.count("slowloris connects refused")
            await asyncio.sleep(1)
            continue
        start = time.monotonic()
        got, eof, t_err, gone = b"", False, None, False
        while not gone:
            try:
                s.send(bytes([random.choice(b"0123456789abcdef")]))
            except BlockingIOError:
                pass
            except OSError:
                gone = True
            tick = time.monotonic() + random.uniform(1, 2)
            while not gone and time.monotonic() < tick:
                if eof:
                    gone = tcp_state(s) == TCP_CLOSE
                    await asyncio.sleep(0.1)
                    continue
                try:
                    data = await asyncio.wait_for(loop.sock_recv(s, 1 << 16),
                                                  tick - time.monotonic())
                except asyncio.TimeoutError:
                    break
                except OSError:
                    gone = True
                    break
                if not data:
                    eof = True
                    continue
                got = (got + data)[-8192:]
                if t_err is None and b"error: line timeout" in got:
                    t_err = time.monotonic()
            now = time.monotonic()
            if t_err is None and (gone or now - start > LINE_TIMEOUT + 4):
                st.problem(f"slowloris not told 'error: line timeout' "
                           f"({now - start:.1f} s, gone: {gone})")
                break
            if not gone and t_err is not None and \
                    now - t_err > CLOSE_SECONDS + 3:
                st.problem(f"slowloris still connected {now - t_err:.1f} s "
                           f"after its error")
                break
        if gone and t_err is not None:
            st.count("slowloris cut by line timeout")
            st.time("slowloris: s to its error", t_err - start)
            st.time("slowloris: s from its error to gone",
                    time.monotonic() - t_err)
        s.close()
        await asyncio.sleep(random.uniform(0, 0.5))

async def until_cut(s, limit, poke=b""):
    """Without reading: wait until the daemon resets s ("reset"), closes
    it gracefully ("fin") or limit seconds pass ("open"), sending poke
    every second meanwhile."""
    end = time.monotonic() + limit
    n = 0
    while time.monotonic() < end:
        if poke and n % 4 == 0:
            try:
                s.send(poke)
            except ConnectionResetError:
                return "reset"          # the send met the reset first
            except OSError:
                pass
        n += 1
        state = tcp_state(s)
        if state == TCP_CLOSE:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            return "reset" if err == errno.ECONNRESET else \
                f"closed ({os.strerror(err)})"
        if state == TCP_CLOSE_WAIT:
            return "fin"
        await asyncio.sleep(0.25)
    return "open"

async def stuck(kind, port, src, deadline, st, held):
    """A client with a tiny receive window that never reads: a chat member
    in the busy room ("chat"), or an uppercase-echo client that sends many
    requests at once and then falls silent ("upper") or goes on typing a
    line a second ("upper typing", never idle; the answers it does not
    take pile up in the kernel). The daemon must reset it (send_timeout,
    max_output, or the close bound after idle_timeout), so the kernel
    drops what it queued. One not cut is held open until the end figures
    are taken, as a real stuck client would be."""
    loop = asyncio.get_running_loop()
    while time.monotonic() + STUCK_LEAD < deadline:
        try:
            s = await tcp(port, src, rcvbuf=4096)
        except (asyncio.TimeoutError, OSError):
            st.count(f"stuck {kind} connects refused")
            await asyncio.sleep(1)
            continue
        start = time.monotonic()
        if kind != "chat":
            try:
                await asyncio.wait_for(loop.sock_sendall(
                    s, (b"stuck " * 300 + b"\n") * 300), 5)
            except (asyncio.TimeoutError, OSError):
                pass                    # full both ways, or already cut
        verdict = await until_cut(s, STUCK_WAIT,
                                  b"still here\n" if kind == "upper typing"
                                  else b"")
        if verdict == "reset":
            st.count(f"stuck {kind} readers reset")
            st.time(f"stuck {kind}: s to its reset", time.monotonic() - start)
            s.close()
        elif verdict == "open":
            st.problem(f"stuck {kind} reader not cut off in {STUCK_WAIT} s")
            held.append(s)
        else:
            st.problem(f"stuck {kind} reader: {verdict}, not reset")
            s.close()
        await asyncio.sleep(random.uniform(0, 1))

def raw(port, src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s

def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()

async def hostile(ports, src, deadline, st):
    """Junk, resets, silence, slow readers, floods, connect/close loops."""
    loop = asyncio.get_running_loop()
    while time.monotonic() < deadline:
        kind = random.choice(["junk", "bigline", "reset", "idle", "cycle",
                              "slowchat", "flood"])
        port = random.choice(ports)
        try:
            s = await loop.run_in_executor(None, raw, port, src)
        except OSError:
            st.count("hostile connects refused")
            await asyncio.sleep(0.2)
            continue
        s.setblocking(False)
        try:
            if kind == "junk":
                await loop.sock_sendall(s, os.urandom(random.randint(1, 8192)))
            elif kind == "bigline":     # ended or not
                await loop.sock_sendall(s, b"9" * (1 << 20) +
                                        random.choice([b"", b"\n"]))
            elif kind == "reset":
                await loop.sock_sendall(s, b"12345")
            elif kind == "idle":
                await asyncio.sleep(random.uniform(1, 7))
            elif kind == "slowchat":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                await asyncio.sleep(random.uniform(2, 6))
            elif kind == "flood":
                for _ in range(200):
                    await loop.sock_sendall(s, b"flood " * 20 + b"\n")
        except OSError:
            pass                        # the daemon cut us off: fine
        st.count(f"hostile {kind}")
        reset(s) if random.random() < 0.5 else s.close()
        await asyncio.sleep(random.uniform(0, 0.2))

async def sampler(pid, ports, peak):
    """Until cancelled: the daemon's peak RSS, the most of its sockets
    the kernel held orphaned at once, with the bytes they queued, and the
    host's peak TCP socket memory."""
    n = 0
    while True:
        peak["rss"] = max(peak["rss"], rss_kb(pid))
        if n % 4 == 0:
            _, orphans, queued = daemon_sockets(ports)
            peak["orphans"] = max(peak["orphans"], orphans)
            peak["queued"] = max(peak["queued"], queued)
            peak["mem"] = max(peak["mem"], sockstat().get("mem", 0))
        n += 1
        await asyncio.sleep(0.25)

async def reloader(pid, deadline, st):
    while time.monotonic() < deadline:
        await asyncio.sleep(5)
        os.kill(pid, signal.SIGHUP)
        st.count("reloads")

async def soak(args, ports, pid, st, held):
    deadline = time.monotonic() + args.seconds
    n_hostile = args.clients // 4
    n_slow = args.clients // 20
    n_stuck = args.clients // 40
    n_good = args.clients - n_hostile
    n_telnet = n_good // 20
    tasks = []
    for i in range(n_good - n_telnet):
        src = f"127.0.1.{1 + i % 100}"
        kind = i % 4
        if kind in (0, 1):
            tasks.append(good_numbers(ports["numbers"], src, deadline, st))
        elif kind == 2:
            tasks.append(good_upper(ports["upper"], src, deadline, st))
        else:
            tasks.append(good_chat(ports["lobby"], src, deadline, st))
    for i in range(n_telnet):
        tasks.append(telnet(ports["upper"], f"127.0.1.{101 + i % 20}",
                            deadline, st, args.telnet_lax))
    for i in range(3):
        tasks.append(good_chat(ports["lobby"], f"127.0.1.{161 + i}", deadline,
                               st, (0.1, 0.15), b"busy " * 120))
    tasks.append(prober(ports, deadline, st))
    for i in range(n_slow):
        tasks.append(slowloris(list(ports.values()), f"127.0.2.{51 + i % 50}",
                               deadline, st))
    for i in range(2 * n_stuck):
        kind = ("chat", "upper", "chat", "upper typing")[i % 4]
        tasks.append(stuck(kind, ports["lobby" if kind == "chat" else "upper"],
                           f"127.0.2.{101 + i % 50}", deadline, st, held))
    for i in range(n_hostile - n_slow - 2 * n_stuck):
        tasks.append(hostile(list(ports.values()), f"127.0.2.{1 + i % 50}",
                             deadline, st))
    peak = {"rss": 0, "orphans": 0, "queued": 0, "mem": 0}
    samp = asyncio.ensure_future(sampler(pid, set(ports.values()), peak))
    tasks.append(reloader(pid, deadline, st))
    await asyncio.gather(*tasks)
    samp.cancel()
    return peak

def spread(xs):
    return (f"{min(xs):.1f} to {max(xs):.1f} s, median "
            f"{statistics.median(xs):.1f}") if xs else "none"

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", "src", "switchboardd"))
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--telnet-lax", action="store_true",
                    help="count, but do not fail on, missing telnet replies "
                    "(WILL TIMING-MARK, option refusals) and a half line "
                    "kept across Ctrl-C; lines must still be answered")
    args = ap.parse_args()
    if args.clients < 80 or args.seconds < STUCK_LEAD + 10:
        sys.exit(f"soak: needs at least 80 clients and "
                 f"{STUCK_LEAD + 10} seconds")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < 2 * args.clients + 100:
        sys.exit(f"soak: the descriptor limit ({want}) is too low for "
                 f"{args.clients} clients (raise ulimit -Hn)")
    tmp = tempfile.mkdtemp(prefix="sbsoak.")
    conf = os.path.join(tmp, "switchboard.conf")
    with open(conf, "w") as f:
        f.write(CONF)
    log = open(os.path.join(tmp, "log"), "w+")
    d = subprocess.Popen([args.daemon, "-c", conf], stderr=log)
    for _ in range(100):
        text = open(log.name).read()
        if "ready:" in text:
            break
        time.sleep(0.05)
    ports = {n: int(p) for n, p in re.findall(
        r" (\w+): listening on 127\.0\.0\.1:(\d+)", text)}
    time.sleep(0.5)
    fds0, rss0 = fd_count(d.pid), rss_kb(d.pid)
    ss0, socks0 = sockstat(), daemon_sockets(set(ports.values()))
    st = Stats()
    held = []
    t0 = time.monotonic()
    peak = asyncio.run(soak(args, ports, d.pid, st, held))
    took = time.monotonic() - t0
    time.sleep(GRACE)                   # closes finish (at most 5 s)
    fds1, rss1 = fd_count(d.pid), rss_kb(d.pid)
    socks1 = daemon_sockets(set(ports.values()))
    # The sockstat figures are the host's: take the lowest of up to ten
    # samples, a second apart, so another user's passing traffic does not
    # count (what the daemon left behind stays).
    ss1 = sockstat()
    for _ in range(9):
        if sockstat_ok(ss0, ss1):
            break
        time.sleep(1)
        ss1 = {k: min(v, sockstat().get(k, v)) for k, v in ss1.items()}
    for s in held:
        s.close()
    rss2 = trimmed_rss_kb(d.pid)
    d.send_signal(signal.SIGTERM)
    rc = d.wait(30)
    text = open(log.name).read()

    print(f"soak: {args.clients} clients, {took:.0f} s, "
          f"{st.counts.get('reloads', 0)} reloads")
    for k in sorted(st.counts):
        print(f"  {k}: {st.counts[k]}")
    for k in sorted(st.times):
        print(f"  {k}: {spread(st.times[k])}")
    for name, l in re.findall(r"(\w+): limits fired: (.*)", text):
        print(f"  {name} limits fired: {l}")
    print(f"daemon RSS: start {rss0} KiB, peak {peak['rss']} KiB, "
          f"end {rss1} KiB, " + (f"{rss2} KiB once its free heap is "
          f"returned (malloc_trim)" if rss2 is not None else
          "(no gdb: free heap not returned, RSS not checked)"))
    print(f"daemon descriptors: start {fds0}, end {fds1}")
    print(f"daemon sockets in the kernel (not TIME-WAIT): start {socks0[0]}, "
          f"end {socks1[0]} ({socks1[1]} orphaned); orphaned at most "
          f"{peak['orphans']} during the run, queuing at most "
          f"{peak['queued'] // 1024} KiB")
    fmt = lambda s: " ".join(f"{k} {s.get(k)}" for k in
                             ("inuse", "orphan", "tw", "mem"))
    print(f"kernel TCP sockets (/proc/net/sockstat, mem in pages): "
          f"start {fmt(ss0)}; end {fmt(ss1)}; mem at most {peak['mem']} "
          f"during the run")
    print(f"errors seen by well-behaved clients: {len(st.errors)}")
    for e in st.errors[:10]:
        print(f"  {e}")
    print(f"hostile clients dealt with wrongly: {len(st.problems)}")
    for e in st.problems[:10]:
        print(f"  {e}")
    print(f"daemon exit status: {rc}")

    fails = []
    if st.errors or st.problems:
        fails.append("client errors")
    if not st.counts.get("slowloris cut by line timeout"):
        fails.append("no slowloris was cut")
    if any(not st.counts.get(f"stuck {k} readers reset")
           for k in ("chat", "upper", "upper typing")):
        fails.append("not every kind of stuck reader was reset")
    if fds1 > fds0:
        fails.append("descriptors")
    if rss2 is not None and rss2 > rss0 + RSS_GROWTH_KB:
        fails.append(f"RSS more than {RSS_GROWTH_KB} KiB over the start")
    if socks1[0] > socks0[0]:
        fails.append("daemon sockets left in the kernel")
    if not sockstat_ok(ss0, ss1):
        fails.append(f"sockstat orphans/mem not back within "
                     f"{SOCKSTAT_ORPHANS}/{SOCKSTAT_PAGES} pages of the start")
    if rc != 0:
        fails.append("exit status")
    fails += [w for w in ("AddressSanitizer", "runtime error", "fatal:")
              if w in text]
    print("soak: " + ("PASS" if not fails else "FAIL (" + "; ".join(fails)
                      + ")"))
    sys.exit(0 if not fails else 1)

if __name__ == "__main__":
    main()
