# Loft's entry points. Everything is built by meson; this file only wraps it.
#   make run     install missing Debian packages, build, start loftd on its built-in default
#   make test    install missing Debian packages, build, run every unit and integration test
#   make install meson install (PREFIX=/usr/local by default, DESTDIR honoured)

BUILD    ?= build
ASAN     ?= build-asan
PREFIX   ?= /usr/local
PYTEST   ?= /usr/bin/python3 -m pytest
WERROR   ?= true
MESONOPT ?=

# ccache (found by meson when installed): builds of different checkouts of the
# same sources share cache entries (paths are taken relative to the checkout,
# the directory is not hashed), and the cache is big enough for the gcc,
# ASan and fuzz builds together.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1
export CCACHE_MAXSIZE ?= 20G

.PHONY: all deps build run test unit-test integration-test asan-test fuzz-smoke bench-mime install clean

all: build

deps:
	@./scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX) -Dwerror=$(WERROR) $(MESONOPT)

# PREFIX or WERROR given on the command line (or in the environment) also
# apply to a build directory that already exists.
RECONF :=
ifneq ($(filter command line environment,$(origin PREFIX)),)
RECONF += --prefix=$(PREFIX)
endif
ifneq ($(filter command line environment,$(origin WERROR)),)
RECONF += -Dwerror=$(WERROR)
endif

build: deps $(BUILD)/build.ninja
	$(if $(strip $(RECONF)),meson configure $(BUILD) $(RECONF))
	meson compile -C $(BUILD)

run: build
	$(BUILD)/daemons/loftd/loftd

test: build
	meson test -C $(BUILD) --print-errorlogs --suite unit
	LOFT_BUILD_DIR=$(abspath $(BUILD)) $(PYTEST) -q tests/integration

unit-test: build
	meson test -C $(BUILD) --print-errorlogs --suite unit

integration-test: build
	LOFT_BUILD_DIR=$(abspath $(BUILD)) $(PYTEST) -q tests/integration

# Unit and integration tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
asan-test: deps
	[ -f $(ASAN)/build.ninja ] || meson setup $(ASAN) -Dwerror=$(WERROR) \
	    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug $(MESONOPT)
	meson compile -C $(ASAN)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    meson test -C $(ASAN) --print-errorlogs --suite unit
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    LOFT_BUILD_DIR=$(abspath $(ASAN)) $(PYTEST) -q tests/integration

# Every libFuzzer target in tests/fuzz/ (clang only), run briefly over its seed
# corpus in tests/fuzz/corpus/<target>/; any crash, sanitizer report, failed
# invariant or hang fails. New inputs go to build-fuzz/fuzz-work/, crashes to
# build-fuzz/fuzz-artifacts/ (docs/fuzzing.md says how to fuzz for longer).
FUZZ         ?= build-fuzz
FUZZ_RUNS    ?= 200000
FUZZ_TIME    ?= 15
FUZZ_TARGETS := $(sort $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.cpp))))
fuzz-smoke: deps
	if [ -f $(FUZZ)/build.ninja ]; then meson setup --reconfigure $(FUZZ) -Dfuzz=true; \
	else CXX=clang++ CC=clang meson setup $(FUZZ) -Dwerror=true -Dfuzz=true; fi
	meson compile -C $(FUZZ) fuzz
	mkdir -p $(FUZZ)/fuzz-artifacts
	set -e; for t in $(FUZZ_TARGETS); do \
	    rm -rf $(FUZZ)/fuzz-work/$$t; mkdir -p $(FUZZ)/fuzz-work/$$t; \
	    echo "fuzz-smoke: $$t"; \
	    UBSAN_OPTIONS=print_stacktrace=1 $(FUZZ)/tests/fuzz/$$t -runs=$(FUZZ_RUNS) \
	        -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ)/fuzz-artifacts/$$t- \
	        $(FUZZ)/fuzz-work/$$t tests/fuzz/corpus/$$t 2>$(FUZZ)/fuzz-work/$$t.log \
	        || { tail -n 60 $(FUZZ)/fuzz-work/$$t.log; exit 1; }; \
	    grep -h '^Done' $(FUZZ)/fuzz-work/$$t.log; \
	done

