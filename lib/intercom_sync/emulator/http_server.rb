# frozen_string_literal: true

require "socket"
require "openssl"

module IntercomSync
  class Emulator
    # A small HTTP/1.1 server on loopback: keep-alive, optional TLS, one thread per connection.
    #
    # Written on TCPServer rather than WEBrick because the emulator must misbehave on purpose:
    # reset a connection, cut a body short, stall, or count exactly how many connections a
    # client opened. The app (a callable) returns a Reply saying how to answer.
    class HTTPServer
      # remote_address: the client's IP address (a String), nil when the socket could not say.
      Request = Struct.new(:method, :target, :path, :query, :headers, :body, :connection_id, :remote_address,
                           keyword_init: true)

      # mode: :normal, :reset (RST, no response), :truncate (Content-Length promises more than
      # is sent, then close), :close (close without a response), :stall (hold, then close),
      # :stream (no Content-Length: the body ends when the connection closes).
      Reply = Struct.new(:status, :headers, :body, :mode, :delay, :stall_seconds, keyword_init: true) do
        def self.json(status, body, headers = {})
          new(status: status, headers: headers, body: body, mode: :normal)
        end
      end

      MAX_HEADER_BYTES = 64 * 1024
      MAX_BODY_BYTES = 8 * 1024 * 1024
      STATUS_TEXT = {
        200 => "OK", 400 => "Bad Request", 401 => "Unauthorized", 403 => "Forbidden",
        404 => "Not Found", 406 => "Not Acceptable", 409 => "Conflict", 410 => "Gone",
        411 => "Length Required", 413 => "Payload Too Large", 422 => "Unprocessable Entity",
        429 => "Too Many Requests", 500 => "Internal Server Error", 502 => "Bad Gateway",
        503 => "Service Unavailable", 504 => "Gateway Timeout"
      }.freeze

      attr_reader :port

      # rtt: a simulated network round trip in seconds. Loopback has none, so the server adds it
      # where a real network would: once for the TCP handshake of a new connection, once for
      # the TLS handshake, and once per request (the request/answer round trip).
      # handshake_rtts: round trips a new connection costs before its first request when the
      # server speaks plain http: 1 (TCP), or 2 to charge the TLS 1.3 handshake that https to
      # Intercom costs, for benchmarks whose clients cannot trust a test certificate.
      def initialize(app, host: "127.0.0.1", port: 0, ssl_context: nil, rtt: 0, handshake_rtts: 1)
        @app = app
        @rtt = rtt.to_f
        @handshake_rtts = handshake_rtts
        @host = host
        @requested_port = port
        @ssl_context = ssl_context
        @lock = Mutex.new
        @connections_opened = 0
        @sockets = []
        @threads = []
        @stopping = false
      end

      def start
        @server = TCPServer.new(@host, @requested_port)
        @port = @server.addr[1]
        @acceptor = Thread.new { accept_loop }
        @acceptor.name = "intercom-emulator-accept" if @acceptor.respond_to?(:name=)
        self
      end

      def stop
        @stopping = true
        @server&.close
        @acceptor&.join(2)
        @lock.synchronize do
          @sockets.each { |s| close_quietly(s) }
          @threads.each(&:kill)
          @sockets.clear
          @threads.clear
        end
      end

      def connections_opened
        @lock.synchronize { @connections_opened }
      end

      def tls?
        !@ssl_context.nil?
      end

      private

      def accept_loop
        until @stopping
          begin
            socket = @server.accept
          rescue IOError, Errno::EBADF, Errno::EINVAL
            break
          end
          @lock.synchronize do
            @connections_opened += 1
            id = @connections_opened
            @sockets << socket
            # Thread.new(args): the loop reuses `socket`, a block would see the next one.
            @threads << Thread.new(socket, id) { |s, i| serve(s, i) }
          end
        end
      end

      def serve(tcp, connection_id)
        io = tcp
        remote = peer_address(tcp)
        sleep(@rtt * (@ssl_context ? 1 : @handshake_rtts)) if @rtt.positive? # TCP (+ simulated TLS) handshake
        if @ssl_context
          io = OpenSSL::SSL::SSLSocket.new(tcp, @ssl_context)
          io.sync_close = true
          sleep(@rtt) if @rtt.positive? # TLS 1.3 handshake
          io.accept
        end
        loop do
          request = read_request(io, connection_id)
          break unless request

          request.remote_address = remote

          reply = @app.call(request)
          break unless write_reply(io, tcp, request, reply)
        end
      rescue OpenSSL::SSL::SSLError, IOError, SystemCallError
        nil # a client that hangs up or fails the handshake ends its connection, nothing more
      ensure
        close_quietly(io)
        close_quietly(tcp)
        @lock.synchronize do
          @sockets.delete(tcp)
          @threads.delete(Thread.current)
        end
      end

      def read_request(io, connection_id)
        line = io.gets("\r\n", MAX_HEADER_BYTES)
        return nil if line.nil?

        method, target, _version = line.strip.split(" ", 3)
        return nil if method.nil? || target.nil?

        headers = read_headers(io)
        return nil unless headers

        body = read_body(io, headers)
        return nil unless body

        target = target.dup.force_encoding(Encoding::UTF_8)
        path, query = target.split("?", 2)
        Request.new(method: method, target: target, path: path, query: query.to_s, headers: headers,
                    body: body, connection_id: connection_id)
      end

      def read_headers(io)
        headers = {}
        total = 0
        while (line = io.gets("\r\n", MAX_HEADER_BYTES))
          total += line.bytesize
          return nil if total > MAX_HEADER_BYTES

          line = line.chomp("\r\n")
          return headers if line.empty?

          name, value = line.split(":", 2)
          headers[name.strip.downcase] = value.to_s.strip if name
        end
        nil
      end

      def read_body(io, headers)
        length = headers["content-length"].to_i
        return "".b if length <= 0
        return nil if length > MAX_BODY_BYTES

        body = io.read(length)
        body && body.bytesize == length ? body : nil
      end

      # Returns false when the connection must end after this reply.
      def write_reply(io, tcp, request, reply)
        delay = reply.delay.to_f + @rtt
        sleep(delay) if delay.positive?
        case reply.mode
        when :reset
          reset(tcp)
          return false
        when :close
          return false
        when :stall
          sleep(reply.stall_seconds || 30)
          return false
        end

        body = reply.body.to_s.b
        promised = reply.mode == :truncate ? body.bytesize : nil
        body = body.byteslice(0, body.bytesize / 2) if reply.mode == :truncate
        keep_alive = request.headers["connection"].to_s.downcase != "close" && reply.mode == :normal
        head = +"HTTP/1.1 #{reply.status} #{STATUS_TEXT.fetch(reply.status, 'Status')}\r\n"
        headers = { "Connection" => keep_alive ? "keep-alive" : "close" }
        headers["Content-Length"] = (promised || body.bytesize).to_s unless reply.mode == :stream
        headers.merge!(reply.headers || {})
        headers.each { |k, v| head << "#{k}: #{v}\r\n" }
        head << "\r\n"
        io.write(head.b + body)
        io.flush if io.respond_to?(:flush)
        keep_alive
      end

      def peer_address(tcp)
        tcp.remote_address.ip_address
      rescue SystemCallError, SocketError
        nil
      end

      # SO_LINGER with a zero timeout makes close() send RST: the client sees "connection reset".
      def reset(tcp)
        tcp.setsockopt(Socket::SOL_SOCKET, Socket::SO_LINGER, [1, 0].pack("ii"))
        tcp.close
      rescue IOError, SystemCallError
        nil
      end

      def close_quietly(io)
        io.close unless io.closed?
      rescue IOError, SystemCallError, OpenSSL::SSL::SSLError
        nil
      end
    end
  end
end
