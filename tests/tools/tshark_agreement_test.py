#!/usr/bin/env python3
"""Checks tools/wireshark/hail.lua (run by tshark) against other decoders.

1. Synthetic datagrams (the SPEC.md hex examples plus malformed inputs) in a
   pcap written here: the Lua dissector must classify and decode them, verify
   the CRC32 of the SPEC.md 4.2.2 CONNECT, flag the bad ones as "malformed"
   and never raise a Lua error.
2. A real capture: ${CMAKE_BINARY_DIR}/captures/scenario.pcap when the capture
   test made it, else one recorded here (haild + the hail CLI over loopback,
   tcpdump on lo; a 4000-byte message is fragmented by ENet). For every UDP
   datagram, tshark + hail.lua must agree with
     * an independent ENet/Hail decoder in this file, and
     * hail-dissect --json, when its binary is given (--dissect),
   on: the class, the ENet command names, the Hail frame types, the PLAIN
   kinds and the SEALED counters. No Lua error and no malformed/internal-error
   expert info may appear on the real capture.
3. A synthetic TCP fallback stream (SPEC.md 3.8; issue #5): a record split
   across two segments, two records in one segment, CLOSE. tshark + hail.lua
   (TCP desegmentation) and hail-dissect must show the same frames at the
   same segments.

Exit status 0 on success; every failure is printed.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


# ---------------------------------------------------------------------------
# tshark
# ---------------------------------------------------------------------------

FIELDS = ["frame.number", "hail.class", "enet.command", "hail.frame", "hail.kind",
          "hail.counter", "hail.presession.type", "enet.checksum.status",
          "hail.sealed_length", "_ws.expert.message"]


def run_tshark(lua, pcap, port, extra_fields=()):
    """Returns ({frame: {field: [values]}}, stderr)."""
    fields = FIELDS + list(extra_fields)
    cmd = ["tshark", "-n", "-X", "lua_script:" + lua, "-o", "hail.port:%d" % port,
           "-r", pcap, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\x1f",
           "-E", "separator=\x1e"]
    for f in fields:
        cmd += ["-e", f]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        fail("tshark exited %d: %s" % (proc.returncode, proc.stderr.strip()))
    rows = {}
    for line in proc.stdout.split("\n"):  # not splitlines(): it splits at \x1e
        if not line:
            continue
        cols = line.split("\x1e")
        if len(cols) != len(fields):
            fail("unexpected tshark line: %r" % line)
            continue
        row = {}
        for name, value in zip(fields, cols):
            row[name] = value.split("\x1f") if value != "" else []
        rows[int(cols[0])] = row
    return rows, proc.stderr


def check_no_lua_errors(rows, stderr, where, allow_malformed):
    for line in stderr.splitlines():
        if "Lua" in line or "lua" in line:
            fail("%s: tshark stderr mentions Lua: %s" % (where, line))
    for frame, row in rows.items():
        for msg in row["_ws.expert.message"]:
            if "Lua Error" in msg or "hail.lua internal error" in msg:
                fail("%s: frame %d: %s" % (where, frame, msg))
            if not allow_malformed and msg.startswith("malformed"):
                fail("%s: frame %d: unexpected expert info: %s" % (where, frame, msg))


def tshark_view(row):
    """The compared facts of one datagram, as tshark + hail.lua saw them."""
    frames = row["hail.frame"]
    kinds = list(row["hail.kind"])
    counters = [int(c) for c in row["hail.counter"]]
    cls = row["hail.class"][0] if row["hail.class"] else "other"
    return {
        "class": cls,
        "commands": list(row["enet.command"]),
        "frames": list(frames),
        "plain_kinds": kinds,
        "sealed_counters": counters,
    }


# ---------------------------------------------------------------------------
# Independent decoder (SPEC.md 3, 4, 5; enet/protocol.h)
# ---------------------------------------------------------------------------

ENET_COMMANDS = {
    0: ("NONE", 0), 1: ("ACKNOWLEDGE", 8), 2: ("CONNECT", 48), 3: ("VERIFY_CONNECT", 44),
    4: ("DISCONNECT", 8), 5: ("PING", 4), 6: ("SEND_RELIABLE", 6), 7: ("SEND_UNRELIABLE", 8),
    8: ("SEND_FRAGMENT", 24), 9: ("SEND_UNSEQUENCED", 8), 10: ("BANDWIDTH_LIMIT", 12),
    11: ("THROTTLE_CONFIGURE", 16), 12: ("SEND_UNRELIABLE_FRAGMENT", 24),
}
PLAIN_KINDS = {1: "CLIENT_HELLO", 2: "SERVER_HELLO", 3: "HANDSHAKE_REJECT"}


class MiniDecoder:
    def __init__(self):
        self.partial = {}
        # Fragment sets already reassembled: a retransmitted fragment (its
        # ACK came late) is not reassembled again, as ENet does not either.
        # A new connection between the same endpoints starts afresh.
        self.completed = set()

    def frame(self, payload, view):
        if not payload:
            return
        elif payload[0] == 1:
            view["frames"].append("PLAIN")
            if len(payload) >= 3:
                kid = struct.unpack(">H", payload[1:3])[0]
                view["plain_kinds"].append(PLAIN_KINDS.get(kid, "(sealed-only or unknown)"))
        elif payload[0] == 2 and len(payload) >= 25:
            view["frames"].append("SEALED")
            view["sealed_counters"].append(struct.unpack(">Q", payload[1:9])[0])

    def datagram(self, src, dst, data):
        view = {"class": "enet", "commands": [], "frames": [], "plain_kinds": [],
                "sealed_counters": []}
        if len(data) >= 4 and data[:4] == b"HAIL":
            view["class"] = "presession"
            return view
        if (len(data) >= 20 and data[0] & 0xC0 == 0 and data[4:8] == b"\x21\x12\xa4\x42"
                and len(data) == 20 + struct.unpack(">H", data[2:4])[0]
                and struct.unpack(">H", data[2:4])[0] % 4 == 0):
            view["class"] = "stun"
            return view
        if len(data) < 2:
            return view
        word = struct.unpack(">H", data[:2])[0]
        off = (4 if word & 0x8000 else 2) + 4
        if len(data) < off or word & 0x4000:
            return view
        while off < len(data):
            if len(data) - off < 4:
                break
            num = data[off] & 0x0F
            name, size = ENET_COMMANDS.get(num, ("UNKNOWN_%d" % num, 0))
            if size == 0 or len(data) - off < size:
                break
            channel = data[off + 1]
            dlen = None
            if num == 6:
                dlen = struct.unpack(">H", data[off + 4:off + 6])[0]
            elif num in (7, 9, 8, 12):
                dlen = struct.unpack(">H", data[off + 6:off + 8])[0]
            end = off + size
            if dlen is not None and end + dlen > len(data):
                break
            view["commands"].append(name)
            if num in (2, 3):  # CONNECT, VERIFY_CONNECT: sequence numbers restart
                self.completed = {k for k in self.completed
                                  if (k[0], k[1]) not in ((src, dst), (dst, src))}
            if dlen is not None:
                payload = data[end:end + dlen]
                if num in (8, 12):
                    start, _, count, number, total, foff = struct.unpack(
                        ">HHIIII", data[off + 4:off + 24])
                    key = (src, dst, channel, num, start)
                    if key in self.completed:
                        end += dlen
                        off = end
                        continue
                    p = self.partial.setdefault(key, {"count": count, "pieces": {}})
                    if number < count and foff + dlen <= total:
                        p["pieces"].setdefault(number, (foff, payload))
                    if len(p["pieces"]) == p["count"]:
                        whole = b"".join(p["pieces"][i][1] for i in range(count))
                        del self.partial[key]
                        self.completed.add(key)
                        self.frame(whole, view)
                else:
                    self.frame(payload, view)
                end += dlen
            off = end
        return view


# ---------------------------------------------------------------------------
# pcap helpers
# ---------------------------------------------------------------------------

def write_pcap(path, datagrams):
    """datagrams: [(src_ip, src_port, dst_ip, dst_port, payload)]; LINKTYPE_RAW."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, (sip, sport, dip, dport, payload) in enumerate(datagrams):
            udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
            total = 20 + len(udp)
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, i, 0, 64, 17, 0,
                             socket.inet_aton(sip), socket.inet_aton(dip))
            csum = 0
            for j in range(0, 20, 2):
                csum += (ip[j] << 8) | ip[j + 1]
            while csum >> 16:
                csum = (csum & 0xFFFF) + (csum >> 16)
            ip = ip[:10] + struct.pack(">H", ~csum & 0xFFFF) + ip[12:]
            pkt = ip + udp
            f.write(struct.pack("<IIII", 1764547200 + i, 0, len(pkt), len(pkt)))
            f.write(pkt)


