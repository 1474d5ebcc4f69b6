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

    # How the app's user and team models name what the sync reads and writes. Apps whose
    # models differ from the seed's override single entries: config.user_attributes[:phone] = :mobile
    DEFAULT_USER_ATTRIBUTES = {
      id: :id, email: :email, name: :name, phone: :phone_number, timezone: :timezone,
      created_at: :created_at, last_request_at: :last_request_at, metadata: :metadata,
      from_oauth: :from_oauth?, teams: :teams, owned_teams: :owned_teams
    }.freeze
    DEFAULT_TEAM_ATTRIBUTES = {
      id: :id, name: :domain, created_at: :created_at, monthly_spend: :monthly_spend, metadata: :metadata
    }.freeze
    UNKNOWN_ATTRIBUTE_POLICIES = %i[create skip raise].freeze

    attr_accessor :access_token, :api_version, :enabled, :timeout, :connect_timeout,
                  :max_response_bytes, :ca_file, :user_attributes, :team_attributes,
                  :user_custom_attributes_except, :team_custom_attributes_except, :lead_window,
                  :user_class, :max_retries, :retry_base_delay, :retry_max_delay, :rate_limit_retries,
                  :pace_requests, :sync_deadline
    attr_reader :base_url, :unknown_attributes, :rate_limit
    attr_writer :logger

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
      @user_attributes = DEFAULT_USER_ATTRIBUTES.dup
      @team_attributes = DEFAULT_TEAM_ATTRIBUTES.dup
      # Never custom attributes: the seed's lists (fields sent as standard ones), plus the
      # sync's own bookkeeping (metadata), fields the sync itself writes locally (timezone,
      # updated_at: pushing them back would change Intercom on every other run), and
      # monthly_spend (a standard company field in 2.x, which no custom attribute can shadow).
      @user_custom_attributes_except = %i[name email phone_number id created_at last_request_at _type
                                          metadata timezone updated_at]
      @team_custom_attributes_except = %i[created_at id _type metadata monthly_spend updated_at]
      @unknown_attributes = :create
      @lead_window = 24 * 60 * 60
      @user_class = "User"
      # Retries of transient failures (5xx, connection, timeout, garbled bodies): capped
      # exponential backoff with jitter, from retry_base_delay up to retry_max_delay seconds.
      @max_retries = 3
      @retry_base_delay = 0.5
      @retry_max_delay = 30
      # On a 429: :sleep until the window resets and retry (rate_limit_retries times), or :raise
      # IntercomSync::RateLimitError at once (what SyncWithIntercomJob does, to reschedule).
      @rate_limit = :sleep
      @rate_limit_retries = 3
      # Space requests out once the window's budget runs low, instead of running into 429s.
      @pace_requests = true
      # A whole sync gives up (TimeoutError naming the step) after this many seconds.
      @sync_deadline = 120
    end

    def rate_limit=(mode)
      mode = mode.to_sym
      raise ArgumentError, "rate_limit must be :sleep or :raise" unless %i[sleep raise].include?(mode)

      @rate_limit = mode
    end

    # What to do with a custom attribute Intercom does not define yet: :create it through the
    # Data Attributes API (type inferred from the value), :skip it with a warning, or :raise
    # IntercomSync::UnknownAttributeError before anything is written.
    def unknown_attributes=(policy)
      policy = policy.to_sym
      unless UNKNOWN_ATTRIBUTE_POLICIES.include?(policy)
        raise ArgumentError, "unknown_attributes must be one of #{UNKNOWN_ATTRIBUTE_POLICIES.join(', ')}"
      end

      @unknown_attributes = policy
    end

    def logger
      @logger ||= if defined?(::Rails) && ::Rails.respond_to?(:logger) && ::Rails.logger
                    ::Rails.logger
                  else
                    require "logger"
                    Logger.new($stderr, level: Logger::WARN)
                  end
    end

    # text with the access token replaced by [FILTERED]: for anything we log or keep that may
    # quote Intercom's answers or the app's data. A text cut short (the core cuts messages and
    # warnings) may end in the token's first characters: 4 or more of them are replaced too.
    def redact(text)
      token = access_token.to_s
      return text.to_s if token.length < 4

      redacted = text.to_s.gsub(token, "[FILTERED]")
      cut = (token.length - 1).downto(4).find { |n| redacted.end_with?(token[0, n]) }
      cut ? "#{redacted[0...-cut]}[FILTERED]" : redacted
    end

    # True when the sync should run: enabled and a token configured.
    def active?
      enabled? && !access_token.to_s.empty?
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
