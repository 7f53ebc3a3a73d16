# cellpipe build. Sources are found by wildcard, so a new module needs no edit here.
# `make run` and `make check` are the two commands a newcomer needs (see README.md).

PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
PKGS      := libpq libcurl jansson cairo cairo-pdf cairo-svg pangocairo xlsxwriter yaml-0.1 \
             cminpack libcrypto gsl libzip libmdb libisal
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Werror
CFLAGS    ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) \
              -Iinclude $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS    := $(PKG_LIBS) -lpthread -lm $(EXTRA_LDFLAGS)
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

LIB_SRC   := $(filter-out src/cli/%,$(shell find src -name '*.c' | sort))
CLI_SRC   := $(shell find src/cli -name '*.c' | sort)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC  := $(shell find tests/unit -name 'test_*.c' | sort)
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(shell find tests/bench -name 'bench_*.c' 2>/dev/null | sort)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
HEADERS   := $(shell find include src -name '*.h' | sort)
TEST_HDR  := $(shell find tests/unit -name '*.h' | sort)

.PHONY: docs all bootstrap bootstrap-tests run run-built check check-built unit functional sanitize valgrind bench install format \
        format-check headers layers clean golden-update fuzz fuzz-built fuzz-replay container-check

all: $(BUILD)/cellpipe

# `+`: bootstrap runs even under `make -n`, so a dry run shows the flags a real run would use.
BOOTSTRAP ?= deployment/bootstrap

bootstrap:
	+@$(BOOTSTRAP)

bootstrap-tests:
	+@$(BOOTSTRAP) --tests

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -DCP_VERSION='"$(VERSION)"' -c $< -o $@

$(BUILD)/libcellpipe.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/cellpipe: $(CLI_OBJ) $(BUILD)/libcellpipe.a
	@echo "LINK $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libcellpipe.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(TEST_HDR) $(BUILD)/libcellpipe.a
	@mkdir -p $(dir $@)
	@echo "TEST $@"
	@$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libcellpipe.a $(LDLIBS)

$(BUILD)/bench/%: tests/bench/%.c $(TEST_HDR) $(wildcard tests/bench/*.h) $(BUILD)/libcellpipe.a
	@mkdir -p $(dir $@)
	@echo "BENCH $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcellpipe.a $(LDLIBS)

# The build flags come from pkg-config, which knows the libraries only once bootstrap has
# installed them; so `run` and `check` bootstrap first, then build in a make that reads this
# file anew (tests/integration/first_run.sh proves it on a machine where pkg-config knows
# nothing before bootstrap).
run: bootstrap
	@$(MAKE) --no-print-directory run-built

run-built: $(BUILD)/cellpipe
	@$(BUILD)/cellpipe run pipelines/demo.yaml --out reports

# Every public header must compile on its own.
headers:
	@for h in $(HEADERS); do \
	  echo "#include \"$${h#include/}\"" | $(CC) $(ALL_CFLAGS) -x c -fsyntax-only - || exit 1; \
	done; echo "headers: all compile alone"

# Every #include points down the layers (README "How the code is laid out"); make check runs
# it too (tests/run-all lint).
layers:
	@python3 tests/lint/layers.py

# Builds the image from deployment/Dockerfile with podman and runs the demo and the nightly
# pipeline in it (deployment/container-test). Not part of `make check`: it downloads a base
# system the first time.
container-check: bootstrap-tests
	+@$(BOOTSTRAP) --container
	@$(MAKE) --no-print-directory $(BUILD)/cellpipe
	@BUILD=$(BUILD) deployment/container-test

check: bootstrap-tests
	@$(MAKE) --no-print-directory check-built

check-built: $(BUILD)/cellpipe $(TEST_BIN) headers
	@BUILD=$(BUILD) tests/run-all

unit: $(BUILD)/cellpipe $(TEST_BIN)
	@BUILD=$(BUILD) tests/run-all unit

functional: $(BUILD)/cellpipe
	@BUILD=$(BUILD) tests/run-all functional

sanitize:
	@$(MAKE) --no-print-directory BUILD=build/sanitize CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" check

# libFuzzer targets (docs/hardening.md): tests/fuzz/fuzz_<name>.c on a library built with
# coverage and ASan + UBSan in build/fuzz; tests/fuzz/run seeds each one's corpus, runs it for
# FUZZ_SECONDS and fails on a crash (inputs kept in build/fuzz/crashes/<name>/).
FUZZ_SECONDS ?= 60
FUZZ_SRC  := $(shell find tests/fuzz -name 'fuzz_*.c' 2>/dev/null | sort)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzzers/%)
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined

fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" fuzz-built

fuzz-built: $(BUILD)/cellpipe $(FUZZ_BIN)
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

$(BUILD)/fuzzers/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(BUILD)/libcellpipe.a
	@mkdir -p $(dir $@)
	@echo "FUZZ $@"
	@$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libcellpipe.a $(LDLIBS)

# The regression inputs (tests/fuzz/regress/<target>/) and seeds, replayed through the same
# entry points by a unit test built with $(CC): `make check` runs it with the other unit
# tests, `make sanitize` under ASan + UBSan. It includes the targets' sources.
$(BUILD)/tests/fuzz/test_fuzz_regressions: $(FUZZ_SRC) tests/fuzz/fuzz.h

fuzz-replay: $(BUILD)/tests/fuzz/test_fuzz_regressions
	@$(BUILD)/tests/fuzz/test_fuzz_regressions

valgrind: $(BUILD)/cellpipe $(TEST_BIN)
	@BUILD=$(BUILD) CP_WRAP="valgrind -q --error-exitcode=99 --leak-check=full" tests/run-all unit

bench: $(BUILD)/cellpipe $(BENCH_BIN)
	@BUILD=$(BUILD) tests/bench/run

golden-update: $(BUILD)/cellpipe
	@BUILD=$(BUILD) CP_GOLDEN_UPDATE=1 tests/run-all functional
	@$(MAKE) --no-print-directory $(BUILD)/tests/render/test_charts && BUILD=$(BUILD) tests/integration/render.sh --update

install: $(BUILD)/cellpipe
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/cellpipe
	install -m 755 $(BUILD)/cellpipe $(DESTDIR)$(PREFIX)/bin/cellpipe
	install -m 644 docs/cellpipe.1 $(DESTDIR)$(PREFIX)/share/man/man1/cellpipe.1
	cp -r templates pipelines $(DESTDIR)$(PREFIX)/share/cellpipe/

format:
	clang-format -i $(shell find src include tests -name '*.[ch]')

format-check:
	@clang-format --dry-run --Werror $(shell find src include tests -name '*.[ch]') && \
	  echo "format-check: clean"

clean:
	rm -rf build

# Regenerate the schema section of pipelines/README.md from the parser's schema table.
docs: $(BUILD)/cellpipe
	@sed -i '/^<!-- schema:/,/^<!-- end schema -->/{//!d}' pipelines/README.md
	@$(BUILD)/cellpipe validate --schema > $(BUILD)/schema.md
	@sed -i '/^<!-- schema:/r $(BUILD)/schema.md' pipelines/README.md
	@echo "docs: pipelines/README.md schema regenerated"

# src/sources/pg_embed.c includes these files' bytes (.incbin): rebuild it when they change.
$(BUILD)/obj/src/sources/pg_embed.o: deployment/schema.sql $(wildcard templates/queries/*.sql)
# src/sinks/mlflow_pyfunc.c includes the Python loader of a registered model the same way.
$(BUILD)/obj/src/sinks/mlflow_pyfunc.o: templates/mlflow/cellpipe_pyfunc.py
