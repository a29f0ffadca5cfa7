# Sourced by the shell tests (bash): check DESCRIPTION COMMAND... runs
# COMMAND, prints "ok" or "FAIL" with the description and counts both;
# check_done NAME prints the closing "NAME: N passed, M failed" line that
# CI reads, and returns non-zero if anything failed.
passed=0 fails=0
check() {
	if "${@:2}"; then echo "  ok    $1"; passed=$((passed + 1)); else echo "  FAIL  $1"; fails=$((fails + 1)); fi
}
check_done() {
	echo "$1: $passed passed, $fails failed"
	[ "$fails" -eq 0 ]
}
# waitlog PATTERN COUNT: waits (15 s at most) until $WAITLOG has COUNT
# lines matching PATTERN; non-zero if it does not.
waitlog() {
	local n=0
	while [ "$(grep -c "$1" "$WAITLOG")" -lt "$2" ]; do
		sleep 0.1; n=$((n + 1)); [ $n -lt 150 ] || return 1
	done
}
