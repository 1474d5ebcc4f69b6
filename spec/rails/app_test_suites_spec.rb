# frozen_string_literal: true

# The app's own tests (spec/rails_app/test with Minitest, spec/rails_app/spec with rspec-rails)
# use intercom_sync's test mode. They run here with a token and a base URL in ENV, as on a
# developer's machine: the test mode must point the gem at its embedded emulator whatever ENV
# says. The URL is a loopback port nothing listens on, so a test that went there would fail
# (never a real host).
RSpec.describe "The Rails app's own test suites", :rails_app do
  let(:app) { RailsAppHarness::App.new(database: File.join(RailsAppHarness.tmpdir, "test-#{SecureRandom.hex(4)}.sqlite3")) }
  let(:env) do
    { "RAILS_ENV" => "test", "INTERCOM_BASE_URL" => "http://127.0.0.1:9", "INTERCOM_ACCESS_TOKEN" => "dG9rOnByb2R1Y3Rpb24=",
      "INTERCOM_SYNC_ENABLED" => "true" }
  end

  # needs helper D's feature (require "intercom_sync/testing/minitest")
  it "pass under Minitest (bin/rails test), with the assertions of IntercomSync::Testing" do
    run = app.run("bin/rails", "test", env: env)
    expect(run).to be_success
    expect(run.stdout).to match(/^3 runs, \d+ assertions, 0 failures, 0 errors, 0 skips$/)
  end

  # needs helper D's feature (require "intercom_sync/testing/rspec")
  it "pass under RSpec (rspec-rails), with the matchers of IntercomSync::Testing" do
    run = app.run("bundle", "exec", "rspec", env: env)
    expect(run).to be_success
    expect(run.stdout).to match(/^3 examples, 0 failures$/)
  end
end
