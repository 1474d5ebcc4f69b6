# frozen_string_literal: true

# Bad data from the app: normalised by a documented rule (README, Snapshot, CustomAttributes)
# or rejected with InvalidInputError before any request.
RSpec.describe "sync of bad input from the app", sync: true do
  before { define_user_attributes }

  def create_body
    emulator.requests.find { |r| r.method == "POST" && r.path == "/contacts" }&.json
  end

  # A user whose id is a string, for ids no database would hand out.
  def poro_user(id, **attrs)
    Struct.new(:id, :email, :name, :phone_number, :timezone, :created_at, :last_request_at, :metadata,
               keyword_init: true) do
      def from_oauth? = false
      def teams = []
      def owned_teams = []
      def as_json(*) = {}
      def update!(changes) = changes.each { |k, v| self[k] = v }
    end.new(id: id, email: "p@example.com", created_at: Time.at(1_600_000_000), metadata: {}, **attrs)
  end

  it "syncs a user without an email by external id, and searches no leads" do
    user = poro_user("77", email: nil, created_at: Time.now)
    SyncWithIntercom.perform(user)
    expect(create_body).not_to have_key("email")
    expect(calls.grep(/search/)).to be_empty
  end

  ["not an email", "a@b@c", "ann@example.com\nBcc: x@evil.example", "#{'a' * 250}@example.com"].each do |email|
    it "does not send the invalid email #{email[0, 30].inspect}, with a warning" do
      user = create_user
      user.email = email
      result = SyncWithIntercom.perform(user)
      expect(create_body).not_to have_key("email")
      expect(result.warnings).to include(/email is not a valid address/)
      expect(emulator.contact_by_external_id(user.id)).not_to be_nil
    end
  end

  it "strips the spaces around an email" do
    user = create_user
    user.email = "  ann@example.com \n"
    SyncWithIntercom.perform(user)
    expect(create_body["email"]).to eq("ann@example.com")
  end

  it "rejects a name that is not valid UTF-8 before any request" do
    user = create_user
    user.name = "Ann \xff\xfe".b
    expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::InvalidInputError, /name is not valid UTF-8/)
    expect(emulator.requests).to be_empty
  end

  it "converts text in other encodings to UTF-8" do
    user = create_user
    user.name = "Zo\xeb".dup.force_encoding(Encoding::ISO_8859_1)
    SyncWithIntercom.perform(user)
    expect(create_body["name"]).to eq("Zoë")
  end

  it "drops NUL bytes from text" do
    user = create_user
    user.name = "An\0n"
    SyncWithIntercom.perform(user)
    expect(create_body["name"]).to eq("Ann")
  end

  it "cuts a very long name to 255 characters, with a warning" do
    user = create_user
    user.name = "é" * 1000
    result = SyncWithIntercom.perform(user)
    expect(create_body["name"]).to eq("é" * 255)
    expect(result.warnings).to include("the name was cut to 255 characters")
  end

  it "normalises custom attribute values and names Intercom cannot take" do
    User.connection.add_column(:users, :extra, :text)
    User.reset_column_information
    user = User.find(create_user.id)
    def user.as_json(*)
      super.merge("ratio" => BigDecimal("2.5"), "nan" => Float::NAN, "inf" => -Float::INFINITY,
                  "seen" => Time.at(1_650_000_000), "born" => Date.new(2000, 1, 1), "prefs" => { "a" => [1, 2] },
                  "plan.tier" => "gold", "big" => 2**70, "bio" => "x\0y" + ("z" * 300), "blob" => "\xff".b)
    end
    result = SyncWithIntercom.perform(user)
    custom = create_body["custom_attributes"]
    expect(custom).to include("ratio" => 2.5, "seen" => 1_650_000_000, "born" => 946_684_800,
                              "prefs" => '{"a":[1,2]}', "plan_tier" => "gold", "big" => (2**70).to_s, "blob" => "\uFFFD")
    expect(custom["bio"]).to eq("xy" + ("z" * 253))
    expect(custom).not_to have_key("nan") # nil: nothing to infer a type from, so never defined
    expect(result.warnings).to include('custom attribute "bio" was cut to 255 characters')
  end

  it "leaves out a custom attribute whose name collides after normalisation" do
    user = create_user
    def user.as_json(*) = super.merge("a.b" => 1, "a_b" => 2)
    result = SyncWithIntercom.perform(user)
    expect(create_body["custom_attributes"]).to include("a_b" => 1)
    expect(result.warnings.join).to include('"a_b" collides with "a_b"')
  end

  # ("." and ".." are refused instead: spec/hardening/hostile_server_spec.rb)
  ["a/b", "x?y=1", "frag#ment", "..x", "with space", "50%", "ü-ñ"].each do |id|
    it "escapes the id #{id.inspect} in paths, never reaching another endpoint" do
      IntercomSync.configuration.create_first = :never # the lookup's path carries the external id
      user = poro_user(id)
      SyncWithIntercom.perform(user)
      lookup = emulator.requests.find { |r| r.path.start_with?("/contacts/find_by_external_id/") }
      expect(lookup.path.count("/")).to eq(3)
      expect(emulator.contact_by_external_id(id)).not_to be_nil
      expect(user.metadata["intercom_user_id"]).to eq(emulator.contact_by_external_id(id)["id"])
      SyncWithIntercom.perform(user) # found again by the stored id
      expect(emulator.contacts.count { |c| c["external_id"] == id }).to eq(1)
    end
  end

  it "rejects an empty id, or one with a NUL byte, before any request" do
    expect { SyncWithIntercom.perform(poro_user("")) }.to raise_error(IntercomSync::InvalidInputError, /missing/)
    expect { SyncWithIntercom.perform(poro_user("a\0b")) }.to raise_error(IntercomSync::InvalidInputError, /NUL/)
    expect(emulator.requests).to be_empty
  end

  it "ignores a time zone that is a path, leaving the user's" do
    user = create_user(timezone: "UTC")
    emulator.seed_contact(role: "user", external_id: user.id.to_s, email: "ann@example.com", timezone: "../../etc/passwd")
    SyncWithIntercom.perform(user)
    expect(user.reload.timezone).to eq("UTC")
  end

  it "sends a spend that is not a finite number as nothing, and clamps a huge one" do
    team = create_team("acme.com", monthly_spend: BigDecimal("1e12"))
    SyncWithIntercom.perform(create_user(owned: [team]))
    upsert = emulator.requests.find { |r| r.path == "/companies" }.json
    expect(upsert["monthly_spend"]).to eq((2**31) - 1)
    expect(IntercomSync::Snapshot.monthly_spend(Float::NAN)).to be_nil
    expect(IntercomSync::Snapshot.monthly_spend("12")).to be_nil
  end
end
