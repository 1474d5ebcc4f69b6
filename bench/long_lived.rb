# frozen_string_literal: true

# A long-lived process (a Sidekiq worker calling perform_all every few minutes): CALLS calls of
# perform_all over the same USERS users at CONCURRENCY, and the process's RSS after calls 1, 10,
# 20 and the last, and its growth from call 1 and from call 10. Two workloads: "unchanged" users
# (read from the contact pages, no request of theirs: the run keeps two workers busy) and
# "changed" ones (a new name every call: a request each, every worker busy). Side by side: this
# checkout (the worker pool) and the lib of OLD_REF (new threads and clients every call), each
# with glibc's malloc as it is, with MALLOC_ARENA_MAX=2, and with jemalloc through LD_PRELOAD
# (when libjemalloc is installed). Every variant runs in a process of its own against an
# emulator of its own (another process).
#
#   ruby bench/long_lived.rb
#   USERS=500 CALLS=40 CONCURRENCY=16 RTT=0 OLD_REF=f81b276 WORKLOADS="unchanged changed" ruby bench/long_lived.rb
#
# The child (one variant): WORKLOAD=unchanged ruby -I LIB bench/long_lived.rb --child BASE_URL TOKEN
require "json"
require "open3"
require "rbconfig"
require "tmpdir"
require "fileutils"
require_relative "emulator_process"

ROOT = File.expand_path("..", __dir__)
TOKEN = EmulatorProcess::TOKEN
USERS = Integer(ENV.fetch("USERS", "500"))
CALLS = Integer(ENV.fetch("CALLS", "40"))
CONCURRENCY = Integer(ENV.fetch("CONCURRENCY", "16"))
RTT_MS = Float(ENV.fetch("RTT", "0"))
WORKLOAD = ENV.fetch("WORKLOAD", "unchanged") # (the child's; the parent runs each of WORKLOADS)
WORKLOADS = ENV.fetch("WORKLOADS", "unchanged changed").split
REPORTED = [1, 10, 20, CALLS].select { |n| n <= CALLS }.uniq.sort.freeze

def rss_kb
  File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
end

def child(base_url, token)
  require "logger"
  require "intercom_sync"
  require_relative "workload"
  Workload.configure(base_url, token)
  Workload.define_attributes(base_url, token)
  users = Workload.users(USERS, 1_000_000)
  failed = SyncWithIntercom.perform_all(users, concurrency: CONCURRENCY, collect: false).failed # creates them
  rss = {}
  requests = 0
  CALLS.times do |i|
    # changed: every user has a new name each call, so each sync makes its request and the run
    # puts all its workers to work (unchanged users from the contact pages keep two busy)
    users.each { |user| user.name = "User #{user.id} (call #{i + 1})" } if WORKLOAD == "changed"
    report = SyncWithIntercom.perform_all(users, concurrency: CONCURRENCY, collect: false)
    failed += report.failed
    requests += report.requests
    next unless REPORTED.include?(i + 1)

    GC.start
    rss[i + 1] = rss_kb
  end
  puts JSON.generate(rss_kb: rss, failed: failed, requests: requests, threads: Thread.list.size)
end

# An emulator process; returns [base_url, stop].
def start_emulator
  emulator = EmulatorProcess.start(rtt_ms: RTT_MS, rate_limit: 1_000_000_000)
  [emulator.url, -> { emulator.stop }]
end

# The lib of OLD_REF with its own C extension, built here (the binding changed since).
def old_lib(dir)
  ref = ENV.fetch("OLD_REF", "f81b276")
  system("git -C #{ROOT} archive #{ref} lib ext | tar -x -C #{dir}", exception: true)
  build = File.join(dir, "build")
  FileUtils.mkdir_p(build)
  Dir.chdir(build) do
    system(RbConfig.ruby, File.join(dir, "ext/intercom_sync/extconf.rb"), out: File::NULL, exception: true)
    system("make", "-s", "-j2", out: File::NULL, exception: true)
  end
  FileUtils.cp(File.join(build, "intercom_sync_ext.so"), File.join(dir, "lib/intercom_sync"))
  File.join(dir, "lib")
rescue StandardError => e
  warn "OLD_REF #{ref}: #{e.message}; the old behaviour is left out"
  nil
end

def variant(lib, env)
  url, stop = start_emulator
  out, err, status = Open3.capture3(env, RbConfig.ruby, "-I", lib, __FILE__, "--child", url, TOKEN)
  abort "child failed (#{env.inspect}, #{lib}):\n#{err}" unless status.success?
  JSON.parse(out.lines.last)
ensure
  stop&.call
end

def parent
  jemalloc = Dir["/usr/lib/*/libjemalloc.so.2", "/usr/lib/libjemalloc.so.2"].first
  allocators = { "glibc malloc" => {}, "MALLOC_ARENA_MAX=2" => { "MALLOC_ARENA_MAX" => "2" } }
  allocators["jemalloc (LD_PRELOAD)"] = { "LD_PRELOAD" => jemalloc } if jemalloc
  Dir.mktmpdir("intercom-sync-old") do |dir|
    libs = { "worker pool (this checkout)" => File.join(ROOT, "lib") }
    old = old_lib(dir)
    libs["new threads each call (#{ENV.fetch('OLD_REF', 'f81b276')})"] = old if old

    puts "Long-lived process: #{CALLS} calls of perform_all over #{USERS} users, concurrency " \
         "#{CONCURRENCY}, emulator RTT #{RTT_MS} ms; RSS in MB after a GC (each row a process of its own)"
    puts format("  %-10s %-40s %-22s %s %9s %9s %8s", "users", "lib", "allocator",
                REPORTED.map { |n| format('%7s', "call #{n}") }.join(" "), "#{REPORTED.first}->#{CALLS}",
                "#{REPORTED[1]}->#{CALLS}", "threads")
    WORKLOADS.each do |workload|
      libs.each do |name, lib|
        allocators.each do |allocator, env|
          r = variant(lib, env.merge("WORKLOAD" => workload))
          mb = REPORTED.map { |n| r["rss_kb"].fetch(n.to_s) / 1024.0 }
          # the growth after call 10 tells a plateau (a warm-up, then flat) from a leak (linear)
          puts format("  %-10s %-40s %-22s %s %+9.1f %+9.1f %8d%s", workload, name, allocator,
                      mb.map { |v| format('%7.1f', v) }.join(" "), mb.last - mb.first, mb.last - mb[1], r["threads"],
                      r["failed"].zero? ? "" : "  (#{r['failed']} failed)")
        end
      end
    end
  end
end

if ARGV.first == "--child"
  child(ARGV[1], ARGV[2])
else
  parent
end
