#!/usr/bin/env python3
"""Write libFuzzer seed corpora from the repository's known-answer vectors.

Usage: python3 fuzz/seed_corpus.py [VECTORS_DIR]

VECTORS_DIR defaults to ../vectors relative to this script (vectors/ at the repository
root). Each seed goes to fuzz/work/<target>/<sha1 of its bytes>, so re-running is
idempotent. fuzz/work/ is not committed (its seeds are derived from vectors/, which is) and
is the directory the fuzzer writes new inputs to; the committed seeds are in fuzz/corpus/<target>/
(fuzz/make_seeds.py). Standard library only.

Targets and sources:
  decode_message        `encoded` of every message_codec.json case (valid and invalid) and
                        every `datagram_hex` in the matterjs_*_transcript.json files
  decode_tlv            `encoded` of every tlv.json case, and the TLV `payload_hex` of
                        transcript messages that are not StatusReports
  decode_status_report  `encoded`/`status_report` of status_report.json cases and the
                        payload of transcript StatusReport messages
  decode_cert           `matter_tlv` of every chip_certificates.json certificate case (valid
                        and malformed) and the `noc`/`icac`/`rcac` of its chain cases
"""

import hashlib
import json
import sys
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
DEFAULT_VECTORS = SCRIPT_DIR / ".." / "vectors"
CORPUS_DIR = SCRIPT_DIR / "work"

SECURE_CHANNEL = 0
STATUS_REPORT_OPCODE = 0x40


def load(vectors, name):
    path = vectors / name
    if not path.is_file():
        print(f"skipping {name}: not found in {vectors}", file=sys.stderr)
        return None
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def hex_bytes(value):
    if not isinstance(value, str):
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def cases(doc):
    return doc.get("cases", []) if isinstance(doc, dict) else []


def transcript_messages(node):
    """Yield every dict holding a `datagram_hex`, however deep it sits."""
    if isinstance(node, dict):
        if "datagram_hex" in node:
            yield node
        for value in node.values():
            yield from transcript_messages(value)
    elif isinstance(node, list):
        for value in node:
            yield from transcript_messages(value)


def is_status_report(message):
    header = message.get("header") or {}
    return (
        header.get("protocolId") == SECURE_CHANNEL
        and header.get("opcode") == STATUS_REPORT_OPCODE
    )


def collect(vectors):
    seeds = {
        "decode_message": [],
        "decode_tlv": [],
        "decode_status_report": [],
        "decode_cert": [],
    }

    codec = load(vectors, "message_codec.json")
    for case in cases(codec):
        seeds["decode_message"].append(hex_bytes(case.get("encoded")))

    tlv = load(vectors, "tlv.json")
    for case in cases(tlv):
        seeds["decode_tlv"].append(hex_bytes(case.get("encoded")))

    status = load(vectors, "status_report.json")
    for case in cases(status):
        seeds["decode_status_report"].append(hex_bytes(case.get("encoded")))
        seeds["decode_status_report"].append(hex_bytes(case.get("status_report")))
        seeds["decode_message"].append(hex_bytes(case.get("encoded_protocol_message")))

    certs = load(vectors, "chip_certificates.json")
    for case in cases(certs):
        for field in ("matter_tlv", "noc", "icac", "rcac"):
            seeds["decode_cert"].append(hex_bytes(case.get(field)))

    for name in sorted(p.name for p in vectors.glob("matterjs_*_transcript.json")):
        for message in transcript_messages(load(vectors, name)):
            seeds["decode_message"].append(hex_bytes(message.get("datagram_hex")))
            payload = hex_bytes(message.get("payload_hex"))
            target = "decode_status_report" if is_status_report(message) else "decode_tlv"
            seeds[target].append(payload)

    return {target: [s for s in found if s is not None] for target, found in seeds.items()}


def write(seeds):
    for target, inputs in sorted(seeds.items()):
        out = CORPUS_DIR / target
        out.mkdir(parents=True, exist_ok=True)
        names = set()
        for data in inputs:
            name = hashlib.sha1(data).hexdigest()
            names.add(name)
            (out / name).write_bytes(data)
        print(f"{target}: {len(names)} seeds in {out}")


def main(argv):
    if len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    vectors = Path(argv[1]) if len(argv) == 2 else DEFAULT_VECTORS
    if not vectors.is_dir():
        print(f"vectors directory not found: {vectors}", file=sys.stderr)
        return 1
    write(collect(vectors.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
