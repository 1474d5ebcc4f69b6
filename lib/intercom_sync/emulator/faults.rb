# frozen_string_literal: true

module IntercomSync
  class Emulator
    # Faults to inject into matching requests, for testing what a client does when Intercom or
    # the network misbehaves. Each fault matches on method, path and (optionally) the query
    # string, each a String or a Regexp, and fires `times` times (nil: every time).
    #
    #   :latency        delay the answer by `seconds`, then answer normally
    #   :stall          accept the request, send nothing for `seconds` (default 30), then close
    #   :status         answer `status` (default 503) with an error.list (`code`, `message`)
    #   :reset          close the connection with a TCP RST instead of answering
    #   :close          close the connection without answering
    #   :truncate       promise the full body in Content-Length, send half of it, close
    #   :malformed_json answer 200 with a body that is not valid JSON
    #   :html           answer `status` (default 502) with an HTML error page
    #   :empty_body     answer `status` (default 200) with an empty body
    #   :oversize       answer 200 with a valid JSON body of `bytes` bytes (default 1 MiB);
    #                   `stream: true` sends it without Content-Length
    #   :body           answer `status` (default 200) with `body`: any text, or a Hash/Array as JSON
    #                   (wrong types, missing ids, endless pagination)
    #
    # With `after: true` the request is processed first (state changes) and the fault replaces
    # the answer: the "write happened but the response was lost" case that makes retries unsafe.
    class Faults
      KINDS = %i[latency stall status reset close truncate malformed_json html empty_body oversize body].freeze

      Fault = Struct.new(:kind, :method, :path, :query, :times, :after, :options, :fired, keyword_init: true) do
        def matches?(request)
          (method.nil? || method == request.method) && like?(path, request.path) && like?(query, request.query.to_s)
        end

        private

        def like?(pattern, text)
          pattern.nil? || (pattern.is_a?(Regexp) ? pattern.match?(text) : pattern == text)
        end
      end

      def initialize
        @lock = Mutex.new
        @faults = []
      end

      # probability: fire on this share of matching requests only (0.0-1.0), for soak runs.
      def add(kind, method: nil, path: nil, query: nil, times: nil, after: false, probability: nil, **options)
        raise ArgumentError, "unknown fault #{kind.inspect} (known: #{KINDS.join(', ')})" unless KINDS.include?(kind)

        fault = Fault.new(kind: kind, method: method&.to_s&.upcase, path: path, query: query, times: times,
                          after: after, options: options.merge(probability: probability), fired: 0)
        @lock.synchronize { @faults << fault }
        fault
      end

      # The faults that fire for this request, each consumed once.
      def take(request)
        @lock.synchronize do
          fired = @faults.select do |f|
            f.matches?(request) && (f.options[:probability].nil? || rand < f.options[:probability])
          end
          fired.each do |f|
            f.fired += 1
            f.times -= 1 if f.times
          end
          @faults.reject! { |f| f.times&.<= 0 }
          fired
        end
      end

      def clear
        @lock.synchronize { @faults.clear }
      end

      def pending
        @lock.synchronize { @faults.dup }
      end
    end
  end
end
