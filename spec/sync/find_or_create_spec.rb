# frozen_string_literal: true

RSpec.describe "SyncWithIntercom.perform: finding the contact (step 1)", sync: true do
  it "does nothing, and sends nothing, when disabled" do
    IntercomSync.configuration.enabled = false
    expect(SyncWithIntercom.perform(create_user)).to be_nil
    expect(emulator.requests).to be_empty
  end

  it "does nothing, and sends nothing, without a token" do
    IntercomSync.configuration.access_token = nil
    expect(SyncWithIntercom.perform(create_user)).to be_nil
    IntercomSync.configuration.access_token = ""
    expect(SyncWithIntercom.perform(create_user)).to be_nil
    expect(emulator.requests).to be_empty
  end

  describe "a new user" do
    it "creates the contact with every field in one request, defines its attributes, stores the id" do
      user = create_user(phone_number: "+44 20 7946 0000", metadata: { "other" => "kept" })
      result = SyncWithIntercom.perform(user)

      # (created first: config.create_first, see fresh_user_spec.rb)
      expect(calls).to eq(["GET /data_attributes", "POST /data_attributes", "POST /data_attributes",
                           "POST /data_attributes", "POST /contacts"])
      create = emulator.requests.last.json
      expect(create).to eq("role" => "user", "external_id" => user.id.to_s, "email" => "ann@example.com",
                           "phone" => "+44 20 7946 0000", "name" => "Ann", "signed_up_at" => user.created_at.to_i,
                           "last_seen_at" => 1_700_000_000,
                           # oauth_provider is nil: nothing to infer a type from, so not defined or sent
                           "custom_attributes" => { "plan" => "pro", "seats" => 3, "deleted" => false })
      contact = emulator.contact_by_external_id(user.id)
      expect(result.contact_id).to eq(contact["id"])
      expect(result).to be_created
      expect(result.fields_pushed).to include("email", "name", "phone", "signed_up_at", "last_seen_at", "custom_attributes")
      expect(result.requests).to eq(5)
      expect(user.reload.metadata).to eq("other" => "kept", "intercom_user_id" => contact["id"])
    end

    it "creates only the attributes Intercom lacks, with types inferred from the values" do
      emulator.define_attribute(:contact, "plan", "string")
      SyncWithIntercom.perform(create_user)
      created = emulator.requests.select { |r| r.path == "/data_attributes" && r.method == "POST" }.map(&:json)
      expect(created).to contain_exactly(
        { "name" => "seats", "model" => "contact", "data_type" => "integer" },
        { "name" => "deleted", "model" => "contact", "data_type" => "boolean" }
      )
    end
  end

  describe "an existing user" do
    before { define_user_attributes }

    it "is found by the id stored in metadata with one request when nothing changed" do
      user = create_user
      warm_up(user)
      result = SyncWithIntercom.perform(user)
      expect(calls).to eq(["GET /contacts/#{user.metadata['intercom_user_id']}"])
      expect(result.requests).to eq(1)
      expect(result).not_to be_changed
    end

    it "is found by external id when no id is stored (create_first :never), and the id is stored" do
      IntercomSync.configuration.create_first = :never
      user = create_user
      contact = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com")
      SyncWithIntercom.perform(user)
      expect(contact_calls.first).to eq("GET /contacts/find_by_external_id/#{user.id}")
      expect(calls).not_to include("POST /contacts")
      expect(user.reload.metadata["intercom_user_id"]).to eq(contact["id"])
      expect(emulator.contacts.size).to eq(1)
    end

    it "recovers from a stale stored id (404) by looking up the external id" do
      contact = emulator.seed_contact(role: "user", external_id: "placeholder")
      user = create_user(metadata: { "intercom_user_id" => "0123456789abcdef01234567" })
      emulator.synchronize { emulator.store.update_contact(contact["id"], { "external_id" => user.id.to_s }) }
      SyncWithIntercom.perform(user)
      expect(contact_calls.first(2)).to eq(["GET /contacts/0123456789abcdef01234567", "GET /contacts/find_by_external_id/#{user.id}"])
      expect(user.reload.metadata["intercom_user_id"]).to eq(contact["id"])
      expect(emulator.contacts.size).to eq(1)
    end

    it "recreates the contact when the stored id is stale and none exists" do
      user = create_user(metadata: { "intercom_user_id" => "0123456789abcdef01234567" })
      result = SyncWithIntercom.perform(user)
      expect(result).to be_created
      expect(user.reload.metadata["intercom_user_id"]).to eq(result.contact_id)
    end

    it "follows a merged contact (410) to its canonical id and stores that" do
      user = create_user
      lead = emulator.seed_contact(role: "lead", email: "ann@example.com")
      canonical = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com")
      emulator.merge(lead["id"], canonical["id"])
      user.update!(metadata: { "intercom_user_id" => lead["id"] })
      SyncWithIntercom.perform(user)
      expect(contact_calls.first(2)).to eq(["GET /contacts/#{lead['id']}", "GET /contacts/#{canonical['id']}"])
      expect(user.reload.metadata["intercom_user_id"]).to eq(canonical["id"])
    end

    it "does not adopt a stored id that belongs to another user's contact" do
      other = emulator.seed_contact(role: "user", external_id: "someone-else")
      user = create_user(metadata: { "intercom_user_id" => other["id"] })
      result = SyncWithIntercom.perform(user)
      expect(result.contact_id).not_to eq(other["id"])
      expect(result.warnings.join).to include("belongs to another contact")
      expect(emulator.contact(other["id"])["external_id"]).to eq("someone-else")
    end
  end

  # Users looked up before a create (create_first :never) whose create still conflicts: another
  # worker created the contact between our lookup and our create.
  describe "a duplicate create (409)" do
    before do
      define_user_attributes
      IntercomSync.configuration.create_first = :never
    end

    it "adopts the existing contact instead of creating a second one" do
      user = create_user(name: "Ann Updated")
      existing = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com", name: "Ann")
      # another worker created it after our lookup: the lookup misses, the create conflicts
      emulator.inject(:status, status: 404, code: "not_found", path: "/contacts/find_by_external_id/#{user.id}", times: 1)
      result = SyncWithIntercom.perform(user)
      expect(calls.last(4)).to eq(["GET /contacts/find_by_external_id/#{user.id}", "POST /contacts",
                                   "GET /contacts/#{existing['id']}", "PUT /contacts/#{existing['id']}"])
      expect(result).not_to be_created
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.contact(existing["id"])["name"]).to eq("Ann Updated")
      expect(user.reload.metadata["intercom_user_id"]).to eq(existing["id"])
    end

    it "unarchives an archived duplicate and adopts it" do
      user = create_user
      archived = emulator.seed_contact(role: "user", external_id: user.id.to_s, archived: true)
      SyncWithIntercom.perform(user)
      expect(calls).to include("POST /contacts/#{archived['id']}/unarchive")
      expect(emulator.contacts.size).to eq(1)
      expect(user.reload.metadata["intercom_user_id"]).to eq(archived["id"])
    end

    # Made by the Messenger, a CSV import or a teammate: same email, no external_id. The 1.x job
    # matched these by email and took them over; teams upgrading from it have thousands.
    it "adopts an email-only contact: our external_id and the other fields in one PUT, its id stored" do
      user = create_user(phone_number: "+44 20 7946 0000")
      email_only = emulator.seed_contact(role: "user", email: "ann@example.com", name: "A")
      result = SyncWithIntercom.perform(user)
      expect(contact_calls).to eq(["GET /contacts/find_by_external_id/#{user.id}", "POST /contacts",
                                   "GET /contacts/#{email_only['id']}", "PUT /contacts/#{email_only['id']}"])
      expect(emulator.requests.last.json).to eq("external_id" => user.id.to_s, "name" => "Ann",
                                                "phone" => "+44 20 7946 0000", "signed_up_at" => user.created_at.to_i,
                                                "last_seen_at" => 1_700_000_000,
                                                "custom_attributes" => { "plan" => "pro", "seats" => 3, "deleted" => false })
      expect(result).not_to be_created
      expect(result.fields_pushed).to include("external_id")
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.contact(email_only["id"])).to include("external_id" => user.id.to_s, "role" => "user", "name" => "Ann")
      expect(user.reload.metadata["intercom_user_id"]).to eq(email_only["id"])

      emulator.clear_requests!
      expect(SyncWithIntercom.perform(user.reload).requests).to eq(1) # adopted for good: found by its id
    end

    it "unarchives an archived email-only contact and adopts it" do
      user = create_user
      archived = emulator.seed_contact(role: "user", email: "ann@example.com", archived: true)
      SyncWithIntercom.perform(user)
      expect(contact_calls.first(4)).to eq(["GET /contacts/find_by_external_id/#{user.id}", "POST /contacts",
                                            "POST /contacts/#{archived['id']}/unarchive", "GET /contacts/#{archived['id']}"])
      expect(emulator.contact(archived["id"])).to include("external_id" => user.id.to_s, "archived" => false)
      expect(emulator.contacts.size).to eq(1)
      expect(user.reload.metadata["intercom_user_id"]).to eq(archived["id"])
    end

    it "raises ConflictError when the email belongs to another user's contact, changing nothing" do
      other = emulator.seed_contact(role: "user", external_id: "other-user", email: "ann@example.com", name: "Bob")
      user = create_user
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ConflictError, /external_id other-user/)
      expect(calls).not_to include(a_string_starting_with("PUT "))
      expect(emulator.contacts.size).to eq(1)
      expect(emulator.contact(other["id"])).to include("external_id" => "other-user", "name" => "Bob")
      expect(user.reload.metadata).to be_nil
    end
  end
end
