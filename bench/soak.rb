# frozen_string_literal: true

# The soak run (`rake soak`): thousands of syncs through an emulator that throttles hard and
# fails a few percent of requests in every way it knows. It prints what happened and exits
# non-zero if anything was duplicated or any failure escaped as an untyped exception.
require "logger"
require "intercom_sync"
require "intercom_sync/emulator"

USERS = Integer(ENV.fetch("USERS", "2000"))
THREADS = Integer(ENV.fetch("THREADS", "8"))
FAULT_RATE = Float(ENV.fetch("FAULT_RATE", "0.04"))
RATE_LIMIT = Integer(ENV.fetch("RATE_LIMIT", "150"))
WINDOW = Integer(ENV.fetch("WINDOW", "1"))
PACE = ENV.fetch("PACE", "1") == "1" # PACE=0: no pacing, so the run lives on 429s and retries
MODE = ENV.fetch("MODE", "jobs") # jobs: SyncWithIntercom.perform per user; bulk: perform_all, twice

# Plain Ruby models: the soak is about the sync and the network, not the database.
Team = Struct.new(:id, :domain, :created_at, :monthly_spend, :metadata, keyword_init: true) do
  def as_json(*) = { "domain" => domain, "seats" => id % 7 }
  def update!(changes) = changes.each { |k, v| self[k] = v }
end
User = Struct.new(:id, :email, :name, :phone_number, :timezone, :created_at, :last_request_at, :metadata,
                  :teams, :owned_teams, keyword_init: true) do
  def from_oauth? = id % 11 == 0
  def as_json(*) = { "plan" => %w[free pro team][id % 3], "seats" => id % 50, "score" => id * 1.5 }
  def update!(changes) = changes.each { |k, v| self[k] = v }
end

teams = Array.new([USERS / 10, 5].max) do |i|
  Team.new(id: i + 1, domain: "team#{i + 1}.example", created_at: Time.at(1_600_000_000 + i), monthly_spend: i * 3.5,
           metadata: {})
end
users = Array.new(USERS) do |i|
  member_of = teams.sample(1 + (i % 3), random: Random.new(i))
  User.new(id: i + 1, email: "user#{i + 1}@example.com", name: i.even? ? "User #{i + 1}" : nil,
           created_at: Time.now - (i.even? ? 3600 : 3 * 86_400), last_request_at: Time.now - i, metadata: {},
           teams: member_of, owned_teams: i % 5 == 0 ? [member_of.first] : [])
end

emulator = IntercomSync::Emulator.start(rate_limit: RATE_LIMIT, rate_limit_window: WINDOW)
users.each_slice(20) { |slice| emulator.seed_contact(role: "lead", email: slice.first.email) }
share = FAULT_RATE / 6
{ status: { status: 503 }, reset: {}, truncate: {}, malformed_json: {}, latency: { seconds: 0.05 } }
  .each { |kind, options| emulator.inject(kind, probability: share, **options) }
emulator.inject(:reset, probability: share, after: true, method: "POST") # written, answer lost

IntercomSync.configure do |c|
  c.base_url = emulator.base_url
  c.access_token = emulator.token
  c.enabled = true
  c.logger = Logger.new(nil)
  c.retry_base_delay = 0.05
  c.retry_max_delay = 1
  c.pace_requests = PACE
  c.rate_limit_retries = 10
end

def outcome_of(error)
  case error
  when nil then :ok
  when IntercomSync::Error then error.class.name
  else "untyped #{error.class}: #{error.message[0, 120]}"
  end
end

outcomes = Queue.new
started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
if MODE == "bulk"
  # perform_all twice: the backfill, then a re-sync that reads contacts in pages through the faults
  2.times do
    SyncWithIntercom.perform_all(users, concurrency: THREADS, collect: false) do |o|
      outcomes << [outcome_of(o.error), o.user]
    end
  end
else
  # one job per user, as SyncWithIntercomJob runs them
  queue = Queue.new
  users.each { |u| queue << u }
  Array.new(THREADS) do
    Thread.new do
      while (user = (queue.pop(true) rescue nil))
        begin
          SyncWithIntercom.perform(user)
          outcomes << [:ok, user]
        rescue StandardError => e
          outcomes << [outcome_of(e), user]
        end
      end
    end
  end.each(&:join)
end
elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started

results = []
results << outcomes.pop until outcomes.empty?
by_outcome = results.group_by(&:first).transform_values(&:size)
contacts = emulator.contacts.select { |c| c["role"] == "user" }
duplicate_contacts = contacts.group_by { |c| c["external_id"] }.count { |_, list| list.size > 1 }
duplicate_companies = emulator.companies.group_by { |c| c["company_id"] }.count { |_, list| list.size > 1 }
contact_ids = contacts.to_h { |c| [c["external_id"], c["id"]] } # one copy of the workspace, not one per user
wrong_ids = results.count do |status, user|
  status == :ok && user.metadata["intercom_user_id"] != contact_ids[user.id.to_s]
end
log = emulator.requests
untyped = by_outcome.keys.grep(/\Auntyped/)

puts format("soak (%<m>s): %<u>d users, %<t>d threads, limit %<l>d per %<w>ds window, faults on %<f>.1f%% of " \
            "requests, pacing %<p>s", m: MODE, u: USERS, t: THREADS, l: RATE_LIMIT, w: WINDOW, f: FAULT_RATE * 100,
                                      p: PACE ? "on" : "off")
puts format("  syncs attempted        %6d", results.size)
puts format("  succeeded              %6d", by_outcome.fetch(:ok, 0))
by_outcome.except(:ok).sort_by { |_, n| -n }.each { |k, n| puts format("  failed: %-22<k>s %6<n>d", k: k, n: n) }
puts format("  duplicate contacts     %6d  (must be 0)", duplicate_contacts)
puts format("  duplicate companies    %6d  (must be 0)", duplicate_companies)
puts format("  stored ids that differ %6d  (must be 0)", wrong_ids)
puts format("  requests sent          %6d  (%.1f per sync)", log.size, log.size.to_f / results.size)
puts format("  429s received          %6d", log.count { |r| r.status == 429 })
puts format("  faults injected        %6d", emulator.faults.pending.sum(&:fired))
puts format("  elapsed                %6.1f s (%.0f syncs/s)", elapsed, results.size / elapsed)
emulator.stop
failed = duplicate_contacts + duplicate_companies + wrong_ids + untyped.size
abort("soak FAILED") unless failed.zero?
