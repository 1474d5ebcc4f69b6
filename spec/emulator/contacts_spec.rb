# frozen_string_literal: true

RSpec.describe IntercomSync::Emulator, "contacts" do
  def create(body)
    raw_request(:post, "/contacts", body: body)
  end

  def code_of(body)
    body["errors"].first["code"]
  end

  describe "POST /contacts" do
    it "creates a user with Intercom's contact shape" do
      status, body, = create(role: "user", external_id: "42", email: "Ann@Example.com", name: "Ann",
                             phone: "+441234", signed_up_at: 1_700_000_000, last_seen_at: 1_700_000_100)
      expect(status).to eq(200)
      expect(body).to include("type" => "contact", "role" => "user", "external_id" => "42",
                              "email" => "Ann@Example.com", "email_domain" => "Example.com", "name" => "Ann",
                              "phone" => "+441234", "signed_up_at" => 1_700_000_000, "last_seen_at" => 1_700_000_100,
                              "custom_attributes" => {})
      expect(body["id"]).to match(/\A\h{24}\z/)
      expect(body["companies"]).to eq("type" => "list", "data" => [], "url" => "/contacts/#{body['id']}/companies",
                                      "total_count" => 0, "has_more" => false)
      expect(body["location"]).to include("type" => "location", "country" => nil)
      expect(body).not_to include("visible_at", "archived")
    end

    it "creates a lead when no role or external id is given" do
      _, body, = create(email: "lead@example.com")
      expect(body["role"]).to eq("lead")
    end

    it "answers 409 with the existing id for a duplicate external id or email" do
      _, existing, = create(role: "user", external_id: "42", email: "a@example.com")
      [{ role: "user", external_id: "42" }, { role: "user", external_id: "43", email: "A@EXAMPLE.COM" }].each do |dup|
        status, body, = create(dup)
        expect(status).to eq(409)
        expect(body["errors"].first).to eq("code" => "conflict",
                                           "message" => "A contact matching those details already exists with id=#{existing['id']}")
      end
      expect(emulator.contacts.size).to eq(1)
    end

    it "answers 409 for a user with the same email and no external_id (Messenger, CSV import), but not for a lead" do
      _, email_only, = create(role: "user", email: "ann@example.com")
      create(role: "lead", email: "bob@example.com")
      status, body, = create(role: "user", external_id: "42", email: "Ann@example.com")
      expect([status, body["errors"].first["message"]])
        .to eq([409, "A contact matching those details already exists with id=#{email_only['id']}"])
      expect(create(role: "user", external_id: "43", email: "bob@example.com").first).to eq(200)
    end

    it "names an archived duplicate as archived" do
      archived = emulator.seed_contact(role: "user", external_id: "42", archived: true)
      status, body, = create(role: "user", external_id: "42")
      expect(status).to eq(409)
      expect(body["errors"].first["message"]).to eq("An archived contact matching those details already exists with id=#{archived['id']}")
    end

    it "lets leads share an email with each other and with users" do
      create(role: "user", external_id: "1", email: "same@example.com")
      2.times { expect(create(role: "lead", email: "same@example.com").first).to eq(200) }
    end

    it "rejects custom attributes that are not defined, and values of the wrong type" do
      status, body, = create(role: "user", external_id: "1", custom_attributes: { "plan" => "pro" })
      expect([status, code_of(body), body["errors"].first["message"]]).to eq([400, "parameter_invalid", "Custom attribute 'plan' does not exist"])
      emulator.define_attribute(:contact, "seats", "integer")
      status, body, = create(role: "user", external_id: "1", custom_attributes: { "seats" => "many" })
      expect([status, code_of(body)]).to eq([400, "parameter_invalid"])
      expect(create(role: "user", external_id: "1", custom_attributes: { "seats" => 3 }).first).to eq(200)
      expect(emulator.contacts.size).to eq(1)
    end

    it "rejects v1 fields, bad roles, bad emails and non-integer timestamps" do
      [{ user_id: "1" }, { role: "admin" }, { role: "user", email: "not-an-email" },
       { role: "user", signed_up_at: "2020-01-01" }, { role: "user", email_verified: true }].each do |body|
        expect(create(body).first).to eq(400), "expected 400 for #{body}"
      end
      expect(create({}).first).to eq(400)
    end
  end

  describe "GET /contacts/{id} and find_by_external_id" do
    it "retrieves by Intercom id and by external id (users only)" do
      user = emulator.seed_contact(role: "user", external_id: "7", email: "u@example.com")
      emulator.seed_contact(role: "lead", external_id: "8", email: "l@example.com")
      expect(raw_request(:get, "/contacts/#{user['id']}")[1]["external_id"]).to eq("7")
      expect(raw_request(:get, "/contacts/find_by_external_id/7")[1]["id"]).to eq(user["id"])
      status, body, = raw_request(:get, "/contacts/find_by_external_id/8")
      expect([status, code_of(body)]).to eq([404, "not_found"])
    end

    it "unescapes external ids in the path" do
      user = emulator.seed_contact(role: "user", external_id: "a/b ?#")
      expect(raw_request(:get, "/contacts/find_by_external_id/a%2Fb%20%3F%23")[1]["id"]).to eq(user["id"])
    end

    it "answers 404 User Not Found for unknown ids" do
      status, body, = raw_request(:get, "/contacts/000000000000000000000000")
      expect([status, body["errors"].first["message"]]).to eq([404, "User Not Found"])
    end

    it "reports location.timezone when the workspace knows it" do
      user = emulator.seed_contact(role: "user", external_id: "1", timezone: "Europe/Paris")
      expect(raw_request(:get, "/contacts/#{user['id']}")[1]["location"]["timezone"]).to eq("Europe/Paris")
    end

    it "embeds at most 10 companies, with has_more and the total" do
      user = emulator.seed_contact(role: "user", external_id: "1")
      12.times { |i| emulator.attach(user["id"], emulator.seed_company(company_id: "t#{i}")["id"]) }
      companies = raw_request(:get, "/contacts/#{user['id']}")[1]["companies"]
      expect(companies["data"].size).to eq(10)
      expect(companies["data"].first).to include("type" => "company", "url" => start_with("/companies/"))
      expect(companies).to include("total_count" => 12, "has_more" => true)
    end
  end

  describe "merged contacts" do
    let!(:lead) { emulator.seed_contact(role: "lead", email: "m@example.com", name: "From Lead", phone: "+1") }
    let!(:user) { emulator.seed_contact(role: "user", external_id: "u1", email: "m@example.com") }

    it "merges a lead into a user: the lead disappears and fills the user's gaps" do
      status, body, = raw_request(:post, "/contacts/merge", body: { from: lead["id"], into: user["id"] })
      expect(status).to eq(200)
      expect(body).to include("id" => user["id"], "name" => "From Lead", "phone" => "+1")
      expect(emulator.contact(lead["id"])).to be_nil
    end

    it "answers 410 with a canonical Link for a merged id on 2.16, and 404 before" do
      raw_request(:post, "/contacts/merge", body: { from: lead["id"], into: user["id"] })
      status, body, headers = raw_request(:get, "/contacts/#{lead['id']}")
      expect([status, code_of(body)]).to eq([410, "contact_merged"])
      expect(headers["link"]).to eq("</contacts/#{user['id']}>; rel=\"canonical\"")
      status, body, = raw_request(:get, "/contacts/#{lead['id']}", headers: { "Intercom-Version" => "2.15" })
      expect([status, code_of(body)]).to eq([404, "not_found"])
    end

    it "refuses merges that are not lead into user, or that share no email or phone on 2.16" do
      other_lead = emulator.seed_contact(role: "lead", email: "other@example.com")
      expect(raw_request(:post, "/contacts/merge", body: { from: user["id"], into: lead["id"] }).first).to eq(400)
      status, body, = raw_request(:post, "/contacts/merge", body: { from: other_lead["id"], into: user["id"] })
      expect([status, code_of(body)]).to eq([400, "invalid_merge"])
      expect(raw_request(:post, "/contacts/merge",
                         body: { from: other_lead["id"], into: user["id"], skip_duplicate_validation: true }).first).to eq(200)
    end
  end

  describe "PUT /contacts/{id}" do
    it "updates only the fields sent, merging custom attributes" do
      emulator.define_attribute(:contact, "plan", "string")
      emulator.define_attribute(:contact, "seats", "integer")
      user = emulator.seed_contact(role: "user", external_id: "1", name: "Old", email: "o@example.com",
                                   custom_attributes: { "plan" => "free" })
      status, body, = raw_request(:put, "/contacts/#{user['id']}", body: { name: "New", custom_attributes: { seats: 2 } })
      expect(status).to eq(200)
      expect(body).to include("name" => "New", "email" => "o@example.com",
                              "custom_attributes" => { "plan" => "free", "seats" => 2 })
    end

    it "refuses to turn a user into a lead, and to take another user's external id" do
      a = emulator.seed_contact(role: "user", external_id: "a")
      emulator.seed_contact(role: "user", external_id: "b")
      expect(raw_request(:put, "/contacts/#{a['id']}", body: { role: "lead" }).first).to eq(400)
      expect(raw_request(:put, "/contacts/#{a['id']}", body: { external_id: "b" }).first).to eq(409)
    end
  end

  describe "archive and unarchive" do
    it "hides an archived contact until it is unarchived" do
      user = emulator.seed_contact(role: "user", external_id: "1")
      expect(raw_request(:post, "/contacts/#{user['id']}/archive")[1]).to include("archived" => true)
      expect(raw_request(:get, "/contacts/find_by_external_id/1").first).to eq(404)
      expect(raw_request(:post, "/contacts/#{user['id']}/unarchive")[1]).to include("archived" => false)
      expect(raw_request(:get, "/contacts/find_by_external_id/1").first).to eq(200)
    end
  end

  describe "a contact's companies" do
    let!(:user) { emulator.seed_contact(role: "user", external_id: "1") }
    let!(:company) { emulator.seed_company(company_id: "team-1", name: "Acme") }

    it "attaches by Intercom company id, idempotently, and lists" do
      2.times do
        status, body, = raw_request(:post, "/contacts/#{user['id']}/companies", body: { id: company["id"] })
        expect([status, body["company_id"]]).to eq([200, "team-1"])
      end
      _, body, = raw_request(:get, "/contacts/#{user['id']}/companies")
      expect(body["data"].map { |c| c["id"] }).to eq([company["id"]])
      expect(body["data"].first["user_count"]).to eq(1)
      expect(body).to include("type" => "list", "total_count" => 1)
    end

    it "answers 404 company_not_found for an unknown company, 400 for no id" do
      status, body, = raw_request(:post, "/contacts/#{user['id']}/companies", body: { id: "team-1" })
      expect([status, code_of(body)]).to eq([404, "company_not_found"])
      status, body, = raw_request(:post, "/contacts/#{user['id']}/companies", body: {})
      expect([status, code_of(body)]).to eq([400, "parameter_not_found"])
    end

    it "detaches, and a repeated detach still answers 200" do
      emulator.attach(user["id"], company["id"])
      2.times { expect(raw_request(:delete, "/contacts/#{user['id']}/companies/#{company['id']}").first).to eq(200) }
      expect(emulator.company_ids_of(user["id"])).to be_empty
    end

    it "pages the list" do
      ids = [company["id"]] + Array.new(19) { |i| emulator.seed_company(company_id: "t#{i}")["id"] }
      ids.each { |id| emulator.attach(user["id"], id) }
      _, first, = raw_request(:get, "/contacts/#{user['id']}/companies?per_page=15")
      expect(first["pages"]).to include("page" => 1, "total_pages" => 2, "next" => "/contacts/#{user['id']}/companies?page=2&per_page=15")
      _, second, = raw_request(:get, first["pages"]["next"])
      expect(second["pages"]["next"]).to be_nil
      expect((first["data"] + second["data"]).map { |c| c["id"] }).to eq(ids)
    end
  end
end
