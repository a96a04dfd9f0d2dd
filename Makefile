# Tessera: build, install and test the C library.
#
#   make                 release build of the C library (target/release/libtessera.{so,a})
#   make install         header, libraries, pkg-config and CMake files under $(PREFIX)
#                        (PREFIX=/usr/local; DESTDIR is honoured for staged installs)
#   make demo            builds examples/demo.c against the static library and runs it
#   make test            every test: Rust, C (plain, valgrind, ASan+UBSan), packaging, and
#                        the network engine's accuracy on two real datasets (nn-accuracy)
#   make nn-accuracy     trains on Fashion-MNIST and scikit-learn's digits, checks test accuracy
#
# See docs/building.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := lib

CARGO      ?= cargo
CC         ?= cc
CMAKE      ?= cmake
CTEST      ?= ctest
PREFIX     ?= /usr/local
DESTDIR    ?=
libdir     := $(PREFIX)/lib
includedir := $(PREFIX)/include

# One source of truth for the version: the macros of the generated header (themselves checked
# against the crate version by ffi/tests/version.rs).
header_version = $(shell sed -n 's/^\#define TSR_VERSION_$(1) \([0-9]*\)$$/\1/p' include/tessera.h)
VERSION_MAJOR := $(call header_version,MAJOR)
VERSION_MINOR := $(call header_version,MINOR)
VERSION_PATCH := $(call header_version,PATCH)
VERSION       := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

TARGET_DIR  := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
RELEASE_DIR := $(TARGET_DIR)/release
SHARED_LIB  := $(RELEASE_DIR)/libtessera.so
STATIC_LIB  := $(RELEASE_DIR)/libtessera.a
# The system libraries a program linking libtessera.a needs, as rustc reports them.
NATIVE_LIBS_FILE := $(RELEASE_DIR)/tessera-native-static-libs.txt
BUILD_DIR   := $(CURDIR)/build

C_WARNINGS := -std=c99 -Wall -Wextra -Wpedantic -Werror

.PHONY: lib install uninstall demo test ctest nn-accuracy fgan-experiment clean-build print-version

# The release libraries, and next to them the system libraries a static link needs (learnt
# from rustc by tools/native-static-libs without compiling the crate again).
lib:
	$(CARGO) build --release -p tessera-ffi
	tools/native-static-libs $(RELEASE_DIR) $(NATIVE_LIBS_FILE)

print-version:
	@echo $(VERSION)

