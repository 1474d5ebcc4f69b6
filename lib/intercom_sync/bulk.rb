# frozen_string_literal: true

module IntercomSync
  # Syncs many users at once: `concurrency` worker threads, each with its own client (the GVL
  # is released while they wait on the network), all inside the process's shared rate-limit
  # budget. One user's failure never stops the others.
  class Bulk
    # One user's outcome: a Result, or the error that stopped its sync.
    Outcome = Struct.new(:user, :result, :error) do
      def ok?
        error.nil?
      end
    end

    # What perform_all returns: the outcomes (unless collect: false) and the counts.
    Report = Struct.new(:outcomes, :succeeded, :failed, :requests, :elapsed) do
      def errors
        outcomes.reject(&:ok?)
      end
    end

    def initialize(users, concurrency:, collect: true, config: IntercomSync.configuration)
      raise ArgumentError, "concurrency must be between 1 and 256" unless concurrency.is_a?(Integer) && concurrency.between?(1, 256)

      @users = users
      @concurrency = concurrency
      @collect = collect
      @config = config
    end

    def run
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      report = Report.new([], 0, 0, 0, 0.0)
      work = SizedQueue.new(@concurrency * 2)
      done = Queue.new
      workers = Array.new(@concurrency) { |i| named_thread("worker #{i + 1}") { work_loop(work, done) } }
      feeder = named_thread("feeder") { feed(work) }
      feeder.report_on_exception = false # feeder.value below raises its error in the caller
      finished = 0
      while finished < @concurrency
        outcome = done.pop
        if outcome == :finished
          finished += 1
          next
        end
        record(report, outcome)
        yield outcome if block_given?
      end
      feeder.value # re-raises an error of the users' enumeration
      report.elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
      report
    ensure
      # An exception in the caller's block, or an interrupt: stop everything we started. Closing
      # the queue first wakes a feeder blocked on a full queue, so every thread can be joined.
      work&.close
      stop([feeder, *workers].compact)
    end

    private

    # Kills and waits for each thread. An error one died with was raised already by feeder.value
    # (workers rescue theirs), so joining must not raise it a second time.
    def stop(threads)
      threads.each(&:kill).each do |thread|
        thread.join
      rescue StandardError
        nil
      end
    end

    def named_thread(name, &block)
      Thread.new(&block).tap { |t| t.name = "intercom_sync bulk #{name}" }
    end

    # Users travel wrapped in an array: a nil in the app's list is a user to report, while a nil
    # from the closed, drained queue tells a worker to stop.
    def feed(work)
      each_user { |user| work << [user] }
    rescue ClosedQueueError
      nil # the run is being stopped
    ensure
      work.close
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
        done << sync_one(item.first)
      end
    ensure
      done << :finished
    end

    def sync_one(user)
      result = with_database { Sync.run(user, config: @config) }
      Outcome.new(user, result, nil)
    rescue StandardError => e # recorded for this user; the others go on
      Outcome.new(user, nil, e)
    end

    # A worker thread returns its database connection after each user.
    def with_database(&block)
      return block.call unless defined?(::ActiveRecord::Base) && ::ActiveRecord::Base.connected?

      ::ActiveRecord::Base.connection_pool.with_connection(&block)
    end

    def record(report, outcome)
      if outcome.ok?
        report.succeeded += 1
        report.requests += outcome.result&.requests.to_i
      else
        report.failed += 1
      end
      report.outcomes << outcome if @collect
    end
  end
end
