#!/bin/sh
# CLI behaviour: help, version, dump-config matches docs/configuration.md,
# errors name file:line, bad input files fail cleanly.
set -eu
V="$1"; SRC="$2"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$V" --help | grep -q -- "-r FILE" || fail "--help"
"$V" --version | grep -q "^vigil " || fail "--version"
"$V" --dump-config > "$T/dump"
# every key is documented with its default
while IFS= read -r line; do
	key=${line%% = *}
	grep -q "^| \`$key\` " "$SRC/docs/configuration.md" || fail "key $key not in docs/configuration.md"
done < "$T/dump"
printf 'flow:\n  memcap: 1mb\n  bogus: 2\n' > "$T/bad.yaml"
if "$V" -c "$T/bad.yaml" -r /dev/null 2> "$T/err"; then fail "bad config accepted"; fi
grep -q "bad.yaml:3:" "$T/err" || fail "config error without file:line: $(cat "$T/err")"
if "$V" --set nosuch=1 --dump-config 2>/dev/null; then fail "--set unknown accepted"; fi
printf 'not a pcap' > "$T/junk.pcap"
if "$V" -r "$T/junk.pcap" -l "$T" 2> "$T/err"; then fail "junk pcap accepted"; fi
grep -q "junk.pcap" "$T/err" || fail "junk pcap error does not name the file"
if "$V" -r "$T/missing.pcap" -l "$T" 2>/dev/null; then fail "missing pcap accepted"; fi
# the shipped configurations parse
"$V" -c "$SRC/etc/vigil-qubes.yaml" --dump-config > /dev/null || fail "etc/vigil-qubes.yaml does not load"
"$V" -q 0x 2>/dev/null && fail "bad -q accepted"
echo "cli: 1 passed, 0 failed"
