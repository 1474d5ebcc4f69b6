# frozen_string_literal: true

# rake bench runs every section below in turn, each printing its figures side by side; each
# section also runs alone. Benchmarks print figures and ratios, they never pass or fail.
BENCH_SECTIONS = {
  clients: ["bench/bench.rb", "intercom_sync against the official intercom gem (RTT=50 USERS=40 BULK_USERS=320 ...)"],
  workers: ["bench/workers.rb", "N processes on one rate limit, each alone or sharing a budget in Redis " \
                                "(PROCESSES=\"2 4\" LIMIT=500 SECONDS_OF_WORK=40)"],
  long_lived: ["bench/long_lived.rb", "RSS of a process calling perform_all 40 times, worker pool against the old " \
                                      "lib, per allocator, unchanged and changed users " \
                                      "(USERS=500 CALLS=40 CONCURRENCY=16 OLD_REF=f81b276 WORKLOADS=\"unchanged changed\")"],
  scale: ["bench/scale.rb", "a nightly sync of a seeded workspace of 100,000 contacts, 1% changed " \
                            "(SCALE_USERS=100000 CHANGED=0.01 CONCURRENCY=16 RTT=50 RUNS=free|limited)"]
}.freeze

namespace :bench do
  BENCH_SECTIONS.each do |name, (script, description)|
    desc "Benchmark: #{description}"
    task(name => :compile) { ruby script }
  end
end

desc "Every benchmark section in turn (bench:#{BENCH_SECTIONS.keys.join(', bench:')})"
task bench: BENCH_SECTIONS.keys.map { |name| "bench:#{name}" }
