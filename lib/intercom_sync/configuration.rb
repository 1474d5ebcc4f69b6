# frozen_string_literal: true

require "uri"

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
    CREATE_FIRST_CHOICES = %i[all_users recent_users never].freeze

    DAY = 86_400
    BASE_URL_FORMS = ":us, :eu, :au (or their names as strings), or an absolute URL such as " \
                     "\"https://api.intercom.io\" or \"http://127.0.0.1:4010\" (the emulator)"

    # Numbers checked when set (a wrong one used to surface at the first sync, or reach C as
    # undefined behaviour: Float::INFINITY as a deadline): setting => [accepted forms, check].
    # The bounds are the C core's (seconds up to a day; retries up to 100).
    def self.real?(value)
      value.is_a?(Numeric) && value.real? && value.finite?
    end

    def self.seconds?(value)
      real?(value) && value.positive? && value <= DAY
    end

    SECONDS = "a number of seconds above 0 and at most #{DAY}".freeze
    RETRIES = "an Integer from 0 to 100"
    NUMBER_SETTINGS = {
      timeout: [SECONDS, ->(v) { seconds?(v) }],
      connect_timeout: [SECONDS, ->(v) { seconds?(v) }],
      retry_base_delay: [SECONDS, ->(v) { seconds?(v) }],
      retry_max_delay: [SECONDS, ->(v) { seconds?(v) }],
      sync_deadline: ["#{SECONDS}, or nil for none", ->(v) { v.nil? || seconds?(v) }],
      lead_window: ["a number of seconds from 0 to #{365 * DAY} (a year)", ->(v) { real?(v) && v.between?(0, 365 * DAY) }],
      max_response_bytes: ["an Integer number of bytes from 1 to #{1 << 30} (1 GiB)",
                           ->(v) { v.is_a?(Integer) && v.between?(1, 1 << 30) }],
      max_retries: [RETRIES, ->(v) { v.is_a?(Integer) && v.between?(0, 100) }],
      rate_limit_retries: [RETRIES, ->(v) { v.is_a?(Integer) && v.between?(0, 100) }]
    }.freeze

    attr_accessor :access_token, :api_version, :ca_file, :user_attributes, :team_attributes,
                  :user_custom_attributes_except, :team_custom_attributes_except,
                  :user_class
    attr_reader :unknown_attributes, :create_first, :rate_limit, :enabled, :pace_requests, :rate_limit_redis_url,
                :release_memory_after_bulk, *NUMBER_SETTINGS.keys

    NUMBER_SETTINGS.each do |name, (forms, valid)|
      define_method(:"#{name}=") do |value|
        unless valid.call(value)
          raise ConfigurationError, "#{name} = #{value.inspect[0, 80]} is not valid: use #{forms}"
        end

        instance_variable_set(:"@#{name}", value)
      end
    end

    def initialize(env = ENV)
      @access_token = env["INTERCOM_ACCESS_TOKEN"]
      @base_url = REGIONS[:us]
      from_env = env["INTERCOM_BASE_URL"].to_s.strip
      begin
        self.base_url = from_env unless from_env.empty?
      rescue ConfigurationError => e
        # Not raised here: that would stop the app from booting over a setting its initializer
        # may still override. The sync raises it at first use instead (see #base_url).
        @base_url_error = ConfigurationError.new("INTERCOM_BASE_URL: #{e.message}")
      end
      @enabled_env = env["INTERCOM_SYNC_ENABLED"]
      @api_version = DEFAULT_API_VERSION
      @enabled = TRUE_WORDS.include?(env["INTERCOM_SYNC_ENABLED"].to_s.strip.downcase)
      @timeout = 30
      @connect_timeout = 5
      @max_response_bytes = 10 * 1024 * 1024
      @ca_file = nil
      @logger = nil
      @warned_lock = Mutex.new
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
      @create_first = :all_users
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
      # Off (nil): each process paces from Intercom's headers alone. A Redis URL: every process
      # with the same URL and workspace shares one budget (SharedBudget), so many together stay
      # inside the app's limit.
      @rate_limit_redis_url = nil
      # glibc's malloc keeps what a bulk run's threads freed mapped: give it back after the
      # process's last perform_all ends (FreeMemory). false: the host process's allocator decides.
      @release_memory_after_bulk = true
      # A whole sync gives up (TimeoutError naming the step) after this many seconds.
      @sync_deadline = 120

      # ---- app data defaults (see the app data block at the end of the class) ----
      @custom_attributes = nil      # the user's as_json, minus secrets
      @team_custom_attributes = nil # each owned team's as_json, minus secrets
      @custom_attribute_filter = nil # Rails' filter_parameters, else SecretFilter::DEFAULT_FILTERS
      @said_once = {}
      @said_once_pid = Process.pid
      @said_once_lock = Mutex.new
      @silenced_warnings = []
    end

    def rate_limit=(mode)
      @rate_limit = self.class.choice(:rate_limit, mode, %i[sleep raise])
    end

    # What to do with a custom attribute Intercom does not define yet: :create it through the
    # Data Attributes API (type inferred from the value), :skip it with a warning, or :raise
    # IntercomSync::UnknownAttributeError before anything is written.
    def unknown_attributes=(policy)
      @unknown_attributes = self.class.choice(:unknown_attributes, policy, UNKNOWN_ATTRIBUTE_POLICIES)
    end

    # Which users with no stored Intercom id are created before any lookup: :all_users (a lookup
    # could only answer 404 for a user the sync never saw), :recent_users (signed up inside
    # lead_window), or :never. A create that finds the contact exists (409) runs the lookup it
    # skipped and ends as a lookup would have: it costs one request more, never a duplicate.
    # :never suits a first sync, one user at a time, of an app whose users are mostly in Intercom
    # already without stored ids (perform_all reads contact pages instead of either).
    def create_first=(choice)
      @create_first = self.class.choice(:create_first, choice, CREATE_FIRST_CHOICES)
    end

    REDIS_SCHEMES = %w[redis rediss unix].freeze

    # A redis://, rediss:// or unix:// URL (the same Redis as Sidekiq's will do), or nil for none.
    def rate_limit_redis_url=(url)
      unless url.nil?
        scheme = URI.parse(url.to_s).scheme if url.is_a?(String)
        unless REDIS_SCHEMES.include?(scheme)
          raise ConfigurationError, "rate_limit_redis_url is not valid: use a redis://, rediss:// or unix:// URL, or nil"
        end

        SharedBudget.require_redis_client!
      end
      @rate_limit_redis_url = url
    rescue URI::InvalidURIError
      raise ConfigurationError, "rate_limit_redis_url is not valid: use a redis://, rediss:// or unix:// URL, or nil"
    end

    def pace_requests=(value)
      @pace_requests = self.class.boolean(:pace_requests, value)
    end

    def release_memory_after_bulk=(value)
      @release_memory_after_bulk = self.class.boolean(:release_memory_after_bulk, value)
    end

    def self.choice(name, value, allowed)
      symbol = value.to_sym if value.is_a?(String) || value.is_a?(Symbol)
      return symbol if allowed.include?(symbol)

      raise ConfigurationError, "#{name} = #{value.inspect[0, 80]} is not valid: use one of #{allowed.map(&:inspect).join(', ')}"
    end

    def self.boolean(name, value)
      return value if [true, false].include?(value)

      raise ConfigurationError, "#{name} = #{value.inspect[0, 80]} is not valid: use true or false"
    end

    # Any logger the app gives is wrapped so that no line reaches it with the access token in it.
    def logger=(logger)
      @logger = logger.nil? || logger.is_a?(RedactingLogger) ? logger : RedactingLogger.new(logger, self)
    end

    def logger
      @logger ||= if defined?(::Rails) && ::Rails.respond_to?(:logger) && ::Rails.logger
                    RedactingLogger.new(::Rails.logger, self)
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

    # Only true or false: `config.enabled = ENV["X"]` would make "false" enable the sync.
    def enabled=(value)
      @enabled = self.class.boolean(:enabled, value)
      @enabled_set = true
    end

    # Why the sync is off, and how to turn it on; nil when it is on.
    def inactive_reason
      no_token = access_token.to_s.empty?
      return nil if enabled? && !no_token
      return "intercom_sync has no access token: set INTERCOM_ACCESS_TOKEN (or config.access_token) to sync with Intercom" if enabled?

      how = "set INTERCOM_SYNC_ENABLED=true (or config.enabled = true) to sync with Intercom"
      why = if @enabled_set then "disabled by config.enabled = #{@enabled.inspect[0, 40]}; set config.enabled = true to sync with Intercom"
            elsif @enabled_env.to_s.strip.empty? then "disabled: INTERCOM_SYNC_ENABLED is not set; #{how}"
            else "disabled: INTERCOM_SYNC_ENABLED is #{@enabled_env.inspect[0, 40]}, not one of #{TRUE_WORDS.join(', ')}; #{how}"
            end
      "intercom_sync is #{why}#{' (and INTERCOM_ACCESS_TOKEN is not set either)' if no_token}"
    end

    # active?, and when the sync is off, the reason in the log once per process: a sync that
    # quietly does nothing looks like one that worked.
    def active_or_warn
      return true if active?

      reason = inactive_reason
      first = @warned_lock.synchronize do
        @warned != [Process.pid, reason] && (@warned = [Process.pid, reason])
      end
      logger.warn("[intercom_sync] #{reason}") if first && !silenced_warning?(:disabled, reason)
      false
    end

    # Raises the ConfigurationError of a bad INTERCOM_BASE_URL the app did not override.
    def base_url
      raise @base_url_error if @base_url_error

      @base_url
    end

    # Accepts :us, :eu, :au (or their names as strings) or an absolute http(s) URL; the C core
    # checks the rest when a client is made (plain http only to loopback, no query).
    def base_url=(value)
      @base_url = self.class.resolve_base_url(value)
      @base_url_error = nil
    end

    def self.resolve_base_url(value)
      if value.is_a?(Symbol) || value.is_a?(String)
        region = value.to_s.strip.downcase.to_sym
        return REGIONS.fetch(region) if REGIONS.key?(region)
        return value if absolute_url?(value.to_s)
      end

      hint = %( (a scheme is missing: "http://#{value}"?)) if value.is_a?(String) && value.match?(/\A[\w.-]+:\d+\z/)
      raise ConfigurationError, "base_url = #{shown_url(value)} is neither a region nor an absolute URL#{hint}: " \
                                "use #{BASE_URL_FORMS}"
    end

    def self.absolute_url?(text)
      uri = URI.parse(text)
      %w[http https].include?(uri.scheme&.downcase) && !uri.host.to_s.empty? && uri.userinfo.nil?
    rescue URI::InvalidURIError
      false
    end

    # The value for a message, without credentials a URL may carry.
    def self.shown_url(value)
      value.is_a?(String) ? value.sub(%r{//[^/@]*@}, "//[FILTERED]@").inspect[0, 120] : value.inspect[0, 120]
    end

    def enabled?
      @enabled ? true : false
    end

    # The token is left out so that logging a configuration never leaks it.
    def inspect
      "#<#{self.class.name} base_url=#{(@base_url_error ? 'invalid' : @base_url).inspect} api_version=#{api_version.inspect} " \
        "enabled=#{enabled?} access_token=#{access_token ? '[FILTERED]' : 'nil'}>"
    end

    # ---- intercom_sync app data (issue 10): settings of what is read from and sent for the app's models ----

    # The key of the workspace this configuration syncs with (its caches are kept per workspace):
    # the one key of the process, also the C core's for the shared rate-limit budget (Client
    # passes it). Computed once per token and URL.
    def workspace_key
      workspace_key_for(base_url, access_token)
    end

    # The key for a URL and token (a client's own may differ from the configuration's); the last
    # one is remembered, so the clients and syncs of one workspace compute it once.
    def workspace_key_for(url, token)
      inputs = [url, token.to_s]
      cached = @workspace_key
      return cached.last if cached && cached.first == inputs

      key = self.class.workspace_key(*inputs)
      @workspace_key = [inputs, key].freeze
      key
    end

    # The URL and 64 bits of the token's SHA-256, never the token itself: a key may be logged or
    # kept, and no token can be recovered from it (a preimage of SHA-256), while two tokens of one
    # URL still share a key only by a 2^-64 accident.
    def self.workspace_key(base_url, access_token)
      "#{base_url}|#{Digest::SHA256.hexdigest(access_token.to_s)[0, 16]}"
    end

    # Which custom attributes are sent for the user (custom_attributes) and for each owned team
    # (team_custom_attributes), README "What is sent to Intercom":
    # - nil (the default): the record's as_json(with_everything: true, except: ...);
    # - an Array of names: those, each read by calling the method of that name;
    # - a callable: called with the record, returns a Hash of name => value.
    # In every case names the secret filter matches are dropped, and the *_except lists apply.
    attr_reader :custom_attributes, :team_custom_attributes, :custom_attribute_filter

    def custom_attributes=(selection)
      @custom_attributes = self.class.attribute_selection(selection, "custom_attributes")
    end

    def team_custom_attributes=(selection)
      @team_custom_attributes = self.class.attribute_selection(selection, "team_custom_attributes")
    end

    def self.attribute_selection(selection, setting)
      return selection if selection.nil? || selection.respond_to?(:call)
      if selection.is_a?(Array) && selection.all? { |name| name.is_a?(String) || name.is_a?(Symbol) }
        return selection.map(&:to_s).freeze
      end

      raise ConfigurationError, "#{setting} must be nil (as_json, minus secrets), an Array of attribute names, or a " \
                                 "lambda taking the record and returning a Hash; got #{selection.inspect[0, 80]}"
    end

    # Names of custom attributes never sent (SecretFilter): nil for the Rails app's
    # filter_parameters (SecretFilter::DEFAULT_FILTERS without Rails), or a list of Strings,
    # Symbols (matching any name that contains them, in any case) and Regexps.
    def custom_attribute_filter=(filters)
      valid = filters.nil? || (filters.is_a?(Array) && filters.all? { |f| [String, Symbol, Regexp].include?(f.class) })
      unless valid
        raise ConfigurationError, "custom_attribute_filter must be nil (Rails' filter_parameters, else " \
                                   "#{SecretFilter::DEFAULT_FILTERS.join(', ')}) or an Array of Strings, Symbols and " \
                                   "Regexps; got #{filters.inspect[0, 80]}"
      end

      @custom_attribute_filter = filters&.dup&.freeze
    end

    # The SecretFilter in force, rebuilt when its list changes (the Rails app's may be set after
    # this gem is loaded).
    def secret_filter
      filters = SecretFilter.filters_for(custom_attribute_filter)
      cached = @secret_filter
      return cached if cached && cached.filters == filters

      @secret_filter = SecretFilter.new(filters)
    end

    # True the first time it is asked about `key` in this process (a forked child starts afresh):
    # for warnings said once per process (one configuration per process), not on every sync.
    # Past SAID_ONCE_MAX keys it is always true: a warning said again beats memory without bound.
    SAID_ONCE_MAX = 10_000

    def first_time?(key)
      @said_once_lock.synchronize do
        if @said_once_pid != Process.pid
          @said_once = {}
          @said_once_pid = Process.pid
        end
        next false if @said_once.key?(key)

        @said_once[key] = true if @said_once.size < SAID_ONCE_MAX
        true
      end
    end

    # Warnings left out of the log (Result#warnings keeps them): [] (the default: none), kinds
    # of IntercomSync::Warnings::KINDS (:standard_field, :undefined_attribute, ...; Symbols or
    # Strings), :all, or a callable taking (kind, message) that returns true to leave one out.
    attr_reader :silenced_warnings

    def silenced_warnings=(value)
      @silenced_warnings = self.class.warning_silencer(value)
    end

    def self.warning_silencer(value)
      return [] if value.nil?
      return value if value == :all || value.respond_to?(:call)

      kinds = Warnings::KINDS.keys
      chosen = value.map { |k| k.to_sym if k.is_a?(Symbol) || k.is_a?(String) } if value.is_a?(Array)
      return chosen.uniq.freeze if chosen&.all? { |k| kinds.include?(k) }

      raise ConfigurationError, "silenced_warnings = #{value.inspect[0, 80]} is not valid: use an Array of warning kinds " \
                                "(#{kinds.map(&:inspect).join(', ')}), :all, or a callable taking (kind, message)"
    end

    # Whether a warning of this kind and text is left out of the log. A callable that raises
    # silences nothing (said once): a bug in it must not hide warnings, nor fail the sync.
    def silenced_warning?(kind, message)
      silencer = @silenced_warnings
      return silencer.include?(kind) if silencer.is_a?(Array)
      return true if silencer == :all

      silencer.call(kind, message) ? true : false
    rescue StandardError => e
      if first_time?("silencer failed #{e.class}")
        logger.warn(redact("[intercom_sync] config.silenced_warnings raised #{e.class}: #{e.message}; " \
                           "warnings are logged as if it were not set"))
      end
      false
    end

    # Forgets what was said once, as a new process would (IntercomSync.clear_caches!).
    def forget_said_once!
      @said_once_lock.synchronize { @said_once.clear }
      @warned_lock.synchronize { @warned = nil }
    end

    # ---- end of the app data settings ----
  end
end
