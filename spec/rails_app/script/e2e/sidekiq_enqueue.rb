# Run by spec/rails/sidekiq_spec.rb: `bin/rails runner script/e2e/sidekiq_enqueue.rb` with
# ACTIVE_JOB_QUEUE_ADAPTER=sidekiq and REDIS_URL, on an empty database file (DATABASE_URL).
# Loads the schema, makes USERS users and TEAMS teams (every user a member of one team, odd
# users of the next one too, so most companies are shared by several users syncing at the same
# time; team i owned by user i), waits until PROCESSES Sidekiq processes have checked in, then
# enqueues one SyncWithIntercomJob per user in one push and prints one JSON document last:
# the counts and when the jobs were pushed (Unix time, for the drain time).
require "json"
require "sidekiq/api"

users_count = Integer(ENV.fetch("USERS"))
teams_count = Integer(ENV.fetch("TEAMS"))
processes = Integer(ENV.fetch("PROCESSES"))

ActiveRecord::Schema.verbose = false
load Rails.root.join("db/schema.rb").to_s

now = Time.now.utc
# Signed up a month ago: each job is the ordinary sync of an existing user, not a fresh sign-up.
signed_up = now - 30.days
User.insert_all!(Array.new(users_count) do |i|
  { email: "worker#{i + 1}@example.com", name: "Worker #{i + 1}", plan: %w[free pro enterprise][i % 3],
    seats: (i % 7) + 1, api_token: "secret-#{i + 1}", created_at: signed_up, updated_at: signed_up }
end)
user_ids = User.order(:id).ids
Team.insert_all!(Array.new(teams_count) do |i|
  { domain: "team#{i + 1}.test", tier: %w[gold silver bronze][i % 3], monthly_spend: 10 * (i + 1),
    owner_id: user_ids[i], created_at: signed_up, updated_at: signed_up }
end)
team_ids = Team.order(:id).ids
Membership.insert_all!(user_ids.each_with_index.flat_map do |user_id, i|
  teams = [team_ids[i % teams_count]]
  teams << team_ids[(i + 1) % teams_count] if i.odd?
  teams.map { |team_id| { user_id: user_id, team_id: team_id, created_at: now, updated_at: now } }
end)

# Jobs pushed before the workers are up would wait for their boot, which is not the drain.
deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 120
until Sidekiq::ProcessSet.new.size >= processes
  raise "only #{Sidekiq::ProcessSet.new.size} of #{processes} Sidekiq processes checked in" if
    Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

  sleep 0.1
end

# (Sidekiq's enqueue_all reports its count, not each job's successfully_enqueued?)
enqueued = 0
ActiveSupport::Notifications.subscribe("enqueue_all.active_job") { |event| enqueued += event.payload[:enqueued_count] }
jobs = User.order(:id).map { |user| SyncWithIntercomJob.new(user) }
enqueued_at = Time.now.to_f
ActiveJob.perform_all_later(jobs)
puts JSON.generate("users" => user_ids.size, "teams" => team_ids.size,
                   "memberships" => Membership.count, "enqueued" => enqueued,
                   "adapter" => SyncWithIntercomJob.queue_adapter.class.name, "enqueued_at" => enqueued_at)
