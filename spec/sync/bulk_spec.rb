# frozen_string_literal: true

require "tmpdir"
require "fileutils"

# timing: worker threads contend for the SQLite file; under valgrind's ~30x slowdown its lock
# waits turn into timeouts, so this file runs in the plain and ASan runs only.
RSpec.describe "SyncWithIntercom.perform_all", sync: true, timing: true do
  before do
    # worker threads use connections of their own: the database must be a file they share
    @dir = Dir.mktmpdir("intercom-sync-bulk")
    SampleApp.connect(File.join(@dir, "bulk.sqlite3"))
    define_user_attributes
    define_company_attributes
  end

  after { FileUtils.rm_rf(@dir) }

  let(:users) { Array.new(12) { |i| create_user(email: "u#{i}@example.com", name: "User #{i}") } }

  it "syncs every user, yielding each outcome as it completes" do
    yielded = []
    report = SyncWithIntercom.perform_all(users, concurrency: 4) { |outcome| yielded << outcome }
    expect(report.errors.map { |o| o.error.inspect }).to eq([])
    expect(yielded.size).to eq(12)
    expect(report.succeeded).to eq(12)
    expect(report.failed).to eq(0)
    expect(report.outcomes.map { |o| o.user.id }).to match_array(users.map(&:id))
    expect(emulator.contacts.count { |c| c["role"] == "user" }).to eq(12)
    users.each { |u| expect(u.reload.metadata["intercom_user_id"]).to eq(emulator.contact_by_external_id(u.id)["id"]) }
    expect(report.requests).to eq(emulator.requests.size)
  end

  it "runs the syncs concurrently", timing: true do
    emulator.inject(:latency, seconds: 0.2, method: :post, path: "/contacts") # each user's create
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    SyncWithIntercom.perform_all(users.first(8), concurrency: 8)
    expect(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).to be < 1.2 # 8 x 0.2 s in sequence
  end

  it "reports one user's failure without stopping the others" do
    IntercomSync.configuration.create_first = :never
    bad = users[3]
    emulator.inject(:status, status: 400, code: "parameter_invalid", path: "/contacts/find_by_external_id/#{bad.id}")
    report = SyncWithIntercom.perform_all(users, concurrency: 3, prefetch: false) # each user looked up
    expect(report.errors.map { |o| [o.user.id, o.error.inspect] }).to match([[bad.id, a_string_including("ParameterInvalidError")]])
    expect(report.succeeded).to eq(11)
  end

  it "adopts email-only contacts (made by the Messenger or an import) without duplicating them" do
    email_only = users.first(3).map { |u| emulator.seed_contact(role: "user", email: u.email) }
    report = SyncWithIntercom.perform_all(users, concurrency: 3, prefetch: false)
    expect(report.errors.map { |o| o.error.inspect }).to eq([])
    expect(emulator.contacts.size).to eq(12)
    users.first(3).zip(email_only) do |user, contact|
      expect(user.reload.metadata["intercom_user_id"]).to eq(contact["id"])
      expect(emulator.contact(contact["id"])).to include("external_id" => user.id.to_s, "name" => user.name)
    end
  end

  it "walks an ActiveRecord relation in batches" do
    users
    report = SyncWithIntercom.perform_all(User.where("id > 6"), concurrency: 2, collect: false)
    expect(report.succeeded).to eq(6)
    expect(report.outcomes).to be_empty
  end

  it "reads contact pages for a relation, querying only the users in its scope" do
    SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: false)
    emulator.clear_requests!
    User.where("id <= 6").each { |u| u.update!(name: "Changed outside the scope") }
    User.where("id > 6").first.update!(name: "Changed in scope")
    report = SyncWithIntercom.perform_all(User.where("id > 6"), concurrency: 2, prefetch: true)
    expect(report.succeeded).to eq(6)
    expect(emulator.requests.map { |r| "#{r.method} #{r.path}" }.tally)
      .to eq("GET /contacts" => 1, "PUT /contacts/#{User.where('id > 6').first.metadata['intercom_user_id']}" => 1)
  end

  context "with a tight rate limit", timing: true do
    emulator_options rate_limit: 20, rate_limit_window: 1

    it "stays inside it with many threads: no 429s, nothing failed" do
      report = SyncWithIntercom.perform_all(users, concurrency: 8)
      expect(report.failed).to eq(0)
      expect(emulator.requests.count { |r| r.status == 429 }).to eq(0)
      expect(report.elapsed).to be >= (emulator.requests.size / 20) - 1
    end
  end

  it "stops its threads when the caller's block raises" do
    expect { SyncWithIntercom.perform_all(users, concurrency: 4) { raise "stop" } }.to raise_error("stop")
    expect(Thread.list.select { |t| t.name.to_s.start_with?("intercom_sync bulk") && t.alive? }).to be_empty
  end

  it "raises an error of the users' enumeration once the started syncs are done, leaving no thread behind" do
    source = Enumerator.new do |y|
      users.first(5).each { |u| y << u }
      raise IOError, "cursor lost"
    end
    expect { SyncWithIntercom.perform_all(source, concurrency: 2) }.to raise_error(IOError, "cursor lost")
    expect(Thread.list.select { |t| t.name.to_s.start_with?("intercom_sync bulk") && t.alive? }).to be_empty
    expect(emulator.contacts.size).to eq(5)
  end

  it "reports a nil among the users as that entry's failure" do
    report = SyncWithIntercom.perform_all([users[0], nil, users[1]], concurrency: 2)
    expect(report.succeeded).to eq(2)
    expect(report.errors.map { |o| [o.user, o.error.class] }).to eq([[nil, IntercomSync::InvalidInputError]])
  end

  it "sends nothing when disabled" do
    IntercomSync.configuration.enabled = false
    expect(SyncWithIntercom.perform_all(users)).to be_nil
    expect(emulator.requests).to be_empty
  end
end
