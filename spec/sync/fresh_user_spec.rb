# frozen_string_literal: true

# The job usually runs right after sign-up, when no contact exists yet: a user with no stored
# Intercom id is created without a lookup first (config.create_first). Should a contact exist
# after all, the 409 answers it; the lookup the create skipped runs then, so every conflict ends
# as it would have after a lookup.
RSpec.describe "SyncWithIntercom.perform: a fresh user is created first (step 1)", sync: true do
  before { define_user_attributes }

  def fresh_user(**attrs)
    create_user(created_at: Time.now - 600, **attrs)
  end

  def create_status
    emulator.requests.find { |r| r.method == "POST" && r.path == "/contacts" }.status
  end

  it "sends the create first, with no lookup before it, and stores the id" do
    user = fresh_user
    result = SyncWithIntercom.perform(user)
    expect(contact_calls).to eq(["POST /contacts", "POST /contacts/search"])
    expect(emulator.requests.find { |r| r.path == "/contacts" }.json)
      .to include("role" => "user", "external_id" => user.id.to_s, "email" => "ann@example.com")
    expect(result).to be_created
    expect(result.requests).to eq(3) # the attribute definitions, the create, the lead search
    expect(user.reload.metadata["intercom_user_id"]).to eq(emulator.contact_by_external_id(user.id)["id"])
  end

  it "looks up first when the user has a stored id (the id is looked up, then the external id)" do
    stored = fresh_user(email: "bo@example.com", metadata: { "intercom_user_id" => "0123456789abcdef01234567" })
    SyncWithIntercom.perform(stored)
    expect(contact_calls.first(3)).to eq(["GET /contacts/0123456789abcdef01234567",
                                          "GET /contacts/find_by_external_id/#{stored.id}", "POST /contacts"])
  end

  # config.create_first: :all_users (the default) creates any user with no stored id first, since
  # a 409 ends exactly as a lookup would (it costs one request more than the lookup when the
  # contact exists); :recent_users only those inside the lead window; :never always looks up.
  describe "config.create_first" do
    it "creates an older user with no stored id first too, by default (:all_users)" do
      expect(IntercomSync.configuration.create_first).to eq(:all_users)
      old = create_user(created_at: Time.now - (3 * 86_400))
      result = SyncWithIntercom.perform(old)
      expect(contact_calls).to eq(["POST /contacts"]) # outside the lead window: no lead search
      expect(result).to be_created
    end

    it "adopts an older user's existing contact after the 409, updating it, with no duplicate" do
      old = create_user(created_at: Time.now - (3 * 86_400), name: "Ann New")
      existing = emulator.seed_contact(role: "user", external_id: old.id.to_s, email: "ann@example.com", name: "Ann")
      SyncWithIntercom.perform(old)
      expect(contact_calls).to eq(["POST /contacts", "GET /contacts/find_by_external_id/#{old.id}",
                                   "PUT /contacts/#{existing['id']}"])
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.contact(existing["id"])["name"]).to eq("Ann New")
      expect(old.reload.metadata["intercom_user_id"]).to eq(existing["id"])
    end

    it ":recent_users looks an older user up first" do
      IntercomSync.configuration.create_first = :recent_users
      old = create_user(created_at: Time.now - 86_401)
      SyncWithIntercom.perform(old)
      expect(contact_calls.first(2)).to eq(["GET /contacts/find_by_external_id/#{old.id}", "POST /contacts"])

      emulator.clear_requests!
      SyncWithIntercom.perform(fresh_user(email: "bo@example.com"))
      expect(contact_calls.first).to eq("POST /contacts")
    end

    it ":recent_users follows config.lead_window: with a window of 0 no user is recent" do
      IntercomSync.configuration.create_first = :recent_users
      IntercomSync.configuration.lead_window = 0
      user = fresh_user
      SyncWithIntercom.perform(user)
      expect(contact_calls.first).to eq("GET /contacts/find_by_external_id/#{user.id}")
    end

    it ":never looks every user up first, fresh or not" do
      IntercomSync.configuration.create_first = :never
      user = fresh_user
      SyncWithIntercom.perform(user)
      expect(contact_calls.first(2)).to eq(["GET /contacts/find_by_external_id/#{user.id}", "POST /contacts"])
    end

    it "refuses anything else, naming the choices" do
      expect { IntercomSync.configuration.create_first = :sometimes }
        .to raise_error(IntercomSync::ConfigurationError, /create_first.*all_users.*recent_users.*never/)
    end
  end

  it "still looks up in a dry run, which must not plan a create for a contact that exists" do
    user = fresh_user
    existing = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com")
    plan = SyncWithIntercom.plan(user)
    expect(contact_calls.first).to eq("GET /contacts/find_by_external_id/#{user.id}")
    expect(plan.contact_id).to eq(existing["id"])
    expect(plan.planned.map { |c| c["path"] }).not_to include("/contacts")
  end

  describe "a 409: the contact exists after all" do
    it "adopts the contact with our external_id (another job made it): no duplicate, ids stored" do
      user = fresh_user(name: "Ann Updated")
      existing = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com", name: "Ann")
      result = SyncWithIntercom.perform(user)
      expect(contact_calls).to eq(["POST /contacts", "GET /contacts/find_by_external_id/#{user.id}",
                                   "PUT /contacts/#{existing['id']}", "POST /contacts/search"])
      expect(create_status).to eq(409)
      expect(result).not_to be_created
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.contact(existing["id"])["name"]).to eq("Ann Updated")
      expect(user.reload.metadata["intercom_user_id"]).to eq(existing["id"])

      emulator.clear_requests!
      expect(SyncWithIntercom.perform(user.reload).requests).to eq(2) # found by its id; the lead search
    end

    it "unarchives an archived contact with our external_id, as after a lookup that missed it" do
      user = fresh_user
      archived = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com", archived: true)
      SyncWithIntercom.perform(user)
      expect(contact_calls.first(4)).to eq(["POST /contacts", "GET /contacts/find_by_external_id/#{user.id}",
                                            "POST /contacts/#{archived['id']}/unarchive", "GET /contacts/#{archived['id']}"])
      expect(emulator.contact(archived["id"])).to include("archived" => false)
      expect(emulator.contacts.size).to eq(1)
      expect(user.reload.metadata["intercom_user_id"]).to eq(archived["id"])
    end

    it "adopts a contact with our email and no external_id once the lookup finds none of ours" do
      user = fresh_user
      email_only = emulator.seed_contact(role: "user", email: "ann@example.com", name: "A")
      result = SyncWithIntercom.perform(user)
      expect(contact_calls.first(4)).to eq(["POST /contacts", "GET /contacts/find_by_external_id/#{user.id}",
                                            "GET /contacts/#{email_only['id']}", "PUT /contacts/#{email_only['id']}"])
      expect(result).not_to be_created
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.contact(email_only["id"])).to include("external_id" => user.id.to_s, "name" => "Ann")
      expect(user.reload.metadata["intercom_user_id"]).to eq(email_only["id"])
    end

    # The user changed their email within the day to one a Messenger contact has, and the 409
    # names that contact, not ours: adopting it would write our external_id into a second contact.
    it "prefers the contact with our external_id to one the 409 named for the email, as a lookup would" do
      email_only = emulator.seed_contact(role: "user", email: "ann@example.com", name: "Messenger Ann")
      user = fresh_user
      ours = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann.old@example.com")
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ConflictError, /#{email_only['id']}/)
      expect(create_status).to eq(409)
      expect(contact_calls.first(3)).to eq(["POST /contacts", "GET /contacts/find_by_external_id/#{user.id}",
                                            "PUT /contacts/#{ours['id']}"])
      expect(calls).not_to include("GET /contacts/#{email_only['id']}", "PUT /contacts/#{email_only['id']}")
      expect(emulator.contact(email_only["id"])).to include("external_id" => nil, "name" => "Messenger Ann")
      expect(emulator.contacts.size).to eq(2)
      expect(user.reload.metadata["intercom_user_id"]).to eq(ours["id"])
    end

    it "raises ConflictError when the 409 names another user's contact, writing nothing" do
      other = emulator.seed_contact(role: "user", external_id: "other-user", email: "ann@example.com", name: "Bob")
      user = fresh_user
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ConflictError, /external_id other-user/)
      expect(contact_calls).to eq(["POST /contacts", "GET /contacts/find_by_external_id/#{user.id}",
                                   "GET /contacts/#{other['id']}"])
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.contact(other["id"])).to include("external_id" => "other-user", "name" => "Bob")
      expect(user.reload.metadata).to be_nil
    end

    it "pulls nothing into an OAuth user from the contact it adopts" do
      user = fresh_user(name: nil, oauth_provider: "google")
      existing = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com",
                                       name: "Intercom Name", phone: "+1 555 0100")
      result = SyncWithIntercom.perform(user)
      expect(contact_calls.first(2)).to eq(["POST /contacts", "GET /contacts/find_by_external_id/#{user.id}"])
      expect(result.contact_id).to eq(existing["id"])
      expect(result.fields_pulled).to be_empty
      expect(user.reload).to have_attributes(name: nil, phone_number: nil)
    end
  end

  it "creates next to a lead with the same email (leads never conflict), then merges the lead" do
    lead = emulator.seed_contact(role: "lead", email: "ann@example.com")
    user = fresh_user
    result = SyncWithIntercom.perform(user)
    expect(contact_calls).to eq(["POST /contacts", "POST /contacts/search", "POST /contacts/merge"])
    expect(result).to be_created
    expect(result.leads_merged).to eq([lead["id"]])
    expect(emulator.contacts.map { |c| c["role"] }).to eq(["user"])
  end

  it "creates a user without an email the same way" do
    user = SyncHelpers::PoroUser.new(id: "fresh-1", email: nil, name: "No Email", created_at: Time.now - 600, metadata: {})
    result = SyncWithIntercom.perform(user)
    expect(contact_calls).to eq(["POST /contacts"]) # no email: no lead search either
    expect(result).to be_created
  end
end
