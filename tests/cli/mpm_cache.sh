#!/bin/bash
# The prefilter cache (detect.mpm-cache-dir): a first load compiles and
# stores, a second reads every database back and compiles nothing; the
# alerts are the same with and without it; a damaged entry is compiled
# afresh and rewritten, never trusted; entries unused for max-age are
# pruned, files that are not ours are left alone.  With the ET Open
# corpus, the load time cold and cached is printed.
#   mpm_cache.sh VIGIL GEN_PCAP SRC_ROOT [CORPORA]
set -u
V="$1"; G="$2"; SRC="$3"; CORPORA="${4:-}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../check.sh"
"$V" --version | grep -q "prefilter: *hyperscan" || { echo "mpm_cache: skipped: built without Hyperscan (the cache holds Hyperscan databases)"; exit 77; }
C="$T/cache"
R="$SRC/etc/rules/demo.rules"
"$V" -T -S "$R" --set detect.mpm-cache-dir="$C" > "$T/t1" 2>&1
check "first load compiles and stores" grep -Eq "prefilter databases: [1-9][0-9]* compiled, 0 read" "$T/t1"
n=$(ls "$C"/*.hs 2>/dev/null | wc -l)
check "the cache directory was created and holds $n databases" [ "$n" -ge 1 ]
"$V" -T -S "$R" --set detect.mpm-cache-dir="$C" > "$T/t2" 2>&1
check "second load reads them all, compiles none" grep -Eq "prefilter databases: 0 compiled, [1-9][0-9]* read" "$T/t2"

"$G" "$T/demo.pcap" > /dev/null
mkdir "$T/a" "$T/b"
"$V" -r "$T/demo.pcap" -l "$T/a" --runmode single -S "$R" > /dev/null
"$V" -r "$T/demo.pcap" -l "$T/b" --runmode single -S "$R" --set detect.mpm-cache-dir="$C" > /dev/null
check "same alerts with the cached databases" python3 "$SRC/bench/evediff.py" "$T/a/eve.json" "$T/b/eve.json"
check "  (and there are alerts to compare)" grep -q '"event_type":"alert"' "$T/b/eve.json"

# damage every entry: truncated, then garbage of the right size
for f in "$C"/*.hs; do head -c 100 "$f" > "$f.x" && mv "$f.x" "$f"; done
"$V" -T -S "$R" --set detect.mpm-cache-dir="$C" -v > "$T/t3" 2>&1
check "truncated entries are compiled again" grep -Eq "prefilter databases: [1-9][0-9]* compiled, 0 read" "$T/t3"
check "  and said so" grep -q "unusable, compiling instead" "$T/t3"
"$V" -T -S "$R" --set detect.mpm-cache-dir="$C" > "$T/t4" 2>&1
check "  and rewritten: the next load reads them" grep -Eq "prefilter databases: 0 compiled" "$T/t4"
rm -rf "$T/c"; mkdir "$T/c"
"$V" -r "$T/demo.pcap" -l "$T/c" --runmode single -S "$R" --set detect.mpm-cache-dir="$C" > /dev/null
check "same alerts after the repair" python3 "$SRC/bench/evediff.py" "$T/a/eve.json" "$T/c/eve.json"

# pruning: an old entry nobody uses goes, an old file that is not ours stays
old="$C/$(printf '%064d' 0).hs"
echo junk > "$old"; echo keep > "$C/notes.txt"; echo tmp > "$C/.abc.123.tmp"
touch -d '30 days ago' "$old" "$C/notes.txt" "$C/.abc.123.tmp"
"$V" -T -S "$R" --set detect.mpm-cache-dir="$C" > "$T/t5" 2>&1
check "an entry unused for max-age is pruned" [ ! -e "$old" ]
check "a leftover temporary is pruned" [ ! -e "$C/.abc.123.tmp" ]
check "a file that is not a cache entry is kept" [ -e "$C/notes.txt" ]
check "the entries in use are kept" grep -Eq "prefilter databases: 0 compiled" "$T/t5"

# an unusable directory: warned, the load goes on without it
"$V" -T -S "$R" --set detect.mpm-cache-dir=/proc/nonexistent/x > "$T/t6" 2>&1
rc=$?
check "an unusable cache directory only warns" bash -c "[ $rc = 0 ] && grep -q 'compiling without the cache' '$T/t6'"

if [ -n "$CORPORA" ] && [ -d "$CORPORA/et-open/rules" ]; then
	cat "$CORPORA"/et-open/rules/*.rules > "$T/et.rules"
	# the default leaves the large sets to background threads that -T
	# never starts: nothing of them compiled or stored
	"$V" -T -S "$T/et.rules" --set detect.mpm-cache-dir="$T/etc" > "$T/et.bg" 2>/dev/null
	echo "  ET Open, cold, background compiling: $(grep -o 'load time [0-9.]* s' "$T/et.bg"), $(grep '^prefilter databases' "$T/et.bg")"
	check "ET Open -T leaves databases to the background" grep -Eq "[1-9][0-9]* left to background compiling" "$T/et.bg"
	rm -rf "$T/etc"
	for run in cold cached; do
		"$V" -T -S "$T/et.rules" --set detect.mpm-cache-dir="$T/etc" \
			--set detect.prefilter-compile=load > "$T/et.$run" 2>/dev/null
		echo "  ET Open, $run, compiled during the load: $(grep -o 'load time [0-9.]* s' "$T/et.$run"), $(grep '^prefilter databases' "$T/et.$run")"
	done
	check "ET Open cached load compiles nothing" grep -Eq "prefilter databases: 0 compiled, [1-9][0-9]* read from the cache(, [0-9]+ shared with identical sets)?$" "$T/et.cached"
	"$V" -T -S "$T/et.rules" --set detect.mpm-cache-dir="$T/etc" > "$T/et.bgc" 2>/dev/null
	check "  nor with background compiling, once the cache holds them" grep -Eq "prefilter databases: 0 compiled, [1-9][0-9]* read from the cache(, [0-9]+ shared with identical sets)?$" "$T/et.bgc"
fi
check_done mpm_cache
