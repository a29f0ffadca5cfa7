#!/bin/bash
# The install paths: `make install` into a DESTDIR puts every file where
# docs/install.md says; `make deb` builds a package whose contents
# (dpkg-deb -c) hold the same, and lintian (Debian's own checker) passes
# it with no error.  Lintian's warnings are printed for the record.
# Leaves out/deb/vigil_VERSION_ARCH.deb for the fresh-root test.
#   deb.sh SRC_ROOT
set -u
ROOT="$1"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../check.sh"
for t in dpkg-buildpackage dh lintian fakeroot git; do
	command -v $t >/dev/null || { echo "deb: skipped: $t not installed (scripts/deps.sh test installs it)"; exit 77; }
done
git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || { echo "deb: skipped: $ROOT is not a git checkout"; exit 77; }

version=$(sed -n 's/^project(vigil VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
arch=$(dpkg --print-architecture)
check "debian/changelog's version is CMake's ($version)" \
	grep -q "^vigil ($version) " "$ROOT/debian/changelog"

# make install, PREFIX=/usr/local, into a DESTDIR (own build dir: the
# suite's build tree is in use)
make -s -C "$ROOT" install BUILD="$T/build" PREFIX=/usr/local DESTDIR="$T/root" > "$T/install.log" 2>&1
rc=$?
check "make install runs" [ $rc -eq 0 ] || tail -n 20 "$T/install.log"
for f in usr/local/sbin/vigil usr/local/sbin/vigil-update usr/local/etc/vigil/vigil.yaml \
	usr/local/etc/vigil/rules/local.rules usr/local/lib/systemd/system/vigil.service \
	usr/local/lib/systemd/system/vigil-update.timer usr/local/share/man/man8/vigil.8 \
	usr/local/share/man/man8/vigil-update.8 usr/local/share/vigil/rules/demo.rules \
	usr/local/share/vigil/examples/vigil-qubes.yaml usr/local/share/doc/vigil/install.md; do
	check "make install: /$f" [ -e "$T/root/$f" ]
done
check "the unit runs the installed binary with the installed config" \
	grep -q '^ExecStart=/usr/local/sbin/vigil -c /usr/local/etc/vigil/vigil.yaml -q 0 --user vigil$' \
	"$T/root/usr/local/lib/systemd/system/vigil.service"
check "the installed binary runs" bash -c "'$T/root/usr/local/sbin/vigil' --version >/dev/null"
check "the installed config loads" bash -c "'$T/root/usr/local/sbin/vigil' -c '$T/root/usr/local/etc/vigil/vigil.yaml' --dump-config >/dev/null"
check "the man page is the option table's (--man)" \
	cmp -s "$T/root/usr/local/share/man/man8/vigil.8" <("$T/root/usr/local/sbin/vigil" --man)
# every option of --help is in the man page
opts_ok=1
for o in $("$T/root/usr/local/sbin/vigil" --help | grep -o -- '^  -[-a-zA-Z]*' | sed 's/^  //'); do
	grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" "$T/root/usr/local/share/man/man8/vigil.8" || { echo "    $o not in vigil.8"; opts_ok=0; }
done
check "every --help option is in vigil(8)" [ $opts_ok = 1 ]
if command -v man >/dev/null; then
	check "vigil(8) renders without warnings" \
		bash -c "! MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l '$T/root/usr/local/share/man/man8/vigil.8' 2>&1 >/dev/null | grep ."
fi

# make deb
start=$(date +%s)
make -s -C "$ROOT" deb > "$T/deb.log" 2>&1
rc=$?
check "make deb builds ($(( $(date +%s) - start )) s)" [ $rc -eq 0 ] || tail -n 30 "$T/deb.log"
deb="$ROOT/out/deb/vigil_${version}_${arch}.deb"
check "out/deb/vigil_${version}_${arch}.deb exists" [ -f "$deb" ]
[ -f "$deb" ] || { check_done deb; exit 1; }
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$T/contents"
for f in /usr/sbin/vigil /usr/sbin/vigil-update /etc/vigil/vigil.yaml /etc/vigil/rules/local.rules \
	/lib/systemd/system/vigil.service /lib/systemd/system/vigil-update.service \
	/lib/systemd/system/vigil-update.timer /usr/share/man/man8/vigil.8.gz \
	/usr/share/man/man8/vigil-update.8.gz /usr/share/vigil/rules/lab.rules \
	/usr/share/vigil/examples/qubes-firewall-user-script /etc/logrotate.d/vigil \
	/usr/share/doc/vigil/copyright; do
	check "package holds $f" grep -qx "$f" "$T/contents"
done
dpkg-deb -f "$deb" Depends > "$T/depends"
check "Depends names the shared libraries (shlibs): $(cat "$T/depends")" grep -q "libpcap0.8" "$T/depends"
dpkg-deb -e "$deb" "$T/ctl"
check "conffiles: /etc/vigil/vigil.yaml" grep -qx /etc/vigil/vigil.yaml "$T/ctl/conffiles"
check "postinst creates the vigil system user" grep -q "adduser --system" "$T/ctl/postinst"
# installed disabled: dh_installsystemd --no-enable only re-enables a unit
# the administrator had enabled before an upgrade (was-enabled); the
# fresh-root test checks that a first install enables nothing
check "postinst enables the units only if they were enabled before" \
	awk '/deb-systemd-helper --quiet was-enabled/ { guard = NR } /deb-systemd-helper enable/ && NR - guard > 2 { bad = 1 } END { exit bad }' "$T/ctl/postinst"

# lintian: errors fail the test; warnings are reported
lintian --no-tag-display-limit --info "$deb" > "$T/lintian" 2>&1
echo "  lintian on $(basename "$deb"): $(grep -c '^E:' "$T/lintian") errors, $(grep -c '^W:' "$T/lintian") warnings, $(grep -c '^I:' "$T/lintian") info"
grep -E '^(E|W|I):' "$T/lintian" | sort | uniq | sed 's/^/    /'
check "lintian: no errors" bash -c "! grep -q '^E:' '$T/lintian'"
check_done deb
