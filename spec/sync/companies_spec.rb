# frozen_string_literal: true

RSpec.describe "SyncWithIntercom.perform: teams and companies (steps 3 and 8)", sync: true do
  before do
    define_user_attributes
    define_company_attributes(except: ["owner_id"])
  end

  def contact_id(user)
    user.reload.metadata["intercom_user_id"]
  end

  describe "owned teams (step 8)" do
    it "become companies with name, created time, integer spend and custom attributes; the id is stored" do
      team = create_team("acme.com", monthly_spend: 49.99, metadata: { "keep" => 1 })
      user = create_user(owned: [team])
      result = SyncWithIntercom.perform(user)
      upsert = emulator.requests.find { |r| r.method == "POST" && r.path == "/companies" }.json
      expect(upsert).to eq("company_id" => team.id.to_s, "name" => "acme.com", "remote_created_at" => 1_600_000_000,
                           "monthly_spend" => 49,
                           "custom_attributes" => { "domain" => "acme.com", "tier" => "gold", "owner_id" => user.id,
                                                    "deleted" => false })
      company = emulator.company_by_company_id(team.id)
      expect(company).to include("name" => "acme.com", "monthly_spend" => 49)
      expect(team.reload.metadata).to include("keep" => 1, "intercom_company_id" => company["id"])
      expect(team.metadata["intercom_company_digest"]).to match(/\A\h{16}\z/)
      expect(result.companies_upserted).to eq([team.id.to_s])
    end

    it "are not rewritten when unchanged" do
      team = create_team("acme.com")
      user = create_user(owned: [team])
      warm_up(user)
      SyncWithIntercom.perform(user.reload)
      expect(calls.grep(%r{/companies})).to be_empty
    end

    it "are rewritten when they change" do
      team = create_team("acme.com")
      user = create_user(owned: [team])
      warm_up(user)
      team.update!(domain: "acme.io")
      result = SyncWithIntercom.perform(user.reload)
      expect(calls).to include("POST /companies")
      expect(emulator.company_by_company_id(team.id)["name"]).to eq("acme.io")
      expect(emulator.companies.size).to eq(1)
      expect(result.companies_upserted).to eq([team.id.to_s])
    end
  end

  describe "memberships (step 3)" do
    it "attaches the user's teams, creating companies for teams that have none" do
      owned = create_team("acme.com")
      other = create_team("globex.com")
      user = create_user(owned: [owned], teams: [owned, other])
      result = SyncWithIntercom.perform(user)
      ids = [owned, other].map { |t| emulator.company_by_company_id(t.id)["id"] }
      expect(emulator.company_ids_of(contact_id(user))).to match_array(ids)
      expect(result.companies_attached).to match_array(ids)
      expect(other.reload.metadata["intercom_company_id"]).to eq(ids[1])
      member_upsert = emulator.requests.select { |r| r.path == "/companies" }.map(&:json)
      expect(member_upsert).to include("company_id" => other.id.to_s) # a member team: only its id
    end

    it "detaches companies the user no longer belongs to" do
      team = create_team("acme.com")
      user = create_user(teams: [team])
      stale = emulator.seed_company(company_id: "999", name: "old.example")
      warm_up(user)
      emulator.attach(contact_id(user), stale["id"])
      result = SyncWithIntercom.perform(user)
      expect(calls).to include("DELETE /contacts/#{contact_id(user)}/companies/#{stale['id']}")
      expect(emulator.company_ids_of(contact_id(user))).to eq([emulator.company_by_company_id(team.id)["id"]])
      expect(result.companies_detached).to eq([stale["id"]])
    end

    it "reads every attached company when there are more than 10, paging" do
      teams = Array.new(12) { |i| create_team("t#{i}.example") }
      user = create_user(teams: teams.first(11))
      warm_up(user)
      emulator.attach(contact_id(user), emulator.seed_company(company_id: "t12")["id"]) # a 12th, not ours
      SyncWithIntercom.perform(user)
      expect(calls).to include("GET /contacts/#{contact_id(user)}/companies")
      expect(calls.grep(/\APOST .*companies\z/)).to be_empty # the first 11 are all there: no re-attach
      expect(calls.grep(/\ADELETE/).size).to eq(1)
      expect(emulator.company_ids_of(contact_id(user)).size).to eq(11)
    end

    it "recovers from a stored company id that no longer exists" do
      team = create_team("acme.com", metadata: { "intercom_company_id" => "0000000000000000deadbeef" })
      user = create_user(teams: [team])
      SyncWithIntercom.perform(user)
      company = emulator.company_by_company_id(team.id)
      expect(emulator.company_ids_of(contact_id(user))).to eq([company["id"]])
      expect(team.reload.metadata["intercom_company_id"]).to eq(company["id"])
    end

    it "sends nothing about companies when memberships are already right" do
      team = create_team("acme.com")
      user = create_user(teams: [team], owned: [team])
      warm_up(user)
      SyncWithIntercom.perform(user.reload)
      expect(calls).to eq(["GET /contacts/#{contact_id(user)}"])
    end
  end
end
