# frozen_string_literal: true

module IntercomSync
  # The exception classes are defined by the C extension (rb_isync_errors.c); this adds what
  # callers ask of them when deciding whether to try again.
  class Error
    # Whether the same call may succeed later (the job retries these).
    def transient?
      false
    end
  end

  class TransportError
    def transient?
      true
    end
  end

  class ParseError
    def transient?
      true
    end
  end

  class ServerError
    def transient?
      true
    end
  end

  class BusyError
    def transient?
      true
    end
  end

  class RateLimitError
    def transient?
      true
    end

    # Seconds until Intercom's window refills: from Retry-After, else X-RateLimit-Reset, else
    # a full 10-second window when Intercom said neither (or said nonsense).
    def retry_in(now = Time.now)
      return retry_after.to_f if retry_after&.between?(0, 900)

      seconds = reset_at ? reset_at - now.to_f : nil
      seconds&.between?(0, 900) ? seconds : 10.0
    end
  end
end
