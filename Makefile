# smscamp — SMS campaign manager on nginx + PostgreSQL 15.
#
#   make run     install what is missing, build, start on http://127.0.0.1:8080 (Ctrl-C stops)
#   make test    build, run every test suite on a throwaway instance
#   make psql    psql on the running instance (make psql SQL='SELECT …' runs one statement)
#   make stop    stop an instance in var/ (and a formation in var/ha/) left running
#   make run-ha  the same on a high-availability formation in var/ha/ (pg_auto_failover:
#                a monitor and three data nodes; make ha-state shows it)
#   make test-ha the failover tests (t/ha) on a throwaway formation
#   make test-shards  a campaign across two PL/Proxy shards (t/shards, docs/SCALING.md)
#   make seed    load sql/seed.sql into the running instance
#   make fuzz    run the fuzzing harnesses (t/fuzz), FUZZ_SECONDS (60) each
#   make clean / make distclean (also removes var/, i.e. all data)
#
# Ports: SMSCAMP_HTTP_PORT (8080), SMSCAMP_PG_PORT (5433). Everything is relative to here.

ROOT       := $(CURDIR)
SHELL      := /bin/bash
BUILD      := $(ROOT)/build
PG_CONFIG  ?= /usr/lib/postgresql/15/bin/pg_config
NGINX_SRC  ?= /usr/share/nginx/src

DEPS_STAMP := $(BUILD)/.deps-$(shell sha256sum $(ROOT)/scripts/deps.sh | cut -c1-16)
NGINX_OBJS := $(BUILD)/nginx
MODULE_SO  := $(NGINX_OBJS)/ngx_smscamp_module.so
MODULE_SRCS := $(shell find ngx_smscamp_module -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | LC_ALL=C sort)

# `make psql SQL='…'`: keep the statement literally ($1, $$ quoting) and hand it to the
# script through the environment, so quotes of any kind survive.
ifeq ($(origin SQL),command line)
override SQL := $(value SQL)
export SQL
endif

MAKEFLAGS += --no-print-directory
.DELETE_ON_ERROR:
.PHONY: all deps extension module static run run-ha ha-state stop psql seed test test-ha test-shards clean distclean FORCE

all: extension module static

# ---------------------------------------------------------------- dependencies

deps: $(DEPS_STAMP)

$(DEPS_STAMP): scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(BUILD) && rm -f $(BUILD)/.deps-* && touch $@

# ---------------------------------------------------------------- build

# PostgreSQL extension (PGXS, its own Makefile); installs into the system's PostgreSQL.
extension: | $(DEPS_STAMP)
	@$(MAKE) -C pg_extension PG_CONFIG=$(PG_CONFIG)
	@$(MAKE) -C pg_extension PG_CONFIG=$(PG_CONFIG) install >$(BUILD)/pg_extension-install.log 2>&1 \
	    || { cat $(BUILD)/pg_extension-install.log; exit 1; }

# nginx dynamic module, built against the packaged nginx sources (--with-compat).
module: $(MODULE_SO)

# The list of module sources: rewritten only when a file is added or removed.
$(BUILD)/.module-srcs: FORCE | $(DEPS_STAMP)
	@mkdir -p $(BUILD)
	@echo '$(MODULE_SRCS)' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# configure: again when `config` or the set of sources changes.
$(NGINX_OBJS)/Makefile: config $(BUILD)/.module-srcs | $(DEPS_STAMP)
	@echo "configuring nginx module build (log: build/nginx-configure.log)"
	@mkdir -p $(BUILD)
	@cd $(NGINX_SRC) && ./configure --with-compat --add-dynamic-module=$(ROOT) \
	    --builddir=$(NGINX_OBJS) >$(BUILD)/nginx-configure.log 2>&1 \
	    || { tail -n 30 $(BUILD)/nginx-configure.log; rm -f $@; exit 1; }
	@touch $@

# Any change under ngx_smscamp_module/ rebuilds the module's objects (headers included).
$(MODULE_SO): $(NGINX_OBJS)/Makefile $(MODULE_SRCS)
	@find $(NGINX_OBJS)/addon -name '*.o' -delete 2>/dev/null || true
	$(MAKE) -f $(NGINX_OBJS)/Makefile -C $(NGINX_SRC) modules
	@touch $@

# Web UI into static/dist (placeholder page today; npm ci + Vite once static/package.json exists).
static: | $(DEPS_STAMP)
	@scripts/build-static.sh

# ---------------------------------------------------------------- run

run: all
	@scripts/run.sh

run-ha: all
	@scripts/run-ha.sh

ha-state: | $(DEPS_STAMP)
	@scripts/ha-state.sh

stop: | $(DEPS_STAMP)
	@scripts/stop.sh

psql: | $(DEPS_STAMP)
	@scripts/psql.sh

seed: | $(DEPS_STAMP)
	@test -f sql/seed.sql || { echo "smscamp: error: no sql/seed.sql yet" >&2; exit 1; }
	@scripts/psql.sh -X -q -v ON_ERROR_STOP=1 -1 -f $(ROOT)/sql/seed.sql

test: all
	@scripts/test.sh

test-ha: all
	@scripts/test-ha.sh

test-shards: all
	@scripts/test-shards.sh

# libFuzzer harnesses (t/fuzz): each target FUZZ_SECONDS (60); the corpus grows in build/fuzz/,
# a crash fails and prints its reproducer. make test runs them 10 s each (suite fuzz).
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: $(NGINX_OBJS)/Makefile | $(DEPS_STAMP)
	@t/fuzz/run.sh -t $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Benchmarks (bench/README.md): not part of make test.
.PHONY: bench bench-campaign bench-replies bench-pacing bench-voice bench-ha
bench: all
	@bench/run.sh

bench-campaign: all
	@bench/campaign.sh

bench-replies: all
	@bench/replies.sh

bench-pacing: all
	@bench/pacing.sh

bench-voice: all
	@bench/voice.sh

# the cost of synchronous replication on a formation (bench/ha.sh)
bench-ha: all
	@bench/ha.sh

# ---------------------------------------------------------------- clean

clean:
	@for d in $(BUILD)/test-*/; do if [ -d "$$d" ]; then scripts/stop.sh "$$d"; fi; done
	@if [ -f pg_extension/Makefile ] && [ -x $(PG_CONFIG) ]; then $(MAKE) -C pg_extension PG_CONFIG=$(PG_CONFIG) clean; fi
	rm -rf $(BUILD) static/dist

distclean: clean
	@scripts/stop.sh
	rm -rf var static/node_modules
