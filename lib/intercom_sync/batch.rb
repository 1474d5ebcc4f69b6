# frozen_string_literal: true

require "active_support"
require "active_support/cache"
require "intercom_sync"
require_relative "tasks" # UserScope: a batch's users are a backfill's (config.user_class, SCOPE, SINCE)

module IntercomSync
  # A backfill split across machines: the users of a scope in primary-key ranges (IdRanges), a
  # SyncWithIntercomBatchJob per range on the crm_sync queue (each runs perform_all on its range),
  # and the batch's progress in a store every worker shares (Record, Summary).
  #
  #   batch = IntercomSync::Batch.start(scope: "paying", users_per_job: 1000)
  #   IntercomSync::Batch::Record.find(batch.id).summary # => Summary
  module Batch
    DEFAULT_USERS_PER_JOB = 1000

    # The batch store did not answer, or lacks the batch: a job raises it for the queue to retry
    # (its range is synced when the store answers), rather than sync a range nobody would count.
    class StoreError < StandardError; end

    # The queue refused a job the batch needs (a follow-up for users to sync again): raised so
    # the queue retries the job that enqueues it, rather than leave its range unfinished.
    class EnqueueError < StandardError; end

    class << self
      # The store of batch records: Rails.cache unless set (outside Rails, it must be).
      attr_writer :store

      def store
        return @store if @store
        return ::Rails.cache if defined?(::Rails) && ::Rails.respond_to?(:cache) && ::Rails.cache

        raise ConfigurationError, "a batch backfill keeps its progress in a store every worker shares, and there is " \
                                  "none: in Rails it is Rails.cache (config.cache_store); elsewhere set " \
                                  "IntercomSync::Batch.store = ActiveSupport::Cache::RedisCacheStore.new(url: ...) " \
                                  "(or a MemCacheStore)"
      end

      # Enqueues the jobs of a new batch and returns its Record (see Start).
      def start(**options)
        Start.new(**options).call
      end

      # Enqueues a job per [index, first_id, last_id] of the batch's record, a slice at a time
      # (ActiveJob.perform_all_later: one round trip per slice where the adapter supports it);
      # returns the ranges the queue refused.
      def enqueue_ranges(record, ranges, slice: 1000)
        ranges.each_slice(slice).with_object([]) do |some, refused|
          jobs = some.map { |index, first, last| job_class.new(record.id, index, first, last, record.job_spec) }
          ::ActiveJob.respond_to?(:perform_all_later) ? ::ActiveJob.perform_all_later(jobs) : jobs.each(&:enqueue)
          jobs.zip(some).each { |job, range| refused << range unless job.successfully_enqueued? }
        end
      end

      def job_class
        require "intercom_sync/batch_job" unless defined?(::SyncWithIntercomBatchJob)
        ::SyncWithIntercomBatchJob
      end

      # A store that would lose the record is refused, saying what to use.
      def check_store!(store)
        unless store.respond_to?(:read_multi) && store.respond_to?(:write) && store.respond_to?(:exist?)
          raise ConfigurationError, "the batch store #{store.class} is not an ActiveSupport::Cache::Store"
        end
        return unless store.is_a?(ActiveSupport::Cache::NullStore)

        raise ConfigurationError, "the batch store, #{store.class.name} (config.cache_store = :null_store), forgets " \
                                  "what it is given: a batch's progress needs a store shared by every worker. " \
                                  "Set config.cache_store to :redis_cache_store, :mem_cache_store or " \
                                  ":solid_cache_store, or IntercomSync::Batch.store = such a store"
      end

      # What the status cannot see with a store that is not shared, or nil.
      def unshared_store_note(store)
        case store
        when ActiveSupport::Cache::MemoryStore
          "the batch store is a MemoryStore (per process): only the jobs this process runs report to it; " \
            "use a store every worker shares (Redis, Memcached, Solid Cache)"
        when ActiveSupport::Cache::FileStore
          "the batch store is a FileStore (#{store.cache_path}, per machine): only the jobs run on this machine " \
            "report to it; use a store every worker shares (Redis, Memcached, Solid Cache)"
        end
      end
    end
  end
end

require_relative "batch/id_ranges"
require_relative "batch/record"
require_relative "batch/summary"
require_relative "batch/range_run"
require_relative "batch/start"
