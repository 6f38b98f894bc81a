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

.PHONY: all deps build run test unit-test integration-test asan-test install clean

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

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN)
