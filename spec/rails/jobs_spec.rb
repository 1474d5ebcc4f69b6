# frozen_string_literal: true

# SyncWithIntercomJob inside a real Rails app (spec/rails_app, the gem as a path gem): defined in
# `rails runner` and the console without anything loading ActiveJob first, syncing through the
# test and async adapters, rescheduling on a rate limit with the reason in the log, and the
# ActiveSupport::Notifications events a sync emits. One boot of the runner
# (spec/rails_app/script/e2e/jobs_and_events.rb) feeds every example of the first group.
RSpec.describe "SyncWithIntercomJob in a Rails app", :rails_app do
  token = "e2e-secret-token-7f3a"

  before(:context) do
    @workspace = IntercomSync::Emulator.start(token: token)
    @limited = IntercomSync::Emulator.start(token: token, rate_limit: 2)
    @app = RailsAppHarness::App.new(emulator: @workspace)
    @report = @app.runner_report("jobs_and_events", env: { "LIMITED_INTERCOM_URL" => @limited.base_url })
  end

  after(:context) do
    @workspace&.stop
    @limited&.stop
  end

  def contact_of(email)
    @workspace.contacts.find { |contact| contact["email"] == email }
  end

  # needs helper B's feature (the job autoloaded from the gem's engine, not on_load(:active_job))
  it "is defined from boot in `rails runner`, before anything loads ActiveJob" do
    expect(@report["job_defined_at_boot"]).to eq('"constant"')
    expect(@report["job"]).to eq("name" => "SyncWithIntercomJob", "superclass" => "ActiveJob::Base",
                                 "queue" => "crm_sync")
  end

  it "syncs through the ActiveJob test adapter: enqueued on crm_sync, synced when performed" do
    part = @report.fetch("test_adapter")
    expect(part).not_to include("error")
    expect(part["enqueued"]).to eq([{ "job" => "SyncWithIntercomJob", "queue" => "crm_sync" }])
    expect(part["id_before_perform"]).to be_nil
    expect(part["performed"]).to eq(1)
    contact = contact_of("user1@example.com")
    expect(part["intercom_user_id"]).to eq(contact["id"])
    expect(contact).to include("external_id" => "1", "name" => "User 1")
    expect(contact["custom_attributes"]).to include("plan" => "free", "seats" => 1)
    expect(contact["custom_attributes"]).not_to include("api_token") # a filtered column
    # user1 owns acme.test: the owner's sync made the company and stored its id on the team
    expect(part["owned_team"]).to include("intercom_company_id" => @workspace.company_by_company_id("1")["id"])
  end

  it "syncs through the async adapter (Rails' default outside tests)" do
    part = @report.fetch("async_adapter")
    expect(part).not_to include("error")
    expect(part["adapter"]).to eq("ActiveJob::QueueAdapters::AsyncAdapter")
    expect(part["intercom_user_id"]).to eq(contact_of("user2@example.com")["id"])
  end

  # needs helper B's feature (the reschedule reason logged at info)
  it "reschedules itself on a rate limit and says why at info" do
    part = @report.fetch("reschedule")
    expect(part).not_to include("error")
    expect(part["rescheduled"]).to contain_exactly(include("job" => "SyncWithIntercomJob"))
    expect(part["rescheduled"].first["at"]).not_to be_empty
    expect(part["log"]).to match(/^INFO .*SyncWithIntercomJob.*rate.?limit/i)
  end

  # needs helper C's feature (request.intercom_sync events)
  it "emits request.intercom_sync for every request, with its template, status, retries and rate limit" do
    requests = @report["events"].select { |event| event["name"] == "request.intercom_sync" }
    served = @workspace.requests.size + @limited.requests.size
    expect(requests.size).to eq(served)
    expect(requests.map { |event| event["payload"].keys }.uniq.flatten)
      .to include("method", "path", "status", "retries", "rate_limit_remaining", "error_class")
    create = requests.find { |event| event["payload"]["method"] == "POST" && event["payload"]["path"] == "/contacts" }
    expect(create["payload"]).to include("status" => 200, "retries" => 0)
    paths = requests.map { |event| event["payload"]["path"] }
    expect(paths).to include("/contacts/{id}/companies")
    expect(paths).to all(match(%r{\A(/([a-z_]+|\{id\}))+\z})) # templates: no Intercom id, no user data
    expect(requests).to all(include("duration" => a_value >= 0))
  end

  # needs helper C's feature (sync.intercom_sync events)
  it "emits sync.intercom_sync for each sync: user id, created, fields, requests, error class" do
    syncs = @report["events"].select { |event| event["name"] == "sync.intercom_sync" }
    first = syncs.find { |event| event["payload"]["user_id"].to_s == "1" }
    expect(first["payload"]).to include("created" => true, "error_class" => nil, "fields_pulled" => [])
    expect(first["payload"]["fields_pushed"]).to include("email", "custom_attributes")
    expect(first["payload"]["requests"]).to be_positive
    failed = syncs.find { |event| event["payload"]["user_id"].to_s == "3" }
    expect(failed["payload"]["error_class"]).to eq("IntercomSync::RateLimitError")
  end

  # needs helper C's feature (the log subscriber)
  it "logs each request at debug through Rails.logger" do
    expect(@report["log"]).to match(%r{^DEBUG .*POST /contacts.* 200}i)
  end

  it "never puts the token or a user's email in an event or the log" do
    dump = JSON.generate(@report["events"]) + @report["log"]
    expect(dump).not_to include(token)
    expect(JSON.generate(@report["events"])).not_to include("@example.com")
  end
end

RSpec.describe "SyncWithIntercomJob in the Rails console", :rails_app do
  # needs helper B's feature (the job defined without ActiveJob loaded; no "Ignoring" warning)
  it "is defined in `bin/rails console` as soon as it starts" do
    run = RailsAppHarness::App.new.run("bin/rails", "console",
                                       stdin: "puts \"job=\#{defined?(SyncWithIntercomJob).inspect}\"\n" \
                                              "puts \"queue=\#{SyncWithIntercomJob.queue_name}\"\n")
    expect(run).to be_success
    expect(run.stdout).to include('job="constant"', "queue=crm_sync")
    expect(run.stderr).not_to match(/Ignoring intercom_sync|uninitialized constant|extensions are not built/)
  end
end
