ENV["RAILS_ENV"] ||= "test"
require_relative "../config/environment"
require "rails/test_help"
# intercom_sync's test mode: one embedded Intercom emulator for this process, the gem pointed at
# it whatever ENV says, its state and the gem's caches reset before each test, and the
# assertions used in test/jobs.
require "intercom_sync/testing/minitest"

module ActiveSupport
  class TestCase
    parallelize(workers: :number_of_processors)
    include IntercomSync::Testing::MinitestHelpers
  end
end
