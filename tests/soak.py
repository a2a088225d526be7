#!/usr/bin/env python3
# switchboard soak run (not part of "make check"): thousands of clients,
# well-behaved and hostile, against all three services of a fresh daemon
# on loopback for a bounded time, with reloads. Prints the daemon's peak
# and final RSS, its descriptors before and after, and the errors that
# well-behaved clients saw (must be 0). Exits 1 if any check fails.
#
#   tests/soak.py [--daemon src/switchboardd] [--clients 2000] [--seconds 60]
#
# Needs python3 only. Well-behaved clients connect from 127.0.1.x, hostile
# ones from 127.0.2.x, so per-address limits can be on (as in the shipped
# config) without refusing the well-behaved ones.
import argparse, asyncio, os, random, re, resource, signal, socket, struct
import subprocess, sys, tempfile, time

CONF = """
idle_timeout = 5;
max_connections = 20000;
max_per_ip = 64;
max_accept_rate = 20;
max_output = 262144;
services = (
  { name = "numbers"; handler = "number-to-text"; listen = [ "127.0.0.1:0" ]; },
  { name = "upper"; handler = "uppercase-echo"; listen = [ "127.0.0.1:0" ]; },
  { name = "lobby"; handler = "chat-relay"; listen = [ "127.0.0.1:0" ];
    history = 5; rate = 20; burst = 40; idle_timeout = 0; }
);
"""

NUMBERS = [(b"0", b"zero"), (b"42", b"forty-two"), (b"-7", b"minus seven"),
           (b"1000001", b"one million one"), (b"  +013 ", b"thirteen"),
           (b"9223372036854775807", b"nine quintillion two hundred "
            b"twenty-three quadrillion three hundred seventy-two trillion "
            b"thirty-six billion eight hundred fifty-four million seven "
            b"hundred seventy-five thousand eight hundred seven")]

class Stats:
    def __init__(self):
        self.errors = []          # what well-behaved clients saw
        self.counts = {}

    def count(self, what, n=1):
        self.counts[what] = self.counts.get(what, 0) + n

    def error(self, what):
        self.errors.append(what)

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1

def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))

async def connect(port, src):
    s = socket.socket()
    s.setblocking(False)
    s.bind((src, 0))
    await asyncio.get_running_loop().sock_connect(s, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=s)

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

async def good_chat(port, src, deadline, st):
    """A member that talks now and then and reads everything, in bulk."""
    r, w = await connect(port, src)
    try:
        welcome = await asyncio.wait_for(r.readline(), 10)
        if b"welcome to lobby" not in welcome:
            st.error(f"chat welcome: {welcome[:60]!r}")
            return
        next_say = time.monotonic() + random.uniform(0, 2)
        while time.monotonic() < deadline:
            if time.monotonic() > next_say:
                w.write(b"hello from a soak member\n")
                next_say = time.monotonic() + random.uniform(1, 3)
            try:
                data = await asyncio.wait_for(r.read(1 << 16), 0.5)
            except asyncio.TimeoutError:
                continue
            if not data:
                st.error("chat: closed by the server")
                return
            st.count("chat lines received", data.count(b"\n"))
    except OSError as e:
        st.error(f"chat: {e!r}")
    finally:
        w.close()

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
            elif kind == "bigline":
                await loop.sock_sendall(s, b"9" * (1 << 20))
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

async def sampler(pid, deadline, peak):
    while time.monotonic() < deadline + 8:
        peak[0] = max(peak[0], rss_kb(pid))
        await asyncio.sleep(0.25)

async def reloader(pid, deadline, st):
    while time.monotonic() < deadline:
        await asyncio.sleep(5)
        os.kill(pid, signal.SIGHUP)
        st.count("reloads")

async def soak(args, ports, pid, st):
    deadline = time.monotonic() + args.seconds
    n_good = args.clients * 3 // 4
    tasks = []
    for i in range(n_good):
        src = f"127.0.1.{1 + i % 50}"
        kind = i % 4
        if kind in (0, 1):
            tasks.append(good_numbers(ports["numbers"], src, deadline, st))
        elif kind == 2:
            tasks.append(good_upper(ports["upper"], src, deadline, st))
        else:
            tasks.append(good_chat(ports["lobby"], src, deadline, st))
    for i in range(args.clients - n_good):
        tasks.append(hostile(list(ports.values()), f"127.0.2.{1 + i % 50}",
                             deadline, st))
    peak = [0]
    tasks.append(sampler(pid, deadline, peak))
    tasks.append(reloader(pid, deadline, st))
    await asyncio.gather(*tasks)
    return peak[0]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", "src", "switchboardd"))
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--seconds", type=int, default=60)
    args = ap.parse_args()
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
    st = Stats()
    t0 = time.monotonic()
    peak = asyncio.run(soak(args, ports, d.pid, st))
    took = time.monotonic() - t0
    time.sleep(3)                       # lingering closes finish
    fds1, rss1 = fd_count(d.pid), rss_kb(d.pid)
    d.send_signal(signal.SIGTERM)
    rc = d.wait(30)
    text = open(log.name).read()
    print(f"soak: {args.clients} clients, {took:.0f} s, "
          f"{st.counts.get('reloads', 0)} reloads")
    for k in sorted(st.counts):
        print(f"  {k}: {st.counts[k]}")
    limits = re.findall(r"limits fired: (.*)", text)
    for l in limits:
        print(f"  limits fired: {l}")
    print(f"daemon RSS: start {rss0} KiB, peak {peak} KiB, end {rss1} KiB")
    print(f"daemon descriptors: start {fds0}, end {fds1}")
    print(f"errors seen by well-behaved clients: {len(st.errors)}")
    for e in st.errors[:10]:
        print(f"  {e}")
    print(f"daemon exit status: {rc}")
    bad = [w for w in ("AddressSanitizer", "runtime error", "fatal:")
           if w in text]
    ok = not st.errors and fds1 <= fds0 and rc == 0 and not bad
    print("soak: " + ("PASS" if ok else "FAIL"))
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
