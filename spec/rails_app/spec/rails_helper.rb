require "spec_helper"
ENV["RAILS_ENV"] ||= "test"
require_relative "../config/environment"
abort("The Rails environment is running in production mode!") if Rails.env.production?
require "rspec/rails"
# intercom_sync's test mode: one embedded Intercom emulator for this process, the gem pointed at
# it whatever ENV says, its state and the gem's caches reset before each example, and the
# matchers used in spec/jobs.
require "intercom_sync/testing/rspec"

begin
  ActiveRecord::Migration.maintain_test_schema!
rescue ActiveRecord::PendingMigrationError => e
  abort e.to_s.strip
end

RSpec.configure do |config|
  config.use_transactional_fixtures = true
  config.include ActiveJob::TestHelper
  config.filter_rails_from_backtrace!
end
