# frozen_string_literal: true

require "fileutils"
require "tmpdir"

# Batches on ActiveJob's test adapter, against a SQLite file of the example's own (perform_all's
# worker threads share it) and a memory store for the batch records.
module BatchHelpers
  def self.included(base)
    base.before do
      define_user_attributes
      @dir = Dir.mktmpdir("intercom-sync-batch")
      @database = File.join(@dir, "batch.sqlite3")
      SampleApp.connect(@database)
      ActiveJob::Base.queue_adapter = :test
      IntercomSync::Batch.store = ActiveSupport::Cache::MemoryStore.new
    end

    base.after do
      ActiveJob::Base.queue_adapter = :inline
      IntercomSync::Batch.store = nil
      FileUtils.remove_entry(@dir)
    end
  end

  def enqueued
    ActiveJob::Base.queue_adapter.enqueued_jobs
  end
end
