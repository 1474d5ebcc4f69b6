# frozen_string_literal: true

# What is sent to Intercom: custom attributes never include a key that looks like a secret
# (a built-in list plus Rails' filter_parameters), and an allow-list (names or a
# lambda) chooses what is sent at all.
module SecretModels
  # The seed's user with the columns a Rails app with has_secure_password and API tokens has.
  class VaultUser < ActiveRecord::Base
    self.table_name = "vault_users"
    serialize :metadata, coder: JSON
    def from_oauth? = false
    def teams = []
    def owned_teams = []
  end

  Team = Struct.new(:id, :domain, :created_at, :monthly_spend, :metadata, keyword_init: true) do
    def as_json(*) = { "tier" => "gold", "webhook_secret" => "whsec_live_123" }
    def update!(changes) = changes.each { |k, v| self[k] = v }
  end
end

RSpec.describe "what is sent to Intercom (README: What is sent to Intercom)", sync: true do
  SECRET_VALUES = %w[$2a$12$hashhashhash tok_live_abc123 whsec_live_123 k3y-s3cr3t].freeze

  before do
    ActiveRecord::Schema.define do
      create_table :vault_users, force: true do |t|
        %i[email name phone_number timezone plan password_digest api_token].each { |c| t.string c }
        t.integer :seats
        t.text :metadata
        t.datetime :last_request_at
        t.timestamps
      end
    end
    define_user_attributes
    define_company_attributes
  end

  def vault_user(**attrs)
    SecretModels::VaultUser.create!(email: "ann@example.com", name: "Ann", plan: "pro", seats: 3,
                                    password_digest: "$2a$12$hashhashhash", api_token: "tok_live_abc123", **attrs)
  end

  def sent_custom_attributes(path = "/contacts")
    emulator.requests.find { |r| r.method != "GET" && r.path == path }&.json&.fetch("custom_attributes")
  end

  def expect_no_secret_anywhere
    everything = emulator.requests.map { |r| r.body.to_s }.join + log.string
    SECRET_VALUES.each { |secret| expect(everything).not_to include(secret) }
  end

  describe "by default (no allow-list)" do
    it "never sends password_digest nor api_token, nor creates their data attributes" do
      user = vault_user
      SyncWithIntercom.perform(user)
      expect(sent_custom_attributes.keys).to contain_exactly("plan", "seats", "deleted")
      names = emulator.data_attributes("contact").map { |a| a["name"] }
      expect(names).not_to include("password_digest", "api_token")
      expect_no_secret_anywhere
    end

    it "plan lists the keys it dropped, by name only" do
      result = SyncWithIntercom.plan(vault_user)
      expect(result.filtered_attributes).to eq(%w[user.password_digest user.api_token])
      expect(result.to_h[:filtered_attributes]).to eq(%w[user.password_digest user.api_token])
      expect_no_secret_anywhere
    end

    it "logs one warning naming them, once per process" do
      user = vault_user
      2.times { SyncWithIntercom.perform(user) }
      warnings = log.string.lines.grep(/not sent to Intercom/)
      expect(warnings.size).to eq(1)
      expect(warnings.first).to include("user.password_digest, user.api_token", 'README "What is sent to Intercom"')
      expect_no_secret_anywhere
    end

    it "matches parts of names, in any case, like Rails (built-in list without Rails)" do
      user = poro_users(1, "d").first
      keys = %w[Stripe_SECRET otp_backup_codes ssn salt_x Certificate_pem my_KEY encrypted_x passwd mfa_digest
                access_token keyboard monkey plan]
      user.define_singleton_method(:as_json) { |*| keys.to_h { |k| [k, "v"] } }
      result = SyncWithIntercom.perform(user)
      expect(sent_custom_attributes.keys).to contain_exactly("keyboard", "monkey", "plan", "deleted")
      expect(result.filtered_attributes.size).to eq(keys.size - 3)
    end

    it "uses the same list when ActiveSupport's ParameterFilter is not there" do
      hide_const("ActiveSupport::ParameterFilter")
      user = vault_user
      expect(SyncWithIntercom.perform(user).filtered_attributes).to eq(%w[user.password_digest user.api_token])
      expect(sent_custom_attributes.keys).to contain_exactly("plan", "seats", "deleted")
    end

    it "drops secrets nested in a Hash value" do
      user = poro_users(1, "n").first
      user.define_singleton_method(:as_json) { |*| { "settings" => { "theme" => "dark", "api_key" => "k3y-s3cr3t" } } }
      result = SyncWithIntercom.perform(user)
      expect(JSON.parse(sent_custom_attributes["settings"])).to eq("theme" => "dark")
      expect(result.filtered_attributes).to eq(["user.settings.api_key"])
      expect_no_secret_anywhere
    end

    it "filters owned teams' attributes too" do
      user = poro_users(1, "t").first
      team = SecretModels::Team.new(id: 7, domain: "acme.com", created_at: Time.at(1_600_000_000), monthly_spend: 1,
                                    metadata: {})
      user.define_singleton_method(:owned_teams) { [team] }
      result = SyncWithIntercom.perform(user)
      expect(sent_custom_attributes("/companies").keys).to contain_exactly("tier", "deleted")
      expect(result.filtered_attributes).to eq(["team.webhook_secret"])
      expect(emulator.data_attributes("company").map { |a| a["name"] }).not_to include("webhook_secret")
      expect_no_secret_anywhere
    end

    # an app generated before Rails 7 often filters only :password: api_token must still stay
    it "in a Rails app, adds the app's filter_parameters to the built-in list" do
      rails = Module.new
      app = Struct.new(:config).new(Struct.new(:filter_parameters).new([:password, /\Aplan\z/]))
      rails.define_singleton_method(:application) { app }
      stub_const("Rails", rails)
      result = SyncWithIntercom.perform(vault_user)
      expect(sent_custom_attributes.keys).to contain_exactly("seats", "deleted")
      expect(result.filtered_attributes).to contain_exactly("user.plan", "user.password_digest", "user.api_token")
    end
  end

  describe "an allow-list" do
    it "as names: sends only those" do
      IntercomSync.configuration.custom_attributes = %w[plan]
      SyncWithIntercom.perform(vault_user)
      expect(sent_custom_attributes).to eq("plan" => "pro", "deleted" => false)
    end

    it "as names: still never sends a name that looks like a secret" do
      IntercomSync.configuration.custom_attributes = %i[plan api_token]
      result = SyncWithIntercom.perform(vault_user)
      expect(sent_custom_attributes).to eq("plan" => "pro", "deleted" => false)
      expect(result.filtered_attributes).to eq(["user.api_token"])
    end

    it "as names: reads methods too, and a name the model lacks is a ContractError before any request" do
      IntercomSync.configuration.custom_attributes = %w[plan seats_used]
      user = vault_user
      expect { SyncWithIntercom.perform(user) }
        .to raise_error(IntercomSync::ContractError, /SecretModels::VaultUser.*`seats_used`.*config.custom_attributes/)
      expect(emulator.requests).to eq([])
      user.define_singleton_method(:seats_used) { seats * 2 }
      SyncWithIntercom.perform(user)
      expect(sent_custom_attributes).to eq("plan" => "pro", "seats_used" => 6, "deleted" => false)
    end

    it "as a lambda: sends the Hash it returns for the record" do
      IntercomSync.configuration.custom_attributes = ->(user) { { plan: user.plan.upcase, "seats" => user.seats } }
      SyncWithIntercom.perform(vault_user)
      expect(sent_custom_attributes).to eq("plan" => "PRO", "seats" => 3, "deleted" => false)
    end

    it "for owned teams: config.team_custom_attributes" do
      IntercomSync.configuration.team_custom_attributes = %w[tier]
      team = create_team("acme.com")
      SyncWithIntercom.perform(create_user(owned: [team]))
      expect(sent_custom_attributes("/companies")).to eq("tier" => "gold", "deleted" => false)
    end

    it "is checked when set" do
      config = IntercomSync.configuration
      expect { config.custom_attributes = "plan" }.to raise_error(IntercomSync::ConfigurationError, /custom_attributes/)
      expect { config.team_custom_attributes = [1] }.to raise_error(IntercomSync::ConfigurationError, /team_custom_attributes/)
      expect { config.custom_attribute_filter = "token" }.to raise_error(IntercomSync::ConfigurationError, /custom_attribute_filter.*"token"/)
    end
  end

  it "config.custom_attribute_filter replaces the list" do
    IntercomSync.configuration.custom_attribute_filter = [/\Aplan\z/, :digest]
    result = SyncWithIntercom.perform(vault_user)
    expect(sent_custom_attributes.keys).to contain_exactly("seats", "api_token", "deleted")
    expect(result.filtered_attributes).to eq(%w[user.plan user.password_digest])
  end
end
