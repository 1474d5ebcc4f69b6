# frozen_string_literal: true

require_relative "intercom_sync/version"

require_relative "intercom_sync/native_extension"
# Builds the extension first in a checkout that lacks it (a Gemfile `path:` gem); else a
# LoadError that says what to run in the app.
IntercomSync::NativeExtension.load!

# Everything a sync uses is loaded here, never on first use: a lazy load inside the first syncs
# of a threaded process (Sidekiq, Puma, perform_all) lets other threads see a class half set up.
# Digest::SHA256 (Digest.const_missing) failed so: "Digest::Base cannot be directly inherited".
require "digest/sha2"
require "logger"

require_relative "intercom_sync/errors"
require_relative "intercom_sync/warnings"
require_relative "intercom_sync/redacting_logger"
require_relative "intercom_sync/configuration"
require_relative "intercom_sync/shared_budget"
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
require_relative "intercom_sync/database"
require_relative "intercom_sync/sqlite_write_lock"
require_relative "intercom_sync/local_updates"
require_relative "intercom_sync/sync"
require_relative "intercom_sync/id_set"
require_relative "intercom_sync/contact_pages"
require_relative "intercom_sync/connection_budget"
require_relative "intercom_sync/worker_pool"
require_relative "intercom_sync/free_memory"
require_relative "intercom_sync/bulk"
require_relative "intercom_sync/caches"
# The events' log lines, when ActiveSupport came first (a Rails app); else the engine loads it.
require_relative "intercom_sync/log_subscriber" if defined?(ActiveSupport::Notifications)
require_relative "intercom_sync/engine" if defined?(Rails::Engine)

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
