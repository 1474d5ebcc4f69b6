require "active_support/core_ext/integer/time"

Rails.application.configure do
  config.enable_reloading = false
  # CI=true eager-loads the app, as Rails' template does, so a constant that only loads lazily
  # shows up there too.
  config.eager_load = ENV["CI"].present?
  config.consider_all_requests_local = true
  config.action_controller.perform_caching = false
  config.cache_store = :null_store
  config.action_dispatch.show_exceptions = :rescuable
  config.active_support.deprecation = :stderr
  config.active_support.disallowed_deprecation = :raise
  config.active_job.queue_adapter = :test
end
