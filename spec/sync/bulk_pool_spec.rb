# frozen_string_literal: true

require "timeout"
require "open3"
require "rbconfig"

# perform_all in a long-lived process (a Sidekiq worker calling it every few minutes): its
# worker threads and their clients are kept between calls (IntercomSync::WorkerPool), end when
# idle, and everything a run guarantees holds on reused threads.
RSpec.describe "perform_all on the process's worker pool", sync: true do
  let(:idle_timeout) { 60 }
  let(:pool) { IntercomSync::WorkerPool.new(idle_timeout: idle_timeout) }

  before do
    define_user_attributes
    IntercomSync::WorkerPool.shared = pool # a pool of this example's own, shut down after it
  end

  after { IntercomSync::WorkerPool.shared = nil }

  def bulk_threads
    Thread.list.select { |t| t.alive? && t.name.to_s.start_with?("intercom_sync bulk") }
  end

  # The worker threads of a run (as the caller's block sees them; the feeder left out).
  def run_and_watch(users, **options)
    seen = []
    report = SyncWithIntercom.perform_all(users, **options) do
      seen.concat(bulk_threads.select { |t| t.name.start_with?("intercom_sync bulk worker") })
    end
    [report, seen.uniq]
  end

  it "reuses the same worker threads, and their connections, call after call" do
    users = poro_users(12, "r")
    seen = []
    connections = []
    5.times do
      emulator.clear_requests!
      report, threads = run_and_watch(users, concurrency: 4, prefetch: false)
      expect(report.errors.map(&:reason)).to eq([])
      seen.concat(threads)
      connections << emulator.requests.map(&:connection_id).uniq
    end
    # the pool's threads only: 4 workers and the feeder, which may be a worker on the next call
    # (20 threads when each call started its own)
    expect(pool.size).to eq(5)
    expect(seen.uniq - pool.threads).to eq([])
    # a connection per thread of the pool, kept from call to call (20 when each call connected anew)
    expect(connections.flatten.uniq.size).to be <= pool.size
  end

  it "does not grow the process's thread count over repeated calls" do
    users = poro_users(8, "g")
    SyncWithIntercom.perform_all(users, concurrency: 4)
    after_first = Thread.list.size
    9.times { SyncWithIntercom.perform_all(users, concurrency: 4) }
    expect(Thread.list.size).to eq(after_first)
    # 4 workers, the feeder and the contact-page reader, whose threads go on as workers once idle
    expect(pool.size).to be_between(4, 6)
    expect(pool.idle_count).to eq(pool.size)
  end

  it "reads the contact pages ahead on a pooled worker: a warm pool starts no thread" do
    users = poro_users(8, "p")
    SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true) # 2 workers, the feeder, the page reader
    allow(Thread).to receive(:new).and_call_original
    emulator.clear_requests!
    3.times { expect(SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true).failed).to eq(0) }
    expect(Thread).not_to have_received(:new)
    expect(emulator.requests.count { |r| r.method == "GET" && r.path == "/contacts" }).to eq(3)
  end

  it "keeps no more workers than the largest run needed, within max_workers" do
    IntercomSync::WorkerPool.shared = small = IntercomSync::WorkerPool.new(max_workers: 2)
    report = SyncWithIntercom.perform_all(poro_users(6, "m"), concurrency: 4)
    expect(report.succeeded).to eq(6)
    expect(small.size).to eq(2)
    expect(SyncWithIntercom.perform_all(poro_users(6, "m"), concurrency: 4).succeeded).to eq(6)
  end

  context "with a short idle time" do
    let(:idle_timeout) { 0.2 }

    it "ends workers idle for longer than it, closing their clients" do
      SyncWithIntercom.perform_all(poro_users(4, "i"), concurrency: 2)
      threads = pool.threads
      # (the page reader uses the feeder's client: it has none of its own)
      clients = threads.flat_map { |t| t[:intercom_sync_clients]&.values || [] }
      expect(threads.size).to eq(4) # 2 workers, the feeder, the page reader
      expect(clients.size).to be >= 2
      threads.each { |t| expect(t.join(30)).to eq(t) } # each ends by itself
      expect(pool.size).to eq(0)
      expect(clients).to all(be_closed)

      # and the next call starts new ones
      expect(SyncWithIntercom.perform_all(poro_users(4, "j"), concurrency: 2).succeeded).to eq(4)
      expect(pool.size).to eq(4)
    end
  end

  it "stops a run interrupted mid-sync at once, and the next run is right and on a usable pool" do
    users = poro_users(8, "x")
    SyncWithIntercom.perform_all(users.first(2), concurrency: 4, prefetch: false) # a warm pool
    emulator.inject(:latency, seconds: 5, method: :post, path: "/contacts") # every create of the run
    yielded = []
    expect do
      Timeout.timeout(1) { SyncWithIntercom.perform_all(users.drop(2), concurrency: 4, prefetch: false) { |o| yielded << o } }
    end.to raise_error(Timeout::Error)
    expect(yielded).to eq([])
    expect(bulk_threads).to eq([]) # nothing of the interrupted run goes on

    emulator.clear_faults!
    others = poro_users(6, "y")
    report = SyncWithIntercom.perform_all(others, concurrency: 4, prefetch: false)
    expect(report.errors.map(&:reason)).to eq([])
    expect(report.outcomes.map { |o| o.user.id }).to match_array(others.map(&:id)) # none of run x's
    expect(pool.size).to be <= 5
  end

  it "stops at once when the caller's block raises, then serves the next call" do
    users = poro_users(8, "b")
    expect { SyncWithIntercom.perform_all(users, concurrency: 4) { raise "stop" } }.to raise_error("stop")
    expect(bulk_threads).to eq([])
    expect(SyncWithIntercom.perform_all(users, concurrency: 4).succeeded).to eq(8)
  end

  # A block that, on the run's first outcome, says so and waits until the other run has one too.
  def rendezvous(mine, theirs)
    met = false
    lambda do |_outcome|
      next if met

      mine << true
      theirs.pop
      met = true
    end
  end

  it "runs two callers at once, each with workers of its own, when the pool has only enough for one" do
    SyncWithIntercom.perform_all(poro_users(4, "w"), concurrency: 16) # 16 workers, a feeder, a page reader
    expect(pool.size).to be_between(16, 18) # (the reader's and the feeder's threads may go on as workers)
    emulator.inject(:latency, seconds: 0.2, method: :post, path: "/contacts") # the runs overlap longer
    first = poro_users(20, "p")
    second = poro_users(20, "q")
    a_met = Queue.new
    b_met = Queue.new
    # both runs must be in flight at once for either block to return
    a = Thread.new { SyncWithIntercom.perform_all(first, concurrency: 16, prefetch: false, &rendezvous(a_met, b_met)) }
    b = Thread.new { SyncWithIntercom.perform_all(second, concurrency: 16, prefetch: false, &rendezvous(b_met, a_met)) }
    expect([a.join(60), b.join(60)]).to eq([a, b]) # (nil: deadlocked)
    expect(a.value.outcomes.map { |o| o.user.id }).to match_array(first.map(&:id))
    expect(b.value.outcomes.map { |o| o.user.id }).to match_array(second.map(&:id))
    expect(a.value.errors + b.value.errors).to eq([])
    expect(pool.size).to be_between(17, 34) # at most as many as were busy at once
  ensure
    [a, b].compact.each(&:kill)
  end

  it "starts a pool of its own in a forked child, and keeps using its threads in the parent" do
    users = poro_users(6, "f")
    SyncWithIntercom.perform_all(users.first(3), concurrency: 2)
    parent_threads = pool.threads
    parent_connections = emulator.requests.map(&:connection_id).uniq
    seen = emulator.requests.size
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      report = SyncWithIntercom.perform_all(users.last(3), concurrency: 2)
      child_pool = IntercomSync::WorkerPool.shared
      writer.write([report.succeeded, child_pool.equal?(pool), (child_pool.threads & parent_threads).size].join(","))
      writer.close
      exit!(0)
    end
    writer.close
    _, status = Process.wait2(pid)
    expect(status.success?).to be(true)
    expect(reader.read).to eq("3,false,0")
    expect(emulator.requests.drop(seen).map(&:connection_id).uniq & parent_connections).to eq([]) # not the parent's sockets
    expect(SyncWithIntercom.perform_all(users.first(3), concurrency: 2).succeeded).to eq(3)
    expect(pool.threads).to match_array(parent_threads)
  end

  it "ends the run with an error that is no StandardError (a LoadError in the app's as_json), without hanging" do
    users = poro_users(6, "l")
    def (users[1]).as_json(*) = raise(LoadError, "cannot load such file -- money")
    run = Thread.new { SyncWithIntercom.perform_all(users, concurrency: 1, prefetch: false) }
    run.report_on_exception = false
    expect { run.join(60) }.to raise_error(LoadError, /money/) # (join returns nil when it hangs)
    expect(bulk_threads).to eq([])
    expect(SyncWithIntercom.perform_all(users.first(1), concurrency: 1).succeeded).to eq(1)
  ensure
    run&.kill
  end

  it "ends the run with an error, without hanging, when the app kills one of its workers" do
    users = poro_users(8, "k")
    killed = nil
    run = Thread.new do
      SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: false) do
        killed ||= bulk_threads.find { |t| t.name == "intercom_sync bulk worker 2" }&.tap(&:kill)
      end
    end
    run.report_on_exception = false
    expect { run.join(60) }.to raise_error(ThreadError, /worker thread running worker 2 was killed/)
    expect(killed).to be_a(Thread)
    expect(SyncWithIntercom.perform_all(users, concurrency: 2).succeeded).to eq(8)
  ensure
    run&.kill
  end

  # subprocess: runs another Ruby, which valgrind would trace and report on
  it "lets the process exit at once: idle workers do not keep it for their idle time", subprocess: true do
    script = <<~'RUBY'
      require "intercom_sync"
      require "logger"
      IntercomSync.configure do |c|
        c.base_url = ENV.fetch("EMULATOR_URL")
        c.access_token = ENV.fetch("EMULATOR_TOKEN")
        c.enabled = true
        c.logger = Logger.new(nil)
      end
      user = Struct.new(:id, :email, :name, :phone_number, :timezone, :created_at, :last_request_at, :metadata,
                        keyword_init: true) do
        def from_oauth? = false
        def as_json(*) = {}
        def teams = []
        def owned_teams = []
        def update!(changes) = changes.each { |k, v| self[k] = v }
      end
      users = Array.new(4) { |i| user.new(id: "e-#{i}", email: "e#{i}@example.com", created_at: Time.at(1_600_000_000), metadata: {}) }
      puts SyncWithIntercom.perform_all(users, concurrency: 4).succeeded
      puts IntercomSync::WorkerPool.shared.idle_count
    RUBY
    env = { "EMULATOR_URL" => emulator.base_url, "EMULATOR_TOKEN" => emulator.token }
    lib = File.expand_path("../../lib", __dir__)
    out = nil
    status = nil
    waited = Thread.new { out, status = Open3.capture2(env, RbConfig.ruby, "-I", lib, "-e", script) }
    expect(waited.join(40)).to eq(waited) # (nil: held for the 60 s idle time)
    expect(status).to be_success
    synced, idle = out.lines.map(&:to_i)
    expect(synced).to eq(4)
    expect(idle).to be_between(4, 6) # 4 workers, the feeder, the page reader (some threads served twice)
  end
end
