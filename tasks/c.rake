# frozen_string_literal: true

# The C core's own tests: spec/c/test_*.c (test_main.c runs one file a module) linked with
# ext/intercom_sync/isync_*.c (the Ruby-free sources) into tmp/c/test_core, run against an
# emulator, plain, under valgrind, and under ASan + UBSan.
namespace :c do
  core_sources = FileList["ext/intercom_sync/isync_*.c"]
  flags = "-std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g -Iext/intercom_sync -Ispec/c"
  libs = -> { "#{`pkg-config --cflags --libs libcurl yajl`.strip} -lm -lpthread" }

  # Programs of their own (a main each, no emulator): the core against a hostile server, and the
  # loop of retries, pacing and deadline over a fake transport and clock.
  standalone = %w[hostile exec exec_shared]
  core_tests = FileList["spec/c/test_*.c"].exclude(*standalone.map { |name| "spec/c/test_#{name}.c" })

  build = lambda do |out, extra|
    mkdir_p "tmp/c"
    sh "cc #{flags} #{extra} -o #{out} #{core_tests.join(' ')} #{core_sources.join(' ')} #{libs.call}"
  end

  build_standalone = lambda do |suffix, extra|
    standalone.map do |name|
      out = "tmp/c/test_#{name}#{suffix}"
      sh "cc #{flags} #{extra} -o #{out} spec/c/test_#{name}.c #{core_sources.join(' ')} #{libs.call}"
      out
    end
  end

  # Runs command (an array) with ISYNC_TEST_URL pointing at a fresh emulator.
  run_against_emulator = lambda do |command, env = {}|
    IO.popen([RbConfig.ruby, "-Ilib", "spec/c/emulator_for_c.rb"], "r+") do |emulator|
      url = emulator.gets.to_s.strip
      raise "emulator did not start" if url.empty?

      sh(env.merge("ISYNC_TEST_URL" => url), *command)
    ensure
      emulator.close_write
    end
  end

  desc "Build and run the C core tests"
  task :test do
    build.call("tmp/c/test_core", "-O1")
    run_against_emulator.call(["tmp/c/test_core"])
    build_standalone.call("", "-O1").each { |program| sh program }
  end

  desc "Run the C core tests under valgrind memcheck (no errors, no definite leaks)"
  task :valgrind do
    build.call("tmp/c/test_core", "-O0")
    valgrind = %w[valgrind --quiet --error-exitcode=99 --leak-check=full
                  --errors-for-leak-kinds=definite --show-leak-kinds=definite]
    run_against_emulator.call(valgrind + %w[tmp/c/test_core])
    # timing checks are for optimised builds; under valgrind only correctness counts
    build_standalone.call("", "-O0").each { |program| sh({ "ISYNC_NO_TIMING" => "1" }, *valgrind, program) }
  end

  desc "Run the C core tests built with AddressSanitizer and UndefinedBehaviorSanitizer"
  task :asan do
    build.call("tmp/c/test_core_asan", "-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all")
    run_against_emulator.call(["tmp/c/test_core_asan"], "ASAN_OPTIONS" => "detect_leaks=1:abort_on_error=1")
    build_standalone.call("_asan", "-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all")
                    .each { |program| sh({ "ASAN_OPTIONS" => "detect_leaks=1:abort_on_error=1", "ISYNC_NO_TIMING" => "1" }, program) }
  end
end
