# frozen_string_literal: true

require "json"
require "monitor"
require "uri"
require_relative "emulator/http_server"
require_relative "emulator/store"
require_relative "emulator/store_params"
require_relative "emulator/search"
require_relative "emulator/faults"
require_relative "emulator/rate_limiter"
require_relative "emulator/tls"
require_relative "emulator/api"
require_relative "emulator/workspace_seed"

module IntercomSync
  # A stateful Intercom REST API (2.x) on 127.0.0.1, for testing apps and this gem without a
  # network. libcurl does not go through WebMock or VCR, so tests talk to a real server.
  #
  #   emulator = IntercomSync::Emulator.start
  #   IntercomSync.configure { |c| c.base_url = emulator.base_url; c.access_token = emulator.token }
  #   ... run the code under test ...
  #   emulator.requests        # what was sent, in order
  #   emulator.contacts        # the workspace afterwards
  #   emulator.inject(:status, status: 503, path: "/contacts", times: 1)
  #   emulator.stop
  #
  # It is pure Ruby and needs no native code, so it can be required on its own.
  class Emulator
    DEFAULT_TOKEN = "emulator-token"
    # Intercom's default private-app budget: 10,000 calls a minute, spread over 10 s windows.
    DEFAULT_RATE_LIMIT = 1666
    # The Intercom-Version assumed for a request that sends none.
    DEFAULT_API_VERSION = "2.16"

    LoggedRequest = Struct.new(:method, :path, :query, :headers, :body, :json, :status, :connection_id,
                               keyword_init: true)

    attr_reader :store, :faults, :rate_limiter, :token
    attr_accessor :default_api_version, :search_lag

    # Starts an emulator; with a block, yields it and stops it afterwards.
    def self.start(**options)
      emulator = new(**options).start
      return emulator unless block_given?

      begin
        yield emulator
      ensure
        emulator.stop
      end
    end

    # tls: an Emulator::TLS::Bundle to serve https (see Emulator::TLS.generate).
    # search_lag: seconds before a new contact shows up in search, as Intercom's index lags.
    # rtt, handshake_rtts: a simulated network (see HTTPServer), for benchmarks.
    def initialize(port: 0, token: DEFAULT_TOKEN, tokens: nil, rate_limit: DEFAULT_RATE_LIMIT,
                   rate_limit_window: 10, tls: nil, host_name: nil, default_api_version: DEFAULT_API_VERSION,
                   search_lag: 0, rtt: 0, handshake_rtts: 1)
      @token = token
      @tokens = Array(tokens || token)
      @tls = tls
      @host_name = host_name || (tls ? "localhost" : "127.0.0.1")
      @default_api_version = default_api_version
      @search_lag = search_lag
      @lock = Monitor.new
      @store = Store.new
      @faults = Faults.new
      @rate_limiter = RateLimiter.new(limit: rate_limit, window: rate_limit_window)
      @log = []
      @log_lock = Mutex.new
      @server = HTTPServer.new(API.new(self), port: port, ssl_context: tls&.ssl_context, rtt: rtt,
                                                 handshake_rtts: handshake_rtts)
    end

    def start
      @server.start
      self
    end

    def stop
      @server.stop
    end

    # Serves until one of the signals arrives, then stops the server and returns the signal's
    # name ("INT"), for a process that runs the emulator in the foreground (exe/intercom-emulator,
    # rake intercom_sync:emulator). The handlers only write to a pipe that this thread waits on:
    # stopping takes locks, which Ruby refuses inside a trap ("can't be called from trap context").
    def serve_until_signal(signals = %w[INT TERM])
      reader, writer = IO.pipe
      previous = signals.to_h do |signal|
        [signal, trap(signal) { writer.write_nonblock("#{signal}\n", exception: false) }]
      end
      reader.gets.chomp
    ensure
      previous&.each { |signal, handler| trap(signal, handler || "DEFAULT") }
      stop
      [reader, writer].each { |io| io&.close }
    end

    def port
      @server.port
    end

    def base_url
      "#{@tls ? 'https' : 'http'}://#{@host_name}:#{port}"
    end

    def token?(candidate)
      @tokens.include?(candidate)
    end

    def rate_limit=(limit)
      @rate_limiter.limit = limit
    end

    # Counts for tools that run the emulator in another process (GET /__emulator/stats; README
    # "The Intercom emulator"): requests received (the API's, not the stats calls), TCP
    # connections accepted (every client's, a monitor's too), answers that were 429s, and the
    # contacts and companies in the workspace.
    # routes: true adds "routes", the requests by method and path template
    # ("PUT /contacts/{id}" => 10), for a benchmark that tells pages from writes
    # (GET /__emulator/stats?routes=1).
    def stats(routes: false)
      log = requests
      counts = { "requests" => log.size, "connections" => connections_opened,
                 "rate_limited" => log.count { |r| r.status == 429 },
                 "contacts" => @store.contact_count, "companies" => @store.company_count }
      counts["routes"] = log.map { |r| "#{r.method} #{route_template(r.path)}" }.tally if routes
      counts
    end

    # New TCP connections accepted since start: a keep-alive client opens one.
    def connections_opened
      @server.connections_opened
    end

    # Runs the block holding the workspace lock (the API holds it for each request).
    def synchronize(&block)
      @lock.synchronize(&block)
    end

    # ------------------------------------------------------------------ faults and the log

    def inject(kind, **options)
      @faults.add(kind, **options)
    end

    def clear_faults!
      @faults.clear
    end

    # Every request received, oldest first. Statuses are Integers, or the fault mode
    # (:reset, :truncate, ...) when a fault replaced the answer.
    def requests
      @log_lock.synchronize { @log.dup }
    end

    def clear_requests!
      @log_lock.synchronize { @log.clear }
    end

    def log_request(request, status)
      json = begin
        JSON.parse(request.body) unless request.body.empty?
      rescue JSON::ParserError, EncodingError
        nil
      end
      entry = LoggedRequest.new(method: request.method, path: request.path, query: request.query,
                                headers: request.headers, body: request.body, json: json,
                                status: status, connection_id: request.connection_id)
      @log_lock.synchronize { @log << entry }
    end

    # Forgets the workspace, the log, faults and rate-limit counts.
    def reset!
      synchronize { @store.reset! }
      clear_requests!
      clear_faults!
      @rate_limiter.reset!
    end

    # ------------------------------------------------------------------ inspecting the workspace

    def contacts
      synchronize { deep_copy(@store.all_contacts) }
    end

    def contact(id)
      contacts.find { |c| c["id"] == id }
    end

    def contact_by_external_id(external_id)
      contacts.find { |c| c["external_id"] == external_id.to_s && c["role"] == "user" }
    end

    def companies
      synchronize { deep_copy(@store.all_companies) }
    end

    def company_by_company_id(company_id)
      companies.find { |c| c["company_id"] == company_id.to_s }
    end

    # Intercom ids of the companies a contact is attached to, in attach order.
    def company_ids_of(contact_id)
      synchronize { @store.company_ids_of(contact_id).dup }
    end

    def data_attributes(model = nil)
      synchronize { deep_copy(@store.data_attributes(model&.to_s)) }
    end

    # ------------------------------------------------------------------ seeding

    # Loads a workspace from JSON Lines (see WorkspaceSeed), straight into the store: no
    # request, no rate limit, not in the log. Returns the counts loaded.
    def load_workspace(io)
      synchronize { WorkspaceSeed.new(@store).load(io) }
    end

    # Creates a contact directly (no request, no rate limit). Accepts the API's fields plus
    # timezone: (reported as location.timezone) and archived:.
    def seed_contact(timezone: nil, archived: false, **attrs)
      synchronize do
        attrs = stringify(attrs)
        custom = attrs["custom_attributes"] || {}
        custom.each_key { |name| ensure_attribute("contact", name, custom[name]) }
        contact = @store.create_contact(attrs)
        contact["location"]["timezone"] = timezone if timezone
        @store.archive(contact["id"]) if archived
        deep_copy(contact)
      end
    end

    def seed_company(**attrs)
      synchronize do
        attrs = stringify(attrs)
        (attrs["custom_attributes"] || {}).each { |name, value| ensure_attribute("company", name, value) }
        deep_copy(@store.upsert_company(attrs))
      end
    end

    def attach(contact_id, company_id)
      synchronize { @store.attach(contact_id, { "id" => company_id }) }
      nil
    end

    def define_attribute(model, name, data_type)
      synchronize do
        deep_copy(@store.create_data_attribute("model" => model.to_s, "name" => name.to_s, "data_type" => data_type.to_s))
      end
    end

    def merge(from_id, into_id)
      synchronize { @store.merge({ "from" => from_id, "into" => into_id, "skip_duplicate_validation" => true }) }
      nil
    end

    private

    def route_template(path)
      path.sub(%r{/find_by_external_id/[^/]+\z}, "/find_by_external_id/{external_id}")
          .gsub(%r{/(?:contacts|companies)/\K[^/]+}) { |segment| %w[search merge find_by_external_id].include?(segment) ? segment : "{id}" }
    end

    def ensure_attribute(model, name, value)
      return if @store.attribute_type(model, name)

      type = case value
             when Integer then "integer"
             when Float then "float"
             when true, false then "boolean"
             else "string"
             end
      @store.create_data_attribute("model" => model, "name" => name, "data_type" => type)
    end

    def stringify(hash)
      hash.to_h { |k, v| [k.to_s, v.is_a?(Hash) ? stringify(v) : v] }
    end

    def deep_copy(obj)
      Marshal.load(Marshal.dump(obj))
    end
  end
end
