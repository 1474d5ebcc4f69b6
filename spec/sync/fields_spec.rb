# frozen_string_literal: true

RSpec.describe "SyncWithIntercom.perform: fields (steps 2, 4, 5, 6)", sync: true do
  before { define_user_attributes }

  # A contact for the user as Intercom already has it, with the id stored locally.
  def existing(user, **attrs)
    contact = emulator.seed_contact(role: "user", external_id: user.id.to_s, **attrs)
    user.update!(metadata: { "intercom_user_id" => contact["id"] })
    contact
  end

  def last_put
    emulator.requests.reverse.find { |r| r.method == "PUT" }&.json
  end

  describe "name (step 4)" do
    it "pushes ours when we have one" do
      user = create_user(name: "Ann Lee")
      existing(user, email: "ann@example.com", name: "Ann")
      result = SyncWithIntercom.perform(user)
      expect(last_put).to include("name" => "Ann Lee")
      expect(result.fields_pushed).to include("name")
    end

    it "pulls Intercom's when we have none" do
      user = create_user(name: nil)
      existing(user, email: "ann@example.com", name: "Bo")
      result = SyncWithIntercom.perform(user)
      expect(user.reload.name).to eq("Bo")
      expect(result.fields_pulled).to include("name")
      expect(last_put.to_h).not_to have_key("name")
    end

    it "does not pull a one-character name" do
      user = create_user(name: nil)
      existing(user, email: "ann@example.com", name: "B")
      SyncWithIntercom.perform(user)
      expect(user.reload.name).to be_nil
    end

    it "does not pull for a user who came through OAuth" do
      user = create_user(name: "", oauth_provider: "google")
      existing(user, email: "ann@example.com", name: "Bob Smith")
      SyncWithIntercom.perform(user)
      expect(user.reload.name).to eq("")
    end
  end

  describe "phone (step 5)" do
    it "pulls Intercom's when we have none" do
      user = create_user(phone_number: nil)
      existing(user, email: "ann@example.com", phone: "+1 555 0100")
      expect(SyncWithIntercom.perform(user).fields_pulled).to include("phone")
      expect(user.reload.phone_number).to eq("+1 555 0100")
    end

    it "does not pull for an OAuth user, and never clears Intercom's with our blank" do
      user = create_user(phone_number: nil, oauth_provider: "github")
      contact = existing(user, email: "ann@example.com", phone: "+1 555 0100")
      SyncWithIntercom.perform(user)
      expect(user.reload.phone_number).to be_nil
      expect(emulator.contact(contact["id"])["phone"]).to eq("+1 555 0100")
    end

    it "pushes ours when we have one" do
      user = create_user(phone_number: "+44 1")
      existing(user, email: "ann@example.com", phone: "+1 555 0100")
      SyncWithIntercom.perform(user)
      expect(last_put).to include("phone" => "+44 1")
    end
  end

  describe "timezone (step 2)" do
    it "saves a valid IANA zone Intercom reports" do
      user = create_user
      existing(user, email: "ann@example.com", timezone: "Europe/Paris")
      result = SyncWithIntercom.perform(user)
      expect(user.reload.timezone).to eq("Europe/Paris")
      expect(result.timezone).to eq("Europe/Paris")
    end

    ["Mars/Olympus_Mons", "../../etc/passwd", "Europe/Paris\nX", "/etc/passwd", ""].each do |zone|
      it "logs and ignores #{zone.inspect}" do
        user = create_user(timezone: "UTC")
        existing(user, email: "ann@example.com", timezone: zone)
        SyncWithIntercom.perform(user)
        expect(user.reload.timezone).to eq("UTC")
        expect(log.string).to include("Ignored invalid timezone") unless zone.empty?
      end
    end

    it "leaves the user's zone alone when Intercom reports none" do
      user = create_user(timezone: "Asia/Tokyo")
      existing(user, email: "ann@example.com")
      SyncWithIntercom.perform(user)
      expect(user.reload.timezone).to eq("Asia/Tokyo")
    end

    it "never changes the app's Time.zone" do
      require "active_support/time"
      Time.zone = "Pacific/Auckland"
      user = create_user
      existing(user, email: "ann@example.com", timezone: "Europe/Paris")
      SyncWithIntercom.perform(user)
      expect(Time.zone.name).to eq("Pacific/Auckland")
      existing(create_user(email: "b@example.com"), email: "b@example.com", timezone: "Nowhere/Land")
      SyncWithIntercom.perform(User.last)
      expect(Time.zone.name).to eq("Pacific/Auckland")
    ensure
      Time.zone = nil
    end
  end

  describe "pushed fields (step 6)" do
    it "sends only the fields that differ" do
      user = create_user(email: "new@example.com", created_at: Time.at(1_650_000_000))
      existing(user, email: "old@example.com", name: "Ann", signed_up_at: 1_650_000_000, last_seen_at: 1_700_000_000,
                     custom_attributes: { "plan" => "pro", "seats" => 3, "deleted" => false })
      result = SyncWithIntercom.perform(user)
      expect(last_put).to eq("email" => "new@example.com")
      expect(result.fields_pushed).to eq(["email"])
    end

    it "sends only the custom attributes that differ" do
      user = create_user(seats: 10, created_at: Time.at(1_650_000_000))
      existing(user, email: "ann@example.com", name: "Ann", signed_up_at: 1_650_000_000, last_seen_at: 1_700_000_000,
                     custom_attributes: { "plan" => "pro", "seats" => 3, "deleted" => false })
      SyncWithIntercom.perform(user)
      expect(last_put).to eq("custom_attributes" => { "seats" => 10 })
    end

    it "makes no write at all when nothing differs" do
      user = create_user(created_at: Time.at(1_650_000_000))
      existing(user, email: "ann@example.com", name: "Ann", signed_up_at: 1_650_000_000, last_seen_at: 1_700_000_000,
                     custom_attributes: { "plan" => "pro", "seats" => 3, "deleted" => false })
      SyncWithIntercom.perform(user)
      expect(contact_calls).to eq(["GET /contacts/#{user.metadata['intercom_user_id']}"])
    end

    it "sets last seen to the later of ours and Intercom's, on both sides" do
      user = create_user(last_request_at: Time.at(1_700_000_000))
      contact = existing(user, email: "ann@example.com", last_seen_at: 1_800_000_000)
      result = SyncWithIntercom.perform(user)
      expect(user.reload.last_request_at.to_i).to eq(1_800_000_000)
      expect(result.fields_pulled).to include("last_request_at")
      expect(last_put.to_h).not_to have_key("last_seen_at")

      user.update!(last_request_at: Time.at(1_900_000_000))
      SyncWithIntercom.perform(user)
      expect(last_put).to include("last_seen_at" => 1_900_000_000)
      expect(emulator.contact(contact["id"])["last_seen_at"]).to eq(1_900_000_000)
    end
  end

  describe "custom attributes" do
    it "creates an unknown attribute through the Data Attributes API before using it" do
      user = create_user
      warm_up(user)
      User.connection.add_column(:users, :referrals, :integer)
      User.reset_column_information
      user = User.find(user.id)
      user.update!(referrals: 7)
      SyncWithIntercom.perform(user)
      expect(calls).to eq(["GET /data_attributes", "POST /data_attributes",
                           "GET /contacts/#{user.metadata['intercom_user_id']}", "PUT /contacts/#{user.metadata['intercom_user_id']}"])
      expect(emulator.requests[1].json).to eq("name" => "referrals", "model" => "contact", "data_type" => "integer")
      expect(last_put).to eq("custom_attributes" => { "referrals" => 7 })
    end

    it "skips unknown attributes with a warning under unknown_attributes = :skip" do
      IntercomSync.configuration.unknown_attributes = :skip
      emulator.reset!
      emulator.define_attribute(:contact, "deleted", "boolean")
      result = SyncWithIntercom.perform(create_user)
      expect(calls.grep(/POST \/data_attributes/)).to be_empty
      expect(result.warnings).to include("custom contact attribute 'plan' is not defined in Intercom; not sent")
      expect(emulator.requests.last.json["custom_attributes"]).to eq("deleted" => false)
    end

    it "raises before writing anything under unknown_attributes = :raise" do
      IntercomSync.configuration.unknown_attributes = :raise
      emulator.reset!
      user = create_user
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::UnknownAttributeError, /'plan'/)
      expect(emulator.requests.map(&:method).uniq).to eq(["GET"])
      expect(emulator.contacts).to be_empty
    end

    it "fits values to the type Intercom defined: text for strings, whole numbers for integers" do
      emulator.reset!
      emulator.define_attribute(:contact, "plan", "integer")
      emulator.define_attribute(:contact, "seats", "string")
      emulator.define_attribute(:contact, "deleted", "boolean")
      result = SyncWithIntercom.perform(create_user(plan: "pro", seats: 3))
      expect(emulator.requests.last.json["custom_attributes"]).to eq("seats" => "3", "deleted" => false)
      expect(result.warnings.first).to include("'plan' is a integer in Intercom")
    end

    it "sends nested values as JSON text, times as Unix seconds" do
      attrs = IntercomSync::CustomAttributes.normalize(
        { "address" => { "city" => "Paris", "tags" => [1, :a] }, "seen" => Time.at(5), "day" => Date.new(1970, 1, 2),
          "ratio" => BigDecimal("1.5"), "nan" => Float::NAN, "sym" => :gold, "other" => Object.new.tap { |o| def o.to_s = "obj" } }
      )
      expect(attrs).to eq("address" => '{"city":"Paris","tags":[1,"a"]}', "seen" => 5, "day" => 86_400,
                          "ratio" => 1.5, "nan" => nil, "sym" => "gold", "other" => "obj")
    end
  end
end
