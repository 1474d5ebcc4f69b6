# frozen_string_literal: true

require "rake"
require "tmpdir"

RSpec.describe "rake intercom_sync:*", sync: true do
  let(:rake) do
    Rake::Application.new.tap do |app|
      Rake.application = app
      app.define_task(Rake::Task, :environment)
      load File.expand_path("../../lib/intercom_sync/tasks.rake", __dir__)
    end
  end

  before { define_user_attributes }
  after { Rake.application = Rake::Application.new }

  def run_task(name, *args)
    out = StringIO.new
    $stdout = out
    rake[name].invoke(*args)
    out.string
  ensure
    $stdout = STDOUT
  end

  it "syncs one user by id" do
    user = create_user
    expect(run_task("intercom_sync:sync", user.id.to_s)).to include("created=true")
    expect(user.reload.metadata["intercom_user_id"]).to eq(emulator.contact_by_external_id(user.id)["id"])
  end

  it "plans without writing" do
    user = create_user
    out = run_task("intercom_sync:plan", user.id.to_s)
    expect(out).to include("POST /contacts {")
    expect(emulator.contacts).to be_empty
  end

  it "syncs every user in the process, reading contacts in pages, and fails the task when a user fails", timing: true do
    Dir.mktmpdir("intercom-sync-tasks") do |dir|
      SampleApp.connect(File.join(dir, "tasks.sqlite3")) # worker threads share the database file
      users = Array.new(3) { |i| create_user(email: "t#{i}@example.com") }
      expect(run_task("intercom_sync:sync_all", "2")).to include("synced 3 users, 0 failed")
      expect(emulator.contacts.map { |c| c["external_id"] }).to match_array(users.map { |u| u.id.to_s })
      emulator.clear_requests!
      rake["intercom_sync:sync_all"].reenable
      expect(run_task("intercom_sync:sync_all", "2")).to include("synced 3 users, 0 failed, 1 requests")
      expect(calls).to eq(["GET /contacts"])

      create_user(email: "t3@example.com")
      emulator.inject(:status, status: 403, code: "forbidden", method: :post, path: "/contacts")
      rake["intercom_sync:sync_all"].reenable
      expect { run_task("intercom_sync:sync_all", "2") }.to raise_error(SystemExit)
        .and output(/ForbiddenError/).to_stderr
    end
  end

  describe "when the sync is off" do
    around do |example|
      require "intercom_sync/job"
      ActiveJob::Base.queue_adapter = :test
      example.run
    ensure
      ActiveJob::Base.queue_adapter = :inline
    end

    {
      "disabled" => [->(c) { c.enabled = false }, /disabled by config\.enabled = false.*config\.enabled = true/],
      "without a token" => [->(c) { c.access_token = nil }, /no access token.*INTERCOM_ACCESS_TOKEN/]
    }.each do |why, (switch_off, message)|
      [["intercom_sync:sync", "1"], ["intercom_sync:plan", "1"], ["intercom_sync:sync_all", "2"],
       ["intercom_sync:enqueue_all"]].each do |task, *args|
        it "#{task} says it is #{why}, exits non-zero and does nothing" do
          user = create_user
          IntercomSync.configure(&switch_off)
          expect { run_task(task, *args.map { user.id.to_s }) }
            .to raise_error(SystemExit) { |e| expect(e.status).not_to eq(0) }
            .and output(message).to_stderr
          expect(emulator.requests).to be_empty
          expect(ActiveJob::Base.queue_adapter.enqueued_jobs).to be_empty
        end
      end
    end
  end

  it "enqueues a job per user on crm_sync" do
    require "intercom_sync/job"
    ActiveJob::Base.queue_adapter = :test
    2.times { |i| create_user(email: "u#{i}@example.com") }
    expect(run_task("intercom_sync:enqueue_all")).to include("enqueued 2 syncs")
    jobs = ActiveJob::Base.queue_adapter.enqueued_jobs
    expect(jobs.map { |j| [j[:job], j[:queue]] }.uniq).to eq([[SyncWithIntercomJob, "crm_sync"]])
  ensure
    ActiveJob::Base.queue_adapter = :inline
  end
end
