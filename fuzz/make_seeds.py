#!/usr/bin/env python3
"""Write the committed seed corpora of the fuzz targets to fuzz/corpus/<target>/.

Usage: python3 fuzz/make_seeds.py

The targets decode their input with `arbitrary` 1.5 (see fuzz/Cargo.lock), so a seed is the
byte string that decodes to a chosen `Input`. The encoding used here mirrors that crate:
integers are little-endian and read from the front; a bool is one byte (low bit); an Option
is a bool then the value; a Vec is, per element, a 1 byte followed by the element, then a 0
byte; an enum variant i of n is the u32 v with (v * n) >> 32 == i, then its fields in order.
Each seed describes one honest or hostile scenario (the names say which), so the fuzzer
starts from inputs that already reach deep states. Nothing here comes from the vectors.
Re-running rewrites the same files (fuzzer findings merged into corpus/ beside them stay).
Standard library only. `cargo fuzz fmt -s none <target>
corpus/<target>/<file>` (from fuzz/) prints what a seed decodes to.

`parse_scenario` takes scenario text, not `arbitrary` input: its seeds are copies of every
scenario file (scenarios/**/*.yaml: library, hostile, regressions, conformance, interop) and of
the test fixtures (tests/fixtures/*.yaml), valid and invalid, a few hand-written broken files,
and the explore generator's scenarios. The byte-input targets (decode_im, handshake_messages)
get a selector byte and a payload built with the small TLV writer below.

Steps that need the Rust code run through cargo from the repository root: `paseo run
<scenario> --pcap` for node_datagrams' genuine datagrams, and `cargo run --example
fuzz_seeds` (examples/fuzz_seeds.rs) for the explore scenarios and decode_cert's genuine
fixture certificates. It also writes dict/parse_scenario.dict from the scenario files.
"""

import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent / "corpus"
REPO_DIR = Path(__file__).resolve().parent.parent


# ----- the arbitrary 1.5 encoding ---------------------------------------------------------------


def u8(v):
    return struct.pack("<B", v)


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def boolean(v):
    return b"\x01" if v else b"\x00"


def option(value):
    """`value` is None or already-encoded bytes."""
    return b"\x00" if value is None else b"\x01" + value


def vec(items):
    """`items` are already-encoded elements."""
    return b"".join(b"\x01" + item for item in items) + b"\x00"


def byte_vec(data):
    return vec([u8(b) for b in data])


def variant(index, count, *fields):
    # Smallest v with (v * count) >> 32 == index.
    v = (index * (1 << 32) + count - 1) // count
    assert (v * count) >> 32 == index
    return u32(v) + b"".join(fields)


# ----- decode_secure_message ---------------------------------------------------------------------


def dsm_send(opcode, exchange, reliable, payload, mutation=None):
    return variant(0, 4, u8(opcode), u16(exchange), boolean(reliable), byte_vec(payload), option(mutation))


def dsm_replay(index, mutation=None):
    return variant(1, 4, u16(index), option(mutation))


def dsm_raw(data):
    return variant(2, 4, byte_vec(data))


def dsm_forged(counter, body):
    return variant(3, 4, u32(counter), byte_vec(body))


def mut_flip(at, mask):
    return variant(0, 6, u16(at), u8(mask))


def mut_truncate(length):
    return variant(1, 6, u16(length))


def mut_counter(counter):
    return variant(3, 6, u32(counter))


def mut_session(session):
    return variant(4, 6, u16(session))


def dsm_input(pase, counter_start, actions):
    return boolean(pase) + u32(counter_start) + vec(actions)


def decode_secure_message():
    read = b"\x15\x24\x00\x01\x18"
    return {
        "in_order_then_replays": dsm_input(
            False,
            1,
            [dsm_send(2, 7, True, read), dsm_send(5, 7, False, b""), dsm_replay(0), dsm_replay(1)],
        ),
        "mutated_copies": dsm_input(
            True,
            0x100,
            [
                dsm_send(2, 1, True, read, mut_flip(30, 0x01)),
                dsm_replay(0, mut_truncate(20)),
                dsm_replay(0, mut_counter(0x101)),
                dsm_replay(0, mut_session(0x0A0A)),
                dsm_replay(0),
            ],
        ),
        "near_exhaustion": dsm_input(
            False, 0xFFFF_FFFE, [dsm_send(1, 2, True, b"a"), dsm_send(1, 2, True, b"b"), dsm_send(1, 2, True, b"c")]
        ),
        "forged_and_raw": dsm_input(
            False, 5, [dsm_forged(6, bytes(range(40))), dsm_raw(b"\x00\x0b\x0b\x00\x06\x00\x00\x00"), dsm_send(3, 3, True, b"x")]
        ),
    }


