# frozen_string_literal: true

module IntercomSync
  module Tasks
    # Reads the tasks' settings from ENV (CONCURRENCY=16, FRESH=1, ...), refusing a value that is
    # not what the setting takes with a UsageError naming it, rather than guessing: "FRESH=yes
    # please" or "CONCURRENCY=eight" stop the task before it does anything.
    class EnvOptions
      TRUE = %w[1 true yes on].freeze
      FALSE = ["0", "false", "no", "off", ""].freeze

      def initialize(env)
        @env = env
      end

      def string(name)
        value = @env[name]
        value.nil? || value.strip.empty? ? nil : value.strip
      end

      def boolean(name, default: false)
        value = @env[name]
        return default if value.nil?
        return true if TRUE.include?(value.strip.downcase)
        return false if FALSE.include?(value.strip.downcase)

        raise UsageError, "#{name}=#{value} is not a yes or no: use #{name}=1 or #{name}=0"
      end

      def integer(name, default:, range:)
        value = string(name)
        return default if value.nil?

        number = Integer(value, 10, exception: false)
        return number if number && range.cover?(number)

        raise UsageError, "#{name}=#{value} is not a whole number from #{range.min} to #{range.max}"
      end

      def seconds(name, default:)
        value = string(name)
        return default if value.nil?

        number = Float(value, exception: false)
        return number if number&.finite? && number >= 0

        raise UsageError, "#{name}=#{value} is not a number of seconds (0 or more, e.g. #{name}=5)"
      end
    end
  end
end
