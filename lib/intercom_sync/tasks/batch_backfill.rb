# frozen_string_literal: true

require "intercom_sync/batch"

module IntercomSync
  module Tasks
    # rake intercom_sync:backfill BATCH_JOBS=1: splits the users (SCOPE, SINCE as for backfill)
    # into ranges of USERS_PER_JOB and enqueues a SyncWithIntercomBatchJob per range, for the
    # workers of every machine to share; intercom_sync:batch:status follows it (BatchStatus).
    class BatchBackfill
      Options = Struct.new(:scope, :since, :users_per_job, :concurrency, keyword_init: true)

      def self.options_from_env(env)
        read = EnvOptions.new(env)
        if read.boolean("ENQUEUE")
          raise UsageError, "BATCH_JOBS=1 and ENQUEUE=1 are two ways to enqueue the backfill: choose one"
        end
        if %w[CURSOR FRESH RESUME].any? { |name| env[name] }
          raise UsageError, "BATCH_JOBS=1 keeps its progress in the batch store, not a cursor: leave out CURSOR, FRESH and RESUME"
        end

        Options.new(scope: read.string("SCOPE"), since: read.string("SINCE"),
                    users_per_job: read.integer("USERS_PER_JOB", default: Batch::DEFAULT_USERS_PER_JOB, range: 1..1_000_000),
                    # nil: each job runs as many workers as its machine's database pool serves, at most 8
                    concurrency: read.integer("CONCURRENCY", default: nil, range: 1..256))
      end

      def initialize(options, out: $stdout, err: $stderr, config: IntercomSync.configuration, store: nil)
        @options = options
        @out = out
        @err = err
        @config = config
        @store = store
      end

      def run
        Tasks.require_active!(@config)
        store = @store || Batch.store
        record = Batch.start(scope: @options.scope, since: @options.since, users_per_job: @options.users_per_job,
                             concurrency: @options.concurrency, store: store, config: @config)
        note = Batch.unshared_store_note(store)
        @err.puts("Note: #{note}") if note
        report(record.summary)
      rescue ConfigurationError => e
        raise UsageError, e.message
      end

      private

      def report(summary)
        job = Batch.job_class
        @out.puts("Batch #{summary.id}: #{summary.description}, #{Progress.count(summary.users, 'user')} in " \
                  "#{Progress.number(summary.ranges)} #{job.name} job#{'s' unless summary.ranges == 1} of up to " \
                  "#{Progress.count(summary.users_per_job, 'user')}, enqueued on #{job.queue_name}.")
        unless summary.refused.empty?
          @err.puts("The queue refused #{Progress.count(summary.refused.size, 'job')} (ranges " \
                    "#{summary.refused.map { |index, *| index + 1 }.join(', ')}): those users are not synced until " \
                    "bin/rails \"intercom_sync:batch:retry[#{summary.id}]\"")
        end
        @out.puts(%(Follow it with: bin/rails "intercom_sync:batch:status[#{summary.id}]" (WAIT=1 waits until it is done)))
        summary.refused.empty? ? 0 : 1
      end
    end
  end
end
