# frozen_string_literal: true

# Every fault ends in a correct sync or a typed error, with nothing lost or duplicated on
# either side: each case checks Intercom's final state, the local records and the error.
RSpec.describe "sync under faults", sync: true do
  before do
    define_user_attributes
    define_company_attributes
  end

  let(:team) { create_team("acme.com") }
  let(:other_team) { create_team("globex.com") }
  # Signed up an hour ago: created without a lookup first, and the lead is merged into it.
  let(:user) { create_user(created_at: Time.now - 3600, teams: [team, other_team], owned: [team]) }
  # Older than the lead window, and looked up before any create (the specs that use it set
  # create_first = :never): the lookup's faults, and the lead left alone.
  let(:older_user) { create_user(created_at: Time.now - (3 * 86_400), teams: [team, other_team], owned: [team]) }

  # What a correct, complete sync of `user` leaves behind.
  def expect_synced_once(user = self.user, leads_left: 0)
    expect(emulator.contacts.count { |c| c["role"] == "user" && c["external_id"] == user.id.to_s }).to eq(1)
    contact = emulator.contact_by_external_id(user.id)
    expect(user.reload.metadata["intercom_user_id"]).to eq(contact["id"])
    expect(emulator.companies.map { |c| c["company_id"] }).to contain_exactly(team.id.to_s, other_team.id.to_s)
    expect(emulator.company_ids_of(contact["id"]).size).to eq(2)
    expect(team.reload.metadata["intercom_company_id"]).to eq(emulator.company_by_company_id(team.id)["id"])
    expect(emulator.contacts.count { |c| c["role"] == "lead" }).to eq(leads_left)
  end

  def expect_untouched_locally(user = self.user)
    expect(user.reload.metadata).to be_nil
    expect([team.reload.metadata, other_team.reload.metadata]).to eq([nil, nil])
  end

  before { emulator.seed_contact(role: "lead", email: "ann@example.com", phone: "+1 5") }

  describe "answers lost after the write happened (the retry must not duplicate)" do
    {
      "create contact" => ["POST", "/contacts"],
      "upsert company" => ["POST", "/companies"],
      "attach company" => ["POST", %r{\A/contacts/\h+/companies\z}],
      "merge lead" => ["POST", "/contacts/merge"]
    }.each do |step, (method, path)|
      it "#{step}: reset after processing, then retried" do
        emulator.inject(:reset, method: method, path: path, times: 1, after: true)
        SyncWithIntercom.perform(user)
        expect_synced_once
        # the request reached Intercom twice: once lost, once answered. (On a kept-alive
        # connection libcurl itself resends when the connection dies before any answer byte;
        # on a fresh one our retry does. Either way the repeat must be harmless.)
        expect(emulator.requests.map(&:status)).to include(:reset)
        expect(emulator.requests.count { |r| r.method == method && (path.is_a?(Regexp) ? path.match?(r.path) : r.path == path) })
          .to be >= 2
      end
    end

    it "update contact: reset after processing, then retried" do
      SyncWithIntercom.perform(user)
      user.update!(name: "Ann Changed")
      emulator.inject(:reset, method: "PUT", times: 1, after: true)
      SyncWithIntercom.perform(user)
      expect(emulator.contact_by_external_id(user.id)["name"]).to eq("Ann Changed")
      expect(emulator.requests.count { |r| r.method == "PUT" }).to eq(2)
    end

    it "detach company: reset after processing, then retried" do
      SyncWithIntercom.perform(user)
      Membership.where(user: user, team: other_team).delete_all
      emulator.inject(:reset, method: "DELETE", times: 1, after: true)
      SyncWithIntercom.perform(user.reload)
      expect(emulator.company_ids_of(emulator.contact_by_external_id(user.id)["id"]).size).to eq(1)
    end

    it "create data attribute: reset after processing, then retried" do
      emulator.reset!
      emulator.seed_contact(role: "lead", email: "ann@example.com")
      emulator.inject(:reset, method: "POST", path: "/data_attributes", times: 1, after: true)
      SyncWithIntercom.perform(user)
      expect_synced_once
    end
  end

  describe "transient failures, retried to success" do
    {
      "503 on create" => [:status, { status: 503, method: "POST", path: "/contacts" }],
      "body cut off on create" => [:truncate, { method: "POST", path: "/contacts" }],
      "connection reset before the upsert" => [:reset, { method: "POST", path: "/companies" }],
      "malformed JSON on search" => [:malformed_json, { path: "/contacts/search" }],
      "empty 200 on attach" => [:empty_body, { method: "POST", path: %r{/companies\z} }],
      "a timeout on create" => [:latency, { seconds: 2, method: "POST", path: "/contacts" }]
    }.each do |name, (kind, options)|
      it name do
        IntercomSync.configuration.timeout = 0.5
        emulator.inject(kind, times: 2, **options)
        SyncWithIntercom.perform(user)
        expect_synced_once
      end
    end

    {
      "502 HTML on lookup" => [:html, { status: 502, path: %r{find_by_external_id} }],
      "body cut off on lookup" => [:truncate, { path: %r{find_by_external_id} }]
    }.each do |name, (kind, options)|
      it "#{name} (a user older than the lead window)" do
        IntercomSync.configuration.create_first = :never
        emulator.inject(kind, times: 2, **options)
        SyncWithIntercom.perform(older_user)
        expect(emulator.requests.count { |r| r.path.include?("find_by_external_id") }).to eq(3)
        expect_synced_once(older_user, leads_left: 1)
      end
    end
  end

  describe "failures that persist: a typed error, nothing written locally" do
    {
      "malformed JSON" => [[:malformed_json, {}], IntercomSync::ParseError],
      "HTML error pages" => [[:html, { status: 502 }], IntercomSync::ServerError],
      "empty 200 bodies" => [[:empty_body, {}], IntercomSync::ParseError],
      "503s" => [[:status, { status: 503 }], IntercomSync::ServiceUnavailableError],
      "a huge body" => [[:oversize, { bytes: 2_000_000 }], IntercomSync::ResponseTooLargeError],
      "a contact without an id" => [[:body, { body: { "type" => "contact", "external_id" => "x" } }], IntercomSync::ParseError],
      "an id of the wrong type" => [[:body, { body: { "type" => "contact", "id" => 5 } }], IntercomSync::ParseError],
      "a JSON array instead of an object" => [[:body, { body: [1, 2] }], IntercomSync::ParseError],
      "401" => [[:status, { status: 401, code: "unauthorized" }], IntercomSync::AuthenticationError]
    }.each do |name, ((kind, options), error)|
      it "#{name} on the contact lookup (a user older than the lead window) raise #{error}" do
        IntercomSync.configuration.max_response_bytes = 1_000_000
        IntercomSync.configuration.create_first = :never
        emulator.inject(kind, path: %r{find_by_external_id}, **options)
        expect { SyncWithIntercom.perform(older_user) }.to raise_error(error, /sync step "find contact by external id"/)
        expect_untouched_locally(older_user)
        expect(emulator.contacts.count { |c| c["role"] == "user" }).to eq(0)
      end

      it "#{name} on a fresh user's create raise #{error}" do
        IntercomSync.configuration.max_response_bytes = 1_000_000
        emulator.inject(kind, method: "POST", path: "/contacts", **options)
        expect { SyncWithIntercom.perform(user) }.to raise_error(error, /sync step "create contact"/)
        expect_untouched_locally
        expect(emulator.contacts.count { |c| c["role"] == "user" }).to eq(0)
      end
    end

    it "keeps the ids learned before a later failure, and the retry converges without duplicates" do
      emulator.inject(:status, status: 500, method: "POST", path: %r{/contacts/\h+/companies\z})
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ServerError, /attach company/)
      contact = emulator.contact_by_external_id(user.id)
      expect(user.reload.metadata).to eq("intercom_user_id" => contact["id"])
      expect(team.reload.metadata["intercom_company_id"]).to eq(emulator.company_by_company_id(team.id)["id"])
      expect(user.phone_number).to be_nil # the lead's phone waits for a complete sync
      emulator.clear_faults!
      SyncWithIntercom.perform(user)
      expect_synced_once
      expect(user.reload.phone_number).to eq("+1 5")
    end

    it "bounds a companies list that pages forever" do
      SyncWithIntercom.perform(user)
      contact_id = user.reload.metadata["intercom_user_id"]
      contact = emulator.contact(contact_id)
      emulator.inject(:body, path: "/contacts/#{contact_id}",
                             body: contact.merge("companies" => { "type" => "list", "data" => [], "has_more" => true }))
      emulator.inject(:body, path: "/contacts/#{contact_id}/companies",
                             body: { "type" => "list", "data" => [{ "id" => "c1" }],
                                     "pages" => { "next" => "/contacts/#{contact_id}/companies?page=2" } })
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ParseError, /did not end after 50 pages/)
      expect(emulator.requests.count { |r| r.path.end_with?("/companies") && r.method == "GET" }).to eq(50)
    end

    it "ignores unknown fields and tolerates wrong types in fields it only reads" do
      SyncWithIntercom.perform(user)
      # without a local name and phone the sync pulls Intercom's: the wrong types are at risk
      user.update!(name: nil, phone_number: nil)
      contact_id = user.reload.metadata["intercom_user_id"]
      contact = emulator.contact(contact_id)
      emulator.clear_requests!
      emulator.inject(:body, path: "/contacts/#{contact_id}", times: 1,
                             body: contact.merge("name" => 42, "phone" => ["x"], "location" => "Paris", "new_field" => { "a" => 1 },
                                                 "custom_attributes" => "garbage", "companies" => "none"))
      expect { SyncWithIntercom.perform(user) }.not_to raise_error
      expect([user.reload.name, user.phone_number]).to eq([nil, nil])
      expect(calls.grep(/\ADELETE/)).to eq([]) # "companies": "none" is not "no companies"
      expect_synced_once
    end

    it "raises RateLimitError carrying the reset time under rate_limit: :raise" do
      emulator.inject(:status, status: 429, code: "rate_limit_exceeded")
      expect { SyncWithIntercom.perform(user, rate_limit: :raise) }.to raise_error(IntercomSync::RateLimitError) do |e|
        expect(e.reset_at).to be_a(Integer)
        expect(e.message).to include("sync step")
      end
      expect_untouched_locally
    end

    it "gives up at the sync's deadline, naming the step", timing: true do
      IntercomSync.configuration.sync_deadline = 0.6
      emulator.inject(:latency, seconds: 0.25)
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::TimeoutError, /sync step ".*" failed: the sync's deadline passed/)
    end

    it "raises ConnectionError when Intercom cannot be reached" do
      emulator.stop
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ConnectionError)
      expect_untouched_locally
    end
  end
end
