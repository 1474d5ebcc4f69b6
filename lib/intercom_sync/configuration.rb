# frozen_string_literal: true

module IntercomSync
  # Settings shared by every client and sync in the process. Defaults come from ENV so that a
  # deployed app needs no initializer; an initializer overrides them with IntercomSync.configure.
  class Configuration
    REGIONS = {
      us: "https://api.intercom.io",
      eu: "https://api.eu.intercom.io",
      au: "https://api.au.intercom.io"
    }.freeze
    DEFAULT_API_VERSION = "2.16"
    TRUE_WORDS = %w[true 1 yes].freeze

    attr_accessor :access_token, :api_version, :enabled, :timeout, :connect_timeout,
                  :max_response_bytes, :ca_file, :logger
    attr_reader :base_url

    def initialize(env = ENV)
      @access_token = env["INTERCOM_ACCESS_TOKEN"]
      self.base_url = env["INTERCOM_BASE_URL"] || :us
      @api_version = DEFAULT_API_VERSION
      @enabled = TRUE_WORDS.include?(env["INTERCOM_SYNC_ENABLED"].to_s.strip.downcase)
      @timeout = 30
      @connect_timeout = 5
      @max_response_bytes = 10 * 1024 * 1024
      @ca_file = nil
      @logger = nil
    end

    # Accepts :us, :eu, :au (or their names as strings) or any absolute URL.
    def base_url=(value)
      @base_url = self.class.resolve_base_url(value)
    end

    def self.resolve_base_url(value)
      region = value.to_s.strip.downcase.to_sym
      return REGIONS.fetch(region) if REGIONS.key?(region)

      value.to_s
    end

    def enabled?
      @enabled ? true : false
    end

    # The token is left out so that logging a configuration never leaks it.
    def inspect
      "#<#{self.class.name} base_url=#{base_url.inspect} api_version=#{api_version.inspect} " \
        "enabled=#{enabled?} access_token=#{access_token ? '[FILTERED]' : 'nil'}>"
    end
  end
end
