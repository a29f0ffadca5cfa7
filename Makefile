# vigil - the two commands:
#   make run    install what is missing, build, run vigil's demo (the namespace
#               lab inline on NFQUEUE; without namespaces, a generated capture)
#   make test   install what is missing, build (gcc, and clang with ASan+UBSan),
#               run every test, the fresh Debian root and the package included
# Other targets: make build, make install (PREFIX, DESTDIR), make deb,
# make bench, make fuzz, make clean.  Each installs only the Debian packages
# it needs (scripts/deps.sh lists them by set).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DEMO_DIR   ?= out/demo
PREFIX     ?= /usr/local
DESTDIR    ?=
# VIGIL_DEMO=offline: make run plays the generated capture even where the
# namespace lab could run
VIGIL_DEMO ?= auto
VERSION    := $(shell sed -n 's/^project.vigil VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

.PHONY: all build run demo-offline test test-gcc test-asan install deb bench fuzz clean

all: build

# Configuring never needs the test libraries: the unit tests (cmocka) are
# built only where make test turns VIGIL_TESTS on.
$(BUILD)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory -s $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

# make run: the namespace lab (vigil inline on NFQUEUE between an app VM
# and the internet, benign traffic and attacks); where network namespaces
# cannot be made (no root), the offline demo instead.  Both end with
# scripts/demo-report: what was allowed, what was blocked and why, grouped.
run:
	@scripts/deps.sh run
	@$(MAKE) --no-print-directory -s $(BUILD)/Makefile
	@mkdir -p out && echo "building $(BUILD)/src/vigil (log: out/build.log)" && \
		cmake --build $(BUILD) -j $(JOBS) > out/build.log 2>&1 || { tail -n 40 out/build.log; exit 1; }
	@if [ "$(VIGIL_DEMO)" = offline ]; then $(MAKE) --no-print-directory demo-offline; \
	elif lab/lab.sh demo; then scripts/demo-dashboard $(BUILD)/src/vigil out/lab; else rc=$$?; \
		if [ $$rc -eq 77 ]; then echo "(no namespaces here: running the offline demo)"; $(MAKE) --no-print-directory demo-offline; \
		else exit $$rc; fi; fi

demo-offline:
	@$(MAKE) --no-print-directory -s $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS) > /dev/null
	@mkdir -p $(DEMO_DIR) && rm -f $(DEMO_DIR)/eve.json $(DEMO_DIR)/fast.log
	@$(BUILD)/tools/vigil-gen-pcap $(DEMO_DIR)/demo.pcap
	@$(BUILD)/src/vigil -r $(DEMO_DIR)/demo.pcap -l $(DEMO_DIR) --runmode single --no-progress \
		-S etc/rules/demo.rules --simulate-ips \
		--set identity.file=etc/demo/vms.yaml --set policy.resolvers=10.139.1.1 \
		--set outputs.eve.types.anomaly-decode=yes --set outputs.eve.types.anomaly-stream=yes \
		--set outputs.eve.types.alert-rule=yes > $(DEMO_DIR)/summary.txt
	@python3 scripts/demo-report $(DEMO_DIR)/eve.json --summary $(DEMO_DIR)/summary.txt \
		--title "offline demo: $(DEMO_DIR)/demo.pcap with etc/rules/demo.rules and etc/demo/vms.yaml (drop simulated)"
	@scripts/demo-dashboard $(BUILD)/src/vigil $(DEMO_DIR)

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory test-gcc test-asan

test-gcc:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/Makefile: CMakeLists.txt
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_FUZZ=ON \
		-DVIGIL_TESTS=ON -DVIGIL_PACKAGING_TESTS=OFF >/dev/null

test-asan: $(ASAN_BUILD)/Makefile
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# make install PREFIX=/usr/local DESTDIR=: binary and vigil-update in
# PREFIX/sbin, configuration in PREFIX/etc/vigil (/etc/vigil for PREFIX=/usr),
# systemd units, vigil(8), rules and docs under PREFIX/share.
install:
	@scripts/deps.sh build
	@cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)

# make deb: out/deb/vigil_VERSION_ARCH.deb, built with debhelper from a copy
# of the tracked files (the tree's own build directories stay out of it).
deb:
	@scripts/deps.sh deb
	@rm -rf out/deb && mkdir -p out/deb/vigil-$(VERSION)
	@git ls-files -z 2>/dev/null | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C out/deb/vigil-$(VERSION)
	@test -f out/deb/vigil-$(VERSION)/debian/rules || { echo "deb: not a git checkout (git ls-files found nothing)"; exit 1; }
	@cd out/deb/vigil-$(VERSION) && dpkg-buildpackage -b -us -uc -j$(JOBS) > ../build.log 2>&1 \
		|| { tail -n 40 ../build.log; exit 1; }
	@ls out/deb/*.deb

bench: build
	@scripts/deps.sh bench
	@bench/run.sh $(BUILD)
	@bench/rules.sh $(BUILD)
	@bench/app.sh $(BUILD)
	@bench/inline.sh $(BUILD)

fuzz:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory $(ASAN_BUILD)/Makefile
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@tests/fuzz/run.sh $(ASAN_BUILD) 300

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) out
