# frozen_string_literal: true

module IntercomSync
  class << self
    # Called with the base URL of every request before it is sent (Client#request and each
    # sync's client); raises to refuse it. IntercomSync::Testing sets one that lets tests reach
    # loopback only. nil (the default): no check.
    attr_accessor :base_url_guard

    # Forgets what this process learned from Intercom and what it said once in the log, so that
    # the next sync behaves as the first one of a fresh process would. Every per-process cache
    # of the gem is listed here:
    # - the custom attribute definitions (IntercomSync.attribute_cache): a workspace emptied
    #   under it (the test emulator's reset) would otherwise be sent attributes it no longer
    #   defines ("Custom attribute 'plan' does not exist");
    # - the rate-limit window the C core paces requests by (one per workspace, shared by every
    #   client of the process);
    # - the warnings said once per process (Configuration#first_time?, the "sync is off" one).
    # The configuration's own settings are kept, and so are the threads' clients (their
    # connections are keyed by the settings, and reconnect when those change).
    def clear_caches!(config = configuration)
      attribute_cache.clear
      config.forget_said_once!
      forget_rate_limit(config)
      nil
    end

    private

    def forget_rate_limit(config)
      return if config.access_token.to_s.empty?

      Client.open(config: config, &:forget_rate_limit)
    rescue ConfigurationError
      nil # no valid URL: no window was ever learned for it
    end
  end
end
