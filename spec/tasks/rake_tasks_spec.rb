# frozen_string_literal: true

require "tmpdir"
require "json"

RSpec.describe "rake intercom_sync:*", sync: true, rake: true do
  before do
    define_user_attributes
    @dir = Dir.mktmpdir("intercom-sync-tasks")
    SampleApp.connect(File.join(@dir, "tasks.sqlite3")) # backfill's worker threads share the database file
  end

  after { FileUtils.remove_entry(@dir) }

  let(:cursor) { File.join(@dir, "backfill.cursor") }

  def backfill(task = "intercom_sync:backfill", *args, **env)
    run_task(task, *args, env: { "CURSOR" => cursor, "PROGRESS_EVERY" => "0" }.merge(env.transform_keys(&:to_s)))
  end

  describe "intercom_sync:sync[ID] and intercom_sync:plan[ID]" do
    %w[sync plan].each do |task|
      it "#{task} without an id prints its usage and exits 1, sending nothing" do
        run = run_task("intercom_sync:#{task}")
        expect(run.status).to eq(1)
        expect(run.err).to include("usage: bin/rails \"intercom_sync:#{task}[USER_ID]\" (the id of a User")
        expect(run.err).not_to include("KeyError")
        expect(emulator.requests).to be_empty
      end

      it "#{task} of an id no user has says so, with the usage, and exits 1" do
        run = run_task("intercom_sync:#{task}", "999")
        expect(run.status).to eq(1)
        expect(run.err).to start_with(%(no User has id "999"\nusage:))
        expect(emulator.requests).to be_empty
      end
    end

    it "sync prints what it did as a sentence, not an inspect" do
      team = create_team("acme.com")
      user = create_user(teams: [team], owned: [team])
      run = run_task("intercom_sync:sync", user.id.to_s)
      contact = emulator.contact_by_external_id(user.id)
      expect(run.status).to eq(0)
      expect(run.out).to eq(
        "Synced User #{user.id} with Intercom contact #{contact['id']} (created): pushed email, name, signed_up_at, " \
        "last_seen_at and custom_attributes; pulled nothing; companies upserted for team #{team.id}; 1 company " \
        "attached, none detached; no leads merged; #{emulator.requests.size} requests.\n"
      )
      expect(user.reload.metadata["intercom_user_id"]).to eq(contact["id"])

      emulator.clear_requests!
      again = run_task("intercom_sync:sync", user.id.to_s)
      expect(again.out).to eq("Synced User #{user.id} with Intercom contact #{contact['id']}: already in step, " \
                              "nothing written; 1 request.\n")
    end

    it "plan prints one line per field, ours -> Intercom's, and the companies, writing nothing" do
      old_team = create_team("old.com")
      user = create_user(teams: [old_team])
      SyncWithIntercom.perform(user)
      contact = emulator.contact_by_external_id(user.id)
      user.reload.update!(email: "ann@new.example", plan: "team", name: nil)
      new_team = create_team("new.com")
      user.teams.destroy(old_team)
      user.teams << new_team
      emulator.clear_requests!

      run = run_task("intercom_sync:plan", user.id.to_s)
      expect(run.status).to eq(0)
      expect(run.out).to eq(<<~TEXT)
        Plan for User #{user.id} (a dry run: 1 request read Intercom, nothing was written)
        Contact #{contact['id']}, to update (field: ours -> Intercom's):
          email: "ann@new.example" -> "ann@example.com"
          custom_attributes.plan: "team" -> "pro"
          name: (none) -> "Ann"  (pulled: Intercom's is saved in the app)
        Companies:
          create the company of team #{new_team.id} (it has none in Intercom yet)
          attach the company of team #{new_team.id} (created first)
          detach company #{old_team.reload.metadata['intercom_company_id']} (not the company of any of the user's teams)
      TEXT
      expect(emulator.requests.map(&:method)).to eq(["GET"])
      expect(emulator.contact(contact["id"])).to include("email" => "ann@example.com", "name" => "Ann")
    end

    it "plan of a user Intercom lacks shows the contact to create, field by field" do
      user = create_user(created_at: Time.at(1_600_000_000))
      run = run_task("intercom_sync:plan", user.id.to_s)
      expect(run.out).to include(
        "Contact to create (no contact has this user's external_id or email; field: ours -> Intercom's):\n" \
        "  external_id: \"#{user.id}\" -> (none)\n  email: \"ann@example.com\" -> (none)\n  name: \"Ann\" -> (none)\n" \
        "  signed_up_at: 2020-09-13 12:26:40 UTC -> (none)\n"
      )
      expect(emulator.contacts).to be_empty
    end

    it "sync names the user and the typed error when Intercom refuses, and exits 1" do
      user = create_user
      emulator.inject(:status, status: 403, code: "forbidden", method: :post, path: "/contacts")
      run = run_task("intercom_sync:sync", user.id.to_s)
      expect(run.status).to eq(1)
      expect(run.err).to start_with("User #{user.id}: IntercomSync::ForbiddenError: sync step \"create contact\" failed")
      expect(run.err.lines.size).to eq(1)
    end

    it "plan says when there is nothing to change" do
      user = create_user
      warm_up(user)
      expect(run_task("intercom_sync:plan", user.id.to_s).out)
        .to end_with("Nothing to change: Intercom is in step with User #{user.id}.\n")
    end
  end

  describe "intercom_sync:backfill" do
    it "syncs every user, printing a flushed progress line per PROGRESS_EVERY and a summary, and removes its cursor" do
      users = Array.new(3) { |i| create_user(email: "t#{i}@example.com") }
      run = backfill(CONCURRENCY: "2")
      expect(run.status).to eq(0)
      lines = run.out.lines(chomp: true)
      expect(lines.first(2)).to eq(["Backfill of all Users: 3 to sync, 2 at a time.", "Cursor: #{cursor}"])
      progress = lines.grep(/\Abackfill: /)
      expect(progress.map { |l| l[%r{\d+/\d+ users \(\d+%\)}] })
        .to eq(["1/3 users (33%)", "2/3 users (66%)", "3/3 users (100%)"])
      expect(progress).to all(match(%r{ users/s, ETA \d+:\d\d:\d\d, 0 failed\z}))
      expect(lines.last).to match(%r{\ABackfill done: 3 users synced, 0 failed, \d+ requests in 0:00:\d\d \([\d.]+ users/s\)\.\z})
      expect(emulator.contacts.map { |c| c["external_id"] }).to match_array(users.map { |u| u.id.to_s })
      expect(File.exist?(cursor)).to be(false)

      emulator.clear_requests!
      expect(backfill.out).to include("Backfill done: 3 users synced, 0 failed, 1 request in") # one contact page
      expect(calls).to eq(["GET /contacts"])
    end

    it "lists the users that failed (on stderr as they fail, ids in the summary) and exits 1" do
      ok = create_user(email: "ok@example.com")
      bad = create_user(email: "bad@example.com")
      emulator.seed_contact(role: "user", external_id: ok.id.to_s, email: "ok@example.com")
      emulator.inject(:status, status: 403, code: "forbidden", method: :post, path: "/contacts")
      run = backfill
      expect(run.status).to eq(1)
      expect(run.err).to match(/\AUser #{bad.id} failed: IntercomSync::ForbiddenError: .*create contact/)
      expect(run.out).to include("backfill: 2/2 users (100%)")
      expect(run.out).to include("1 failed\n")
      expect(run.out).to include("Backfill done: 1 users synced, 1 failed")
      expect(run.out).to include("Failed User ids: #{bad.id}\n", %(bin/rails "intercom_sync:sync[#{bad.id}]"))
    end

    it "takes the users of SCOPE= and of SINCE= only" do
      User.singleton_class.class_eval { def paying = where(plan: "pro") }
      pro = create_user(email: "p@example.com", plan: "pro")
      create_user(email: "f@example.com", plan: "free")
      expect(backfill(SCOPE: "paying").out).to include("Backfill of Users in scope paying: 1 to sync")
      expect(emulator.contacts.map { |c| c["external_id"] }).to eq([pro.id.to_s])

      old = create_user(email: "o@example.com")
      old.update_columns(updated_at: Time.utc(2026, 10, 1))
      run = backfill(SINCE: "2026-10-02", FRESH: "1")
      expect(run.out).to include("Backfill of all Users updated since 2026-10-02 00:00:00 UTC: 2 to sync")
      expect(emulator.contact_by_external_id(old.id)).to be_nil
    ensure
      User.singleton_class.send(:remove_method, :paying)
    end

    it "refuses a SCOPE that is not one of the app's scopes, such as delete_all, and runs nothing" do
      create_user
      %w[delete_all destroy_all].each do |name|
        run = backfill(SCOPE: name)
        expect(run.status).to eq(1)
        expect(run.err).to eq("SCOPE=#{name} is not a scope or class method of User\n")
      end
      expect(User.count).to eq(1)
      expect(emulator.requests).to be_empty
    end

    it "suggests the scope meant, and refuses one that is not a relation" do
      User.singleton_class.class_eval do
        def paying = where(plan: "pro")
        def headcount = count
      end
      expect(backfill(SCOPE: "payng").err).to eq("SCOPE=payng is not a scope or class method of User " \
                                                  "(did you mean SCOPE=paying?)\n")
      expect(backfill(SCOPE: "headcount").err).to start_with("SCOPE=headcount returned Integer, not a relation of User")
    ensure
      %i[paying headcount].each { |m| User.singleton_class.send(:remove_method, m) }
    end

    it "refuses settings it cannot read, naming them" do
      expect(backfill(CONCURRENCY: "eight").err).to eq("CONCURRENCY=eight is not a whole number from 1 to 256\n")
      expect(backfill(SINCE: "last tuesday-ish").err).to start_with("SINCE=last tuesday-ish is not a date or time")
      expect(backfill(FRESH: "please").err).to start_with("FRESH=please is not a yes or no")
    end

    it "resumes an interrupted run (Ctrl-C) after the last user it recorded: no user synced twice" do
      users = Array.new(12) { |i| create_user(email: "r#{i}@example.com") }
      creates = -> { emulator.requests.select { |r| r.method == "POST" && r.path == "/contacts" } }
      interrupter = Thread.new do # Ctrl-C while both workers wait on Intercom
        sleep 0.01 until creates.call.size >= 4
        emulator.inject(:stall, seconds: 5, method: :post, path: "/contacts")
        seen = creates.call.size
        sleep 0.01 until creates.call.size >= seen + 2
        Thread.main.raise(Interrupt)
      end
      first = backfill(CONCURRENCY: "2")
      interrupter.join
      expect(first.status).to eq(130)
      expect(first.err).to match(/\AInterrupted \(SIGINT\) after \d+ users in this run\. Run the same command again to resume after User id \d+ \(cursor: #{Regexp.escape(cursor)}\); FRESH=1 starts over\.\n\z/)
      state = JSON.parse(File.read(cursor))["state"]
      done = users.map(&:id).select { |id| id <= state["mark"] || state["done_above"].include?(id) }
      expect(done.size).to eq(state["ok"])

      emulator.clear_faults!
      emulator.clear_requests!
      second = backfill(CONCURRENCY: "2")
      expect(second.status).to eq(0)
      expect(second.out).to start_with("Resuming the backfill of all Users after User id #{state['mark']} " \
                                       "(#{done.size} done before, 0 failed): #{12 - done.size} left to sync")
      expect(second.out).to include("Backfill done: 12 users synced, 0 failed")
      touched = emulator.requests.map { |r| [r.path, r.body].join(" ") }
      done.each do |id|
        contact_id = User.find(id).metadata["intercom_user_id"]
        expect(touched.grep(/"external_id":"#{id}"|#{contact_id}/)).to be_empty
      end
      expect(emulator.contacts.map { |c| c["external_id"] }).to match_array(users.map { |u| u.id.to_s })
      expect(File.exist?(cursor)).to be(false)
    end

    it "starts over with FRESH=1 (or RESUME=0), and refuses the cursor of another run" do
      create_user
      other_key = { "user_class" => "User", "scope" => "paying", "since" => nil, "mode" => "sync" }
      File.write(cursor, JSON.generate("version" => 1, "key" => other_key, "state" => {}))
      run = backfill
      expect(run.status).to eq(1)
      expect(run.err).to include("#{cursor} holds the cursor of another backfill (user_class User, scope paying, mode sync)")
      expect(backfill(RESUME: "0").out).to include("Backfill done: 1 users synced")
    end

    describe "ENQUEUE=1" do
      around do |example|
        require "intercom_sync/job"
        ActiveJob::Base.queue_adapter = :test
        example.run
      ensure
        ActiveJob::Base.queue_adapter = :inline
      end

      it "enqueues a SyncWithIntercomJob per user in batches, with progress, syncing nothing itself" do
        users = Array.new(5) { |i| create_user(email: "e#{i}@example.com") }
        run = backfill(ENQUEUE: "1", BATCH: "2")
        expect(run.status).to eq(0)
        expect(run.out).to include("Backfill of all Users: 5 to enqueue a SyncWithIntercomJob for, in batches of 2.")
        expect(run.out.lines.grep(/\Abackfill: /).map { |l| l[%r{\d+/5 jobs}] }).to eq(["2/5 jobs", "4/5 jobs", "5/5 jobs"])
        expect(run.out).to include("Backfill done: 5 jobs enqueued, 0 failed to enqueue")
        jobs = ActiveJob::Base.queue_adapter.enqueued_jobs
        expect(jobs.map { |j| [j[:job], j[:queue]] }.uniq).to eq([[SyncWithIntercomJob, "crm_sync"]])
        expect(jobs.size).to eq(users.size)
        expect(emulator.requests).to be_empty
      end
    end
  end

  describe "the deprecated names" do
    it "sync_all[CONCURRENCY] runs backfill, saying so" do
      create_user
      run = backfill("intercom_sync:sync_all", "2")
      expect(run.err).to eq("intercom_sync:sync_all is deprecated; this runs: rake intercom_sync:backfill CONCURRENCY=2\n")
      expect(run.out).to include("1 to sync, 2 at a time", "Backfill done: 1 users synced, 0 failed")
    end

    it "enqueue_all runs backfill ENQUEUE=1, saying so" do
      require "intercom_sync/job"
      ActiveJob::Base.queue_adapter = :test
      2.times { |i| create_user(email: "u#{i}@example.com") }
      run = backfill("intercom_sync:enqueue_all")
      expect(run.err).to eq("intercom_sync:enqueue_all is deprecated; this runs: rake intercom_sync:backfill ENQUEUE=1\n")
      expect(run.out).to include("Backfill done: 2 jobs enqueued")
      expect(ActiveJob::Base.queue_adapter.enqueued_jobs.size).to eq(2)
    ensure
      ActiveJob::Base.queue_adapter = :inline
    end
  end

  describe "intercom_sync:attributes" do
    it "lists the custom attributes the app sends that Intercom lacks, and creates them with APPLY=1" do
      emulator.reset!
      team = create_team("acme.com")
      create_user(owned: [team])
      run = run_task("intercom_sync:attributes")
      expect(run.out).to eq(<<~TEXT)
        contact: 4 custom attributes sent, 4 missing in Intercom:
          oauth_provider: no value in the sample, type unknown; not created (a sync creates it once it has a value)
          plan (string)
          seats (integer)
          deleted (boolean)
        company: 4 custom attributes sent, 4 missing in Intercom:
          domain (string)
          tier (string)
          owner_id (integer)
          deleted (boolean)
        Run with APPLY=1 to create them (read from 1 user and 1 team they own; SAMPLE= reads more).
      TEXT
      expect(emulator.data_attributes.select { |a| a["custom"] }).to be_empty

      applied = run_task("intercom_sync:attributes", env: { "APPLY" => "1" })
      expect(applied.out).to include("  plan (string): created\n", "  owner_id (integer): created\n")
      expect(emulator.data_attributes("contact").map { |a| [a["name"], a["data_type"]] })
        .to include(%w[plan string], %w[seats integer], %w[deleted boolean])
      expect(emulator.data_attributes("contact").map { |a| a["name"] }).not_to include("oauth_provider")
      expect(run_task("intercom_sync:attributes").out)
        .to include("contact: 4 custom attributes sent, 1 missing in Intercom:", "company: 4 custom attributes sent, 0 missing")
    end

    it "says in one typed line that Intercom's list of attributes is unusable, creating nothing" do
      emulator.reset!
      create_user
      emulator.inject(:body, method: "GET", path: "/data_attributes", body: { "type" => "list", "data" => [1, "x", nil] })
      run = run_task("intercom_sync:attributes", env: { "APPLY" => "1" })
      expect(run.status).to eq(1)
      expect(run.err).to match(/IntercomSync::ParseError: .*data_attributes/)
      expect(emulator.data_attributes.select { |a| a["custom"] }).to be_empty
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
      [["intercom_sync:sync", "1"], ["intercom_sync:plan", "1"], ["intercom_sync:backfill"], ["intercom_sync:sync_all", "2"],
       ["intercom_sync:enqueue_all"], ["intercom_sync:attributes"]].each do |task, *args|
        it "#{task} says it is #{why}, exits non-zero and does nothing" do
          user = create_user
          IntercomSync.configure(&switch_off)
          run = backfill(task, *args.map { user.id.to_s })
          expect(run.status).not_to eq(0)
          expect(run.err).to match(message)
          expect(emulator.requests).to be_empty
          expect(ActiveJob::Base.queue_adapter.enqueued_jobs).to be_empty
          expect(File.exist?(cursor)).to be(false)
        end
      end
    end
  end
end
