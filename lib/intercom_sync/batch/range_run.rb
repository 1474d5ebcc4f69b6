# frozen_string_literal: true

module IntercomSync
  module Batch
    # One run of a SyncWithIntercomBatchJob: syncs the users of its id range with perform_all
    # (which reads contact pages where they pay for the range) and records the range's outcome in
    # the batch record once, when the range is finished.
    #
    # What fails where:
    # - a user's sync that fails for good (Intercom refuses the data, a model bug) is counted, with
    #   its id and error class, never raised: the other users go on;
    # - a user's sync that fails on a transient error (a 503 past the client's retries, a timeout)
    #   is tried again by a follow-up job, later, for those users only (ATTEMPTS runs in all, the
    #   counts so far travel in its arguments); then it is counted as failed;
    # - an error of the range itself is raised for the queue to retry: the database, or a
    #   transient IntercomSync::Error raised out of perform_all;
    # - a range that cannot run (its SCOPE or user class gone after a deploy, a concurrency the
    #   worker's pool cannot serve, the sync switched off on this worker) is given up: recorded
    #   with the reason, which the status shows, instead of failing the same way on every retry.
    class RangeRun
      ATTEMPTS = 5
      KEPT_FAILURES = 20 # failed user ids kept per range (the lowest), with their error's class

      # The job to enqueue for the users that failed on a transient error.
      FollowUp = Struct.new(:carried, :wait, :users, keyword_init: true)

      # spec: the batch's users (Tasks::UserScope#key) and the workers per job ("concurrency").
      # carried: nil on a range's first run; a follow-up's attempt, user ids and counts so far.
      def initialize(batch_id, index, first_id, last_id, spec, carried = nil, logger: nil,
                     config: IntercomSync.configuration)
        @batch_id = batch_id
        @index = index
        @first_id = first_id
        @last_id = last_id
        @spec = spec || {}
        @carried = carried
        @attempt = carried ? carried["attempt"] : 1
        @config = config
        @logger = logger || config.logger
      end

      # Returns a FollowUp to enqueue, or nil when the range is finished (or was already).
      def call
        @record = find_record
        if @record.done?(@index)
          say(:info, "already finished by another run; nothing to do")
          return nil
        end

        @record.started!(@index, first_id: @first_id, last_id: @last_id, attempt: @attempt)
        relation = users or return nil
        sync(relation)
      rescue IntercomSync::Error => e
        raise if e.transient? || @record.nil? # (a store this worker cannot use: the queue retries)

        give_up("#{e.class}: #{e.message}")
      end

      private

      # The batch record. Without it (a Redis cache store answers nil when Redis is down; a worker
      # configured with another store than the enqueuer's; a record past its TTL) nobody would
      # count the range: StoreError, for the queue to retry, before any request.
      def find_record
        store = Batch.store
        Batch.check_store!(store)
        Record.find(@batch_id, store: store) or
          raise StoreError, "batch #{@batch_id} is not in the batch store (#{store.class.name}) of this worker: the store " \
                            "did not answer, is not the one the batch was started with (every worker needs the same " \
                            "shared store), or the batch expired (#{Record::TTL / 86_400} days)"
      end

      def users
        scope = Tasks::UserScope.new(user_class, scope_name: @spec["scope"], since: @spec["since"])
        pk = scope.primary_key
        relation = scope.relation.where(pk => @first_id..@last_id)
        @carried ? relation.where(pk => @carried["only"]) : relation
      rescue Tasks::UsageError => e
        give_up(e.message)
      end

      def user_class
        Object.const_get(@spec.fetch("user_class"))
      rescue NameError
        raise Tasks::UsageError, "the user class #{@spec['user_class'].inspect} no longer exists"
      end

      def sync(relation)
        tally = @carried ? @carried.slice("succeeded", "failed", "requests", "failures") : new_tally
        pending = []
        report = SyncWithIntercom.perform_all(relation, concurrency: @spec["concurrency"], collect: false) do |outcome|
          count(outcome, tally, pending)
        end
        return give_up(@config.inactive_reason || "the sync is switched off on this worker") if report.nil?

        tally["requests"] += report.requests
        tally = lowest_failures(tally)
        return follow_up(tally, pending) unless pending.empty?

        finish(tally)
      end

      def new_tally
        { "succeeded" => 0, "failed" => 0, "requests" => 0, "failures" => [] }
      end

      # Failed for the moment: a transient Intercom error, or the database busy (batch jobs side by
      # side on a worker share its pool: a checkout can time out; a lock wait can too).
      DATABASE_BUSY = %w[ActiveRecord::ConnectionTimeoutError ActiveRecord::LockWaitTimeout ActiveRecord::Deadlocked].freeze

      def transient?(error)
        return error.transient? if error.is_a?(IntercomSync::Error)

        DATABASE_BUSY.any? { |name| Object.const_defined?(name) && error.is_a?(Object.const_get(name)) }
      end

      def count(outcome, tally, pending)
        if outcome.ok?
          tally["succeeded"] += 1
        elsif transient?(outcome.error) && @attempt < ATTEMPTS
          pending << outcome.user.id
        else
          tally["failed"] += 1
          tally["failures"] << [outcome.user&.id, outcome.error.class.name]
        end
      end

      # The lowest ids: outcomes arrive as the workers finish (contact pages come newest first).
      def lowest_failures(tally)
        failures = begin
          tally["failures"].sort_by(&:first)
        rescue ArgumentError # ids of mixed kinds: as they came
          tally["failures"]
        end
        tally.merge("failures" => failures.first(KEPT_FAILURES))
      end

      def follow_up(tally, pending)
        FollowUp.new(carried: tally.merge("attempt" => @attempt + 1, "only" => pending),
                     wait: (@attempt**4) + 2 + rand(5), users: pending.size)
      end

      def finish(tally)
        entry = tally.merge("first_id" => @first_id, "last_id" => @last_id, "attempts" => @attempt)
        unless @record.finish_range(@index, entry)
          say(:info, "finished, but another run recorded the range first: not counted twice")
        end
        nil
      end

      def give_up(reason)
        reason = @config.redact(reason)
        say(:error, "gave up: #{reason}")
        tally = @carried ? @carried.slice("succeeded", "failed", "requests", "failures") : new_tally
        @record.finish_range(@index, tally.merge("given_up" => reason, "first_id" => @first_id, "last_id" => @last_id,
                                                  "attempts" => @attempt))
        nil
      end

      def say(level, text)
        @logger&.public_send(level, "[intercom_sync] batch #{@batch_id} range #{@index + 1} " \
                                    "(ids #{@first_id} to #{@last_id}): #{text}")
      end
    end
  end
end
