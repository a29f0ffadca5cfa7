#!/bin/bash
# Rule updates: scripts/vigil-update installs a checked ruleset and reloads
# a running vigil; a ruleset that does not load is refused and the running
# vigil keeps its rules; a rules file that disappears under a running vigil
# makes the reload fail and the old rules stay.  With the ET Open corpus,
# the real archive layout (rules/*.rules, classification.config) is used.
# The running vigil captures on lo (root); without root, exit 77.
#   update.sh VIGIL SRC_ROOT [CORPORA]
set -u
V="$1"; SRC="$2"; CORPORA="${3:-}"
U="$SRC/scripts/vigil-update"
T=$(mktemp -d); pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/../check.sh"
[ "$(id -u)" -eq 0 ] || { echo "update: skipped: the running vigil captures on lo (needs root)"; exit 77; }

R="$T/rules"; mkdir -p "$R" "$T/log"
printf 'alert tcp any any -> any 80 (msg:"v1"; content:"one"; sid:1; rev:1;)\n' > "$T/v1.rules"
check "first install from a path" "$U" --url "$T/v1.rules" --rules-dir "$R" --vigil "$V" --no-reload --quiet
check "vigil.rules installed" grep -q '"v1"' "$R/vigil.rules"

"$V" -i lo -l "$T/log" -S "$R/vigil.rules" -v > "$T/out" 2> "$T/err" &
pid=$!
for i in $(seq 50); do grep -q "rules: 1 loaded" "$T/err" && break; sleep 0.1; done
check "vigil running with 1 rule" grep -q "rules: 1 loaded" "$T/err"

# a good update: two rules, from a file:// URL, reload by signal
printf 'alert tcp any any -> any 80 (msg:"v2"; content:"two"; sid:2;)\nalert udp any any -> any 53 (msg:"v2b"; content:"x"; sid:3;)\n' > "$T/v2.rules"
check "update to v2 (file:// URL, reload command)" \
	"$U" --url "file://$T/v2.rules" --rules-dir "$R" --vigil "$V" --reload-cmd "kill -USR2 $pid" --quiet
for i in $(seq 50); do grep -q "rules reloaded: 2 loaded" "$T/err" && break; sleep 0.1; done
check "the running vigil reloaded 2 rules" grep -q "rules reloaded: 2 loaded" "$T/err"
check "the previous ruleset kept as vigil.rules.prev" grep -q '"v1"' "$R/vigil.rules.prev"

# refused updates leave the installed rules alone and reload nothing
cp "$R/vigil.rules" "$T/before"
printf 'alert tcp any any -> any any (msg:"bad"; nosuchkeyword; sid:9;)\n' > "$T/none.rules"
check "a ruleset with no loadable rule is refused" \
	bash -c "! '$U' --url '$T/none.rules' --rules-dir '$R' --vigil '$V' --reload-cmd 'kill -USR2 $pid' 2>'$T/e1'"
printf 'alert tcp any any -> any 80 (msg:"ok"; content:"a"; sid:10;)\nalert tcp any any -> any 80 (msg:"broken"; content:"a"; depth:-4; sid:11;)\n' > "$T/invalid.rules"
check "a ruleset with an invalid rule is refused" \
	bash -c "! '$U' --url '$T/invalid.rules' --rules-dir '$R' --vigil '$V' --reload-cmd 'kill -USR2 $pid' 2>'$T/e2'"
check "  and says why" grep -q "do not load" "$T/e2"
: > "$T/empty.rules"
check "an empty download is refused" \
	bash -c "! '$U' --url '$T/empty.rules' --rules-dir '$R' --vigil '$V' --no-reload 2>/dev/null"
printf '\037\213garbage' > "$T/broken.tar.gz"
check "a broken archive is refused" \
	bash -c "! '$U' --url '$T/broken.tar.gz' --rules-dir '$R' --vigil '$V' --no-reload 2>/dev/null"
check "a missing source is refused" \
	bash -c "! '$U' --url 'file://$T/nothere.tar.gz' --rules-dir '$R' --vigil '$V' --no-reload 2>/dev/null"
check "the installed rules are unchanged" cmp -s "$T/before" "$R/vigil.rules"
check "no reload was sent" [ "$(grep -c 'reloading rules' "$T/err")" = 1 ]

# disable list: by sid and by regex
printf '2\n# comment\nre:msg:"v2b"\n' > "$T/disable.conf"
printf 'alert tcp any any -> any 80 (msg:"keep"; content:"k"; sid:4;)\n' >> "$T/v2.rules"
check "update with a disable list" \
	"$U" --url "$T/v2.rules" --rules-dir "$R" --vigil "$V" --disable "$T/disable.conf" --no-reload --quiet
check "  sid 2 and the re: match commented out, sid 4 kept" \
	bash -c "[ \$(grep -c '^# disabled by vigil-update' '$R/vigil.rules') = 2 ] && grep -q '^alert.*sid:4;' '$R/vigil.rules'"

# the running vigil keeps its rules when a reload cannot load any
mv "$R/vigil.rules" "$T/away"
kill -USR2 $pid
for i in $(seq 50); do grep -q "keeping the running rules" "$T/err" && break; sleep 0.1; done
check "a reload that cannot read its rules keeps the running ones" grep -q "keeping the running rules" "$T/err"
check "vigil still running" kill -0 $pid
kill -TERM $pid
for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
check "vigil -i stops on SIGTERM on a quiet link" bash -c "! kill -0 $pid 2>/dev/null"
pid=""

# the ET Open archive layout, when the corpus is here
if [ -n "$CORPORA" ] && [ -d "$CORPORA/et-open/rules" ]; then
	tar -czf "$T/et.tar.gz" -C "$CORPORA/et-open" rules
	s=$(date +%s.%N)
	"$U" --url "$T/et.tar.gz" --rules-dir "$T/et" --vigil "$V" --no-reload > "$T/et.log" 2>&1
	rc=$?
	cat "$T/et.log" | sed 's/^/    /'
	check "ET Open archive installs ($(echo "$(date +%s.%N) - $s" | bc 2>/dev/null | cut -c1-4) s)" [ $rc -eq 0 ]
	check "  with its classification.config" [ -s "$T/et/classification.config" ]
else
	echo "  (ET Open corpus absent: archive case not run)"
fi
check_done update
