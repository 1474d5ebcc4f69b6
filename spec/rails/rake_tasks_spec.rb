# frozen_string_literal: true

require "sqlite3"

# The intercom_sync rake tasks, run as `bin/rails intercom_sync:...` in the app under spec/ with
# the 30 seeded users (spec/rails_app/db/seeds.rb), each example on its own copy of the database
# and its own emulator. Every task that exists today is expected to print what a person needs.
#
# needs helper E's feature: every example here (usage messages, the plan diff, backfill with
# progress, resume and ENQUEUE, attributes) except "sync[ID] syncs that user".
RSpec.describe "The intercom_sync rake tasks in a Rails app", :rails_app do
  let(:emulator) { IntercomSync::Emulator.start(token: "e2e-rake-token") }
  let(:app) { RailsAppHarness::App.new(emulator: emulator) }

  before(:context) do
    # A backfill cursor an earlier, interrupted run left in the app's tmp/ would make this run resume.
    FileUtils.rm_rf(Dir[File.join(RailsAppHarness::APP_ROOT, "tmp", "*")])
  end

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
    # SINCE 2024-02-01 leaves users 18-30 (seeded a day apart from 2024-01-15); the paying scope
    # (plan other than free) leaves nine of them.
    it "syncs a scope of users since a date, with plain progress lines and a summary when piped" do
      run = rails("intercom_sync:backfill", env: { "SCOPE" => "paying", "SINCE" => "2024-02-01", "CONCURRENCY" => "2" })

      expect(run).to be_success
      expected = [18, 20, 21, 23, 24, 26, 27, 29, 30]
      expect(contact_external_ids).to match_array(expected.map(&:to_s))
      expect(synced_user_ids).to match_array(expected)
      expect(run.stdout).not_to include("\r") # no bar redrawn over itself in a log file
      expect(run.stdout.lines.last).to match(/\b9\b.*synced|synced.*\b9\b/i)
      expect(run.stdout.lines.last).to match(/\b0\b.*failed|failed.*\b0\b/i)
    end

    it "draws a progress bar with count, rate and ETA on a terminal" do
      run = app.run_on_tty("bin/rails", "intercom_sync:backfill")

      expect(run).to be_success
      expect(contact_external_ids.size).to eq(30)
      expect(run.stdout).to include("\r")
      expect(run.stdout).to match(%r{30\s*/\s*30})
      expect(run.stdout).to match(/ETA/i)
    end

    # Slowed by the emulator so that it is still running when interrupted; the resumed run
    # starts after the last user the first one finished and syncs only the rest.
    it "prints progress while it runs (flushed through a pipe), and resumes from where an interrupted run stopped" do
      emulator.inject(:latency, seconds: 0.2)
      lines = []
      interrupted = app.popen("bin/rails", "intercom_sync:backfill", env: { "CONCURRENCY" => "1" }) do |stdin, out, waiter|
        stdin.close
        reader = Thread.new { out.each_line { |line| lines << line } }
        # until a line came through the pipe and a few users are done, or the run ended
        600.times do
          break if !waiter.alive? || (lines.any? && emulator.contacts.size >= 3)

          sleep 0.1
        end
        expect(waiter).to be_alive, "the backfill ended before it could be interrupted:\n#{lines.join}"
        expect(lines).not_to be_empty # printed while running, not held back until exit
        Process.kill("INT", waiter.pid)
        status = waiter.value
        reader.join
        status
      end
      done_first = synced_user_ids
      expect(done_first.size).to be_between(1, 29)
      expect(lines.join).to match(/resum/i) # says how to carry on
      expect(interrupted).not_to be_success

      emulator.clear_faults!
      resumed = rails("intercom_sync:backfill", env: { "CONCURRENCY" => "1" })

      expect(resumed).to be_success
      expect(resumed.stdout).to match(/resum/i)
      synced_again = resumed.stdout.lines.last[/(\d+)\s+(?:users?\s+)?synced|synced\s+(\d+)/i, 1].to_i
      expect(synced_again).to be_between(30 - done_first.size - 1, 30 - done_first.size)
      expect(synced_user_ids.size).to eq(30)
      expect(contact_external_ids.tally.values.uniq).to eq([1]) # nobody created twice
    end

    it "enqueues SyncWithIntercomJob in batches with ENQUEUE=1, and says how many" do
      run = rails("intercom_sync:backfill", env: { "ENQUEUE" => "1", "ACTIVE_JOB_QUEUE_ADAPTER" => "inline" })

      expect(run).to be_success
      expect(run.stdout).to match(/enqueued\s+30\b|30\s+(?:jobs\s+|syncs\s+)?enqueued/i)
      expect(synced_user_ids.size).to eq(30) # the inline adapter ran each job as it was enqueued
    end
  end

  describe "intercom_sync:attributes" do
    it "lists the custom attributes Intercom lacks, and creates them with APPLY=1" do
      listed = rails("intercom_sync:attributes")
      expect(listed).to be_success
      expect(listed.stdout).to include("plan", "seats", "tier")
      expect(listed.stdout).to include("APPLY=1")
      expect(emulator.data_attributes).to be_empty

      applied = rails("intercom_sync:attributes", env: { "APPLY" => "1" })
      expect(applied).to be_success
      expect(emulator.data_attributes(:contact).map { |a| a["name"] }).to include("plan", "seats")
      expect(emulator.data_attributes(:company).map { |a| a["name"] }).to include("tier")
    end
  end
end