def write_tcp_pcap(path, segments):
    """segments: [(src_ip, src_port, dst_ip, dst_port, seq, ack, flags,
    payload)]; LINKTYPE_RAW, IPv4 checksums set, TCP checksums zero."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for i, (sip, sport, dip, dport, seq, ack, flags, payload) in enumerate(segments):
            tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                              65535, 0, 0) + payload
            total = 20 + len(tcp)
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, i, 0x4000, 64, 6, 0,
                             socket.inet_aton(sip), socket.inet_aton(dip))
            csum = 0
            for j in range(0, 20, 2):
                csum += (ip[j] << 8) | ip[j + 1]
            while csum >> 16:
                csum = (csum & 0xFFFF) + (csum >> 16)
            ip = ip[:10] + struct.pack(">H", ~csum & 0xFFFF) + ip[12:]
            pkt = ip + tcp
            f.write(struct.pack("<IIII", 1764547200 + i, 0, len(pkt), len(pkt)))
            f.write(pkt)


def udp_payloads(pcap, port):
    """{frame: (src, dst, payload bytes)} for the UDP datagrams of the capture."""
    proc = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-o", "udp.try_heuristic_first:FALSE", "-Y", "udp",
         "-T", "fields", "-E", "separator=/t", "-e", "frame.number", "-e", "ip.src",
         "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "udp.payload"],
        capture_output=True, text=True, timeout=300)
    out = {}
    for line in proc.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) < 6:
            continue
        out[int(cols[0])] = ("%s:%s" % (cols[1], cols[2]), "%s:%s" % (cols[3], cols[4]),
                             bytes.fromhex(cols[5].replace(":", "")))
    return out


def find_server_port(pcap):
    proc = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-Y",
         "udp.length == 72 && udp.payload[0:4] == 48:41:49:4c", "-T", "fields",
         "-e", "udp.dstport"], capture_output=True, text=True, timeout=300)
    ports = [int(p) for p in proc.stdout.split()]
    if not ports:
        return None
    return max(set(ports), key=ports.count)


# ---------------------------------------------------------------------------
# Part 1: synthetic datagrams
# ---------------------------------------------------------------------------

def hx(s):
    return bytes.fromhex(s.replace("\n", " ").replace(" ", ""))


SPEC_HELLO = hx("48 41 49 4c 01 01 01 23 45 67 89 ab cd ef" + " 00" * 50)
SPEC_COOKIE = hx("48 41 49 4c 02 01 01 23 45 67 89 ab cd ef b1 61 03 8d 00 3c")
# SPEC.md 15.4: the connector's first PROBE of the 15.3 worked example.
SPEC_PROBE = hx("48 41 49 4c 04 01 11 22 33 44 55 66 77 88 01 00 00 00 00 00"
                " 4d 37 3d dc e4 44 fe fd fa 25 ea f9 98 8c a3 2c")
SPEC_REJECT = hx("48 41 49 4c 03 01 01 23 45 67 89 ab cd ef 00 04")
SPEC_CONNECT = hx("""8f ff 01 00 34 01 53 50 82 ff 00 01 00 00 ff ff 00 00 05 78
  00 01 00 00 00 00 00 02 00 00 00 00 00 00 00 00 00 00 13 88 00 00 00 02
  00 00 00 02 01 02 03 04 b1 61 03 8d""")
SPEC_PLAIN = hx("01 00 01 00 01" + " aa" * 32)
SPEC_SEALED = hx("""02 00 00 00 00 00 00 00 03 a5 d8 97 09 a6 e1 08 56 75 00
  6a 33 6e 43 4c 6d 93 74 59 ca c7 34 98 1a aa b8""")
CONNECT_ID = 0x01020304


def enet_datagram(commands, peer_word=0x8000, sent_time=0x0101, connect_id=CONNECT_ID):
    head = struct.pack(">HH", peer_word, sent_time) if peer_word & 0x8000 else \
        struct.pack(">H", peer_word)
    body = b"".join(commands)
    crc = zlib.crc32(head + struct.pack(">I", connect_id) + body) & 0xFFFFFFFF
    return head + struct.pack(">I", crc) + body


def reliable(channel, seq, payload):
    return struct.pack(">BBHH", 0x86, channel, seq, len(payload)) + payload


def fragment(channel, seq, start, count, number, total, offset, data):
    return struct.pack(">BBHHHIIII", 0x88, channel, seq, start, len(data), count, number,
                       total, offset) + data


def synthetic_test(lua, workdir, dissect):
    C, S, PORT = "198.51.100.7", "203.0.113.1", 4000
    big = b"\x02" + struct.pack(">Q", 9) + bytes(range(256)) * 12 + b"\x11" * 16
    halves = [big[:1500], big[1500:]]
    cases = [
        # (direction to server?, payload, expected class, commands, frames, kinds, counters,
        #  expect malformed)
        (True, SPEC_HELLO, "presession", [], [], [], [], False),
        (False, SPEC_COOKIE, "presession", [], [], [], [], False),
        (False, SPEC_REJECT, "presession", [], [], [], [], False),
        (True, SPEC_CONNECT, "enet", ["CONNECT"], [], [], [], False),
        (True, enet_datagram([reliable(0, 1, SPEC_PLAIN)], peer_word=0x8000),
         "enet", ["SEND_RELIABLE"], ["PLAIN"], ["CLIENT_HELLO"], [], False),
        (True, enet_datagram([reliable(0, 2, SPEC_SEALED),
                              struct.pack(">BBHHH", 0x01, 0xff, 0, 1, 0x0101)]),
         "enet", ["SEND_RELIABLE", "ACKNOWLEDGE"], ["SEALED"], [], [3], False),
        (True, enet_datagram([fragment(1, 3, 3, 2, 0, len(big), 0, halves[0])]),
         "enet", ["SEND_FRAGMENT"], [], [], [], False),
        (True, enet_datagram([fragment(1, 4, 3, 2, 1, len(big), 1500, halves[1])]),
         "enet", ["SEND_FRAGMENT"], ["SEALED"], [], [9], False),
        # STUN Binding request shape.
        (True, hx("00 01 00 00 21 12 a4 42") + b"\x07" * 12, "stun", [], [], [], [], False),
        # Malformed: pre-session with the wrong size, unknown type, too short.
        (True, SPEC_HELLO[:40], "presession", [], [], [], [], True),
        (True, b"HAIL\x09\x01", "presession", [], [], [], [], True),
        (True, b"HAI", "enet", [], [], [], [], True),
        # HELLO with non-zero padding.
        (True, SPEC_HELLO[:-1] + b"\x01", "presession", [], [], [], [], True),
        # ENet: truncated CONNECT, data length past the end, unknown command,
        # compressed flag, SEALED too short, PLAIN without kind, bad frame type,
        # empty packet, bogus fragment numbers.
        (True, SPEC_CONNECT[:30], "enet", [], [], [], [], True),
        (True, enet_datagram([struct.pack(">BBHH", 0x86, 0, 5, 900) + b"x" * 10]),
         "enet", [], [], [], [], True),
        (True, enet_datagram([b"\x0f\x00\x00\x01"]), "enet", [], [], [], [], True),
        (True, enet_datagram([reliable(0, 6, SPEC_PLAIN)], peer_word=0xc000), "enet",
         [], [], [], [], True),
        (True, enet_datagram([reliable(0, 7, b"\x02\x00\x01")]), "enet", ["SEND_RELIABLE"],
         [], [], [], True),
        (True, enet_datagram([reliable(0, 8, b"\x01\x00")]), "enet", ["SEND_RELIABLE"],
         ["PLAIN"], [], [], True),
        (True, enet_datagram([reliable(0, 9, b"\x07abc")]), "enet", ["SEND_RELIABLE"],
         [], [], [], True),
        (True, enet_datagram([reliable(0, 10, b"")]), "enet", ["SEND_RELIABLE"], [],
         [], [], True),
        (True, enet_datagram([fragment(0, 11, 11, 2, 5, 10, 100, b"abc")]), "enet",
         ["SEND_FRAGMENT"], [], [], [], True),
        (True, enet_datagram([reliable(0, 12, SPEC_PLAIN[:20])]), "enet", ["SEND_RELIABLE"],
         ["PLAIN"], ["CLIENT_HELLO"], [], True),
        (True, b"\x00\x01\x02", "enet", [], [], [], [], True),
        # PROBE (client to client): labelled, tag not checked.
        (True, SPEC_PROBE, "presession", [], [], [], [], False),
        (True, SPEC_PROBE[:14] + b"\x02" + SPEC_PROBE[15:], "presession", [], [], [], [],
         True),
    ]
    grams = []
    for to_server, payload, *_ in cases:
        if to_server:
            grams.append((C, 51000, S, PORT, payload))
        else:
            grams.append((S, PORT, C, 51000, payload))
    pcap = os.path.join(workdir, "synthetic.pcap")
    write_pcap(pcap, grams)
    rows, stderr = run_tshark(lua, pcap, PORT, ["hail.presession.client_nonce",
                                                 "hail.presession.cookie", "hail.version",
                                                 "hail.client_ephemeral_key"])
    check_no_lua_errors(rows, stderr, "synthetic", allow_malformed=True)
    check(len(rows) == len(cases), "synthetic: %d rows for %d datagrams" % (len(rows), len(cases)))
    for i, case in enumerate(cases, start=1):
        _, _, cls, cmds, frames, kinds, counters, bad = case
        row = rows.get(i)
        if row is None:
            fail("synthetic frame %d missing" % i)
            continue
        got = tshark_view(row)
        want = {"class": cls, "commands": cmds, "frames": frames, "plain_kinds": kinds,
                "sealed_counters": counters}
        check(got == want, "synthetic frame %d: got %s want %s" % (i, got, want))
        has_malformed = any(m.startswith("malformed") for m in row["_ws.expert.message"])
        check(has_malformed == bad, "synthetic frame %d: malformed expert %s, expected %s (%s)"
              % (i, has_malformed, bad, row["_ws.expert.message"]))
    # Field values from the SPEC.md examples.
    check(rows[1]["hail.presession.type"] == ["HELLO"], "HELLO type")
    check(rows[1]["hail.presession.client_nonce"] == ["0x0123456789abcdef"],
          "HELLO nonce: %s" % rows[1]["hail.presession.client_nonce"])
    check(rows[2]["hail.presession.cookie"] == ["0xb161038d"], "COOKIE cookie")
    check(rows[3]["hail.presession.type"] == ["REJECT"], "REJECT type")
    check(rows[4]["enet.checksum.status"] == ["good"],
          "SPEC CONNECT checksum: %s" % rows[4]["enet.checksum.status"])
    check(rows[5]["enet.checksum.status"] == ["good"], "checksum seeded with the connect id")
    check(rows[5]["hail.version"] == ["1"] and rows[5]["hail.client_ephemeral_key"] == ["aa" * 32],
          "CLIENT_HELLO fields: %s %s" % (rows[5]["hail.version"],
                                          rows[5]["hail.client_ephemeral_key"]))
    check(rows[6]["hail.sealed_length"] == ["10"], "SEALED length of the SPEC example")
    check(rows[8]["hail.sealed_length"] == [str(len(big) - 25)], "reassembled SEALED length")
    probe_row = len(cases) - 1
    check(rows[probe_row]["hail.presession.type"] == ["PROBE"],
          "PROBE type: %s" % rows[probe_row]["hail.presession.type"])
    print("synthetic: %d datagrams checked" % len(cases), flush=True)
    if dissect:
        compare_with_dissect(dissect, rows, pcap, PORT, None, "synthetic")


def tcp_record(channel, frame):
    return struct.pack(">IB", 1 + len(frame), channel) + frame


def tcp_test(lua, workdir, dissect):
    C, S, CPORT, PORT = "198.51.100.7", "203.0.113.1", 51000, 4000
    SYN, ACK, PSH = 0x02, 0x10, 0x08
    cisn, sisn = 1000, 0xFFFFFF00  # the server's sequence numbers wrap
    hello = tcp_record(0, SPEC_PLAIN)
    stream = tcp_record(0, SPEC_SEALED) + tcp_record(0xFF, struct.pack(">H", 15))
    close = tcp_record(0xFF, struct.pack(">H", 14))

    def up(seq, flags, data=b""):
        return (C, CPORT, S, PORT, cisn + seq, sisn + 1, flags, data)

    def down(seq, flags, data=b""):
        return (S, PORT, C, CPORT, (sisn + seq) & 0xFFFFFFFF, cisn + 1, flags, data)

    segments = [
        (C, CPORT, S, PORT, cisn, 0, SYN, b""),
        (S, PORT, C, CPORT, sisn, cisn + 1, SYN | ACK, b""),
        up(1, ACK),
        up(1, PSH | ACK, hello[:10]),                     # 4: half a record
        up(11, PSH | ACK, hello[10:]),                    # 5: completes it
        up(1 + len(hello), PSH | ACK, stream),            # 6: SEALED and CLOSE
        down(1, PSH | ACK, close),                        # 7: CLOSE
    ]
    pcap = os.path.join(workdir, "tcp.pcap")
    write_tcp_pcap(pcap, segments)
    rows, stderr = run_tshark(lua, pcap, PORT, ["hail.record.channel",
                                                "hail.record.close_code"])
    check_no_lua_errors(rows, stderr, "tcp", allow_malformed=False)
    check(rows[5]["hail.frame"] == ["PLAIN"] and rows[5]["hail.kind"] == ["CLIENT_HELLO"],
          "tcp: split CLIENT_HELLO record: %s" % rows[5])
    check(rows[6]["hail.counter"] == ["3"] and rows[6]["hail.record.close_code"] == ["15"],
          "tcp: SEALED then CLOSE: %s" % rows[6])
    check(rows[7]["hail.record.channel"] == ["255"] and
          rows[7]["hail.record.close_code"] == ["14"], "tcp: CLOSE: %s" % rows[7])
    print("tcp: %d segments checked" % len(segments), flush=True)
    if not dissect:
        return
    objs, cmdline = dissect_json(dissect, pcap, PORT, None)
    for frame, row in sorted(rows.items()):
        obj = objs.get(frame)
        if not check(obj is not None and obj["class"] == "tcp",
                     "tcp: frame %d: hail-dissect %s" % (frame, obj)):
            continue
        ours, theirs = tshark_view(row), dissect_view(obj)
        del ours["class"], theirs["class"]  # tshark labels only segments with records
        check(ours == theirs, "tcp: frame %d: tshark %s, hail-dissect %s"
              % (frame, ours, theirs))
        check(obj["errors"] == [], "tcp: frame %d: hail-dissect errors %s"
              % (frame, obj["errors"]))
    print("tcp: %d segments agree with hail-dissect" % len(rows), flush=True)


def mutation_test(lua, workdir):
    """Deterministically mutated datagrams: never a Lua error. (Not compared
    with hail-dissect: fragment-set and sequence-tracking state under random
    CONNECTs and sequence numbers is not part of the agreed contract.)"""
    import random
    rng = random.Random(20251201)
    base = [SPEC_HELLO, SPEC_COOKIE, SPEC_REJECT, SPEC_CONNECT,
            enet_datagram([reliable(0, 1, SPEC_PLAIN)]),
            enet_datagram([reliable(0, 2, SPEC_SEALED),
                           struct.pack(">BBHHH", 0x01, 0xff, 0, 1, 0x0101)]),
            enet_datagram([fragment(1, 3, 3, 2, 0, 100, 0, b"\x02" * 60)]),
            enet_datagram([fragment(1, 4, 3, 2, 1, 100, 60, b"\x03" * 40)])]
    grams = []
    for _ in range(1500):
        b = bytearray(rng.choice(base))
        op = rng.randrange(3)
        if op == 0:
            b = b[:rng.randrange(1, len(b))]
        elif op == 1:
            for _ in range(rng.randrange(1, 4)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        else:
            b[rng.randrange(len(b))] = rng.randrange(256)
        grams.append(("10.0.0.1", 5000, "10.0.0.2", 4000, bytes(b)))
    pcap = os.path.join(workdir, "mutated.pcap")
    write_pcap(pcap, grams)
    rows, stderr = run_tshark(lua, pcap, 4000)
    check_no_lua_errors(rows, stderr, "mutated", allow_malformed=True)
    check(len(rows) == len(grams), "mutated: %d rows for %d datagrams" % (len(rows), len(grams)))
    print("mutated: %d datagrams without a Lua error" % len(rows), flush=True)


# ---------------------------------------------------------------------------
# Part 2: a real capture
# ---------------------------------------------------------------------------

def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_capture(haild, hail, workdir):
    """Records a scenario against a fresh haild; returns (pcap, port, keylog,
    number of ENet connections made)."""
    sessions = [0]
    port = free_udp_port()
    pcap = os.path.join(workdir, "scenario.pcap")
    keylog = os.path.join(workdir, "scenario.keys")
    server_log = open(os.path.join(workdir, "haild.log"), "w")
    dump_err = open(os.path.join(workdir, "tcpdump.err"), "w+")
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-n", "-w", pcap,
                             "udp port %d" % port], stdout=subprocess.DEVNULL, stderr=dump_err)
    server = subprocess.Popen([haild, "--data-dir", os.path.join(workdir, "data"),
                               "--listen", "127.0.0.1:%d" % port],
                              stdout=server_log, stderr=server_log)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            dump_err.seek(0)
            if "listening on" in dump_err.read():
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("tcpdump did not start")
        time.sleep(0.5)  # haild binds its socket

        def env(home, **more):
            e = dict(os.environ)
            e.update({"HAIL_HOME": os.path.join(workdir, home),
                      "HAIL_PASSWORD": "correct-horse-1", "HAIL_KEYLOGFILE": keylog})
            e.update(more)
            return e

        def cli(home, *args, **more):
            cmd = [hail, "--server", "127.0.0.1:%d" % port, "--timeout", "10"] + list(args)
            sessions[0] += 1
            proc = subprocess.run(cmd, env=env(home, **more), capture_output=True, text=True,
                                  timeout=60, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                raise RuntimeError("%s: exit %d: %s%s" % (" ".join(args), proc.returncode,
                                                          proc.stdout, proc.stderr))

        long_text = "x" * 4000
        cli("a", "register", "alice")
        cli("b", "register", "bob")
        cli("a", "login", "alice")
        cli("a", "whoami", "alice")
        cli("a", "ping")
        cli("a", "--user", "alice", "add", "bob", "hello bob")
        cli("b", "--user", "bob", "accept", "alice")
        listen = subprocess.Popen([hail, "--server", "127.0.0.1:%d" % port, "--user", "bob",
                                   "--json", "listen"], env=env("b"), stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sessions[0] += 1
        time.sleep(1.0)
        cli("a", "--user", "alice", "status", "away", "lunch")
        cli("a", "--user", "alice", "send", "bob", "hi, live")
        cli("a", "--user", "alice", "send", "bob", long_text)
        time.sleep(0.5)
        listen.send_signal(signal.SIGINT)
        try:
            listen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            listen.kill()
            listen.wait()
        cli("a", "--user", "alice", "send", "bob", "stored for later")
        cli("b", "--user", "bob", "inbox")
        cli("a", "--user", "alice", "who")
        cli("a", "passwd", "alice", HAIL_NEW_PASSWORD="correct-horse-2")
        cli("b", "--user", "bob", "remove", "alice")
        cli("b", "--user", "bob", "block", "alice")
        cli("b", "--user", "bob", "unblock", "alice")
        cli("b", "delete-account", "bob")
        time.sleep(1.5)  # let tcpdump drain the kernel's capture buffer
    finally:
        dump.send_signal(signal.SIGINT)
        try:
            dump.wait(timeout=10)
        except subprocess.TimeoutExpired:
            dump.kill()
            dump.wait()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server_log.close()
        dump_err.close()
    return pcap, port, keylog, sessions[0]


def dissect_json(dissect, pcap, port, keylog):
    help_text = subprocess.run([dissect, "--help"], capture_output=True, text=True,
                               timeout=30).stdout
    cmd = [dissect, "--json", "-r", pcap]
    if "--port" in help_text:
        cmd += ["--port", str(port)]
    for flag in ("--keylog", "--key-log", "--keys"):
        if flag in help_text and keylog and os.path.exists(keylog):
            cmd += [flag, keylog]
            break
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    check(proc.returncode in (0, 1), "hail-dissect exited %d: %s" % (proc.returncode,
                                                                    proc.stderr.strip()))
    out = {}
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        out[int(obj["frame"])] = obj
    return out, " ".join(cmd)


def compare_with_dissect(dissect, rows, pcap, port, keylog, where):
    """tshark + hail.lua (rows) against hail-dissect --json, datagram by datagram."""
    if not check(os.path.exists(dissect), "hail-dissect is not built: %s" % dissect):
        return
    objs, cmdline = dissect_json(dissect, pcap, port, keylog)
    print("%s: %s -> %d objects" % (where, cmdline, len(objs)), flush=True)
    check(len(objs) > 0, "%s: hail-dissect printed nothing" % where)
    compared = 0
    for frame in sorted(set(objs) | set(rows)):
        obj, row = objs.get(frame), rows.get(frame)
        if obj is None:
            fail("%s: frame %d: tshark decoded it, hail-dissect printed nothing" % (where, frame))
            continue
        theirs = dissect_view(obj)
        if row is None:
            check(theirs["class"] == "other",
                  "%s: frame %d: only hail-dissect decoded it (%s)" % (where, frame, theirs))
            continue
        ours = tshark_view(row)
        compared += 1
        check(ours == theirs, "%s: frame %d: tshark %s, hail-dissect %s"
              % (where, frame, ours, theirs))
    print("%s: %d datagrams agree with hail-dissect" % (where, compared), flush=True)


def dissect_view(obj):
    hail = obj.get("hail") or []
    enet = obj.get("enet") or {}
    return {
        "class": obj.get("class"),
        "commands": [c.get("command") for c in (enet.get("commands") or [])],
        "frames": [h.get("frame") for h in hail],
        "plain_kinds": [h.get("kind") for h in hail
                        if h.get("frame") == "PLAIN" and h.get("kind") is not None],
        "sealed_counters": [h.get("counter") for h in hail if h.get("frame") == "SEALED"],
    }


def wait_until_stable(path, quiet_seconds=5, limit_seconds=180):
    """The capture test may still be writing the file (ctest -j): wait until
    it has not changed for quiet_seconds."""
    deadline = time.time() + limit_seconds
    while time.time() < deadline:
        st = os.stat(path)
        if time.time() - st.st_mtime >= quiet_seconds:
            return
        time.sleep(1)


def real_capture_test(args, workdir):
    pcap, keylog, sessions = None, None, None
    if args.capture and os.path.exists(args.capture):
        wait_until_stable(args.capture)
        pcap = args.capture
        base = os.path.splitext(pcap)[0]
        for cand in (base + ".keys", base + ".keylog", base + ".keylog.txt", pcap + ".keys",
                     os.path.join(os.path.dirname(pcap), "keylog.txt"),
                     os.path.join(os.path.dirname(pcap), "scenario.keylog")):
            if os.path.exists(cand):
                keylog = cand
                break
        port = find_server_port(pcap)
        if not check(port is not None, "no HELLO datagram in %s" % pcap):
            return
        print("real capture: using %s (port %d)" % (pcap, port), flush=True)
    else:
        pcap, port, keylog, sessions = make_capture(args.haild, args.hail, workdir)
        print("real capture: recorded %s (port %d)" % (pcap, port), flush=True)

    rows, stderr = run_tshark(args.lua, pcap, port)
    check_no_lua_errors(rows, stderr, "real capture", allow_malformed=False)
    grams = udp_payloads(pcap, port)
    check(len(grams) > 0, "no UDP datagrams in the capture")

    # tshark + hail.lua against the independent decoder.
    mini = MiniDecoder()
    for frame in sorted(grams):
        src, dst, data = grams[frame]
        if port not in (int(src.rsplit(":", 1)[1]), int(dst.rsplit(":", 1)[1])):
            continue
        want = mini.datagram(src, dst, data)
        row = rows.get(frame)
        if not check(row is not None, "frame %d missing from tshark" % frame):
            continue
        got = tshark_view(row)
        # The independent decoder does not name SEALED-only kinds in PLAIN frames.
        check(got == want, "frame %d: tshark %s, independent decoder %s" % (frame, got, want))

    # Scenario facts.
    views = {f: tshark_view(r) for f, r in rows.items()}
    # Datagrams of direct links (client to client) aside: their CONNECTs carry
    # LINK_HELLO, not CLIENT_HELLO.
    server_frames = {f for f, (src, dst, _) in grams.items()
                     if port in (int(src.rsplit(":", 1)[1]), int(dst.rsplit(":", 1)[1]))}
    probes = sum(1 for f, r in rows.items()
                 if f not in server_frames and r["hail.presession.type"] == ["PROBE"])
    if sessions is None:  # the capture test's scenario has a direct link
        check(probes >= 2, "PROBEs labelled between the linked clients: %d" % probes)
    views = {f: v for f, v in views.items() if f in server_frames}
    all_cmds = [c for v in views.values() for c in v["commands"]]
    all_kinds = [k for v in views.values() for k in v["plain_kinds"]]
    hellos = sum(1 for r in rows.values() if r["hail.presession.type"] == ["HELLO"])
    cookies = sum(1 for r in rows.values() if r["hail.presession.type"] == ["COOKIE"])
    connects = all_cmds.count("CONNECT")
    check(hellos >= 1 and cookies >= 1, "HELLO/COOKIE seen: %d/%d" % (hellos, cookies))
    check(connects >= 1 and all_kinds.count("CLIENT_HELLO") >= connects,
          "every CONNECT is followed by a CLIENT_HELLO (%d, %s)" % (connects, all_kinds))
    check(all_kinds.count("SERVER_HELLO") >= 1, "SERVER_HELLO seen")
    if sessions is not None:  # our own recording: nothing may be missing
        check(connects == sessions and all_cmds.count("DISCONNECT") >= sessions,
              "%d connections made, %d CONNECT and %d DISCONNECT captured"
              % (sessions, connects, all_cmds.count("DISCONNECT")))
    check("SEND_FRAGMENT" in all_cmds, "the capture has fragments")
    big = [int(n) for r in rows.values() for n in r["hail.sealed_length"] if int(n) >= 4000]
    check(len(big) >= 1, "a reassembled SEALED frame of at least 4000 bytes")
    statuses = [s for r in rows.values() for s in r["enet.checksum.status"]]
    check(statuses and all(s == "good" for s in statuses),
          "every ENet checksum verifies: %s" % sorted(set(statuses)))
    sealed = sum(len(v["sealed_counters"]) for v in views.values())
    print("real capture: %d datagrams, %d ENet commands, %d PLAIN and %d SEALED frames, "
          "%d reassembled >= 4000 bytes" % (len(rows), len(all_cmds), len(all_kinds), sealed,
                                            len(big)), flush=True)

    if args.dissect:
        compare_with_dissect(args.dissect, rows, pcap, port, keylog, "real capture")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lua", required=True)
    ap.add_argument("--haild", required=True)
    ap.add_argument("--hail", required=True)
    ap.add_argument("--capture", help="use this capture when it exists")
    ap.add_argument("--dissect", help="hail-dissect binary")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if shutil.which("tshark") is None or shutil.which("tcpdump") is None:
        print("FAIL: tshark and tcpdump are required (scripts/install-deps)")
        return 1
    workdir = tempfile.mkdtemp(prefix="hail-tshark-")
    try:
        synthetic_test(args.lua, workdir, args.dissect)
        mutation_test(args.lua, workdir)
        tcp_test(args.lua, workdir, args.dissect)
        real_capture_test(args, workdir)
    except Exception as e:  # a broken scenario is a failure, not a skip
        fail("exception: %r" % (e,))
    finally:
        if args.keep or FAILURES:
            print("work directory kept: " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
