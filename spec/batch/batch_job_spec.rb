# frozen_string_literal: true

require "intercom_sync/batch_job"

RSpec.describe "SyncWithIntercomBatchJob", sync: true do
  include BatchHelpers

  before { IntercomSync.configuration.max_retries = 0 } # one 503 is a transient failure of the user's sync

  # Runs the enqueued jobs, and those they enqueue, as a worker would (without waiting for their
  # scheduled time); returns how many ran.
  def drain
    ran = 0
    while (job = enqueued.shift)
      ActiveJob::Base.execute(job)
      ran += 1
    end
    ran
  end

  def users(count, prefix = "b")
    Array.new(count) { |i| create_user(email: "#{prefix}#{i}@example.com") }
  end

  # Users Intercom has, each with an older name to update: a failure can be injected into one
  # user's PUT by its contact's path.
  def known_users(count)
    users(count, "k").each do |user|
      contact = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: user.email, name: "Old")
      user.update!(metadata: { "intercom_user_id" => contact["id"] })
    end
  end

  def contact_path(user)
    "/contacts/#{user.reload.metadata['intercom_user_id']}"
  end

  it "enqueues one job per id range on crm_sync, syncing nothing itself" do
    all = users(7)
    batch = IntercomSync::Batch.start(users_per_job: 3)
    expect(enqueued.map { |j| [j[:job], j[:queue]] }.uniq).to eq([[SyncWithIntercomBatchJob, "crm_sync"]])
    expect(enqueued.map { |j| j[:args].values_at(1, 2, 3) })
      .to eq([[0, all[0].id, all[2].id], [1, all[3].id, all[5].id], [2, all[6].id, all[6].id]])
    expect(emulator.requests).to be_empty
    expect(batch.summary).to have_attributes(users: 7, ranges: 3, ranges_done: 0, succeeded: 0, finished?: false)
  end

  it "syncs every user of every range once, and the batch record sums the ranges" do
    all = users(7)
    batch = IntercomSync::Batch.start(users_per_job: 3)
    expect(drain).to eq(3)
    expect(emulator.contacts.map { |c| c["external_id"] }).to match_array(all.map { |u| u.id.to_s })
    expect(emulator.requests.count { |r| r.method == "POST" && r.path == "/contacts" }).to eq(7)
    summary = IntercomSync::Batch::Record.find(batch.id).summary
    expect(summary).to have_attributes(ranges_done: 3, succeeded: 7, failed: 0, failures: [], finished?: true)
    expect(summary.requests).to be >= 7
    expect(summary.finished_at).to be >= summary.started_at
  end

  it "counts a range once when its job runs again (a retry, or a queue delivering it twice), sending nothing the second time" do
    users(4)
    batch = IntercomSync::Batch.start(users_per_job: 2)
    again = enqueued.first.dup
    drain
    emulator.clear_requests!
    ActiveJob::Base.execute(again)
    expect(emulator.requests).to be_empty
    expect(batch.summary).to have_attributes(ranges_done: 2, succeeded: 4)
  end

  it "counts users whose sync failed, without raising, and keeps the first of their ids with the error's class" do
    stub_const("IntercomSync::Batch::RangeRun::KEPT_FAILURES", 2)
    all = known_users(5)
    [1, 2, 4].each { |i| emulator.inject(:status, status: 403, code: "forbidden", method: :put, path: contact_path(all[i])) }
    batch = IntercomSync::Batch.start(users_per_job: 5)
    expect { drain }.not_to raise_error
    expect(batch.summary).to have_attributes(succeeded: 2, failed: 3, finished?: true,
                                             failures: [[all[1].id, "IntercomSync::ForbiddenError"],
                                                        [all[2].id, "IntercomSync::ForbiddenError"]])
  end

  it "syncs again later only the users of a range whose sync failed on a transient error, and counts the range once" do
    all = known_users(4)
    emulator.inject(:status, status: 503, method: :put, path: contact_path(all[2]), times: 1)
    batch = IntercomSync::Batch.start(users_per_job: 4)
    ActiveJob::Base.execute(enqueued.shift)
    expect(enqueued.size).to eq(1)
    expect(enqueued.first[:at]).to be > Time.now.to_f + 1 # a wait, not straight away
    expect(batch.summary).to have_attributes(ranges_done: 0, succeeded: 0)

    emulator.clear_requests!
    drain
    expect(emulator.requests.map(&:path).grep_v(%r{/data_attributes})).to all(eq(contact_path(all[2])))
    expect(batch.summary).to have_attributes(ranges_done: 1, succeeded: 4, failed: 0, finished?: true)
    expect(emulator.contacts.map { |c| c["name"] }).to all(eq("Ann"))
  end

  # Batch jobs running side by side on a worker share its database pool: a user whose sync could
  # not get a connection in time failed for the moment, not for good.
  it "syncs again later a user whose sync could not get a database connection in time" do
    all = users(3)
    failing_id = all[1].id
    raised = false
    allow_any_instance_of(User).to receive(:as_json).and_wrap_original do |original, *args|
      if original.receiver.id == failing_id && !raised
        raised = true
        raise ActiveRecord::ConnectionTimeoutError, "could not obtain a connection from the pool within 5.000 seconds"
      end
      original.call(*args)
    end
    batch = IntercomSync::Batch.start(users_per_job: 3)
    expect(drain).to eq(2) # the range, then its follow-up for that user
    expect(batch.summary).to have_attributes(succeeded: 3, failed: 0, finished?: true)
  end

  it "raises when the queue refuses the follow-up, so the range is retried rather than left unfinished" do
    all = known_users(2)
    emulator.inject(:status, status: 503, method: :put, path: contact_path(all[0]), times: 1)
    batch = IntercomSync::Batch.start(users_per_job: 2)
    job = enqueued.shift
    refusing = double("configured job", perform_later: false)
    allow(SyncWithIntercomBatchJob).to receive(:set).and_return(refusing)
    expect { ActiveJob::Base.execute(job) }.to raise_error(IntercomSync::Batch::EnqueueError, /refused/)
    expect(batch.summary).to have_attributes(ranges_done: 0)
  end

  it "counts a user as failed once the transient retries are spent" do
    all = known_users(2)
    emulator.inject(:status, status: 503, method: :put, path: contact_path(all[0]))
    batch = IntercomSync::Batch.start(users_per_job: 2)
    expect(drain).to eq(IntercomSync::Batch::RangeRun::ATTEMPTS)
    expect(batch.summary).to have_attributes(succeeded: 1, failed: 1, finished?: true,
                                             failures: [[all[0].id, "IntercomSync::ServiceUnavailableError"]])
  end

  it "re-raises an error of the range itself (the database gone) so the queue retries it, recording nothing" do
    users(3)
    batch = IntercomSync::Batch.start(users_per_job: 3)
    job = enqueued.shift
    ActiveRecord::Base.remove_connection
    expect { ActiveJob::Base.execute(job) }.to raise_error(ActiveRecord::ConnectionNotEstablished)
    ActiveRecord::Base.establish_connection(adapter: "sqlite3", database: @database, pool: 20)
    expect(batch.summary).to have_attributes(ranges_done: 0, succeeded: 0)

    ActiveJob::Base.execute(job) # the queue's retry
    expect(batch.summary).to have_attributes(ranges_done: 1, succeeded: 3, finished?: true)
  end

  it "records a range that cannot run (its SCOPE is gone after a deploy) as given up, instead of retrying it forever" do
    User.define_singleton_method(:paying) { where(plan: "pro") }
    users(2)
    batch = IntercomSync::Batch.start(scope: "paying", users_per_job: 5)
    User.singleton_class.remove_method(:paying)
    expect { drain }.not_to raise_error
    summary = batch.summary
    expect(summary).to have_attributes(ranges_done: 1, ranges_given_up: 1, succeeded: 0, finished?: true)
    expect(summary.given_up.first.to_s).to include("SCOPE=paying is not a scope or class method of User")
    expect(emulator.requests).to be_empty
  ensure
    User.singleton_class.remove_method(:paying) if User.respond_to?(:paying)
  end

  it "gives a range up, saying why, on a worker where the sync is switched off" do
    users(2)
    batch = IntercomSync::Batch.start(users_per_job: 5)
    IntercomSync.configuration.enabled = false
    drain
    expect(batch.summary).to have_attributes(ranges_given_up: 1, succeeded: 0, finished?: true)
    expect(batch.summary.given_up.first.to_s).to match(/\Arange 1 \(ids \d+ to \d+\): intercom_sync is disabled/)
    expect(emulator.requests).to be_empty
  end

  describe "the store of the batch record" do
    it "raises when the batch record cannot be read (the store down or emptied), syncing nothing, so the queue retries" do
      users(2)
      batch = IntercomSync::Batch.start(users_per_job: 2)
      IntercomSync::Batch.store.clear
      expect { drain }.to raise_error(IntercomSync::Batch::StoreError, /batch #{batch.id} is not in the batch store/)
      expect(emulator.requests).to be_empty
    end

    it "raises when the store fails to record a finished range (nil from write: Redis or Memcached down), rather than lose its counts" do
      failing = Class.new(ActiveSupport::Cache::MemoryStore) do
        def write(name, value, options = nil)
          options&.fetch(:unless_exist, false) ? nil : super
        end
      end
      IntercomSync::Batch.store = failing.new
      users(2)
      IntercomSync::Batch.start(users_per_job: 2)
      expect { drain }.to raise_error(IntercomSync::Batch::StoreError, /could not record range 1/)
    end

    it "refuses a null store, which would forget the batch, before enqueuing anything" do
      users(1)
      expect { IntercomSync::Batch.start(store: ActiveSupport::Cache::NullStore.new) }
        .to raise_error(IntercomSync::ConfigurationError, /NullStore.*forgets what it is given.*shared by every worker/m)
      expect(enqueued).to be_empty
    end

    it "says what to set when there is none (outside Rails)" do
      IntercomSync::Batch.store = nil
      expect { IntercomSync::Batch.start }
        .to raise_error(IntercomSync::ConfigurationError, /IntercomSync::Batch\.store = /)
    end

    it "records a range done once, whoever records it first" do
      store = IntercomSync::Batch.store
      record = IntercomSync::Batch::Record.create(store: store, scope: { "user_class" => "User" }, description: "all Users",
                                                  users: 4, ranges: 1, users_per_job: 4)
      outcome = { "succeeded" => 4, "failed" => 0, "requests" => 4, "failures" => [] }
      results = Array.new(8) { Thread.new { IntercomSync::Batch::Record.find(record.id, store: store).finish_range(0, outcome) } }
                     .map(&:value)
      expect(results.count(true)).to eq(1)
      expect(record.summary).to have_attributes(ranges_done: 1, succeeded: 4)
    end
  end
end
