# frozen_string_literal: true

require "delegate"
require "logger"

module IntercomSync
  # The app's logger (Rails.logger) with the access token replaced by [FILTERED] in every line
  # given to it, whatever the line quotes (an Intercom answer, an exception's message). Levels,
  # formatting, tagging and broadcasting are the wrapped logger's own.
  class RedactingLogger < SimpleDelegator
    # redactor: anything with #redact(text), the Configuration.
    def initialize(logger, redactor)
      super(logger)
      @redactor = redactor
    end

    # A line the wrapped logger would drop is not redacted first (the token scan is the cost).
    def add(severity, message = nil, progname = nil, &block)
      logger = __getobj__
      return true if logger.respond_to?(:level) && (severity || ::Logger::UNKNOWN) < logger.level

      logger.add(severity, redact(message), redact(progname), &redacting(block))
    end
    alias log add

    %i[debug info warn error fatal unknown].each do |level|
      define_method(level) do |progname = nil, &block|
        logger = __getobj__
        return true if level != :unknown && logger.respond_to?(:"#{level}?") && !logger.public_send(:"#{level}?")

        logger.public_send(level, redact(progname), &redacting(block))
      end
    end

    def <<(message)
      __getobj__ << redact(message)
    end

    private

    def redacting(block)
      block && -> { redact(block.call) }
    end

    # Strings, and exceptions as Logger would print them; other objects are left to the logger.
    def redact(message)
      case message
      when String then @redactor.redact(message)
      when Exception then @redactor.redact("#{message.message} (#{message.class})\n#{message.backtrace&.join("\n")}")
      else message
      end
    end
  end
end