# ----- pase_initiator / pase_responder / case_initiator / case_responder ------------------------


def honest(flip=None):
    return variant(0, 2, option(None if flip is None else u16(flip[0]) + u8(flip[1])))


def raw_message(opcode, payload):
    return variant(1, 2, u8(opcode), byte_vec(payload))


BUSY = bytes.fromhex("0800" "00000000" "0400" "e803")  # StatusReport BUSY/Busy, wait 1000 ms (Matter 1.3 Appendix D)


def pase_initiator():
    def make(right, actions):
        return boolean(right) + vec(actions)

    return {
        "honest": make(True, [honest()] * 3),
        "wrong_passcode": make(False, [honest()] * 3),
        "flipped_pake2": make(True, [honest(), honest((9, 0x40)), honest()]),
        "flipped_response": make(True, [honest((17, 0x01)), honest(), honest()]),
        "busy": make(True, [raw_message(0x40, BUSY)]),
    }


def pase_responder():
    def make(actions):
        return vec(actions)

    return {
        "honest": make([honest()] * 3),
        "flipped_request": make([honest((3, 0x01)), honest(), honest()]),
        "flipped_pake1": make([honest(), honest((30, 0x02)), honest()]),
        "flipped_pake3": make([honest(), honest(), honest((10, 0x80))]),
        "raw_pake1_first": make([raw_message(0x22, b"\x15\x30\x01\x41\x04" + bytes(64) + b"\x18"), honest()]),
    }


def inner(flip):
    return option(None if flip is None else u16(flip[0]) + u8(flip[1]))


def case_initiator():
    def make(resume, remembers, actions, inner_flip=None):
        return boolean(resume) + boolean(remembers) + inner(inner_flip) + vec(actions)

    return {
        "full": make(False, False, [honest()] * 2),
        "resumption": make(True, True, [honest()]),
        "resumption_falls_back": make(True, False, [honest()] * 2),
        "flipped_sigma2": make(False, False, [honest((200, 0x08)), honest()]),
        "flipped_resume_mic": make(True, True, [honest((20, 0x01))]),
        "busy": make(False, False, [raw_message(0x40, BUSY)]),
        # TBEData2 resealed with a flipped byte: in the NOC, in the signature, in the resumption id.
        "inner_noc": make(False, False, [honest()] * 2, (40, 0x04)),
        "inner_signature": make(False, False, [honest()] * 2, (0xFFC0, 0x01)),
        "inner_resumption_id": make(False, False, [honest()] * 2, (0xFFFA, 0x20)),
    }


def case_responder():
    def make(resume, actions, inner_flip=None):
        return boolean(resume) + inner(inner_flip) + vec(actions)

    return {
        "full": make(False, [honest()] * 2),
        "resumption": make(True, [honest()] * 2),
        "flipped_sigma1": make(False, [honest((50, 0x10)), honest()]),
        "flipped_sigma3": make(False, [honest(), honest((60, 0x01))]),
        "inner_noc": make(False, [honest()] * 2, (40, 0x04)),
        "inner_signature": make(False, [honest()] * 2, (0xFFC0, 0x01)),
        "inner_tags": make(False, [honest()] * 2, (0, 0x02)),
        "raw_sigma3_first": make(False, [raw_message(0x32, b"\x15\x31\x01\x10" + bytes(16) + b"\x18")]),
    }


# ----- Matter TLV, for the decoder seeds ---------------------------------------------------------


def t_ctx(tag, control, body):
    """One context-tagged element (tag 0..255), or anonymous when tag is None."""
    return (bytes([control]) if tag is None else bytes([0x20 | control, tag])) + body


