# frozen_string_literal: true

# Where the sync keeps Intercom's ids: the user's and the teams' metadata. Hash columns (JSON,
# JSONB, serialized) get a Hash; a plain string or text column gets JSON text, read back as
# JSON; any other type is a ContractError before any request.
module MetadataModels
  # metadata as a plain text column: no serialize.
  class TextUser < ActiveRecord::Base
    self.table_name = "users"
    has_many :owned_teams, class_name: "MetadataModels::TextTeam", foreign_key: :owner_id
    def from_oauth? = false
    def teams = []
  end

  class TextTeam < ActiveRecord::Base
    self.table_name = "teams"
  end

  # A JSON column (Rails' json type; jsonb reads the same).
  class JsonUser < ActiveRecord::Base
    self.table_name = "users"
    attribute :metadata, ActiveRecord::Type::Json.new
    def from_oauth? = false
    def teams = []
    def owned_teams = []
  end

  class IntegerUser < ActiveRecord::Base
    self.table_name = "users"
    attribute :metadata, ActiveModel::Type::Integer.new
    def from_oauth? = false
    def teams = []
    def owned_teams = []
  end
end

RSpec.describe "metadata columns", sync: true do
  before do
    define_user_attributes
    define_company_attributes
  end

  def user_as(klass, **attrs)
    klass.find(create_user(**attrs).id)
  end

  describe "a plain string or text column" do
    it "gets JSON text, read back as JSON on the next sync" do
      user = user_as(MetadataModels::TextUser)
      result = SyncWithIntercom.perform(user)
      stored = user.reload.metadata
      expect(stored).to be_a(String)
      expect(JSON.parse(stored)).to eq("intercom_user_id" => result.contact_id)

      emulator.clear_requests!
      SyncWithIntercom.perform(user)
      expect(contact_calls).to eq(["GET /contacts/#{result.contact_id}"])
    end

    it "keeps the other keys of the JSON object" do
      user = user_as(MetadataModels::TextUser)
      user.update!(metadata: '{"source":"import","n":2}')
      result = SyncWithIntercom.perform(user)
      expect(JSON.parse(user.reload.metadata)).to eq("source" => "import", "n" => 2, "intercom_user_id" => result.contact_id)
    end

    it "reads back the Ruby inspect text earlier versions wrote there" do
      user = user_as(MetadataModels::TextUser)
      contact = emulator.seed_contact(role: "user", external_id: user.id.to_s, email: user.email)
      user.update!(metadata: { "intercom_user_id" => contact["id"] }.to_s) # {"intercom_user_id"=>"..."}
      expect(SyncWithIntercom.perform(user).contact_id).to eq(contact["id"])
      expect(contact_calls.first).to eq("GET /contacts/#{contact['id']}")
    end

    it "refuses text that is not a JSON object, before any request, without quoting it" do
      user = user_as(MetadataModels::TextUser)
      user.update!(metadata: "s3cr3t notes")
      expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::InvalidInputError) { |e|
        expect(e.message).to include("MetadataModels::TextUser #{user.id}", "metadata", "not a JSON object")
        expect(e.message).not_to include("s3cr3t")
      }
      expect(emulator.requests).to eq([])
    end

    it "works for a team's metadata too: JSON text with the company id and digest, read back" do
      team = MetadataModels::TextTeam.create!(domain: "acme.com", monthly_spend: 10, owner_id: nil)
      user = user_as(MetadataModels::TextUser)
      team.update!(owner_id: user.id)
      SyncWithIntercom.perform(user.reload)
      stored = JSON.parse(team.reload.metadata)
      expect(stored.keys).to contain_exactly("intercom_company_id", "intercom_company_digest")
      emulator.clear_requests!
      SyncWithIntercom.perform(MetadataModels::TextUser.find(user.id))
      expect(calls.grep(/companies/)).to eq([]) # the digest was read back: no upsert
    end

    it "works for a plain object whose metadata is a String" do
      user = poro_users(1, "s").first
      user.metadata = ""
      result = SyncWithIntercom.perform(user)
      expect(user.metadata).to eq(%({"intercom_user_id":"#{result.contact_id}"}))
    end
  end

  it "a JSON column gets a Hash" do
    user = user_as(MetadataModels::JsonUser)
    result = SyncWithIntercom.perform(user)
    expect(user.reload.metadata).to eq("intercom_user_id" => result.contact_id)
  end

  it "a column of another type is a ContractError naming it, before any request" do
    user = user_as(MetadataModels::IntegerUser)
    expect { SyncWithIntercom.perform(user) }
      .to raise_error(IntercomSync::ContractError, /MetadataModels::IntegerUser#metadata is a integer column/)
    expect(emulator.requests).to eq([])
  end

  it "a plain object whose metadata is neither a Hash nor a String: ContractError before any request" do
    user = poro_users(1, "i").first
    user.metadata = 42
    expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::ContractError, /metadata.*Integer/)
    expect(emulator.requests).to eq([])
  end
end
