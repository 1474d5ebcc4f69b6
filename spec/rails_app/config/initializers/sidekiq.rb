# Sidekiq (when the app runs on it: ACTIVE_JOB_QUEUE_ADAPTER=sidekiq, REDIS_URL) moves a job that
# rescheduled itself, as SyncWithIntercomJob does on a 429, from its scheduled set to the queue
# only when a process polls that set: on average every 5 s times the number of processes.
# SIDEKIQ_POLL_INTERVAL sets the 5 (spec/rails/sidekiq_spec.rb measures both).
if defined?(Sidekiq) && ENV["SIDEKIQ_POLL_INTERVAL"]
  Sidekiq.configure_server { |config| config.average_scheduled_poll_interval = Float(ENV["SIDEKIQ_POLL_INTERVAL"]) }
end
