# frozen_string_literal: true

module IntercomSync
  # Whether each error the gem raises may go away if the same call is made again later: the one
  # classification that Error#transient?, SyncWithIntercomJob (retry or discard) and the C core's
  # retry policy (isync_error_transient, held to this table by spec/intercom_sync/errors_spec.rb)
  # follow. Every class is listed, so a new one cannot be retried or dropped by accident.
  TRANSIENCE = {
    "Error" => false,                    # nothing more specific is known
    "ConfigurationError" => false,       # the app's settings: an admin must act
    "UnknownAttributeError" => false,    # unknown_attributes = :raise: a data attribute to define
    "ContractError" => false,            # the user model lacks a method the README requires
    "InvalidInputError" => false,        # the app's data: the same data fails the same way
    "EncodeError" => false,
    "BusyError" => true,                 # another thread's request on the client ends soon
    "TransportError" => true,
    "ConnectionError" => true,           # refused, reset, cut short: a deploy or the network
    "DNSError" => true,                  # resolvers fail for a while; a wrong host is a ConfigurationError first
    # A certificate that does not verify stays so (a stale CA file, a proxy intercepting TLS,
    # an attack): retrying for days only hides it, and the token must not go there anyway.
    "TLSError" => false,
    "TimeoutError" => true,
    "ResponseError" => false,
    "ParseError" => true,                # a garbled or empty 2xx body: a proxy or a hiccup
    "ResponseTooLargeError" => false,    # the same answer is as large next time
    "HTTPError" => false,
    "RedirectError" => false,            # base_url points at the wrong place; never followed
    "ClientError" => false,              # Intercom refused the request as it was made
    "BadRequestError" => false,
    "ParameterInvalidError" => false,
    "AuthenticationError" => false,      # a revoked or wrong token
    "ForbiddenError" => false,           # a missing scope or plan
    # A contact or company deleted or merged in Intercom while this sync ran (a stale stored id
    # is recovered from inside the sync): the same request gets the same answer, and the user's
    # next sync looks the contact up afresh.
    "NotFoundError" => false,
    "ContactMergedError" => false,
    "NotAcceptableError" => false,       # an api_version or media type the server does not serve
    "ConflictError" => false,            # the email belongs to another user's contact
    "UnprocessableEntityError" => false,
    "RateLimitError" => true,            # after the window resets (RateLimitError#retry_in)
    "ServerError" => true,
    "ServiceUnavailableError" => true
  }.freeze

  # Statuses decided against their class: 408 Request Timeout invites the same request again
  # (RFC 9110), while 501 Not Implemented and 505 HTTP Version Not Supported answer the same
  # way every time.
  STATUS_TRANSIENCE = { 408 => true, 501 => false, 505 => false }.freeze

  # Whether an error of this class (and HTTP status, if any) is worth the same call again.
  def self.transient?(error_class, http_status = nil)
    return STATUS_TRANSIENCE[http_status] if STATUS_TRANSIENCE.key?(http_status)

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
