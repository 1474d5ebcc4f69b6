# frozen_string_literal: true

require "stringio"
require_relative "../../examples/sample_app"

# The fork specs' children sync plain-Ruby users and exit! without touching the database they
# inherit; sqlite3 would warn in each child that it closed those connections.
SQLite3::ForkSafety.suppress_warnings!

# The sample app (ActiveRecord on in-memory SQLite), configured against a fresh emulator.
module SyncHelpers
  def self.included(base)
    base.before do
      ActiveJob::Base.logger = Logger.new(nil)
      SampleApp.connect
      @log = StringIO.new
      IntercomSync.reset_configuration!
      IntercomSync.attribute_cache.clear
      IntercomSync.configure do |c|
        c.base_url = emulator.base_url
        c.access_token = emulator.token
        c.enabled = true
        c.logger = Logger.new(@log)
        c.retry_base_delay = 0.01 # the same policy, faster
        c.retry_max_delay = 0.05
      end
    end
    base.after { IntercomSync.reset_configuration! }
  end

  attr_reader :log

  def create_user(teams: [], owned: [], **attrs)
    defaults = { email: "ann@example.com", name: "Ann", plan: "pro", seats: 3,
                 created_at: Time.now - (3 * 86_400), last_request_at: Time.at(1_700_000_000) }
    user = User.create!(defaults.merge(attrs))
    owned.each { |t| user.owned_teams << t }
    teams.each { |t| user.teams << t }
    user.reload
  end

  def create_team(domain, **attrs)
    Team.create!({ domain: domain, monthly_spend: 99.5, tier: "gold", created_at: Time.at(1_600_000_000) }.merge(attrs))
  end

  # "METHOD /path" of each request the emulator received, oldest first.
  def calls
    emulator.requests.map { |r| "#{r.method} #{r.path}" }
  end

  # The calls, leaving out reads and creates of attribute definitions.
  def contact_calls
    calls.grep_v(%r{/data_attributes})
  end

  # Syncs once so attribute definitions are cached, then forgets the requests.
  def warm_up(user)
    SyncWithIntercom.perform(user)
    emulator.clear_requests!
    user.reload
  end

  # A plain-Ruby user: worker threads and forked children need no database connection.
  PoroUser = Struct.new(:id, :email, :name, :phone_number, :timezone, :created_at, :last_request_at, :metadata,
                        keyword_init: true) do
    def from_oauth? = false
    def teams = []
    def owned_teams = []
    def as_json(*) = { "seats" => id.to_s.sum % 9 }
    def update!(changes) = changes.each { |k, v| self[k] = v }
  end

  def poro_users(count, prefix)
    Array.new(count) do |i|
      PoroUser.new(id: "#{prefix}-#{i}", email: "#{prefix}-#{i}@example.com", name: "User #{prefix} #{i}",
                   created_at: Time.at(1_600_000_000), metadata: {})
    end
  end

  def define_user_attributes
    { "plan" => "string", "seats" => "integer", "deleted" => "boolean", "oauth_provider" => "string" }
      .each { |name, type| emulator.define_attribute(:contact, name, type) }
  end

  # The sample teams' custom attributes, defined in Intercom beforehand.
  def define_company_attributes(except: [])
    { "domain" => "string", "tier" => "string", "deleted" => "boolean", "owner_id" => "integer" }
      .each { |name, type| emulator.define_attribute(:company, name, type) unless except.include?(name) }
  end
end

RSpec.configure do |config|
  config.include SyncHelpers, sync: true
end
