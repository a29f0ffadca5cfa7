#!/bin/bash
# A newcomer's first hour, replayed: a minimal Debian 12 root made by
# debootstrap (Debian's own packages, from the mirror this machine's apt
# sources use) gets a clean copy of the project's tracked files and runs
# `make run` in it.  Every package make run needs must be installed by the
# project's own files (scripts/deps.sh): nothing else is in that root.
# Then the Debian package built by tests/package/deb.sh is installed there
# with apt, run, and purged, and the root must be clean again.
#
#   fresh_root.sh SRC_ROOT
#
# The pristine root is cached in $VIGIL_FRESH_CACHE (default
# /var/cache/vigil-test/bookworm-minbase) and rebuilt when missing; each
# run works on a throw-away copy of it, in its own mount namespace, so
# nothing it mounts outlives it.  Downloaded .debs are kept in
# $VIGIL_FRESH_CACHE/../apt-archives so a warm run downloads nothing.
# Exit 77 (skipped), saying why, where debootstrap cannot run: not root,
# no debootstrap, no Debian mirror reachable.
set -u
ROOT="$(cd "$1" && pwd)"
SUITE=bookworm
CACHE="${VIGIL_FRESH_CACHE:-/var/cache/vigil-test/$SUITE-minbase}"
ARCHIVES="$(dirname "$CACHE")/apt-archives"
skip() { echo "fresh_root: skipped: $*"; exit 77; }
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
command -v git >/dev/null || skip "git is not installed"

# the Debian mirror of this machine's apt sources (deb822 or one-line)
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
	/^URIs:/ { u = $2 } /^Suites:/ { if ($0 ~ /bookworm( |$)/ && u != "") { print u; exit } }')
[ -n "$mirror" ] || mirror=$(grep -hE '^deb +(\[[^]]*\] +)?(https?|file)://[^ ]+ +bookworm +' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 |
	sed -E 's/^deb +(\[[^]]*\] +)?([^ ]+).*/\2/')
[ -n "$mirror" ] || skip "no Debian $SUITE mirror in this machine's apt sources"

if [ ! -f "$CACHE/.vigil-complete" ]; then
	echo "fresh_root: building the $SUITE root with debootstrap from $mirror (cold run)"
	rm -rf "$CACHE.tmp"
	mkdir -p "$(dirname "$CACHE")"
	if ! debootstrap --variant=minbase "$SUITE" "$CACHE.tmp" "$mirror" > "$CACHE.log" 2>&1; then
		tail -n 5 "$CACHE.log"
		rm -rf "$CACHE.tmp"
		skip "debootstrap could not build a $SUITE root from $mirror (log: $CACHE.log)"
	fi
	touch "$CACHE.tmp/.vigil-complete"
	rm -rf "$CACHE"
	mv "$CACHE.tmp" "$CACHE"
	echo "fresh_root: root ready in $(elapsed)"
else
	echo "fresh_root: using the cached $SUITE root $CACHE (warm run)"
fi
mkdir -p "$ARCHIVES/partial"

W=$(mktemp -d /var/tmp/vigil-fresh.XXXXXX)
trap 'rm -rf "$W"' EXIT
R="$W/root"
cp -a "$CACHE" "$R"
# apt as this machine has it: the same Debian sources, the same resolver
rm -f "$R/etc/apt/sources.list"
if ls /etc/apt/sources.list.d/debian.sources >/dev/null 2>&1; then
	cp /etc/apt/sources.list.d/debian.sources "$R/etc/apt/sources.list.d/"
else
	echo "deb $mirror $SUITE main" > "$R/etc/apt/sources.list"
fi
cp -L /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
# the network as this machine has it: certificate authorities it added
# (an intercepting egress proxy here) are trusted in the root too, once
# ca-certificates is installed there (npm fetches the dashboard's
# front-end dependencies over HTTPS)
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
	mkdir -p "$R/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/"
	touch "$R/tmp/extra-ca"
