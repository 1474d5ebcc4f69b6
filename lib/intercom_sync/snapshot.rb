# frozen_string_literal: true

module IntercomSync
  # The app's user and teams as plain data for the C core: the only place the sync reads the
  # app's models. Nothing here writes.
  #
  # Rules for the user's own fields (custom attributes follow CustomAttributes):
  # - the id (external_id) must be non-empty, valid in its encoding and free of NUL bytes, else
  #   InvalidInputError before any request; any other character is fine (it is escaped in paths);
  # - name, email and phone are converted to UTF-8, NUL bytes are dropped, blanks count as
  #   missing; bytes invalid in their encoding raise InvalidInputError (these are identities:
  #   better no sync than a corrupted one);
  # - name and phone are cut to 255 characters, with a warning;
  # - an email that is not one address (or longer than 255) is not sent, with a warning: the
  #   contact is still synced by external_id.
  module Snapshot
    MAX_TEXT = 255
    EMAIL = /\A[^@\s]+@[^@\s]+\z/

    module_function

    # known_attributes: the process's cache of Intercom's attribute definitions, or nil.
    # contact: the user's contact as a bulk page of GET /contacts returned it, or nil;
    # known_absent: a full read of the contacts just now did not have the user.
    # warnings collects what the rules above changed.
    def build(user, config, known_attributes: nil, contact: nil, known_absent: false, now: Time.now, warnings: [])
      a = config.user_attributes
      {
        "external_id" => identity(read(user, a[:id])),
        "intercom_id" => metadata_of(user, a[:metadata])["intercom_user_id"]&.to_s,
        "email" => email(read(user, a[:email]), warnings),
        "name" => field(read(user, a[:name]), "name", warnings),
        "phone" => field(read(user, a[:phone]), "phone", warnings),
        "signed_up_at" => CustomAttributes.epoch(read(user, a[:created_at])),
        "last_seen_at" => CustomAttributes.epoch(read(user, a[:last_request_at])),
        "from_oauth" => read(user, a[:from_oauth]) ? true : false,
        "now" => now.to_i,
        "custom_attributes" => custom_attributes(user, config.user_custom_attributes_except, warnings),
        "teams" => Array(read(user, a[:teams])).map { |team| member_team(team, config) },
        "owned_teams" => Array(read(user, a[:owned_teams])).map { |team| owned_team(team, config, warnings) },
        "known_attributes" => known_attributes,
        "contact" => contact,
        "known_absent" => known_absent || nil,
        "options" => { "unknown_attributes" => config.unknown_attributes.to_s,
                       "lead_window" => config.lead_window.to_i }
      }.compact
    end

    def member_team(team, config)
      { "id" => identity(read(team, config.team_attributes[:id]), "team id"),
        "intercom_company_id" => metadata_of(team, config.team_attributes[:metadata])["intercom_company_id"] }
    end

    def owned_team(team, config, warnings)
      t = config.team_attributes
      metadata = metadata_of(team, t[:metadata])
      spend = read(team, t[:monthly_spend])
      {
        "id" => identity(read(team, t[:id]), "team id"),
        "intercom_company_id" => metadata["intercom_company_id"],
        "digest" => metadata["intercom_company_digest"],
        "company" => {
          "name" => field(read(team, t[:name]), "team name", warnings),
          "remote_created_at" => CustomAttributes.epoch(read(team, t[:created_at])),
          # Intercom stores an integer and truncates floats; we truncate first so the digest of
          # what we sent matches what Intercom holds.
          "monthly_spend" => monthly_spend(spend),
          "custom_attributes" => custom_attributes(team, config.team_custom_attributes_except, warnings)
        }
      }
    end

    # Intercom keeps an integer up to 2^31-1; floats are truncated (by us, so the digest of what
    # we sent matches what Intercom holds); what is not a finite number is not sent.
    def monthly_spend(value)
      return nil unless value.is_a?(Numeric) && (!value.respond_to?(:finite?) || value.finite?)

      value.to_i.clamp(-(2**31), (2**31) - 1)
    end

    # The seed's rule: as_json(with_everything: true) minus the standard fields, plus deleted.
    def custom_attributes(record, except, warnings)
      return { "deleted" => false } unless record.respond_to?(:as_json)

      json = record.as_json(with_everything: true, except: except)
      CustomAttributes.normalize(json, except: except, warnings: warnings).merge("deleted" => false)
    end

    def identity(value, what = "user id")
      string = value.to_s
      raise InvalidInputError, "the #{what} is missing" if value.nil? || string.empty?
      raise InvalidInputError, "the #{what} contains a NUL byte" if string.include?("\0")

      utf8(string, what)
    end

    # UTF-8, or InvalidInputError naming the field.
    def utf8(string, what)
      converted = string.encoding == Encoding::UTF_8 || string.encoding == Encoding::BINARY ? string : string.encode(Encoding::UTF_8)
      converted = converted.dup.force_encoding(Encoding::UTF_8) if converted.encoding == Encoding::BINARY
      raise InvalidInputError, "the #{what} is not valid UTF-8" unless converted.valid_encoding?

      converted
    rescue EncodingError
      raise InvalidInputError, "the #{what} cannot be converted to UTF-8"
    end

    def field(value, what, warnings)
      string = text(value)
      return nil unless string

      string = utf8(string, what).delete("\0")
      return nil if string.strip.empty?
      return string if string.length <= MAX_TEXT

      warnings << "the #{what} was cut to #{MAX_TEXT} characters"
      string[0, MAX_TEXT]
    end

    def email(value, warnings)
      address = text(value)
      return nil unless address

      address = utf8(address, "email").delete("\0").strip
      return address if address.length <= MAX_TEXT && address.match?(EMAIL)

      warnings << "the email is not a valid address; not sent (the contact is synced by external_id)"
      nil
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
