# frozen_string_literal: true

require "tmpdir"
require "fileutils"

# How many workers a perform_all run puts to work: two, until one of its syncs is known to wait
# on Intercom (a user handed out without a contact, or a sync that made a request); then all of
# its concurrency. A run of unchanged users read from the contact pages makes no request of
# theirs, and sixteen threads would only take turns at the GVL and keep memory of their own.
RSpec.describe "perform_all's workers", sync: true do
  before do
    define_user_attributes
    IntercomSync::WorkerPool.shared = IntercomSync::WorkerPool.new # a pool of this example's own
  end

  after { IntercomSync::WorkerPool.shared = nil }

  # The worker threads that synced a user of the run (each sync records its thread).
  def workers_of_run(users, expect_failed: 0, **options)
    threads = Queue.new
    allow(IntercomSync::Sync).to receive(:run).and_wrap_original do |original, *args, **kwargs|
      threads << Thread.current
      original.call(*args, **kwargs)
    end
    report = SyncWithIntercom.perform_all(users, **options)
    expect(report.errors.size).to eq(expect_failed)
    Array.new(threads.size) { threads.pop }.uniq
  end

  let(:users) { poro_users(24, "k") }

  before { SyncWithIntercom.perform_all(users, concurrency: 8, prefetch: false) } # Intercom has them

  # Users whose as_json gives the GVL up for a moment (as a database read does), so that every
  # worker a run started gets users, rather than the first one syncing them all.
  let(:slow_users) do
    slow = Class.new(SyncHelpers::PoroUser) do
      def as_json(*)
        sleep 0.002
        super
      end
    end
    users.map { |u| slow.new(**u.to_h) }
  end

  it "syncs unchanged users from the contact pages on two workers, whatever the concurrency" do
    emulator.clear_requests!
    expect(workers_of_run(slow_users, concurrency: 8, prefetch: true).size).to eq(2)
    expect(emulator.requests.map(&:path).uniq).to eq(["/contacts"]) # the pages only
  end

  it "puts every worker to work once a sync fails (most failures are Intercom's answers)" do
    failing = slow_users.first
    def failing.as_json(*) = raise(ArgumentError, "the app's as_json failed")
    threads = workers_of_run(slow_users, concurrency: 8, prefetch: true, expect_failed: 1)
    expect(threads.size).to be > 2 # (how many of the added ones get users before the rest are done varies)
  end

  it "starts every worker when the users are in a database: each sync waits on its reads" do
    dir = Dir.mktmpdir("intercom-sync-workers")
    SampleApp.connect(File.join(dir, "workers.sqlite3")) # (the workers' own connections share a file)
    users = Array.new(12) { |i| create_user(email: "db#{i}@example.com", name: "User #{i}") }
    expect(SyncWithIntercom.perform_all(users, concurrency: 3, prefetch: false).failed).to eq(0)
    recording = Class.new(IntercomSync::WorkerPool) do
      def started = (@started ||= [])

      def start(jobs, notify: nil)
        started.concat(jobs.map(&:first)) # the jobs' names
        super
      end
    end
    IntercomSync::WorkerPool.shared = pool = recording.new
    expect(SyncWithIntercom.perform_all(users, concurrency: 3, prefetch: true).errors.map(&:reason)).to eq([])
    expect(pool.started.grep(/\Aworker/)).to eq(["worker 1", "worker 2", "worker 3"])
  ensure
    FileUtils.rm_rf(dir) if dir
  end

  it "puts every worker to work once a sync makes requests (the user changed)" do
    users.each { |u| u.name = "#{u.name} (renamed)" }
    emulator.inject(:latency, seconds: 0.1, method: :put, path: "/contacts/") # the updates overlap
    expect(workers_of_run(users, concurrency: 8, prefetch: true).size).to eq(8)
    expect(emulator.contacts.map { |c| c["name"] }).to all(end_with("(renamed)"))
  end

  it "starts every worker at once when users come without contacts (no pages read)" do
    emulator.inject(:latency, seconds: 0.1, path: "/contacts/find_by_external_id/") # every lookup
    expect(workers_of_run(users, concurrency: 8, prefetch: false).size).to eq(8)
  end

  it "puts every worker to work for the users the pages did not have (new users)" do
    fresh = poro_users(16, "n")
    emulator.inject(:latency, seconds: 0.1, method: :post, path: "/contacts") # every create
    expect(workers_of_run(users + fresh, concurrency: 8, prefetch: true).size).to eq(8)
    expect(emulator.contacts.map { |c| c["external_id"] }.tally.values).to all(eq(1))
  end
end
