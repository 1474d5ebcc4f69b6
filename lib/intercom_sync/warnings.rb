# frozen_string_literal: true

module IntercomSync
  # The warnings a sync logs, sorted into kinds that config.silenced_warnings can name:
  #
  # - about the app's setup or the workspace (scope :process): the same for every user, so each
  #   distinct text is logged once per process ("'name' is a standard Intercom company field, not
  #   a custom attribute; not sent" would otherwise come with every sync of a team owner);
  # - about one user's data (scope :user): logged with each sync, naming the user.
  #
  # Result#warnings keeps every warning of its sync whatever is logged.
  #
  # The core's warnings reach Ruby as text (ext/intercom_sync/isync_*.c, warn()); they are
  # sorted by their wording here, and spec/sync/warnings_spec.rb holds one text of each kind.
  # A text no pattern knows is :other and logged with every sync.
  module Warnings
    # kind => [pattern, scope]; the patterns are tried in order.
    KINDS = {
      standard_field: [/\A'.*' is a standard Intercom \w+ field, not a custom attribute/, :process],
      attribute_type: [/\Acustom attribute '.*' is a \S+ in Intercom; this value cannot be stored/, :process],
      undefined_attribute: [/\Acustom \w+ attribute '.*' is not defined in Intercom/, :process],
      too_many_attributes: [/\AIntercom listed more than \d+ \w+ data attributes/, :process],
      attribute_name: [/\Acustom attribute ".*" (has no usable name|collides with)/, :process],
      secret_attributes: [/\Anot sent to Intercom, as their names look like secrets/, :process],
      model_contract: [/\A\S+ has no `\w+[?!]?`: /, :process],
      disabled: [/\Aintercom_sync (is disabled|has no access token)/, :process],
      text_cut: [/ was cut to \d+ characters\z/, :user],
      invalid_email: [/\Athe email is not a valid address/, :user],
      company_ignored: [/\AIntercom listed a company of the contact with/, :user],
      contact_mismatch: [/\A(the prefetched contact is not this user's|stored Intercom id .* belongs to another contact)/, :user],
      lead_not_merged: [/\A(Intercom found a lead with|more than \d+ leads share|lead .* was not merged)/, :user],
      other: [//, :user]
    }.freeze

    module_function

    def kind_of(text)
      KINDS.find { |_, (pattern, _)| pattern.match?(text) }.first
    end

    # Logs one warning (already redacted) unless it is silenced or, for a warning about the
    # setup, was logged before in this process. user_id: the user a sync was for (nil: none).
    def log(config, text, user_id: nil)
      kind = kind_of(text)
      return if config.silenced_warning?(kind, text)

      if KINDS.fetch(kind).last == :process
        config.logger.warn("[intercom_sync] #{text}") if config.first_time?("warning #{text}")
      else
        config.logger.warn("[intercom_sync] #{"user #{user_id}: " if user_id}#{text}")
      end
    end
  end
end
