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
  # The models are checked against ModelContract first. A user whose model has no teams (or
  # owned_teams) gets a snapshot without that key, so the core leaves that step alone.
  module Snapshot
    MAX_TEXT = 255
    EMAIL = /\A[^@\s]+@[^@\s]+\z/

    module_function

    # known_attributes: the process's cache of Intercom's attribute definitions, or nil.
    # contact: the user's contact as a bulk page of GET /contacts returned it, or nil;
    # known_absent: a full read of the contacts just now did not have the user.
    # warnings collects what the rules above changed; warnings_once what is said once per
    # process (a step skipped for the model); filtered the names of the custom attributes the
    # SecretFilter dropped ("user.api_token", "team.webhook_secret").
    def build(user, config, known_attributes: nil, contact: nil, known_absent: false, now: Time.now, warnings: [],
              warnings_once: [], filtered: [])
      ModelContract.check_user!(user, config)
      teams = ModelContract.teams(user, config, :teams, warnings_once)
      owned = ModelContract.teams(user, config, :owned_teams, warnings_once)
      teams&.each { |team| ModelContract.check_team!(team, config, owned: false) }
      owned&.each { |team| ModelContract.check_team!(team, config, owned: true) }
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
        "custom_attributes" => custom_attributes(user, config.custom_attributes, config.user_custom_attributes_except,
                                                 config, warnings, filtered, "user"),
        "teams" => teams&.map { |team| member_team(team, config) },
        "owned_teams" => owned&.map { |team| owned_team(team, config, warnings, filtered) },
        "known_attributes" => known_attributes,
        "contact" => contact,
        "known_absent" => known_absent || nil,
        "options" => { "unknown_attributes" => config.unknown_attributes.to_s,
                       "create_first" => config.create_first.to_s, "lead_window" => config.lead_window.to_i }
      }.compact
    end

    def member_team(team, config)
      { "id" => identity(read(team, config.team_attributes[:id]), "team id"),
        "intercom_company_id" => metadata_of(team, config.team_attributes[:metadata])["intercom_company_id"] }
    end

    def owned_team(team, config, warnings, filtered)
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
          "custom_attributes" => custom_attributes(team, config.team_custom_attributes,
                                                   config.team_custom_attributes_except,
                                                   config, warnings, filtered, "team")
        }
      }
    end

    # Intercom keeps an integer up to 2^31-1; floats are truncated (by us, so the digest of what
    # we sent matches what Intercom holds); what is not a finite number is not sent.
    def monthly_spend(value)
      return nil unless value.is_a?(Numeric) && (!value.respond_to?(:finite?) || value.finite?)

      value.to_i.clamp(-(2**31), (2**31) - 1)
    end

    # The selection's attributes (by default the seed's rule: as_json(with_everything: true)),
    # minus the standard fields and whatever the secret filter matches, plus deleted: false.
    def custom_attributes(record, selection, except, config, warnings, filtered, prefix)
      excluded = except.map(&:to_s)
      values = selected_attributes(record, selection, except).reject { |key, _| excluded.include?(key.to_s) }
      values, dropped = config.secret_filter.apply(values)
      dropped.each { |name| filtered << "#{prefix}.#{name}" unless filtered.include?("#{prefix}.#{name}") }
      CustomAttributes.normalize(values, except: except, warnings: warnings).merge("deleted" => false)
    end

    def selected_attributes(record, selection, except)
      values = case selection
               when nil then record.respond_to?(:as_json) ? record.as_json(with_everything: true, except: except) : {}
               when Array then selection.to_h { |name| [name, record.public_send(name)] }
               else selection.call(record)
               end
      return values if values.is_a?(Hash)

      raise ContractError, "the custom attributes of #{record.class} are a #{values.class}, not a Hash " \
                           '(README "What is sent to Intercom")'
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
      MetadataColumn.read(record, attribute)
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
