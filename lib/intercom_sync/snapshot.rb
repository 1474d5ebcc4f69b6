# frozen_string_literal: true

module IntercomSync
  # The app's user and teams as plain data for the C core: the only place the sync reads the
  # app's models. Nothing here writes.
  module Snapshot
    module_function

    # known_attributes: the process's cache of Intercom's attribute definitions, or nil.
    def build(user, config, known_attributes: nil, now: Time.now)
      a = config.user_attributes
      id = read(user, a[:id])
      raise InvalidInputError, "the user has no id" if id.nil? || id.to_s.empty?

      {
        "external_id" => id.to_s,
        "intercom_id" => metadata_of(user, a[:metadata])["intercom_user_id"],
        "email" => text(read(user, a[:email])),
        "name" => text(read(user, a[:name])),
        "phone" => text(read(user, a[:phone])),
        "signed_up_at" => CustomAttributes.epoch(read(user, a[:created_at])),
        "last_seen_at" => CustomAttributes.epoch(read(user, a[:last_request_at])),
        "from_oauth" => read(user, a[:from_oauth]) ? true : false,
        "now" => now.to_i,
        "custom_attributes" => custom_attributes(user, config.user_custom_attributes_except),
        "teams" => Array(read(user, a[:teams])).map { |team| member_team(team, config) },
        "owned_teams" => Array(read(user, a[:owned_teams])).map { |team| owned_team(team, config) },
        "known_attributes" => known_attributes,
        "options" => { "unknown_attributes" => config.unknown_attributes.to_s,
                       "lead_window" => config.lead_window.to_i }
      }.compact
    end

    def member_team(team, config)
      { "id" => read(team, config.team_attributes[:id]).to_s,
        "intercom_company_id" => metadata_of(team, config.team_attributes[:metadata])["intercom_company_id"] }
    end

    def owned_team(team, config)
      t = config.team_attributes
      metadata = metadata_of(team, t[:metadata])
      spend = read(team, t[:monthly_spend])
      {
        "id" => read(team, t[:id]).to_s,
        "intercom_company_id" => metadata["intercom_company_id"],
        "digest" => metadata["intercom_company_digest"],
        "company" => {
          "name" => text(read(team, t[:name])),
          "remote_created_at" => CustomAttributes.epoch(read(team, t[:created_at])),
          # Intercom stores an integer and truncates floats; we truncate first so the digest of
          # what we sent matches what Intercom holds.
          "monthly_spend" => spend.respond_to?(:finite?) && !spend.finite? ? nil : spend&.to_i,
          "custom_attributes" => custom_attributes(team, config.team_custom_attributes_except)
        }
      }
    end

    # The seed's rule: as_json(with_everything: true) minus the standard fields, plus deleted.
    def custom_attributes(record, except)
      return { "deleted" => false } unless record.respond_to?(:as_json)

      json = record.as_json(with_everything: true, except: except)
      CustomAttributes.normalize(json, except: except).merge("deleted" => false)
    end

    def metadata_of(record, attribute)
      return {} unless attribute && record.respond_to?(attribute)

      value = record.public_send(attribute)
      value.respond_to?(:to_h) ? value.to_h.transform_keys(&:to_s) : {}
    end

    def read(record, attribute)
      attribute && record.respond_to?(attribute) ? record.public_send(attribute) : nil
    end

    def text(value)
      return nil if value.nil?

      string = value.to_s
      string.strip.empty? ? nil : string
    end
  end
end
