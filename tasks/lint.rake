# frozen_string_literal: true

require "rbconfig"

namespace :lint do
  desc "Static analysis of ext/: cppcheck, then clang-tidy with .clang-tidy (both fail on any finding)"
  task c: :compile do
    sh "cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c99 " \
       "--inline-suppr --suppress=missingIncludeSystem -I ext/intercom_sync ext/intercom_sync/"
    extconf_dir = Dir["tmp/*/intercom_sync_ext/*/isync_extconf.h"].map { |f| File.dirname(f) }.first
    includes = ["-Iext/intercom_sync", "-I#{extconf_dir}", "-I#{RbConfig::CONFIG['rubyhdrdir']}",
                "-I#{RbConfig::CONFIG['rubyarchhdrdir']}", `pkg-config --cflags libcurl yajl`.strip]
    sh "clang-tidy --quiet #{Dir['ext/intercom_sync/*.c'].sort.join(' ')} -- -std=c99 -D_POSIX_C_SOURCE=200809L " \
       "#{includes.join(' ')}"
  end
end
