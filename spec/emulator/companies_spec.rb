# frozen_string_literal: true

RSpec.describe IntercomSync::Emulator, "companies and data attributes" do
  def code_of(body)
    body["errors"].first["code"]
  end

  describe "POST /companies" do
    it "creates, then updates the same company by company_id" do
      status, created, = raw_request(:post, "/companies", body: { company_id: "team-1", name: "acme.com",
                                                                 remote_created_at: 1_600_000_000, monthly_spend: 49.9 })
      expect(status).to eq(200)
      expect(created).to include("type" => "company", "company_id" => "team-1", "name" => "acme.com",
                                 "remote_created_at" => 1_600_000_000, "monthly_spend" => 49)
      _, updated, = raw_request(:post, "/companies", body: { company_id: "team-1", name: "acme.io" })
      expect(updated).to include("id" => created["id"], "name" => "acme.io", "monthly_spend" => 49)
      expect(emulator.companies.size).to eq(1)
    end

    it "rejects unknown parameters, a missing company_id, undefined custom attributes and oversized spend" do
      expect(raw_request(:post, "/companies", body: { company_id: "t", users: [] })).to match([400, hash_including("errors" => [hash_including("code" => "bad_request")]), anything])
      expect(raw_request(:post, "/companies", body: { name: "x" }).first).to eq(400)
      status, body, = raw_request(:post, "/companies", body: { company_id: "t", custom_attributes: { tier: "gold" } })
      expect([status, body["errors"].first["message"]]).to eq([400, "Custom attribute 'tier' does not exist"])
      expect(raw_request(:post, "/companies", body: { company_id: "t", monthly_spend: 2**31 }).first).to eq(400)
      expect(emulator.companies).to be_empty
    end

    it "stores defined custom attributes" do
      emulator.define_attribute(:company, "tier", "string")
      _, body, = raw_request(:post, "/companies", body: { company_id: "t", custom_attributes: { tier: "gold" } })
      expect(body["custom_attributes"]).to eq("tier" => "gold")
    end
  end

  describe "GET /companies" do
    let!(:company) { emulator.seed_company(company_id: "team-1", name: "acme.com") }

    it "finds one company by company_id, answering a single object" do
      status, body, = raw_request(:get, "/companies?company_id=team-1")
      expect([status, body["type"], body["id"]]).to eq([200, "company", company["id"]])
      status, body, = raw_request(:get, "/companies?company_id=nope")
      expect([status, code_of(body)]).to eq([404, "company_not_found"])
    end

    it "retrieves by Intercom id" do
      expect(raw_request(:get, "/companies/#{company['id']}")[1]["company_id"]).to eq("team-1")
      expect(raw_request(:get, "/companies/team-1").first).to eq(404)
    end
  end

  describe "data attributes" do
    it "lists standard and custom attributes per model" do
      emulator.define_attribute(:contact, "plan", "string")
      _, body, = raw_request(:get, "/data_attributes?model=contact")
      expect(body["type"]).to eq("list")
      plan = body["data"].find { |a| a["name"] == "plan" }
      expect(plan).to include("model" => "contact", "full_name" => "custom_attributes.plan", "data_type" => "string", "custom" => true)
      expect(body["data"].find { |a| a["name"] == "email" }).to include("custom" => false)
      expect(body["data"].map { |a| a["model"] }.uniq).to eq(["contact"])
      _, all, = raw_request(:get, "/data_attributes")
      expect(all["data"].map { |a| a["model"] }.uniq).to contain_exactly("contact", "company")
    end

    it "creates an attribute, then makes it usable" do
      status, body, = raw_request(:post, "/data_attributes", body: { name: "monthly_users", model: "contact", data_type: "integer" })
      expect([status, body["name"], body["data_type"]]).to eq([200, "monthly_users", "integer"])
      expect(raw_request(:post, "/contacts", body: { role: "user", external_id: "1", custom_attributes: { monthly_users: 3 } }).first).to eq(200)
    end

    it "rejects duplicates (any case), standard names, bad names, models and types" do
      raw_request(:post, "/data_attributes", body: { name: "plan", model: "contact", data_type: "string" })
      status, body, = raw_request(:post, "/data_attributes", body: { name: "Plan", model: "contact", data_type: "string" })
      expect([status, body["errors"].first["message"]]).to match([400, /You already have 'Plan'/])
      [{ name: "email", model: "contact", data_type: "string" },
       { name: "a.b", model: "contact", data_type: "string" },
       { name: "x", model: "conversation", data_type: "string" },
       { name: "x", model: "contact", data_type: "list" },
       { name: "x", model: "contact", data_type: "options", options: [{ value: "one" }] }].each do |bad|
        expect(raw_request(:post, "/data_attributes", body: bad).first).to eq(400), "expected 400 for #{bad}"
      end
      raw_request(:post, "/data_attributes", body: { name: "seats", model: "contact", data_type: "integer" })
      expect(raw_request(:post, "/data_attributes", body: { name: "seats", model: "company", data_type: "integer" }).first).to eq(200)
    end
  end
end
