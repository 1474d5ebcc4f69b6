# frozen_string_literal: true

module IntercomSync
  # The app's database as a sync uses it: through the connection pool of an ActiveRecord model's
  # class (and not at all for models that are not ActiveRecord's). A sync reads the user and its
  # teams, waits on Intercom, then writes: it holds a connection for the reading and for the
  # writing, never across the wait, so a bulk run's workers leave the pool's connections to the
  # app's other threads while their requests are out.
  module Database
    module_function

    # The connection pool of an ActiveRecord model class; nil for any other class, or a model
    # whose database is not connected.
    def pool_of(klass)
      return nil unless klass.respond_to?(:connection_pool)

      klass.connection_pool
    rescue StandardError => e
      raise unless defined?(::ActiveRecord::ConnectionNotEstablished) && e.is_a?(::ActiveRecord::ConnectionNotEstablished)

      nil
    end

    # Runs the block on the thread's connection of klass's pool: the one it holds already, else
    # one checked out for the block and returned after it.
    def with_connection(klass, &block)
      pool = pool_of(klass)
      pool ? pool.with_connection { block.call } : block.call
    end

    # Returns the connection the current thread holds in klass's pool, if any: one the app's
    # code took for good (ActiveRecord::Base.connection, or any query before Rails 7.2) would
    # otherwise stay with a worker thread across its next user's requests.
    def release_connection(klass)
      pool_of(klass)&.release_connection
    end
  end
end
