# frozen_string_literal: true

require_relative "credentials"
require_relative "log_subscriber" # the events' debug lines in Rails.logger

module IntercomSync
  # Rails integration, as an engine so that the app gets, with nothing to require:
  # - SyncWithIntercomJob, autoloaded from app/jobs like the app's own jobs (so it exists in
  #   `rails runner` and the console before anything loads ActiveJob; an app's own
  #   app/jobs/sync_with_intercom_job.rb comes first in the autoload paths and wins);
  # - settings from Rails.application.credentials.intercom (see Credentials), under ENV and the
  #   app's config/initializers, which run after this;
  # - Rails.logger as the logger, the access token redacted (Configuration#logger);
  # - the rake tasks, and `rails g intercom_sync:install` (lib/generators).
  class Engine < ::Rails::Engine
    engine_name "intercom_sync"

    # The job is an ActiveJob::Base: an app without ActiveJob gets nothing from app/, which
    # eager loading (production) would otherwise fail on.
    paths["app"].skip_eager_load! unless defined?(::ActiveJob::Railtie)

    # Before any engine's or the app's config/initializers, which may then override these.
    initializer "intercom_sync.credentials", before: :load_config_initializers do |app|
      Credentials.apply(IntercomSync.configuration, app.credentials.intercom)
    end

    rake_tasks do
      load File.expand_path("tasks.rake", __dir__)
    end
  end
end
