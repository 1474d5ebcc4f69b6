# frozen_string_literal: true

module IntercomSync
  # What one sync did (or, for a dry run, would do).
  class Result
    attr_reader :contact_id, :fields_pushed, :fields_pulled, :companies_upserted, :companies_attached,
                :companies_detached, :leads_merged, :requests, :warnings, :planned, :timezone

    def initialize(raw)
      @raw = raw
      @contact_id = raw["contact_id"]
      @created = raw["created"]
      @dry_run = raw["dry_run"]
      @fields_pushed = raw["fields_pushed"]
      @fields_pulled = raw["fields_pulled"]
      @companies_upserted = raw["companies_upserted"]
      @companies_attached = raw["companies_attached"]
      @companies_detached = raw["companies_detached"]
      @leads_merged = raw["leads_merged"]
      @requests = raw["requests"]
      @warnings = raw["warnings"]
      @planned = raw["planned"]
      @timezone = raw["remote_timezone"]
    end

    def created?
      @created
    end

    def dry_run?
      @dry_run
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
        companies_detached: companies_detached, leads_merged: leads_merged, requests: requests,
        warnings: warnings, dry_run: dry_run? }
    end

    def inspect
      "#<#{self.class.name} #{to_h.map { |k, v| "#{k}=#{v.inspect}" }.join(' ')}>"
    end
  end
end
