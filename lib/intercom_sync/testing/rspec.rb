# frozen_string_literal: true

# RSpec integration of the test mode (README "Testing your app"). In spec/rails_helper.rb,
# after the app is loaded:
#   require "intercom_sync/testing/rspec"
# Every example then starts with an empty emulator the gem points at, and can say:
#   expect(user).to have_synced_intercom_contact.with_attributes(plan: "pro").with_companies([team.id])
#   expect { user.touch }.not_to make_intercom_requests
require "intercom_sync/testing"

module IntercomSync
  module Testing
    module RSpecMatchers
      # The messages of a matcher whose expectation object (ContactExpectation,
      # RequestExpectation) already says what Intercom has.
      module ExpectationMessages
        def failure_message
          @expectation.failure_message
        end

        def failure_message_when_negated
          @expectation.failure_message_when_negated
        end
      end

      # expect(user).to have_synced_intercom_contact (or a user id instead of the user), with
      # optional .with_attributes(hash) and .with_companies(team ids or teams).
      class HaveSyncedContact
        include ::RSpec::Matchers::Composable if defined?(::RSpec::Matchers::Composable)
        include ExpectationMessages

        def initialize
          @attributes = nil
          @companies = nil
        end

        def with_attributes(attributes)
          @attributes = (@attributes || {}).merge(attributes)
          self
        end

        def with_companies(teams)
          @companies = teams
          self
        end

        def matches?(user)
          @expectation = ContactExpectation.new(user, attributes: @attributes, companies: @companies)
          @expectation.met?
        end

        # not_to: no contact at all (attributes and companies are not compared then).
        def does_not_match?(user)
          @expectation = ContactExpectation.new(user)
          !@expectation.present?
        end

        def description
          ContactExpectation.description(@attributes, @companies)
        end
      end

      # expect { ... }.to make_intercom_requests / make_intercom_requests(2); .not_to: none.
      class MakeRequests
        include ::RSpec::Matchers::Composable if defined?(::RSpec::Matchers::Composable)
        include ExpectationMessages

        def initialize(count)
          @expectation = RequestExpectation.new(count)
        end

        def supports_block_expectations?
          true
        end

        def supports_value_expectations?
          false
        end

        def matches?(block)
          @expectation.run(&block)
          @expectation.met?
        end

        def does_not_match?(block)
          @expectation.run(&block)
          !@expectation.met?
        end

        def description
          @expectation.description
        end
      end

      def have_synced_intercom_contact # rubocop:disable Naming/PredicateName
        HaveSyncedContact.new
      end

      def make_intercom_requests(count = nil)
        MakeRequests.new(count)
      end
    end
  end
end

IntercomSync::Testing.activate!

RSpec.configure do |config|
  config.include IntercomSync::Testing::RSpecMatchers
  config.before(:each) { IntercomSync::Testing.setup }
end
