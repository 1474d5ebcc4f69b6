# frozen_string_literal: true

require "open3"
require "rbconfig"

# Runs an app's test file (spec/testing/fixtures) in a process of its own, as `rspec` or `ruby`
# would in the app, with production credentials in ENV: the test mode must keep it off them.
module TestingIntegrationHelpers
  ROOT = File.expand_path("../..", __dir__)
  PRODUCTION_ENV = { "INTERCOM_BASE_URL" => "https://api.intercom.io", "INTERCOM_ACCESS_TOKEN" => "production-token-abc123",
                     "INTERCOM_SYNC_ENABLED" => nil }.freeze

  def run_app_tests(*command)
    out, status = Open3.capture2e(PRODUCTION_ENV, RbConfig.ruby, "-I", File.join(ROOT, "lib"), *command, chdir: ROOT)
    [out, status]
  end
end
