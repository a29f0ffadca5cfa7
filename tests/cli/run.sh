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
# the engine log (logging.outputs.file, in the shape of Suricata's
# suricata.json): errors go there as well as to stderr, even one found
# before -l applied
P="$SRC/tests/golden/allowlist/input.pcap"
mkdir "$T/el"
if "$V" -r "$P" -l "$T/el" --set logging.outputs.file.enabled=yes --set stream.midstream=yes \
	--set stream.midstream-policy=bypass 2>/dev/null; then fail "midstream-policy bypass with midstream on accepted"; fi
grep -q '"log_level":"Error","event_type":"engine","engine":{"thread_name":"[^"]*","message":"stream.midstream-policy' \
	"$T/el/vigil.json" || fail "no engine error record: $(cat "$T/el/vigil.json" 2>/dev/null)"
rm -f "$T/el/vigil.json"
if "$V" -r "$P" -l "$T/el" --set logging.outputs.file.enabled=yes --set stream.midstream-policy=drop-all \
	2>/dev/null; then fail "midstream-policy drop-all accepted"; fi
grep -q 'not one of' "$T/el/vigil.json" || fail "a bad --set is not in the engine log"
# drop-packet is an exception policy, but none for a session picked up mid-stream
if "$V" -r "$P" -l "$T/el" --set stream.midstream-policy=drop-packet 2>/dev/null; then
	fail "midstream-policy drop-packet accepted"
fi
# --init-errors-fatal: a wrong rule stops the start with exit 1, named
printf 'alert tcp any any -> any any (msg:"ok"; sid:1;)\nalert tcp any any -> any any (sid:x;)\n' > "$T/bad.rules"
"$V" -r "$P" -l "$T/el" -S "$T/bad.rules" --no-progress >/dev/null 2>&1 || fail "a wrong rule stopped the start without --init-errors-fatal"
set +e
"$V" -r "$P" -l "$T/el" -S "$T/bad.rules" --no-progress --init-errors-fatal 2> "$T/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "--init-errors-fatal: exit $rc, want 1"
grep -q "bad.rules:2" "$T/err" || fail "--init-errors-fatal: the rule is not named: $(cat "$T/err")"
echo "cli: 1 passed, 0 failed"
