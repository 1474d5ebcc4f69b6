# frozen_string_literal: true

module IntercomSync
  module Testing
    # How many requests reached Intercom (the test emulator) while a block ran: none, exactly
    # `count`, or (count nil) at least one. For the RSpec matcher and the Minitest assertions.
    class RequestExpectation
      MAX_LISTED = 20

      attr_reader :made

      def self.describe(request)
        query = request.query.to_s.empty? ? "" : "?#{request.query}"
        "#{request.method} #{request.path}#{query} -> #{request.status}"
      end

      def initialize(count = nil)
        unless count.nil? || (count.is_a?(Integer) && !count.negative?)
          raise ArgumentError, "count must be nil (any) or an Integer >= 0, got #{count.inspect}"
        end

        @count = count
        @made = []
      end

      # Runs the block and keeps the requests it made; returns the block's value.
      def run
        before = Testing.requests.size
        yield
      ensure
        @made = Testing.requests.drop(before)
      end

      def met?
        @count.nil? ? !@made.empty? : @made.size == @count
      end

      def failure_message
        expected = case @count
                   when nil then "requests to Intercom"
                   when 0 then "no requests to Intercom"
                   else "#{@count} request#{'s' unless @count == 1} to Intercom"
                   end
        "expected #{expected}, but #{listed}"
      end

      # For not_to: (count nil) no request at all, or not exactly `count`.
      def failure_message_when_negated
        return "expected no requests to Intercom, but #{listed}" if @count.nil?

        "expected other than #{@count} request#{'s' unless @count == 1} to Intercom, but #{listed}"
      end

      def description
        @count.nil? ? "make requests to Intercom" : "make #{@count} request#{'s' unless @count == 1} to Intercom"
      end

      private

      def listed
        return "none were made" if @made.empty?

        lines = ["#{@made.size} #{@made.size == 1 ? 'was' : 'were'} made:"]
        @made.first(MAX_LISTED).each { |r| lines << "  #{self.class.describe(r)}" }
        lines << "  ..." if @made.size > MAX_LISTED
        lines.join("\n")
      end
    end
  end
end
