# frozen_string_literal: true

require "active_job"
require "intercom_sync"
require "intercom_sync/batch"

# SyncWithIntercomBatchJob for apps that use ActiveJob without Rails (and for our specs); a Rails
# app's IntercomSync::Engine autoloads it, as it does SyncWithIntercomJob (see job.rb).
require_relative "../../app/jobs/sync_with_intercom_batch_job" unless defined?(SyncWithIntercomBatchJob)
