# frozen_string_literal: true

module IntercomSync
  # One sync of one user: snapshot -> C core (plan, requests, reconciliation) -> local updates.
  module Sync
    module_function

    # Seconds a sync waits for another that is reading the attribute definitions: about their
    # two requests, paced or retried; past it, the sync reads them too.
    DEFINITIONS_WAIT = 10

    # rate_limit: overrides config.rate_limit (the job passes :raise).
    # contact: the user's contact from a bulk read (Bulk's prefetch), used instead of a lookup;
    # known_absent: that read covered every contact and lacked the user (create without lookup).
    def run(user, config:, dry_run: false, rate_limit: nil, contact: nil, known_absent: false)
      return nil unless config.active_or_warn

      raw, error = Instrumentation.sync(user, config, dry_run) do
        attempt(user, config, dry_run, rate_limit || config.rate_limit, contact, known_absent)
      end
      raise error if error

      Result.new(raw)
    end

    # The sync itself: [result Hash, error or nil]. The result is there even when the sync
    # failed part way (the ids it learned are saved before the error is raised).
    def attempt(user, config, dry_run, rate_limit, contact, known_absent)
      client = IntercomSync.thread_client(config, rate_limit: rate_limit)
      workspace = config.workspace_key
      # (no database connection is held while waiting for another sync to read the definitions)
      known = IntercomSync.attribute_cache.fetch_or_wait(workspace, wait: DEFINITIONS_WAIT)
      input_warnings = []
      warnings_once = []
      filtered = []
      # the reads (the user's teams, the app's as_json) on a connection returned before the requests
      snapshot = Database.with_connection(user.class) do
        Snapshot.build(user, config, known_attributes: known,
                                     contact: contact, known_absent: known_absent,
                                     warnings: input_warnings, warnings_once: warnings_once, filtered: filtered)
      end
      say_once(config, warnings_once, filtered)
      raw, error = Instrumentation.requests(client) do
        Native.sync(client, Native.generate_json(snapshot), dry_run, config.sync_deadline)
      end
      if raw
        raw["warnings"] = (input_warnings + raw["warnings"]).map { |w| config.redact(w) }
        IntercomSync.attribute_cache.learn(workspace, raw["attributes"])
        raw["warnings"].each { |warning| Warnings.log(config, warning, user_id: snapshot["external_id"]) }
        raw["warnings"] = warnings_once.map { |w| config.redact(w) } + raw["warnings"]
        raw["filtered_attributes"] = filtered
        timezone_saved = !dry_run && LocalUpdates.new(user, raw, config).apply(ids_only: !error.nil?)
        raw["fields_pulled"] = raw["fields_pulled"].select { |field| pulled?(field, config) }
        raw["fields_pulled"] += ["timezone"] if timezone_saved
      end
      [raw, error]
    ensure
      IntercomSync.attribute_cache.done_reading(workspace, synced: !raw.nil? && error.nil?) if workspace && known.nil?
    end

    # Warnings about the model and the secrets left out are logged the first time only: they
    # hold for every sync of the process (Warnings: :model_contract, :secret_attributes).
    def say_once(config, warnings_once, filtered)
      warnings_once.each { |w| Warnings.log(config, w) }
      fresh = filtered.select { |name| config.first_time?("filtered #{name}") }
      return if fresh.empty?

      Warnings.log(config, "not sent to Intercom, as their names look like secrets " \
                           "(README \"What is sent to Intercom\"): #{fresh.join(', ')}")
    end

    # A field pulled from Intercom that the app mapped to nil was not saved.
    def pulled?(field, config)
      !config.user_attributes.key?(field.to_sym) || !config.user_attributes[field.to_sym].nil?
    end
  end

  class << self
    # Definitions of custom attributes, shared by all threads of the process.
    def attribute_cache
      @attribute_cache
    end

    # A client for the current thread (clients are not shared between threads), reused across
    # syncs so connections stay open.
    def thread_client(config = configuration, rate_limit: config.rate_limit)
      key = [config.base_url, config.access_token, config.api_version, config.timeout, config.connect_timeout,
             config.max_response_bytes, config.ca_file, config.max_retries, config.retry_base_delay,
             config.retry_max_delay, config.rate_limit_retries, config.pace_requests, rate_limit]
      clients = (Thread.current[:intercom_sync_clients] ||= {})
      IntercomSync.base_url_guard&.call(config.base_url)
      client = clients[key]
      return client if client && !client.closed?

      # at most one client per rate-limit mode and thread; a changed configuration replaces it
      stale = clients.select { |k, _| k.last == rate_limit }
      stale.each_value(&:close)
      stale.each_key { |k| clients.delete(k) }
      clients[key] = Client.new(config: config, rate_limit: rate_limit)
    end

    # Closes the current thread's clients (a pooled worker that ends: WorkerPool).
    def close_thread_clients
      clients = Thread.current[:intercom_sync_clients]
      return unless clients

      clients.each_value(&:close)
      clients.clear
    end
  end
  @attribute_cache = AttributeCache.new
end

# The entry point the app's job calls (the seed's SyncWithIntercomJob#perform, rebuilt).
module SyncWithIntercom
  module_function

  # Syncs the user, their teams and owned teams with Intercom. Returns an IntercomSync::Result,
  # or nil (and sends nothing) when the sync is disabled or no token is configured.
  #
  # rate_limit: :sleep waits for the window to reset on a 429, :raise raises
  # IntercomSync::RateLimitError (default: IntercomSync.configuration.rate_limit).
  def perform(user, rate_limit: nil)
    IntercomSync::Sync.run(user, config: IntercomSync.configuration, rate_limit: rate_limit)
  end

  # Syncs many users at once (see IntercomSync::Bulk): `concurrency` threads inside the shared
  # rate-limit budget. Yields each IntercomSync::Bulk::Outcome (user, result, error) as it
  # completes, for progress bars; returns a Bulk::Report with every outcome (collect: false
  # keeps only the counts, for very long runs). Accepts an Array or an ActiveRecord relation.
  #
  # concurrency: 8 by default, or as many as the users' database pool serves when it has fewer
  # connections; a number the pool cannot serve raises IntercomSync::ConfigurationError.
  #
  # prefetch: read the workspace's contacts 150 per request instead of one lookup per user
  # (true, false, or :auto: when the pages are at most half as many as the users).
  def perform_all(users, concurrency: nil, collect: true, prefetch: :auto, &block)
    return nil unless IntercomSync.configuration.active_or_warn

    IntercomSync::Bulk.new(users, concurrency: concurrency, collect: collect, prefetch: prefetch).run(&block)
  end

  # The same reads as perform, and the writes it would make (Result#planned), without writing.
  def plan(user)
    IntercomSync::Sync.run(user, config: IntercomSync.configuration, dry_run: true)
  end
end
