# frozen_string_literal: true

require_relative "integration_helpers"

# include IntercomSync::Testing::MinitestHelpers in an app's ActiveSupport::TestCase:
# spec/testing/fixtures/app_test.rb, run by ruby (minitest/autorun) in its own process.
RSpec.describe "IntercomSync::Testing with Minitest", subprocess: true do
  include TestingIntegrationHelpers

  before(:all) { @output, @status = run_app_tests("spec/testing/fixtures/app_test.rb", "-v") }

  def result_of(test)
    @output[/^AppSyncTest#test_#{Regexp.escape(test.tr(' ', '_'))} = [\d.]+ s = (.)$/, 1]
  end

  it "runs the app's tests against the emulator; only the ones meant to fail fail" do
    expect(@output).to include("7 runs, 15 assertions, 3 failures, 0 errors, 0 skips"), @output
    expect(["syncs a user into the test emulator, never Intercom", "counts requests", "refuses a real host",
            "starts each test with an empty workspace, whose attributes the sync makes again"].map { |t| result_of(t) })
      .to eq(%w[. . . .])
    expect(["fails: attributes and companies differ", "fails: requests were made", "fails: a contact exists"]
             .map { |t| result_of(t) }).to eq(%w[F F F])
    expect(@status.exitstatus).to eq(1)
  end

  it "shows, when attributes or companies differ, what Intercom has, as a diff" do
    expect(@output).to match(/^  - plan: "enterprise"\n  \+ plan: "pro"\n    seats: 3\n  - companies \(team ids\): \[\]\n  \+ companies \(team ids\): \["\d+"\]\n/)
    expect(@output).to include('    custom_attributes: {"plan"=>"pro", "seats"=>3, "deleted"=>false}')
  end

  it "shows the contact that should not exist, and the requests that should not have been made" do
    expect(@output).to match(/expected Intercom to have no contact for User \d+, but it has one:\n    id: "\h{24}"/)
    expect(@output).to match(%r{expected no requests to Intercom, but 5 were made:\n  GET /data_attributes\?model=contact -> 200\n})
    expect(@output).not_to match(/-> 200\.$/) # no stray full stop after a listing
  end

  it "never sends or shows the token from ENV" do
    expect(@output).not_to include("production-token")
  end
end
