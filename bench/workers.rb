# frozen_string_literal: true

# rake bench:workers: several processes (Sidekiq processes on several machines, say) spending one
# Intercom rate limit, each pacing alone from Intercom's headers, or sharing one budget in Redis
# (config.rate_limit_redis_url). Each process syncs new users of its own with perform_all
# (CONCURRENCY threads) against one throttled emulator; the figures are the whole group's.
#
#   PROCESSES="2 4" LIMIT=500 SECONDS_OF_WORK=40 CONCURRENCY=4 RTT=20 ruby bench/workers.rb
#
# "answered/window" is the mean of the requests answered (not 429) in each full 10 s window the
# processes were busy for, against the limit: the share of the allowed rate they reach.
#
# A process runs as `ruby bench/workers.rb worker URL TOKEN USERS FIRST_ID CONCURRENCY [REDIS_URL]`
# and prints one JSON line: when it started and ended syncing (after boot), and its errors.
require "json"
require "net/http"
require "open3"
require "rbconfig"

ROOT = File.expand_path("..", __dir__)

if ARGV.first == "worker"
  require "logger"
  require "intercom_sync"
  require_relative "workload"
  _, url, token, count, first_id, concurrency, redis_url = ARGV
  Workload.configure(url, token) { |c| c.rate_limit_redis_url = redis_url if redis_url }
  users = Workload.users(Integer(count), Integer(first_id))
  $stdout.puts "ready"
  $stdout.flush
  $stdin.gets # every process starts at once
  started = Process.clock_gettime(Process::CLOCK_REALTIME)
  errors = Hash.new(0)
  SyncWithIntercom.perform_all(users, concurrency: Integer(concurrency), collect: false, prefetch: false) do |outcome|
    errors[outcome.error.class.name] += 1 unless outcome.ok?
  end
  puts JSON.generate(started: started, ended: Process.clock_gettime(Process::CLOCK_REALTIME), errors: errors)
  exit 0
end

require_relative "emulator_process"
require_relative "../spec/support/redis_server"

PROCESSES = ENV.fetch("PROCESSES", "2 4").split.map { |n| Integer(n) }
LIMIT = Integer(ENV.fetch("LIMIT", "500"))             # requests per 10 s window, for the whole app
SECONDS_OF_WORK = Float(ENV.fetch("SECONDS_OF_WORK", "40")) # at the allowed rate, for each run: 3 full windows
CONCURRENCY = Integer(ENV.fetch("CONCURRENCY", "4"))
RTT = Float(ENV.fetch("RTT", "20"))
REQUESTS_PER_NEW_USER = 5 # create, 2 company upserts, 2 attaches (bench/workload.rb)

def run_group(processes, redis_url)
  emulator = EmulatorProcess.start(rtt_ms: RTT, rate_limit: LIMIT)
  users = (LIMIT / 10.0 * SECONDS_OF_WORK / REQUESTS_PER_NEW_USER / processes).ceil
  workers = Array.new(processes) do |i|
    cmd = [RbConfig.ruby, "-I#{ROOT}/lib", __FILE__, "worker", emulator.url, EmulatorProcess::TOKEN, users.to_s,
           (10_000_000 + (i * 100_000)).to_s, CONCURRENCY.to_s, redis_url].compact
    Open3.popen2(*cmd)
  end
  workers.each { |_, stdout, _| stdout.gets == "ready\n" || abort("a worker did not start") }
  workers.each { |stdin, _, _| stdin.puts("go") && stdin.flush }
  sampler = Thread.new { sample_windows(emulator) }
  results = workers.map do |stdin, stdout, thread|
    stdin.close
    line = stdout.read.lines.last
    abort "a worker failed" unless thread.value.success? && line
    JSON.parse(line)
  end
  sampler.kill
  started = results.map { |r| r["started"] }.min
  ended = results.map { |r| r["ended"] }.max
  stats = emulator.stats
  { processes: processes, users: users * processes, elapsed: ended - started, requests: stats["requests"],
    rate_limited: stats["rate_limited"], windows: full_windows(sampler.value || @samples, started, ended),
    errors: results.map { |r| r["errors"] }.reduce({}) { |a, e| a.merge(e) { |_, x, y| x + y } } }
ensure
  emulator&.stop
end

# The emulator's counts just after each 10 s window boundary (its windows are aligned on the
# Unix clock, as Intercom's X-RateLimit-Reset): [time, requests answered (not 429)] pairs.
def sample_windows(emulator)
  @samples = []
  loop do
    boundary = ((Time.now.to_f / 10).floor + 1) * 10
    sleep(boundary + 0.05 - Time.now.to_f)
    stats = emulator.stats
    @samples << [boundary, stats["requests"] - stats["rate_limited"]]
  end
end

# The requests answered in each window the workers were busy for from start to end.
def full_windows(samples, started, ended)
  samples.each_cons(2).filter_map { |(t0, n0), (t1, n1)| n1 - n0 if t0 >= started && t1 <= ended }
end

allowed = LIMIT / 10.0
begin
  redis = RedisServer.start
  puts "Many processes, one rate limit: #{LIMIT} requests per 10 s window (#{allowed.round(1)}/s) for the app, " \
       "#{RTT.round} ms round trip;\neach process perform_all(#{CONCURRENCY}) over new users of its own " \
       "(#{REQUESTS_PER_NEW_USER} requests each), about #{SECONDS_OF_WORK.round} s of work at the allowed rate"
  puts format("  %-10s %-20s %6s %9s %8s %18s %6s %9s", "processes", "budget", "users", "time (s)", "windows",
              "answered/window", "429s", "429 share")
  PROCESSES.each do |n|
    [nil, redis.url].each do |redis_url|
      r = run_group(n, redis_url)
      used = r[:windows].empty? ? nil : r[:windows].sum.to_f / r[:windows].size / LIMIT
      puts format("  %-10d %-20s %6d %9.1f %8d %18s %6d %8.2f%%%s", n, redis_url ? "shared in Redis" : "each alone",
                  r[:users], r[:elapsed], r[:windows].size,
                  used ? format("%.1f%% of %d", 100 * used, LIMIT) : "(no full window)", r[:rate_limited],
                  100.0 * r[:rate_limited] / r[:requests], r[:errors].empty? ? "" : "  errors: #{r[:errors]}")
    end
  end
ensure
  redis&.stop
end
