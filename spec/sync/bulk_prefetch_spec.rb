# frozen_string_literal: true

# perform_all reading the workspace's contacts a page (150) at a time instead of looking each
# user up: an unchanged user then costs no request of its own.
RSpec.describe "SyncWithIntercom.perform_all with contact pages", sync: true do
  before { define_user_attributes }

  let(:users) { poro_users(6, "p") }

  def lookups
    calls.count { |c| c.start_with?("GET /contacts/") }
  end

  def list_pages
    calls.count { |c| c == "GET /contacts" }
  end

  # Syncs the users once the usual way, so Intercom has them, then forgets the requests.
  def synced_before(list)
    report = SyncWithIntercom.perform_all(list, concurrency: 2, prefetch: false)
    expect(report.failed).to eq(0)
    emulator.clear_requests!
  end

  it "syncs unchanged users with one request for the whole page" do
    synced_before(users)
    report = SyncWithIntercom.perform_all(users, concurrency: 3, prefetch: true)
    expect(report.succeeded).to eq(6)
    expect(calls).to eq(["GET /contacts"])
    expect(emulator.requests.first.query).to include("per_page=150")
    expect(report.requests).to eq(1)
    expect(report.outcomes.map { |o| o.result.requests }).to all(eq(0))
  end

  it "writes only what changed, and creates the users Intercom does not have, without duplicates" do
    synced_before(users.first(4))
    users[0].name = "Renamed"
    report = SyncWithIntercom.perform_all(users, concurrency: 3, prefetch: true)
    expect(report.succeeded).to eq(6)
    expect(report.outcomes.find { |o| o.user.equal?(users[0]) }.result.fields_pushed).to eq(["name"])
    expect(calls.count { |c| c.start_with?("PUT /contacts/") }).to eq(1)
    expect(calls.count { |c| c == "POST /contacts" }).to eq(2)
    expect(lookups).to eq(0) # the pages covered every contact: the new users were created at once
    expect(emulator.contacts.map { |c| c["external_id"] }.tally.values).to all(eq(1))
    expect(emulator.contact_by_external_id("p-0")["name"]).to eq("Renamed")
    expect(users.map { |u| u.metadata["intercom_user_id"] }).to eq(users.map { |u| emulator.contact_by_external_id(u.id)["id"] })
  end

  it "adopts a contact the pages did not show (archived) when creating it conflicts, never duplicating it" do
    synced_before(users.first(5))
    archived = emulator.seed_contact(role: "user", external_id: "p-5", email: "p-5@example.com", archived: true)
    report = SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true)
    expect(report.errors).to eq([])
    expect(users[5].metadata["intercom_user_id"]).to eq(archived["id"])
    expect(emulator.contact(archived["id"])["archived"]).to be(false)
    expect(emulator.contacts.count { |c| c["external_id"] == "p-5" }).to eq(1)
    expect(calls).to include("POST /contacts", "POST /contacts/#{archived['id']}/unarchive")
  end

  it "adopts an email-only contact, which the pages cannot match by external_id, through the create's 409" do
    synced_before(users.first(5))
    email_only = emulator.seed_contact(role: "user", email: "p-5@example.com", name: "From a CSV import")
    report = SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true)
    expect(report.errors.map { |o| o.error.inspect }).to eq([])
    expect(calls).to eq(["GET /contacts", "POST /contacts", "GET /contacts/#{email_only['id']}",
                         "PUT /contacts/#{email_only['id']}"])
    expect(emulator.requests.last.json).to include("external_id" => "p-5", "name" => "User p 5")
    expect(users[5].metadata["intercom_user_id"]).to eq(email_only["id"])
    expect(emulator.contacts.size).to eq(6)
    expect(emulator.contact(email_only["id"])["external_id"]).to eq("p-5")
  end

  it "adopts an email-only contact when each user is looked up (prefetch: false)" do
    email_only = emulator.seed_contact(role: "user", email: "p-1@example.com")
    report = SyncWithIntercom.perform_all(users.first(2), concurrency: 2, prefetch: false)
    expect(report.errors.map { |o| o.error.inspect }).to eq([])
    expect(calls).to include("POST /contacts", "GET /contacts/#{email_only['id']}", "PUT /contacts/#{email_only['id']}")
    expect(users[1].metadata["intercom_user_id"]).to eq(email_only["id"])
    expect(emulator.contacts.size).to eq(2)
    expect(emulator.contact(email_only["id"])["external_id"]).to eq("p-1")
  end

  it "still refuses a contact with the same email whose external_id is another user's" do
    other = emulator.seed_contact(role: "user", external_id: "someone-else", email: "p-0@example.com")
    report = SyncWithIntercom.perform_all(users.first(2), concurrency: 2, prefetch: true)
    expect(report.errors.map { |o| [o.user.id, o.error.class] }).to eq([["p-0", IntercomSync::ConflictError]])
    expect(report.succeeded).to eq(1)
    expect(emulator.contact(other["id"])["external_id"]).to eq("someone-else")
    expect(users[0].metadata).to eq({})
  end

  it "replaces a stored id that no longer names the user's contact with the listed one" do
    synced_before(users)
    users[1].metadata["intercom_user_id"] = "0000stale"
    SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true)
    expect(users[1].metadata["intercom_user_id"]).to eq(emulator.contact_by_external_id("p-1")["id"])
    expect(lookups).to eq(0)
  end

  it "leaves leads and other people's contacts on the page alone" do
    synced_before(users.first(2))
    lead = emulator.seed_contact(role: "lead", email: "p-2@example.com", external_id: "p-2")
    report = SyncWithIntercom.perform_all(users.first(3), concurrency: 2, prefetch: true)
    expect(report.succeeded).to eq(3)
    expect(emulator.contact(lead["id"])["role"]).to eq("lead")
    expect(users[2].metadata["intercom_user_id"]).not_to eq(lead["id"])
    expect(emulator.contact_by_external_id("p-2")["id"]).to eq(users[2].metadata["intercom_user_id"])
  end

  it "follows the cursor across pages" do
    synced_before(users.first(3))
    150.times { |i| emulator.seed_contact(role: "lead", email: "lead#{i}@example.com") }
    synced_before(users.last(3))
    report = SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true)
    expect(report.succeeded).to eq(6)
    expect(list_pages).to eq(2)
    expect(emulator.requests.last.query).to include("starting_after=")
    expect(lookups).to eq(0)
  end

  it "looks the remaining users up one by one when a page fails part way, and says so" do
    IntercomSync.configuration.max_retries = 1
    synced_before(users.first(3))
    150.times { |i| emulator.seed_contact(role: "lead", email: "lead#{i}@example.com") }
    synced_before(users.last(3))
    emulator.inject(:status, status: 503, method: :get, path: "/contacts", query: /starting_after=/)
    report = SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true)
    expect(report.succeeded).to eq(6)
    expect(lookups).to eq(3) # the second page's users
    expect(emulator.contacts.count { |c| c["role"] == "user" }).to eq(6)
    expect(log.string).to match(/reading contacts in pages failed .*ServiceUnavailableError.*one by one/)
  end

  it "stops at a list that never ends" do
    synced_before(users)
    emulator.inject(:body, method: :get, path: "/contacts",
                           body: { "type" => "list", "total_count" => 1, "data" => [{ "id" => "x", "role" => "lead" }],
                                   "pages" => { "next" => { "starting_after" => "again" } } })
    report = SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true)
    expect(report.succeeded).to eq(6)
    expect(list_pages).to eq(1 + IntercomSync::ContactPages::SLACK_PAGES)
    expect(lookups).to eq(6)
    expect(log.string).to include("did not end after 21 pages")
  end

  describe "prefetch: :auto" do
    it "reads the pages when they are few next to the users" do
      synced_before(users)
      SyncWithIntercom.perform_all(users, concurrency: 2)
      expect(calls).to eq(["GET /contacts"])
    end

    it "creates users without a lookup when the first page showed the whole, empty, workspace" do
      report = SyncWithIntercom.perform_all(users, concurrency: 2)
      expect(report.succeeded).to eq(6)
      expect(list_pages).to eq(1)
      expect(lookups).to eq(0)
      expect(calls.count { |c| c == "POST /contacts" }).to eq(6)
    end

    it "looks users up one by one when the workspace is much bigger than the list" do
      synced_before(users.first(2))
      300.times { |i| emulator.seed_contact(role: "lead", email: "lead#{i}@example.com") }
      report = SyncWithIntercom.perform_all(users.first(2), concurrency: 2)
      expect(list_pages).to eq(1) # the first page, to count the workspace
      expect(lookups).to eq(2)
      expect(report.requests).to eq(3)
    end

    it "does not read a page for a single user" do
      synced_before(users)
      SyncWithIntercom.perform_all(users.first(1), concurrency: 2)
      expect(calls).to eq(["GET /contacts/#{users[0].metadata['intercom_user_id']}"])
    end

    it "looks users up when they cannot be found by id (an Enumerator)" do
      synced_before(users)
      SyncWithIntercom.perform_all(users.each, concurrency: 2)
      expect(list_pages).to eq(0)
      expect(lookups).to eq(6)
    end
  end

  it "hands each contact over as its JSON text, given back (cleared) once its user is synced" do
    synced_before(users)
    handed = Queue.new
    allow(IntercomSync::Sync).to receive(:run).and_wrap_original do |original, *args, **kwargs|
      handed << [kwargs[:contact].dup, kwargs[:contact]] # (its text then, and the String itself)
      original.call(*args, **kwargs)
    end
    expect(SyncWithIntercom.perform_all(users, concurrency: 2, prefetch: true).succeeded).to eq(6)
    texts = Array.new(handed.size) { handed.pop }
    expect(texts.map { |before, _| JSON.parse(before)["external_id"] }).to match_array(users.map(&:id))
    expect(texts.map { |_, after| after }).to all(eq("")) # its bytes went back right after the sync
  end

  it "refuses an unknown prefetch value" do
    expect { SyncWithIntercom.perform_all(users, prefetch: :sometimes) }.to raise_error(ArgumentError, /prefetch/)
  end
end
