# frozen_string_literal: true

module IntercomSync
  module Batch
    # Starts a batch: splits the users into id ranges, records the batch, then enqueues a
    # SyncWithIntercomBatchJob per range (ActiveJob.perform_all_later where the adapter takes
    # many in one round trip). The record exists before the first job can run.
    class Start
      def initialize(scope: nil, since: nil, users_per_job: DEFAULT_USERS_PER_JOB, concurrency: nil, store: Batch.store,
                     config: IntercomSync.configuration)
        unless users_per_job.is_a?(Integer) && users_per_job.between?(1, 1_000_000)
          raise ArgumentError, "users_per_job must be a whole number from 1 to 1000000"
        end

        @scope_name = scope
        @since = since
        @users_per_job = users_per_job
        @concurrency = concurrency
        @store = store
        @config = config
      end

      # Returns the batch's Record.
      def call
        Batch.check_store!(@store)
        scope = Tasks::UserScope.new(Tasks.user_class(@config), scope_name: @scope_name, since: @since)
        ranges = IdRanges.new(scope.relation, size: @users_per_job).to_a
        record = Record.create(store: @store, scope: scope.key, description: scope.description,
                               users: scope.relation.count, ranges: ranges.size, users_per_job: @users_per_job,
                               concurrency: @concurrency)
        enqueue(record, ranges)
        record
      end

      private

      def enqueue(record, ranges)
        refused = Batch.enqueue_ranges(record, ranges.each_with_index.map { |(first, last), index| [index, first, last] })
        record.enqueued!(ranges.size - refused.size, refused)
      end
    end
  end
end
