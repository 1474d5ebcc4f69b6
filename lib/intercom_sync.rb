# frozen_string_literal: true

require_relative "intercom_sync/version"

begin
  require "intercom_sync/intercom_sync_ext"
rescue LoadError => e
  raise LoadError, <<~MSG.chomp
    intercom_sync's native extension could not be loaded (#{e.message}).
    In a checkout, build it with `bundle exec rake compile`; as a gem, reinstall it with
    `gem install intercom_sync` after `apt-get install libcurl4-openssl-dev libyajl-dev pkg-config`.
  MSG
end

# Everything a sync uses is loaded here, never on first use: a lazy load inside the first syncs
# of a threaded process (Sidekiq, Puma, perform_all) lets other threads see a class half set up.
# Digest::SHA256 (Digest.const_missing) failed so: "Digest::Base cannot be directly inherited".
require "digest/sha2"
require "logger"

require_relative "intercom_sync/errors"
require_relative "intercom_sync/warnings"
require_relative "intercom_sync/configuration"
require_relative "intercom_sync/instrumentation"
require_relative "intercom_sync/client"
require_relative "intercom_sync/custom_attributes"
require_relative "intercom_sync/secret_filter"
require_relative "intercom_sync/model_contract"
require_relative "intercom_sync/metadata_column"
require_relative "intercom_sync/snapshot"
require_relative "intercom_sync/timezone"
require_relative "intercom_sync/result"
require_relative "intercom_sync/attribute_cache"
require_relative "intercom_sync/local_updates"
require_relative "intercom_sync/sync"
require_relative "intercom_sync/id_set"
require_relative "intercom_sync/contact_pages"
require_relative "intercom_sync/bulk"
require_relative "intercom_sync/caches"
require_relative "intercom_sync/railtie" if defined?(Rails::Railtie)
# The events' log lines, when ActiveSupport came first (a Rails app); else the Railtie loads it.
require_relative "intercom_sync/log_subscriber" if defined?(ActiveSupport::Notifications)

# Keeps an app's users and teams in step with Intercom contacts and companies (API 2.x).
module IntercomSync
  class << self
    def configuration
      @configuration ||= Configuration.new
    end

    def configure
      yield configuration
      configuration
    end

    # Forgets the configuration (tests; reloading ENV).
    def reset_configuration!
      @configuration = Configuration.new
    end
  end
end
