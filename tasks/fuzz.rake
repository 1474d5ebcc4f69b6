# frozen_string_literal: true

# libFuzzer harnesses over the Ruby-free core (fuzz/*.c), built with clang and ASan + UBSan.
#   rake fuzz                      each harness for FUZZ_SECONDS (default 60)
#   rake fuzz:json FUZZ_SECONDS=600
# New inputs that grow coverage go to tmp/fuzz/corpus/NAME; a crash leaves tmp/fuzz/crash-* and
# fails the task (turn it into a regression test in spec/c/ before fixing it).
FUZZ_HARNESSES = %w[json sync url exec].freeze

namespace :fuzz do
  FUZZ_HARNESSES.each do |name|
    desc "Build and run the #{name} fuzzer for FUZZ_SECONDS (default 60)"
    task name do
      mkdir_p "tmp/fuzz/corpus/#{name}"
      binary = "tmp/fuzz/fuzz_#{name}"
      flags = `pkg-config --cflags --libs libcurl yajl`.strip
      sh "clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined " \
         "-Iext/intercom_sync -o #{binary} fuzz/fuzz_#{name}.c #{Dir['ext/intercom_sync/isync_*.c'].join(' ')} " \
         "#{flags} -lm -lpthread"
      seconds = Integer(ENV.fetch("FUZZ_SECONDS", "60"))
      sh "#{binary} -max_total_time=#{seconds} -print_final_stats=1 -artifact_prefix=tmp/fuzz/ " \
         "-max_len=8192 tmp/fuzz/corpus/#{name} fuzz/corpus/#{name}"
    end
  end
end

desc "Run every fuzzer for FUZZ_SECONDS each (default 60)"
task fuzz: FUZZ_HARNESSES.map { |n| "fuzz:#{n}" }
