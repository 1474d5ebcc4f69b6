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
      # an exception in the caller's block, or an interrupt: stop everything we started
      feeder&.kill
      workers&.each(&:kill)
      workers&.each(&:join)
    end

    private

    def named_thread(name, &block)
      Thread.new(&block).tap { |t| t.name = "intercom_sync bulk #{name}" }
    end

    def feed(work)
      each_user { |user| work << user }
    ensure
      @concurrency.times { work << :done }
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
      while (user = work.pop) != :done
        done << sync_one(user)
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