def t_uint(tag, v):
    for control, fmt in ((0x04, "<B"), (0x05, "<H"), (0x06, "<I"), (0x07, "<Q")):
        if v < 1 << (8 * struct.calcsize(fmt)):
            return t_ctx(tag, control, struct.pack(fmt, v))
    raise ValueError(v)


def t_bool(tag, v):
    return t_ctx(tag, 0x09 if v else 0x08, b"")


def t_bytes(tag, data):
    return t_ctx(tag, 0x10, u8(len(data)) + data) if len(data) < 256 else t_ctx(tag, 0x11, u16(len(data)) + data)


def t_utf8(tag, text):
    return t_ctx(tag, 0x0C, u8(len(text)) + text.encode())


def t_struct(tag, *members):
    return t_ctx(tag, 0x15, b"".join(members) + b"\x18")


def t_array(tag, *members):
    return t_ctx(tag, 0x16, b"".join(members) + b"\x18")


def t_list(tag, *members):
    return t_ctx(tag, 0x17, b"".join(members) + b"\x18")


def session_params():
    return t_struct(1, t_uint(1, 500), t_uint(2, 300), t_uint(3, 4000), t_uint(4, 17), t_uint(5, 11), t_uint(6, 0x01030000), t_uint(7, 1))


def handshake_messages():
    """Selector byte (the decoder, see the target) + payload."""
    key = b"\x04" + bytes(range(64))
    params = session_params()
    tbe = t_struct(None, t_bytes(1, bytes(200)), t_bytes(2, bytes(180)), t_bytes(3, bytes(64)), t_bytes(4, bytes(16)))
    return {
        "pbkdf_request": u8(0) + t_struct(None, t_bytes(1, bytes(32)), t_uint(2, 0x1234), t_uint(3, 0), t_bool(4, False), params.replace(b"\x35\x01", b"\x35\x05", 1)),
        "pbkdf_response": u8(1) + t_struct(None, t_bytes(1, bytes(32)), t_bytes(2, bytes(32)), t_uint(3, 0x4321), t_struct(4, t_uint(1, 1000), t_bytes(2, bytes(16)))),
        "pake1": u8(2) + t_struct(None, t_bytes(1, key)),
        "pake2": u8(3) + t_struct(None, t_bytes(1, key), t_bytes(2, bytes(32))),
        "pake3": u8(4) + t_struct(None, t_bytes(1, bytes(32))),
        "sigma1_resume": u8(5) + t_struct(None, t_bytes(1, bytes(32)), t_uint(2, 7), t_bytes(3, bytes(32)), t_bytes(4, key), params.replace(b"\x35\x01", b"\x35\x05", 1), t_bytes(6, bytes(16)), t_bytes(7, bytes(16))),
        "sigma2": u8(6) + t_struct(None, t_bytes(1, bytes(32)), t_uint(2, 9), t_bytes(3, key), t_bytes(4, bytes(300))),
        "sigma3": u8(7) + t_struct(None, t_bytes(1, bytes(300))),
        "sigma2_resume": u8(8) + t_struct(None, t_bytes(1, bytes(16)), t_bytes(2, bytes(16)), t_uint(3, 11)),
        "tbe_data2": u8(9) + tbe,
        "tbe_data3": u8(10) + t_struct(None, t_bytes(1, bytes(200)), t_bytes(3, bytes(64))),
        "tbs_data": u8(11) + t_struct(None, t_bytes(1, bytes(200)), t_bytes(3, key), t_bytes(4, key)),
        "session_parameters": u8(12) + params.replace(b"\x35\x01", b"\x15", 1),
    }


def command_path(tag, endpoint, cluster, command):
    return t_list(tag, t_uint(0, endpoint), t_uint(1, cluster), t_uint(2, command))


def invoke_response(path, fields):
    return t_struct(None, t_bool(0, False), t_array(1, t_struct(None, t_struct(0, path, fields))), t_uint(0xFF, 12))


