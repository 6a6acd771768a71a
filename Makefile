# Tank — build, test and check.  `make` builds ./tank; `make check` installs what is
# missing (apt), builds with -Werror and runs every test; `make asan` does the same with
# AddressSanitizer + UBSan.

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libcurl zlib libarchive yaml-0.1 libnl-3.0 libnl-route-3.0 inih jansson libcrypto libssl \
        libmicrohttpd libzstd libseccomp
TEST_PKGS := check

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
COMMIT := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
            -Wvla -Wimplicit-fallthrough -Wno-unused-parameter
# gcc's -Wformat-truncation flags every deliberate snprintf truncation; clang has no such
# warning (and rejects the flag), so it is turned off for gcc only.
ifeq ($(shell $(CC) -Werror -Wno-format-truncation -E -x c /dev/null >/dev/null 2>&1 && echo y),y)
WARNINGS += -Wno-format-truncation
endif
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(HARDEN) -I. \
              -DTANK_VERSION='"$(VERSION)"' -DTANK_COMMIT='"$(COMMIT)"' $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) \
              $(CFLAGS)
LDFLAGS ?=
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDFLAGS)
LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm
TEST_LIBS := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

ifneq ($(WERROR),)
ALL_CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

BUILD := build/obj$(if $(SANITIZE),-san)
SRCS := $(sort $(wildcard base/*.c spec/*.c image/*.c sandbox/*.c agent/*.c))
BLOBS := $(BUILD)/sandbox/monitor_blob.o $(BUILD)/sandbox/exec_helper_blob.o
OBJS := $(SRCS:%.c=$(BUILD)/%.o) $(BLOBS)
TEST_SRCS := $(sort $(wildcard t/check_*.c))
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/%.o)
DEPS := $(OBJS:.o=.d) $(TEST_OBJS:.o=.d) $(BUILD)/t/testlib.d $(BUILD)/tank.d $(BUILD)/t/regfetch.d \
        $(BUILD)/t/ctrctl.d $(BUILD)/t/podctl.d

.PHONY: all check check-unit check-shell asan deps format format-check clean demo demo-stop \
        demo-image bench fuzz fuzz-build check-fuzz man install uninstall deb
all: tank

tank: $(BUILD)/tank.o $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The per-container monitor and the exec helper: small static programs embedded in tank
# (sandbox/blob.S) and run from sealed memfds (sandbox/blob.c), so that each running container's
# monitor stays well under 1 MB of RSS and an exec probe costs the agent a vfork, not a fork.
MONITOR_SRCS := sandbox/monitor/main.c sandbox/monitor.c base/fs.c base/err.c
EXEC_HELPER_SRCS := sandbox/exechelper/main.c sandbox/exec_helper.c sandbox/exec_record.c \
                    sandbox/seccomp_filter.c sandbox/enter.c sandbox/fdpass.c sandbox/caps.c sandbox/fail.c \
                    sandbox/cgroup.c sandbox/cgroup_dev.c base/fs.c base/err.c base/buf.c \
                    base/alloc.c base/capability.c
$(BUILD)/tank-monitor: $(MONITOR_SRCS) $(wildcard sandbox/*.h base/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(if $(WERROR),-Werror) -I. -Os -static \
		-o $@ $(MONITOR_SRCS)

$(BUILD)/tank-exec: $(EXEC_HELPER_SRCS) $(wildcard sandbox/*.h base/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(if $(WERROR),-Werror) -I. -Os -static \
		-o $@ $(EXEC_HELPER_SRCS)

$(BUILD)/sandbox/monitor_blob.o: sandbox/blob.S $(BUILD)/tank-monitor
	@mkdir -p $(dir $@)
	$(CC) -c -DBLOB_SYM=sandbox_monitor_blob -DBLOB_BIN='"$(BUILD)/tank-monitor"' -o $@ $<

$(BUILD)/sandbox/exec_helper_blob.o: sandbox/blob.S $(BUILD)/tank-exec
	@mkdir -p $(dir $@)
	$(CC) -c -DBLOB_SYM=sandbox_exec_helper_blob -DBLOB_BIN='"$(BUILD)/tank-exec"' -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The unit-test runner: one binary, one libcheck suite per module (t/check_*.c each
# define `Suite *NAME_suite(void)`; the list is generated so suites never collide).
$(BUILD)/t/suites.h: $(TEST_SRCS)
	@mkdir -p $(dir $@)
	@sed -n 's/^Suite \*\([a-z0-9_]*_suite\)(void)$$/SUITE(\1)/p' $(TEST_SRCS) > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

# Suites are found by name, not through a header.
$(BUILD)/t/%.o: ALL_CFLAGS += -Wno-missing-prototypes

$(BUILD)/t/runner.o: t/runner.c $(BUILD)/t/suites.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(BUILD)/t -MMD -MP -c -o $@ $<

t/runner-bin: $(BUILD)/t/runner.o $(BUILD)/t/testlib.o $(BUILD)/t/fakert.o $(TEST_OBJS) $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

# Test-only driver of the pod sandbox API for the shell tests (t/t21xx).
t/podctl: $(BUILD)/t/podctl.o $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The container driver links only what a container start needs, so that its own start-up
# does not weigh on bench/start.sh.
CTRCTL_OBJS := $(BUILD)/t/ctrctl.o $(addprefix $(BUILD)/,sandbox/spawn.o sandbox/spawntty.o sandbox/start.o sandbox/fail.o sandbox/layout.o \
               sandbox/rootfs.o sandbox/inroot.o \
               sandbox/volmount.o sandbox/userns.o sandbox/exec_record.o base/buf.o \
               sandbox/caps.o sandbox/monitor.o sandbox/layercopy.o image/flatten.o base/fs.o \
               base/child.o base/alloc.o \
               base/err.o base/capability.o sandbox/ctrconfine.o sandbox/seccomp.o \
               sandbox/seccomp_default.o sandbox/enter.o sandbox/fdpass.o sandbox/seccomp_filter.o sandbox/blob.o) \
               $(BLOBS)
t/ctrctl: $(CTRCTL_OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs libseccomp)

# A test-only driver of the registry client for the t12xx shell tests.
t/regfetch: $(BUILD)/t/regfetch.o $(OBJS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

deps:
	@t/install-deps.sh

check: deps
	$(MAKE) format-check
	$(MAKE) WERROR=1 tank t/runner-bin
	$(MAKE) WERROR=1 check-unit check-shell
	$(MAKE) WERROR=1 check-fuzz

check-unit: t/runner-bin
	CK_DEFAULT_TIMEOUT=60 ./t/runner-bin

check-shell: tank t/podctl t/regfetch t/ctrctl
	t/run-shell-tests.sh

asan: deps
	$(MAKE) SANITIZE=address,undefined CC=clang check

# The offline demo image: an OCI image layout built from Debian's busybox-static.
demo-image: build/oci/busybox/index.json
build/oci/busybox/index.json: t/mkimage-busybox.sh
	t/mkimage-busybox.sh build/oci/busybox latest

demo: deps tank demo-image
	t/demo.sh

# make demo-stop: the demo's pods and agent stopped, build/demo removed.
demo-stop: tank
	t/demo-stop.sh

bench: tank
	bench/run.sh

# ---- fuzzing (libFuzzer; docs/RELIABILITY.md) ----
# One target per fuzz/fuzz_NAME.c, linked with the library objects (not tank.c) built with
# clang's fuzzer instrumentation and ASan+UBSan in their own directory. `make fuzz` runs
# each target for FUZZ_SECONDS; `make check` replays t/fixtures/fuzz/NAME/* and runs each
# target for FUZZ_CHECK_SECONDS, failing on any crash, leak or timeout.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 8
FUZZ_OBJ := build/obj-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(filter-out -Wno-format-truncation,$(WARNINGS)) -I. -DTANK_VERSION='"$(VERSION)"' \
               $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) -O1 -g $(FUZZ_SAN) \
               $(if $(WERROR),-Werror)
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_LIB_OBJS := $(SRCS:%.c=$(FUZZ_OBJ)/%.o)
FUZZ_BLOBS := $(BLOBS)

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/fuzz_%: $(FUZZ_OBJ)/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS) $(FUZZ_BLOBS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

.SECONDARY: $(FUZZ_LIB_OBJS) $(FUZZ_TARGETS:%=$(FUZZ_OBJ)/fuzz/fuzz_%.o)
fuzz-build: $(FUZZ_BINS)

fuzz: deps
	$(MAKE) fuzz-build
	fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check-fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_CHECK_SECONDS) $(FUZZ_TARGETS)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_TARGETS:%=$(FUZZ_OBJ)/fuzz/fuzz_%.d)

format:
	clang-format -i $(SRCS) tank.c $(wildcard */*.h) $(TEST_SRCS) t/runner.c t/testlib.c t/fakert.c

format-check:
	@clang-format --dry-run --Werror $(SRCS) tank.c $(wildcard */*.h) $(TEST_SRCS) t/runner.c t/testlib.c t/fakert.c \
		&& echo "format-check: clean"

# Refused while the demo's pods run: their roots and logs live under build/demo.
clean:
	@d="$(CURDIR)/build/"demo/; \
	if grep -qsF " $$d" /proc/self/mountinfo || grep -qslaF -- "$$d" /proc/[0-9]*/cmdline; then \
		echo "make clean: the demo's pods still run (build/demo): run 'make demo-stop' first" >&2; \
		exit 1; \
	fi
	rm -rf build tank t/runner-bin t/podctl t/regfetch t/ctrctl tank_*.deb

# ---- installing (README "Install") ----
# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the systemd unit, man pages and
# bash completion; /etc/tank/tank.ini only when there is none (an edited one is never
# overwritten); the directories the defaults name, root-only. make uninstall removes what
# install wrote except the configuration, the manifests and the state.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var

build/man/tank.1: tank man/mkman.py conf/tank.ini README.md
	python3 man/mkman.py ./tank build/man $(VERSION)
build/man/tank.ini.5 build/man/tank-pod.5: build/man/tank.1
man: build/man/tank.1

install: tank man
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 tank $(DESTDIR)$(BINDIR)/tank
	sed 's|/usr/local/bin/tank|$(BINDIR)/tank|g; s|/etc/tank/|$(SYSCONFDIR)/tank/|g' \
		conf/tank.service >$(DESTDIR)$(UNITDIR)/tank.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tank.service
	install -m 0644 build/man/tank.1 $(DESTDIR)$(MANDIR)/man1/tank.1
	install -m 0644 build/man/tank.ini.5 build/man/tank-pod.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 completion/tank.bash $(DESTDIR)$(BASHCOMPDIR)/tank
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/tank
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/tank/pods $(DESTDIR)$(LOCALSTATEDIR)/lib/tank \
		$(DESTDIR)$(LOCALSTATEDIR)/log/tank
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/tank/tank.ini ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/tank/tank.ini (the default is in conf/tank.ini)"; \
	else install -m 0644 conf/tank.ini $(DESTDIR)$(SYSCONFDIR)/tank/tank.ini; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tank $(DESTDIR)$(UNITDIR)/tank.service \
		$(DESTDIR)$(MANDIR)/man1/tank.1 $(DESTDIR)$(MANDIR)/man5/tank.ini.5 \
		$(DESTDIR)$(MANDIR)/man5/tank-pod.5 $(DESTDIR)$(BASHCOMPDIR)/tank
	@echo "kept $(SYSCONFDIR)/tank (configuration, manifests) and $(LOCALSTATEDIR)/lib/tank (images, volumes)"

# make deb: tank_VERSION_ARCH.deb built with dpkg-deb (packaging/deb/ has its scripts).
deb: tank man
	packaging/deb/build.sh $(VERSION)

-include $(DEPS)
