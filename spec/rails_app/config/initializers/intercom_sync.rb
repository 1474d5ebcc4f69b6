# The settings the app uses; token, base URL and the on switch come from ENV
# (INTERCOM_ACCESS_TOKEN, INTERCOM_BASE_URL, INTERCOM_SYNC_ENABLED), which the specs point at an
# emulator. spec/rails_app_spec.rb replaces this file with the generator's in a copy of the app.
IntercomSync.configure do |config|
  # Only these become custom attributes: a new column is not sent until it is listed here.
  config.custom_attributes = %w[plan seats]
  config.team_custom_attributes = %w[tier]
  # The Sidekiq spec's processes may share one rate-limit budget in Redis.
  config.rate_limit_redis_url = ENV["INTERCOM_SYNC_RATE_LIMIT_REDIS_URL"] if ENV["INTERCOM_SYNC_RATE_LIMIT_REDIS_URL"]
end
