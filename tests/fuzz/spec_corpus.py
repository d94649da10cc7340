#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora from SPEC.md's ```hex NAME examples.

usage: spec_corpus.py SPEC.md OUT_DIR

Creates OUT_DIR/<fuzzer>/<seed> for fuzz_message, fuzz_presession,
fuzz_stream_framing, fuzz_stun and fuzz_secure_channel (whose inputs start with a mode byte, see
fuzz_secure_channel.cc). Exits non-zero when SPEC.md has no examples.
"""
import os
import re
import shutil
import sys

NON_MESSAGE = {
    "HELLO_DATAGRAM", "COOKIE_DATAGRAM", "PRESESSION_REJECT_DATAGRAM",
    "ENET_CONNECT", "PLAIN_FRAME", "SEALED_FRAME", "TCP_RECORD",
    "TCP_CLOSE_RECORD", "STUN_BINDING_REQUEST", "STUN_BINDING_RESPONSE",
}
DATAGRAMS = {
    "HELLO_DATAGRAM", "COOKIE_DATAGRAM", "PRESESSION_REJECT_DATAGRAM",
    "ENET_CONNECT",
}


def examples(spec_text):
    """Yields (name, bytes) for every ```hex NAME block."""
    pattern = re.compile(r"^```hex ([A-Z0-9_]+)\n(.*?)^```$",
                         re.MULTILINE | re.DOTALL)
    for match in pattern.finditer(spec_text):
        yield match.group(1), bytes.fromhex(match.group(2))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        blocks = dict(examples(f.read()))
    if not blocks:
        sys.exit("no ```hex examples in " + sys.argv[1])

    seeds = {"fuzz_message": {}, "fuzz_presession": {},
             "fuzz_secure_channel": {}, "fuzz_stream_framing": {},
             "fuzz_stun": {}}
    for name, data in blocks.items():
        if name not in NON_MESSAGE:
            seeds["fuzz_message"][name] = data
            # Mode 3: channel 0, length, plaintext sealed by the fuzzer.
            if len(data) < 256:
                seeds["fuzz_secure_channel"]["sealed-" + name] = (
                    bytes([3, 0, len(data)]) + data)
        if name in DATAGRAMS:
            seeds["fuzz_presession"][name] = data
    seeds["fuzz_presession"]["SEALED_FRAME"] = blocks["SEALED_FRAME"]
    # The first byte sets the piece size the stream is fed in.
    framing = seeds["fuzz_stream_framing"]
    framing["TCP_RECORD"] = bytes([6]) + blocks["TCP_RECORD"]
    framing["records-then-close"] = (bytes([0]) + blocks["TCP_RECORD"] * 2 +
                                     blocks["TCP_CLOSE_RECORD"])
    stun = seeds["fuzz_stun"]
    stun["STUN_BINDING_REQUEST"] = blocks["STUN_BINDING_REQUEST"]
    stun["STUN_BINDING_RESPONSE"] = blocks["STUN_BINDING_RESPONSE"]
    # A classic (RFC 3489) request: no magic cookie, no attributes.
    stun["classic-request"] = (bytes.fromhex("00010000") +
                               bytes(range(1, 17)))
    channel = seeds["fuzz_secure_channel"]
    channel["open-SEALED_FRAME"] = bytes([0, 0]) + blocks["SEALED_FRAME"]
    channel["hello-PLAIN_FRAME"] = bytes([1, 0]) + blocks["PLAIN_FRAME"]
    channel["secured-SEALED_FRAME"] = bytes([2, 0]) + blocks["SEALED_FRAME"]
    channel["secured-PLAIN_FRAME"] = bytes([2, 0]) + blocks["PLAIN_FRAME"]
    # A whole account story in one mode-3 input: log in, use the session,
    # change the password, log out, register.
    story = bytes([3])
    for name in ("LOGIN_REQUEST", "PING", "SESSION_INFO_REQUEST",
                 "CHANGE_PASSWORD_REQUEST", "DELETE_ACCOUNT_REQUEST",
                 "LOGOUT_REQUEST", "REGISTER_REQUEST"):
        story += bytes([0, len(blocks[name])]) + blocks[name]
    channel["sealed-story"] = story

    for fuzzer, files in seeds.items():
        directory = os.path.join(sys.argv[2], fuzzer)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        for name, data in files.items():
            with open(os.path.join(directory, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