def decode_im():
    """Selector byte (0 InvokeResponse, 1 ReportData, 2 StatusResponse, 3 NOCSRElements) + payload."""
    nocsr = t_struct(None, t_bytes(1, b"\x30\x81\xca" + bytes(202)), t_bytes(2, bytes(32)))
    status_ib = t_struct(None, t_struct(1, command_path(0, 0, 0x3E, 0x0B), t_struct(1, t_uint(0, 0x7E), t_uint(1, 3))))
    attribute_path = t_list(1, t_uint(2, 1), t_uint(3, 6), t_uint(4, 0))
    return {
        "arm_fail_safe_response": u8(0) + invoke_response(command_path(0, 0, 0x30, 1), t_struct(1, t_uint(0, 0), t_utf8(1, ""))),
        "commissioning_complete_response": u8(0) + invoke_response(command_path(0, 0, 0x30, 5), t_struct(1, t_uint(0, 2), t_utf8(1, "busy"))),
        "csr_response": u8(0) + invoke_response(command_path(0, 0, 0x3E, 5), t_struct(1, t_bytes(0, nocsr), t_bytes(1, bytes(64)))),
        "noc_response": u8(0) + invoke_response(command_path(0, 0, 0x3E, 8), t_struct(1, t_uint(0, 0), t_uint(1, 1), t_utf8(2, "ok"))),
        "command_status": u8(0) + t_struct(None, t_bool(0, False), t_array(1, status_ib)),
        "report_on_off": u8(1) + t_struct(None, t_uint(0, 7), t_array(1, t_struct(None, t_struct(1, t_uint(0, 7), attribute_path, t_bool(2, True)))), t_bool(4, True), t_uint(0xFF, 12)),
        "report_status": u8(1) + t_struct(None, t_array(1, t_struct(None, t_struct(0, attribute_path.replace(b"\x37\x01", b"\x37\x00", 1), t_struct(1, t_uint(0, 0x86)))))),
        "report_struct_value": u8(1) + t_struct(None, t_array(1, t_struct(None, t_struct(1, attribute_path, t_struct(2, t_uint(1, 5), t_utf8(2, "x"), t_array(3, t_uint(None, 1))))))),
        "status_response": u8(2) + t_struct(None, t_uint(0, 0x7E), t_uint(0xFF, 12)),
        "nocsr_elements": u8(3) + nocsr,
    }


