# frozen_string_literal: true

module IntercomSync
  module Batch
    # Starts a batch: splits the users into id ranges, records the batch, then enqueues a
    # SyncWithIntercomBatchJob per range (ActiveJob.perform_all_later where the adapter takes
    # many in one round trip). The record exists before the first job can run.
    class Start
      ENQUEUE_SLICE = 1000

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
                               users: scope.relation.count, ranges: ranges.size, users_per_job: @users_per_job)
        spec = scope.key.merge("concurrency" => @concurrency)
        enqueue(record, ranges, spec)
        record
      end

      private

      def enqueue(record, ranges, spec)
        job_class = Batch.job_class
        refused = []
        ranges.each_with_index.each_slice(ENQUEUE_SLICE) do |slice|
          jobs = slice.map { |(first, last), index| job_class.new(record.id, index, first, last, spec) }
          ::ActiveJob.respond_to?(:perform_all_later) ? ::ActiveJob.perform_all_later(jobs) : jobs.each(&:enqueue)
          jobs.each_with_index { |job, i| refused << slice[i].last unless job.successfully_enqueued? }
        end
        record.enqueued!(ranges.size - refused.size, refused)
      end
    end
  end
end
