# frozen_string_literal: true

module IntercomSync
  # The app's model lacks a method the README's "Model contract" requires, or has it in a form
  # the sync cannot use. Raised before any request; permanent (a ConfigurationError), since
  # retrying the same model cannot help.
  class ContractError < ConfigurationError; end

  # What the sync needs of the app's user and team models (README: "Model contract"), checked
  # before the first request, so that a model that lacks something fails before anything is
  # written on either side, never half way through.
  #
  # Required: the fields named in config.user_attributes (id, email, name, phone, timezone,
  # created_at, last_request_at; an app whose model has no such field maps it to nil, and it is
  # then neither sent nor saved) and, for owned teams, config.team_attributes; on every record
  # the sync writes, metadata (it keeps Intercom's ids, see MetadataColumn) and update! (or
  # update); the names of an allow-list (config.custom_attributes, team_custom_attributes).
  # Optional: teams and owned_teams (without them that step is skipped, with one warning per
  # process and model, and nothing is attached, detached or upserted), as_json (no custom
  # attributes without it) and from_oauth? (false without it).
  module ModelContract
    SECTION = 'README "Model contract"'

    # What the sync does with each user attribute (for the messages) and whether it saves
    # values into it.
    USER_FIELDS = {
      email: ["sends it as the contact's email", false],
      name: ["sends it, and saves Intercom's when the user has none", true],
      phone: ["sends it, and saves Intercom's when the user has none", true],
      timezone: ["saves the time zone Intercom reports in it", true],
      created_at: ["sends it as signed_up_at", false],
      last_request_at: ["sends it as last_seen_at, and saves the later of ours and Intercom's", true]
    }.freeze
    OWNED_TEAM_FIELDS = {
      name: "sends it as the company's name",
      created_at: "sends it as the company's remote_created_at",
      monthly_spend: "sends it as the company's monthly_spend"
    }.freeze
    SKIPPED = {
      teams: "company membership is not synced (no company is attached or detached)",
      owned_teams: "owned teams are not synced as companies"
    }.freeze
    # :phone= for :phone, made once per name (a sync checks a dozen on every run)
    WRITERS = Hash.new { |cache, name| cache[name] = :"#{name}=" }

    module_function

    def check_user!(user, config)
      raise InvalidInputError, "the user is nil" if user.nil? # no model to hold to a contract: bad data

      a = config.user_attributes
      require_method!(user, a[:id], [:user_attributes, :id], "uses it as the contact's external_id", optional: false)
      USER_FIELDS.each do |key, (use, written)|
        require_method!(user, a[key], [:user_attributes, key], use, writable: written)
      end
      check_record!(user, a[:metadata], [:user_attributes, :metadata])
      check_selection!(user, config.custom_attributes, :custom_attributes)
    end

    # A team the user belongs to (owned: false) or owns.
    def check_team!(team, config, owned:)
      t = config.team_attributes
      require_method!(team, t[:id], [:team_attributes, :id], "uses it as the company's company_id", optional: false)
      check_record!(team, t[:metadata], [:team_attributes, :metadata])
      return unless owned

      OWNED_TEAM_FIELDS.each { |key, use| require_method!(team, t[key], [:team_attributes, key], use) }
      check_selection!(team, config.team_custom_attributes, :team_custom_attributes)
    end

    # The user's teams or owned teams (key :teams or :owned_teams), or nil when the step is
    # skipped: the app mapped it to nil, or the model has no such method (which is said once
    # per process and model in `warnings_once`, never read as "no teams": that would detach
    # every company of the contact).
    def teams(user, config, key, warnings_once)
      method = config.user_attributes[key]
      return nil if method.nil?
      return Array(user.public_send(method)) if user.respond_to?(method)

      warnings_once << "#{user.class} has no `#{method}`: #{SKIPPED[key]} (#{SECTION}; map another method with " \
                       "config.user_attributes[:#{key}], or to nil to skip this step without a warning)"
      nil
    end

    # The metadata attribute and a way to save: what every record the sync writes needs.
    def check_record!(record, metadata, setting)
      require_method!(record, metadata, setting, "keeps Intercom's ids in it", optional: false, writable: true)
      MetadataColumn.format(record, metadata)
      return if record.respond_to?(:update!) || record.respond_to?(:update)

      raise ContractError, "#{record.class} has no `update!` (nor `update`): the sync saves what it learns " \
                           "from Intercom with it (#{SECTION})"
    end

    # An allow-list of names must name methods the record has.
    def check_selection!(record, selection, setting)
      return unless selection.is_a?(Array)

      selection.each { |name| require_method!(record, name, setting, "sends it as a custom attribute") }
    end

    # `method` must exist on the record, and its writer too when the sync saves into it. A nil
    # method is the app saying its model has no such field: fine where the field is optional.
    # setting: the configuration that names the method, [:user_attributes, :phone] or
    # :custom_attributes (an allow-list), for the message.
    def require_method!(record, method, setting, use, optional: true, writable: false)
      if method.nil?
        return if optional

        raise ContractError, "#{setting_name(setting)} is nil, but the sync #{use} (#{SECTION})"
      end
      missing = [method, (WRITERS[method] if writable)].find { |m| m && !record.respond_to?(m) }
      return unless missing

      hint = if setting.is_a?(Symbol)
               "or remove it from #{setting_name(setting)}"
             else
               "map another method with #{setting_name(setting)} = :a_method" \
                 "#{', or to nil if the model has none' if optional}"
             end
      raise ContractError, "#{record.class} has no `#{missing}`: the sync #{use} (#{SECTION}); #{hint}"
    end

    def setting_name(setting)
      setting.is_a?(Symbol) ? "config.#{setting}" : "config.#{setting[0]}[:#{setting[1]}]"
    end
  end
end
