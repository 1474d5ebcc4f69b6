# Run by spec/rails/jobs_spec.rb: `bin/rails runner script/e2e/jobs_and_events.rb` against an
# emulator (INTERCOM_BASE_URL), and a second one that allows two requests per window
# (LIMITED_INTERCOM_URL). Syncs seeded users through SyncWithIntercomJob on the ActiveJob test
# adapter, then the async one (Rails' default outside tests), with every intercom_sync event and
# log line recorded, and prints what it saw as one JSON document on its last line. Each part
# reports its own error, so one missing feature does not hide the others.
require "json"
require "stringio"

# Before anything touches ActiveJob or the app's classes: the job must be there from boot.
report = { "job_defined_at_boot" => defined?(SyncWithIntercomJob).inspect }
# What any app code that enqueues a job loads first; the parts below need the job, whichever way
# it came to be defined.
ActiveJob::Base

log = StringIO.new
events_lock = Mutex.new
sink = ActiveSupport::Logger.new(log)
sink.level = :debug
sink.formatter = ->(severity, _time, _progname, message) { "#{severity} #{message}\n" }
Rails.logger.broadcast_to(sink)

events = []
ActiveSupport::Notifications.subscribe(/\.intercom_sync\z/) do |event|
  payload = event.payload.to_h { |key, value| [key.to_s, value.is_a?(Numeric) || value.nil? || value == true || value == false ? value : value.as_json] }
  events_lock.synchronize { events << { "name" => event.name, "payload" => payload, "duration" => event.duration } }
end

def part(report, name)
  report[name] = yield
rescue Exception => e # rubocop:disable Lint/RescueException -- report it, whatever it is
  report[name] = { "error" => "#{e.class}: #{e.message}", "at" => e.backtrace&.first(3) }
end

part(report, "job") do
  { "name" => SyncWithIntercomJob.name, "superclass" => SyncWithIntercomJob.superclass.name,
    "queue" => SyncWithIntercomJob.queue_name }
end

part(report, "test_adapter") do
  user = User.find_by!(email: "user1@example.com")
  adapter = ActiveJob::QueueAdapters::TestAdapter.new
  SyncWithIntercomJob.queue_adapter = adapter
  SyncWithIntercomJob.perform_later(user)
  enqueued = adapter.enqueued_jobs.map { |job| job.slice(:job, :queue).transform_values(&:to_s) }
  id_before = user.reload.metadata["intercom_user_id"]
  adapter.perform_enqueued_jobs = true
  SyncWithIntercomJob.perform_later(user)
  { "enqueued" => enqueued, "id_before_perform" => id_before, "performed" => adapter.performed_jobs.size,
    "intercom_user_id" => user.reload.metadata["intercom_user_id"], "owned_team" => user.owned_teams.first&.metadata }
end

part(report, "async_adapter") do
  user = User.find_by!(email: "user2@example.com")
  SyncWithIntercomJob.queue_adapter = :async
  SyncWithIntercomJob.perform_later(user)
  id = nil
  300.times do # at most 30 s; the spec asserts the outcome, not the time
    break if (id = user.reload.metadata["intercom_user_id"])

    sleep 0.1
  end
  { "adapter" => SyncWithIntercomJob.queue_adapter.class.name, "intercom_user_id" => id }
end

# A rate-limited workspace: the job must reschedule itself and say why in the log.
part(report, "reschedule") do
  IntercomSync.configure do |config|
    config.base_url = ENV.fetch("LIMITED_INTERCOM_URL")
    config.pace_requests = false
  end
  adapter = ActiveJob::QueueAdapters::TestAdapter.new
  SyncWithIntercomJob.queue_adapter = adapter
  seen = log.string.size
  SyncWithIntercomJob.perform_now(User.find_by!(email: "user3@example.com"))
  { "rescheduled" => adapter.enqueued_jobs.map { |job| job.slice(:job, :at).transform_values(&:to_s) },
    "log" => log.string[seen..] }
end

report["events"] = events_lock.synchronize { events.dup }
report["log"] = log.string.lines.grep(/intercom/i).join
puts JSON.generate(report)
