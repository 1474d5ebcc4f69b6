# frozen_string_literal: true

require "intercom_sync/batch"

module IntercomSync
  module Tasks
    # rake intercom_sync:batch:status[BATCH_ID]: a batch backfill's progress, read from the batch
    # store (the latest batch without an id). WAIT=1 prints a line every EVERY seconds until every
    # range is finished, then the summary. Exit status 1 once finished with a failed user, a range
    # given up or a job the queue refused.
    class BatchStatus
      def initialize(batch_id, wait: false, every: 5, out: $stdout, store: nil, sleeper: nil)
        @batch_id = batch_id
        @wait = wait
        @every = every
        @out = out
        @store = store
        @sleeper = sleeper || ->(seconds) { sleep(seconds) }
      end

      def run
        record = self.class.find(@batch_id, @store || Batch.store)
        summary = record.summary
        until !@wait || summary.finished?
          @out.puts(progress_line(summary))
          @out.flush
          @sleeper.call(@every)
          summary = record.summary
        end
        @out.puts(lines(summary))
        summary.finished? && summary.failed? ? 1 : 0
      rescue ConfigurationError => e
        raise UsageError, e.message
      end

      # The batch of that id, or the latest one when nil; a UsageError when the store has none.
      def self.find(batch_id, store)
        record = batch_id ? Batch::Record.find(batch_id, store: store) : Batch::Record.latest(store: store)
        return record if record

        where = "the batch store (a #{store.class.name.split('::').last})"
        raise UsageError, "no batch has been started with #{where}" unless batch_id

        raise UsageError, "no batch #{batch_id} in #{where}; batches are kept " \
                          "#{Batch::Record::TTL / 86_400} days after their last change"
      end

      private

      # batch 20261201T114358-3f9a: 2/3 jobs done, 1 running, 1,999 users synced, 1 failed
      def progress_line(summary)
        "batch #{summary.id}: #{Progress.number(summary.ranges_done)}/#{Progress.number(summary.ranges)} jobs done, " \
          "#{summary.ranges_running} running, #{Progress.number(summary.succeeded)} users synced, " \
          "#{Progress.number(summary.failed)} failed"
      end

      def lines(summary)
        [header(summary), finished(summary), jobs(summary),
         "Users: #{Progress.number(summary.succeeded)} synced, #{Progress.number(summary.failed)} failed, " \
         "#{Progress.count(summary.requests, 'request')}.",
         *failures(summary), *summary.given_up.map { |range| "Gave up #{range}" },
         *retry_line(summary)].compact
      end

      def header(summary)
        "Batch #{summary.id}: #{summary.description}, #{Progress.count(summary.users, 'user')} in " \
          "#{Progress.number(summary.ranges)} job#{'s' unless summary.ranges == 1} of up to " \
          "#{Progress.count(summary.users_per_job, 'user')}, started #{utc(summary.started_at)}."
      end

      def finished(summary)
        return nil unless summary.finished?

        elapsed = summary.elapsed
        rate = elapsed.positive? ? format("%.1f", (summary.succeeded + summary.failed) / elapsed) : "-"
        "Finished at #{utc(summary.finished_at)}, after #{Progress.duration(elapsed)} (#{rate} users/s)."
      end

      def jobs(summary)
        done = "Jobs: #{Progress.number(summary.ranges_done)}/#{Progress.number(summary.ranges)} done"
        extra = []
        extra << "#{summary.ranges_given_up} given up" if summary.ranges_given_up.positive?
        extra << "#{summary.refused.size} refused by the queue" unless summary.refused.empty?
        done += " (#{extra.join(', ')})" unless extra.empty?
        return "#{done}." if summary.finished?

        "#{done}, #{summary.ranges_running} running, #{summary.ranges_waiting} waiting." \
          "#{' (still enqueuing)' unless summary.enqueued?}"
      end

      def failures(summary)
        return [] if summary.failures.empty?

        listed = summary.failures.map { |id, error| "#{id} (#{error})" }.join(", ")
        more = summary.failed - summary.failures.size
        ["Failed #{summary.user_class} ids (with the error): #{listed}#{" and #{Progress.number(more)} more" if more.positive?}",
         %(Sync one again, with its reason, by: bin/rails "intercom_sync:sync[#{summary.failures.first.first}]")]
      end

      def retry_line(summary)
        return [] if summary.given_up.empty? && summary.refused.empty?

        [%(Once the cause is fixed, enqueue those ranges again: bin/rails "intercom_sync:batch:retry[#{summary.id}]")]
      end

      def utc(time)
        time.utc.strftime("%Y-%m-%d %H:%M:%S UTC")
      end
    end
  end
end
