# frozen_string_literal: true

require "digest"

module IntercomSync
  # One sync of one user: snapshot -> C core (plan, requests, reconciliation) -> local updates.
  module Sync
    module_function

    def run(user, config:, dry_run: false)
      return nil unless config.active?

      client = IntercomSync.thread_client(config)
      workspace = "#{client.base_url}|#{Digest::SHA256.hexdigest(config.access_token.to_s)[0, 16]}"
      snapshot = Snapshot.build(user, config, known_attributes: IntercomSync.attribute_cache.fetch(workspace))
      raw, error = Native.sync(client, Native.generate_json(snapshot), dry_run)
      if raw
        IntercomSync.attribute_cache.learn(workspace, raw["attributes"])
        raw["warnings"].each { |warning| config.logger.warn("[intercom_sync] user #{snapshot['external_id']}: #{warning}") }
        timezone_saved = !dry_run && LocalUpdates.new(user, raw, config).apply(ids_only: !error.nil?)
        raw["fields_pulled"] += ["timezone"] if timezone_saved
      end
      raise error if error

      Result.new(raw)
    end
  end

  class << self
    # Definitions of custom attributes, shared by all threads of the process.
    def attribute_cache
      @attribute_cache
    end

    # A client for the current thread (clients are not shared between threads), reused across
    # syncs so connections stay open.
    def thread_client(config = configuration)
      key = [config.base_url, config.access_token, config.api_version, config.timeout,
             config.connect_timeout, config.max_response_bytes, config.ca_file]
      clients = (Thread.current[:intercom_sync_clients] ||= {})
      client = clients[key]
      return client if client && !client.closed?

      clients.clear.each_value(&:close)
      clients[key] = Client.new(config: config)
    end
  end
  @attribute_cache = AttributeCache.new
end

# The entry point the app's job calls (the seed's SyncWithIntercomJob#perform, rebuilt).
module SyncWithIntercom
  module_function

  # Syncs the user, their teams and owned teams with Intercom. Returns an IntercomSync::Result,
  # or nil (and sends nothing) when the sync is disabled or no token is configured.
  def perform(user)
    IntercomSync::Sync.run(user, config: IntercomSync.configuration)
  end

  # The same reads as perform, and the writes it would make (Result#planned), without writing.
  def plan(user)
    IntercomSync::Sync.run(user, config: IntercomSync.configuration, dry_run: true)
  end
end
