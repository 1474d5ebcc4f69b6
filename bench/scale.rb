# frozen_string_literal: true

# The nightly sync of a big workspace (#13, "scale by simulation"): SCALE_USERS users whose
# contacts (and companies) Intercom already holds, as the first full sync left them, CHANGED
# of them changed since (a new name, one seat more, a move to another team), synced with
# perform_all(CONCURRENCY) reading the contact pages. The emulator is seeded straight from a
# file (no request), runs in a process of its own, once unthrottled and once at Intercom's
# limit (1,666 requests per 10 s); the sync and the seed writer run in processes of their own.
#
#   SCALE_USERS=100000 CHANGED=0.01 CONCURRENCY=16 RTT=50 ruby -Ilib bench/scale.rb
#   (RUNS=free or RUNS=limited for one of the two runs)
require "json"
require "open3"
require "rbconfig"
require "tmpdir"
require_relative "emulator_process"

ROOT = File.expand_path("..", __dir__)
USERS = Integer(ENV.fetch("SCALE_USERS", "100000"))
CHANGED = Float(ENV.fetch("CHANGED", "0.01"))
CONCURRENCY = Integer(ENV.fetch("CONCURRENCY", "16"))
RTT_MS = Float(ENV.fetch("RTT", "50"))
RATE_LIMIT = 1666 # Intercom's default private-app budget per 10 s window
FIRST_ID = 1
TOKEN = EmulatorProcess::TOKEN

def ruby(*args)
  out, status = Open3.capture2(RbConfig.ruby, "-I#{ROOT}/lib", *args)
  abort "#{args.first(2).join(' ')} failed" unless status.success?
  JSON.parse(out.lines.last)
end

def proc_status_kb(pid, field)
  File.read("/proc/#{pid}/status")[/^#{field}:\s+(\d+)/, 1].to_i
end

# Starts an emulator on the seed; returns [url, pid, seconds it took to load, stop].
def start_emulator(seed, rate_limit)
  emulator = EmulatorProcess.start(rtt_ms: RTT_MS, rate_limit: rate_limit, seed: seed)
  loaded = emulator.startup_lines.grep(/seeded from/).first&.then { |line| Float(line[/in ([\d.]+) s/, 1]) }
  [emulator.url, emulator.pid, loaded, -> { emulator.stop }]
end

def mb(kb) = format("%.0f MB", kb / 1024.0)

def nightly(seed, rate_limit)
  url, pid, loaded, stop = start_emulator(seed, rate_limit)
  emulator_rss = proc_status_kb(pid, "VmRSS")
  r = ruby("#{ROOT}/bench/scale_run.rb", "sync", url, TOKEN, USERS.to_s, FIRST_ID.to_s, CHANGED.to_s, CONCURRENCY.to_s)
  r.merge("emulator_loaded_s" => loaded, "emulator_rss_seeded_kb" => emulator_rss,
          "emulator_rss_peak_kb" => proc_status_kb(pid, "VmHWM"))
ensure
  stop&.call
end

def report(title, r)
  routes = r["routes"]
  pages = routes.fetch("GET /contacts", 0)
  definitions = routes.fetch("GET /data_attributes", 0)
  writes = r["requests"] - pages - definitions
  puts "\n#{title}"
  puts format("  %d users, %d changed: %d requests = %d contact pages + %d writes (%.2f per changed user) + %d reads of " \
              "the attribute definitions", r["users"], r["changed"], r["requests"], pages, writes,
              writes.to_f / [r["changed"], 1].max, definitions)
  puts "  by route: #{routes.sort_by { |_, n| -n }.map { |k, n| "#{k} #{n}" }.join(', ')}"
  puts format("  wall %.1f s (%.1f requests/s), CPU %.1f s, %d 429s, %d synced, errors: %s", r["elapsed"],
              r["requests"] / r["elapsed"], r["cpu"], r["rate_limited"], r["succeeded"],
              r["errors"].empty? ? "none" : r["errors"])
  puts "  sync process: RSS #{mb(r['rss_boot_kb'])} at boot, #{mb(r['rss_users_kb'])} holding the users, peak " \
       "#{mb(r['rss_peak_kb'])}; emulator: #{mb(r['emulator_rss_seeded_kb'])} seeded " \
       "(in #{r['emulator_loaded_s']&.round(1)} s), peak #{mb(r['emulator_rss_peak_kb'])}"
end

# On paper: pages (N / 150) + k writes per changed user, at most 166.6 requests/s; and the
# pages come one after the other (each needs the cursor of the one before), so their walk is a
# bound of its own.
def extrapolate(free)
  pages = free["routes"].fetch("GET /contacts", 0)
  k = (free["requests"] - pages - free["routes"].fetch("GET /data_attributes", 0)).to_f / [free["changed"], 1].max
  per_page_s = free["elapsed"] / [pages, 1].max # unthrottled, the page walk is the critical path
  app_kb = (free["rss_users_kb"] - free["rss_boot_kb"]).to_f / USERS
  sync_kb = free["rss_peak_kb"] - free["rss_users_kb"]
  puts "\n3. Extrapolated: pages = N/150 read one after another (#{(per_page_s * 1000).round} ms a page " \
       "unthrottled here, all work included),\n   #{k.round(2)} writes per changed user, #{RATE_LIMIT / 10.0} requests/s"
  [USERS, 1_000_000].uniq.each do |n|
    pages = (n / 150.0).ceil
    writes = (n * CHANGED * k).round
    puts format("  %9d users: %6d pages + %6d writes = %6d requests: >= %5.1f min at the limit, ~%5.1f min " \
                "for the page walk", n, pages, writes, pages + writes, (pages + writes) / (RATE_LIMIT / 10.0) / 60,
                pages * per_page_s / 60)
  end
  puts format("  memory: the users this process holds %.2f KB a user (%.0f MB at 1M; an app's find_each holds a " \
              "batch), perform_all's own %s over them at %d users", app_kb, app_kb * 1_000_000 / 1024, mb(sync_kb), USERS)
end

puts "intercom_sync #{`git -C #{ROOT} rev-parse --short HEAD`.strip} scale benchmark, #{`nproc`.strip} cores: " \
     "#{USERS} users, #{(CHANGED * 100).round(2)}% changed, perform_all(#{CONCURRENCY}), #{RTT_MS.round} ms round trip"
Dir.mktmpdir("intercom_sync-scale") do |dir|
  seed = File.join(dir, "workspace.jsonl")
  s = ruby("#{ROOT}/bench/scale_run.rb", "seed", seed, USERS.to_s, FIRST_ID.to_s)
  puts format("  seed: %.1f MB of JSON Lines written in %.1f s", s["bytes"] / 1e6, s["seconds"])

  # RUNS=limited (or free) for one of the two runs only
  runs = ENV.fetch("RUNS", "free,limited").split(",")
  if runs.include?("free")
    free = nightly(seed, 1_000_000_000)
    report("1. Unthrottled", free)
  end
  if runs.include?("limited")
    report("2. At Intercom's limit (#{RATE_LIMIT} requests per 10 s = #{RATE_LIMIT / 10.0}/s)", nightly(seed, RATE_LIMIT))
  end
  extrapolate(free) if free
end