def pase_verifier():
    def built(w0, w1, flip=None):
        return variant(1, 2, bytes(w0), u8(w1), option(None if flip is None else u8(flip[0]) + u8(flip[1])))

    one = [0] * 31 + [1]
    n = list(bytes.fromhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"))
    return {
        "built": built(range(1, 33), 4),
        "built_flipped_l": built(range(1, 33), 5, (40, 0x01)),
        "built_flipped_prefix": built(range(1, 33), 2, (32, 0x02)),
        "w0_one": built(one, 0),
        "w0_zero": built([0] * 32, 1),
        "w0_n": built(n, 3),
        "raw": variant(0, 2, byte_vec(bytes(range(97)))),
    }


def parse_csr():
    # O=CSR, as matter.js sends: SET { SEQUENCE { OID 2.5.4.10, UTF8String "CSR" } }.
    subject = bytes.fromhex("310c300a060355040a0c03435352")

    def built(version, subject, attributes, flip=None):
        return variant(
            2, 3, u8(version), byte_vec(subject), option(None if attributes is None else byte_vec(attributes)), option(None if flip is None else u16(flip[0]) + u8(flip[1]))
        )

    return {
        "genuine": built(0, subject, b""),
        "genuine_without_attributes": built(0, subject, None),
        "genuine_with_attribute": built(0, subject, bytes.fromhex("300d06092a864886f70d01090e3100")),
        "version_1": built(1, subject, b""),
        "flipped_subject": built(0, subject, b"", (12, 0x01)),
        "flipped_signature": built(0, subject, b"", (0xFFF0, 0x04)),
        "flipped_key": built(0, subject, b"", (60, 0x80)),
        "raw": variant(0, 3, byte_vec(bytes.fromhex("3081ca3070020100"))),
        "genuine_flipped_version": variant(1, 3, u8(0), u16(7), u8(0x01)),
        "genuine_flipped_attributes": variant(1, 3, u8(1), u16(0xFFA0), u8(0x10)),
        "genuine_intact": variant(1, 3, u8(2), u16(0), u8(0)),
    }


def store_file():
    def record(rid, fabric_id, node, cats, paseo):
        return bytes([rid] * 16) + bytes(range(32)) + u8(1) + u64(fabric_id) + u64(node) + vec([u32(c) for c in cats]) + boolean(paseo)

    def value_records(records, flip=None):
        return variant(1, 2, vec(records), option(None if flip is None else u16(flip[0]) + u8(flip[1])))

    def entries(version, items, resumption=None):
        pairs = [byte_vec(k) + byte_vec(v) for k, v in items]
        return variant(2, 3, u16(version), vec(pairs), option(resumption))

    def make(image, leftover=None, new_value=b"v"):
        return image + option(None if leftover is None else byte_vec(leftover)) + byte_vec(new_value)

    records = [record(1, 0xFAB1, 0x1111, [0x00010001], True), record(2, 0xFAB2, 0x2222, [], False)]
    return {
        "records": make(entries(2, [(b"fabrics", b"\x15\x18")], value_records(records))),
        "records_flipped": make(entries(2, [], value_records(records, (5, 0x01)))),
        "raw_value": make(entries(2, [(b"a", b"1")], variant(0, 2, byte_vec(b"\x15\x24\x00\x02\x18")))),
        "unsorted_keys": make(entries(2, [(b"b", b"1"), (b"a", b"2")])),
        "duplicate_keys": make(entries(2, [(b"a", b"1"), (b"a", b"2")])),
        "invalid_key": make(entries(2, [(b"a/b", b"1"), (b"\xff", b"2")])),
        "version_3": make(entries(3, [(b"a", b"1")])),
        "empty_with_leftover": make(entries(2, []), leftover=b"PASEOSTR"),
        "sealed": make(variant(1, 3, byte_vec(b"\x01\x00\x01\x00\x00\x00\x01\x00a"))),
        "raw": make(variant(0, 3, byte_vec(b"PASEOSTR\x01\x00"))),
    }


# ----- node_datagrams ----------------------------------------------------------------------------

# Template variants: PbkdfRequest, Sigma1, Sigma1Resume, CloseSession, Success.
PBKDF_REQUEST, SIGMA1, SIGMA1_RESUME, CLOSE_SESSION, SUCCESS = range(5)


def body_raw(data):
    return variant(0, 3, byte_vec(data))


def body_template(which):
    return variant(1, 3, variant(which, 5))


def body_flipped(which, at, mask):
    return variant(2, 3, variant(which, 5), u16(at), u8(mask))


def header(secure_channel, opcode, exchange, initiator=True, reliable=True, ack=None):
    return (
        boolean(secure_channel)
        + u8(opcode)
        + u8(exchange)
        + boolean(initiator)
        + boolean(reliable)
        + option(None if ack is None else u32(ack))
    )


def nd_raw(source, data):
    return variant(0, 9, u8(source), byte_vec(data))


def nd_unsecured(source, node, counter, hdr, body, as_initiator=True):
    return variant(1, 9, u8(source), u8(node), boolean(as_initiator), u32(counter), hdr, body)


def nd_continue(opcode, body, reliable=True, ack_latest=True):
    return variant(2, 9, u8(opcode), boolean(reliable), boolean(ack_latest), body)


def nd_secure(source, hdr, body):
    return variant(3, 9, u8(source), hdr, body)


def nd_replay(source, index):
    return variant(4, 9, u8(source), u16(index))


def nd_reflect(index):
    return variant(5, 9, u16(index))


def nd_timeout(ms):
    return variant(6, 9, u16(ms))


REINSTALL = variant(7, 9)
TOGGLE_WINDOW = variant(8, 9)


def node_datagrams():
    def make(seed, ignore, actions):
        return u64(seed) + boolean(ignore) + vec(actions)

    pbkdf = header(True, 0x20, 1)
    sigma1 = header(True, 0x30, 2)
    im_read = header(False, 0x02, 3)
    return {
        "pase_request_then_garbage_pake1": make(
            1, False, [nd_unsecured(1, 1, 100, pbkdf, body_template(PBKDF_REQUEST)), nd_continue(0x22, body_raw(b"\x15\x30\x01\x41\x04\x18")), nd_timeout(3000)]
        ),
        "resumption_with_forged_success": make(
            2, False, [nd_unsecured(2, 2, 200, sigma1, body_template(SIGMA1_RESUME)), nd_continue(0x40, body_template(SUCCESS))]
        ),
        "sigma1_flood": make(
            3,
            False,
            [nd_unsecured(i, i, 300 + i, header(True, 0x30, i), body_template(SIGMA1)) for i in range(5)] + [nd_timeout(60000)] * 3,
        ),
        "secure_traffic_replayed_and_closed": make(
            4,
            True,
            [
                nd_secure(0, im_read, body_raw(b"\x15\x18")),
                nd_replay(1, 0),
                nd_secure(0, header(True, 0x40, 4), body_template(CLOSE_SESSION)),
                nd_replay(0, 0),
                REINSTALL,
                nd_secure(0, im_read, body_raw(b"\x15\x18")),
            ],
        ),
        "reflections_and_window": make(
            5,
            False,
            [nd_unsecured(3, 3, 400, pbkdf, body_template(PBKDF_REQUEST)), nd_reflect(0), TOGGLE_WINDOW, nd_unsecured(4, 4, 500, pbkdf, body_flipped(PBKDF_REQUEST, 7, 0x10)), nd_raw(5, b"\x00\x00\x00\x00")],
        ),
    }


def read_pcap(path):
    """UDP payloads of a classic pcap with link type RAW (101) and IPv6, as `paseo run --pcap`
    writes them (sim/src/trace/pcap.rs)."""
    data = path.read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4 and linktype == 101, (hex(magic), linktype)
    out, at = [], 24
    while at + 16 <= len(data):
        caplen = struct.unpack("<I", data[at + 8 : at + 12])[0]
        packet = data[at + 16 : at + 16 + caplen]
        at += 16 + caplen
        if packet[:1] and packet[0] >> 4 == 6 and packet[6] == 17:
            out.append(packet[40 + 8 :])
    return out


def genuine_datagrams():
    """node_datagrams seeds: the datagrams each library scenario's run sends (`paseo run
    --pcap`), delivered raw from rotating sources. They were sealed with other keys than the
    target's node holds, so the secure ones exercise header parsing and the refusals; the
    unsecured handshake messages reach the handshake dispatch."""
    seeds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(REPO_DIR.glob("scenarios/*.yaml")):
            pcap = Path(tmp) / f"{path.stem}.pcap"
            subprocess.run(
                ["cargo", "run", "-q", "--", "run", str(path), "--pcap", str(pcap)],
                cwd=REPO_DIR,
                stdout=subprocess.DEVNULL,
                check=False,
            )
            if not pcap.is_file():
                print(f"no capture for {path.name}", file=sys.stderr)
                continue
            datagrams = read_pcap(pcap)[:48]
            actions = [nd_raw(i % 8, d) for i, d in enumerate(datagrams)] + [nd_timeout(3000)]
            seeds[f"trace-{path.stem}"] = u64(1) + boolean(False) + vec(actions)
    return seeds


def rust_seeds():
    """Seeds only the Rust code can make (examples/fuzz_seeds.rs): the explore generator's
    scenario files and decode_cert's genuine fixture certificates."""
    subprocess.run(["cargo", "run", "-q", "--example", "fuzz_seeds", "--", str(SEEDS_DIR)], cwd=REPO_DIR, check=True)


def parse_scenario():
    """Scenario files of the repository and a few broken ones (file name -> bytes)."""
    seeds = {}
    for pattern in ("scenarios/**/*.yaml", "tests/fixtures/*.yaml"):
        for path in sorted(REPO_DIR.glob(pattern)):
            prefix = path.parent.relative_to(REPO_DIR).as_posix().replace("/", "-")
            seeds[f"{prefix}-{path.name}"] = path.read_bytes()
    seeds["broken-unclosed-flow"] = b"name: x\ndescription: y\nnodes: [{name: a, role: device\n"
    seeds["broken-anchors"] = (
        b"name: &n x\ndescription: *n\nnodes:\n  - &a {name: ctrl, role: commissioner}\n"
        b"  - *a\nsteps:\n  - wait: 1ms\n"
    )
    seeds["broken-units"] = (
        b"name: u\ndescription: d\nnetwork: {latency: 5ms..1ms, loss: 101%, reorder: -3ms}\n"
        b"nodes: [{name: c, role: commissioner}, {name: d, role: device, passcode: 11111111}]\n"
        b"steps:\n  - pair: {commissioner: c, device: dd}\n  - expect: {within: 1y}\n"
    )
    seeds["nested-steps"] = (
        b"name: n\ndescription: d\nnodes: [{name: c, role: commissioner}, {name: d, role: device}]\n"
        b"steps:\n  - parallel:\n      - sequence:\n          - parallel: [{wait: 1ms}, {sync: d}]\n"
        b"      - exchange: {from: c, to: d, messages: 4294967295}\n"
    )
    return seeds


def scenario_dictionary():
    """libFuzzer dictionary of parse_scenario: the YAML keys and enumerated values of the
    scenario language, as the library, conformance, interop and fixture files use them."""
    keys, values = set(), set()
    for path in sorted(REPO_DIR.glob("scenarios/**/*.yaml")) + sorted(REPO_DIR.glob("tests/fixtures/*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0] + "\n"
            keys.update(m.group(1) for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_-]*)\s*:", line))
            values.update(m.group(1) for m in re.finditer(r":\s*([A-Za-z_][A-Za-z0-9_-]*)\s*[,}\n]", line))
    lines = ["# Written by make_seeds.py: keys and values of scenarios/**/*.yaml and tests/fixtures/*.yaml."]
    lines += [f'"{k}:"' for k in sorted(keys)]
    lines += [f'"{v}"' for v in sorted(values - keys) if len(v) <= 32]
    lines += ['"- "', '"\\x0a  - "', '": {"', '"[]"', '"{}"', '"ms"', '"%"', '".."', '"&a "', '"*a"', '"<<: "', '"---\\x0a"', '"~"', '"null"', '"true"']
    (SEEDS_DIR.parent / "dict" / "parse_scenario.dict").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ----- im_server ----------------------------------------------------------------------------------

# Who: Pase, OtherPase, Case.  Step: Raw, Read, Invoke, Honest, Advance.
# Honest: Arm, Csr, AddRoot, AddNoc, Complete, Remove, OnOff, Attestation, Chain.


def im_honest(who, step, flip=None):
    return variant(3, 5, variant(who, 3), step, option(flip))


def im_server():
    pase, case = 0, 2
    commission = [
        im_honest(pase, variant(0, 9, u16(60), u64(0))),
        im_honest(pase, variant(1, 9)),
        im_honest(pase, variant(2, 9)),
        im_honest(pase, variant(3, 9, boolean(True))),
    ]
    toggle = im_honest(case, variant(6, 9, u8(2)))
    return {
        # The whole flow: CommissioningComplete over CASE, then the light.
        "commission_then_toggle": vec(commission + [im_honest(case, variant(4, 9)), toggle]),
        # No CommissioningComplete: the clock passes the deadline and rolls it all back.
        "expire_before_complete": vec(commission + [variant(4, 5, u16(150)), toggle]),
    }


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    targets = {
        "decode_secure_message": decode_secure_message(),
        "pase_initiator": pase_initiator(),
        "handshake_messages": handshake_messages(),
        "decode_im": decode_im(),
        "pase_verifier": pase_verifier(),
        "parse_csr": parse_csr(),
        "store_file": store_file(),
        "pase_responder": pase_responder(),
        "case_initiator": case_initiator(),
        "case_responder": case_responder(),
        "node_datagrams": {**node_datagrams(), **genuine_datagrams()},
        "parse_scenario": parse_scenario(),
        "im_server": im_server(),
    }
    for target, seeds in sorted(targets.items()):
        out = SEEDS_DIR / target
        out.mkdir(parents=True, exist_ok=True)
        for name, data in sorted(seeds.items()):
            (out / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds in {out}")
    scenario_dictionary()
    rust_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
