# frozen_string_literal: true

RSpec.describe "SyncWithIntercom: results, failures, dry runs and the job", sync: true do
  before do
    define_user_attributes
    define_company_attributes
  end

  it "converges: a second run for an unchanged user older than 24 hours sends exactly one request" do
    team = create_team("acme.com")
    user = create_user(teams: [team], owned: [team], phone_number: "+1 1")
    first = SyncWithIntercom.perform(user)
    expect(first).to be_changed
    emulator.clear_requests!
    second = SyncWithIntercom.perform(user.reload)
    expect(calls).to eq(["GET /contacts/#{first.contact_id}"])
    expect(second.requests).to eq(1)
    expect(second).not_to be_changed
    expect(user.reload.updated_at).to eq(user.updated_at)
  end

  it "counts a request repeated after a transient failure in requests and in retries" do
    user = create_user
    first = SyncWithIntercom.perform(user)
    expect(first.retries).to eq(0)
    emulator.inject(:status, status: 503, method: "GET", path: "/contacts/#{first.contact_id}", times: 1)
    emulator.clear_requests!
    second = SyncWithIntercom.perform(user.reload)
    expect(calls).to eq(["GET /contacts/#{first.contact_id}"] * 2)
    expect([second.requests, second.retries]).to eq([2, 1])
  end

  describe "failures" do
    it "raises a typed error, saves the ids learned, and nothing else" do
      team = create_team("acme.com")
      user = create_user(name: nil, teams: [team], owned: [team])
      contact = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "x@example.com", name: "Intercom Name")
      emulator.inject(:status, status: 500, code: "server_error", method: "PUT", path: "/contacts/#{contact['id']}")
      expect { SyncWithIntercom.perform(user) }
        .to raise_error(IntercomSync::ServerError, /sync step "update contact" failed: PUT/) { |e| expect(e.step).to eq("update contact") }
      user.reload
      expect(user.metadata).to eq("intercom_user_id" => contact["id"])
      expect(user.name).to be_nil # the pulled name waits for a sync that succeeds
      expect(team.reload.metadata["intercom_company_id"]).to eq(emulator.company_by_company_id(team.id)["id"])

      emulator.clear_faults!
      SyncWithIntercom.perform(user)
      expect(user.reload.name).to eq("Intercom Name")
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.companies.size).to eq(1)
    end

    it "writes nothing locally when the first request fails" do
      user = create_user(name: nil)
      emulator.inject(:status, status: 503)
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ServiceUnavailableError)
      expect(user.reload.metadata).to be_nil
    end

    it "rejects a user without an id before sending anything" do
      expect { SyncWithIntercom.perform(User.new(email: "a@example.com")) }.to raise_error(IntercomSync::InvalidInputError)
      expect(emulator.requests).to be_empty
    end

    it "surfaces a local validation failure after the remote work, keeping the remote state" do
      user = create_user(name: nil)
      emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com", name: "Pulled")
      user.email = nil # invalid in memory: update! will refuse
      expect { SyncWithIntercom.perform(user) }.to raise_error(ActiveRecord::RecordInvalid)
      expect(User.find(user.id).name).to be_nil
    end
  end

  describe "SyncWithIntercom.plan" do
    it "reads, and reports the writes it would make without making them" do
      emulator.seed_contact(role: "lead", email: "new@example.com")
      team = create_team("acme.com")
      user = create_user(email: "new@example.com", created_at: Time.now, teams: [team], owned: [team])
      result = SyncWithIntercom.plan(user)
      expect(result).to be_dry_run
      expect(emulator.requests.map(&:method).uniq).to contain_exactly("GET", "POST")
      expect(emulator.requests.select { |r| r.method == "POST" }.map(&:path)).to eq(["/contacts/search"])
      expect(result.planned.map { |c| "#{c['method']} #{c['path']}" }).to eq([
        "POST /contacts", "POST /companies", "POST /contacts/new-contact/companies", "POST /contacts/merge"
      ])
      expect(emulator.contacts.map { |c| c["role"] }).to eq(["lead"])
      expect(user.reload.metadata).to be_nil
      expect(team.reload.metadata).to be_nil
    end

    it "carries the contact it read, before the planned writes, so a plan can show Intercom's values" do
      user = create_user
      SyncWithIntercom.perform(user)
      user.reload.update!(email: "ann@new.example")
      plan = SyncWithIntercom.plan(user)
      expect(plan.fields_pushed).to eq(["email"])
      expect(plan.contact).to include("id" => plan.contact_id, "email" => "ann@example.com")
      expect(SyncWithIntercom.perform(user).contact).to be_nil
    end
  end

  describe "SyncWithIntercomJob" do
    before { require "intercom_sync/job" }

    it "runs on the crm_sync queue and calls the sync" do
      expect(SyncWithIntercomJob.new.queue_name).to eq("crm_sync")
      user = create_user
      ActiveJob::Base.queue_adapter = :inline
      ActiveJob::Base.logger = Logger.new(nil)
      SyncWithIntercomJob.perform_later(user)
      expect(emulator.contact_by_external_id(user.id)).not_to be_nil
      expect(user.reload.metadata["intercom_user_id"]).to eq(emulator.contact_by_external_id(user.id)["id"])
    end
  end

  it "keeps one client per thread, with connections reused across syncs" do
    users = Array.new(3) { |i| create_user(email: "u#{i}@example.com") }
    users.each { |u| SyncWithIntercom.perform(u) }
    expect(emulator.connections_opened).to eq(1)
    Thread.new { SyncWithIntercom.perform(users.first) }.join
    expect(emulator.connections_opened).to eq(2)
  end
end
