# frozen_string_literal: true

require "intercom_sync/batch"
require_relative "batch_status"

module IntercomSync
  module Tasks
    # rake intercom_sync:batch:retry[BATCH_ID]: enqueues again the ranges of a batch that were
    # given up (their SCOPE gone, the sync off on the worker that took them) or that the queue
    # refused, once the cause is fixed. The ranges' outcomes are forgotten first, so the new jobs
    # count; ranges that finished are left alone.
    class BatchRetry
      def initialize(batch_id, out: $stdout, config: IntercomSync.configuration, store: nil)
        @batch_id = batch_id
        @out = out
        @config = config
        @store = store
      end

      def run
        Tasks.require_active!(@config)
        record = BatchStatus.find(@batch_id, @store || Batch.store)
        summary = record.summary
        given_up = summary.given_up.map { |range| [range.index, range.first_id, range.last_id] }
        ranges = given_up + summary.refused
        if ranges.empty?
          @out.puts("Batch #{record.id}: no range was given up or refused; nothing to enqueue again.")
          return 0
        end

        given_up.each { |index, *| record.reopen(index) }
        refused = Batch.enqueue_ranges(record, ranges)
        record.enqueued!(record.meta["enqueued"] + ranges.size - refused.size, refused)
        @out.puts("Batch #{record.id}: #{Progress.count(ranges.size - refused.size, 'range')} enqueued again " \
                  "(#{given_up.size} given up, #{summary.refused.size} refused by the queue).")
        @out.puts(%(Follow it with: bin/rails "intercom_sync:batch:status[#{record.id}]" (WAIT=1 waits until it is done)))
        refused.empty? ? 0 : 1
      rescue ConfigurationError => e
        raise UsageError, e.message
      end
    end
  end
end
