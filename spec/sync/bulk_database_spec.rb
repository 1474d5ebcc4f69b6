# frozen_string_literal: true

require "tmpdir"
require "fileutils"

# perform_all on a database configured as `rails new` configures it: SQLite, a pool of 5
# connections, `timeout: 5000` (which Rails 7.2 turns into SQLite's busy_timeout, a wait that
# holds the GVL). Whatever the app's pool and lock settings, our own threads must never make a
# user fail: not by waiting for a connection (ActiveRecord::ConnectionTimeoutError), not by
# contending with each other for SQLite's single write lock (SQLite3::BusyException).
RSpec.describe "SyncWithIntercom.perform_all on a stock Rails database", sync: true do
  before do
    @dir = Dir.mktmpdir("intercom-sync-stock-db")
    ActiveRecord::Base.establish_connection(adapter: "sqlite3", database: File.join(@dir, "stock.sqlite3"),
                                            pool: 5, timeout: 5000)
    SampleApp.define_schema
    # the schema's creation keeps a connection; Rails 7.2's queries (a rake task's) return theirs
    ActiveRecord::Base.connection_pool.release_connection
    define_user_attributes
  end

  after do
    ActiveRecord::Base.connection_handler.clear_all_connections!(:all)
    FileUtils.rm_rf(@dir)
  end

  let(:pool) { User.connection_pool }

  def create_users(count)
    Array.new(count) { |i| create_user(email: "u#{i}@example.com", name: "User #{i}") }
  end

  def bulk_worker_names
    Thread.list.filter_map { |t| t.name if t.alive? && t.name.to_s.start_with?("intercom_sync bulk worker") }
  end

  describe "the database pool" do
    it "refuses up front a concurrency its pool cannot serve, saying the pool size and the fix" do
      create_users(2)
      # 5 workers and the thread reading the users need 6 connections
      expect { SyncWithIntercom.perform_all(User.all, concurrency: 5) }
        .to raise_error(IntercomSync::ConfigurationError,
                        /concurrency 5 needs 6 database connections .*pool .*has 5.*at most 4.*pool: 6/m)
      expect(emulator.requests).to be_empty
      expect(bulk_worker_names).to be_empty
    end

    it "counts no connection for reading the users of an Array: 5 workers fit a pool of 5" do
      users = create_users(5)
      report = SyncWithIntercom.perform_all(users, concurrency: 5, prefetch: false)
      expect(report.errors.map(&:reason)).to eq([])
    end

    it "counts the connection the calling thread holds as taken" do
      create_users(2)
      pool.lease_connection
      expect { SyncWithIntercom.perform_all(User.all, concurrency: 4) }
        .to raise_error(IntercomSync::ConfigurationError, /concurrency 4 needs 6 .*1 this thread holds/m)
    ensure
      pool.release_connection
    end

    it "runs as many workers as the pool serves when no concurrency is given (8 at most)" do
      create_users(10)
      seen = []
      report = SyncWithIntercom.perform_all(User.all, prefetch: false) { seen << bulk_worker_names.size }
      expect(report.errors.map(&:reason)).to eq([])
      expect(report.succeeded).to eq(10)
      expect(seen.max).to eq(4) # the fifth connection is the reader's
    end

    context "with a pool of one connection" do
      before do
        ActiveRecord::Base.establish_connection(adapter: "sqlite3", database: File.join(@dir, "stock.sqlite3"),
                                                pool: 1, timeout: 5000)
      end

      it "runs one worker, which takes turns with the reader for the connection" do
        create_users(3)
        pool.release_connection
        report = SyncWithIntercom.perform_all(User.all, prefetch: true)
        expect(report.errors.map(&:reason)).to eq([])
        expect(report.succeeded).to eq(3)
      end

      it "runs none when the calling thread holds it, and says so" do
        create_users(1)
        pool.lease_connection
        expect { SyncWithIntercom.perform_all(User.all) }
          .to raise_error(IntercomSync::ConfigurationError,
                          "concurrency 1 needs 3 database connections (1 worker, 1 reading the users, 1 this thread " \
                          "holds) but the connection pool of User has 1 (pool: in config/database.yml): set pool: 3 or more")
      ensure
        pool.release_connection
      end
    end

    # The emulator answers nothing while the spec holds its lock: every worker is then waiting
    # on Intercom, and holds no connection the app's other threads could use.
    it "holds no connection while a worker waits on Intercom" do
      create_users(6)
      busy = nil
      run = nil
      emulator.synchronize do
        run = Thread.new { SyncWithIntercom.perform_all(User.all, concurrency: 3, prefetch: false) }
        600.times do # each worker connected to the emulator: all three wait on its answer
          break if emulator.connections_opened >= 3 || !run.alive?

          sleep 0.05
        end
        busy = pool.stat[:busy]
      end
      expect(run.value.errors.map(&:reason)).to eq([])
      expect(emulator.connections_opened).to be >= 3
      expect(busy).to eq(0)
    end
  end

  describe "SQLite's single writer" do
    # A save that holds the write lock a little while (an after_save callback doing work, as
    # apps' do) makes the workers' writes overlap: without our lock, the second writer waits in
    # SQLite's busy_timeout holding the GVL, the first never gets to commit, and the second fails
    # with "database is locked" after the timeout.
    it "never fails a user with database is locked: our writes take turns, the requests do not" do
      stub_const("SlowSavingUser", Class.new(User) { after_save { sleep 0.05 } })
      create_users(8)
      report = SyncWithIntercom.perform_all(SlowSavingUser.all, concurrency: 4, prefetch: false)

      expect(report.errors.map(&:reason)).to eq([])
      expect(User.all.map { |u| u.metadata["intercom_user_id"] }).to all(be_a(String))
    end

    it "lets a thread that holds the lock take it again (an app's callback that syncs another user)" do
      lock = IntercomSync::SQLiteWriteLock
      expect(lock.synchronize([User, Team]) { lock.synchronize([Team]) { :written } }).to eq(:written)
      expect(lock.database_of(User)).to eq(File.expand_path(File.join(@dir, "stock.sqlite3")))
      expect(lock.database_of(SyncHelpers::PoroUser)).to be_nil
    end

    it "lets a job thread and the bulk workers write the same file without failing" do
      stub_const("SlowSavingUser", Class.new(User) { after_save { sleep 0.05 } })
      users = create_users(6)
      single = Thread.new { users.first(2).map { |u| SyncWithIntercom.perform(SlowSavingUser.find(u.id)) } }
      report = SyncWithIntercom.perform_all(SlowSavingUser.where(id: users.drop(2).map(&:id)), concurrency: 3,
                                                                                                 prefetch: false)
      expect(single.value).to all(be_a(IntercomSync::Result))
      expect(report.errors.map(&:reason)).to eq([])
    end
  end
end
