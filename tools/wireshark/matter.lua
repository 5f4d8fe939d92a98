-- Matter message layer dissector for Wireshark (Lua plugin), shipped with paseo.
--
-- Decodes the message header (Matter Core Specification §4.4.1) of every datagram on UDP
-- port 5540 (and, heuristically, on any UDP port), the protocol header (§4.4.3) of
-- unsecured-session messages, and -- given a paseo key log (`paseo run --keylog FILE`, one
-- `MATTER_SESSION` line per session, format in docs/ARCHITECTURE.md) -- decrypts secure
-- unicast messages (AES-128-CCM, §3.6, nonce §4.8.1.1) and decodes their protocol header,
-- opcode names (Secure Channel, Interaction Model), acknowledgements and StatusReport codes.
--
-- Use:
--   tshark -X lua_script:tools/wireshark/matter.lua -o matter.keylog_file:run.keys -r run.pcap
-- or copy this file into Wireshark's personal plugins folder and set
-- Preferences > Protocols > Matter > Key log file.
--
-- Wireshark's Lua (5.2 in Wireshark 4.0) has no AES binding, so AES-128 (FIPS-197, encryption
-- direction only) and CCM (RFC 3610: CTR + CBC-MAC, 16-byte tag, 2-byte length field) are
-- implemented below in plain Lua with bit32.

local bxor, band, bor, lshift, rshift = bit32.bxor, bit32.band, bit32.bor, bit32.lshift, bit32.rshift

local matter = Proto("matter", "Matter")

-- ---------------------------------------------------------------------------------------------
-- Names (core/src/codec/protocol.rs, core/src/codec/status_report.rs)

local protocol_short = { [0] = "SC", [1] = "IM", [2] = "BDX", [3] = "UDC" }
local protocol_long = {
    [0] = "SecureChannel", [1] = "InteractionModel", [2] = "BDX", [3] = "UserDirectedCommissioning",
}
local opcode_names = {
    [0] = {
        [0x00] = "MsgCounterSyncReq", [0x01] = "MsgCounterSyncRsp", [0x10] = "StandaloneAck",
        [0x20] = "PBKDFParamRequest", [0x21] = "PBKDFParamResponse", [0x22] = "Pake1",
        [0x23] = "Pake2", [0x24] = "Pake3", [0x2f] = "PakeError", [0x30] = "Sigma1",
        [0x31] = "Sigma2", [0x32] = "Sigma3", [0x33] = "Sigma2Resume", [0x40] = "StatusReport",
        [0x50] = "ICDCheckIn",
    },
    [1] = {
        [0x01] = "StatusResponse", [0x02] = "ReadRequest", [0x03] = "SubscribeRequest",
        [0x04] = "SubscribeResponse", [0x05] = "ReportData", [0x06] = "WriteRequest",
        [0x07] = "WriteResponse", [0x08] = "InvokeRequest", [0x09] = "InvokeResponse",
        [0x0a] = "TimedRequest",
    },
}
local general_codes = {
    [0] = "SUCCESS", [1] = "FAILURE", [2] = "BAD_PRECONDITION", [3] = "OUT_OF_RANGE",
    [4] = "BAD_REQUEST", [5] = "UNSUPPORTED", [6] = "UNEXPECTED", [7] = "RESOURCE_EXHAUSTED",
    [8] = "BUSY", [9] = "TIMEOUT", [10] = "CONTINUE", [11] = "ABORTED",
    [12] = "INVALID_ARGUMENT", [13] = "NOT_FOUND", [14] = "ALREADY_EXISTS",
    [15] = "PERMISSION_DENIED", [16] = "DATA_LOSS", [17] = "MESSAGE_TOO_LARGE",
}
local secure_channel_status = {
    [0x0000] = "SessionEstablishmentSuccess", [0x0001] = "NoSharedTrustRoots",
    [0x0002] = "InvalidParameter", [0x0003] = "CloseSession", [0x0004] = "Busy",
    [0x0005] = "SessionNotFound", [0xffff] = "GeneralFailure",
}
local session_types = { [0] = "Unicast", [1] = "Group" }

-- ---------------------------------------------------------------------------------------------
-- Fields

