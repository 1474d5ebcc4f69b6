# frozen_string_literal: true

module IntercomSync
  module Tasks
    # The user a task names by id (rake intercom_sync:sync[42]), or a UsageError saying how to
    # name one: Rake passes a missing argument as nil, which used to end in a KeyError.
    module OneUser
      module_function

      # rake intercom_sync:sync[ID]: syncs and prints what changed (ResultText).
      def sync(id, out: $stdout, config: IntercomSync.configuration)
        Tasks.require_active!(config)
        user = find("sync", id, config: config)
        out.puts(ResultText.call(label(user), failing_plainly(user) { SyncWithIntercom.perform(user) }))
      end

      # rake intercom_sync:plan[ID]: a dry run, printed as a diff (PlanText).
      def plan(id, out: $stdout, config: IntercomSync.configuration)
        Tasks.require_active!(config)
        user = find("plan", id, config: config)
        out.puts(PlanText.new(user, failing_plainly(user) { SyncWithIntercom.plan(user) }, config: config).to_s)
      end

      # Intercom's refusal (or the network's) is an answer for the operator, not a bug: one line
      # naming the user and the typed error, exit 1, no backtrace.
      def failing_plainly(user)
        yield
      rescue IntercomSync::Error => e
        raise UsageError, "#{label(user)}: #{e.class}: #{e.message}"
      end

      def find(task, id, config: IntercomSync.configuration)
        klass = Tasks.user_class(config)
        id = id.to_s.strip
        raise UsageError, usage(task, klass) if id.empty?

        user = lookup(klass, id)
        return user if user

        raise UsageError, "no #{klass.name} has id #{id.inspect}\n#{usage(task, klass)}"
      end

      def usage(task, klass)
        "usage: bin/rails \"intercom_sync:#{task}[USER_ID]\" (the id of a #{klass.name}; " \
          "the quotes keep zsh from reading the brackets)"
      end

      def lookup(klass, id)
        return klass.find_by(id: id) if klass.respond_to?(:find_by)

        klass.find(id)
      rescue StandardError => e
        # ActiveRecord::RecordNotFound, or a plain class's own "not found"
        raise unless e.class.name.to_s.end_with?("NotFound")

        nil
      end

      # "User 42", for the tasks' messages (never the record's inspect: it holds every column).
      def label(user)
        "#{user.class.name} #{user.respond_to?(:id) ? user.id : '?'}"
      end
    end
  end
end
