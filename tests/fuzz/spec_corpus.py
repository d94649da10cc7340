#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora from SPEC.md's ```hex NAME examples.

usage: spec_corpus.py SPEC.md OUT_DIR

Creates OUT_DIR/<fuzzer>/<seed> for fuzz_message, fuzz_presession,
fuzz_stream_framing, fuzz_stun, fuzz_secure_channel (whose inputs start with a mode byte, see
fuzz_secure_channel.cc) and fuzz_store_records (whose inputs start with a decoder byte, see
fuzz_store_records.cc). Exits non-zero when SPEC.md has no examples.
"""
import os
import re
import shutil
import sys

NON_MESSAGE = {
    "HELLO_DATAGRAM", "COOKIE_DATAGRAM", "PRESESSION_REJECT_DATAGRAM",
    "ENET_CONNECT", "PLAIN_FRAME", "SEALED_FRAME", "TCP_RECORD",
    "TCP_CLOSE_RECORD", "STUN_BINDING_REQUEST", "STUN_BINDING_RESPONSE",
    "USER_RECORD", "TOKEN_ENTRY", "CONTACT_ENTRY", "MAILBOX_ITEM",
    "DEDUP_RECORD", "FORWARD_SETTINGS", "FORWARD_JOB",
}
# Stored values (SPEC.md 14.2) and the byte that selects their decoder in
# fuzz_store_records.cc.
STORE_RECORDS = {
    "USER_RECORD": 0, "TOKEN_ENTRY": 1, "CONTACT_ENTRY": 2,
    "MAILBOX_ITEM": 3, "DEDUP_RECORD": 4,
    "FORWARD_SETTINGS": 7, "FORWARD_JOB": 8,
}
STORE_U64_SELECTOR = 5
STORE_U32_SELECTOR = 6
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
             "fuzz_stun": {}, "fuzz_store_records": {}}
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
    records = seeds["fuzz_store_records"]
    for name, selector in STORE_RECORDS.items():
        records[name] = bytes([selector]) + blocks[name]
    # meta/next_user_id = 10000 and meta/schema_version = 1.
    records["next_user_id"] = (bytes([STORE_U64_SELECTOR]) +
                               (10000).to_bytes(8, "big"))
    records["schema_version"] = (bytes([STORE_U32_SELECTOR]) +
                                 (1).to_bytes(4, "big"))

    for fuzzer, files in seeds.items():
        directory = os.path.join(sys.argv[2], fuzzer)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        for name, data in files.items():
            with open(os.path.join(directory, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