local f = {
    message_flags = ProtoField.uint8("matter.message_flags", "Message flags", base.HEX),
    version = ProtoField.uint8("matter.version", "Version", base.DEC, nil, 0xf0),
    source_present = ProtoField.bool("matter.message_flags.s", "Source node id present", 8, nil, 0x04),
    dsiz = ProtoField.uint8("matter.message_flags.dsiz", "Destination size", base.DEC,
        { [0] = "none", [1] = "node id", [2] = "group id", [3] = "reserved" }, 0x03),
    session_id = ProtoField.uint16("matter.session_id", "Session id", base.DEC),
    security_flags = ProtoField.uint8("matter.security_flags", "Security flags", base.HEX),
    privacy = ProtoField.bool("matter.security_flags.p", "Privacy", 8, nil, 0x80),
    control = ProtoField.bool("matter.security_flags.c", "Control message", 8, nil, 0x40),
    extensions = ProtoField.bool("matter.security_flags.mx", "Message extensions", 8, nil, 0x20),
    session_type = ProtoField.uint8("matter.session_type", "Session type", base.DEC, session_types, 0x03),
    counter = ProtoField.uint32("matter.counter", "Message counter", base.DEC),
    source_node = ProtoField.uint64("matter.source_node", "Source node id", base.HEX),
    destination_node = ProtoField.uint64("matter.destination_node", "Destination node id", base.HEX),
    destination_group = ProtoField.uint16("matter.destination_group", "Destination group id", base.HEX),
    message_extensions = ProtoField.bytes("matter.message_extensions", "Message extensions"),
    encrypted = ProtoField.bytes("matter.encrypted", "Encrypted payload"),
    mic = ProtoField.bytes("matter.mic", "Message integrity check"),
    decrypted = ProtoField.bool("matter.decrypted", "Decrypted with key log"),
    keylog_line = ProtoField.uint32("matter.keylog_line", "Key log line", base.DEC),
    exchange_flags = ProtoField.uint8("matter.exchange_flags", "Exchange flags", base.HEX),
    flag_i = ProtoField.bool("matter.exchange_flags.i", "Initiator", 8, nil, 0x01),
    flag_a = ProtoField.bool("matter.exchange_flags.a", "Acknowledgement", 8, nil, 0x02),
    flag_r = ProtoField.bool("matter.exchange_flags.r", "Reliability (ack requested)", 8, nil, 0x04),
    flag_sx = ProtoField.bool("matter.exchange_flags.sx", "Secured extensions", 8, nil, 0x08),
    flag_v = ProtoField.bool("matter.exchange_flags.v", "Vendor id present", 8, nil, 0x10),
    opcode = ProtoField.uint8("matter.opcode", "Opcode", base.HEX),
    opcode_name = ProtoField.string("matter.opcode_name", "Opcode name"),
    exchange_id = ProtoField.uint16("matter.exchange_id", "Exchange id", base.DEC),
    vendor_id = ProtoField.uint16("matter.vendor_id", "Protocol vendor id", base.HEX),
    protocol_id = ProtoField.uint16("matter.protocol_id", "Protocol id", base.HEX),
    protocol = ProtoField.string("matter.protocol", "Protocol"),
    ack_counter = ProtoField.uint32("matter.ack_counter", "Acknowledged message counter", base.DEC),
    secured_extensions = ProtoField.bytes("matter.secured_extensions", "Secured extensions"),
    status_general = ProtoField.uint16("matter.status.general_code", "General code", base.DEC, general_codes),
    status_protocol = ProtoField.uint32("matter.status.protocol_id", "Protocol id", base.HEX),
    status_code = ProtoField.uint16("matter.status.protocol_code", "Protocol code", base.DEC),
    status_name = ProtoField.string("matter.status.name", "Status"),
    status_data = ProtoField.bytes("matter.status.data", "Status data"),
    app_payload = ProtoField.bytes("matter.payload", "Application payload"),
}
local field_list = {}
for _, v in pairs(f) do field_list[#field_list + 1] = v end
matter.fields = field_list

local e_undecryptable = ProtoExpert.new("matter.undecryptable",
    "The key log names this session but its keys do not authenticate the message",
    expert.group.DECRYPTION, expert.severity.NOTE)
local e_malformed = ProtoExpert.new("matter.malformed", "Malformed Matter message",
    expert.group.MALFORMED, expert.severity.ERROR)
matter.experts = { e_undecryptable, e_malformed }

matter.prefs.keylog_file = Pref.string("Key log file", "",
    "A paseo key log (paseo run --keylog FILE): MATTER_SESSION lines with each session's keys")
matter.prefs.heuristic = Pref.bool("Try heuristic on any UDP port", true,
    "Dissect Matter on UDP ports other than 5540 when the message header looks right")

-- ---------------------------------------------------------------------------------------------
-- AES-128 (FIPS-197), forward direction only: CCM needs no inverse cipher.

local sbox = {
    0x63,0x7c,0x77,0x7b,0xf2,0x6b,0x6f,0xc5,0x30,0x01,0x67,0x2b,0xfe,0xd7,0xab,0x76,
    0xca,0x82,0xc9,0x7d,0xfa,0x59,0x47,0xf0,0xad,0xd4,0xa2,0xaf,0x9c,0xa4,0x72,0xc0,
    0xb7,0xfd,0x93,0x26,0x36,0x3f,0xf7,0xcc,0x34,0xa5,0xe5,0xf1,0x71,0xd8,0x31,0x15,
    0x04,0xc7,0x23,0xc3,0x18,0x96,0x05,0x9a,0x07,0x12,0x80,0xe2,0xeb,0x27,0xb2,0x75,
    0x09,0x83,0x2c,0x1a,0x1b,0x6e,0x5a,0xa0,0x52,0x3b,0xd6,0xb3,0x29,0xe3,0x2f,0x84,
    0x53,0xd1,0x00,0xed,0x20,0xfc,0xb1,0x5b,0x6a,0xcb,0xbe,0x39,0x4a,0x4c,0x58,0xcf,
    0xd0,0xef,0xaa,0xfb,0x43,0x4d,0x33,0x85,0x45,0xf9,0x02,0x7f,0x50,0x3c,0x9f,0xa8,
    0x51,0xa3,0x40,0x8f,0x92,0x9d,0x38,0xf5,0xbc,0xb6,0xda,0x21,0x10,0xff,0xf3,0xd2,
    0xcd,0x0c,0x13,0xec,0x5f,0x97,0x44,0x17,0xc4,0xa7,0x7e,0x3d,0x64,0x5d,0x19,0x73,
    0x60,0x81,0x4f,0xdc,0x22,0x2a,0x90,0x88,0x46,0xee,0xb8,0x14,0xde,0x5e,0x0b,0xdb,
    0xe0,0x32,0x3a,0x0a,0x49,0x06,0x24,0x5c,0xc2,0xd3,0xac,0x62,0x91,0x95,0xe4,0x79,
    0xe7,0xc8,0x37,0x6d,0x8d,0xd5,0x4e,0xa9,0x6c,0x56,0xf4,0xea,0x65,0x7a,0xae,0x08,
    0xba,0x78,0x25,0x2e,0x1c,0xa6,0xb4,0xc6,0xe8,0xdd,0x74,0x1f,0x4b,0xbd,0x8b,0x8a,
    0x70,0x3e,0xb5,0x66,0x48,0x03,0xf6,0x0e,0x61,0x35,0x57,0xb9,0x86,0xc1,0x1d,0x9e,
    0xe1,0xf8,0x98,0x11,0x69,0xd9,0x8e,0x94,0x9b,0x1e,0x87,0xe9,0xce,0x55,0x28,0xdf,
    0x8c,0xa1,0x89,0x0d,0xbf,0xe6,0x42,0x68,0x41,0x99,0x2d,0x0f,0xb0,0x54,0xbb,0x16,
}
local function S(x) return sbox[x + 1] end
local function xtime(x)
    local y = lshift(x, 1)
    if y >= 0x100 then y = bxor(y, 0x11b) end
    return y
end

-- Expands a 16-byte key (array of 0..255, 1-based) into 176 round-key bytes.
local function expand_key(key)
    local w = {}
    for i = 1, 16 do w[i] = key[i] end
    local rcon = 1
    for i = 17, 176, 4 do
        local t1, t2, t3, t4 = w[i - 4], w[i - 3], w[i - 2], w[i - 1]
        if (i - 1) % 16 == 0 then
            t1, t2, t3, t4 = bxor(S(t2), rcon), S(t3), S(t4), S(t1)
            rcon = xtime(rcon)
        end
        w[i], w[i + 1], w[i + 2], w[i + 3] =
            bxor(w[i - 16], t1), bxor(w[i - 15], t2), bxor(w[i - 14], t3), bxor(w[i - 13], t4)
    end
    return w
end

-- Encrypts one 16-byte block (array) with expanded key `w`; returns a new array.
local function encrypt_block(w, block)
    local s = {}
    for i = 1, 16 do s[i] = bxor(block[i], w[i]) end
    for round = 1, 10 do
        -- SubBytes and ShiftRows (state is column-major: s[4c + r + 1])
        local t = {}
        for c = 0, 3 do
            for r = 0, 3 do
                t[4 * c + r + 1] = S(s[4 * ((c + r) % 4) + r + 1])
            end
        end
        if round < 10 then
            -- MixColumns
            for c = 0, 3 do
                local a0, a1, a2, a3 = t[4 * c + 1], t[4 * c + 2], t[4 * c + 3], t[4 * c + 4]
                local all = bxor(a0, a1, a2, a3)
                t[4 * c + 1] = bxor(a0, all, xtime(bxor(a0, a1)))
                t[4 * c + 2] = bxor(a1, all, xtime(bxor(a1, a2)))
                t[4 * c + 3] = bxor(a2, all, xtime(bxor(a2, a3)))
                t[4 * c + 4] = bxor(a3, all, xtime(bxor(a3, a0)))
            end
        end
        local base = 16 * round
        for i = 1, 16 do s[i] = bxor(t[i], w[base + i]) end
    end
    return s
end

-- ---------------------------------------------------------------------------------------------
-- AES-128-CCM decryption with a 13-byte nonce, 16-byte tag (RFC 3610). Returns the plaintext
-- (array) when the tag verifies, else nil.

local function ccm_decrypt(w, nonce, aad, data)
    local tag_len = 16
    local n = #data - tag_len
    if n < 0 or #aad >= 0xff00 then return nil end
    local function counter_block(i)
        local a = { 1 } -- flags: L - 1 = 1
        for k = 1, 13 do a[k + 1] = nonce[k] end
        a[15], a[16] = rshift(i, 8) % 256, i % 256
        return a
    end
    -- CTR: plaintext
    local plain = {}
    local block_index = 1
    for off = 0, n - 1, 16 do
        local s = encrypt_block(w, counter_block(block_index))
        block_index = block_index + 1
        for k = 1, math.min(16, n - off) do
            plain[off + k] = bxor(data[off + k], s[k])
        end
    end
    -- CBC-MAC over B0, the encoded AAD and the plaintext
    local b0 = { bor(#aad > 0 and 0x40 or 0, lshift((tag_len - 2) / 2, 3), 1) }
    for k = 1, 13 do b0[k + 1] = nonce[k] end
    b0[15], b0[16] = rshift(n, 8) % 256, n % 256
    local x = encrypt_block(w, b0)
    local function absorb(bytes)
        for off = 0, #bytes - 1, 16 do
            local b = {}
            for k = 1, 16 do b[k] = bxor(x[k], bytes[off + k] or 0) end
            x = encrypt_block(w, b)
        end
    end
    if #aad > 0 then
        local a = { rshift(#aad, 8) % 256, #aad % 256 }
        for k = 1, #aad do a[k + 2] = aad[k] end
        absorb(a)
    end
    absorb(plain)
    local s0 = encrypt_block(w, counter_block(0))
    for k = 1, tag_len do
        if bxor(x[k], s0[k]) ~= data[n + k] then return nil end
    end
    return plain
end

-- ---------------------------------------------------------------------------------------------
-- The key log

local keylog = { path = nil, entries = {} }

local function hex_bytes(hex)
    local out = {}
    for i = 1, #hex, 2 do
        local v = tonumber(hex:sub(i, i + 1), 16)
        if not v then return nil end
        out[#out + 1] = v
    end
    return out
end

-- The 8 nonce bytes (little-endian) of a node id written as 16 hex digits.
local function node_le(hex)
    local be = hex_bytes(hex)
    if not be or #be ~= 8 then return nil end
    local le = {}
    for i = 1, 8 do le[i] = be[9 - i] end
    return le
end

local function load_keylog()
    local path = matter.prefs.keylog_file
    if path == keylog.path then return end
    keylog.path, keylog.entries = path, {}
    if path == nil or path == "" then return end
    local file = io.open(path, "r")
    if not file then return end
    local number = 0
    for line in file:lines() do
        number = number + 1
        if line:match("^MATTER_SESSION%s") then
            local e = { line = number }
            for k, v in line:gmatch("(%S+)=(%S+)") do e[k] = v end
            local i2r, r2i = hex_bytes(e.I2R or ""), hex_bytes(e.R2I or "")
            local inode, rnode = node_le(e.initiator_node or ""), node_le(e.responder_node or "")
            local isid, rsid = tonumber(e.initiator_sid or ""), tonumber(e.responder_sid or "")
            if i2r and #i2r == 16 and r2i and #r2i == 16 and inode and rnode and isid and rsid then
                keylog.entries[#keylog.entries + 1] = {
                    line = number, initiator_sid = isid, responder_sid = rsid,
                    initiator_node = inode, responder_node = rnode,
                    i2r = expand_key(i2r), r2i = expand_key(r2i),
                }
            end
        end
    end
    file:close()
end

-- Tries every key log entry naming `session_id`: returns plaintext array and line number.
-- Without a match, the third result says whether some entry named the session (the message
-- is then `[undecryptable]`, not merely `[encrypted]`).
local function decrypt(session_id, security_flags, counter_bytes, aad, data)
    load_keylog()
    local named = false
    for _, e in ipairs(keylog.entries) do
        local tries = {}
        -- The header names the receiver's session: responder_sid on initiator -> responder.
        if e.responder_sid == session_id then tries[#tries + 1] = { e.i2r, e.initiator_node } end
        if e.initiator_sid == session_id then tries[#tries + 1] = { e.r2i, e.responder_node } end
        for _, t in ipairs(tries) do
            local nonce = { security_flags }
            for k = 1, 4 do nonce[#nonce + 1] = counter_bytes[k] end
            for k = 1, 8 do nonce[#nonce + 1] = t[2][k] end
            local plain = ccm_decrypt(t[1], nonce, aad, data)
            if plain then return plain, e.line end
        end
        if #tries > 0 then named = true end
    end
    return nil, nil, named
end

function matter.init()
    keylog.path = nil -- re-read on the next packet (the file or preference may have changed)
end

-- ---------------------------------------------------------------------------------------------
-- Dissection

local function range_array(range)
    local ba = range:bytes()
    local out = {}
    for i = 0, ba:len() - 1 do out[i + 1] = ba:get_index(i) end
    return out
end

-- Parses the message header; returns its length or nil when it is not a Matter header.
local function message_header_len(tvb)
    local len = tvb:len()
    if len < 8 then return nil end
    local flags = tvb(0, 1):uint()
    local sec = tvb(3, 1):uint()
    if rshift(flags, 4) ~= 0 or band(flags, 0x08) ~= 0 or band(flags, 0x03) == 3 then return nil end
    if band(sec, 0x1c) ~= 0 or band(sec, 0x03) > 1 then return nil end
    local off = 8
    if band(flags, 0x04) ~= 0 then off = off + 8 end
    local dsiz = band(flags, 0x03)
    if dsiz == 1 then off = off + 8 elseif dsiz == 2 then off = off + 2 end
    if band(sec, 0x20) ~= 0 then
        if len < off + 2 then return nil end
        off = off + 2 + tvb(off, 2):le_uint()
    end
    if len < off then return nil end
    return off
end

-- Dissects a protocol header and payload from `tvb` (plaintext); returns the info text.
local function dissect_protocol(tvb, tree)
    if tvb:len() < 6 then
        tree:add_proto_expert_info(e_malformed, "protocol header truncated")
        return "[malformed]"
    end
    local xflags = tvb(0, 1):uint()
    local ftree = tree:add(f.exchange_flags, tvb(0, 1))
    for _, fl in ipairs({ f.flag_i, f.flag_a, f.flag_r, f.flag_sx, f.flag_v }) do ftree:add(fl, tvb(0, 1)) end
    local opcode = tvb(1, 1):uint()
    local exchange_id = tvb(2, 2):le_uint()
    local off = 4
    local vendor = 0
    if band(xflags, 0x10) ~= 0 then
        vendor = tvb(off, 2):le_uint()
        tree:add_le(f.vendor_id, tvb(off, 2))
        off = off + 2
    end
    if tvb:len() < off + 2 then
        tree:add_proto_expert_info(e_malformed, "protocol id truncated")
        return "[malformed]"
    end
    local protocol_id = tvb(off, 2):le_uint()
    local proto_range = tvb(off, 2)
    off = off + 2
    local name_table = vendor == 0 and opcode_names[protocol_id] or nil
    local opname = name_table and name_table[opcode] or string.format("0x%02x", opcode)
    local short = vendor == 0 and protocol_short[protocol_id] or string.format("%04x:%04x", vendor, protocol_id)
    tree:add(f.opcode, tvb(1, 1))
    tree:add_le(f.exchange_id, tvb(2, 2))
    tree:add_le(f.protocol_id, proto_range)
    tree:add(f.protocol, proto_range, vendor == 0 and protocol_long[protocol_id] or short)
    local ack = nil
    if band(xflags, 0x02) ~= 0 then
        if tvb:len() < off + 4 then
            tree:add_proto_expert_info(e_malformed, "ack counter truncated")
            return "[malformed]"
        end
        ack = tvb(off, 4):le_uint()
        tree:add_le(f.ack_counter, tvb(off, 4))
        off = off + 4
    end
    if band(xflags, 0x08) ~= 0 and tvb:len() >= off + 2 then
        local n = tvb(off, 2):le_uint()
        if tvb:len() >= off + 2 + n then
            tree:add(f.secured_extensions, tvb(off, 2 + n))
            off = off + 2 + n
        end
    end
    local rest = tvb:len() - off
    if vendor == 0 and protocol_id == 0 and opcode == 0x40 and rest >= 8 then
        local general = tvb(off, 2):le_uint()
        -- general code (2), protocol id (4: id then vendor id), protocol code (2)
        local sp_id = tvb(off + 2, 2):le_uint()
        local sp_vendor = tvb(off + 4, 2):le_uint()
        local code = tvb(off + 6, 2):le_uint()
        local detail
        if sp_vendor == 0 and sp_id == 0 then
            detail = secure_channel_status[code] or "Unknown"
        else
            detail = general_codes[general] or "UNKNOWN"
        end
        opname = opname .. "(" .. detail .. ")"
        local st = tree:add(f.status_name, tvb(off, rest), detail)
        st:add_le(f.status_general, tvb(off, 2))
        st:add_le(f.status_protocol, tvb(off + 2, 4))
        st:add_le(f.status_code, tvb(off + 6, 2))
        if rest > 8 then st:add(f.status_data, tvb(off + 8, rest - 8)) end
    elseif rest > 0 then
        tree:add(f.app_payload, tvb(off, rest))
    end
    tree:add(f.opcode_name, tvb(1, 1), opname)
    local flag = function(on, c) return on and c or "-" end
    local text = string.format("x=%d %s%s%s", exchange_id, flag(band(xflags, 1) ~= 0, "I"),
        flag(ack ~= nil, "A"), flag(band(xflags, 4) ~= 0, "R"))
    if ack then text = text .. string.format(" a=%d", ack) end
    return text .. " " .. short .. "/" .. opname
end

local function dissect(tvb, pinfo, root)
    local header_len = message_header_len(tvb)
    pinfo.cols.protocol = "Matter"
    local tree = root:add(matter, tvb())
    if not header_len then
        -- On the Matter port: a datagram whose message header does not parse (the trace's
        -- `s=0 c=0 [malformed]`).
        tree:add_proto_expert_info(e_malformed, "message header does not parse")
        pinfo.cols.info = "s=0 c=0 [malformed]"
        return tvb:len()
    end
    local flags_tree = tree:add(f.message_flags, tvb(0, 1))
    flags_tree:add(f.version, tvb(0, 1))
    flags_tree:add(f.source_present, tvb(0, 1))
    flags_tree:add(f.dsiz, tvb(0, 1))
    tree:add_le(f.session_id, tvb(1, 2))
    local sec_tree = tree:add(f.security_flags, tvb(3, 1))
    for _, fl in ipairs({ f.privacy, f.control, f.extensions, f.session_type }) do sec_tree:add(fl, tvb(3, 1)) end
    tree:add_le(f.counter, tvb(4, 4))
    local flags = tvb(0, 1):uint()
    local off = 8
    if band(flags, 0x04) ~= 0 then
        tree:add_le(f.source_node, tvb(off, 8)); off = off + 8
    end
    local dsiz = band(flags, 0x03)
    if dsiz == 1 then
        tree:add_le(f.destination_node, tvb(off, 8)); off = off + 8
    elseif dsiz == 2 then
        tree:add_le(f.destination_group, tvb(off, 2)); off = off + 2
    end
    if off < header_len then tree:add(f.message_extensions, tvb(off, header_len - off)) end

    local session_id = tvb(1, 2):le_uint()
    local counter = tvb(4, 4):le_uint()
    local security_flags = tvb(3, 1):uint()
    local info = string.format("s=%d c=%d", session_id, counter)
    local body_len = tvb:len() - header_len
    if session_id == 0 and band(security_flags, 0x03) == 0 then
        if body_len > 0 then
            info = info .. " " .. dissect_protocol(tvb(header_len, body_len):tvb(), tree)
        else
            tree:add_proto_expert_info(e_malformed, "no protocol header")
            info = info .. " [malformed]"
        end
    elseif body_len < 16 then
        tree:add_proto_expert_info(e_malformed, "shorter than the MIC")
        info = info .. " [malformed]"
    else
        if body_len > 16 then tree:add(f.encrypted, tvb(header_len, body_len - 16)) end
        tree:add(f.mic, tvb(tvb:len() - 16, 16))
        local plain, line, named = decrypt(session_id, security_flags, range_array(tvb(4, 4)),
            range_array(tvb(0, header_len)), range_array(tvb(header_len, body_len)))
        if plain then
            local ba = ByteArray.new()
            ba:set_size(#plain)
            for i = 1, #plain do ba:set_index(i - 1, plain[i]) end
            local dtvb = ba:tvb("Decrypted Matter message")
            tree:add(f.decrypted, tvb(header_len, body_len), true)
            tree:add(f.keylog_line, tvb(header_len, body_len), line)
            info = info .. " " .. dissect_protocol(dtvb, tree)
        else
            tree:add(f.decrypted, tvb(header_len, body_len), false)
            if named then
                tree:add_proto_expert_info(e_undecryptable)
                info = info .. " [undecryptable]"
            else
                info = info .. " [encrypted]"
            end
        end
    end
    pinfo.cols.info = info
    return tvb:len()
end

function matter.dissector(tvb, pinfo, root)
    return dissect(tvb, pinfo, root)
end

-- A heuristic strict enough not to take other UDP traffic: a valid message header, and on the
-- unsecured session a protocol header naming a known protocol.
local function heuristic(tvb, pinfo, root)
    if not matter.prefs.heuristic then return false end
    local header_len = message_header_len(tvb)
    if not header_len then return false end
    local session_id = tvb(1, 2):le_uint()
    if session_id == 0 then
        if tvb:len() < header_len + 6 then return false end
        local xflags = tvb(header_len, 1):uint()
        if band(xflags, 0xe0) ~= 0 or band(xflags, 0x10) ~= 0 then return false end
        if protocol_short[tvb(header_len + 4, 2):le_uint()] == nil then return false end
    elseif tvb:len() < header_len + 16 + 6 then
        return false
    end
    dissect(tvb, pinfo, root)
    return true
end

DissectorTable.get("udp.port"):add(5540, matter)
matter:register_heuristic("udp", heuristic)
