# frozen_string_literal: true

# The users and teams every benchmark variant syncs: plain Ruby objects shaped like the seed's
# models, so the benchmark measures the sync and its HTTP client, not a database.
module Workload
  Team = Struct.new(:id, :domain, :created_at, :monthly_spend, :metadata, keyword_init: true) do
    def as_json(*) = { "domain" => domain, "seats" => id % 7 }
    def update!(changes) = changes.each { |k, v| self[k] = v }
    alias_method :update, :update!
  end

  User = Struct.new(:id, :email, :name, :phone_number, :timezone, :created_at, :last_request_at, :metadata,
                    :teams, :owned_teams, :seats, keyword_init: true) do
    def from_oauth? = false
    def as_json(*) = { "plan" => %w[free pro team][id % 3], "seats" => seats, "deleted" => false }
    def update!(changes) = changes.each { |k, v| self[k] = v }
    alias_method :update, :update!
  end

  module_function

  # count users with ids from first_id, in teams of their own (each owns one, belongs to two),
  # signed up 3 days ago (older than the lead window: a backfill's users) unless told otherwise.
  # The ten shared teams are one object each, as rows of a teams table are: the Intercom company
  # id the first sync stores on one is there for the next user in it.
  def users(count, first_id, created_at: Time.now - (3 * 86_400))
    shared_teams = Array.new([count, 10].min) do |k|
      Team.new(id: first_id + count + k, domain: "shared#{k}.example", created_at: Time.at(1_600_000_000),
               monthly_spend: 10.0, metadata: {})
    end
    Array.new(count) do |i|
      id = first_id + i
      own = Team.new(id: id, domain: "team#{id}.example", created_at: Time.at(1_600_000_000), monthly_spend: 49.0,
                     metadata: {})
      shared = shared_teams[i % 10]
      User.new(id: id, email: "user#{id}@example.com", name: "User #{id}", created_at: created_at,
               last_request_at: Time.at(1_700_000_000), metadata: {}, teams: [own, shared], owned_teams: [own], seats: 3)
    end
  end

  # The "changed" workload: a new name, a new seat count, and a move from one shared team to another.
  def change!(users, first_id)
    moved_teams = Array.new([users.size, 10].min) do |k|
      Team.new(id: first_id + users.size + 10 + k, domain: "moved#{k}.example", created_at: Time.at(1_600_000_000),
               monthly_spend: 5.0, metadata: {})
    end
    users.each_with_index do |user, i|
      user.name = "#{user.name} (renamed)"
      user.seats += 1
      user.teams[1] = moved_teams[i % 10]
    end
  end

  # The gem pointed at a benchmark's emulator, logging errors only; the block may set more.
  def configure(base_url, token)
    IntercomSync.configure do |c|
      c.base_url = base_url
      c.access_token = token
      c.enabled = true
      c.logger = Logger.new($stderr, level: Logger::ERROR)
      yield c if block_given?
    end
  end

  # Custom attributes both clients need defined (the official gem never creates them).
  def define_attributes(base_url, token)
    client = IntercomSync::Client.new(access_token: token, base_url: base_url)
    { "contact" => { "plan" => "string", "seats" => "integer", "deleted" => "boolean" },
      "company" => { "domain" => "string", "seats" => "integer", "deleted" => "boolean" } }.each do |model, attrs|
      attrs.each do |name, type|
        client.post("/data_attributes", { name: name, model: model, data_type: type })
      rescue IntercomSync::BadRequestError
        nil # defined already
      end
    end
  ensure
    client&.close
  end
end
