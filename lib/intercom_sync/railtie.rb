# frozen_string_literal: true

module IntercomSync
  # Rails integration: the job is loaded with ActiveJob, and the rake tasks are available.
  class Railtie < ::Rails::Railtie
    initializer "intercom_sync.job" do
      ActiveSupport.on_load(:active_job) { require "intercom_sync/job" }
    end

    rake_tasks do
      load File.expand_path("tasks.rake", __dir__)
    end
  end
end
