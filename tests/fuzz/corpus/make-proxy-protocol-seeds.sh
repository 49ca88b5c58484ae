#!/usr/bin/env bash
# Writes the seed corpus of proxy_protocol_fuzz (binary v2 headers are easier to read here than as
# files). Each seed starts with one selector byte (where the target splits the input in two reads).
# Run from anywhere: tests/fuzz/corpus/make-proxy-protocol-seeds.sh
set -euo pipefail
out="$(dirname "$0")/proxy_protocol"
mkdir -p "$out"
sig='\r\n\r\n\0\r\nQUIT\n'
seed() { printf "$2" >"$out/$1"; }

# v1 (text)
seed v1_tcp4 '\x30PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET / HTTP/1.1\r\n'
seed v1_tcp6 '\x50PROXY TCP6 2001:db8::1 2001:db8::2 1024 3128\r\n'
seed v1_tcp6_mapped '\x20PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1 65535\r\n'
seed v1_unknown '\x10PROXY UNKNOWN ignored until the line end\r\n'
seed v1_bad_leading_zero '\x10PROXY TCP4 192.0.2.01 198.51.100.2 80 443\r\n'
seed v1_bare_lf '\x10PROXY TCP4 192.0.2.1 198.51.100.2 80 443\n'
# v2 (binary): signature, version 2 + command, family/transport, length (big endian), addresses.
seed v2_tcp4 "\x40${sig}\x21\x11\x00\x0c\xc0\x00\x02\x01\xc6\x33\x64\x02\xdc\x04\x01\xbb"
seed v2_tcp6 "\x80${sig}\x21\x21\x00\x24\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02\x04\x00\x0c\x38"
seed v2_local '\x20'"${sig}"'\x20\x00\x00\x00'
seed v2_local_with_bytes '\x20'"${sig}"'\x20\x00\x00\x03abc'
# TCP4 + TLVs: AUTHORITY "example.com", NOOP, UNIQUE_ID
seed v2_tlvs "\x60${sig}\x21\x11\x00\x24\xc0\x00\x02\x01\xc6\x33\x64\x02\xdc\x04\x01\xbb\x02\x00\x0bexample.com\x04\x00\x00\x05\x00\x04abcd"
seed v2_unix "\x30${sig}\x21\x31\x00\xd8$(printf '\\0%.0s' $(seq 216))"
seed v2_unspec '\x30'"${sig}"'\x21\x00\x00\x00'
seed v2_udp '\x30'"${sig}"'\x21\x12\x00\x0c\x7f\x00\x00\x01\x7f\x00\x00\x01\x00\x35\x00\x35'
seed v2_short_block '\x30'"${sig}"'\x21\x11\x00\x08\x7f\x00\x00\x01\x7f\x00\x00\x01'