install: lib
	@test -n "$(VERSION_MAJOR)" -a -n "$(VERSION_MINOR)" -a -n "$(VERSION_PATCH)" || { echo "no version macros in include/tessera.h" >&2; exit 1; }
	install -d $(DESTDIR)$(includedir) $(DESTDIR)$(libdir)/pkgconfig $(DESTDIR)$(libdir)/cmake/Tessera
	install -m 644 include/tessera.h $(DESTDIR)$(includedir)/tessera.h
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(libdir)/libtessera.so.$(VERSION)
	ln -sfn libtessera.so.$(VERSION) $(DESTDIR)$(libdir)/libtessera.so.$(VERSION_MAJOR)
	ln -sfn libtessera.so.$(VERSION_MAJOR) $(DESTDIR)$(libdir)/libtessera.so
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(libdir)/libtessera.a
	native="$$(cat $(NATIVE_LIBS_FILE))"; \
	native_cmake="$$(for f in $$native; do printf '%s;' "$${f#-l}"; done)"; native_cmake="$${native_cmake%;}"; \
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e "s|@NATIVE_LIBS@|$$native|g" \
	  cmake/tessera.pc.in > $(DESTDIR)$(libdir)/pkgconfig/tessera.pc; \
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' -e "s|@NATIVE_LIBS@|$$native_cmake|g" \
	  cmake/TesseraConfig.cmake.in > $(DESTDIR)$(libdir)/cmake/Tessera/TesseraConfig.cmake; \
	sed -e 's|@VERSION@|$(VERSION)|g' \
	  cmake/TesseraConfigVersion.cmake.in > $(DESTDIR)$(libdir)/cmake/Tessera/TesseraConfigVersion.cmake
	chmod 644 $(DESTDIR)$(libdir)/pkgconfig/tessera.pc $(DESTDIR)$(libdir)/cmake/Tessera/*.cmake
	@echo "installed Tessera $(VERSION) under $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(DESTDIR)$(includedir)/tessera.h \
	  $(DESTDIR)$(libdir)/libtessera.so $(DESTDIR)$(libdir)/libtessera.so.$(VERSION_MAJOR) \
	  $(DESTDIR)$(libdir)/libtessera.so.$(VERSION) $(DESTDIR)$(libdir)/libtessera.a \
	  $(DESTDIR)$(libdir)/pkgconfig/tessera.pc \
	  $(DESTDIR)$(libdir)/cmake/Tessera/TesseraConfig.cmake $(DESTDIR)$(libdir)/cmake/Tessera/TesseraConfigVersion.cmake
	-rmdir $(DESTDIR)$(libdir)/cmake/Tessera 2>/dev/null

demo: lib
	@test -f examples/demo.c || { echo "examples/demo.c does not exist yet" >&2; exit 1; }
	install -d $(BUILD_DIR)/demo
	$(CC) $(C_WARNINGS) -O2 -Iinclude examples/demo.c -o $(BUILD_DIR)/demo/demo \
	  $(STATIC_LIB) $$(cat $(NATIVE_LIBS_FILE))
	$(BUILD_DIR)/demo/demo

# Every test. The README's single command for "run all the tests". The benchmark programs have
# no tests of their own: they are built (in release, as they run) by nn-accuracy. The demo
# (the README's other command) runs too: it exits non-zero when its network misses 95%.
test:
	tools/ensure-test-deps
	$(CARGO) test --workspace --exclude tessera-benches
	$(MAKE) --no-print-directory nn-accuracy
	$(MAKE) --no-print-directory fgan-experiment
	$(MAKE) --no-print-directory lib
	$(MAKE) --no-print-directory demo
	$(MAKE) --no-print-directory ctest

# The network engine reaches 85% test accuracy on Fashion-MNIST (784-256-10) and 95% on
# scikit-learn's digits (64-128-10), seeded, in a release build (about a minute on one core).
PYTHON ?= python3
DIGITS_CSV = $(shell $(PYTHON) -c 'import os, sklearn.datasets as d; print(os.path.join(os.path.dirname(d.__file__), "data", "digits.csv.gz"))' 2>/dev/null)
nn-accuracy:
	@test -n "$(DIGITS_CSV)" || { echo "scikit-learn is not importable by $(PYTHON): run tools/ensure-test-deps" >&2; exit 1; }
	$(CARGO) build --release -q -p tessera-benches
	$(CARGO) run --release -q -p tessera-benches --bin nn_train -- --digits $(DIGITS_CSV)

# The f-GAN paper's first experiment (core/examples/fgan_gaussian.rs): under every
# f-divergence the saddle point's Gaussian lands within 0.01 of the best fit's divergence
# (about 75 s on one core).
fgan-experiment:
	$(CARGO) run --release -q -p tessera --example fgan_gaussian

# Only the CMake/ctest part (C tests, valgrind, sanitizers, symbols, packaging).
ctest:
	@out=$$($(CMAKE) -S tests -B $(BUILD_DIR)/tests -DCMAKE_BUILD_TYPE=Release \
	  -DTESSERA_LIB_DIR=$(RELEASE_DIR) -DTESSERA_NATIVE_LIBS_FILE=$(NATIVE_LIBS_FILE) 2>&1) || { echo "$$out"; exit 1; }
	@echo "building the C tests in $(BUILD_DIR)/tests"
	@out=$$($(CMAKE) --build $(BUILD_DIR)/tests -j 2 2>&1) || { echo "$$out"; exit 1; }
	cd $(BUILD_DIR)/tests && $(CTEST) --output-on-failure -j 2

clean-build:
	rm -rf $(BUILD_DIR)
