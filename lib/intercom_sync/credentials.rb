# frozen_string_literal: true

module IntercomSync
  # Settings from the app's encrypted credentials (`bin/rails credentials:edit`):
  #
  #   intercom:
  #     access_token: dG9rOm...
  #     enabled: true
  #     base_url: eu
  #
  # Any Configuration setting may be there, under its own name. A variable of the environment
  # (INTERCOM_ACCESS_TOKEN, INTERCOM_BASE_URL, INTERCOM_SYNC_ENABLED) wins over its entry, so a
  # host can override what the app ships; an initializer wins over both. Keys that are not
  # settings (the Messenger's app_id, say, kept beside the token) are left alone.
  module Credentials
    ENV_NAMES = { access_token: "INTERCOM_ACCESS_TOKEN", base_url: "INTERCOM_BASE_URL",
                  enabled: "INTERCOM_SYNC_ENABLED" }.freeze
    # Objects, not values a credentials file can hold.
    NOT_SETTINGS = %i[logger].freeze

    module_function

    # Applies `settings` (a Hash, or nil when the app has no intercom: entry) to `configuration`;
    # returns the keys applied. A value a setting refuses raises ConfigurationError naming the key.
    def apply(configuration, settings, env: ENV)
      return [] if settings.nil?
      unless settings.is_a?(Hash)
        raise ConfigurationError, "Rails.application.credentials.intercom must be a mapping of settings " \
                                  "(access_token: ..., enabled: true), not #{settings.class}"
      end

      settings.each_with_object([]) do |(key, value), applied|
        name = key.to_sym
        next unless setting?(configuration, name)
        next if ENV_NAMES.key?(name) && !env[ENV_NAMES[name]].to_s.strip.empty?

        assign(configuration, name, value)
        applied << name
      end
    end

    def setting?(configuration, name)
      !NOT_SETTINGS.include?(name) && configuration.respond_to?(:"#{name}=")
    end

    # A Hash setting (user_attributes: { phone: mobile }) is merged into the default mapping.
    def assign(configuration, name, value)
      current = configuration.public_send(name) if configuration.respond_to?(name)
      value = current.merge(value.to_h { |k, v| [k.to_sym, v.is_a?(String) ? v.to_sym : v] }) if current.is_a?(Hash) && value.is_a?(Hash)
      configuration.public_send(:"#{name}=", value)
    rescue ConfigurationError => e
      raise ConfigurationError, "Rails.application.credentials.intercom[:#{name}]: #{e.message}"
    end
  end
end