# MIME parse throughput against GMime (bench/mime/, bench/README.md): a
# release build in build-bench with -Dbench=true, the extra packages of
# scripts/bench-packages.txt, and the report in bench/results/mime-DATE.md.
# BENCH_ARGS go to the program (e.g. --keep-going, --benchmark_min_time=2).
# Warnings do not stop a benchmark build: -O3 brings GCC 12 false positives
# that the CI's -Werror builds (debugoptimized) never see.
BENCHDIR   ?= build-bench
BENCH_ARGS ?=
bench-mime:
	@./scripts/install-deps scripts/debian-packages.txt scripts/bench-packages.txt
	[ -f $(BENCHDIR)/build.ninja ] || meson setup $(BENCHDIR) --buildtype=release -Dbench=true \
	    -Dwerror=false $(MESONOPT)
	meson configure $(BENCHDIR) --buildtype=release -Dbench=true
	meson compile -C $(BENCHDIR) bench/mime/bench_mime
	mkdir -p bench/results
	$(BENCHDIR)/bench/mime/bench_mime --markdown=bench/results/mime-$$(date -u +%Y-%m-%d).md $(BENCH_ARGS)

# Successful PLAIN authentications per second, in-process and through
# loft-authd (bench/auth/), against 100,000 users in a passwd-file and in
# SQLite, generated once into $(BENCHDIR)/bench-cache/auth. Report in
# bench/results/auth-DATE.md; BENCH_AUTH_ARGS go to the program
# (--seconds=S, --threads=N, --connections=M, --in-flight=P, --keep).
BENCH_AUTH_ARGS ?=
.PHONY: bench-auth
bench-auth:
	@./scripts/install-deps scripts/debian-packages.txt scripts/bench-packages.txt
	[ -f $(BENCHDIR)/build.ninja ] || meson setup $(BENCHDIR) --buildtype=release -Dbench=true \
	    -Dwerror=false $(MESONOPT)
	meson configure $(BENCHDIR) --buildtype=release -Dbench=true
	meson compile -C $(BENCHDIR) bench/auth/bench_auth daemons/authd/loft-authd
	mkdir -p bench/results
	$(BENCHDIR)/bench/auth/bench_auth --cache-dir=$(BENCHDIR)/bench-cache/auth \
	    --authd=$(BENCHDIR)/daemons/authd/loft-authd \
	    --markdown=bench/results/auth-$$(date -u +%Y-%m-%d).md $(BENCH_AUTH_ARGS)

# Storage core against Dovecot (bench/storage/): opening a 100,000-message
# Maildir with a warm index, and saving 10,000 messages of 4 KB with
# mail_fsync = optimized next to `doveadm import` of the same messages.
# The big mailbox is cached in $(BENCH_STORAGE_CACHE); report in
# bench/results/storage-DATE.md. BENCH_STORAGE_ARGS go to run_bench.py
# (--rounds=N, --count=N, --open-runs=N).
BENCH_STORAGE_CACHE ?= /var/tmp/loft-bench-storage
BENCH_STORAGE_ARGS ?=
.PHONY: bench-storage
bench-storage:
	@./scripts/install-deps scripts/debian-packages.txt scripts/bench-packages.txt
	[ -f $(BENCHDIR)/build.ninja ] || meson setup $(BENCHDIR) --buildtype=release -Dbench=true \
	    -Dwerror=false $(MESONOPT)
	meson configure $(BENCHDIR) --buildtype=release -Dbench=true
	# Regenerate first: a build dir made before bench/storage existed does not know the target yet.
	ninja -C $(BENCHDIR) build.ninja
	meson compile -C $(BENCHDIR) bench/storage/bench_storage
	mkdir -p bench/results
	/usr/bin/python3 bench/storage/run_bench.py --bench=$(BENCHDIR)/bench/storage/bench_storage \
	    --cache-dir=$(BENCH_STORAGE_CACHE) \
	    --markdown=bench/results/storage-$$(date -u +%Y-%m-%d).md $(BENCH_STORAGE_ARGS)

# SORT and THREAD over a 100,000-message mailbox against Dovecot
# (bench/imap_sort/run_bench.py): the generated Maildir is cached in
# $(BENCH_SORT_CACHE); report in bench/results/sort-thread-DATE.md.
# BENCH_SORT_ARGS go to run_bench.py (--rounds=N, --messages=N).
BENCH_SORT_CACHE ?= /var/tmp/loft-bench-sort
BENCH_SORT_ARGS ?=
.PHONY: bench-sort-thread
bench-sort-thread:
	@./scripts/install-deps scripts/debian-packages.txt scripts/bench-packages.txt
	[ -f $(BENCHDIR)/build.ninja ] || meson setup $(BENCHDIR) --buildtype=release -Dbench=true \
	    -Dwerror=false $(MESONOPT)
	meson configure $(BENCHDIR) --buildtype=release -Dbench=true
	meson compile -C $(BENCHDIR) daemons/imapd/loft-imapd
	mkdir -p bench/results
	/usr/bin/python3 bench/imap_sort/run_bench.py --imapd=$(BENCHDIR)/daemons/imapd/loft-imapd \
	    --cache-dir=$(BENCH_SORT_CACHE) \
	    --markdown=bench/results/sort-thread-$$(date -u +%Y-%m-%d).md $(BENCH_SORT_ARGS)

