# frozen_string_literal: true

module IntercomSync
  module Tasks
    # rake intercom_sync:backfill: syncs every user of a scope through SyncWithIntercom.perform_all
    # (or, with ENQUEUE=1, enqueues a SyncWithIntercomJob per user in batches), showing progress,
    # and resumes where an interrupted run stopped (see Cursor and LowWaterMark). Returns the exit
    # status: 0, 1 when a user failed, 128 + the signal's number when interrupted.
    class Backfill
      Options = Struct.new(:scope, :since, :concurrency, :fresh, :cursor_path, :every, :enqueue, :batch_size,
                           keyword_init: true)

      SAVE_EVERY = 0.5  # seconds between cursor writes while users complete
      SHOWN_FAILURES = 20 # failure lines printed as they happen
      LISTED_FAILED_IDS = 50 # in the summary
      KEPT_FAILED_IDS = 1000 # in the cursor, across resumed runs

      def self.options_from_env(env)
        read = EnvOptions.new(env)
        Options.new(scope: read.string("SCOPE"), since: read.string("SINCE"),
                    # nil: as many as the database pool serves, at most 8 (ConnectionBudget)
                    concurrency: read.integer("CONCURRENCY", default: nil, range: 1..256),
                    fresh: read.boolean("FRESH") || !read.boolean("RESUME", default: true),
                    cursor_path: read.string("CURSOR"), every: read.seconds("PROGRESS_EVERY", default: 5),
                    enqueue: read.boolean("ENQUEUE"), batch_size: read.integer("BATCH", default: 1000, range: 1..100_000))
      end

      def initialize(options, out: $stdout, err: $stderr, config: IntercomSync.configuration, tty: nil, clock: nil)
        @options = options
        @out = out
        @err = err
        @config = config
        @tty = tty.nil? ? out.respond_to?(:tty?) && out.tty? : tty
        @clock = clock || -> { Process.clock_gettime(Process::CLOCK_MONOTONIC) }
      end

      def run
        Tasks.require_active!(@config)
        prepare
        @started = @clock.call
        @options.enqueue ? enqueue_users : sync_users
        finish
      rescue SignalException => e # Ctrl-C (Interrupt) or TERM: the cursor is saved, the exit says which
        stopped(e)
        128 + e.signo
      rescue UsageError
        raise
      rescue Exception => e # a crash: the cursor is saved, then the error goes on as it was
        stopped(e)
        raise
      end

      private

      def prepare
        @scope = UserScope.new(Tasks.user_class(@config), scope_name: @options.scope, since: @options.since)
        @pk = @scope.primary_key
        key = @scope.key.merge("mode" => @options.enqueue ? "enqueue" : "sync")
        @cursor = Cursor.new(@options.cursor_path || Cursor.default_path(key), key)
        @cursor.delete if @options.fresh
        @state = @cursor.load || { "mark" => nil, "done_above" => [], "ok" => 0, "failed" => 0, "failed_ids" => [],
                                   "requests" => 0, "elapsed" => 0.0 }
        @previous = @state.slice("ok", "failed", "requests", "elapsed")
        @mark = LowWaterMark.new(@scope.relation, @pk, mark: @state["mark"], done_above: @state["done_above"])
        @remaining = remaining_relation
        @concurrency, @budget_note = concurrency unless @options.enqueue
        @total = @remaining.count
        @ok = @failed = @requests = 0
        @shown_failures = 0
        @saved_at = nil
        @out.puts(header)
        @out.flush
        @progress = Progress.build(out: @out, total: @total, every: @options.every, unit: @options.enqueue ? "jobs" : "users",
                                   tty: @tty, clock: @clock)
      end

      def remaining_relation
        relation = @scope.relation
        table = @scope.klass.arel_table
        relation = relation.where(table[@pk].gt(@state["mark"])) unless @state["mark"].nil?
        relation = relation.where.not(@pk => @state["done_above"]) unless @state["done_above"].empty?
        relation
      end

      def header
        what = @options.enqueue ? "enqueue a SyncWithIntercomJob for" : "sync"
        how = @options.enqueue ? "in batches of #{@options.batch_size}" : "#{@concurrency} at a time#{@budget_note}"
        if resumed?
          done = @previous["ok"] + @previous["failed"]
          "Resuming the backfill of #{@scope.description} after #{@scope.klass.name} id #{@state['mark'].inspect} " \
            "(#{Progress.number(done)} done before, #{@previous['failed']} failed): #{Progress.number(@total)} left to " \
            "#{what}, #{how}.\nCursor: #{@cursor.path}"
        else
          "Backfill of #{@scope.description}: #{Progress.number(@total)} to #{what}, #{how}.\nCursor: #{@cursor.path}"
        end
      end

      # The workers to run and, when the database pool made them fewer than the default, why; a
      # CONCURRENCY the pool cannot serve stops the task before it starts, saying what to change.
      def concurrency
        budget = ConnectionBudget.for(@remaining)
        return [@options.concurrency || ConnectionBudget::DEFAULT_CONCURRENCY, nil] unless budget

        workers = budget.concurrency(@options.concurrency, asked_as: "CONCURRENCY=#{@options.concurrency}")
        [workers, (" (#{budget})" if budget.limited?(@options.concurrency))]
      rescue ConfigurationError => e
        raise UsageError, e.message
      end

      def resumed?
        !@state["mark"].nil? || !@state["done_above"].empty? || (@previous["ok"] + @previous["failed"]).positive?
      end

      def sync_users
        report = SyncWithIntercom.perform_all(@remaining, concurrency: @concurrency, collect: false) do |outcome|
          record(outcome)
        end
        # the contact pages' requests are counted in the report only
        @requests = report.requests if report
      end

      # A signal waits until the outcome is recorded whole (counted and in the mark, or neither),
      # so an interrupted run never counts a user it will sync again.
      def record(outcome)
        Thread.handle_interrupt(Object => :never) do
          id = outcome.user.respond_to?(:id) ? outcome.user.id : nil
          if outcome.ok?
            @ok += 1
            @requests += outcome.result&.requests.to_i
          else
            failure(id, outcome.reason)
          end
          @mark.done(id) unless id.nil?
          @progress.advance
          save_cursor
        end
      end

      def enqueue_users
        Enqueue.new(@remaining, batch_size: @options.batch_size).each_batch do |ids, refused_ids|
          Thread.handle_interrupt(Object => :never) do
            refused_ids.each { |id| failure(id, "the queue backend did not take the job") }
            @ok += ids.size - refused_ids.size
            ids.each { |id| @mark.done(id) }
            @progress.advance(ids.size)
            save_cursor(force: true)
          end
        end
      end

      def failure(id, reason)
        @failed += 1
        @state["failed_ids"] << id if @state["failed_ids"].size < KEPT_FAILED_IDS
        @progress.failed
        @shown_failures += 1
        if @shown_failures <= SHOWN_FAILURES
          say_failure(@config.redact("#{@scope.klass.name} #{id} failed: #{reason}"))
        elsif @shown_failures == SHOWN_FAILURES + 1
          say_failure("(further failures are counted, not shown; the summary lists their ids)")
        end
      end

      # On a terminal the bar owns stdout: a failure goes above it. Otherwise on stderr, apart
      # from the progress lines, as cron and CI keep them.
      def say_failure(text)
        @tty ? @progress.log(text) : @err.puts(text)
      end

      def save_cursor(force: false)
        now = @clock.call
        return if !force && @saved_at && now - @saved_at < SAVE_EVERY

        @saved_at = now
        @cursor.save(current_state)
      end

      def current_state
        @state.merge("mark" => @mark.mark, "done_above" => @mark.done_above(Cursor::MAX_DONE_ABOVE),
                     "ok" => @previous["ok"] + @ok, "failed" => @previous["failed"] + @failed,
                     "requests" => @previous["requests"] + @requests,
                     "elapsed" => @previous["elapsed"] + (@clock.call - @started))
      end

      def finish
        @progress.finish
        @cursor.delete
        summary
        @failed.positive? || @previous["failed"].positive? ? 1 : 0
      end

      def summary
        state = current_state
        processed = state["ok"] + state["failed"]
        rate = state["elapsed"].positive? ? format("%.1f", processed / state["elapsed"]) : "-"
        lines = if @options.enqueue
                  ["Backfill done: #{Progress.number(state['ok'])} jobs enqueued, #{state['failed']} failed to enqueue, " \
                   "in #{Progress.duration(state['elapsed'])} (#{rate} jobs/s)."]
                else
                  ["Backfill done: #{Progress.number(state['ok'])} users synced, #{state['failed']} failed, " \
                   "#{Progress.count(state['requests'], 'request')} in #{Progress.duration(state['elapsed'])} " \
                   "(#{rate} users/s)."]
                end
        lines.concat(failed_lines(state)) if state["failed"].positive?
        @out.puts(lines)
        @out.flush
      end

      def failed_lines(state)
        ids = state["failed_ids"]
        shown = sorted(ids).first(LISTED_FAILED_IDS).join(", ")
        more = state["failed"] - [ids.size, LISTED_FAILED_IDS].min
        ["Failed #{@scope.klass.name} ids: #{shown}#{" and #{more} more" if more.positive?}",
         "Sync one again, with its reason, by: bin/rails \"intercom_sync:sync[#{sorted(ids).first}]\""]
      end

      def sorted(ids)
        ids.sort
      rescue ArgumentError # ids of mixed kinds: as they came
        ids
      end

      # Interrupted (Ctrl-C, TERM) or crashed: keep what is done, and say how to go on.
      def stopped(error)
        return unless @cursor && @started

        @cursor.save(current_state)
        why = if error.is_a?(SignalException)
                "Interrupted (#{error.is_a?(Interrupt) ? 'SIGINT' : error.message})"
              else
                "Stopped by #{error.class}"
              end
        @out.puts if @tty # below the bar
        @err.puts("#{why} after #{Progress.number(@ok + @failed)} #{@options.enqueue ? 'jobs' : 'users'} in this run. " \
                  "Run the same command again to resume after #{@scope.klass.name} id #{@mark.mark.inspect} " \
                  "(cursor: #{@cursor.path}); FRESH=1 starts over.")
        @err.flush
      end
    end
  end
end
