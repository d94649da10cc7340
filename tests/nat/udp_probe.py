"""Line-driven UDP/TCP probe for the netns tests (issue #5).

Usage: udp_probe.py SPEC...   where SPEC is udp:PORT or tcp:PORT (bound on
0.0.0.0). Prints "ready" once every socket is bound, then obeys stdin:

  send LPORT HOST PORT TEXT   one datagram from udp:LPORT  -> "sent"
  burst LPORT HOST PORT N     N paced datagrams            -> "burst-done N"
  count LPORT                 datagrams received so far    -> "count LPORT N"
  tcp HOST PORT               connect, 2 s timeout         -> "tcp-ok" / "tcp-fail ERR"

and reports traffic as "recv LPORT SRCIP SRCPORT TEXT" (bursts are counted,
not printed) and "accept LPORT SRCIP SRCPORT". Exits at end of stdin.
"""
import os
import select
import socket
import sys
import time


def main():
    udp = {}
    tcp = {}
    for spec in sys.argv[1:]:
        kind, port = spec.split(":")
        port = int(port)
        if kind == "udp":
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:  # root may exceed rmem_max; bursts must not overflow
                sock.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # RCVBUFFORCE
            except OSError:
                pass
            sock.bind(("0.0.0.0", port))
            udp[port] = sock
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("0.0.0.0", port))
            sock.listen(16)
            tcp[port] = sock
    counts = {port: 0 for port in udp}
    by_fd = {sock.fileno(): ("udp", port, sock) for port, sock in udp.items()}
    by_fd.update({s.fileno(): ("tcp", p, s) for p, s in tcp.items()})
    print("ready", flush=True)

    pending = b""  # stdin is read raw: a buffered reader would hide lines from select
    while True:
        readable, _, _ = select.select([0] + [s for _, _, s in by_fd.values()], [], [])
        for item in readable:
            if item == 0:
                data = os.read(0, 4096)
                if not data:
                    return
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    command(line.decode().split(" ", 4), udp, counts)
                continue
            kind, port, sock = by_fd[item.fileno()]
            if kind == "udp":
                data, (host, src_port) = sock.recvfrom(65535)
                counts[port] += 1
                text = data.decode(errors="replace")
                if not text.startswith("burst "):
                    print("recv %d %s %d %s" % (port, host, src_port, text), flush=True)
            else:
                conn, (host, src_port) = sock.accept()
                conn.close()
                print("accept %d %s %d" % (port, host, src_port), flush=True)


def command(words, udp, counts):
    name = words[0]
    if name == "send":
        udp[int(words[1])].sendto(words[4].encode(), (words[2], int(words[3])))
        print("sent", flush=True)
    elif name == "burst":
        sock, target, total = udp[int(words[1])], (words[2], int(words[3])), int(words[4])
        for i in range(total):
            sock.sendto(("burst %d" % i).encode(), target)
            if i % 20 == 19:
                time.sleep(0.002)
        print("burst-done %d" % total, flush=True)
    elif name == "count":
        print("count %s %d" % (words[1], counts[int(words[1])]), flush=True)
    elif name == "tcp":
        try:
            socket.create_connection((words[1], int(words[2])), timeout=2).close()
            print("tcp-ok", flush=True)
        except OSError as error:
            print("tcp-fail %s" % error, flush=True)
    else:
        print("error unknown command %s" % name, flush=True)


if __name__ == "__main__":
    main()
