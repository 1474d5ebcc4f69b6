# frozen_string_literal: true

module IntercomSync
  # How many worker threads a bulk sync runs on the users' connection pool, so that none of its
  # threads ever waits for a connection (ActiveRecord::ConnectionTimeoutError after the pool's
  # checkout_timeout). Each worker, and the thread reading the users of a relation, may hold a
  # connection at the same moment; one the calling thread holds is not there to take.
  #
  # Workers hold a connection only while they read or write (Database), so the pool is rarely
  # that busy; the budget makes it certain, whatever the app's model does while a worker holds
  # its connection (an as_json that queries, app code that keeps ActiveRecord::Base.connection).
  class ConnectionBudget
    # Workers when the caller asks for no number and the pool has room for them.
    DEFAULT_CONCURRENCY = 8

    # The budget of the users' pool: a relation's model's, or that of an Array's first record.
    # nil when the users are no ActiveRecord models (nothing to budget), or are another
    # enumerable, whose model cannot be told without reading it.
    def self.for(users)
      klass = if users.is_a?(Array)
                users.find { |user| !user.nil? }&.class
              elsif users.respond_to?(:klass)
                users.klass
              end
      pool = Database.pool_of(klass)
      pool && new(pool, model: klass, reader: !users.is_a?(Array), caller_holds: pool.active_connection? ? true : false)
    end

    # The concurrency for a run of the users: the one asked for (checked), or when none was
    # asked, DEFAULT_CONCURRENCY or fewer to fit the pool.
    def self.concurrency_for(users, requested)
      budget = self.for(users)
      return budget.concurrency(requested) if budget

      requested || DEFAULT_CONCURRENCY
    end

    attr_reader :size

    # reader: a thread reads the users from the database while the workers run.
    # caller_holds: the calling thread holds a connection of the pool.
    def initialize(pool, model:, reader:, caller_holds:)
      @size = pool.size
      @model = model
      @reader = reader
      @caller_holds = caller_holds
    end

    # The most workers that fit: 0 when the calling thread holds the pool's only connection. A
    # lone worker may share the last free connection with the reader: Rails 7.2 checks one out
    # for each query the reader makes, and a worker holds one only to read or write a user.
    def workers
      free = @size - (@caller_holds ? 1 : 0)
      [free - (@reader ? 1 : 0), free.positive? ? 1 : 0].max
    end

    # asked_as: how the caller asked for it, for the error's message.
    def concurrency(requested, asked_as: "concurrency #{requested}")
      return check!(1, asked_as: "concurrency 1") if requested.nil? && workers.zero?
      return [DEFAULT_CONCURRENCY, workers].min if requested.nil?

      check!(requested, asked_as: asked_as)
    end

    # Returns concurrency, or raises ConfigurationError when as many workers cannot each have a
    # connection.
    def check!(concurrency, asked_as: "concurrency #{concurrency}")
      return concurrency if concurrency <= workers

      needed = concurrency + taken
      instead = workers.positive? ? "run at most #{workers} at a time, or set" : "set"
      raise ConfigurationError,
            "#{asked_as} needs #{needed} database connections (#{needs(concurrency)}) but the connection pool " \
            "of #{@model.name || @model} has #{@size} (pool: in config/database.yml): #{instead} pool: #{needed} or more"
    end

    # Whether no concurrency was asked for and the pool made it smaller than the default.
    def limited?(requested)
      requested.nil? && workers < DEFAULT_CONCURRENCY
    end

    def to_s
      "the database pool has #{@size} connection#{'s' unless @size == 1}"
    end

    private

    def taken
      (@reader ? 1 : 0) + (@caller_holds ? 1 : 0)
    end

    def needs(concurrency)
      parts = ["#{concurrency} worker#{'s' unless concurrency == 1}"]
      parts << "1 reading the users" if @reader
      parts << "1 this thread holds" if @caller_holds
      parts.join(", ")
    end
  end
end
