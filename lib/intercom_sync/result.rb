# frozen_string_literal: true

module IntercomSync
  # What one sync did (or, for a dry run, would do). filtered_attributes names the custom
  # attributes left out as secrets ("user.api_token", "team.webhook_secret"), never their values.
  # requests counts every request that went out, retries those that repeated one after a
  # transient failure.
  class Result
    FIELDS = %w[contact_id fields_pushed fields_pulled companies_upserted companies_attached companies_detached
                leads_merged requests retries warnings planned filtered_attributes].freeze
    FIELDS.each { |field| define_method(field) { @raw[field] } }

    def initialize(raw)
      @raw = raw
    end

    # The IANA zone Intercom reported for the contact, if any (saved on the user when valid).
    def timezone
      @raw["remote_timezone"]
    end

    # A dry run's contact as it read it, before any of the planned writes (a Hash with Intercom's
    # current values; nil when the user has no contact yet, and always nil for a real sync).
    def contact
      @raw["contact"]
    end

    def created?
      @raw["created"] ? true : false
    end

    def dry_run?
      @raw["dry_run"] ? true : false
    end

    # True when this sync learned the contact's id and saved it on the user.
    def contact_id_stored?
      !dry_run? && @raw.dig("user", "intercom_user_id") ? true : false
    end

    # True when anything was written on either side.
    def changed?
      created? || [fields_pushed, fields_pulled, companies_upserted, companies_attached,
                   companies_detached, leads_merged].any?(&:any?)
    end

    def to_h
      { contact_id: contact_id, created: created?, fields_pushed: fields_pushed, fields_pulled: fields_pulled,
        companies_upserted: companies_upserted, companies_attached: companies_attached,
        companies_detached: companies_detached, leads_merged: leads_merged, requests: requests, retries: retries,
        warnings: warnings, filtered_attributes: filtered_attributes, dry_run: dry_run? }
    end

    def inspect
      "#<#{self.class.name} #{to_h.map { |k, v| "#{k}=#{v.inspect}" }.join(' ')}>"
    end
  end
end
