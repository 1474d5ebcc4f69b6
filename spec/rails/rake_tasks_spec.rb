# frozen_string_literal: true

require "net/http"
require "socket"
require "sqlite3"

# The intercom_sync rake tasks, run as `bin/rails intercom_sync:...` in the app under spec/ with
# the 30 seeded users (spec/rails_app/db/seeds.rb), each example on its own copy of the database
# and its own emulator. Every task that exists today is expected to print what a person needs.
#
# needs helper E's feature: every example here (usage messages, the plan diff, backfill with
# progress, resume and ENQUEUE, attributes) except "sync[ID] syncs that user". The texts they
# look for are the ones helper E's tasks print.
RSpec.describe "The intercom_sync rake tasks in a Rails app", :rails_app do
  let(:emulator) { IntercomSync::Emulator.start(token: "e2e-rake-token") }
  let(:app) { RailsAppHarness::App.new(emulator: emulator) }

  after { emulator.stop }

  def rails(*args, env: {})
    app.run("bin/rails", *args, env: env)
  end

  def synced_user_ids
    db = SQLite3::Database.new(app.database, readonly: true)
    db.execute("SELECT id FROM users WHERE json_extract(metadata, '$.intercom_user_id') IS NOT NULL").flatten
  ensure
    db&.close
  end

  def contact_external_ids
    emulator.contacts.map { |contact| contact["external_id"] }
  end

  describe "intercom_sync:sync" do
    it "syncs that user" do
      run = rails("intercom_sync:sync[7]")
      expect(run).to be_success
      expect(contact_external_ids).to eq(["7"])
      expect(synced_user_ids).to eq([7])
    end

    it "says how to call it when the user id is missing" do
      run = rails("intercom_sync:sync")
      expect(run).not_to be_success
      expect(run.output).to match(/usage:.*intercom_sync:sync\[USER_ID\]/i)
      expect(run.output).not_to include("KeyError")
      expect(emulator.requests).to be_empty
    end
  end

  describe "intercom_sync:plan" do
    it "shows what a sync would change, field by field, ours -> Intercom's, and writes nothing" do
      emulator.define_attribute(:contact, "plan", "string")
      emulator.seed_contact(role: "user", external_id: "5", email: "user5@example.com", name: "Old Name",
                            custom_attributes: { "plan" => "free" })

      run = rails("intercom_sync:plan[5]")

      expect(run).to be_success
      expect(run.stdout).to match(/name: "?User 5"? -> "?Old Name"?/)
      expect(run.stdout).to match(/plan: "?pro"? -> "?free"?/)
      expect(emulator.contact_by_external_id("5")).to include("name" => "Old Name")
      expect(emulator.requests.map(&:method).uniq).to eq(["GET"])
      expect(synced_user_ids).to be_empty
    end

    it "says how to call it when the user id is missing" do
      run = rails("intercom_sync:plan")
      expect(run).not_to be_success
      expect(run.output).to match(/usage:.*intercom_sync:plan\[USER_ID\]/i)
      expect(run.output).not_to include("KeyError")
    end
  end

  describe "intercom_sync:backfill" do
    # Each run keeps its cursor in the example's own file, never in the app's tmp/.
    let(:cursor) { File.join(File.dirname(app.database), "backfill.cursor") }

    def backfill(env = {})
      rails("intercom_sync:backfill", env: { "CURSOR" => cursor }.merge(env))
    end

    # SINCE 2024-02-01 leaves users 18-30 (seeded a day apart from 2024-01-15, updated_at as
    # created_at); the paying scope (plan other than free) leaves nine of them.
    it "syncs a scope of users since a date, with plain progress lines and a summary when piped" do
      run = backfill("SCOPE" => "paying", "SINCE" => "2024-02-01", "CONCURRENCY" => "1")

      expect(run).to be_success
      expected = [18, 20, 21, 23, 24, 26, 27, 29, 30]
      expect(contact_external_ids).to match_array(expected.map(&:to_s))
      expect(synced_user_ids).to match_array(expected)
      expect(run.stdout).not_to include("\r") # no bar redrawn over itself in a log file
      expect(run.stdout).to match(%r{\b9/9\b}) # a progress line
      expect(run.stdout.lines.last).to match(/\b9 users synced, 0 failed\b/)
    end

    # What a person runs first, in an app as `rails new` made it: SQLite, a pool of 5
    # connections, Rails 7.2's busy_timeout. Found failing by this spec: with 8 workers some users
    # failed with ActiveRecord::ConnectionTimeoutError, and "database is locked" even with 4
    # (SQLite's busy_timeout waits holding the GVL). Now the default fits the pool
    # (ConnectionBudget) and our writes take turns (SQLiteWriteLock).
    it "syncs every user at the default concurrency in a stock Rails 7.2 app on SQLite" do
      run = backfill

      expect(run).to be_success, run.inspect
      expect(run.stdout.lines.first).to eq("Backfill of all Users: 30 to sync, 4 at a time (the database pool has 5 connections).\n")
      expect(synced_user_ids.size).to eq(30)
      expect(run.stdout.lines.last).to match(/\b30 users synced, 0 failed\b/)
    end

    it "refuses a CONCURRENCY the database pool cannot serve, saying what to change, before syncing anyone" do
      run = backfill("CONCURRENCY" => "8")

      expect(run).not_to be_success
      expect(run.stderr).to include("CONCURRENCY=8 needs 9 database connections", "has 5 (pool: in config/database.yml)",
                                    "run at most 4 at a time, or set pool: 9 or more")
      expect(run.output).not_to match(/from .*\.rb:\d+/) # an answer, not a backtrace
      expect(emulator.requests).to be_empty
    end

    # Slowed a little by the emulator, so that the bar is drawn while users are still left.
    it "draws a progress bar with count, rate and ETA on a terminal" do
      emulator.inject(:latency, seconds: 0.02)
      run = app.run_on_tty("bin/rails", "intercom_sync:backfill", env: { "CURSOR" => cursor, "CONCURRENCY" => "1" })

      expect(run).to be_success
      expect(contact_external_ids.size).to eq(30)
      expect(run.stdout).to include("\r")
      expect(run.stdout).to match(%r{30/30 users})
      expect(run.stdout).to match(%r{users/s})
      expect(run.stdout).to match(/ETA/)
    end

    # Slowed by the emulator so that it is still running when interrupted; the resumed run
    # starts after the last user the first one finished and syncs only the rest.
    it "prints progress while it runs (flushed through a pipe), and resumes from where an interrupted run stopped" do
      emulator.inject(:latency, seconds: 0.2)
      lines = []
      env = { "CURSOR" => cursor, "CONCURRENCY" => "1", "PROGRESS_EVERY" => "0.5" }
      interrupted = app.popen("bin/rails", "intercom_sync:backfill", env: env) do |stdin, out, waiter|
        stdin.close
        reader = Thread.new { out.each_line { |line| lines << line } }
        # until a progress line came through the pipe and a few users are done, or the run ended
        600.times do
          break if !waiter.alive? || (lines.grep(%r{\b\d+/30\b}).any? && emulator.contacts.size >= 3)

          sleep 0.1
        end
        expect(waiter).to be_alive, "the backfill ended before it could be interrupted:\n#{lines.join}"
        Process.kill("INT", waiter.pid)
        status = waiter.value
        reader.join
        status
      end
      done_first = synced_user_ids.size
      expect(done_first).to be_between(1, 29)
      expect(lines.join).to match(/resume/i) # says how to carry on
      expect(interrupted).not_to be_success

      emulator.clear_faults!
      resumed = backfill("CONCURRENCY" => "1")

      expect(resumed).to be_success
      # the user in flight when the signal came may be done but not yet counted: it goes again
      left = resumed.stdout[/Resuming.*?(\d+) left/m, 1].to_i
      expect(left).to be_between(30 - done_first, 30 - done_first + 1)
      expect(resumed.stdout.lines.last).to match(/\b30 users synced, 0 failed\b/) # the whole backfill
      expect(synced_user_ids.size).to eq(30)
      expect(contact_external_ids.tally.values.uniq).to eq([1]) # nobody created twice
    end

    it "enqueues SyncWithIntercomJob in batches with ENQUEUE=1, and says how many" do
      run = backfill("ENQUEUE" => "1", "ACTIVE_JOB_QUEUE_ADAPTER" => "inline")

      expect(run).to be_success
      expect(run.stdout).to match(/\b30 jobs enqueued, 0 failed/)
      expect(synced_user_ids.size).to eq(30) # the inline adapter ran each job as it was enqueued
    end
  end

  # needs helper D's feature (the stats endpoint without a token; a clean stop on Ctrl-C): the
  # task itself is the rake file's, where the trap that stopped the server from trap context was.
  describe "intercom_sync:emulator" do
    it "says where it listens, answers GET /__emulator/stats without a token, and stops on Ctrl-C without a backtrace",
       :aggregate_failures do
      port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
      lines = []
      said_before_stop = stats = nil
      status = app.popen("bin/rails", "intercom_sync:emulator", env: { "PORT" => port.to_s }) do |stdin, out, waiter|
        stdin.close
        reader = Thread.new { out.each_line { |line| lines << line } }
        600.times do # until it listens
          break if !waiter.alive? || listening?(port)

          sleep 0.1
        end
        sleep 0.2 # the line it prints as it starts, through the pipe
        said_before_stop = lines.join
        stats = Net::HTTP.get_response(URI("http://127.0.0.1:#{port}/__emulator/stats")) if waiter.alive?
        Process.kill("INT", waiter.pid) if waiter.alive?
        waiter.value.tap { reader.join }
      end

      expect(said_before_stop).to include("http://127.0.0.1:#{port}") # flushed, not held until exit
      expect(stats&.code).to eq("200"), lines.join
      expect(JSON.parse(stats.body)).to include("requests" => 0)
      expect(lines.join).not_to match(/Error|aborted|from .*\.rb:\d+/)
      expect(status).to be_success
    end

    def listening?(port)
      TCPSocket.new("127.0.0.1", port).close
      true
    rescue SystemCallError
      false
    end
  end

  describe "intercom_sync:attributes" do
    it "lists the custom attributes Intercom lacks, and creates them with APPLY=1" do
      listed = rails("intercom_sync:attributes")
      expect(listed).to be_success
      expect(listed.stdout).to include("plan", "seats", "tier")
      expect(listed.stdout).to include("APPLY=1")
      expect(emulator.data_attributes(:contact).map { |a| a["name"] }).not_to include("plan", "seats")
      expect(emulator.data_attributes(:company).map { |a| a["name"] }).not_to include("tier")

      applied = rails("intercom_sync:attributes", env: { "APPLY" => "1" })
      expect(applied).to be_success
      expect(emulator.data_attributes(:contact).map { |a| a["name"] }).to include("plan", "seats")
      expect(emulator.data_attributes(:company).map { |a| a["name"] }).to include("tier")
    end
  end
end
