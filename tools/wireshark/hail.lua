-- hail.lua: Wireshark / tshark dissector for Hail v1 (SPEC.md).
--
-- Decodes, on one UDP port (4000 by default, preference hail.port):
--   * pre-session datagrams (HELLO, COOKIE, REJECT; SPEC.md 3.5),
--   * STUN datagrams (SPEC.md 3.4), header labelled only (hail-dissect and
--     Wireshark's own "stun" dissector decode the attributes),
--   * ENet 1.3 datagrams with Hail's CRC32 (SPEC.md 4): header and every command,
--     with SEND_FRAGMENT reassembly,
--   * the Hail frame in every ENet packet (SPEC.md 5): PLAIN frames fully
--     (CLIENT_HELLO, SERVER_HELLO, HANDSHAKE_REJECT), SEALED frames up to what is
--     in the clear (counter, lengths, tag). Wireshark's Lua API has no
--     ChaCha20-Poly1305, so SEALED frames are not decrypted here; hail-dissect
--     decrypts them with a key log (SPEC.md 13).
-- and, on the TCP port of the same number, the TCP fallback (SPEC.md 3.8):
-- records (length, channel, frame or CLOSE with its error code), put together
-- across segments by Wireshark's TCP desegmentation, each frame decoded as
-- above.
--
-- Use: tshark -X lua_script:tools/wireshark/hail.lua -r capture.pcap
--  or: copy this file to ~/.local/lib/wireshark/plugins/
-- Other port: -o hail.port:4711 (or Edit > Preferences > Protocols > HAIL).
--
-- Malformed input never aborts dissection: every read is length-checked, the
-- whole dissection runs under pcall, and problems become expert info
-- (hail.malformed; a dissector bug would show as hail.internal_error).

local hail = Proto("hail", "Hail instant messaging")
local enet = Proto("enet", "ENet 1.3 (Hail)")

----------------------------------------------------------------------------
-- Tables from SPEC.md
----------------------------------------------------------------------------

-- SPEC.md 11.1: kind id -> name (every kind of v1; tests/tools/
-- wireshark_tables_test.cc checks this table against the registry).
local KINDS = {
  [0x0001] = "CLIENT_HELLO",
  [0x0002] = "SERVER_HELLO",
  [0x0003] = "HANDSHAKE_REJECT",
  [0x0010] = "ERROR",
  [0x0011] = "PING",
  [0x0012] = "PONG",
  [0x0013] = "SESSION_ENDED",
  [0x0014] = "REQUEST_RESULT",
  [0x0020] = "REGISTER_REQUEST",
  [0x0021] = "REGISTER_RESULT",
  [0x0022] = "LOGIN_REQUEST",
  [0x0023] = "RESUME_REQUEST",
  [0x0024] = "LOGIN_RESULT",
  [0x0025] = "LOGOUT_REQUEST",
  [0x0026] = "LOGOUT_RESULT",
  [0x0027] = "CHANGE_PASSWORD_REQUEST",
  [0x0028] = "CHANGE_PASSWORD_RESULT",
  [0x0029] = "DELETE_ACCOUNT_REQUEST",
  [0x002a] = "DELETE_ACCOUNT_RESULT",
  [0x002b] = "SESSION_INFO_REQUEST",
  [0x002c] = "SESSION_INFO",
  [0x0030] = "CONTACT_ADD",
  [0x0031] = "CONTACT_ANSWER",
  [0x0032] = "CONTACT_REMOVE",
  [0x0033] = "CONTACT_BLOCK",
  [0x0034] = "CONTACT_LIST_REQUEST",
  [0x0035] = "CONTACT_UPDATE",
  [0x0036] = "CONTACT_REQUEST_NOTICE",
  [0x0037] = "CONTACT_ANSWER_NOTICE",
  [0x0038] = "CONTACT_LIST_END",
  [0x0040] = "SET_PRESENCE",
  [0x0041] = "PRESENCE_UPDATE",
  [0x0050] = "SEND_MESSAGE",
  [0x0051] = "MESSAGE_ACCEPTED",
  [0x0052] = "MESSAGE_DELIVER",
  [0x0053] = "ITEM_ACK",
  [0x0054] = "DELIVERY_RECEIPT",
  [0x0055] = "MAILBOX_END",
  [0x0060] = "P2P_REQUEST",
  [0x0061] = "P2P_OFFER",
  [0x0062] = "P2P_ANSWER",
  [0x0063] = "P2P_READY",
  [0x0064] = "P2P_CLOSED",
  [0x0068] = "LINK_HELLO",
  [0x0069] = "DIRECT_MESSAGE",
  [0x006a] = "DIRECT_ACK",
  [0x0070] = "FORWARD_ADDRESS_ADD",
  [0x0071] = "FORWARD_ADDRESS_VERIFY",
  [0x0072] = "FORWARD_ADDRESS_REMOVE",
  [0x0073] = "FORWARD_RULES_SET",
  [0x0074] = "FORWARD_LIST_REQUEST",
  [0x0075] = "FORWARD_ENTRY",
  [0x0076] = "FORWARD_LIST_END",
  [0x0077] = "FORWARD_NOTICE",
}

-- SPEC.md 12: error codes (checked like KINDS).
local ERRORS = {
  [0] = "OK", [1] = "MALFORMED", [2] = "UNKNOWN_KIND", [3] = "BAD_STATE",
  [4] = "UNSUPPORTED_VERSION", [5] = "INVALID_CREDENTIALS", [6] = "USERNAME_TAKEN",
  [7] = "INVALID_USERNAME", [8] = "INVALID_PASSWORD", [9] = "THROTTLED",
  [10] = "SERVER_BUSY", [11] = "TOKEN_INVALID", [12] = "INTERNAL",
  [13] = "SESSION_REPLACED", [14] = "TIMEOUT", [15] = "SHUTTING_DOWN",
  [16] = "ACCOUNT_DELETED", [17] = "LOGGED_OUT", [18] = "USER_NOT_FOUND",
  [19] = "CONTACT_LIMIT", [20] = "NOT_A_CONTACT", [21] = "NO_SUCH_REQUEST",
  [22] = "INVALID_TEXT", [23] = "MAILBOX_FULL", [24] = "ID_REUSED",
  [25] = "NOT_ALLOWED", [26] = "P2P_DECLINED", [27] = "NAT_UNSUITABLE",
  [28] = "UNAVAILABLE", [29] = "INVALID_ADDRESS", [30] = "WRONG_CODE",
  [31] = "CODE_EXPIRED", [32] = "NO_ADDRESS", [33] = "INVALID_RULES",
}

-- SPEC.md 3.5: pre-session types and their exact sizes.
local PRESESSION = {
  [1] = { name = "HELLO", size = 64 },
  [2] = { name = "COOKIE", size = 20 },
  [3] = { name = "REJECT", size = 16 },
  [4] = { name = "PROBE", size = 36 },  -- client to client (SPEC.md 15.4)
}

-- /usr/include/enet/protocol.h: command numbers, names and fixed sizes
-- (header included; the SEND_* commands are followed by dataLength bytes).
local ENET_COMMANDS = {
  [0] = { name = "NONE", size = 0 },
  [1] = { name = "ACKNOWLEDGE", size = 8 },
  [2] = { name = "CONNECT", size = 48 },
  [3] = { name = "VERIFY_CONNECT", size = 44 },
  [4] = { name = "DISCONNECT", size = 8 },
  [5] = { name = "PING", size = 4 },
  [6] = { name = "SEND_RELIABLE", size = 6 },
  [7] = { name = "SEND_UNRELIABLE", size = 8 },
  [8] = { name = "SEND_FRAGMENT", size = 24 },
  [9] = { name = "SEND_UNSEQUENCED", size = 8 },
  [10] = { name = "BANDWIDTH_LIMIT", size = 12 },
  [11] = { name = "THROTTLE_CONFIGURE", size = 16 },
  [12] = { name = "SEND_UNRELIABLE_FRAGMENT", size = 24 },
}
local ENET_COMMAND_NAMES = {}
for k, v in pairs(ENET_COMMANDS) do ENET_COMMAND_NAMES[k] = v.name end

local CHANNELS = { [0] = "control", [1] = "messaging" }

local SEALED_OVERHEAD = 25 -- type 1 + counter 8 + tag 16
local MAX_REASSEMBLY = 1024 * 1024 -- Hail accepts 65536 (SPEC.md 4.6); beyond 1 MiB: malformed

----------------------------------------------------------------------------
-- Fields
----------------------------------------------------------------------------

local HF = {}
local function hf(key, field) HF[key] = field; return field end

-- hail: classification and pre-session
hf("class", ProtoField.string("hail.class", "Datagram class"))
hf("ps_type", ProtoField.string("hail.presession.type", "Pre-session type"))
hf("ps_type_id", ProtoField.uint8("hail.presession.type_id", "Pre-session type number"))
hf("ps_magic", ProtoField.string("hail.presession.magic", "Magic"))
hf("ps_version", ProtoField.uint8("hail.presession.version", "Version"))
hf("ps_nonce", ProtoField.uint64("hail.presession.client_nonce", "Client nonce", base.HEX))
hf("ps_cookie", ProtoField.uint32("hail.presession.cookie", "Cookie", base.HEX))
hf("ps_valid_for", ProtoField.uint16("hail.presession.valid_for", "Valid for (seconds)"))
hf("ps_error", ProtoField.uint16("hail.presession.error", "Error", base.DEC, ERRORS))
hf("ps_padding", ProtoField.bytes("hail.presession.padding", "Padding"))
hf("ps_session_id", ProtoField.uint64("hail.presession.session_id", "Link session id", base.HEX))
hf("ps_role", ProtoField.uint8("hail.presession.role", "Sender role", base.DEC,
                               { [0] = "listener", [1] = "connector" }))
hf("ps_reserved", ProtoField.uint8("hail.presession.reserved", "Reserved"))
hf("ps_seq", ProtoField.uint32("hail.presession.seq", "Probe round"))
hf("ps_tag", ProtoField.bytes("hail.presession.tag", "Tag (not verified here: needs the link key)"))

-- hail: STUN shape
hf("stun_type", ProtoField.uint16("hail.stun.type", "STUN message type", base.HEX))
hf("stun_length", ProtoField.uint16("hail.stun.length", "STUN message length"))
hf("stun_cookie", ProtoField.uint32("hail.stun.cookie", "STUN magic cookie", base.HEX))
hf("stun_tid", ProtoField.bytes("hail.stun.transaction_id", "STUN transaction id"))

-- hail: frames
hf("frame", ProtoField.string("hail.frame", "Frame type"))
hf("frame_type", ProtoField.uint8("hail.frame_type", "Frame type byte", base.HEX))
hf("channel", ProtoField.uint8("hail.channel", "ENet channel", base.DEC, CHANNELS))
hf("kind", ProtoField.string("hail.kind", "Kind"))
hf("kind_id", ProtoField.uint16("hail.kind_id", "Kind id", base.HEX, KINDS))
hf("body", ProtoField.bytes("hail.body", "Body"))
hf("counter", ProtoField.uint64("hail.counter", "Counter", base.DEC))
hf("sealed_length", ProtoField.uint32("hail.sealed_length", "Encrypted length (kind + body)"))
hf("ciphertext", ProtoField.bytes("hail.ciphertext", "Ciphertext"))
hf("tag", ProtoField.bytes("hail.tag", "Poly1305 tag"))
hf("frame_length", ProtoField.uint32("hail.frame_length", "Frame length"))
-- PLAIN kinds (SPEC.md 11.2 - 11.4)
hf("version", ProtoField.uint16("hail.version", "Protocol version"))
hf("client_ephemeral_key", ProtoField.bytes("hail.client_ephemeral_key", "Client ephemeral key (X25519)"))
hf("server_ephemeral_key", ProtoField.bytes("hail.server_ephemeral_key", "Server ephemeral key (X25519)"))
hf("server_identity_key", ProtoField.bytes("hail.server_identity_key", "Server identity key (Ed25519)"))
hf("signature", ProtoField.bytes("hail.signature", "Signature (Ed25519)"))
hf("error", ProtoField.uint16("hail.error", "Error", base.DEC, ERRORS))
hf("highest_version", ProtoField.uint16("hail.highest_version", "Highest version"))
hf("trailing", ProtoField.bytes("hail.trailing", "Trailing bytes"))

-- enet: header
local EF = {}
local function ef(key, field) EF[key] = field; return field end
ef("peer_word", ProtoField.uint16("enet.peer_word", "Peer word", base.HEX))
ef("flag_sent_time", ProtoField.bool("enet.flags.sent_time", "SENT_TIME", 16, nil, 0x8000))
ef("flag_compressed", ProtoField.bool("enet.flags.compressed", "COMPRESSED", 16, nil, 0x4000))
ef("session", ProtoField.uint16("enet.session", "Session id", base.DEC, nil, 0x3000))
ef("peer_id", ProtoField.uint16("enet.peer_id", "Peer id", base.HEX, nil, 0x0fff))
ef("sent_time", ProtoField.uint16("enet.sent_time", "Sent time (ms, low 16 bits)"))
ef("checksum", ProtoField.uint32("enet.checksum", "Checksum (CRC32)", base.HEX))
ef("checksum_status", ProtoField.string("enet.checksum.status", "Checksum status"))
ef("checksum_calc", ProtoField.uint32("enet.checksum.calculated", "Calculated checksum", base.HEX))
-- enet: command header
ef("command", ProtoField.string("enet.command", "Command"))
ef("command_id", ProtoField.uint8("enet.command_id", "Command number", base.DEC, ENET_COMMAND_NAMES, 0x0f))
ef("flag_ack", ProtoField.bool("enet.flags.acknowledge", "ACKNOWLEDGE", 8, nil, 0x80))
ef("flag_unseq", ProtoField.bool("enet.flags.unsequenced", "UNSEQUENCED", 8, nil, 0x40))
ef("channel", ProtoField.uint8("enet.channel", "Channel id"))
ef("reliable_seq", ProtoField.uint16("enet.reliable_seq", "Reliable sequence number"))
-- enet: per command
ef("ack_seq", ProtoField.uint16("enet.ack.received_reliable_seq", "Received reliable sequence number"))
ef("ack_time", ProtoField.uint16("enet.ack.received_sent_time", "Received sent time"))
ef("outgoing_peer_id", ProtoField.uint16("enet.connect.outgoing_peer_id", "Outgoing peer id"))
ef("incoming_session_id", ProtoField.uint8("enet.connect.incoming_session_id", "Incoming session id", base.HEX))
ef("outgoing_session_id", ProtoField.uint8("enet.connect.outgoing_session_id", "Outgoing session id", base.HEX))
ef("mtu", ProtoField.uint32("enet.connect.mtu", "MTU"))
ef("window_size", ProtoField.uint32("enet.connect.window_size", "Window size"))
ef("channel_count", ProtoField.uint32("enet.connect.channel_count", "Channel count"))
ef("incoming_bandwidth", ProtoField.uint32("enet.incoming_bandwidth", "Incoming bandwidth"))
ef("outgoing_bandwidth", ProtoField.uint32("enet.outgoing_bandwidth", "Outgoing bandwidth"))
ef("throttle_interval", ProtoField.uint32("enet.throttle.interval", "Packet throttle interval"))
ef("throttle_accel", ProtoField.uint32("enet.throttle.acceleration", "Packet throttle acceleration"))
ef("throttle_decel", ProtoField.uint32("enet.throttle.deceleration", "Packet throttle deceleration"))
ef("connect_id", ProtoField.uint32("enet.connect.connect_id", "Connect id", base.HEX))
ef("connect_data", ProtoField.uint32("enet.connect.data", "Data (Hail cookie)", base.HEX))
ef("disconnect_data", ProtoField.uint32("enet.disconnect.data", "Data (Hail error code)", base.DEC, ERRORS))
ef("unreliable_seq", ProtoField.uint16("enet.unreliable_seq", "Unreliable sequence number"))
ef("unsequenced_group", ProtoField.uint16("enet.unsequenced_group", "Unsequenced group"))
ef("data_length", ProtoField.uint16("enet.data_length", "Data length"))
ef("start_seq", ProtoField.uint16("enet.fragment.start_seq", "Start sequence number"))
ef("fragment_count", ProtoField.uint32("enet.fragment.count", "Fragment count"))
ef("fragment_number", ProtoField.uint32("enet.fragment.number", "Fragment number"))
ef("total_length", ProtoField.uint32("enet.fragment.total_length", "Total length"))
ef("fragment_offset", ProtoField.uint32("enet.fragment.offset", "Fragment offset"))
ef("fragment_data", ProtoField.bytes("enet.fragment.data", "Fragment data"))
ef("reassembled_in", ProtoField.framenum("enet.fragment.reassembled_in", "Reassembled in frame"))
ef("reassembled_length", ProtoField.uint32("enet.fragment.reassembled_length", "Reassembled length"))
ef("payload", ProtoField.bytes("enet.payload", "Packet data"))
ef("retransmission", ProtoField.bool("enet.retransmission", "Retransmission (reliable sequence number seen before)"))

-- hail over TCP (SPEC.md 3.8)
local RECORD_CHANNELS = { [0] = "control", [1] = "messaging", [255] = "CLOSE" }
hf("record_length", ProtoField.uint32("hail.record.length", "Record length"))
hf("record_channel", ProtoField.uint8("hail.record.channel", "Record channel",
  base.DEC, RECORD_CHANNELS))
hf("close_code", ProtoField.uint16("hail.record.close_code", "CLOSE error code",
  base.DEC, ERRORS))

do
  local list = {}
  for _, f in pairs(HF) do list[#list + 1] = f end
  hail.fields = list
  list = {}
  for _, f in pairs(EF) do list[#list + 1] = f end
  enet.fields = list
end

local ex_malformed = ProtoExpert.new("hail.malformed", "malformed",
  expert.group.MALFORMED, expert.severity.ERROR)
local ex_internal = ProtoExpert.new("hail.internal_error", "hail.lua internal error",
  expert.group.MALFORMED, expert.severity.ERROR)
local ex_sealed = ProtoExpert.new("hail.not_decrypted", "SEALED frame not decrypted",
  expert.group.UNDECODED, expert.severity.NOTE)
local ex_stun = ProtoExpert.new("hail.stun_reserved", "STUN datagram (SPEC.md 3.4; decode with the stun dissector)",
  expert.group.PROTOCOL, expert.severity.NOTE)
local ex_checksum = ProtoExpert.new("enet.checksum.bad", "ENet checksum mismatch",
  expert.group.CHECKSUM, expert.severity.WARN)
local ex_fragment = ProtoExpert.new("enet.fragment.incomplete", "fragment (packet not yet reassembled)",
  expert.group.REASSEMBLE, expert.severity.NOTE)
hail.experts = { ex_malformed, ex_internal, ex_sealed, ex_stun, ex_checksum, ex_fragment }

----------------------------------------------------------------------------
-- Preferences
----------------------------------------------------------------------------

local DEFAULT_PORT = 4000
hail.prefs.port = Pref.uint("UDP port", DEFAULT_PORT, "The UDP port of the Hail server (haild --listen)")
hail.prefs.verify_checksum = Pref.bool("Verify ENet checksums", true,
  "Recompute ENet's CRC32 (the connect id is learnt from the CONNECT command)")
hail.prefs.reassemble = Pref.bool("Reassemble ENet fragments", true,
  "Reassemble SEND_FRAGMENT commands and decode the Hail frame they carry")

----------------------------------------------------------------------------
-- Helpers
----------------------------------------------------------------------------

local function malformed(tree, text)
  tree:add_proto_expert_info(ex_malformed, "malformed: " .. text)
end

-- CRC32 (zlib's), table driven.
local CRC_TABLE = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if bit32.band(c, 1) == 1 then
      c = bit32.bxor(0xedb88320, bit32.rshift(c, 1))
    else
      c = bit32.rshift(c, 1)
    end
  end
  CRC_TABLE[i] = c
end

local function crc32(s)
  local crc = 0xffffffff
  local band, bxor, rshift = bit32.band, bit32.bxor, bit32.rshift
  for i = 1, #s do
    crc = bxor(CRC_TABLE[band(bxor(crc, s:byte(i)), 0xff)], rshift(crc, 8))
  end
  return bxor(crc, 0xffffffff)
end

local function u32_bytes(v)
  return string.char(bit32.band(bit32.rshift(v, 24), 0xff), bit32.band(bit32.rshift(v, 16), 0xff),
    bit32.band(bit32.rshift(v, 8), 0xff), bit32.band(v, 0xff))
end

local function endpoint(addr, port) return tostring(addr) .. ":" .. tostring(port) end

-- Per-capture state (reset by hail.init).
local state
local function reset_state()
  state = {
    connect_ids = {},  -- conversation key -> connect id (learnt from CONNECT)
    checksum = {},     -- frame number -> { status, calculated }
    fragments = {},    -- reassembly key -> partial packet
    reassembled = {},  -- "frame:command" -> { data = raw string, frames = {...} }
    fragment_of = {},  -- "frame:command" -> entry the fragment belongs to
    servers = {},      -- "IP:PORT" of servers (learnt from HELLO, COOKIE, CONNECT, ...)
    reliable = {},     -- "src>dst/channel" -> { highest, seen } reliable sequence numbers
    retransmitted = {},-- "frame:command" -> true for a retransmitted reliable command
  }
end
reset_state()

function hail.init()
  reset_state()
end

-- Learns that `ep` is a Hail server (first pass only).
local function learn_server(pinfo, ep)
  if not pinfo.visited then state.servers[ep] = true end
end

-- True when the datagram goes to the server: a learnt server endpoint, else
-- the configured port.
local function to_server(pinfo)
  if state.servers[endpoint(pinfo.dst, pinfo.dst_port)] then return true end
  if state.servers[endpoint(pinfo.src, pinfo.src_port)] then return false end
  return pinfo.dst_port == hail.prefs.port
end

-- Was this reliable sequence number seen before in this direction and
-- channel? 16-bit numbers are unwrapped around the highest seen; a window of
-- the last 1024 is remembered (older ones count as seen). First pass only.
local function seen_before(pinfo, channel, seq)
  local key = endpoint(pinfo.src, pinfo.src_port) .. ">" .. endpoint(pinfo.dst, pinfo.dst_port) ..
    "/" .. channel
  local t = state.reliable[key]
  if t == nil then
    t = { highest = seq, seen = { [seq] = true } }
    state.reliable[key] = t
    return false
  end
  local delta = (seq - (t.highest % 65536)) % 65536
  if delta >= 32768 then delta = delta - 65536 end
  local u = t.highest + delta
  if u > t.highest then
    t.highest = u
    t.seen[u] = true
    t.seen[u - 1024] = nil
    return false
  end
  if t.highest - u >= 1024 or t.seen[u] then return true end
  t.seen[u] = true
  return false
end

local function conversation_key(pinfo)
  local a = endpoint(pinfo.src, pinfo.src_port)
  local b = endpoint(pinfo.dst, pinfo.dst_port)
  if a < b then return a .. "|" .. b end
  return b .. "|" .. a
end

----------------------------------------------------------------------------
-- Hail frames (SPEC.md 5 and 11.2 - 11.4)
----------------------------------------------------------------------------

-- Adds a fixed-size field if the body is long enough; returns the new offset
-- or nil (and a malformed expert) when the body is short.
local function need(tvb, tree, off, len, what)
  if off + len > tvb:len() then
    malformed(tree, string.format("%s: needs %d bytes at offset %d, body has %d",
      what, len, off, tvb:len()))
    return nil
  end
  return true
end

local PLAIN_BODIES = {
  [0x0001] = { -- CLIENT_HELLO
    { "version", 2 }, { "client_ephemeral_key", 32 },
  },
  [0x0002] = { -- SERVER_HELLO
    { "version", 2 }, { "server_ephemeral_key", 32 }, { "server_identity_key", 32 },
    { "signature", 64 },
  },
  [0x0003] = { -- HANDSHAKE_REJECT
    { "error", 2 }, { "highest_version", 2 },
  },
}

local function kind_name(id)
  return KINDS[id] or string.format("UNKNOWN(0x%04x)", id)
end

-- Dissects one Hail frame (a whole ENet packet). Returns a short summary.
local function dissect_frame(ftvb, pinfo, tree, channel, outbound)
  local len = ftvb:len()
  if len == 0 then
    local t = tree:add(hail, "Hail frame: empty packet")
    t:add(HF.channel, channel)
    malformed(t, "empty ENet packet (bad frame)")
    return "bad frame"
  end
  local ftype = ftvb(0, 1):uint()
  if ftype == 0x01 then
    local t = tree:add(hail, ftvb(0, len), "Hail PLAIN frame")
    t:add(HF.frame, ftvb(0, 1), "PLAIN")
    t:add(HF.frame_type, ftvb(0, 1))
    t:add(HF.channel, channel)
    t:add(HF.frame_length, len)
    if len < 3 then
      malformed(t, "PLAIN frame shorter than 3 bytes (no kind)")
      return "PLAIN (short)"
    end
    local kid = ftvb(1, 2):uint()
    local name = kind_name(kid)
    t:add(HF.kind, ftvb(1, 2), name)
    t:add(HF.kind_id, ftvb(1, 2))
    t:append_text(": " .. name)
    local layout = PLAIN_BODIES[kid]
    local off = 3
    if layout then
      local body = t:add(hail, ftvb(3, len - 3), name .. " body")
      for _, f in ipairs(layout) do
        if not need(ftvb, body, off, f[2], name .. "." .. f[1]) then break end
        body:add(HF[f[1]], ftvb(off, f[2]))
        off = off + f[2]
      end
      if off < len and off >= 3 then
        local tr = body:add(HF.trailing, ftvb(off, len - off))
        tr:append_text(" (ignored, SPEC.md 2.6)")
      end
    else
      if len > 3 then t:add(HF.body, ftvb(3, len - 3)) end
      if KINDS[kid] then
        t:add_proto_expert_info(ex_malformed,
          "malformed: " .. name .. " is a SEALED kind but came in a PLAIN frame")
      end
    end
    return "PLAIN " .. name
  elseif ftype == 0x02 then
    local t = tree:add(hail, ftvb(0, len), "Hail SEALED frame")
    -- hail.frame only for a SEALED frame that has its 25 bytes (a shorter one
    -- is a bad frame, SPEC.md 5.3).
    if len >= SEALED_OVERHEAD then t:add(HF.frame, ftvb(0, 1), "SEALED") end
    t:add(HF.frame_type, ftvb(0, 1))
    t:add(HF.channel, channel)
    t:add(HF.frame_length, len)
    if len < SEALED_OVERHEAD then
      malformed(t, string.format("SEALED frame of %d bytes, the minimum is 25", len))
      return "SEALED (short)"
    end
    local counter = ftvb(1, 8):uint64()
    t:add(HF.counter, ftvb(1, 8))
    local clen = len - SEALED_OVERHEAD
    t:add(HF.sealed_length, ftvb(1, 8), clen):set_generated()
    if clen > 0 then t:add(HF.ciphertext, ftvb(9, clen)) end
    t:add(HF.tag, ftvb(9 + clen, 16))
    t:add_proto_expert_info(ex_sealed, "encrypted with ChaCha20-Poly1305: not decrypted " ..
      "(Wireshark's Lua API has no AEAD); hail-dissect decrypts it with the key log")
    t:add(hail, ftvb(9, clen + 16), string.format(
      "Encrypted with the %s key: %d bytes of kind + body, then the 16-byte tag. Not decrypted " ..
      "here: Wireshark's Lua API has no ChaCha20-Poly1305",
      outbound and "client_to_server" or "server_to_client", clen)):set_generated()
    t:append_text(string.format(": counter %s, %d encrypted bytes", tostring(counter), clen))
    return string.format("SEALED #%s (%d)", tostring(counter), clen)
  else
    local t = tree:add(hail, ftvb(0, len), "Hail frame: unknown type")
    t:add(HF.frame_type, ftvb(0, 1))
    t:add(HF.channel, channel)
    malformed(t, string.format("unknown frame type 0x%02x (bad frame)", ftype))
    return "bad frame"
  end
end

----------------------------------------------------------------------------
-- Pre-session and STUN (SPEC.md 3)
----------------------------------------------------------------------------

local function dissect_presession(tvb, pinfo, tree)
  local len = tvb:len()
  local t = tree:add(hail, tvb(0, len), "Hail pre-session datagram")
  t:add(HF.class, tvb(0, 4), "presession")
  t:add(HF.ps_magic, tvb(0, 4))
  if len < 5 then
    malformed(t, "pre-session datagram without a type")
    return "pre-session (short)"
  end
  local type_id = tvb(4, 1):uint()
  local info = PRESESSION[type_id]
  local name = info and info.name or string.format("UNKNOWN_%d", type_id)
  t:add(HF.ps_type, tvb(4, 1), name)
  t:add(HF.ps_type_id, tvb(4, 1))
  if type_id == 1 then
    learn_server(pinfo, endpoint(pinfo.dst, pinfo.dst_port))
  elseif info and type_id ~= 4 then  -- PROBEs travel between clients
    learn_server(pinfo, endpoint(pinfo.src, pinfo.src_port))
  end
  t:append_text(": " .. name)
  if not info then
    malformed(t, "unknown pre-session type " .. type_id)
    return "pre-session " .. name
  end
  if len ~= info.size then
    malformed(t, string.format("%s must be exactly %d bytes, this one has %d", name, info.size, len))
  end
  if len >= 6 then t:add(HF.ps_version, tvb(5, 1)) end
  local summary = name
  if type_id == 4 then
    -- PROBE: the size is exact here only when len == 36; fields as far as
    -- they go otherwise.
    if len >= 14 then
      t:add(HF.ps_session_id, tvb(6, 8))
      summary = summary .. " session=0x" .. tvb(6, 8):uint64():tohex()
    end
    if len >= 16 then
      local role, reserved = tvb(14, 1):uint(), tvb(15, 1):uint()
      t:add(HF.ps_role, tvb(14, 1))
      t:add(HF.ps_reserved, tvb(15, 1))
      if role > 1 or reserved ~= 0 then
        malformed(t, string.format("PROBE role %d, reserved %d (role 0 or 1, reserved 0)",
                                   role, reserved))
      end
      summary = summary .. (role == 1 and " connector" or " listener")
    end
    if len >= 20 then
      t:add(HF.ps_seq, tvb(16, 4))
      summary = summary .. " seq=" .. tvb(16, 4):uint()
    end
    if len >= 36 then t:add(HF.ps_tag, tvb(20, 16)) end
    return summary
  end
  if len >= 14 then
    t:add(HF.ps_nonce, tvb(6, 8))
    summary = summary .. " nonce=0x" .. tvb(6, 8):uint64():tohex()
  end
  if type_id == 1 then
    if len > 14 then
      local pad = tvb(14, len - 14)
      local item = t:add(HF.ps_padding, pad)
      local raw = pad:raw()
      if raw:find("[^%z]") then
        item:add_proto_expert_info(ex_malformed, "malformed: HELLO padding is not all zero")
      end
    end
  elseif type_id == 2 then
    if len >= 18 then
      t:add(HF.ps_cookie, tvb(14, 4))
      summary = summary .. string.format(" cookie=0x%08x", tvb(14, 4):uint())
    end
    if len >= 20 then
      t:add(HF.ps_valid_for, tvb(18, 2))
      summary = summary .. " valid_for=" .. tvb(18, 2):uint() .. "s"
    end
  elseif type_id == 3 then
    if len >= 16 then
      t:add(HF.ps_error, tvb(14, 2))
      local e = tvb(14, 2):uint()
      summary = summary .. " " .. (ERRORS[e] or tostring(e))
    end
  end
  return summary
end

local function is_stun_shape(tvb)
  local len = tvb:len()
  if len < 20 then return false end
  if bit32.band(tvb(0, 1):uint(), 0xc0) ~= 0 then return false end
  if tvb(4, 4):uint() ~= 0x2112a442 then return false end
  local mlen = tvb(2, 2):uint()
  return mlen % 4 == 0 and len == 20 + mlen
end

local function dissect_stun(tvb, pinfo, tree)
  local t = tree:add(hail, tvb(0, tvb:len()), "STUN datagram (SPEC.md 3.4)")
  t:add(HF.class, tvb(0, 0), "stun")
  t:add(HF.stun_type, tvb(0, 2))
  t:add(HF.stun_length, tvb(2, 2))
  t:add(HF.stun_cookie, tvb(4, 4))
  t:add(HF.stun_tid, tvb(8, 12))
  t:add_proto_expert_info(ex_stun)
  return "STUN"
end

----------------------------------------------------------------------------
-- ENet (SPEC.md 4, enet/protocol.h)
----------------------------------------------------------------------------

local function verify_checksum(tvb, pinfo, ht, ck_off, peer_id, ck_range)
  if not hail.prefs.verify_checksum then return end
  local result = state.checksum[pinfo.number]
  if result == nil and not pinfo.visited then
    local seed
    if peer_id == 0xfff then
      seed = 0
    else
      seed = state.connect_ids[conversation_key(pinfo)]
    end
    if seed == nil then
      result = { status = "unverified (connect id not seen)" }
    else
      local raw = tvb:raw(0, tvb:len())
      local s = raw:sub(1, ck_off) .. u32_bytes(seed) .. raw:sub(ck_off + 5)
      local calc = crc32(s)
      local got = tvb(ck_off, 4):uint()
      result = { status = (calc == got) and "good" or "bad", calc = calc }
    end
    state.checksum[pinfo.number] = result
  end
  if result == nil then return end
  local item = ht:add(EF.checksum_status, ck_range, result.status)
  item:set_generated()
  if result.calc then
    ht:add(EF.checksum_calc, ck_range, result.calc):set_generated()
  end
  if result.status == "bad" then
    item:add_proto_expert_info(ex_checksum,
      string.format("ENet checksum mismatch (calculated 0x%08x)", result.calc))
  end
end

-- Fragment reassembly: our own table, keyed by direction, channel, kind of
-- fragment (reliable/unreliable) and start sequence number. Only the first
-- pass stores; later passes (GUI) read what the first pass found.
local function handle_fragment(tvb, pinfo, ct, cmd_key, channel, reliable, f)
  local ckey = endpoint(pinfo.src, pinfo.src_port) .. ">" .. endpoint(pinfo.dst, pinfo.dst_port)
  local key = string.format("%s/%d/%s/%d", ckey, channel, reliable and "R" or "U", f.start_seq)
  if not pinfo.visited then
    -- A finished packet is forgotten: fragments with the same start sequence
    -- number start a new set (like a retransmitted SEND_RELIABLE, a packet
    -- whose fragments all come again is shown again, as hail-dissect does).
    local entry = state.fragments[key]
    if entry == nil then
      if f.count == 0 or f.count > 1024 * 1024 or f.total > MAX_REASSEMBLY then
        malformed(ct, "fragment count or total length out of range")
        entry = false
      else
        entry = { count = f.count, total = f.total, got = {}, n = 0, pieces = {},
                  frames = {}, first_frame = pinfo.number }
        state.fragments[key] = entry
      end
    end
    if entry then
      state.fragment_of[cmd_key] = entry
      if entry.count ~= f.count or entry.total ~= f.total then
        malformed(ct, "fragment count or total length differs from the first fragment")
      elseif f.number >= f.count or f.offset >= f.total or f.offset + f.length > f.total then
        malformed(ct, "fragment number or offset out of range")
      elseif not entry.got[f.number] then
        entry.got[f.number] = true
        entry.n = entry.n + 1
        entry.pieces[f.number] = { offset = f.offset, data = f.data }
        entry.frames[#entry.frames + 1] = pinfo.number
        if entry.n == entry.count then
          -- Complete: place every piece at its offset.
          local parts, pos, ok = {}, 0, true
          for i = 0, entry.count - 1 do
            local p = entry.pieces[i]
            if p.offset ~= pos then ok = false; break end
            parts[#parts + 1] = p.data
            pos = pos + #p.data
          end
          if ok and pos == entry.total then
            entry.data = table.concat(parts)
          else
            entry.data = nil
            entry.bad = true
          end
          entry.pieces = nil
          entry.reassembled_in = pinfo.number
          state.reassembled[cmd_key] = entry
          state.fragments[key] = nil
        end
      end
    end
  end
  local entry = state.fragment_of[cmd_key]
  if entry and entry.reassembled_in then
    ct:add(EF.reassembled_in, entry.reassembled_in):set_generated()
  elseif entry then
    ct:add_proto_expert_info(ex_fragment, string.format("fragment %d of %d, %d bytes of %d",
      f.number + 1, f.count, f.length, f.total))
  end
  local whole = state.reassembled[cmd_key]
  if whole then
    if whole.bad then
      malformed(ct, "fragments do not tile the packet")
      return nil
    end
    ct:add(EF.reassembled_length, #whole.data):set_generated()
    return whole.data
  end
  return nil
end

local function dissect_enet(tvb, pinfo, tree)
  local len = tvb:len()
  local root = tree:add(hail, tvb(0, len), "Hail over ENet")
  root:add(HF.class, tvb(0, 0), "enet")
  local et = tree:add(enet, tvb(0, len))
  if len < 2 then
    malformed(et, "datagram too short for an ENet header")
    return "ENet (short)"
  end
  local word = tvb(0, 2):uint()
  local has_time = bit32.band(word, 0x8000) ~= 0
  local compressed = bit32.band(word, 0x4000) ~= 0
  local peer_id = bit32.band(word, 0x0fff)
  local hlen = (has_time and 4 or 2) + 4
  local ht = et:add(enet, tvb(0, math.min(hlen, len)), "ENet header")
  ht:add(EF.peer_word, tvb(0, 2))
  ht:add(EF.flag_sent_time, tvb(0, 2))
  ht:add(EF.flag_compressed, tvb(0, 2))
  ht:add(EF.session, tvb(0, 2))
  local pid_item = ht:add(EF.peer_id, tvb(0, 2))
  if peer_id == 0xfff then pid_item:append_text(" (no peer yet)") end
  if len < hlen then
    malformed(ht, string.format("ENet header needs %d bytes (CRC32 on), datagram has %d", hlen, len))
    return "ENet (short)"
  end
  if has_time then ht:add(EF.sent_time, tvb(2, 2)) end
  local ck_off = hlen - 4
  ht:add(EF.checksum, tvb(ck_off, 4))
  if not pinfo.visited and not compressed and len >= hlen + 4 then
    local c = bit32.band(tvb(hlen, 1):uint(), 0x0f)
    if c == 2 then learn_server(pinfo, endpoint(pinfo.dst, pinfo.dst_port)) end
    if c == 3 then learn_server(pinfo, endpoint(pinfo.src, pinfo.src_port)) end
  end
  local outbound = to_server(pinfo)
  et:append_text(string.format(", peer %s%s", peer_id == 0xfff and "none" or tostring(peer_id),
    outbound and " (to server)" or " (to client)"))

  -- Learn the connect id before verifying (a CONNECT itself uses seed 0).
  if not pinfo.visited and not compressed and len >= hlen + 48 then
    local c = bit32.band(tvb(hlen, 1):uint(), 0x0f)
    if c == 2 or c == 3 then
      state.connect_ids[conversation_key(pinfo)] = tvb(hlen + 40, 4):uint()
    end
    if c == 2 then
      -- A new connection from this client: forget sequence numbers and sets.
      local a = endpoint(pinfo.src, pinfo.src_port) .. ">" .. endpoint(pinfo.dst, pinfo.dst_port)
      local b = endpoint(pinfo.dst, pinfo.dst_port) .. ">" .. endpoint(pinfo.src, pinfo.src_port)
      for k in pairs(state.reliable) do
        if k:sub(1, #a + 1) == a .. "/" or k:sub(1, #b + 1) == b .. "/" then state.reliable[k] = nil end
      end
      for k in pairs(state.fragments) do
        if k:sub(1, #a + 1) == a .. "/" or k:sub(1, #b + 1) == b .. "/" then state.fragments[k] = nil end
      end
    end
  end
  verify_checksum(tvb, pinfo, ht, ck_off, peer_id, tvb(ck_off, 4))

  if compressed then
    malformed(et, "COMPRESSED flag set: Hail never enables compression and ENet drops this datagram")
    return "ENet compressed"
  end

  local summaries = {}
  local off = hlen
  local index = 0
  if off >= len then malformed(et, "ENet datagram without commands") end
  while off < len do
    index = index + 1
    if len - off < 4 then
      malformed(et, string.format("%d trailing bytes, too short for a command header", len - off))
      break
    end
    local cbyte = tvb(off, 1):uint()
    local cnum = bit32.band(cbyte, 0x0f)
    local cinfo = ENET_COMMANDS[cnum]
    local cname = cinfo and cinfo.name or string.format("UNKNOWN_%d", cnum)
    local csize = cinfo and cinfo.size or 0
    -- Is the command complete (as ENet would accept it)? Only complete
    -- commands get an enet.command field, as in hail-dissect's "commands".
    local complete = csize > 0 and len - off >= csize
    if complete then
      local dl_at = (cnum == 6) and 4 or ((cnum == 7 or cnum == 8 or cnum == 9 or cnum == 12) and 6)
      if dl_at and off + csize + tvb(off + dl_at, 2):uint() > len then complete = false end
    end
    local ct = et:add(enet, tvb(off, math.min(math.max(csize, 4), len - off)),
      complete and cname or (cname .. " (incomplete)"))
    if complete then ct:add(EF.command, tvb(off, 1), cname) end
    local cmd_key = pinfo.number .. ":" .. index
    if complete and not pinfo.visited and bit32.band(cbyte, 0x80) ~= 0 and
        seen_before(pinfo, tvb(off + 1, 1):uint(), tvb(off + 2, 2):uint()) then
      state.retransmitted[cmd_key] = true
    end
    local retransmitted = state.retransmitted[cmd_key] == true
    if retransmitted then
      ct:add(EF.retransmission, true):set_generated()
      ct:append_text(" [retransmission]")
    end
    ct:add(EF.command_id, tvb(off, 1))
    ct:add(EF.flag_ack, tvb(off, 1))
    ct:add(EF.flag_unseq, tvb(off, 1))
    local channel = tvb(off + 1, 1):uint()
    ct:add(EF.channel, tvb(off + 1, 1))
    ct:add(EF.reliable_seq, tvb(off + 2, 2))
    if csize == 0 then
      malformed(ct, "unknown ENet command " .. cnum .. "; ENet stops here")
      summaries[#summaries + 1] = cname
      break
    end
    if len - off < csize then
      malformed(ct, string.format("%s needs %d bytes, %d left", cname, csize, len - off))
      summaries[#summaries + 1] = cname
      break
    end
    local b = off + 4
    local summary = cname
    local data_len, data_off = nil, off + csize
    if cnum == 1 then
      ct:add(EF.ack_seq, tvb(b, 2))
      ct:add(EF.ack_time, tvb(b + 2, 2))
      summary = "ACK " .. tvb(b, 2):uint()
    elseif cnum == 2 or cnum == 3 then
      ct:add(EF.outgoing_peer_id, tvb(b, 2))
      ct:add(EF.incoming_session_id, tvb(b + 2, 1))
      ct:add(EF.outgoing_session_id, tvb(b + 3, 1))
      ct:add(EF.mtu, tvb(b + 4, 4))
      ct:add(EF.window_size, tvb(b + 8, 4))
      ct:add(EF.channel_count, tvb(b + 12, 4))
      ct:add(EF.incoming_bandwidth, tvb(b + 16, 4))
      ct:add(EF.outgoing_bandwidth, tvb(b + 20, 4))
      ct:add(EF.throttle_interval, tvb(b + 24, 4))
      ct:add(EF.throttle_accel, tvb(b + 28, 4))
      ct:add(EF.throttle_decel, tvb(b + 32, 4))
      ct:add(EF.connect_id, tvb(b + 36, 4))
      if cnum == 2 then
        ct:add(EF.connect_data, tvb(b + 40, 4))
        summary = string.format("CONNECT cookie=0x%08x", tvb(b + 40, 4):uint())
      end
    elseif cnum == 4 then
      ct:add(EF.disconnect_data, tvb(b, 4))
      local d = tvb(b, 4):uint()
      summary = "DISCONNECT " .. (ERRORS[d] or tostring(d))
    elseif cnum == 6 then
      ct:add(EF.data_length, tvb(b, 2))
      data_len = tvb(b, 2):uint()
    elseif cnum == 7 then
      ct:add(EF.unreliable_seq, tvb(b, 2))
      ct:add(EF.data_length, tvb(b + 2, 2))
      data_len = tvb(b + 2, 2):uint()
    elseif cnum == 9 then
      ct:add(EF.unsequenced_group, tvb(b, 2))
      ct:add(EF.data_length, tvb(b + 2, 2))
      data_len = tvb(b + 2, 2):uint()
    elseif cnum == 10 then
      ct:add(EF.incoming_bandwidth, tvb(b, 4))
      ct:add(EF.outgoing_bandwidth, tvb(b + 4, 4))
    elseif cnum == 11 then
      ct:add(EF.throttle_interval, tvb(b, 4))
      ct:add(EF.throttle_accel, tvb(b + 4, 4))
      ct:add(EF.throttle_decel, tvb(b + 8, 4))
    elseif cnum == 8 or cnum == 12 then
      ct:add(EF.start_seq, tvb(b, 2))
      ct:add(EF.data_length, tvb(b + 2, 2))
      ct:add(EF.fragment_count, tvb(b + 4, 4))
      ct:add(EF.fragment_number, tvb(b + 8, 4))
      ct:add(EF.total_length, tvb(b + 12, 4))
      ct:add(EF.fragment_offset, tvb(b + 16, 4))
      data_len = tvb(b + 2, 2):uint()
    end
    local next_off = off + csize
    if data_len then
      if data_off + data_len > len then
        malformed(ct, string.format("data length %d runs past the datagram (%d bytes left)",
          data_len, len - data_off))
        summaries[#summaries + 1] = cname
        break
      end
      next_off = data_off + data_len
      ct:set_len(csize + data_len)
      if cnum == 8 or cnum == 12 then
        local f = {
          start_seq = tvb(b, 2):uint(), length = data_len, count = tvb(b + 4, 4):uint(),
          number = tvb(b + 8, 4):uint(), total = tvb(b + 12, 4):uint(),
          offset = tvb(b + 16, 4):uint(), data = "",
        }
        if data_len > 0 then
          ct:add(EF.fragment_data, tvb(data_off, data_len))
          f.data = tvb:raw(data_off, data_len)
        end
        summary = string.format("FRAGMENT %d/%d", f.number + 1, f.count)
        if retransmitted then
          ct:add(hail, tvb(off, csize + data_len),
            "Retransmitted fragment: not reassembled again"):set_generated()
        elseif hail.prefs.reassemble then
          local whole = handle_fragment(tvb, pinfo, ct, cmd_key, channel,
            cnum == 8, f)
          if whole then
            local rtvb = ByteArray.new(whole, true):tvb("Reassembled ENet packet")
            summary = summary .. " [" .. dissect_frame(rtvb, pinfo, ct, channel, outbound) .. "]"
          end
        end
      else
        local payload = (data_len > 0) and tvb(data_off, data_len) or nil
        if payload then ct:add(EF.payload, payload) end
        local ftvb = payload and payload:tvb() or ByteArray.new():tvb("Empty ENet packet")
        summary = dissect_frame(ftvb, pinfo, ct, channel, outbound)
      end
    end
    ct:append_text(string.format(", channel %d, seq %d", channel, tvb(off + 2, 2):uint()))
    summaries[#summaries + 1] = summary
    off = next_off
  end
  return table.concat(summaries, "; ")
end

----------------------------------------------------------------------------
-- TCP fallback (SPEC.md 3.8)
----------------------------------------------------------------------------

local MAX_RECORD_LENGTH = 1 + 65536
local CLOSE_CHANNEL = 0xff

-- The records that start at the beginning of tvb; asks Wireshark for more
-- segments when the last one is incomplete. Returns a summary.
local function dissect_tcp_records(tvb, pinfo, tree, outbound)
  local len = tvb:len()
  local off = 0
  local summaries = {}
  while off < len do
    if len - off < 4 then
      pinfo.desegment_offset = off
      pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
      break
    end
    local rlen = tvb(off, 4):uint()
    if rlen > MAX_RECORD_LENGTH or rlen < 2 then
      local t = tree:add(hail, tvb(off, len - off), "Hail record")
      t:add(HF.record_length, tvb(off, 4))
      malformed(t, string.format("record length %d (2 to %d)", rlen, MAX_RECORD_LENGTH))
      summaries[#summaries + 1] = "bad record"
      break
    end
    if len - off < 4 + rlen then
      pinfo.desegment_offset = off
      pinfo.desegment_len = 4 + rlen - (len - off)
      break
    end
    local t = tree:add(hail, tvb(off, 4 + rlen), "Hail record")
    if #summaries == 0 then t:add(HF.class, tvb(off, 0), "tcp") end
    t:add(HF.record_length, tvb(off, 4))
    local channel = tvb(off + 4, 1):uint()
    t:add(HF.record_channel, tvb(off + 4, 1))
    if channel == CLOSE_CHANNEL then
      if rlen ~= 3 then
        malformed(t, string.format("CLOSE record of length %d (3)", rlen))
        summaries[#summaries + 1] = "bad CLOSE"
        break
      end
      local code = tvb(off + 5, 2):uint()
      t:add(HF.close_code, tvb(off + 5, 2))
      t:append_text(": CLOSE " .. (ERRORS[code] or tostring(code)))
      summaries[#summaries + 1] = "CLOSE " .. (ERRORS[code] or tostring(code))
    elseif channel > 1 then
      malformed(t, string.format("record on channel %d (0, 1 or 255)", channel))
      summaries[#summaries + 1] = "bad record"
      break
    else
      t:append_text(string.format(": channel %d", channel))
      summaries[#summaries + 1] = dissect_frame(tvb(off + 5, rlen - 1):tvb(),
        pinfo, t, channel, outbound)
    end
    off = off + 4 + rlen
  end
  return table.concat(summaries, "; ")
end

local hail_tcp = Proto("hail_tcp", "Hail TCP fallback")

function hail_tcp.dissector(tvb, pinfo, tree)
  local len = tvb:len()
  if len == 0 then return 0 end
  local outbound = pinfo.dst_port == hail.prefs.port
  local ok, result = pcall(dissect_tcp_records, tvb, pinfo, tree, outbound)
  if not ok then
    pinfo.cols.protocol = "HAIL"
    pinfo.cols.info = "hail.lua error"
    tree:add_proto_expert_info(ex_internal, "hail.lua internal error: " .. tostring(result))
  elseif result ~= "" then
    pinfo.cols.protocol = "HAIL"
    pinfo.cols.info = (outbound and "C>S " or "S>C ") .. result
  end
  return len
end

----------------------------------------------------------------------------
-- Entry points
----------------------------------------------------------------------------

local function classify_and_dissect(tvb, pinfo, tree)
  local len = tvb:len()
  if len >= 4 and tvb(0, 4):raw() == "HAIL" then
    return dissect_presession(tvb, pinfo, tree)
  elseif is_stun_shape(tvb) then
    return dissect_stun(tvb, pinfo, tree)
  else
    return dissect_enet(tvb, pinfo, tree)
  end
end

function hail.dissector(tvb, pinfo, tree)
  local len = tvb:len()
  if len == 0 then return 0 end
  pinfo.cols.protocol = "HAIL"
  local ok, result = pcall(classify_and_dissect, tvb, pinfo, tree)
  if ok then
    local dir = to_server(pinfo) and "C>S " or "S>C "
    pinfo.cols.info = dir .. tostring(result)
  else
    pinfo.cols.info = "hail.lua error"
    tree:add_proto_expert_info(ex_internal, "hail.lua internal error: " .. tostring(result))
  end
  return len
end

-- Heuristic (any port): a pre-session datagram of exact size and type, or an
-- ENet CONNECT whose CRC32 verifies. Either claims the whole conversation.
local function heuristic_match(tvb)
  local len = tvb:len()
  if len >= 6 and tvb(0, 4):raw() == "HAIL" then
    local info = PRESESSION[tvb(4, 1):uint()]
    if not info or info.size ~= len then return false end
  elseif len == 56 or len == 52 then
    -- CONNECT alone: header (with or without sent time) + 48 bytes.
    local hlen = len - 48
    local word = tvb(0, 2):uint()
    if bit32.band(word, 0x0fff) ~= 0xfff then return false end
    if (hlen == 8) ~= (bit32.band(word, 0x8000) ~= 0) then return false end
    if tvb(hlen, 1):uint() ~= 0x82 then return false end
    local raw = tvb:raw(0, len)
    local ck_off = hlen - 4
    local s = raw:sub(1, ck_off) .. "\0\0\0\0" .. raw:sub(ck_off + 5)
    if crc32(s) ~= tvb(ck_off, 4):uint() then return false end
  else
    return false
  end
  return true
end

local function heuristic(tvb, pinfo, tree)
  local ok, match = pcall(heuristic_match, tvb)
  if not ok or not match then return false end
  pinfo.conversation = hail
  hail.dissector(tvb, pinfo, tree)
  return true
end

local udp_port_table = DissectorTable.get("udp.port")
local registered_port = DEFAULT_PORT
local tcp_port_table = DissectorTable.get("tcp.port")
udp_port_table:add(registered_port, hail)
tcp_port_table:add(registered_port, hail_tcp)
hail:register_heuristic("udp", heuristic)

function hail.prefs_changed()
  if hail.prefs.port ~= registered_port then
    udp_port_table:remove(registered_port, hail)
    tcp_port_table:remove(registered_port, hail_tcp)
    registered_port = hail.prefs.port
    if registered_port ~= 0 then
      udp_port_table:add(registered_port, hail)
      tcp_port_table:add(registered_port, hail_tcp)
    end
  end
end
