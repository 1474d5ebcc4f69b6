# frozen_string_literal: true

require "active_job"
require "intercom_sync"

# SyncWithIntercomJob for apps that use ActiveJob without Rails (and for our specs). A Rails app
# needs no require: IntercomSync::Engine autoloads the job, or the app's own one, by name; this
# file leaves a SyncWithIntercomJob that exists, or that an autoloader will load, alone.
require_relative "../../app/jobs/sync_with_intercom_job" unless defined?(SyncWithIntercomJob)
