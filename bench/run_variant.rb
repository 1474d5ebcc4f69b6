# frozen_string_literal: true

# One benchmark run in a process of its own, so its CPU time and peak RSS are its own:
#   ruby bench/run_variant.rb VARIANT WORKLOAD BASE_URL TOKEN USERS FIRST_ID
# VARIANT: official | sync | bulk:N[:list|:lookup] (perform_all's prefetch: true, false, else :auto)
# WORKLOAD: new (signed up 3 days ago) | fresh (signed up a minute ago) | unchanged | changed | memory
# Prints one JSON line.
require "json"
require "logger"
require "net/http"
require "intercom_sync"
require_relative "workload"
require_relative "official_gem_sync"

variant, workload, base_url, token, count, first_id = ARGV
count = Integer(count)
first_id = Integer(first_id)

Workload.configure(base_url, token)

def emulator_stats(base_url, token)
  uri = URI("#{base_url}/__emulator/stats")
  res = Net::HTTP.get_response(uri, "Authorization" => "Bearer #{token}", "Accept" => "application/json")
  JSON.parse(res.body)
end

def rss_kb(field)
  File.read("/proc/self/status")[/^#{field}:\s+(\d+)/, 1].to_i
end

errors = Hash.new(0)
sync_all = case variant
           when "official"
             official = OfficialGemSync.new(token: token, base_url: base_url)
             lambda do |users|
               users.each do |u|
                 official.perform(u)
               rescue StandardError => e
                 errors[e.class.name] += 1
               end
             end
           when "sync"
             lambda do |users|
               users.each do |u|
                 SyncWithIntercom.perform(u)
               rescue StandardError => e
                 errors[e.class.name] += 1
               end
             end
           when /\Abulk:(\d+)(?::(list|lookup))?\z/
             concurrency = Integer(Regexp.last_match(1))
             prefetch = { "list" => true, "lookup" => false, nil => :auto }.fetch(Regexp.last_match(2))
             lambda do |users|
               report = SyncWithIntercom.perform_all(users, concurrency: concurrency, collect: false,
                                                            prefetch: prefetch) do |outcome|
                 errors[outcome.error.class.name] += 1 unless outcome.ok?
               end
               report
             end
           else abort "unknown variant #{variant}"
           end

# fresh: the job right after sign-up, inside the lead window (created first, leads searched)
users = workload == "fresh" ? Workload.users(count, first_id, created_at: Time.now - 60) : Workload.users(count, first_id)
out = { variant: variant, workload: workload, users: count }

if workload == "memory"
  # the same unchanged users over and over: RSS after warming up against RSS at the end
  passes = Integer(ENV.fetch("PASSES", "20"))
  sync_all.call(users)
  sync_all.call(users)
  GC.start
  out[:rss_start_kb] = rss_kb("VmRSS")
  (passes - 2).times { sync_all.call(users) }
  GC.start
  out[:rss_end_kb] = rss_kb("VmRSS")
  out[:syncs] = count * passes
else
  if %w[unchanged changed].include?(workload)
    sync_all.call(users) # the first sync: not measured
    Workload.change!(users, first_id) if workload == "changed"
  end
  before = emulator_stats(base_url, token)
  cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  sync_all.call(users)
  out[:elapsed] = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  out[:cpu] = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu
  after = emulator_stats(base_url, token)
  out[:requests] = after["requests"] - before["requests"] # the stats calls are not counted
  out[:rate_limited] = after["rate_limited"] - before["rate_limited"]
end
out[:rss_peak_kb] = rss_kb("VmHWM")
out[:errors] = errors
puts JSON.generate(out)
