# frozen_string_literal: true

require "monitor"

module IntercomSync
  # The sync's own writes to a SQLite database take turns, one thread of the process at a time.
  #
  # SQLite has one writer per database file. A connection that finds the write lock taken
  # waits in SQLite's busy handler, and Rails 7.2 makes database.yml's `timeout:` SQLite's
  # busy_timeout, which sleeps holding Ruby's GVL: the thread that holds the lock can then not
  # run to its COMMIT, and the waiting one fails with "database is locked" when its timeout
  # runs out. Writers that wait here instead wait on a Monitor, which releases the GVL, so
  # concurrent syncs (perform_all's workers, job threads) never meet in SQLite's lock. Their
  # reads need no turn: in WAL mode (Rails 7.1+'s default for SQLite) readers never wait for a
  # writer. Other processes writing the same file are not covered: that is the app's
  # `default_transaction_mode: :immediate` and a busy handler that releases the GVL (README).
  #
  # Databases of any other adapter are not locked: their writers wait for row locks in the
  # server, with the GVL released.
  module SQLiteWriteLock
    @locks = {}
    @guard = Mutex.new

    class << self
      # Runs the block holding the lock of each SQLite database the given model classes write
      # to (taken in one order, so that two threads never hold one each of two). Reentrant: a
      # write made inside the block by the same thread (an app's callback) does not deadlock.
      def synchronize(classes, &block)
        hold(classes.filter_map { |klass| database_of(klass) }.uniq.sort, &block)
      end

      # The SQLite database file a model class writes to (its absolute path), or nil when its
      # database is another adapter's or not connected.
      def database_of(klass)
        config = Database.pool_of(klass)&.db_config
        return nil unless config && sqlite?(config)

        name = config.database.to_s
        name.start_with?("file:") || name.include?(":memory:") ? name : File.expand_path(name)
      end

      private

      def hold(databases, &block)
        return block.call if databases.empty?

        lock_for(databases.first).synchronize { hold(databases.drop(1), &block) }
      end

      def lock_for(database)
        @guard.synchronize { @locks[database] ||= Monitor.new }
      end

      # By the adapter's name, or its class for adapters built on Rails' SQLite adapter under
      # another name.
      def sqlite?(config)
        return true if config.adapter.to_s.include?("sqlite")
        # (an app that uses no SQLite database has not loaded Rails' adapter for it)
        return false unless config.respond_to?(:adapter_class) && defined?(::ActiveRecord::ConnectionAdapters::SQLite3Adapter)

        config.adapter_class <= ::ActiveRecord::ConnectionAdapters::SQLite3Adapter
      rescue StandardError, LoadError # an adapter that cannot be resolved is no SQLite of ours
        false
      end
    end
  end
end
