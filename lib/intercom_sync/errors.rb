# frozen_string_literal: true

module IntercomSync
  # Whether each error class may go away if the same call is made again later, read from the
  # error table (ext/intercom_sync/isync_errors.def) that also defines the classes and the C core's
  # retry policy: Error#transient? and SyncWithIntercomJob (retry or discard) follow it. A class
  # defined in Ruby (ContractError) is not listed: it inherits its parent's.
  TRANSIENCE = Native::ERROR_TABLE.to_h { |row| [row[:name], row[:transient]] }.freeze

  # Statuses decided against their class (408 transient; 501, 505 and non-HTTP statuses
  # permanent), from the same table: [[statuses (a Range), transient], ...].
  STATUS_RULES = Native::ERROR_STATUS_RULES

  # Whether an error of this class (and HTTP status, if any) is worth the same call again.
  def self.transient?(error_class, http_status = nil)
    rule = http_status && STATUS_RULES.find { |statuses, _| statuses.cover?(http_status) }
    return rule.last if rule

    error_class.ancestors.each do |klass|
      name = klass.name.to_s
      next unless name.start_with?("IntercomSync::")

      short = name.delete_prefix("IntercomSync::")
      return TRANSIENCE[short] if TRANSIENCE.key?(short)
    end
    false
  end

  # The exception classes are defined by the C extension (rb_isync_errors.c); this adds what
  # callers ask of them when deciding whether to try again.
  class Error
    # Whether the same call may succeed later (the job retries these; see TRANSIENCE).
    def transient?
      IntercomSync.transient?(self.class, http_status)
    end
  end

  class RateLimitError
    # Seconds until Intercom's window refills: from Retry-After, else X-RateLimit-Reset, else
    # a full 10-second window when Intercom said neither (or said nonsense).
    def retry_in(now = Time.now)
      return retry_after.to_f if retry_after&.between?(0, 900)

      seconds = reset_at ? reset_at - now.to_f : nil
      seconds&.between?(0, 900) ? seconds : 10.0
    end
  end
end
