# frozen_string_literal: true

require "json"

# libFuzzer harnesses over the Ruby-free core (fuzz/*.c), built with clang and ASan + UBSan.
#   rake fuzz                      each harness for FUZZ_SECONDS (default 60)
#   rake fuzz:json FUZZ_SECONDS=600
# New inputs that grow coverage go to tmp/fuzz/corpus/NAME; a crash leaves tmp/fuzz/crash-* and
# fails the task (turn it into a regression test in spec/c/ before fixing it).
#   rake fuzz:corpus               the C tests' fixtures as fuzz_sync seeds (fuzz:corpus_check in CI)
FUZZ_HARNESSES = %w[json sync url exec].freeze

# The C tests' canned exchanges (spec/c/cases/*.json, see spec/c/test_cases.c) as fuzz_sync seeds,
# so the fuzzer starts from every path the tests walk. fuzz_sync's input: the snapshot, a NUL,
# then one record per answer, [status byte][body], NUL-separated; the input's length parity is
# the dry_run flag. An error answer becomes the byte fuzz_sync maps back to its status, with the
# id (the record's body is then the resource id, and its code too) and archived bits as needed.
module FuzzSeeds
  STATUSES = [404, 409, 410, 429, 500, 400].freeze # fuzz_sync.c's outcome_for, by byte % 6
  TRANSPORT = 6                                     # byte % 7 == 6: a connection reset

  module_function

  def error_byte(answer, status = answer["status"])
    id = !answer["resource_id"].nil?
    archived = answer["message"].to_s.include?("archived")
    code_bits = { "company_not_found" => 16, "invalid_merge" => 32 }.fetch(answer["code"], 0)
    byte = (1..0xFD).find do |b| # 0 is a 200; 0xFE and 0xFF are fuzz_sync's long and huge answers
      b % 7 != TRANSPORT && STATUSES[b % 6] == status && (b & 64 != 0) == id &&
        (b & 128 != 0) == archived && (b & 48) == code_bits
    end
    byte || error_byte(answer, 500) # a status fuzz_sync cannot spell: a server error
  end

  def record(answer)
    return [TRANSPORT, "reset"] if answer["error"]
    return [0, JSON.generate(answer["body"])] if answer["status"] == 200

    [error_byte(answer), (answer["resource_id"] || answer["code"]).to_s]
  end

  # { "fuzz/corpus/sync/case_FILE_INDEX.bin" => seed } for every fixture case
  def all
    Dir["spec/c/cases/*.json"].sort.each_with_object({}) do |path, seeds|
      JSON.parse(File.read(path)).each_with_index do |kase, index|
        seeds["fuzz/corpus/sync/case_#{File.basename(path, '.json')}_#{index}.bin"] = seed(kase)
      end
    end
  end

  def seed(kase)
    snapshot = kase["snapshot"]
    text = (snapshot.is_a?(String) ? snapshot : JSON.generate(snapshot)).b
    records = Array(kase["exchanges"]).map { |x| record(x["answer"] || {}) }
    text << "\0" << records.map { |byte, body| byte.chr + body.b }.join("\0") unless records.empty?
    text << "\0" if (text.bytesize & 1) != (kase["dry_run"] ? 1 : 0) # a trailing NUL ends nothing new
    text
  end
end

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

  desc "Write spec/c/cases/*.json into fuzz/corpus/sync/case_*.bin (fuzz_sync seeds; commit them)"
  task :corpus do
    rm_f Dir["fuzz/corpus/sync/case_*.bin"]
    FuzzSeeds.all.each { |file, seed| File.binwrite(file, seed) }
  end

  desc "Fail when fuzz/corpus/sync/case_*.bin differ from what fuzz:corpus would write (for CI)"
  task :corpus_check do
    want = FuzzSeeds.all
    have = Dir["fuzz/corpus/sync/case_*.bin"].to_h { |file| [file, File.binread(file)] }
    stale = (want.keys | have.keys).reject { |file| want[file] == have[file] }
    abort "fuzz seeds out of date (run rake fuzz:corpus): #{stale.sort.join(', ')}" unless stale.empty?
  end
end

desc "Run every fuzzer for FUZZ_SECONDS each (default 60)"
task fuzz: FUZZ_HARNESSES.map { |n| "fuzz:#{n}" }
