# frozen_string_literal: true

module IntercomSync
  # Syncs many users at once: `concurrency` worker threads, each with its own client (the GVL
  # is released while they wait on the network), all inside the process's shared rate-limit
  # budget. One user's failure never stops the others.
  #
  # The workers share the users' database pool with the thread reading the users: without a
  # concurrency, as many run as the pool serves (at most 8); a concurrency it cannot serve is
  # refused (ConnectionBudget). A worker holds a connection only to read or write a user, never
  # while it waits on Intercom, and its writes to a SQLite database take turns with the other
  # syncs' (SQLiteWriteLock).
  #
  # With prefetch, a feeder thread first reads the workspace's contacts 150 to a request
  # (ContactPages) and hands each user whose contact it found that contact, so an unchanged
  # user costs no request of its own; the users it did not find are then synced the usual way.
  # prefetch: :auto (the default) decides from the first page's total_count: it reads the
  # pages when they are at most half as many as the users to sync (or the first is the last).
  # After a complete read, the users no page had are created without a lookup.
  #
  # A run of plain objects (no ActiveRecord models: nothing to wait for but Intercom) starts two
  # workers and grows to its concurrency the first time it has a user whose sync will wait on
  # Intercom: one handed out without a contact (it needs a lookup or a create), or one whose sync
  # made a request (it changed) or failed. Unchanged users with their contacts make no request
  # of theirs, and two workers keep up with them: sixteen would only take turns at the GVL, and
  # each would keep memory of its own (glibc's per-thread caches pin pages in every arena: a
  # long-lived process grew 5 MB over 40 such runs at concurrency 16, 1 MB at 2). Users in a
  # database start every worker: each sync waits on its reads.
  class Bulk
    # Workers a run of plain objects starts with, before any of its syncs is known to wait on Intercom.
    STARTING_WORKERS = 2

    # What the feeder tells the run when it hands out a user without a contact.
    NEEDS_ALL_WORKERS = :needs_all_workers

    # One user's outcome: a Result, or the error that stopped its sync.
    Outcome = Struct.new(:user, :result, :error) do
      def ok?
        error.nil?
      end

      # The sync failed on an error that is not an IntercomSync::Error: no answer of Intercom's,
      # but a bug (the gem's, or the app model's, such as an as_json that raises).
      def unexpected?
        !ok? && !error.is_a?(IntercomSync::Error)
      end

      # What stopped the sync, in one line; for an unexpected error also where it was raised and
      # the error that caused it, since its class and message alone rarely tell.
      def reason
        return nil if ok?
        return "#{error.class}: #{error.message}" unless unexpected?

        where = error.backtrace&.first&.then { |line| " raised at #{line}" }
        cause = error.cause&.then { |c| " (caused by #{c.class}: #{c.message})" }
        "unexpected #{error.class} (not an IntercomSync::Error)#{where}: #{error.message}#{cause}"
      end
    end

    # What perform_all returns: the outcomes (unless collect: false) and the counts.
    # requests counts every request: the syncs' and the contact pages'.
    Report = Struct.new(:outcomes, :succeeded, :failed, :requests, :elapsed) do
      def errors
        outcomes.reject(&:ok?)
      end
    end

    PREFETCH = [true, false, :auto].freeze

    # concurrency: nil for as many workers as the database pool serves, at most
    # ConnectionBudget::DEFAULT_CONCURRENCY; a number the pool cannot serve raises
    # ConfigurationError here, before any thread starts.
    #
    # pool: the worker threads to run on (WorkerPool.shared, kept between runs).
    def initialize(users, concurrency: nil, collect: true, prefetch: :auto, config: IntercomSync.configuration,
                   pool: WorkerPool.shared)
      unless concurrency.nil? || (concurrency.is_a?(Integer) && concurrency.between?(1, 256))
        raise ArgumentError, "concurrency must be between 1 and 256"
      end
      raise ArgumentError, "prefetch must be true, false or :auto" unless PREFETCH.include?(prefetch)

      @users = users
      @concurrency = ConnectionBudget.concurrency_for(users, concurrency)
      # users in a database wait on it in every sync (their teams are read), which gives the GVL
      # up as a request does: their runs start every worker
      @starting_workers = ConnectionBudget.for(users) ? @concurrency : [STARTING_WORKERS, @concurrency].min
      @collect = collect
      @prefetch = prefetch
      @config = config
      @pool = pool
    end

    def run(&block)
      FreeMemory.after_run(@config) { run_on_pool(&block) }
    end

    private

    def run_on_pool
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      report = Report.new([], 0, 0, 0, 0.0)
      work = SizedQueue.new(@concurrency * 2)
      done = Queue.new
      workers = []
      feeder = nil
      add_workers(workers, @starting_workers, work, done)
      Thread.handle_interrupt(Object => :never) { feeder = @pool.start([["feeder", -> { feed(work, done) }]]).first }
      finished = 0
      while finished < workers.size
        outcome = done.pop
        if outcome.is_a?(WorkerPool::Task)
          finished += 1
          next
        end
        if outcome.equal?(NEEDS_ALL_WORKERS) || waited_on_intercom?(outcome)
          add_workers(workers, @concurrency - workers.size, work, done)
          next if outcome.equal?(NEEDS_ALL_WORKERS)
        end
        record(report, outcome)
        yield outcome if block_given?
      end
      workers.each(&:value) # re-raises what stopped a worker (an error that is no StandardError)
      report.requests += feeder.value # re-raises an error of the users' enumeration
      report.elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
      report
    ensure
      # An exception in the caller's block, or an interrupt: stop everything we started. Closing
      # the queue first wakes a feeder blocked on a full queue. A worker still on this run is
      # killed (and never comes back to the pool), so no sync of it outlives the call.
      work&.close
      [feeder, *workers].compact.each(&:cancel)
    end

    # Starts count more workers on the run's queue (none once the queue is closed and drained:
    # they would only end at once).
    def add_workers(workers, count, work, done)
      return if count <= 0 || (work.closed? && work.empty?)

      first = workers.size + 1
      jobs = Array.new(count) { |i| ["worker #{first + i}", -> { work_loop(work, done) }] }
      # a Timeout between the start and the concat would leave workers the ensure cannot cancel
      Thread.handle_interrupt(Object => :never) { workers.concat(@pool.start(jobs, notify: done)) }
    end

    # Whether the user's sync waited on Intercom: it made a request, or failed (most failures
    # are answers, or no answer, from Intercom).
    def waited_on_intercom?(outcome)
      !outcome.ok? || outcome.result&.requests.to_i.positive?
    end

    # Users travel wrapped in an array ([user], [user, contact] or [user, nil, known_absent]): a
    # nil in the app's list is a user to report, while a nil from the closed, drained queue
    # tells a worker to stop.
    # Returns the number of requests the feeder made.
    def feed(work, done)
      synced = prefetch(work)
      all_workers = false
      each_user do |user|
        next if synced&.include?(external_id_of(user))

        # this user's sync waits on Intercom (a lookup, a create): the run needs all its workers
        done << NEEDS_ALL_WORKERS unless all_workers
        all_workers = true
        # after a complete read, a user no page had is created without a lookup first
        work << (@listed_all ? [user, nil, true] : [user])
      end
      @pages ? @pages.requests : 0
    rescue ClosedQueueError
      0 # the run is being stopped
    ensure
      synced&.clear # (its bits cover the largest id: up to 16 MB, given back now)
      work.close
      # a pooled thread outlives the run: a connection the reads left it (find_each before Rails
      # 7.2 keeps one) would be taken from the app's pool for good
      Database.release_connection(@users.klass) if @users.respond_to?(:klass)
    end

    # Queues the users found in the contact pages with their contacts; returns the set of their
    # ids, or nil when the pages were not read. A failure part way is logged and the users not
    # reached yet are looked up one by one: the pages are an optimisation, never a requirement.
    def prefetch(work)
      return nil if @prefetch == false || !(find_users = users_by_ids)
      # one page is the least a read costs: it can only pay off for two users or more
      return nil if @prefetch == :auto && (count = user_count) < 2

      @pages = ContactPages.new(IntercomSync.thread_client(@config), for_users: count || user_count, pool: @pool)
      # (the first page, read to decide, may be the whole list: an empty workspace's, say)
      return nil if @prefetch == :auto && !(@pages.worth_reading_for?(count) || @pages.single_page?)

      synced = IdSet.new
      @pages.each_page do |contacts|
        find_users.call(contacts.keys).each do |user|
          key = external_id_of(user)
          work << [user, contacts[key]] if contacts.key?(key) && synced.add?(key)
        end
      end
      @listed_all = true
      synced
    rescue IntercomSync::Error => e
      @config.logger.warn(@config.redact("[intercom_sync] bulk: reading contacts in pages failed " \
                                         "(#{e.class}: #{e.message}); looking the remaining users up one by one"))
      synced
    end

    # How to load the users with given external ids: from an index of an Array, or with a query
    # on an ActiveRecord relation whose id attribute is a column (and which has no limit or
    # offset, which the query would not keep). nil when neither applies.
    def users_by_ids
      if @users.is_a?(Array)
        index = @users.each_with_object({}) { |user, h| h[external_id_of(user)] = user unless user.nil? }
        ->(ids) { ids.filter_map { |id| index[id] } }
      elsif relation_with_column_ids?
        column = @config.user_attributes[:id]
        ->(ids) { @users.where(column => ids).to_a }
      end
    end

    def relation_with_column_ids?
      @users.respond_to?(:klass) && @users.respond_to?(:where) && @users.respond_to?(:limit_value) &&
        @users.limit_value.nil? && @users.offset_value.nil? &&
        @users.klass.column_names.include?(@config.user_attributes[:id].to_s)
    end

    def user_count
      count = @users.is_a?(Array) ? @users.size : @users.count
      count.is_a?(Integer) ? count : 0
    end

    def external_id_of(user)
      Snapshot.read(user, @config.user_attributes[:id]).to_s
    end

    # ActiveRecord relations are walked in batches, never loaded whole.
    def each_user(&block)
      if @users.respond_to?(:find_each) && !@users.is_a?(Array)
        @users.find_each(&block)
      else
        @users.each(&block)
      end
    end

    def work_loop(work, done)
      while (item = work.pop)
        done << sync_one(*item)
      end
    end

    # (Sync checks a connection out for its reads and its writes; one the app's code kept past
    # them is returned before the worker's next user.)
    def sync_one(user, contact = nil, known_absent = false)
      result = Sync.run(user, config: @config, contact: contact, known_absent: known_absent)
      Outcome.new(user, result, nil)
    rescue StandardError => e # recorded for this user; the others go on
      Outcome.new(user, nil, e)
    ensure
      # the contact's text (from a page, ours alone) is done with: its bytes go back now, not at
      # the next major GC (it lived across minor GCs, so it is old by now)
      contact.clear if contact.is_a?(String) && !contact.frozen?
      Database.release_connection(user.class)
    end

    def record(report, outcome)
      if outcome.ok?
        report.succeeded += 1
        report.requests += outcome.result&.requests.to_i
      else
        report.failed += 1
        if outcome.unexpected?
          message = "[intercom_sync] bulk: user #{external_id_of(outcome.user)}: #{outcome.reason}"
          @config.logger.error(@config.redact(message))
        end
      end
      report.outcomes << outcome if @collect
    end
  end
end
