# frozen_string_literal: true

require "json"
require_relative "workload"

# A workspace as a nightly sync finds it after the first full sync of Workload users: each
# user's contact (with its companies attached) already in Intercom, and the user and its
# teams holding the ids and digests that sync stored. Both sides are derived from the same
# users, so the emulator's seed (write_seed) and the app's records (remember_sync!) agree
# without a request: the Intercom ids are functions of the app's ids.
#
# What a contact and a company hold is read with the gem's own Snapshot (what a sync would
# send), and the emulator's Store applies the API's rules to it when loading the seed.
module ScaleWorkspace
  CONTACT_ATTRIBUTES = { "plan" => "string", "seats" => "integer", "deleted" => "boolean" }.freeze
  COMPANY_ATTRIBUTES = { "domain" => "string", "seats" => "integer", "deleted" => "boolean" }.freeze
  FNV_PRIME = 1_099_511_628_211
  # the core's ISYNC_FNV_OFFSET (isync_text.h), which is not FNV's own offset basis
  # (14695981039346656037, a digit longer): the digests must be the core's, whatever it starts from
  FNV_OFFSET = 1_469_598_103_934_665_603
  FNV_MASK = (2**64) - 1

  # when every user signed up: fixed, so the seed writer and the sync, in two processes
  # seconds apart, see the same signed_up_at (and long ago: no lead search)
  SIGNED_UP = Time.at(1_650_000_000)

  module_function

  def users(count, first_id) = Workload.users(count, first_id, created_at: SIGNED_UP)

  # Intercom ids: 24 hex digits, contacts and companies from different ranges.
  def contact_id(user_id) = format("c%023x", Integer(user_id))
  def company_id(team_id) = format("d%023x", Integer(team_id))

  # Writes the seed (JSON Lines, IntercomSync::Emulator::WorkspaceSeed) of users' workspace.
  def write_seed(io, users, config = IntercomSync.configuration)
    CONTACT_ATTRIBUTES.each { |name, type| io.puts(JSON.generate("data_attribute" => { "model" => "contact", "name" => name, "data_type" => type })) }
    COMPANY_ATTRIBUTES.each { |name, type| io.puts(JSON.generate("data_attribute" => { "model" => "company", "name" => name, "data_type" => type })) }
    seeded = {}
    users.each do |user|
      snapshot = IntercomSync::Snapshot.build(user, config)
      snapshot["owned_teams"].each do |team|
        seeded[team["id"]] = true
        io.puts(JSON.generate("company" => owned_company_body(team), "id" => company_id(team["id"])))
      end
      snapshot["teams"].each do |team|
        next if seeded[team["id"]]

        # a team the user is only a member of: the sync upserts it by company_id alone
        seeded[team["id"]] = true
        io.puts(JSON.generate("company" => { "company_id" => team["id"] }, "id" => company_id(team["id"])))
      end
      io.puts(JSON.generate("contact" => contact_body(snapshot), "id" => contact_id(user.id),
                            "companies" => snapshot["teams"].map { |team| company_id(team["id"]) }))
    end
  end

  # What the first sync of user stored: the contact id on the user, the company id on every
  # team, and the digest of the company body on the teams it owns.
  def remember_sync!(user, config = IntercomSync.configuration)
    user.metadata = { "intercom_user_id" => contact_id(user.id) }
    owned = IntercomSync::Snapshot.build(user, config)["owned_teams"].to_h { |team| [team["id"], team] }
    (user.teams + user.owned_teams).uniq(&:object_id).each do |team|
      team.metadata = { "intercom_company_id" => company_id(team.id) }
      body = owned[team.id.to_s] && owned_company_body(owned[team.id.to_s])
      team.metadata["intercom_company_digest"] = digest(IntercomSync::Native.generate_json(body)) if body
    end
  end

  # POST /contacts as the sync sends it for a new user.
  def contact_body(snapshot)
    { "role" => "user" }.merge(snapshot.slice("external_id", "email", "name", "phone", "signed_up_at", "last_seen_at",
                                              "custom_attributes").compact)
  end

  # POST /companies for an owned team, key for key in the order the core writes it (the
  # digest is of these bytes: ext/intercom_sync/isync_companies.c, owned_body).
  def owned_company_body(team)
    company = team["company"]
    { "company_id" => team["id"] }.merge(company.slice("name", "remote_created_at", "monthly_spend").compact)
                                  .merge("custom_attributes" => company["custom_attributes"])
  end

  # The core's digest of a company body: FNV-1a, 64 bits, as 16 hex digits.
  def digest(bytes)
    hash = bytes.each_byte.reduce(FNV_OFFSET) { |h, byte| ((h ^ byte) * FNV_PRIME) & FNV_MASK }
    format("%016x", hash)
  end

  # Every n-th user changed since the last sync (a new name, one seat more, a move to another
  # shared team: Workload.change!); returns them.
  def change_some!(users, fraction, first_id)
    return [] if fraction <= 0

    step = (1 / fraction).round
    changed = users.each_with_index.select { |_, i| (i % step).zero? }.map(&:first)
    Workload.change!(changed, first_id + users.size + 10) # moved to teams of ids no user or team has
    changed
  end
end
