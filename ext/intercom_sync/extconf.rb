# frozen_string_literal: true

# Builds intercom_sync's C core. libcurl and yajl come from the system (never vendored: Debian's
# yajl carries CVE fixes upstream never released, and yajl-ruby's copy is the 1.x API).
#
# Lookup order: --with-curl-dir / --with-yajl-dir if given, else pkg-config, else the default
# compiler paths. A missing or too-old library aborts with the exact line to install it.
require "mkmf"

INSTALL_HINT = <<~MSG

  intercom_sync needs libcurl (>= 7.68) and yajl (2.x) with their headers, and pkg-config.
  On Debian/Ubuntu:

      sudo apt-get install libcurl4-openssl-dev libyajl-dev pkg-config

  Libraries in a non-standard place:

      gem install intercom_sync -- --with-curl-dir=/opt/curl --with-yajl-dir=/opt/yajl
      bundle config build.intercom_sync --with-curl-dir=/opt/curl --with-yajl-dir=/opt/yajl

MSG

def abort_with_hint(what)
  message = "intercom_sync: #{what}\n#{INSTALL_HINT}"
  Logging.message(message)
  abort(message)
end

def explicit_dir?(name)
  dir_config(name).any?
end

pkg_config("libcurl") unless explicit_dir?("curl")
pkg_config("yajl") unless explicit_dir?("yajl")

find_header("curl/curl.h") || abort_with_hint("libcurl headers (curl/curl.h) not found.")
have_library("curl", "curl_easy_init", "curl/curl.h") || abort_with_hint("libcurl not found.")
# curl_multi_wakeup (7.68.0) is how a Ruby thread interrupts a request blocked in poll.
have_func("curl_multi_wakeup", "curl/curl.h") ||
  abort_with_hint("libcurl is too old: 7.68.0 or newer is required (curl_multi_wakeup missing).")
have_func("curl_url", "curl/curl.h") || abort_with_hint("libcurl is too old: curl_url missing.")

find_header("yajl/yajl_parse.h") || abort_with_hint("yajl headers (yajl/yajl_parse.h) not found.")
have_library("yajl", "yajl_alloc", "yajl/yajl_parse.h") || abort_with_hint("yajl not found.")
# yajl_complete_parse exists only in yajl 2.x; 1.x has an incompatible API.
have_func("yajl_complete_parse", "yajl/yajl_parse.h") ||
  abort_with_hint("yajl is too old: yajl 2.x is required (yajl_complete_parse missing).")
have_func("rb_enc_interned_str", "ruby/encoding.h")
# glibc's: gives the pages a bulk run freed back to the system (Native.release_free_memory);
# other allocators (musl, jemalloc through LD_PRELOAD) return memory on their own.
have_func("malloc_trim", "malloc.h")

append_cflags("-std=c99")
append_cflags("-fvisibility=hidden")
# Ruby's own headers have unused parameters: this must come before -Wextra, whose probe
# compiles them with -Werror (and so silently dropped -Wextra when it came after).
append_cflags("-Wno-unused-parameter")
append_cflags("-Wall")
append_cflags("-Wextra")
append_cflags("-Wmissing-noreturn")
# C API that newer Rubies deprecate, then remove, shows up here first.
append_cflags("-Wdeprecated-declarations")
# A C API this Ruby lacks (rb_hash_new_capa is 3.2's) must fail the build, not the gem's load.
append_cflags("-Werror=implicit-function-declaration")

if ENV["ISYNC_DEBUG"] == "1"
  $CFLAGS << " -O0 -ggdb3 -DRUBY_DEBUG -Werror"
end

# Entry points only specs use (Native.decode_sync_result): in test builds, never in the gem.
$defs << "-DISYNC_TEST_HOOKS" if ENV["ISYNC_TEST_HOOKS"] == "1" || ENV["ISYNC_SANITIZE"] == "1"

if ENV["ISYNC_SANITIZE"] == "1"
  # Heap and undefined-behaviour checks. Stack instrumentation stays off inside Ruby: Ruby (not
  # built with ASan) unwinds threads with its own longjmp on Thread#kill and raise, leaving stale
  # stack poison that ASan then reports in unrelated later frames. The C driver (rake c:asan)
  # runs the core with full stack checks.
  $CFLAGS << " -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
             " --param=asan-stack=0"
  $LDFLAGS << " -fsanitize=address,undefined"
end

create_header("isync_extconf.h")
create_makefile("intercom_sync/intercom_sync_ext")
