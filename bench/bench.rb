# frozen_string_literal: true

# rake bench: intercom_sync against the official intercom gem, side by side, on the embedded
# emulator with a simulated network round trip. Every run is a process of its own (its CPU time
# and peak RSS are its own); the emulator runs in another.
#
#   RTT=50 USERS=40 BULK_USERS=320 THROTTLED_USERS=1200 CPU_USERS=300 MEMORY_USERS=1000 RESYNC_USERS=3000 rake bench
require "json"
require "open3"
require "rbconfig"
require_relative "emulator_process"

ROOT = File.expand_path("..", __dir__)
RTT_MS = Float(ENV.fetch("RTT", "50"))
USERS = Integer(ENV.fetch("USERS", "40"))
BULK_USERS = Integer(ENV.fetch("BULK_USERS", "320"))
THROTTLED_USERS = Integer(ENV.fetch("THROTTLED_USERS", "1200"))
CPU_USERS = Integer(ENV.fetch("CPU_USERS", "300"))
MEMORY_USERS = Integer(ENV.fetch("MEMORY_USERS", "1000"))
RESYNC_USERS = Integer(ENV.fetch("RESYNC_USERS", "3000"))
TOKEN = EmulatorProcess::TOKEN

# Starts an emulator process; returns [base_url, stop].
def start_emulator(rtt_ms:, rate_limit:)
  emulator = EmulatorProcess.start(rtt_ms: rtt_ms, rate_limit: rate_limit)
  [emulator.url, -> { emulator.stop }]
end

$next_id = 1_000_000
def run(variant, workload, url, users)
  first = ($next_id += 1_000_000)
  out, status = Open3.capture2(RbConfig.ruby, "-I#{ROOT}/lib", "#{ROOT}/bench/run_variant.rb", variant, workload, url,
                               TOKEN, users.to_s, first.to_s)
  abort "#{variant} #{workload} failed" unless status.success?
  JSON.parse(out.lines.last)
end

def label(variant)
  { "official" => "intercom gem 4.x, sequential", "sync" => "intercom_sync, sequential" }.fetch(variant) do
    mode = { "list" => ", pages", "lookup" => ", lookups" }[variant.split(":")[2]]
    "intercom_sync perform_all(#{variant[/\d+/]}#{mode})"
  end
end

def row(r, baseline)
  users_s = r["users"] / r["elapsed"]
  ratio = baseline ? users_s / (baseline["users"] / baseline["elapsed"]) : nil
  format("  %-34s %8.1f %9.2f %9.2f %9.1f MB %8s %s", label(r["variant"]), users_s, r["requests"].to_f / r["users"],
         r["cpu"] * 1000 / r["users"], r["rss_peak_kb"] / 1024.0, ratio ? format("%.1fx", ratio) : "1.0x",
         r["errors"].empty? ? "" : "errors: #{r['errors']}")
end

header = format("  %-34s %8s %9s %9s %12s %8s", "client", "users/s", "req/user", "CPU ms/u", "peak RSS", "vs gem")
puts "intercom_sync #{`git -C #{ROOT} rev-parse --short HEAD`.strip} benchmark, #{`nproc`.strip} cores; " \
     "emulator in its own process; every run in its own process"

url, stop = start_emulator(rtt_ms: RTT_MS, rate_limit: 1_000_000_000)
puts "\n1. #{RTT_MS.round} ms round trip, unthrottled. A new connection costs 2 round trips before its first " \
     "request\n   (TCP + TLS 1.3, as https to Intercom; the official gem pins its own CA bundle, so the emulator " \
     "speaks\n   plain http and charges the handshake), each request 1 more."
{ "new" => "new users (signed up 3 days ago, as in a backfill)",
  "fresh" => "fresh sign-ups (signed up a minute ago, as the job usually runs)",
  "unchanged" => "unchanged users", "changed" => "changed users" }.each do |workload, title|
  puts "\n workload: #{title}\n#{header}"
  baseline = run("official", workload, url, USERS)
  puts row(baseline, nil)
  puts row(run("sync", workload, url, USERS), baseline)
  %w[bulk:4 bulk:16].each { |v| puts row(run(v, workload, url, BULK_USERS), baseline) }
end
stop.call

url, stop = start_emulator(rtt_ms: 0, rate_limit: 1_000_000_000)
puts "\n2. 0 ms round trip: client CPU per sync\n#{header}"
%w[new unchanged].each do |workload|
  puts " workload: #{workload} users"
  baseline = run("official", workload, url, CPU_USERS)
  ours = run("sync", workload, url, CPU_USERS)
  puts row(baseline, nil)
  puts row(ours, baseline)
  puts format("  CPU per sync: intercom_sync / official gem = %.2f", (ours["cpu"] / ours["users"]) / (baseline["cpu"] / baseline["users"]))
end
mem = run("sync", "memory", url, MEMORY_USERS)
puts "\n3. Memory: #{mem['syncs']} syncs of unchanged users: RSS #{(mem['rss_start_kb'] / 1024.0).round(1)} MB after " \
     "#{2 * MEMORY_USERS}, #{(mem['rss_end_kb'] / 1024.0).round(1)} MB at the end: growth " \
     "#{((mem['rss_end_kb'] - mem['rss_start_kb']) / 1024.0).round(2)} MB"
stop.call

url, stop = start_emulator(rtt_ms: RTT_MS, rate_limit: 1666)
r = run("bulk:16", "new", url, THROTTLED_USERS)
ceiling = 1666 / 10.0
rate = r["requests"] / r["elapsed"]
puts "\n4. Throttled like Intercom (1666 requests per 10 s window), #{RTT_MS.round} ms round trip, perform_all(16), new users"
puts format("  %d users in %.1f s: %.1f users/s, %.1f requests/s = %.1f%% of the %.1f/s ceiling, %d 429s, errors: %s",
            r["users"], r["elapsed"], r["users"] / r["elapsed"], rate, 100 * rate / ceiling, ceiling, r["rate_limited"],
            r["errors"].empty? ? "none" : r["errors"])
stop.call

# A nightly re-sync of a whole workspace of unchanged users, throttled like Intercom: one lookup
# per user against one page of 150 contacts per request (perform_all's prefetch). Each run has
# a workspace of its own holding exactly its users, as a real full sync does.
puts "\n5. Nightly re-sync of #{RESYNC_USERS} unchanged users, the workspace holding exactly them, throttled " \
     "(1666 per 10 s),\n   #{RTT_MS.round} ms round trip\n#{header}"
%w[bulk:16:lookup bulk:16:list].each do |variant|
  url, stop = start_emulator(rtt_ms: RTT_MS, rate_limit: 1666)
  r = run(variant, "unchanged", url, RESYNC_USERS)
  puts format("  %-34s %8.1f %9.3f %9.2f %9.1f MB   %d 429s, %.1f requests/s%s", label(variant), r["users"] / r["elapsed"],
              r["requests"].to_f / r["users"], r["cpu"] * 1000 / r["users"], r["rss_peak_kb"] / 1024.0,
              r["rate_limited"], r["requests"] / r["elapsed"], r["errors"].empty? ? "" : ", errors: #{r['errors']}")
  stop.call
end
