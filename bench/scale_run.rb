# frozen_string_literal: true

# bench/scale.rb's two steps, each in a process of its own (so peak RSS and CPU time are its own):
#   ruby bench/scale_run.rb seed FILE USERS FIRST_ID          writes the workspace's seed
#   ruby bench/scale_run.rb sync BASE_URL TOKEN USERS FIRST_ID CHANGED CONCURRENCY
#                                                             the nightly perform_all; one JSON line
require "json"
require "logger"
require "net/http"
require "intercom_sync"
require_relative "scale_workspace"

def rss_kb(field)
  File.read("/proc/self/status")[/^#{field}:\s+(\d+)/, 1].to_i
end

def monotonic = Process.clock_gettime(Process::CLOCK_MONOTONIC)
def cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)

def emulator_stats(base_url)
  JSON.parse(Net::HTTP.get(URI("#{base_url}/__emulator/stats?routes=1")))
end

mode, *args = ARGV
case mode
when "seed"
  file, count, first_id = args
  started = monotonic
  File.open(file, "w") { |io| ScaleWorkspace.write_seed(io, ScaleWorkspace.users(Integer(count), Integer(first_id))) }
  puts JSON.generate(seconds: monotonic - started, bytes: File.size(file))
when "sync"
  base_url, token, count, first_id, changed, concurrency = args
  Workload.configure(base_url, token)
  out = { users: Integer(count), rss_boot_kb: rss_kb("VmRSS") }
  users = ScaleWorkspace.users(Integer(count), Integer(first_id))
  users.each { |user| ScaleWorkspace.remember_sync!(user) }
  out[:changed] = ScaleWorkspace.change_some!(users, Float(changed), Integer(first_id)).size
  GC.start
  out[:rss_users_kb] = rss_kb("VmRSS") # the app's side: the users and teams, held in memory here

  errors = Hash.new(0)
  before = emulator_stats(base_url)
  cpu_started = cpu
  started = monotonic
  report = SyncWithIntercom.perform_all(users, concurrency: Integer(concurrency), collect: false) do |outcome|
    errors[outcome.error.class.name] += 1 unless outcome.ok?
  end
  out[:elapsed] = monotonic - started
  out[:cpu] = cpu - cpu_started
  after = emulator_stats(base_url)
  out[:requests] = after["requests"] - before["requests"]
  out[:report_requests] = report.requests
  out[:rate_limited] = after["rate_limited"] - before["rate_limited"]
  out[:routes] = after["routes"].to_h { |route, n| [route, n - before["routes"].fetch(route, 0)] }.reject { |_, n| n.zero? }
  out[:succeeded] = report.succeeded
  out[:errors] = errors
  out[:rss_peak_kb] = rss_kb("VmHWM")
  puts JSON.generate(out)
else
  abort "usage: ruby bench/scale_run.rb seed FILE USERS FIRST_ID | sync BASE_URL TOKEN USERS FIRST_ID CHANGED CONCURRENCY"
end
