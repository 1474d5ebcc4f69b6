# frozen_string_literal: true

require "intercom_sync"

module IntercomSync
  # The logic of the rake tasks (lib/intercom_sync/tasks.rake), as plain classes the specs drive
  # directly: the .rake file only reads arguments and ENV, and turns a UsageError or a status
  # into an exit.
  module Tasks
    # An answer for the operator, not a bug: what was asked cannot be done as asked (a missing
    # id, an unknown SCOPE, the sync switched off) or Intercom refused it. Its message says why
    # and what to type instead; the task prints it without a backtrace and exits 1.
    class UsageError < StandardError; end

    module_function

    # config.user_class as a class ("User" by default).
    def user_class(config = IntercomSync.configuration)
      name = config.user_class.to_s
      klass = Object.const_get(name) unless name.empty?
      return klass if klass.is_a?(Class)

      raise UsageError, "config.user_class is #{name.inspect}, which is not a class of this app"
    rescue NameError
      raise UsageError, "config.user_class is #{name.inspect}, which is not a class of this app"
    end

    # Every task that talks to Intercom says why it cannot, and fails, when the sync is off.
    def require_active!(config = IntercomSync.configuration)
      reason = config.inactive_reason
      raise UsageError, reason if reason
    end

    # Runs a task's body: a UsageError is printed (no backtrace: it is an answer, not a bug) and
    # exits 1; an Integer the body returns is the exit status.
    def run(err: $stderr)
      status = yield
      exit(status) if status.is_a?(Integer) && !status.zero?
    rescue UsageError => e
      err.puts(e.message)
      exit(1)
    end
  end
end

require_relative "tasks/env_options"
require_relative "tasks/one_user"
require_relative "tasks/result_text"
require_relative "tasks/plan_text"
require_relative "tasks/user_scope"
require_relative "tasks/low_water_mark"
require_relative "tasks/cursor"
require_relative "tasks/progress"
require_relative "tasks/backfill"
require_relative "tasks/enqueue"
require_relative "tasks/attributes"
