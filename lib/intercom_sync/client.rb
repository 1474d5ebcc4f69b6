# frozen_string_literal: true

module IntercomSync
  # What Intercom said about the rate-limit window in a response's X-RateLimit-* headers.
  RateLimit = Struct.new(:limit, :remaining, :reset_at)

  # A decoded 2xx response. Error statuses raise instead (see IntercomSync::HTTPError).
  Response = Struct.new(:status, :body, :request_id, :rate_limit, keyword_init: true)

  # A page of GET /contacts as the core reads it for a bulk sync (Client#contact_page):
  # total_count (nil when the page gave none), next_cursor (nil on the last page), listed (the
  # entries in its data), and contacts: { external_id => the contact's JSON text }, the users'
  # contacts only (no lead, none without an id), each handed to the engine as it is.
  ContactPage = Struct.new(:total_count, :next_cursor, :listed, :contacts)

  # An HTTP client for the Intercom REST API. The C core does the work over one persistent
  # libcurl handle: connections are reused, TLS is always verified, the GVL is released while
  # waiting, and failures raise IntercomSync::Error subclasses.
  #
  # One client per thread: a client used by two threads at once raises BusyError.
  class Client
    attr_reader :base_url, :api_version

    def self.open(**options)
      client = new(**options)
      return client unless block_given?

      begin
        yield client
      ensure
        client.close
      end
    end

    # Retries and pacing default to the configuration's; rate_limit: :raise makes a 429 raise
    # RateLimitError at once instead of waiting for the window to reset.
    def initialize(access_token: nil, base_url: nil, api_version: nil, timeout: nil,
                   connect_timeout: nil, max_response_bytes: nil, ca_file: nil, max_retries: nil,
                   rate_limit: nil, pace: nil, config: IntercomSync.configuration)
      access_token ||= config.access_token
      if access_token.nil? || access_token.to_s.empty?
        raise ConfigurationError, "no Intercom access token (set INTERCOM_ACCESS_TOKEN or config.access_token)"
      end

      @base_url = Configuration.resolve_base_url(base_url || config.base_url)
      @api_version = (api_version || config.api_version).to_s
      setup(
        base_url: @base_url,
        access_token: access_token.to_s,
        workspace_key: config.workspace_key_for(@base_url, access_token),
        api_version: @api_version,
        user_agent: "intercom_sync/#{VERSION} (libcurl/#{Native::LIBCURL_VERSION}; ruby/#{RUBY_VERSION})",
        timeout: timeout || config.timeout,
        connect_timeout: connect_timeout || config.connect_timeout,
        max_response_bytes: max_response_bytes || config.max_response_bytes,
        ca_file: ca_file || config.ca_file,
        max_retries: max_retries || config.max_retries,
        retry_base_delay: config.retry_base_delay,
        retry_max_delay: config.retry_max_delay,
        rate_limit_retries: config.rate_limit_retries,
        raise_on_rate_limit: (rate_limit || config.rate_limit).to_sym == :raise,
        pace: pace.nil? ? config.pace_requests : pace
      )
      share_budget(config, access_token, pace.nil? ? config.pace_requests : pace,
                   (timeout || config.timeout) + (connect_timeout || config.connect_timeout))
    end

    # Closes the connections: libcurl's, and the shared budget's to Redis.
    def close
      close_handles # (raises BusyError while a request runs: Redis stays open for it)
      @shared_budget&.close
    end

    def get(path)
      request("GET", path)
    end

    def post(path, body = {})
      request("POST", path, body)
    end

    def put(path, body = {})
      request("PUT", path, body)
    end

    def delete(path)
      request("DELETE", path)
    end

    # Sends one request; body (a Hash or Array) is encoded as JSON by the C core.
    def request(method, path, body = nil)
      status, data, request_id, rate_limit = instrumented { perform(method.to_s.upcase, path.to_s, body) }
      Response.new(status: status, body: data, request_id: request_id,
                   rate_limit: rate_limit && RateLimit.new(*rate_limit))
    end

    # GETs path, a page of GET /contacts, and returns it as a ContactPage: read by the core, so
    # a page of 150 contacts costs about 150 Strings rather than a tree of 5,000 objects.
    # Raises ParseError when the answer is no contact list.
    def contact_page(path)
      ContactPage.new(*instrumented { read_contact_page(path.to_s) })
    end

    # The rate-limit budget shared with the app's other processes, when configured and pacing;
    # a reservation is held at most for the request's own timeouts (and a margin).
    def share_budget(config, access_token, pace, request_seconds)
      return unless pace && config.rate_limit_redis_url

      @shared_budget = SharedBudget.new(url: config.rate_limit_redis_url, hold_seconds: request_seconds,
                                        workspace_key: config.workspace_key_for(@base_url, access_token),
                                        logger: config.logger)
      self.shared_budget = @shared_budget
    end
    private :share_budget

    def instrumented(&block)
      IntercomSync.base_url_guard&.call(base_url)
      Instrumentation.requests(self, &block)
    end
    private :instrumented

    def inspect
      "#<#{self.class.name} base_url=#{base_url.inspect} api_version=#{api_version.inspect}#{' closed' if closed?}>"
    end
  end
end
