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
Re-running rewrites the same files. Standard library only. `cargo fuzz fmt -s none <target>
corpus/<target>/<file>` (from fuzz/) prints what a seed decodes to.

`parse_scenario` takes scenario text, not `arbitrary` input: its seeds are copies of the
scenario library (scenarios/*.yaml, scenarios/regressions/*.yaml) and of the test fixtures
(tests/fixtures/*.yaml), valid and invalid, plus a few hand-written broken files.
"""

import struct
import sys
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


# ----- pase_initiator / case_initiator -----------------------------------------------------------


def honest(flip=None):
    return variant(0, 2, option(None if flip is None else u16(flip[0]) + u8(flip[1])))


def raw_message(opcode, payload):
    return variant(1, 2, u8(opcode), byte_vec(payload))


BUSY = bytes.fromhex("0800" "00000000" "0400" "e803")  # StatusReport BUSY/Busy, wait 1000 ms (Matter 1.3 Appendix D)


def pase_initiator():
    def make(seed, right, actions):
        return u64(seed) + boolean(right) + vec(actions)

    return {
        "honest": make(1, True, [honest()] * 3),
        "wrong_passcode": make(2, False, [honest()] * 3),
        "flipped_pake2": make(3, True, [honest(), honest((9, 0x40)), honest()]),
        "flipped_response": make(4, True, [honest((17, 0x01)), honest(), honest()]),
        "busy": make(5, True, [raw_message(0x40, BUSY)]),
    }


def case_initiator():
    def make(seed, resume, remembers, actions):
        return u64(seed) + boolean(resume) + boolean(remembers) + vec(actions)

    return {
        "full": make(1, False, False, [honest()] * 2),
        "resumption": make(2, True, True, [honest()]),
        "resumption_falls_back": make(3, True, False, [honest()] * 2),
        "flipped_sigma2": make(4, False, False, [honest((200, 0x08)), honest()]),
        "flipped_resume_mic": make(5, True, True, [honest((20, 0x01))]),
        "busy": make(6, False, False, [raw_message(0x40, BUSY)]),
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


def parse_scenario():
    """Scenario files of the repository and a few broken ones (file name -> bytes)."""
    seeds = {}
    for pattern in ("scenarios/*.yaml", "scenarios/regressions/*.yaml", "tests/fixtures/*.yaml"):
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


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    targets = {
        "decode_secure_message": decode_secure_message(),
        "pase_initiator": pase_initiator(),
        "case_initiator": case_initiator(),
        "node_datagrams": node_datagrams(),
        "parse_scenario": parse_scenario(),
    }
    for target, seeds in sorted(targets.items()):
        out = SEEDS_DIR / target
        out.mkdir(parents=True, exist_ok=True)
        for name, data in sorted(seeds.items()):
            (out / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
