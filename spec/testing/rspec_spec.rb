# frozen_string_literal: true

require_relative "integration_helpers"

# require "intercom_sync/testing/rspec" in an app's suite: spec/testing/fixtures/app_examples.rb,
# run by rspec in its own process.
RSpec.describe "IntercomSync::Testing with RSpec", subprocess: true do
  include TestingIntegrationHelpers

  before(:all) do
    @output, @status = run_app_tests(Gem.bin_path("rspec-core", "rspec"), "--order", "defined", "--format", "documentation",
                                     "spec/testing/fixtures/app_examples.rb")
  end

  it "runs the app's examples against the emulator; only the ones meant to fail fail" do
    expect(@output).to include("8 examples, 3 failures"), @output
    expect(@output.scan(/^rspec \S+ # .*$/).map { |line| line[/# an app's specs with IntercomSync::Testing (.*)/, 1] })
      .to eq(["FAILS: attributes and companies differ", "FAILS: no contact", "FAILS: requests were made"])
    expect(@status.exitstatus).to eq(1)
  end

  it "keeps the same emulator from example to example, emptied and with the caches forgotten" do
    # the second example syncs a user with the same custom attributes as the first: before the
    # caches were reset, it failed with "Custom attribute 'plan' does not exist"
    expect(@output).to include("starts each example with an empty workspace, whose attributes the sync makes again\n")
    expect(@output).not_to include("does not exist")
  end

  it "shows, when attributes or companies differ, what Intercom has, as a diff" do
    expect(@output).to match(/^ +- plan: "enterprise"\n +\+ plan: "pro"\n +email: "ann@example.com"\n +seats: 3\n/)
    expect(@output).to match(/^ +- companies \(team ids\): \["\d+", "999"\]\n +\+ companies \(team ids\): \["\d+"\]\n/)
    expect(@output).to match(/the contact in Intercom:\n +id: "\h{24}"\n +role: "user"\n/)
    expect(@output).to include('custom_attributes: {"plan"=>"pro", "seats"=>3, "deleted"=>false}')
  end

  it "says, when there is no contact, what Intercom has and which requests failed" do
    expect(@output).to match(/expected Intercom to have a contact for User \d+, but it has none\.\n +Intercom has no contacts\./)
    expect(@output).to match(%r{Requests to Intercom in this test: 5; answered with an error:\n +POST /contacts -> 403\n})
  end

  it "lists the requests a block made when it should have made none" do
    expect(@output).to match(%r{expected no requests to Intercom, but 5 were made:\n +GET /data_attributes\?model=contact -> 200\n})
  end

  it "never sends or shows the token from ENV" do
    expect(@output).not_to include("production-token")
  end
end
