# frozen_string_literal: true

require "intercom_sync/tasks"
require "tmpdir"
require "json"

RSpec.describe IntercomSync::Tasks::Backfill, sync: true do
  before do
    define_user_attributes
    @dir = Dir.mktmpdir("intercom-sync-backfill")
    SampleApp.connect(File.join(@dir, "backfill.sqlite3"))
  end

  after { FileUtils.remove_entry(@dir) }

  let(:cursor) { File.join(@dir, "backfill.cursor") }

  # An output that raises `error` while writing the nth progress line: a Ctrl-C (or a crash)
  # that lands just after the nth user was recorded.
  def output_stopping_at(nth, error)
    out = StringIO.new
    lines = 0
    out.define_singleton_method(:puts) do |*args|
      lines += 1 if args.first.to_s.start_with?("backfill: ")
      raise error if lines == nth

      super(*args)
    end
    out
  end

  def backfill(out: StringIO.new, err: StringIO.new, **env)
    env = { "CURSOR" => cursor, "PROGRESS_EVERY" => "0" }.merge(env.transform_keys(&:to_s))
    described_class.new(described_class.options_from_env(env), out: out, err: err).run
  end

  # Users whose contacts Intercom lists newest first, each with a name to update: a bulk run
  # reads them in the contact pages' order, not the ids', so outcomes arrive in no id order.
  def users_listed_in_reverse(count)
    users = Array.new(count) { |i| create_user(email: "p#{i}@example.com", name: "New #{i}") }
    users.reverse_each do |user|
      contact = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: user.email, name: "Old")
      user.update!(metadata: { "intercom_user_id" => contact["id"] })
    end
    users
  end

  it "resumes a run interrupted part way through contact pages (out of id order) without syncing anyone twice" do
    stub_const("IntercomSync::ContactPages::PER_PAGE", 4) # pages of the newest 4, 4, then 2 contacts
    users = users_listed_in_reverse(10)
    err = StringIO.new
    status = backfill(out: output_stopping_at(4, Interrupt.new), err: err, CONCURRENCY: "2")
    expect(status).to eq(130)
    state = JSON.parse(File.read(cursor))["state"]
    done = users.map(&:id).select { |id| (state["mark"] && id <= state["mark"]) || state["done_above"].include?(id) }
    expect(done.size).to eq(4)
    expect(state["done_above"]).not_to be_empty # the pages came newest first: ids past the mark were done

    first_run = emulator.requests.size
    out = StringIO.new
    expect(backfill(out: out, CONCURRENCY: "2")).to eq(0)
    expect(out.string).to include("6 left to sync", "Backfill done: 10 users synced, 0 failed")
    puts_of = ->(requests) { requests.select { |r| r.method == "PUT" }.map { |r| r.path.split("/").last } }
    done_contacts = done.map { |id| User.find(id).metadata["intercom_user_id"] }
    expect(puts_of.call(emulator.requests.drop(first_run)) & done_contacts).to be_empty
    # (a user in flight when the run stopped was updated then, or in the resumed run: never both)
    expect(puts_of.call(emulator.requests)).to match_array(users.map { |u| User.find(u.id).metadata["intercom_user_id"] })
    expect(emulator.contacts.map { |c| c["name"] }).to all(start_with("New"))
  end

  it "keeps the cursor when it crashes, says how to resume, and raises the error as it was" do
    users = Array.new(5) { |i| create_user(email: "c#{i}@example.com") }
    err = StringIO.new
    expect { backfill(out: output_stopping_at(2, IOError.new("disk full")), err: err, CONCURRENCY: "1") }
      .to raise_error(IOError, "disk full")
    expect(err.string).to match(/\AStopped by IOError after 2 users in this run\. Run the same command again to resume after User id #{users[1].id} /)
    expect(JSON.parse(File.read(cursor))["state"]).to include("mark" => users[1].id, "ok" => 2)
  end

  it "counts the whole backfill in the summary of a resumed run, failures of earlier runs included" do
    users = Array.new(4) { |i| create_user(email: "s#{i}@example.com") }
    emulator.inject(:status, status: 422, code: "parameter_invalid", method: :post, path: "/contacts", times: 1)
    backfill(out: output_stopping_at(2, Interrupt.new), CONCURRENCY: "1")
    out = StringIO.new
    expect(backfill(out: out, CONCURRENCY: "1")).to eq(1) # a user failed, in the first run
    expect(out.string).to include("Backfill done: 3 users synced, 1 failed", "Failed User ids: #{users[0].id}\n")
    expect(File.exist?(cursor)).to be(false)
  end

  context "with the pool of 5 connections a stock Rails app has" do
    before do
      ActiveRecord::Base.establish_connection(adapter: "sqlite3", database: File.join(@dir, "backfill.sqlite3"), pool: 5)
    end

    after { ActiveRecord::Base.connection_handler.clear_all_connections!(:all) }

    it "runs as many workers as the pool serves, and says why they are fewer than 8" do
      Array.new(3) { |i| create_user(email: "p#{i}@example.com") }
      ActiveRecord::Base.connection_pool.release_connection # (a rake task's queries hold none)
      out = StringIO.new
      expect(backfill(out: out)).to eq(0)
      expect(out.string.lines.first).to eq("Backfill of all Users: 3 to sync, 4 at a time (the database pool has 5 connections).\n")
      expect(out.string).to include("Backfill done: 3 users synced, 0 failed")
    end

    it "refuses a CONCURRENCY the pool cannot serve before it starts, saying what to change" do
      create_user
      ActiveRecord::Base.connection_pool.release_connection
      expect { backfill(CONCURRENCY: "8") }
        .to raise_error(IntercomSync::Tasks::UsageError,
                        "CONCURRENCY=8 needs 9 database connections (8 workers, 1 reading the users) but the " \
                        "connection pool of User has 5 (pool: in config/database.yml): run at most 4 at a time, " \
                        "or set pool: 9 or more")
      expect(emulator.requests).to be_empty
      expect(File.exist?(cursor)).to be(false)
    end
  end
end
