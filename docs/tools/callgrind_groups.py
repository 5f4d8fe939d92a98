#!/usr/bin/env python3
"""Groups a callgrind profile's self cost (instructions, Ir) by what the code is for.

Usage: callgrind_annotate --threshold=100 callgrind.out.N | python3 docs/tools/callgrind_groups.py

Each function's *self* cost goes to the first group whose pattern its name matches, so no
instruction is counted twice; the total is the program's total. Used for the cost profile of a
simulated datagram and the crypto floor of a scenario in docs/PERFORMANCE.md.
"""
import re
import sys

GROUPS = [
    ("crypto: P-256 (p256, primeorder, elliptic-curve, crypto-bigint, ecdsa)",
     r"p256::|primeorder::|elliptic_curve::|crypto_bigint::|ecdsa::|rfc6979::"),
    ("crypto: AES-CCM", r"\baes::|\bccm::|cipher::|ctr::|aes_ccm|Aes128Ccm"),
    ("crypto: SHA-256/HMAC/HKDF/PBKDF2", r"sha2::|hmac::|hkdf::|pbkdf2::|digest::|block_buffer::"),
    ("turmoil + tokio (steps, channels, timers)", r"turmoil::|tokio::"),
    ("trace records + formatting", r"paseo_sim::trace|core::fmt|alloc::fmt|::fmt::|fmt::write|Formatter|format_inner|Display"),
    ("oracles", r"paseo_sim::oracle"),
    ("simulator driver, hosts, network", r"paseo_sim::"),
    ("paseo-core node, sessions, codec, MRP", r"paseo_core::"),
    ("allocation + memcpy", r"malloc|free|realloc|memcpy|memmove|memset|alloc::raw_vec|__rust_alloc|__rust_dealloc|_int_|cfree"),
    ("collections (BTreeMap, Vec, hashing)", r"alloc::collections|btree|hashbrown|core::hash"),
    ("ChaCha RNG", r"chacha|rand_core|rand::"),
]

line_re = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$")
totals = {name: 0 for name, _ in GROUPS}
other = 0
program_total = None
for line in sys.stdin:
    if program_total is None and "PROGRAM TOTALS" in line:
        program_total = int(line.split()[0].replace(",", ""))
        continue
    m = line_re.match(line)
    if not m:
        continue
    cost = int(m.group(1).replace(",", ""))
    name = m.group(2)
    if "PROGRAM TOTALS" in name or "file:function" in name:
        continue
    for group, pattern in GROUPS:
        if re.search(pattern, name):
            totals[group] += cost
            break
    else:
        other += cost
total = program_total or (sum(totals.values()) + other)
listed = sum(totals.values()) + other
other += max(0, total - listed)
print(f"total {total:,} Ir")
for group, _ in GROUPS:
    print(f"{totals[group] / total * 100:6.1f} %  {totals[group]:>15,}  {group}")
print(f"{other / total * 100:6.1f} %  {other:>15,}  other")