fi
# the project: its tracked files as they are in the work tree (what a
# clone holds; an untracked file the build needs is missing here, as it
# would be for a user)
mkdir -p "$R/src/vigil"
git -C "$ROOT" ls-files -z | (cd "$ROOT" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
	tar -xf - -C "$R/src/vigil"
version=$(sed -n 's/^project(vigil VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
deb="$ROOT/out/deb/vigil_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] && cp "$deb" "$R/tmp/"

cat > "$R/tmp/inside.sh" <<'EOF'
#!/bin/bash
# runs inside the fresh root
set -u
. /src/vigil/tests/check.sh
cd /src/vigil
# Node's own CA list lacks this machine's added authorities (see above)
[ -f /tmp/extra-ca ] && export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# the README's step zero: make itself (and git, to clone; the copy stands in)
echo "== apt-get install make (the README's first step)"
apt-get -o DPkg::Lock::Timeout=300 update -qq > /tmp/make.log 2>&1 &&
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends make >> /tmp/make.log 2>&1 ||
	{ tail -n 20 /tmp/make.log; echo "fresh root: 0 passed, 1 failed"; exit 1; }
echo "== make run (as a new user would, in a root with nothing else installed)"
# another apt holds the lock when make run starts, as an unattended upgrade
# on a fresh VM does: apt-get sitting at its "Do you want to continue?"
# prompt for 10 s holds it; make run must wait, not fail
( sleep 10; echo n ) | apt-get install --no-install-recommends python3 > /tmp/holder.log 2>&1 &
holder=$!
sleep 2
kill -0 $holder 2>/dev/null && held=1 || held=0
s=$(date +%s)
make run > /tmp/run.log 2>&1
rc=$?
wait $holder
echo "  make run: exit $rc in $(( $(date +%s) - s )) s; its output:"
sed 's/^/  | /' /tmp/run.log | grep -v '^  | \(Waiting for cache lock\|Selecting\|Preparing\|Unpacking\|Setting up\|Processing\|(Reading\|debconf\|update-alternatives\|Created symlink\|invoke-rc.d\|Adding\|Done\|Creating\|Warning: The home\|Running in chroot\)' | tail -n 70
check "make run succeeds in a fresh root" [ $rc -eq 0 ]
check "make run built vigil" [ -x build/src/vigil ]
check "make run ran the demo and reported (ALLOWED/BLOCKED)" grep -q "^ *BLOCKED: " /tmp/run.log
# the holder sat at its prompt (answered "n": Abort.) from before make run
# began; make run installed its packages all the same
check "make run waited for the apt lock another apt held" \
	bash -c "[ $held = 1 ] && grep -q 'Abort' /tmp/holder.log && [ $rc -eq 0 ]"
check "make run did not need the test libraries (no cmocka)" bash -c "! dpkg -s libcmocka-dev >/dev/null 2>&1"
VIGIL_DEMO=offline make run > /tmp/offline.log 2>&1
rc=$?
[ $rc -eq 0 ] || tail -n 20 /tmp/offline.log
check "the offline demo (VIGIL_DEMO=offline make run) reports too" grep -q "^BLOCKED: " /tmp/offline.log
deb=$(ls /tmp/vigil_*.deb 2>/dev/null | head -n 1)
if [ -n "$deb" ]; then
	echo "== the Debian package: install, run, purge"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$deb" > /tmp/install.log 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -n 20 /tmp/install.log
	check "apt-get install ./$(basename "$deb")" [ $rc -eq 0 ]
	check "vigil --version runs: $(/usr/sbin/vigil --version 2>&1 | head -n 1)" bash -c "/usr/sbin/vigil --version > /dev/null"
	check "the vigil system user exists" bash -c "getent passwd vigil | grep -q ':/nonexistent:/usr/sbin/nologin$'"
	check "the unit is installed" [ -f /lib/systemd/system/vigil.service ]
	check "and disabled (nothing in multi-user.target.wants)" bash -c "! ls /etc/systemd/system/*.wants/vigil* 2>/dev/null | grep -q ."
	check "the installed configuration and rules load (vigil -T)" bash -c "/usr/sbin/vigil -T -c /etc/vigil/vigil.yaml > /tmp/T.log 2>&1"
	check "/var/log/vigil is vigil:adm 0750" bash -c "[ \"\$(stat -c %U:%G:%a /var/log/vigil)\" = vigil:adm:750 ]"
	check "man vigil finds the page" bash -c "[ -f /usr/share/man/man8/vigil.8.gz ]"
	# run as the vigil user (as the unit does): the logs it opened as root
	# become vigil's, so it can reopen them after rotation
	rm -f /tmp/l/*; mkdir -p /tmp/l; chown vigil:adm /tmp/l
	/usr/sbin/vigil -r /src/vigil/out/demo/demo.pcap -l /tmp/l --user vigil \
		-S /usr/share/vigil/rules/demo.rules > /tmp/user.log 2>&1
	check "--user vigil: eve.json and fast.log belong to vigil" \
		bash -c "[ \"\$(stat -c %U /tmp/l/eve.json /tmp/l/fast.log | sort -u)\" = vigil ]"
	# vigil-update from a local file, as a timer would run it from a mirror
	printf 'alert tcp any any -> any 80 (msg:"fresh"; content:"x"; sid:1;)\n' > /tmp/u.rules
	check "vigil-update installs a checked ruleset" bash -c "vigil-update --url /tmp/u.rules --no-reload > /tmp/u.log 2>&1 && grep -q fresh /var/lib/vigil/rules/vigil.rules"
	DEBIAN_FRONTEND=noninteractive dpkg --purge vigil > /tmp/purge.log 2>&1
	rc=$?
	[ $rc -eq 0 ] || cat /tmp/purge.log
	check "dpkg --purge vigil" [ $rc -eq 0 ]
	left=$(ls -d /etc/vigil /var/lib/vigil /var/log/vigil /usr/sbin/vigil /usr/share/vigil /lib/systemd/system/vigil.service /etc/logrotate.d/vigil 2>/dev/null)
	check "purge leaves nothing behind${left:+: $left}" [ -z "$left" ]
	check "dpkg no longer knows vigil" bash -c "! dpkg -s vigil >/dev/null 2>&1"
else
	echo "  (no package: tests/package/deb.sh builds out/deb/*.deb first)"
	fails=$((fails + 1))
fi
check_done "fresh root"
EOF
chmod +x "$R/tmp/inside.sh"

# own mount namespace: the mounts vanish with it, whatever happens.  The
# namespace lab runs inside too (network namespaces, NFQUEUE).
unshare --mount --propagation private bash -c '
	R="$1"; A="$2"
	# the root a mount point of its own, as / is: ip netns exec needs it
	mount --bind "$R" "$R" &&
	mount -t proc proc "$R/proc" &&
	mount -t sysfs sysfs "$R/sys" &&
	mount --rbind /dev "$R/dev" &&
	mkdir -p "$R/run" && mount -t tmpfs tmpfs "$R/run" &&
	mount --bind "$A" "$R/var/cache/apt/archives" || exit 1
	exec chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive /tmp/inside.sh
' _ "$R" "$ARCHIVES"
rc=$?
echo "fresh_root: $(elapsed) in all"
exit $rc
