# vigil - the two commands:
#   make run    install what is missing, build, run vigil on a generated demo capture
#   make test   install what is missing, build (gcc, and clang with ASan+UBSan), run every test
# Other targets: make build, make bench, make fuzz, make clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DEMO_DIR   ?= out/demo

PHONY_EXTRA = demo-offline
.PHONY: all build run demo-offline test test-gcc test-asan bench fuzz deps deps-test clean

all: build

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

# make run: the namespace lab (vigil inline on NFQUEUE between an app VM
# and the internet, benign traffic and attacks); where network namespaces
# cannot be made (no root), the offline demo instead.
run: build
	@scripts/deps.sh test >/dev/null
	@if lab/lab.sh demo; then :; else rc=$$?; \
		if [ $$rc -eq 77 ]; then echo "(no namespaces here: running the offline demo)"; $(MAKE) --no-print-directory demo-offline; \
		else exit $$rc; fi; fi

demo-offline: build
	@mkdir -p $(DEMO_DIR)
	@$(BUILD)/tools/vigil-gen-pcap $(DEMO_DIR)/demo.pcap
	@$(BUILD)/src/vigil -r $(DEMO_DIR)/demo.pcap -l $(DEMO_DIR) --runmode single --no-progress \
		-S etc/rules/demo.rules --simulate-ips \
		--set outputs.eve.types.anomaly-decode=yes --set outputs.eve.types.anomaly-stream=yes
	@scripts/eve-summary.sh $(DEMO_DIR)/eve.json

test: deps-test test-gcc test-asan

test-gcc: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/Makefile: CMakeLists.txt
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON -DVIGIL_FUZZ=ON >/dev/null

test-asan: $(ASAN_BUILD)/Makefile
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/deps.sh bench
	@bench/run.sh $(BUILD)
	@bench/rules.sh $(BUILD)
	@bench/app.sh $(BUILD)
	@bench/inline.sh $(BUILD)

fuzz: deps-test $(ASAN_BUILD)/Makefile
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@tests/fuzz/run.sh $(ASAN_BUILD) 300

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) out