# LMTP delivery (smtp-source -L, 10,000 messages over 10 sessions) and POP3
# download (10,000 messages) against Dovecot (bench/lmtp_pop3/run_bench.py):
# the POP3 Maildir is generated once into $(BENCH_LMTP_POP3_CACHE); report in
# bench/results/lmtp-pop3-DATE.md. QUICK=1: 1,000 messages, a smoke run.
# BENCH_LMTP_POP3_ARGS go to run_bench.py (--rounds=N, --perf, --only=lmtp).
BENCH_LMTP_POP3_CACHE ?= /var/tmp/loft-bench-lmtp-pop3
BENCH_LMTP_POP3_ARGS ?=
BENCH_LMTP_POP3_SIZE = $(if $(QUICK),--messages=1000 --pop3-messages=1000 --sample=200,)
.PHONY: bench-lmtp-pop3
bench-lmtp-pop3:
	@./scripts/install-deps scripts/debian-packages.txt scripts/bench-packages.txt
	[ -f $(BENCHDIR)/build.ninja ] || meson setup $(BENCHDIR) --buildtype=release -Dbench=true \
	    -Dwerror=false $(MESONOPT)
	meson configure $(BENCHDIR) --buildtype=release -Dbench=true
	ninja -C $(BENCHDIR) build.ninja
	meson compile -C $(BENCHDIR) daemons/lmtpd/loft-lmtpd daemons/pop3d/loft-pop3d bench/lmtp_pop3/pop3_load
	mkdir -p bench/results
	/usr/bin/python3 bench/lmtp_pop3/run_bench.py --lmtpd=$(BENCHDIR)/daemons/lmtpd/loft-lmtpd \
	    --pop3d=$(BENCHDIR)/daemons/pop3d/loft-pop3d --client=$(BENCHDIR)/bench/lmtp_pop3/pop3_load \
	    --cache-dir=$(BENCH_LMTP_POP3_CACHE) $(BENCH_LMTP_POP3_SIZE) \
	    --markdown=bench/results/lmtp-pop3-$$(date -u +%Y-%m-%d)$(if $(QUICK),-quick,).md $(BENCH_LMTP_POP3_ARGS)

# Every workload against Loft and Dovecot side by side (bench/run_bench.py,
# bench/README.md "make bench"): mixed, bigmailbox, logins, idle, lmtp and
# pop3, interleaved rounds, loftd and dovecot -F on loopback ports. Corpora
# are generated once into $(BENCH_CACHE). Report in bench/results/DATE.md;
# QUICK=1: one round with small sizes (about 2 minutes), DATE-quick.md.
# BENCH_RUN_ARGS go to run_bench.py (--only=idle,lmtp, --rounds=N, --keep, ...).
BENCH_CACHE    ?= /var/tmp/loft-bench
BENCH_RUN_ARGS ?=
BENCH_TARGETS  := daemons/loftd/loftd daemons/imapd/loft-imapd daemons/pop3d/loft-pop3d \
                  daemons/lmtpd/loft-lmtpd daemons/authd/loft-authd bench/loadgen/loft-loadgen \
                  bench/corpus/loft-bench-corpus
.PHONY: bench
bench:
	@./scripts/install-deps scripts/debian-packages.txt scripts/bench-packages.txt
	[ -f $(BENCHDIR)/build.ninja ] || meson setup $(BENCHDIR) --buildtype=release -Dbench=true \
	    -Dwerror=false $(MESONOPT)
	meson configure $(BENCHDIR) --buildtype=release -Dbench=true
	ninja -C $(BENCHDIR) build.ninja
	meson compile -C $(BENCHDIR) $(BENCH_TARGETS)
	mkdir -p bench/results
	/usr/bin/python3 bench/run_bench.py --loftd=$(BENCHDIR)/daemons/loftd/loftd \
	    --loadgen=$(BENCHDIR)/bench/loadgen/loft-loadgen --corpus=$(BENCHDIR)/bench/corpus/loft-bench-corpus \
	    --cache-dir=$(BENCH_CACHE) $(if $(QUICK),--quick,) \
	    --markdown=bench/results/$$(date -u +%Y-%m-%d)$(if $(QUICK),-quick,).md $(BENCH_RUN_ARGS)

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN)
