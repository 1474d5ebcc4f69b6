# frozen_string_literal: true

# Minitest integration of the test mode (README "Testing your app"). In test/test_helper.rb,
# after the app is loaded:
#   require "intercom_sync/testing/minitest"
#   class ActiveSupport::TestCase
#     include IntercomSync::Testing::MinitestHelpers
#   end
# (or in Minitest::Test). Every test then starts with an empty emulator the gem points at.
require "intercom_sync/testing"

module IntercomSync
  module Testing
    module MinitestHelpers
      # Minitest's hook for libraries: runs before the test's own setup (and its setup blocks).
      def before_setup
        super
        IntercomSync::Testing.setup
      end

      # Passes when Intercom has the user's contact (or pass the user's id) with these attributes
      # (Intercom's field names and custom attributes) and, unless companies is nil, attached to
      # exactly these teams (ids or teams). Returns the contact. (The "" ending: Minitest would
      # otherwise put a "." after the last line of the message.)
      def assert_intercom_contact(user, attributes: {}, companies: nil, message: nil)
        expectation = ContactExpectation.new(user, attributes: attributes, companies: companies)
        assert(expectation.met?, message(message, "") { expectation.failure_message })
        expectation.contact
      end

      def refute_intercom_contact(user, message: nil)
        expectation = ContactExpectation.new(user)
        refute(expectation.present?, message(message, "") { expectation.failure_message_when_negated })
      end

      # Passes when the block made exactly `count` requests to Intercom (nil: at least one).
      # Returns the block's value.
      def assert_intercom_requests(count = nil, message: nil, &block)
        expectation = RequestExpectation.new(count)
        value = expectation.run(&block)
        assert(expectation.met?, message(message, "") { expectation.failure_message })
        value
      end

      def assert_no_intercom_requests(message: nil, &block)
        assert_intercom_requests(0, message: message, &block)
      end
    end
  end
end

IntercomSync::Testing.activate!
